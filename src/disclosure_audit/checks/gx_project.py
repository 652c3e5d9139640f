"""The Great Expectations file project in expectations/: build it from the catalogue, open it to run.

The project holds only reviewed configuration (datasource, assets, suites, validation
definitions, checkpoint). Secrets and run output stay out of it: the database URL is the config
variable ${DISCLOSURE_GX_DATABASE_URL}, and validation results and Data Docs go under
${DISCLOSURE_GX_RUNTIME_DIR} (in the data directory), both set by `open_context`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from disclosure_audit import rules
from disclosure_audit.checks.suites import CHECKS, COLUMNS_SUITE, INDEX_COLUMNS, ITEMS_SUITE, RUNS_SUITE, Check

DATASOURCE = "disclosure_postgres"
CHECKPOINT = "disclosure_nightly"
ASSETS = {ITEMS_SUITE: "item_facts", COLUMNS_SUITE: "column_facts", RUNS_SUITE: "run_facts"}
DATA_DOCS_SITE = "disclosure_docs"
URL_VARIABLE = "DISCLOSURE_GX_DATABASE_URL"
RUNTIME_VARIABLE = "DISCLOSURE_GX_RUNTIME_DIR"


def project_dir(root: Path | None = None) -> Path:
    """The GX project: DISCLOSURE_EXPECTATIONS_DIR, else expectations/ under the project root, else beside the
    source tree (an editable install run from another folder, as Airflow tasks are)."""
    configured = os.environ.get("DISCLOSURE_EXPECTATIONS_DIR")
    if configured:
        return Path(configured)
    if root is None:
        from disclosure_audit.store.server import project_root

        root = project_root()
    candidates = [root / "expectations", Path(__file__).resolve().parents[3] / "expectations"]
    for candidate in candidates:
        if (candidate / "gx" / "great_expectations.yml").is_file():
            return candidate
    return candidates[0]


def _gx():
    import great_expectations as gx

    return gx


def _condition(check: Check) -> str:
    """What the expectation asks of its fact, in words (thresholds are suite parameters, named with their default)."""
    rule = rules.get(check.rule_id)

    def value(v: object) -> str:
        if isinstance(v, dict) and "$PARAMETER" in v:
            key = v["$PARAMETER"].split("__", 1)[1]
            return f"{key}（默认 default {rule.params.get(key)}）"
        return str(v)

    kw = check.kwargs
    if "value_set" in kw:
        return f"{check.fact} 须为 true / must be true"
    if "regex" in kw:
        return f"{check.fact} 须符合规则格式 / must match the rule's pattern"
    parts = []
    if kw.get("min_value") is not None:
        parts.append(f"≥ {value(kw['min_value'])}")
    if kw.get("max_value") is not None:
        parts.append(f"≤ {value(kw['max_value'])}")
    return f"{check.fact} {' 且 and '.join(parts)}"


def expectation_meta(check: Check) -> dict:
    """The rule behind an expectation, as `meta`: findings read rule_id and fact, Data Docs show the rest."""
    rule = rules.get(check.rule_id)
    return {
        "rule_id": rule.id,
        "fact": check.fact,
        "title_zh": rule.title_zh,
        "title_en": rule.title_en,
        "severity": rule.severity,
        "source": rule.source,
    }


def expectation_description(check: Check) -> str:
    """The line Data Docs show for the expectation on both the suite and the validation pages (GX renders
    `description` instead of its generic "values must be ..."): rule id, Chinese title, English, condition."""
    rule = rules.get(check.rule_id)
    return f"规则 rule {rule.id} · {rule.title_zh} / {rule.title_en} — 判定 check: {_condition(check)}"


def expectation_notes(check: Check) -> list[str]:
    """Markdown notes (Chinese first, English beside): title, what the rule means, scope, source."""
    rule = rules.get(check.rule_id)
    return [
        f"**规则 rule** `{rule.id}` — {rule.title_zh}（{rule.title_en}）",
        rule.description_zh,
        f"严重程度 severity: {rule.severity} · 适用范围 scope: {rule.scope} · 判定字段 fact: `{check.fact}`",
        f"依据 source: {rule.source}",
    ]


def build_project(directory: Path, database_url: str, runtime_dir: Path) -> None:
    """(Re)write the project's configuration from the rule catalogue. Run by `disclosure-audit check build`.

    GX checks the datasource and its views while adding them, so this needs a migrated database.
    """
    gx = _gx()
    directory.mkdir(parents=True, exist_ok=True)
    gx_dir = directory / "gx"
    for sub in ("expectations", "validation_definitions", "checkpoints"):
        shutil.rmtree(gx_dir / sub, ignore_errors=True)
    os.environ[URL_VARIABLE] = database_url
    os.environ[RUNTIME_VARIABLE] = str(runtime_dir)
    context = gx.get_context(mode="file", project_root_dir=str(directory))
    _configure_stores(gx_dir / "great_expectations.yml")
    context = gx.get_context(mode="file", project_root_dir=str(directory))
    source = context.data_sources.add_or_update_postgres(name=DATASOURCE, connection_string="${" + URL_VARIABLE + "}")
    definitions = []
    for suite_name, view in ASSETS.items():
        asset = source.add_table_asset(name=view, table_name=view, schema_name="qa")
        batch = asset.add_batch_definition_whole_table(f"{view}_all")
        suite = gx.ExpectationSuite(name=suite_name)
        for check in CHECKS:
            if check.suite != suite_name:
                continue
            cls = getattr(gx.expectations, check.expectation)
            suite.add_expectation(
                cls(
                    **check.kwargs,
                    meta=expectation_meta(check),
                    notes=expectation_notes(check),
                    description=expectation_description(check),
                )
            )
        suite = context.suites.add(suite)
        definitions.append(context.validation_definitions.add(gx.ValidationDefinition(
            name=suite_name, data=batch, suite=suite)))  # fmt: skip
    context.checkpoints.add(
        gx.Checkpoint(
            name=CHECKPOINT,
            validation_definitions=definitions,
            actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs", site_names=[DATA_DOCS_SITE])],
            # COMPLETE lists only 20 failing rows; the index query returns all of them (see checks.run)
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": INDEX_COLUMNS,
                "return_unexpected_index_query": True,
                "partial_unexpected_count": 20,
            },
        )
    )


def _configure_stores(config_file: Path) -> None:
    """Point validation results and Data Docs at the runtime directory, never at the repository."""
    import yaml

    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    runtime = "${" + RUNTIME_VARIABLE + "}"
    config["stores"]["validation_results_store"] = {
        "class_name": "ValidationResultsStore",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": f"{runtime}/validations/"},
    }
    config["data_docs_sites"] = {
        DATA_DOCS_SITE: {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": f"{runtime}/data_docs/"},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    }
    config["analytics_enabled"] = False
    # GX draws a progress bar per metric batch on stderr; the check prints its own summary instead
    config["progress_bars"] = {"globally": False, "metric_calculations": False}
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=True), encoding="utf-8")


def open_context(database_url: str, runtime_dir: Path, directory: Path | None = None):
    """The file context, with this run's database and runtime directory substituted in."""
    gx = _gx()
    runtime_dir.mkdir(parents=True, exist_ok=True)
    os.environ[URL_VARIABLE] = database_url
    os.environ[RUNTIME_VARIABLE] = str(runtime_dir)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    return gx.get_context(mode="file", project_root_dir=str(directory or project_dir()))
