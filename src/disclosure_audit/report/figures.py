"""The annual report of one organisation and year, computed from the database (report.* views).

`compute_report` fills the skeleton of `report.format.empty_report`:
- table 二 （一）项 from report.table2_register, each cell with its lineage (`items`: the documents it
  counts, with URL and the sha256 of the capture that showed the deciding value) and `undetermined`
  (documents the data cannot decide: the figure is then a lower bound);
- the other table-二 rows and tables 三/四 from the application register and the figures file the office
  imported (report.register), when there are any; otherwise they stay None (not known), never 0;
- published items by kind, on-time rates and open findings, for section 一 and the charts;
- the identities C1–C6, C8 (report.identities) over the result.

Never silent: when the latest crawl could not read a register column of the organisation, the （一）项
cells of its row are None with the reason, not counts of what happened to be read.
"""

from __future__ import annotations

from typing import Any

from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.report import format as F
from disclosure_audit.report import identities

FIGURE_COLUMNS_2021 = (F.ISSUED, F.ABOLISHED, F.IN_FORCE)
PUBLISHED = "本年公开件数"  # the register's documents published in the year (trial format only)
ROWS_2021 = (F.ROW_RULES, F.ROW_NORMATIVE)


class ReportError(DisclosureAuditError):
    """A report that cannot be computed as asked (unknown organisation, no crawl, a frozen year ...)."""


def find_org(cur: Any, org: str, site_id: int | None = None) -> tuple[int, int, str]:
    """(site_id, organ_id, name) of an organisation named `org` (full name) on an audited site."""
    cur.execute(
        "SELECT o.site_id, o.organ_id, o.name FROM core.orgs o JOIN core.sites s ON s.site_id = o.site_id "
        "WHERE s.audited AND o.name = %s AND (%s::int IS NULL OR o.site_id = %s) ORDER BY o.site_id",
        (org, site_id, site_id),
    )
    rows = cur.fetchall()
    if not rows:
        cur.execute("SELECT DISTINCT name FROM core.orgs ORDER BY name")
        known = "、".join(r[0] for r in cur.fetchall()) or "（无 / none: crawl a site first）"
        raise ReportError(f"没有名为“{org}”的机关 / no organisation named {org!r}; crawled organisations: {known}")
    if len(rows) > 1:
        raise ReportError(
            f"“{org}”出现在多个站点 / {org!r} is on several sites ({', '.join(str(r[0]) for r in rows)}): "
            "name the site with --site-id"
        )
    return rows[0]


def _register_cells(cur: Any, site_id: int, organ_id: int, year: int) -> dict[tuple[str, str], dict[str, Any]]:
    cur.execute(
        "SELECT row_label, figure, value, undetermined FROM report.table2_register "
        "WHERE site_id = %s AND organ_id = %s AND year = %s",
        (site_id, organ_id, year),
    )
    cells = {(r, f): {"value": v, "undetermined_count": u} for r, f, v, u in cur.fetchall()}
    cur.execute(
        "SELECT row_label, figure, decision, content_id, title, url, capture_sha256, source, reason "
        "FROM report.register_figure_items WHERE site_id = %s AND organ_id = %s AND year = %s "
        "ORDER BY row_label, figure, content_id",
        (site_id, organ_id, year),
    )
    for row, figure, decision, cid, title, url, sha, source, reason in cur.fetchall():
        cell = cells.setdefault((row, figure), {"value": 0, "undetermined_count": 0})
        entry = {"content_id": cid, "title": title, "url": url, "sha256": sha, "source": source}
        if decision == "counted":
            cell.setdefault("items", []).append(entry)
        else:
            cell.setdefault("undetermined", []).append({**entry, "reason": reason})
    return cells


def _unread_rows(cur: Any, site_id: int, organ_id: int) -> dict[str, str]:
    """Rows of （一）项 the latest crawl could not read a column of: {row: reason}."""
    cur.execute(
        "SELECT row_label, column_name, run_id, error FROM report.unread_columns "
        "WHERE site_id = %s AND organ_id = %s AND outcome = 'unreadable' AND row_label IS NOT NULL",
        (site_id, organ_id),
    )
    return {
        row: f"栏目“{column}”在采集 {run_id} 中未能读取，不计算 / column {column} could not be read in crawl run "
        f"{run_id}: not computed ({error or 'unreadable'})"
        for row, column, run_id, error in cur.fetchall()
    }


def _fill_register(report: dict[str, Any], cur: Any, site_id: int, organ_id: int, year: int) -> None:
    cells = _register_cells(cur, site_id, organ_id, year)
    unread = _unread_rows(cur, site_id, organ_id)
    fmt = report["format"]
    for row in report["table2"]:
        if row["block"] != F.BLOCK_1:
            continue
        label = F.ROW_NORMATIVE if row["row"] == F.ROW_NORMATIVE_2019 else row["row"]
        for cell in row["cells"]:
            column = cell["column"]
            if fmt == "2019":
                # trial format: 本年新制作 = issued (成文日期), 本年新公开 = published (发布日期) in the year,
                # 对外公开总数量 = in force on 31 December
                column = {F.NEW_MADE_2019: F.ISSUED, F.NEW_PUBLISHED_2019: PUBLISHED}.get(column, F.IN_FORCE)
            if label in unread:
                cell.update(value=None, source="crawl", not_computed=unread[label])
                continue
            got = cells.get((label, column), {"value": 0, "undetermined_count": 0})
            cell.update(
                value=got["value"],
                source="crawl",
                items=got.get("items", []),
                undetermined=got.get("undetermined", []),
            )


def _fill_supplied(report: dict[str, Any], conn: Any, org: str, year: int) -> None:
    """Tables 三/四 and the other table-二 rows from what the office imported (report.register)."""
    from disclosure_audit.report.register import tables_from_register

    supplied = tables_from_register(conn, org, year)
    if supplied.get("table3"):
        report["table3"] = supplied["table3"]
    if supplied.get("table4"):
        report["table4"] = supplied["table4"]
    for row in supplied.get("table2") or []:
        for cell in row["cells"]:
            # the import validated every (row, column) against the year's format: a miss is a defect, never skipped
            target = F.table2_cell(report, row["row"], cell["column"])
            if target.get("source") != "crawl":  # （一）项 comes from the crawl
                target.update(cell)
    for key in ("fees", "imports", "notes"):
        if key in supplied:
            report[key] = supplied[key]


def _fill_activity(report: dict[str, Any], cur: Any, site_id: int, organ_id: int, org: str, year: int) -> None:
    cur.execute(
        "SELECT kind, items FROM report.published_by_kind WHERE site_id = %s AND organ_id = %s AND year = %s "
        "ORDER BY array_position(ARRAY['文件', '政策解读', '回应关切', '结果公开', '其他'], kind)",
        (site_id, organ_id, year),
    )
    by_kind = [[k, n] for k, n in cur.fetchall()]
    report["published"] = {"total": sum(n for _, n in by_kind), "by_kind": by_kind}
    cur.execute(
        "SELECT month, count(*) FROM report.published_items WHERE site_id = %s AND organ_id = %s AND year = %s "
        "GROUP BY month ORDER BY month",
        (site_id, organ_id, year),
    )
    per_month = dict(cur.fetchall())
    cur.execute(
        "SELECT month, rate FROM report.ontime_rates WHERE site_id = %s AND organ_id = %s AND year = %s "
        "AND rule_id = 'timing.publish_lag' AND month IS NOT NULL",
        (site_id, organ_id, year),
    )
    rates = {m: float(r) for m, r in cur.fetchall()}
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    cur.execute(
        "SELECT rule_id, rate, judged FROM report.ontime_rates WHERE site_id = %s AND organ_id = %s AND year = %s "
        "AND month IS NULL ORDER BY rule_id",
        (site_id, organ_id, year),
    )
    report["ontime"] = [{"rule_id": r, "rate": float(x), "judged": n} for r, x, n in cur.fetchall()]
    cur.execute(
        "SELECT rule_id, rule_title, open FROM report.findings_summary WHERE site_id = %s AND org = %s AND open > 0 "
        "ORDER BY open DESC, rule_id",
        (site_id, org),
    )
    report["charts"] = {
        "published_per_month": [[m, per_month.get(m, 0)] for m in months],
        "ontime_rate": [[m, rates.get(m)] for m in months],
        "open_findings_by_rule": [list(r) for r in cur.fetchall()],
    }


def compute_report(conn: Any, org: str, year: int, *, site_id: int | None = None, previous: bool = True) -> dict:
    """The report of `org` for `year` as the data stands now (see the module docstring)."""
    if year < 2019:
        raise ReportError(f"年报格式自2019年度起适用 / report years start at 2019 (the trial format); got {year}")
    with conn.cursor() as cur:
        site_id, organ_id, name = find_org(cur, org, site_id)
        cur.execute("SELECT as_of FROM qa.site_as_of WHERE site_id = %s", (site_id,))
        as_of = cur.fetchone()
        if as_of is None:
            raise ReportError(f"站点 {site_id} 尚无完成的采集 / site {site_id} has no finished crawl yet")
        report = F.empty_report(year, name, organ_id=organ_id, site_id=site_id)
        report["data_as_of"] = as_of[0].isoformat()
        _fill_register(report, cur, site_id, organ_id, year)
        _fill_activity(report, cur, site_id, organ_id, name, year)
    _fill_supplied(report, conn, name, year)
    before = None
    if previous and year > 2019:
        before = frozen_report(conn, site_id, organ_id, year - 1) or compute_report(
            conn, name, year - 1, site_id=site_id, previous=False
        )
    report["identity_breaches"] = [b.as_dict() for b in identities.check_report(report, before)]
    report["frozen"] = None
    return report


def frozen_report(conn: Any, site_id: int, organ_id: int, year: int) -> dict | None:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT figures, frozen_at, calendar_version FROM report.frozen_reports "
            "WHERE site_id = %s AND organ_id = %s AND year = %s",
            (site_id, organ_id, year),
        )
        row = cur.fetchone()
    if row is None:
        return None
    figures = dict(row[0])
    figures["frozen"] = {"frozen_at": row[1].isoformat(), "calendar_version": row[2]}
    return figures
