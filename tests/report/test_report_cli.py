"""The published reports checked from their captures, and the `report` commands end to end."""

from __future__ import annotations

import json

import openpyxl
import psycopg2
import pytest

from disclosure_audit.checks.validity import refresh_repeals
from disclosure_audit.cli import main
from disclosure_audit.replica.reports import INCONSISTENT_REPORT
from disclosure_audit.report.audit import audit_published
from disclosure_audit.store import server

QUAKE = "合肥市地震局"


def query(db: str, sql: str, args: tuple = ()) -> list[tuple]:
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


@pytest.fixture
def crawled(fresh_db, tmp_path, replica_at, crawl_run, monkeypatch):
    replica = replica_at(300)
    data = tmp_path / "data"
    with replica.day(0):
        run = crawl_run(replica, fresh_db, data)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT site_id FROM core.sites")
        refresh_repeals(fresh_db, cur.fetchone()[0], run.run_id)
    monkeypatch.setenv(server.ENV_URL, fresh_db)
    monkeypatch.setenv("DISCLOSURE_DATA_DIR", str(data))
    return fresh_db, data


def test_every_published_report_is_checked_and_the_broken_one_is_named(crawled) -> None:
    db, data = crawled
    entries = audit_published(psycopg2.connect(db), data)
    assert len(entries) == 5 * 7  # five organisations, report years 2019–2025
    assert all(e["status"] != "unreadable" for e in entries), [e for e in entries if e["status"] == "unreadable"]
    broken = [e for e in entries if e["status"] == "inconsistent"]
    assert [(e["org"], e["year"]) for e in broken] == [(INCONSISTENT_REPORT["org"], INCONSISTENT_REPORT["year"])]
    errors = sorted({b["identity"] for b in broken[0]["breaches"] if b["severity"] == "error"})
    assert errors == ["C1", "C7"]
    assert sum(b["identity"] == "C1" for b in broken[0]["breaches"]) == 2  # 自然人 and 总计
    # the published table 二 figures are the platform's; ours come from the crawl, with the items behind them
    quake = next(e for e in entries if e["org"] == QUAKE and e["year"] == 2022)
    assert quake["status"] == "consistent" and quake["capture_sha256"]
    differs = [d for d in quake["differences"] if d["table"] == "table2" and d["row"] == "行政规范性文件"]
    assert differs and all("our_items" in d for d in differs)


def test_a_report_page_lost_from_the_archive_is_unreadable_not_consistent(crawled) -> None:
    db, data = crawled
    for warc in data.rglob("*.warc.gz"):
        warc.write_bytes(b"")  # the captures are gone
    entries = audit_published(psycopg2.connect(db), data, org=QUAKE, year=2024)
    assert [e["status"] for e in entries] == ["unreadable"]
    assert entries[0]["url"] and entries[0]["capture_id"] and entries[0]["error"]


def test_report_annual_writes_each_format_and_check_published_exits_zero(crawled, tmp_path, capsys) -> None:
    db, _ = crawled
    out = tmp_path / "out"
    assert main(["report", "annual", "--year", "2025", "--org", QUAKE, "-o", str(out / "r.xlsx")]) == 0
    printed = capsys.readouterr().out
    assert "合肥市地震局 2025年政府信息公开工作年度报告" in printed and "行政规范性文件" in printed
    book = openpyxl.load_workbook(out / "r.xlsx")
    assert "表二 主动公开" in book.sheetnames
    for fmt in ("docx", "html", "json"):
        assert main(["report", "annual", "--year", "2025", "--org", QUAKE, "-o", str(out / f"r.{fmt}")]) == 0
        assert (out / f"r.{fmt}").stat().st_size > 1000
    assert json.loads((out / "r.json").read_text("utf-8"))["org"] == QUAKE
    capsys.readouterr()
    assert main(["report", "annual", "--year", "2024", "--org", QUAKE]) == 0
    assert json.loads(capsys.readouterr().out)["year"] == 2024

    assert main(["report", "annual", "--year", "2024", "--org", QUAKE, "--freeze", "-o", str(out / "f.json")]) == 0
    assert main(["report", "annual", "--year", "2024", "--org", QUAKE, "--freeze", "-o", str(out / "g.json")]) == 1
    assert "已冻结" in capsys.readouterr().err
    assert main(["report", "diff", "--year", "2024", "--org", QUAKE]) == 0
    assert "无变化" in capsys.readouterr().out

    assert main(["report", "check-published", "--year", "2022"]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert len(lines) == 5 and "1 不一致 inconsistent" in captured.err
    # C6 (in force vs last year's, a warning) does not hold in some published reports: warnings, not errors
    warnings = query(db, "SELECT count(*) FROM qa.findings WHERE rule_id = 'report.c6'")[0][0]
    assert f"新增 opened {2 + warnings}" in captured.err

    # the broken identities are findings of the report rules, on the published item, like any other rule
    broken = [e for e in lines if e["status"] == "inconsistent"][0]
    rows = query(db, "SELECT rule_id, subject, content_id, org, evidence FROM qa.findings "
                     "WHERE rule_id LIKE 'report.%%' AND rule_id <> 'report.c6' AND closed_at IS NULL "
                     "ORDER BY rule_id")  # fmt: skip
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("report.c1", broken["content_id"], INCONSISTENT_REPORT["org"]),
        ("report.c7", broken["content_id"], INCONSISTENT_REPORT["org"]),
    ]
    assert len(rows[0][4]["breaches"]) == 2 and rows[0][4]["url"] == broken["url"]
    assert query(db, "SELECT level, severity FROM qa.rules WHERE rule_id = 'report.c6'") == [("report", "warning")]
    # checking again keeps them open; checking another year does not close them
    assert main(["report", "check-published", "--year", "2022"]) == 0
    assert f"新增 opened 0, 仍未整改 still open {2 + warnings}, 已整改 closed 0" in capsys.readouterr().err
    open_ids = "SELECT finding_id FROM qa.findings WHERE rule_id LIKE 'report.%%' AND closed_at IS NULL"
    before = set(query(db, open_ids))
    assert len(before) == 2 + warnings
    assert main(["report", "check-published", "--year", "2023"]) == 0
    capsys.readouterr()
    assert before <= set(query(db, open_ids))


def test_an_unknown_organisation_is_one_clear_line(crawled, capsys) -> None:
    assert main(["report", "annual", "--year", "2025", "--org", "某某局"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("disclosure-audit: error: 没有名为“某某局”的机关") and "Traceback" not in err


def test_an_identity_finding_closes_when_the_report_holds_and_not_when_it_cannot_be_checked(crawled) -> None:
    from disclosure_audit.report.findings import CheckedReport, record_report_findings

    db, _ = crawled
    site_id = query(db, "SELECT site_id FROM core.sites")[0][0]
    conn = psycopg2.connect(db)

    def checked(*breaches: tuple[str, str], unreadable: bool = False) -> CheckedReport:
        return CheckedReport(
            site_id=site_id,
            subject="computed:6771:2025",
            org=QUAKE,
            content_id=None,
            breaches=[
                {"identity": i, "where": "表三", "expected": "1", "found": "2", "severity": s} for i, s in breaches
            ],
            unreadable=unreadable,
        )

    state = "SELECT rule_id, closed_at IS NULL, close_reason FROM qa.findings WHERE subject = 'computed:6771:2025'"
    assert record_report_findings(conn, [checked(("C1", "error"))]).opened == 1
    # C1 could not be checked this time (a cell not known): it stays open
    assert record_report_findings(conn, [checked(("C1", "unknown"))]).closed_passed == 0
    assert record_report_findings(conn, [checked(unreadable=True)]).closed_passed == 0
    assert query(db, state) == [("report.c1", True, None)]
    # the identity holds again: closed as passed
    assert record_report_findings(conn, [checked()]).closed_passed == 1
    assert query(db, state) == [("report.c1", False, "passed")]
