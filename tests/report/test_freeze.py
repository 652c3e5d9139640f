"""Computing a year's report from the database, freezing it, and what changed since; the reader role."""

from __future__ import annotations

import psycopg2
import pytest

from disclosure_audit.checks.validity import refresh_repeals
from disclosure_audit.report import format as F
from disclosure_audit.report.figures import ReportError, compute_report
from disclosure_audit.report.freeze import diff_year, freeze_year

QUAKE = "合肥市地震局"


def crawl_days(db, tmp_path, replica, crawl_run, days) -> None:
    for d in days:
        with replica.day(d):
            run = crawl_run(replica, db, tmp_path)
        with psycopg2.connect(db) as conn, conn.cursor() as cur:
            cur.execute("SELECT site_id FROM core.sites")
            site_id = cur.fetchone()[0]
        refresh_repeals(db, site_id, run.run_id)


@pytest.fixture
def day0(fresh_db, tmp_path, replica_at, crawl_run):
    replica = replica_at(300)
    crawl_days(fresh_db, tmp_path, replica, crawl_run, [0])
    return fresh_db, replica


def test_a_computed_report_holds_the_register_figures_with_lineage(day0) -> None:
    db, _ = day0
    with psycopg2.connect(db) as conn:
        report = compute_report(conn, QUAKE, 2022)
        with conn.cursor() as cur:
            cur.execute(
                "SELECT figure, value, undetermined FROM report.table2_register "
                "WHERE org = %s AND year = 2022 AND row_label = '行政规范性文件'",
                (QUAKE,),
            )
            want = {f: (v, u) for f, v, u in cur.fetchall()}
    assert report["format"] == "2021"
    for column in (F.ISSUED, F.ABOLISHED, F.IN_FORCE):
        cell = F.table2_cell(report, F.ROW_NORMATIVE, column)
        assert (cell["value"], len(cell["undetermined"])) == want[column]
        assert len(cell["items"]) == cell["value"]
        assert all(len(i["sha256"]) == 64 and i["url"].startswith("http") for i in cell["items"])
    assert 9100801 in [i["content_id"] for i in F.table2_cell(report, F.ROW_NORMATIVE, F.ABOLISHED)["items"]]
    # the replica has no 规章 column: zero, with nothing behind it
    assert F.table2_cell(report, F.ROW_RULES, F.ISSUED)["value"] == 0
    # not imported yet: tables 三 and 四 are not known, never zeros
    assert report["table3"]["rows"][0][1] == [None] * 7
    assert report["published"]["total"] == sum(n for _, n in report["published"]["by_kind"]) > 0
    assert len(report["charts"]["published_per_month"]) == 12

    trial = compute_report(psycopg2.connect(db), QUAKE, 2020)
    assert trial["format"] == "2019"
    assert [r["row"] for r in trial["table2"]][:2] == [F.ROW_RULES, F.ROW_NORMATIVE_2019]


def test_unknown_organisation_and_year_are_clear_errors(day0) -> None:
    db, _ = day0
    conn = psycopg2.connect(db)
    with pytest.raises(ReportError, match="没有名为.*crawled organisations: .*合肥市地震局"):
        compute_report(conn, "合肥市不存在局", 2022)
    with pytest.raises(ReportError, match="2019"):
        compute_report(conn, QUAKE, 2017)


def test_a_frozen_year_never_changes_and_diff_names_what_moved(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(300)
    crawl_days(fresh_db, tmp_path, replica, crawl_run, [0])
    conn = psycopg2.connect(fresh_db)
    frozen = freeze_year(conn, QUAKE, 2021)
    assert frozen["frozen"]["frozen_at"]
    with pytest.raises(ReportError, match="已冻结"):
        freeze_year(conn, QUAKE, 2021)
    assert diff_year(conn, QUAKE, 2021)["figures"] == []

    # even the owner cannot change a frozen year through SQL
    for statement in (
        "UPDATE report.frozen_reports SET figures = '{}'",
        "DELETE FROM report.frozen_reports",
        "TRUNCATE report.frozen_reports CASCADE",
        "UPDATE report.frozen_figure_items SET decision = 'undetermined'",
        "DELETE FROM report.frozen_figure_items",
        "INSERT INTO report.frozen_figure_items (site_id, organ_id, year, row_label, figure, decision, content_id) "
        "SELECT site_id, organ_id, year, '规章', '本年制发件数', 'counted', 1 FROM report.frozen_reports",
    ):
        with pytest.raises(psycopg2.Error, match="已冻结"), conn, conn.cursor() as cur:
            cur.execute(statement)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM report.frozen_figure_items")
        assert cur.fetchone()[0] > 0

    # day 1 is crawled; then a normative document in force in 2021 disappears from the site
    crawl_days(fresh_db, tmp_path, replica, crawl_run, [1])
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE core.items SET removed_at = now() WHERE content_id = ("
            " SELECT content_id FROM report.register_figure_items WHERE org = %s AND year = 2021"
            " AND figure = '现行有效件数' AND decision = 'counted' ORDER BY content_id LIMIT 1) RETURNING content_id",
            (QUAKE,),
        )
        gone = cur.fetchone()[0]
    diff = diff_year(conn, QUAKE, 2021)
    figures = {(f["table"], f["row"], f["column"]): (f["frozen"], f["now"]) for f in diff["figures"]}
    before, after = figures[("表二", F.ROW_NORMATIVE, F.IN_FORCE)]
    assert before - after == 1
    moved = [i for i in diff["items"] if i["content_id"] == gone and i["figure"] == F.IN_FORCE]
    assert moved and moved[0]["frozen"] == "counted" and moved[0]["now"] is None
    assert "删除" in moved[0]["reason"]
    # the frozen figures themselves did not move
    assert diff_year(conn, QUAKE, 2021)["frozen_at"] == frozen["frozen"]["frozen_at"]


def test_report_reader_reads_report_and_nothing_else(day0) -> None:
    db, _ = day0
    conn = psycopg2.connect(db)
    with conn.cursor() as cur:
        cur.execute("SET ROLE report_reader")
        for view in (
            "table2_register",
            "register_figure_items",
            "published_by_kind",
            "findings_summary",
            "ontime_rates",
            "frozen_reports",
            "unread_columns",
        ):
            cur.execute(f"SELECT count(*) FROM report.{view}")  # noqa: S608 - fixed names
            assert cur.fetchone()[0] >= 0
        cur.execute("SELECT count(*) FROM report.table2_register WHERE value > 0")
        assert cur.fetchone()[0] > 0
    conn.rollback()
    for statement in (
        "SELECT count(*) FROM core.items",
        "SELECT count(*) FROM qa.findings",
        "SELECT count(*) FROM ref.workdays",
        "INSERT INTO report.register_rows VALUES ('x', '规章')",
        "UPDATE report.publication_kinds SET kind = '其他'",
        "DELETE FROM report.frozen_reports",
        "CREATE TABLE report.mine (x int)",
    ):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn.cursor() as cur:
            cur.execute("SET ROLE report_reader")
            try:
                cur.execute(statement)
            finally:
                conn.rollback()
    with conn.cursor() as cur:
        cur.execute("SELECT rolcanlogin, rolpassword IS NULL FROM pg_authid WHERE rolname = 'report_reader'")
        assert cur.fetchone() == (False, True)
