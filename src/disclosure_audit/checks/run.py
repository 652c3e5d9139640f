"""One check run: mirror the rules, run the Great Expectations checkpoint, turn results into findings."""

from __future__ import annotations

import html
import json
import logging
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg2
import psycopg2.extras

from disclosure_audit import rules
from disclosure_audit.checks.findings import Failure, FindingCounts, record_findings
from disclosure_audit.checks.gx_project import CHECKPOINT, open_context
from disclosure_audit.checks.offline import UnknownCdnError, make_offline
from disclosure_audit.checks.suites import CHECKS, NOT_JUDGED, STATUS_RULES, suite_parameters
from disclosure_audit.errors import DisclosureAuditError

log = logging.getLogger(__name__)
NOT_EVALUABLE_RULE = "timing.publish_lag"  # what timing.calendar_coverage reports on
NOT_EVALUABLE_REASON = "该年度节假日安排未公布 / no official holiday schedule for a year involved"
KEEP_VALIDATION_RUNS = 14  # Data Docs render every stored result: keep two weeks, so they stay fast


class RuleCheckError(Exception):
    """A rule's result cannot be turned into findings; the rule is reported as not run."""


@dataclass
class RuleResult:
    rule_id: str
    checked: int = 0
    failed: int = 0
    not_evaluable: int = 0
    exception: str | None = None


@dataclass
class CheckSummary:
    check_run_id: int
    as_of: date | None
    results: dict[str, RuleResult] = field(default_factory=dict)
    findings: FindingCounts = field(default_factory=FindingCounts)
    data_docs: str | None = None
    gx_success: bool | None = None
    health: list[dict] = field(default_factory=list)  # the latest crawl of each site (qa.run_facts)

    @property
    def broken_rules(self) -> list[str]:
        return [r.rule_id for r in self.results.values() if r.exception]


def sync_rules(cur) -> dict[str, dict]:
    """Mirror the catalogue into qa.rules; return each rule's effective parameters (overrides applied)."""
    for r in rules.RULES:
        cur.execute(
            "INSERT INTO qa.rules (rule_id, area, severity, level, title_zh, title_en, description_zh, scope, source, "
            "params) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (rule_id) DO UPDATE SET "
            "area = EXCLUDED.area, severity = EXCLUDED.severity, level = EXCLUDED.level, title_zh = EXCLUDED.title_zh, "
            "title_en = EXCLUDED.title_en, description_zh = EXCLUDED.description_zh, scope = EXCLUDED.scope, "
            "source = EXCLUDED.source, params = EXCLUDED.params, updated_at = now()",
            (
                r.id,
                r.area,
                r.severity,
                r.level,
                r.title_zh,
                r.title_en,
                r.description_zh,
                r.scope,
                r.source,
                json.dumps(dict(r.params), ensure_ascii=False),
            ),
        )
    cur.execute("SELECT rule_id, params FROM qa.rule_params")
    return {rule_id: params for rule_id, params in cur.fetchall()}


def refresh_facts(cur) -> None:
    """Snapshot the facts this run judges (qa.refresh_facts, sql/0013). Fresh statistics first: right after
    a large load the planner would otherwise take the new tables for empty and pick plans that take minutes.
    The function runs with the owner's rights, so the nightly job's writer role needs no ownership."""
    cur.execute("SELECT qa.refresh_facts()")


def _prune_validations(runtime_dir: Path, keep: int = KEEP_VALIDATION_RUNS) -> None:
    """Keep only the newest `keep` results per suite: Data Docs pages grow with every stored result."""
    root = runtime_dir / "validations"
    if not root.is_dir():
        return
    for suite_dir in root.iterdir():
        if not suite_dir.is_dir():
            continue
        runs = sorted((p for p in suite_dir.rglob("*.json")), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in runs[keep:]:
            old.unlink(missing_ok=True)
    docs = runtime_dir / "data_docs" / "validations"
    if docs.is_dir():
        shutil.rmtree(docs)  # rebuilt from the kept results by the checkpoint's docs action


def _expected_text(kwargs: dict, params: dict[str, object]) -> str:
    def val(v):
        return params.get(v["$PARAMETER"]) if isinstance(v, dict) and "$PARAMETER" in v else v

    if "value_set" in kwargs:
        return "true"
    if "regex" in kwargs:
        return f"matches {val(kwargs['regex'])}"
    if "column_A" in kwargs:
        return f"{kwargs['column_A']} = {kwargs['column_B']}"
    parts = []
    if kwargs.get("min_value") is not None:
        parts.append(f"≥ {val(kwargs['min_value'])}")
    if kwargs.get("max_value") is not None:
        parts.append(f"≤ {val(kwargs['max_value'])}")
    return " and ".join(parts)


# The advisory-lock class of check runs: a live check holds (_CHECK_LOCK, its check run id) for its session,
# as a crawl holds its run (disclosure_audit.store.crawl_store).
_CHECK_LOCK = 0x6368_6563  # "chec"


def _lock_key(check_run_id: int) -> int:
    return check_run_id % 2_147_483_647


def close_abandoned(cur) -> list[int]:
    """Close the check runs a killed or lost process left 'running' (no session holds their lock) as
    failed, saying so; returns their ids. A check killed before its findings committed wrote nothing else:
    the findings update is one transaction."""
    cur.execute(
        "SELECT check_run_id, started_at FROM qa.check_runs WHERE status = 'running' AND kind = 'rules' "
        "ORDER BY check_run_id"
    )
    closed = []
    for check_run_id, started_at in cur.fetchall():
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (_CHECK_LOCK, _lock_key(check_run_id)))
        if not cur.fetchone()[0]:
            continue  # its check is alive (another session holds it)
        cur.execute(
            "UPDATE qa.check_runs SET status = 'failed', finished_at = now(), error = %s "
            "WHERE check_run_id = %s AND status = 'running'",
            (f"abandoned: the check started at {started_at:%Y-%m-%d %H:%M:%S %Z} ended without finishing (its "
             "process was killed or lost); found by the next check", check_run_id),
        )  # fmt: skip
        cur.execute("SELECT pg_advisory_unlock(%s, %s)", (_CHECK_LOCK, _lock_key(check_run_id)))
        closed.append(check_run_id)
    return closed


def run_checks(database_url: str, data_dir: Path, expectations_dir: Path | None = None) -> CheckSummary:
    """Run every rule over the current data of every site and update the findings."""
    runtime_dir = data_dir / "gx"
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            for gone in close_abandoned(cur):
                log.warning("check run %s had ended without finishing: closed as failed (abandoned)", gone)
            params_by_rule = sync_rules(cur)
            refresh_facts(cur)
            cur.execute("SELECT max(as_of) FROM qa.site_as_of")
            as_of = cur.fetchone()[0]
            cur.execute("SELECT max(run_id) FROM core.crawl_runs WHERE status IN ('succeeded', 'degraded')")
            crawl_run = cur.fetchone()[0]
            cur.execute(
                "INSERT INTO qa.check_runs (crawl_run_id, as_of) VALUES (%s, %s) RETURNING check_run_id",
                (crawl_run, as_of),
            )
            check_run_id = cur.fetchone()[0]
            cur.execute("SELECT pg_advisory_lock(%s, %s)", (_CHECK_LOCK, _lock_key(check_run_id)))
        summary = CheckSummary(check_run_id=check_run_id, as_of=as_of)
        try:
            _run(conn, summary, database_url, runtime_dir, expectations_dir, params_by_rule)
        except Exception as exc:
            with conn, conn.cursor() as cur:
                cur.execute(
                    "UPDATE qa.check_runs SET status = 'failed', finished_at = now(), error = %s "
                    "WHERE check_run_id = %s",
                    (f"{type(exc).__name__}: {exc}", check_run_id),
                )
            raise
        return summary
    finally:
        conn.close()


def _run(
    conn,
    summary: CheckSummary,
    database_url: str,
    runtime_dir: Path,
    expectations_dir: Path | None,
    params_by_rule: dict[str, dict],
) -> None:
    _prune_validations(runtime_dir)
    try:
        context = open_context(database_url, runtime_dir, expectations_dir)
        checkpoint = context.checkpoints.get(CHECKPOINT)
    except Exception as exc:
        raise DisclosureAuditError(
            f"cannot open the Great Expectations project (expected checkpoint {CHECKPOINT!r} in expectations/): "
            f"{exc}. Rebuild it with `disclosure-audit check build`."
        ) from exc
    parameters = suite_parameters(params_by_rule)
    result = checkpoint.run(expectation_parameters=parameters)
    summary.gx_success = bool(result.success)
    try:  # the docs action just rebuilt the site: make it work without the internet
        make_offline(runtime_dir / "data_docs")
    except UnknownCdnError as exc:
        log.error("%s", exc)
    failures: list[Failure] = []
    not_evaluable: list[tuple[str, int, str, int | None, str]] = []  # rule, site, subject, content id, why
    checks_by_key = {(c.rule_id, c.fact): c for c in CHECKS}
    with conn, conn.cursor() as cur:
        for validation in result.run_results.values():
            for er in validation.results:
                cfg = er.expectation_config
                meta = cfg.meta or {}
                rule_id = meta.get("rule_id")
                if rule_id is None:
                    continue
                check = checks_by_key.get((rule_id, meta.get("fact", "")))
                rr = summary.results.setdefault(rule_id, RuleResult(rule_id))
                info = er.exception_info or {}
                if info.get("raised_exception"):
                    # an expectation that raised did not judge anything: never read it as passed
                    rr.exception = (info.get("exception_message") or "raised an exception").splitlines()[0]
                    continue
                res = er.result or {}
                rr.checked += int(res.get("element_count", 0)) - int(res.get("missing_count", 0) or 0)
                try:
                    rows = _failing_rows(cur, res)
                except RuleCheckError as exc:
                    rr.exception = str(exc)
                    continue
                fact = meta.get("fact", "")
                expected = _expected_text(check.kwargs if check else {}, parameters)
                for row in rows:
                    # text columns reach GX HTML-escaped (qa.html_escape); findings keep the text as shown
                    site_id, subject = int(row["site_id"]), html.unescape(str(row["subject"]))
                    if rule_id in STATUS_RULES:
                        not_evaluable.append((NOT_EVALUABLE_RULE, site_id, subject, int(subject), NOT_EVALUABLE_REASON))
                        rr.not_evaluable += 1
                        continue
                    rr.failed += 1
                    level = rules.get(rule_id).level
                    is_column = level == "column"
                    org, _, column = subject.partition("/") if is_column else (None, "", None)
                    failures.append(
                        Failure(
                            rule_id=rule_id,
                            site_id=site_id,
                            subject=subject,
                            content_id=int(subject) if level == "item" else None,
                            org=org,
                            column_name=column,
                            evidence={
                                "fact": fact,
                                "found": _unescaped(row.get(fact)),
                                "expected": expected,
                                "title": _unescaped(row.get("title")),
                            },
                        )
                    )
        failures = _one_per_subject(failures)
        _add_capture_ids(cur, failures)
        for rule_id, row in _not_judged(cur):
            not_evaluable.append((rule_id, *row))
            rr = summary.results.setdefault(rule_id, RuleResult(rule_id))
            rr.not_evaluable += 1
        judged = [r.rule_id for r in summary.results.values() if not r.exception]
        unjudged = [(rule_id, site_id, subject) for rule_id, site_id, subject, _, _ in not_evaluable]
        summary.findings = record_findings(cur, summary.check_run_id, failures, judged, unjudged)
        summary.health = _health(cur)
        for rr in summary.results.values():
            cur.execute(
                "INSERT INTO qa.results (check_run_id, rule_id, checked, failed, not_evaluable, exception) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (summary.check_run_id, rr.rule_id, rr.checked, rr.failed, rr.not_evaluable, rr.exception),
            )
        if not_evaluable:
            psycopg2.extras.execute_values(
                cur,
                "INSERT INTO qa.not_evaluable (check_run_id, rule_id, site_id, subject, content_id, reason) VALUES %s "
                "ON CONFLICT DO NOTHING",
                [(summary.check_run_id, *row) for row in not_evaluable],
            )
        docs = context.get_docs_sites_urls()
        summary.data_docs = docs[0]["site_url"] if docs else None
        cur.execute(
            "UPDATE qa.check_runs SET status = 'succeeded', finished_at = now(), gx_success = %s, "
            "data_docs = %s WHERE check_run_id = %s",
            (summary.gx_success, summary.data_docs, summary.check_run_id),
        )


def _failing_rows(cur, result: dict) -> list[dict]:
    """Every failing row. The lists in a COMPLETE result stop at 20 rows (and unexpected_list at 200);
    the index query GX returns selects them all, so it is what findings are built from."""
    query = result.get("unexpected_index_query")
    if not result.get("unexpected_count"):
        return []
    if isinstance(query, str) and query.strip().upper().startswith("SELECT"):
        cur.execute(query)
        names = [d.name for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        if len(rows) != int(result["unexpected_count"]):
            # the query and the count disagree: findings from either could be wrong, so the rule is broken
            raise RuleCheckError(
                f"Great Expectations counted {result['unexpected_count']} failing rows but its index query "
                f"returns {len(rows)}"
            )
        return rows
    rows = result.get("unexpected_index_list") or []
    if len(rows) < int(result.get("unexpected_count", 0)):
        raise RuleCheckError(
            f"Great Expectations reported {result.get('unexpected_count')} failing rows but returned only "
            f"{len(rows)} and no query for the rest; refusing to build findings from a partial list"
        )
    return [dict(r) for r in rows]


def _unescaped(value: object) -> object:
    return html.unescape(value) if isinstance(value, str) else value


def _one_per_subject(failures: list[Failure]) -> list[Failure]:
    """One failure per rule and subject: a rule stated by several expectations (date order, the crawl's
    health) may fail one subject on more than one fact; its evidence then lists every fact."""
    merged: dict[tuple[str, int, str], Failure] = {}
    for f in failures:
        key = (f.rule_id, f.site_id, f.subject)
        first = merged.get(key)
        if first is None:
            merged[key] = f
            continue
        facts = first.evidence.setdefault("facts", [_fact(first.evidence)])
        facts.append(_fact(f.evidence))
    return list(merged.values())


def _fact(evidence: dict) -> dict:
    return {k: evidence.get(k) for k in ("fact", "found", "expected")}


def _not_judged(cur) -> list[tuple[str, tuple[int, str, int | None, str]]]:
    """Subjects a rule applies to but could not judge (its fact is NULL): a link on another host, a
    column whose list could not be read. Never a finding, never a pass."""
    out = []
    for rule_id, view, condition, reason in NOT_JUDGED:
        cur.execute(f"SELECT site_id, subject FROM {view} WHERE {condition}")  # noqa: S608 - constants only
        for site_id, subject in cur.fetchall():
            subject = html.unescape(subject)
            content_id = int(subject) if view == "qa.item_facts" else None  # an item's subject is its id
            out.append((rule_id, (site_id, subject, content_id, reason)))
    return out


def _health(cur) -> list[dict]:
    cur.execute(
        "SELECT subject, run_id, status, requests, failed, slow, pages_read, unrecognised, challenge_failures, "
        "columns, unreadable_columns FROM qa.run_facts ORDER BY site_id"
    )
    names = [d.name for d in cur.description]
    return [{**dict(zip(names, row, strict=True)), "subject": html.unescape(row[0])} for row in cur.fetchall()]


def _add_capture_ids(cur, failures: list[Failure]) -> None:
    """Point each item finding at its page, title and the capture it was judged on (可核查).

    The keys go to Postgres as two arrays, whatever their number: a literal list of pairs per failing
    item exhausts the parser's stack once a rule fails some thousands of items."""
    keys = sorted({(f.site_id, f.content_id) for f in failures if f.content_id is not None})
    if not keys:
        return
    cur.execute(
        "SELECT i.site_id, i.content_id, i.detail_capture_id, i.title, i.url FROM core.items i "
        "JOIN unnest(%s::int[], %s::bigint[]) AS k(site_id, content_id) "
        "ON k.site_id = i.site_id AND k.content_id = i.content_id",
        ([k[0] for k in keys], [k[1] for k in keys]),
    )
    known = {(s, c): (cap, title, url) for s, c, cap, title, url in cur.fetchall()}
    for f in failures:
        if f.content_id is not None and (f.site_id, f.content_id) in known:
            cap, title, url = known[(f.site_id, f.content_id)]
            f.evidence.update(capture_id=cap, title=title, url=url)
    _add_both_versions(cur, [f for f in failures if f.rule_id == "stability.key_fields_changed"])


def _add_both_versions(cur, failures: list[Failure]) -> None:
    """A changed 文号 or date is shown with both versions: as first published and as now."""
    if not failures:
        return
    keys = rules.get("stability.key_fields_changed").param("fields")
    cur.execute(
        "SELECT i.site_id, i.content_id, first.version, first.fields, first.capture_id, i.version, "
        "i.doc_number, i.written_date::text, i.publish_date::text, i.detail_capture_id "
        "FROM core.items i JOIN LATERAL (SELECT v.version, v.fields, v.capture_id FROM core.item_versions v "
        "WHERE v.item_id = i.item_id AND v.change_kind = 'new' ORDER BY v.version LIMIT 1) first ON true "
        "JOIN unnest(%s::int[], %s::bigint[]) AS k(site_id, content_id) "
        "ON k.site_id = i.site_id AND k.content_id = i.content_id",
        ([f.site_id for f in failures], [f.content_id for f in failures]),
    )
    found = {}
    for site_id, cid, v1, fields, cap1, vn, doc, written, published, capn in cur.fetchall():
        now = {"doc_number": doc, "written_date": written, "publish_date": published}
        found[(site_id, cid)] = {
            "first": {"version": v1, "capture_id": cap1, **{k: fields.get(k) for k in keys}},
            "current": {"version": vn, "capture_id": capn, **{k: now[k] for k in keys}},
            "changed": [k for k in keys if fields.get(k) and now[k] and fields.get(k) != now[k]],
        }
    for f in failures:
        if (f.site_id, f.content_id) in found:
            f.evidence["versions"] = found[(f.site_id, f.content_id)]
