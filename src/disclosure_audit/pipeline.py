"""The nightly job as plain functions: settings, migrate, crawl, check — what the CLI, the demo and the
Airflow DAG call, so each is written once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_SITE = "http://127.0.0.1:8321"  # the local replica `make demo` serves
DEFAULT_ORGS = ("合肥市地震局",)
DEFAULT_RATE = 1.0  # requests per second per host: what the real platform tolerates


@dataclass(frozen=True)
class Settings:
    """What the nightly job crawls. Read from the environment (DISCLOSURE_*), Airflow Variables, the
    command line or a site file; a value left None is taken from the site file, then the default."""

    site: str | None = None
    orgs: tuple[str, ...] | None = None
    requests_per_second: float | None = None
    full: bool = False
    database_url: str | None = None
    data_dir: Path | None = None
    profile: str | None = None
    site_config: Path | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        orgs = tuple(o.strip() for o in env.get("DISCLOSURE_ORGS", "").split(",") if o.strip()) or None
        data_dir = env.get("DISCLOSURE_DATA_DIR")
        config = env.get("DISCLOSURE_SITE_CONFIG")
        rate = env.get("DISCLOSURE_RATE")
        return cls(
            site=env.get("DISCLOSURE_SITE", "").rstrip("/") or None,
            orgs=orgs,
            requests_per_second=float(rate) if rate else None,
            full=env.get("DISCLOSURE_FULL", "").lower() in ("1", "true", "yes"),
            database_url=env.get("DISCLOSURE_DATABASE_URL") or None,
            data_dir=Path(data_dir) if data_dir else None,
            profile=env.get("DISCLOSURE_PROFILE") or None,
            site_config=Path(config) if config else None,
        )

    @classmethod
    def from_env(cls) -> Settings:
        return cls.from_mapping(os.environ)

    def resolved(self) -> Settings:
        """These settings with every gap filled: from the site file, then the defaults."""
        from disclosure_audit.sites import DEFAULT_PROFILE, load_site_file

        site_file = load_site_file(self.site_config) if self.site_config else None
        return replace(
            self,
            site=(self.site or (site_file.site if site_file else None) or DEFAULT_SITE).rstrip("/"),
            orgs=self.orgs or (site_file.orgs if site_file and site_file.orgs else None) or DEFAULT_ORGS,
            profile=self.profile or (site_file.profile if site_file else None) or DEFAULT_PROFILE,
            requests_per_second=self.requests_per_second
            or (site_file.settings.rate if site_file else None)
            or DEFAULT_RATE,
        )


def database_url(settings: Settings) -> str:
    """The database the job writes to, migrated to the latest schema."""
    from disclosure_audit.store.migrate import ready_database

    return ready_database(settings.database_url)


def data_dir(settings: Settings) -> Path:
    from disclosure_audit.locations import data_dir as default

    return settings.data_dir or default()


def crawl_config(settings: Settings, orgs: list[str] | None = None, **overrides):
    """The crawl's configuration from the settings (site file included): the one place it is built."""
    from disclosure_audit.crawl import CrawlConfig
    from disclosure_audit.sites import SiteSettings, load_site_file

    s = settings.resolved()
    site_settings = load_site_file(s.site_config).settings if s.site_config else SiteSettings()
    values = dict(
        site=s.site,
        orgs=orgs or list(s.orgs or ()),
        database_url=overrides.pop("database_url", None) or database_url(s),
        data_dir=data_dir(s),
        full=s.full,
        requests_per_second=s.requests_per_second,
        profile=s.profile,
        settings=site_settings,
        show_progress=False,
    )
    values.update(overrides)
    return CrawlConfig(**values)  # type: ignore[arg-type]


def run_crawl(settings: Settings, org: str | None = None, show_progress: bool = False) -> dict:
    """Crawl one organisation (or all the settings name); returns the run summary as plain data.
    A degraded run returns normally: its `status` and `errors` say what could not be read."""
    from disclosure_audit.crawl import crawl
    from disclosure_audit.summary import format_crawl_summary

    summary = crawl(crawl_config(settings, [org] if org else None, show_progress=show_progress))
    return {
        "run_id": summary.run_id,
        "status": summary.status,
        "server_date": summary.server_date.isoformat() if summary.server_date else None,
        "counters": summary.counters,
        "errors": summary.errors,
        "text": format_crawl_summary(summary),
    }


def run_check(settings: Settings, links: bool = True) -> dict:
    """Link checks, calendar, every rule, findings and Data Docs; the per-rule summary as plain data.

    Findings are data: this fails only when the check itself cannot run (a rule that raised).
    """
    from disclosure_audit.checks.prepare import prepare_facts
    from disclosure_audit.checks.run import run_checks
    from disclosure_audit.errors import DisclosureAuditError
    from disclosure_audit.summary import format_check_summary

    s = settings.resolved()
    url = database_url(s)
    prepare_facts(url, s.requests_per_second or DEFAULT_RATE, links=links)
    summary = run_checks(url, data_dir(s))
    if summary.broken_rules:
        raise DisclosureAuditError(f"rules that could not run: {', '.join(summary.broken_rules)}")
    return {
        "check_run_id": summary.check_run_id,
        "as_of": summary.as_of.isoformat() if summary.as_of else None,
        "data_docs": summary.data_docs,
        "findings": vars(summary.findings),
        "results": {k: vars(v) for k, v in summary.results.items()},
        "text": format_check_summary(summary),
    }


def run_reports(settings: Settings) -> dict:
    """Read back every annual report the platform publishes (年报), check its identities (C1–C8) and record
    them as findings of the report rules; unreadable pages are counted and named, never taken as consistent."""
    from contextlib import closing

    import psycopg2

    from disclosure_audit.report.audit import as_checked, audit_published
    from disclosure_audit.report.findings import record_report_findings

    s = settings.resolved()
    url = database_url(s)
    with closing(psycopg2.connect(url)) as conn:
        entries = audit_published(conn, data_dir(s))
        counts = record_report_findings(conn, as_checked(entries))
    by_status = {k: sum(e["status"] == k for e in entries) for k in ("consistent", "inconsistent", "unreadable")}
    lines = [
        f"年报核对 published reports: {len(entries)}：一致 consistent {by_status['consistent']}，"
        f"不一致 inconsistent {by_status['inconsistent']}，无法读取 unreadable {by_status['unreadable']}；"
        f"问题 findings 新增 opened {counts.opened}，已整改 closed {counts.closed_passed}"
    ]
    for e in entries:
        if e["status"] == "inconsistent":
            names = sorted({b["identity"] for b in e["breaches"] if b["severity"] == "error"})
            lines.append(f"  {e['org']} {e['year']}: {', '.join(names)} 不符 broken — {e['url']}")
        elif e["status"] == "unreadable":
            lines.append(f"  {e['org']} {e['year']}: 无法读取 unreadable (capture {e['capture_id']}) {e['error']}")
    return {
        "reports": len(entries),
        **by_status,
        "findings": vars(counts),
        "unreadable_urls": [e["url"] for e in entries if e["status"] == "unreadable"],
        "text": "\n".join(lines),
    }
