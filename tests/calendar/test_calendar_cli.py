"""`disclosure-audit calendar status|load` through the real entry point."""

from __future__ import annotations

import contextlib
import json

from disclosure_audit.cli import main
from disclosure_audit.store import server

from .conftest import SCHEDULE_2027, library_year


def test_status_lists_the_covered_years_chinese_first_and_flags_estimates(capsys):
    assert main(["calendar", "status"]) == 0
    out = capsys.readouterr().out
    assert "2004–2026（23 年 years）" in out
    line_2024 = next(line for line in out.splitlines() if line.strip().startswith("2024 "))
    assert line_2024.index("国务院办公厅关于2024年部分节假日安排的通知") < line_2024.index("State Council")
    assert "chinese_calendar" in line_2024 and "holidays" in line_2024
    line_2027 = next(line for line in out.splitlines() if line.strip().startswith("2027 "))
    assert "holidays 包仅为推测" in line_2027 and "only estimates" in line_2027
    assert "2005-12-31" in out and "2001–2003" in out


def test_status_json_and_a_user_file(capsys, write_year):
    path = write_year(SCHEDULE_2027)
    assert main(["calendar", "status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [y["year"] for y in data["years"]][-2:] == [2026, 2027]
    assert data["years"][-1]["source"] == SCHEDULE_2027["source"]
    assert data["files"] == [str(path)] and data["estimated_years"][0] == 2028


def test_status_fails_loudly_on_a_doctored_file(capsys, write_year):
    doctored = library_year(2025)
    doctored["days_off"].remove("2025-10-08")
    write_year(doctored)
    assert main(["calendar", "status"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("disclosure-audit: error: The holiday sources disagree on 2025")
    assert "2025-10-08 (Wed)" in err and "Traceback" not in err


def test_load_migrates_and_fills_ref_workdays(fresh_db, monkeypatch, capsys):
    monkeypatch.setenv(server.ENV_URL, fresh_db)
    assert main(["calendar", "load"]) == 0
    out = capsys.readouterr().out
    assert "已载入 loaded ref.workdays: 2004–2026" in out
    with contextlib.closing(server.connect(fresh_db)) as conn, conn.cursor() as cur:
        cur.execute("SELECT ref.workday_lag('2024-09-20', '2024-10-23'), count(*) FROM ref.calendar_years")
        assert cur.fetchone() == (20, 23)
