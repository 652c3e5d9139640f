"""Checking the annual reports an organisation published on the platform (the 年报 items, type 3).

Each report page is read back from its capture (the exact bytes the crawl archived), its tables are
checked against the format's identities C1–C8 (C5 with the previous year's published report) and
compared with the figures we compute from the crawl. A page that cannot be read is an entry with
status "unreadable", the URL and the capture id — never a report with zeros.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from disclosure_audit.http.capture import read_capture
from disclosure_audit.report import format as F
from disclosure_audit.report.figures import ReportError, compute_report
from disclosure_audit.report.published import ReportUnreadable, check_published, compare_reports, read_report_html

_YEAR = re.compile(r"(20\d\d)\s*年")


def _published_items(cur: Any, org: str | None) -> list[tuple]:
    cur.execute(
        "SELECT i.site_id, i.organ_id, o.name, i.content_id, i.url, i.title, i.detail_capture_id, c.warc_file, "
        "c.warc_offset, c.sha256 FROM core.items i "
        "JOIN core.sites s ON s.site_id = i.site_id AND s.audited "
        "JOIN core.orgs o ON o.site_id = i.site_id AND o.organ_id = i.organ_id "
        "LEFT JOIN core.captures c ON c.capture_id = i.detail_capture_id "
        "WHERE i.type = 3 AND i.removed_at IS NULL AND i.version > 0 AND (%s::text IS NULL OR o.name = %s) "
        "ORDER BY o.name, i.content_id",
        (org, org),
    )
    return cur.fetchall()


def _lineage(ours: dict[str, Any], table: str, row: str, column: str) -> list[int]:
    if table != "table2":
        return []
    try:
        cell = F.table2_cell(ours, row, column)
    except KeyError:
        return []
    return [i["content_id"] for i in cell.get("items", [])]


def audit_published(conn: Any, data_dir: Path, *, org: str | None = None, year: int | None = None) -> list[dict]:
    """One entry per published report (filtered by organisation and report year)."""
    with conn.cursor() as cur:
        rows = _published_items(cur, org)
    read: dict[tuple[int, int, int], dict] = {}
    entries: list[dict] = []
    for site_id, organ_id, name, cid, url, title, capture_id, warc_file, offset, sha in rows:
        m = _YEAR.search(title or "")
        report_year = int(m.group(1)) if m else None
        if year is not None and report_year not in (year, year - 1):
            continue  # the previous year is read for C5
        entry: dict[str, Any] = {
            "site_id": site_id,
            "org": name,
            "year": report_year,
            "content_id": cid,
            "url": url,
            "capture_id": capture_id,
            "capture_sha256": sha,
        }
        if capture_id is None:
            entries.append({**entry, "status": "unreadable", "error": "没有页面快照 / no capture of the page"})
            continue
        try:
            body = read_capture(data_dir, warc_file, offset).body
            report = read_report_html(body, url=url, year=report_year)
        except (ReportUnreadable, OSError, ValueError) as exc:
            entries.append({**entry, "status": "unreadable", "error": str(exc)})
            continue
        report["org"], report["organ_id"], report["site_id"] = name, organ_id, site_id
        entry["report"] = report
        if report.get("year") is not None:
            read[(site_id, organ_id, report["year"])] = report
        entries.append(entry)
    out = []
    for entry in entries:
        report = entry.pop("report", None)
        if report is None:
            if year is None or entry["year"] in (year, None):
                out.append(entry)
            continue
        if year is not None and report.get("year") != year:
            continue
        previous = read.get((report["site_id"], report["organ_id"], (report.get("year") or 0) - 1))
        breaches = [b.as_dict() for b in check_published(report, previous)]
        entry.update(
            status="inconsistent" if any(b["severity"] == "error" for b in breaches) else "consistent",
            format=report["format"],
            unread=report.get("unread", []),
            breaches=breaches,
        )
        try:
            ours = compute_report(conn, entry["org"], report["year"], site_id=report["site_id"], previous=False)
        except ReportError as exc:
            entry["comparison_error"] = str(exc)
        else:
            differences = []
            for d in compare_reports(ours, report):
                if d["status"] == "differs":
                    d["our_items"] = _lineage(ours, d["table"], d["row"], d["column"])
                    differences.append(d)
            entry["differences"] = differences
        out.append(entry)
    return out


def as_checked(entries: list[dict]) -> list:
    """The entries of `audit_published` as reports for report.findings (unreadable ones decide nothing)."""
    from disclosure_audit.report.findings import CheckedReport

    out = []
    for e in entries:
        out.append(
            CheckedReport(
                site_id=e["site_id"],
                subject=str(e["content_id"]),
                org=e["org"],
                content_id=e["content_id"],
                breaches=e.get("breaches", []),
                evidence={
                    "url": e["url"],
                    "year": e["year"],
                    "capture_id": e["capture_id"],
                    "capture_sha256": e["capture_sha256"],
                    "published": True,
                },  # fmt: skip
                unreadable=e["status"] == "unreadable",
            )
        )
    return out
