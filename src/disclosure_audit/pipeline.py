"""The nightly job as plain functions: settings, migrate, crawl, check — what the Airflow DAG calls."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SITE = "http://127.0.0.1:8321"  # the local replica `make demo` serves
DEFAULT_ORGS = ("合肥市地震局",)


@dataclass(frozen=True)
class Settings:
    """What the nightly job crawls. Read from the environment (DISCLOSURE_*) or Airflow Variables."""

    site: str = DEFAULT_SITE
    orgs: tuple[str, ...] = DEFAULT_ORGS
    requests_per_second: float = 1.0
    full: bool = False
    database_url: str | None = None
    data_dir: Path | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        orgs = tuple(o.strip() for o in env.get("DISCLOSURE_ORGS", ",".join(DEFAULT_ORGS)).split(",") if o.strip())
        data_dir = env.get("DISCLOSURE_DATA_DIR")
        return cls(
            site=env.get("DISCLOSURE_SITE", DEFAULT_SITE).rstrip("/"),
            orgs=orgs,
            requests_per_second=float(env.get("DISCLOSURE_RATE", "1.0")),
            full=env.get("DISCLOSURE_FULL", "").lower() in ("1", "true", "yes"),
            database_url=env.get("DISCLOSURE_DATABASE_URL"),
            data_dir=Path(data_dir) if data_dir else None,
        )

    @classmethod
    def from_env(cls) -> Settings:
        return cls.from_mapping(os.environ)


def database_url(settings: Settings) -> str:
    """The database the job writes to, migrated to the latest schema."""
    from disclosure_audit.store import migrate, server

    if settings.database_url:
        url = settings.database_url
    else:
        _, url = server.project_database()
    migrate.apply_migrations(url)
    return url


def run_crawl(settings: Settings, org: str | None = None, show_progress: bool = False) -> dict:
    """Crawl one organisation (or all the settings name); returns the run summary as plain data."""
    from disclosure_audit.crawl import CrawlConfig, crawl
    from disclosure_audit.http.capture import data_dir
    from disclosure_audit.store.server import project_root

    summary = crawl(
        CrawlConfig(
            site=settings.site,
            orgs=[org] if org else list(settings.orgs),
            database_url=database_url(settings),
            data_dir=settings.data_dir or data_dir(project_root()),
            full=settings.full,
            requests_per_second=settings.requests_per_second,
            show_progress=show_progress,
        )
    )
    return {
        "run_id": summary.run_id,
        "status": summary.status,
        "server_date": summary.server_date.isoformat() if summary.server_date else None,
        "counters": summary.counters,
    }


def run_check(settings: Settings) -> dict:
    """Link checks, calendar, every rule, findings and Data Docs; the per-rule summary as plain data.

    Findings are data: this fails only when the check itself cannot run (a rule that raised).
    """
    from disclosure_audit.checks.cli import prepare_facts
    from disclosure_audit.checks.run import run_checks
    from disclosure_audit.errors import DisclosureAuditError
    from disclosure_audit.http.capture import data_dir
    from disclosure_audit.store.server import project_root

    url = database_url(settings)
    prepare_facts(url, settings.requests_per_second)
    summary = run_checks(url, settings.data_dir or data_dir(project_root()))
    if summary.broken_rules:
        raise DisclosureAuditError(f"rules that could not run: {', '.join(summary.broken_rules)}")
    return {
        "check_run_id": summary.check_run_id,
        "as_of": summary.as_of.isoformat() if summary.as_of else None,
        "data_docs": summary.data_docs,
        "findings": vars(summary.findings),
        "results": {k: vars(v) for k, v in summary.results.items()},
    }
