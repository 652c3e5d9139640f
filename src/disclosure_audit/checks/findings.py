"""Findings bookkeeping (问题清单): open on first failure, record every run that sees them, close on pass."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import psycopg2.extras

SHANGHAI = ZoneInfo("Asia/Shanghai")  # users read Beijing time


@dataclass(frozen=True)
class Failure:
    """One subject failing one rule in one check run."""

    rule_id: str
    site_id: int
    subject: str  # content id, or "org/column"
    content_id: int | None
    org: str | None
    column_name: str | None
    evidence: dict


@dataclass
class FindingCounts:
    opened: int = 0
    still_open: int = 0
    closed_passed: int = 0
    closed_removed: int = 0


def record_findings(
    cur,
    check_run_id: int,
    failures: Iterable[Failure],
    judged_rules: Iterable[str],
    unjudged: Iterable[tuple[str, int, str]] = (),
) -> FindingCounts:
    """Merge this run's failures into qa.findings.

    `judged_rules` are the rules that ran without an exception: only their open findings that
    did not fail again are closed (a rule whose check broke closes nothing). `unjudged` are
    (rule, site, subject) the rules could not judge this run (a column whose list could not be read):
    their open findings stay open, neither seen again nor passed.
    """
    counts = FindingCounts()
    rows = list(failures)
    judged = sorted(set(judged_rules))
    cur.execute("CREATE TEMP TABLE run_failures (rule_id text, site_id int, subject text, content_id bigint, "
                "org text, column_name text, evidence jsonb) ON COMMIT DROP")  # fmt: skip
    psycopg2.extras.execute_values(
        cur,
        "INSERT INTO run_failures VALUES %s",
        [(f.rule_id, f.site_id, f.subject, f.content_id, f.org, f.column_name,
          json.dumps(f.evidence, ensure_ascii=False, default=str)) for f in rows],  # fmt: skip
        page_size=1000,
    )
    cur.execute(
        "UPDATE qa.findings f SET last_seen_run = %s, last_seen_at = now(), evidence = r.evidence "
        "FROM run_failures r WHERE f.closed_at IS NULL AND f.site_id = r.site_id AND f.rule_id = r.rule_id "
        "AND f.subject = r.subject",
        (check_run_id,),
    )
    counts.still_open = cur.rowcount
    cur.execute("CREATE TEMP TABLE run_unjudged (rule_id text, site_id int, subject text) ON COMMIT DROP")
    psycopg2.extras.execute_values(cur, "INSERT INTO run_unjudged VALUES %s", list(unjudged), page_size=1000)
    cur.execute(
        "INSERT INTO qa.findings (site_id, rule_id, subject, content_id, org, column_name, opened_run, last_seen_run, "
        "evidence) SELECT r.site_id, r.rule_id, r.subject, r.content_id, r.org, r.column_name, %s, %s, r.evidence "
        "FROM run_failures r WHERE NOT EXISTS (SELECT 1 FROM qa.findings f WHERE f.closed_at IS NULL "
        "AND f.site_id = r.site_id AND f.rule_id = r.rule_id AND f.subject = r.subject)",
        (check_run_id, check_run_id),
    )
    counts.opened = cur.rowcount
    cur.execute(
        "INSERT INTO qa.finding_observations (finding_id, check_run_id, evidence) "
        "SELECT f.finding_id, %s, r.evidence FROM qa.findings f JOIN run_failures r ON f.site_id = r.site_id "
        "AND f.rule_id = r.rule_id AND f.subject = r.subject WHERE f.closed_at IS NULL "
        "ON CONFLICT (finding_id, check_run_id) DO UPDATE SET evidence = EXCLUDED.evidence",
        (check_run_id,),
    )
    # Close what was judged and did not fail again: an item no longer on the site closes as removed.
    cur.execute(
        "UPDATE qa.findings f SET closed_run = %s, closed_at = now(), "
        "close_reason = CASE WHEN f.content_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM core.items i "
        "  WHERE i.site_id = f.site_id AND i.content_id = f.content_id AND i.removed_at IS NULL) "
        "THEN 'removed' ELSE 'passed' END "
        "WHERE f.closed_at IS NULL AND f.rule_id = ANY(%s) AND NOT EXISTS (SELECT 1 FROM run_failures r "
        "WHERE r.site_id = f.site_id AND r.rule_id = f.rule_id AND r.subject = f.subject) "
        "AND NOT EXISTS (SELECT 1 FROM run_unjudged u "
        "WHERE u.site_id = f.site_id AND u.rule_id = f.rule_id AND u.subject = f.subject) "
        "RETURNING close_reason",
        (check_run_id, judged),
    )
    for (reason,) in cur.fetchall():
        if reason == "removed":
            counts.closed_removed += 1
        else:
            counts.closed_passed += 1
    # Tomorrow's crawl re-verifies items with open findings, so a fix shows up the next morning.
    cur.execute(
        "UPDATE core.items i SET reverify = true FROM qa.findings f WHERE f.closed_at IS NULL "
        "AND f.content_id IS NOT NULL AND i.site_id = f.site_id AND i.content_id = f.content_id "
        "AND i.removed_at IS NULL AND NOT i.reverify"
    )
    return counts


def query_findings(cur, *, open_only: bool = False, rule: str | None = None, org: str | None = None) -> list[dict]:
    """Findings as `disclosure-audit findings` prints them."""
    cur.execute(
        "SELECT f.rule_id, f.subject, f.content_id, f.org AS column_org, f.column_name, i.url, o.name AS item_org, "
        "f.opened_at, f.closed_at, f.close_reason, f.evidence, f.finding_id, "
        "(SELECT count(*) FROM qa.finding_observations ob WHERE ob.finding_id = f.finding_id) AS runs_seen "
        "FROM qa.findings f LEFT JOIN core.items i ON i.site_id = f.site_id AND i.content_id = f.content_id "
        "LEFT JOIN core.orgs o ON o.site_id = i.site_id AND o.organ_id = i.organ_id "
        "WHERE (NOT %(open)s OR f.closed_at IS NULL) AND (%(rule)s::text IS NULL OR f.rule_id = %(rule)s) "
        "AND (%(org)s::text IS NULL OR COALESCE(f.org, o.name) = %(org)s) "
        "ORDER BY f.rule_id, f.content_id NULLS LAST, f.org, f.column_name, f.opened_at",
        {"open": open_only, "rule": rule, "org": org},
    )
    out = []
    for row in cur.fetchall():
        (rule_id, subject, content_id, column_org, column_name, url, item_org, opened, closed, reason, evidence,
         fid, runs_seen) = row  # fmt: skip
        rec: dict = {"rule_id": rule_id, "subject": subject}
        if content_id is not None:
            rec.update(content_id=content_id, url=url or evidence.get("url"), org=item_org)
        else:
            rec.update(org=column_org, column=column_name)
        rec.update(
            opened_at=opened.astimezone(SHANGHAI).isoformat(timespec="seconds"),
            closed_at=closed.astimezone(SHANGHAI).isoformat(timespec="seconds") if closed else None,
            close_reason=reason,
            runs_seen=runs_seen,
            evidence=evidence,
            finding_id=fid,
        )
        out.append(rec)
    return out


def evidence_for(fact: str, found: object, expected: str, extra: Mapping[str, object]) -> dict:
    return {"fact": fact, "found": found, "expected": expected, **extra}
