"""The annual report's identities as findings (rules report.c1 … report.c8 in the catalogue).

A report is the subject: a published 年报 item (subject = its content id) or a report computed here
(subject = "computed:<organ_id>:<year>"). Each run of the identities is a check run of its own; a
finding stays open until the same report is checked again and the identity holds. An identity that
could not be checked (a cell not known, a page not readable) neither opens nor closes anything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from disclosure_audit import rules
from disclosure_audit.checks.findings import Failure, FindingCounts, record_findings

REPORT_RULES = tuple(r.id for r in rules.RULES if r.level == "report")


def rule_of(identity: str) -> str:
    return f"report.{identity.lower()}"


@dataclass
class CheckedReport:
    """One report checked: who, which identities broke, which could not be checked."""

    site_id: int
    subject: str
    org: str | None
    content_id: int | None
    breaches: list[dict[str, Any]]  # Breach.as_dict() of identities.check_report / published.check_published
    evidence: dict[str, Any] = field(default_factory=dict)
    unreadable: bool = False  # nothing could be checked


def computed_subject(organ_id: int, year: int) -> str:
    return f"computed:{organ_id}:{year}"


def record_report_findings(conn: Any, checked: Iterable[CheckedReport]) -> FindingCounts:
    """Record one check run of the identities over `checked` reports (in one transaction)."""
    reports = list(checked)
    failures: list[Failure] = []
    unjudged: set[tuple[str, int, str]] = set()
    for rep in reports:
        if rep.unreadable:
            unjudged |= {(r, rep.site_id, rep.subject) for r in REPORT_RULES}
            continue
        broken: dict[str, list[dict]] = defaultdict(list)
        for b in rep.breaches:
            rule_id = rule_of(b["identity"])
            if b["severity"] == "unknown":
                unjudged.add((rule_id, rep.site_id, rep.subject))
            else:
                broken[rule_id].append(b)
        for rule_id, items in broken.items():
            unjudged.discard((rule_id, rep.site_id, rep.subject))
            failures.append(
                Failure(
                    rule_id=rule_id,
                    site_id=rep.site_id,
                    subject=rep.subject,
                    content_id=rep.content_id,
                    org=rep.org,
                    column_name="年报",
                    evidence={**rep.evidence, "breaches": items},
                )
            )
    subjects = {(rep.site_id, rep.subject) for rep in reports}
    with conn, conn.cursor() as cur:
        from disclosure_audit.checks.run import sync_rules

        sync_rules(cur)
        site_ids = sorted({rep.site_id for rep in reports}) or [None]
        cur.execute(
            "INSERT INTO qa.check_runs (site_id, as_of, status, finished_at, kind) "
            "VALUES (%s, (now() AT TIME ZONE 'Asia/Shanghai')::date, 'succeeded', now(), 'report') "
            "RETURNING check_run_id",
            (site_ids[0] if len(site_ids) == 1 else None,),
        )
        run_id = cur.fetchone()[0]
        # reports not checked in this run keep their findings as they are
        cur.execute(
            "SELECT rule_id, site_id, subject FROM qa.findings WHERE closed_at IS NULL AND rule_id = ANY(%s)",
            (list(REPORT_RULES),),
        )
        for rule_id, site_id, subject in cur.fetchall():
            if (site_id, subject) not in subjects:
                unjudged.add((rule_id, site_id, subject))
        return record_findings(cur, run_id, failures, REPORT_RULES, sorted(unjudged))
