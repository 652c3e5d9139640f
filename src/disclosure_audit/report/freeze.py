"""Freezing a report year, and what changed since.

`freeze_year` stores the whole report of an organisation and year (report.frozen_reports) with the
calendar version and the rule parameters it was computed with, and the lineage of its table-二
（一）项 figures (report.frozen_figure_items), in one transaction. Triggers refuse any later update,
delete or truncate of both tables, for every role, and lineage rows for a year frozen earlier.

`diff_year` computes the year afresh and lists, figure by figure and document by document, what is
different from the frozen figures, with the reason the database gives (a document removed from the
site, a new document, fields that changed since the freeze).
"""

from __future__ import annotations

import json
from typing import Any

import psycopg2

from disclosure_audit.report import format as F
from disclosure_audit.report.figures import ReportError, compute_report, find_org, frozen_report


def freeze_year(conn: Any, org: str, year: int, *, site_id: int | None = None) -> dict:
    """Freeze `org`'s report for `year`; returns the frozen report. A year frozen before is an error."""
    report = compute_report(conn, org, year, site_id=site_id)
    if any(
        c.get("undetermined") or c.get("not_computed")
        for r in report["table2"]
        if r["block"] == F.BLOCK_1
        for c in r["cells"]
    ):
        report["frozen_with_undetermined"] = True
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT string_agg(DISTINCT calendar_version, ',' ORDER BY calendar_version) FROM ref.workdays "
            "WHERE date_part('year', day) BETWEEN %s AND %s",
            (year - 1, year + 1),
        )
        calendar_version = cur.fetchone()[0]
        cur.execute("SELECT COALESCE(jsonb_object_agg(rule_id, params), '{}') FROM qa.rule_params")
        params = cur.fetchone()[0]
        try:
            cur.execute(
                "INSERT INTO report.frozen_reports "
                "(site_id, organ_id, org, year, calendar_version, rule_params, figures) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING frozen_at",
                (
                    report["site_id"],
                    report["organ_id"],
                    report["org"],
                    year,
                    calendar_version,
                    json.dumps(params, ensure_ascii=False),
                    json.dumps(report, ensure_ascii=False, default=str),
                ),
            )
        except psycopg2.errors.UniqueViolation as exc:
            raise ReportError(
                f"{report['org']} {year} 年报已冻结，不可重新冻结 / the {year} report of {report['org']} is already "
                "frozen; `disclosure-audit report diff` shows what changed since"
            ) from exc
        frozen_at = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO report.frozen_figure_items (site_id, organ_id, year, row_label, figure, decision, content_id, "
            "url, title, source, reason, capture_sha256) "
            "SELECT site_id, organ_id, year, row_label, figure, decision, content_id, url, title, source, reason, "
            "capture_sha256 FROM report.register_figure_items WHERE site_id = %s AND organ_id = %s AND year = %s",
            (report["site_id"], report["organ_id"], year),
        )
    report["frozen"] = {"frozen_at": frozen_at.isoformat(), "calendar_version": calendar_version}
    return report


def _cells(report: dict[str, Any]) -> dict[tuple[str, str, str], Any]:
    out: dict[tuple[str, str, str], Any] = {}
    for row in report.get("table2", []):
        for cell in row["cells"]:
            out[("表二", row["row"], cell["column"])] = cell.get("value")
    for label, values in report.get("table3", {}).get("rows", []):
        for col, v in zip(F.APPLICANT_COLUMNS, values, strict=False):
            out[("表三", label, col)] = v
    for n, v in enumerate(report.get("table4", {}).get("values", [])):
        out[("表四", F.TABLE4_GROUPS[n // 5], F.TABLE4_COLUMNS[n % 5])] = v
    pub = report.get("published") or {}
    for kind, n in pub.get("by_kind", []):
        out[("主动公开", kind, "条数")] = n
    return out


def diff_year(conn: Any, org: str, year: int, *, site_id: int | None = None) -> dict:
    """{"figures": [...], "items": [...]} that differ between the frozen year and a fresh computation."""
    with conn.cursor() as cur:
        site_id, organ_id, name = find_org(cur, org, site_id)
    frozen = frozen_report(conn, site_id, organ_id, year)
    if frozen is None:
        raise ReportError(
            f"{name} {year} 年报尚未冻结 / the {year} report of {name} is not frozen: freeze it with "
            f"`disclosure-audit report annual --year {year} --org {name} --freeze`"
        )
    fresh = compute_report(conn, name, year, site_id=site_id)
    old, new = _cells(frozen), _cells(fresh)
    figures = [
        {"table": k[0], "row": k[1], "column": k[2], "frozen": old.get(k), "now": new.get(k)}
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    ]
    with conn.cursor() as cur:
        cur.execute(
            """
            WITH frozen AS (
                SELECT row_label, figure, decision, content_id FROM report.frozen_figure_items
                WHERE site_id = %(s)s AND organ_id = %(o)s AND year = %(y)s
            ), now AS (
                SELECT row_label, figure, decision, content_id FROM report.register_figure_items
                WHERE site_id = %(s)s AND organ_id = %(o)s AND year = %(y)s
            ), changed AS (
                SELECT COALESCE(f.row_label, n.row_label) AS row_label, COALESCE(f.figure, n.figure) AS figure,
                       COALESCE(f.content_id, n.content_id) AS content_id, f.decision AS frozen, n.decision AS now
                FROM frozen f FULL JOIN now n USING (row_label, figure, content_id)
                WHERE f.decision IS DISTINCT FROM n.decision
            )
            SELECT c.row_label, c.figure, c.content_id, c.frozen, c.now, i.url, i.title,
                   CASE
                       WHEN i.item_id IS NULL THEN '不再采集到 / no longer crawled'
                       WHEN i.removed_at IS NOT NULL THEN '已从网站删除 / removed from the site on '
                            || to_char(i.removed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')
                       WHEN i.first_seen_at > r.frozen_at THEN '冻结后新采集到 / first crawled after the freeze'
                       WHEN i.last_changed_at > r.frozen_at THEN '冻结后字段变化 / changed after the freeze: '
                            || COALESCE((SELECT array_to_string(v.changed_fields, ', ') FROM core.item_versions v
                                         WHERE v.item_id = i.item_id ORDER BY v.version DESC LIMIT 1), '')
                       ELSE '废止条款或规则参数变化 / a repeal clause, the calendar or a rule parameter changed'
                   END AS reason
            FROM changed c
            JOIN report.frozen_reports r ON r.site_id = %(s)s AND r.organ_id = %(o)s AND r.year = %(y)s
            LEFT JOIN core.items i ON i.site_id = %(s)s AND i.content_id = c.content_id
            ORDER BY c.row_label, c.figure, c.content_id
            """,
            {"s": site_id, "o": organ_id, "y": year},
        )
        items = [
            {
                "row": r[0],
                "figure": r[1],
                "content_id": r[2],
                "frozen": r[3],
                "now": r[4],
                "url": r[5],
                "title": r[6],
                "reason": r[7],
            }
            for r in cur.fetchall()
        ]
    return {
        "org": name,
        "year": year,
        "frozen_at": frozen["frozen"]["frozen_at"],
        "figures": figures,
        "items": items,
    }
