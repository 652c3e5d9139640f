"""What the UI pages read from the database: parameterized SQL only, one function per page part."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg2.extras


@dataclass(frozen=True)
class FindingFilters:
    """The findings page's filters; None means "any"."""

    org: str | None = None
    rule: str | None = None
    status: str | None = None  # 'open' | 'closed'
    phase: int | None = None  # qa.campaigns.campaign_id: findings in that phase's ledger (report.campaign_ledger)

    def params(self) -> dict[str, Any]:
        return {"org": self.org, "rule": self.rule, "status": self.status, "phase": self.phase}


_FINDINGS_FROM = """
FROM qa.findings f
LEFT JOIN qa.rules r ON r.rule_id = f.rule_id
LEFT JOIN core.items i ON i.site_id = f.site_id AND i.content_id = f.content_id
LEFT JOIN core.orgs o ON o.site_id = i.site_id AND o.organ_id = i.organ_id
WHERE (%(org)s::text IS NULL OR COALESCE(f.org, o.name) = %(org)s)
  AND (%(rule)s::text IS NULL OR f.rule_id = %(rule)s)
  AND (%(status)s::text IS NULL OR (%(status)s::text = 'open') = (f.closed_at IS NULL))
  AND (%(phase)s::int IS NULL OR EXISTS (SELECT 1 FROM report.campaign_ledger l
                                         WHERE l.phase_id = %(phase)s AND l.finding_id = f.finding_id))
"""

_FINDINGS = (
    """
SELECT f.finding_id, f.rule_id, r.title_zh AS rule_title, r.title_en AS rule_title_en, r.severity,
       f.subject, f.content_id, COALESCE(f.org, o.name) AS org, f.column_name,
       COALESCE(i.title, i.list_title) AS item_title, COALESCE(i.url, f.evidence ->> 'url') AS url,
       f.opened_at, f.closed_at, f.close_reason, f.evidence,
       CASE WHEN f.evidence ->> 'capture_id' ~ '^[0-9]{1,18}$' THEN (f.evidence ->> 'capture_id')::bigint
            WHEN f.evidence ->> 'list_capture_id' ~ '^[0-9]{1,18}$' THEN (f.evidence ->> 'list_capture_id')::bigint
            ELSE i.detail_capture_id END AS capture_id,
       (SELECT l.status FROM report.campaign_ledger l
        WHERE l.phase_id = %(phase)s AND l.finding_id = f.finding_id) AS ledger_status,
       (SELECT l.status_en FROM report.campaign_ledger l
        WHERE l.phase_id = %(phase)s AND l.finding_id = f.finding_id) AS ledger_status_en
"""
    + _FINDINGS_FROM
    + """
ORDER BY f.closed_at IS NOT NULL, f.rule_id, f.content_id NULLS LAST, COALESCE(f.org, o.name), f.column_name,
         f.finding_id
LIMIT %(limit)s OFFSET %(offset)s
"""
)


def _evidence_title(evidence: Any) -> str | None:
    """The title the check recorded (the facts views store it HTML-escaped): back to plain text."""
    import html

    if isinstance(evidence, dict) and isinstance(evidence.get("title"), str):
        return html.unescape(evidence["title"])
    return None


def findings(cur: Any, filters: FindingFilters, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """(the findings of one page, how many match the filters in all)."""
    params = {**filters.params(), "limit": limit, "offset": offset}
    cur.execute("SELECT count(*) " + _FINDINGS_FROM, params)
    total = cur.fetchone()[0]
    cur.execute(_FINDINGS, params)
    names = [d[0] for d in cur.description]
    rows = []
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        row["title"] = row.pop("item_title") or _evidence_title(row.get("evidence"))
        rows.append(row)
    return rows, total


def finding_options(cur: Any) -> dict[str, list[tuple[str, str]]]:
    """The choices of the findings filters: organisations, rules, campaign phases (value, label)."""
    cur.execute(
        "SELECT DISTINCT COALESCE(f.org, o.name) AS org FROM qa.findings f "
        "LEFT JOIN core.items i ON i.site_id = f.site_id AND i.content_id = f.content_id "
        "LEFT JOIN core.orgs o ON o.site_id = i.site_id AND o.organ_id = i.organ_id "
        "WHERE COALESCE(f.org, o.name) IS NOT NULL "
        "UNION SELECT name FROM core.orgs ORDER BY 1"
    )
    orgs = [(r[0], r[0]) for r in cur.fetchall()]
    cur.execute("SELECT rule_id, title_zh FROM qa.rules ORDER BY rule_id")
    rules = [(r[0], f"{r[0]} {r[1]}") for r in cur.fetchall()]
    cur.execute(
        "SELECT campaign_id, campaign, phase_order, name, starts_on, ends_on FROM qa.campaigns "
        "ORDER BY campaign, phase_order"
    )
    phases = [(str(r[0]), f"{r[1]} · {r[3]}（{r[4]}–{r[5]}）") for r in cur.fetchall()]
    return {"orgs": orgs, "rules": rules, "phases": phases}


@dataclass(frozen=True)
class CaptureRef:
    """Where one capture is archived, and what the site said it was."""

    capture_id: int
    url: str
    content_type: str | None
    warc_file: str
    warc_offset: int


def capture(cur: Any, capture_id: int) -> CaptureRef | None:
    """The archive location of capture `capture_id`, or None when there is no such capture."""
    cur.execute(
        "SELECT capture_id, url, content_type, warc_file, warc_offset FROM core.captures WHERE capture_id = %s",
        (capture_id,),
    )
    row = cur.fetchone()
    return CaptureRef(*row) if row else None


def _dicts(cur: Any, query: str, params: Any = None) -> list[dict[str, Any]]:
    with cur.connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as dict_cur:
        dict_cur.execute(query, params)
        return [dict(r) for r in dict_cur.fetchall()]


def crawl_runs(cur: Any, limit: int = 20) -> list[dict[str, Any]]:
    """The latest crawl runs, newest first, with their site and counters."""
    return _dicts(
        cur,
        "SELECT r.run_id, s.base_url, r.mode, r.orgs, r.status, r.started_at, r.finished_at, r.counters, r.error "
        "FROM core.crawl_runs r JOIN core.sites s ON s.site_id = r.site_id ORDER BY r.run_id DESC LIMIT %s",
        (limit,),
    )


def unreadable_columns(cur: Any, runs: int = 20, limit: int = 200) -> list[dict[str, Any]]:
    """Columns whose listing could not be read (core.column_runs outcome unreadable) in the latest `runs` runs."""
    return _dicts(
        cur,
        "SELECT cr.run_id, o.name AS org, c.name AS column_name, cr.error, cr.capture_id, cr.recorded_at "
        "FROM core.column_runs cr "
        "JOIN core.columns c ON c.site_id = cr.site_id AND c.organ_id = cr.organ_id AND c.type = cr.type "
        "  AND c.cat_id = cr.cat_id "
        "JOIN core.orgs o ON o.site_id = cr.site_id AND o.organ_id = cr.organ_id "
        "WHERE cr.outcome = 'unreadable' "
        "  AND cr.run_id IN (SELECT run_id FROM core.crawl_runs ORDER BY run_id DESC LIMIT %s) "
        "ORDER BY cr.run_id DESC, o.name, c.name LIMIT %s",
        (runs, limit),
    )


def crawl_health(cur: Any, limit: int = 20) -> list[dict[str, Any]]:
    """Availability figures (core.crawl_health) of the latest runs, newest first."""
    return _dicts(
        cur,
        "SELECT h.run_id, s.base_url, h.requests, h.failed, h.pages_read, h.unrecognised, h.challenge_failures, "
        "h.columns, h.unreadable_columns, h.unreadable_column_names "
        "FROM core.crawl_health h JOIN core.sites s ON s.site_id = h.site_id ORDER BY h.run_id DESC LIMIT %s",
        (limit,),
    )


def report_orgs(cur: Any) -> list[str]:
    """Organisations of audited sites (the ones compute_report accepts)."""
    cur.execute(
        "SELECT DISTINCT o.name FROM core.orgs o JOIN core.sites s ON s.site_id = o.site_id WHERE s.audited "
        "ORDER BY o.name"
    )
    return [r[0] for r in cur.fetchall()]
