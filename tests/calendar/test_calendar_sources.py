"""The cross-check of the sources, the reviewed known differences, and user data files."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from disclosure_audit import calendar
from disclosure_audit.calendar import core, sources, userfiles
from disclosure_audit.calendar.known_differences import CHINESE_CALENDAR, KNOWN_DIFFERENCES

from .conftest import SCHEDULE_2027, d, library_year

CC = f"chinese_calendar {sources.package_version('chinese-calendar')}"
HOL = f"holidays {sources.package_version('holidays')}"


# ------------------------------------------------------------------ the two libraries


def test_holidays_is_used_only_where_it_has_a_notice():
    schedules = sources.holidays_schedules(range(2001, 2029))
    assert [y for y, s in schedules.items() if not s.estimated] == list(range(2001, 2027))
    assert schedules[2027].estimated and schedules[2028].estimated
    # every uncovered year up to next year is flagged, starting with the one after the last covered
    assert calendar.get_calendar().status().estimated_years[0] == 2027
    assert calendar.get_calendar().status().holidays_only_years == [2001, 2002, 2003]


def test_holidays_names_make_up_days_inside_the_days_off_they_pay_for():
    schedule = sources.holidays_schedules([2024])[2024]
    assert {d("2024-09-29"), d("2024-10-12"), d("2024-02-04"), d("2024-02-18")} <= schedule.work_weekends
    # a make-up day of 2005 that only a 2006 entry names ("substituted from 12/31/2005")
    assert d("2005-12-31") in sources.holidays_schedules([2005])[2005].work_weekends


def test_an_unreadable_substitution_label_is_refused_not_skipped():
    with pytest.raises(calendar.CalendarError, match="label format changed"):
        sources._substituted_from("Day off (substituted from 29.09.2024)")
    assert sources._substituted_from("休息日（由 2024-09-29 调休）") == d("2024-09-29")
    assert sources._substituted_from("National Day") is None


def test_every_known_difference_is_still_a_real_difference_with_the_pinned_versions():
    raw_chinese = sources.chinese_calendar_schedules()
    raw_holidays = sources.holidays_schedules(range(2004, 2027))
    for diff in KNOWN_DIFFERENCES:
        assert diff.notice and diff.explanation and diff.reference
        wrong = raw_chinese if diff.wrong_source == CHINESE_CALENDAR else raw_holidays
        other = raw_holidays if diff.wrong_source == CHINESE_CALENDAR else raw_chinese
        assert wrong[diff.year].is_workday(diff.day) is not diff.is_workday, f"{diff.day}: fixed upstream?"
        assert other[diff.year].is_workday(diff.day) is diff.is_workday
    assert calendar.get_calendar().status().stale_corrections == []


def test_without_the_reviewed_table_the_libraries_disagree_on_2005_and_the_build_fails(monkeypatch):
    monkeypatch.setattr(sources, "KNOWN_DIFFERENCES", ())
    with pytest.raises(calendar.CalendarMismatchError) as caught:
        calendar.build_calendar(env={})
    error = caught.value
    assert error.year == 2005
    assert [x.day for x in error.disagreements] == [d("2005-12-31")]
    message = str(error)
    assert "2005-12-31 (Sat)" in message
    assert f"{CC} says day off" in message and f"{HOL} says working day" in message


def test_a_library_that_drifts_from_the_other_fails_loudly(monkeypatch):
    real = sources.chinese_calendar_schedules

    def doctored():
        schedules = real()
        s = schedules[2024]
        # drop the make-up Saturday 2024-10-12 and give Tuesday 2024-10-08 off instead
        schedules[2024] = replace(
            s, work_weekends=s.work_weekends - {d("2024-10-12")}, off_weekdays=s.off_weekdays | {d("2024-10-08")}
        )
        return schedules

    monkeypatch.setattr(core, "chinese_calendar_schedules", doctored)
    with pytest.raises(calendar.CalendarMismatchError) as caught:
        calendar.build_calendar(env={})
    assert caught.value.year == 2024
    assert [x.day for x in caught.value.disagreements] == [d("2024-10-08"), d("2024-10-12")]


# ------------------------------------------------------------------ user data files


def test_a_doctored_year_file_is_caught_by_the_cross_check(write_year):
    doctored = library_year(2024)
    doctored["makeup_workdays"].remove("2024-10-12")  # pretend 2024-10-12 was not worked
    doctored["days_off"].append("2024-10-08")  # ...and Oct 8 was off
    path = write_year(doctored)
    with pytest.raises(calendar.CalendarMismatchError) as caught:
        calendar.get_calendar()
    message = str(caught.value)
    assert caught.value.year == 2024
    assert f"2024-10-08 (Tue): {CC} says working day, {HOL} says working day, " in message
    assert f"file {path} says day off" in message
    assert "2024-10-12 (Sat)" in message
    # the same failure from the module-level API, every time (failures are not cached)
    with pytest.raises(calendar.CalendarMismatchError):
        calendar.is_workday(d("2024-10-12"))


def test_a_year_file_that_agrees_with_the_libraries_is_accepted_and_cited(write_year):
    data = library_year(2024)
    data["source"] = "国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号）"
    path = write_year(data)
    year = calendar.get_calendar().year(2024)
    assert year.source == data["source"]
    assert f"{CC} = {HOL} = file" in year.provenance
    assert calendar.status().files == [str(path)]
    assert calendar.workday_lag(d("2024-09-20"), d("2024-10-23")) == 20


def test_a_2027_file_makes_2027_evaluable(write_year):
    assert calendar.build_calendar(env={}).is_workday(d("2027-02-13")) is None
    write_year(SCHEDULE_2027)
    cal = calendar.get_calendar()
    assert cal.last_day == d("2027-12-31")
    assert cal.is_workday(d("2027-02-13")) is True  # a make-up Saturday of the file
    assert cal.is_workday(d("2027-02-08")) is False
    assert cal.is_workday(d("2027-03-01")) is True
    # 2027-02-04 (Thu) → 2027-02-15 (Mon): Feb 5–11 off, Feb 12 (Fri) and 13 (make-up Sat) and 15 worked
    assert cal.workday_lag(d("2027-02-04"), d("2027-02-15")) == 3
    assert cal.workday_lag(d("2026-12-30"), d("2027-01-04")) == 2  # Dec 31 and Jan 4; Jan 1 off
    year = cal.year(2027)
    assert year.source == SCHEDULE_2027["source"]
    assert "only (no second source" in year.provenance  # holidays only estimates 2027
    assert cal.status().estimated_years[0] == 2028
    assert "files 2027.json" in cal.version and cal.version != calendar.build_calendar(env={}).version


def test_years_must_stay_contiguous(write_year):
    data = dict(SCHEDULE_2027, year=2028, days_off=["2028-01-03"], makeup_workdays=[])
    write_year(data)
    with pytest.raises(calendar.CalendarError, match="no schedule for 2027"):
        calendar.get_calendar()


def test_the_calendar_dir_must_exist(tmp_path, monkeypatch):
    monkeypatch.setenv(calendar.ENV_DIR, str(tmp_path / "missing"))
    with pytest.raises(calendar.CalendarError, match="not a directory"):
        calendar.get_calendar()


def test_other_files_in_the_calendar_dir_are_ignored(calendar_dir):
    (calendar_dir / "README.md").write_text("notes")
    assert calendar.get_calendar().last_day == d("2026-12-31")


def test_the_package_data_folder_ships_no_guessed_year():
    assert userfiles.PACKAGE_DIR.is_dir()
    for path in userfiles.PACKAGE_DIR.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert "国务院办公厅" in data["source"], path  # every shipped year cites its notice


def _variant(**changes):
    data = dict(SCHEDULE_2027)
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("content", "name", "problem"),
    [
        (SCHEDULE_2027, "2027-holidays.json", "the name must be <year>.json"),
        (SCHEDULE_2027, "2026.json", '"year" is 2027, but the file is named 2026.json'),
        ("{not json", "2027.json", "is not valid JSON"),
        ("[1, 2]", "2027.json", "must hold one JSON object"),
        ({k: v for k, v in SCHEDULE_2027.items() if k != "source"}, "2027.json", "misses source"),
        (_variant(makeup_days=[]), None, "unknown keys makeup_days"),
        (_variant(year="2027"), "2027.json", '"year" must be a number'),
        (_variant(source=" "), None, '"source" must name the notice'),
        (_variant(days_off="2027-01-01"), None, '"days_off" must be a list'),
        (_variant(days_off=["2027/01/01"]), None, 'not a "YYYY-MM-DD" string'),
        (_variant(days_off=["20270101"]), None, 'not a "YYYY-MM-DD" string'),
        (_variant(days_off=["2027-02-30"]), None, "not a real date"),
        (_variant(days_off=["2026-12-31"]), None, "2026-12-31, which is not in 2027"),
        (_variant(makeup_workdays=["2028-01-01"]), None, "2028-01-01, which is not in 2027"),
        (_variant(days_off=["2027-01-01", "2027-01-01"]), None, "lists 2027-01-01 twice"),
        (_variant(days_off=[]), None, '"days_off" is empty'),
        (_variant(makeup_workdays=["2027-02-13", "2027-02-06"]), None, "2027-02-06 in both"),
        (_variant(makeup_workdays=["2027-02-12"]), None, "2027-02-12 (Fri) is not"),
        (_variant(url=5), None, '"url" must be a string'),
    ],
)
def test_year_files_are_validated_strictly_with_the_file_named(write_year, content, name, problem):
    path = write_year(content, name)
    with pytest.raises(calendar.CalendarFileError) as caught:
        calendar.get_calendar()
    message = str(caught.value)
    assert message.startswith(f"Calendar data file {path}: ")
    assert problem in message


def test_status_flags_every_uncovered_year_up_to_next_year():
    later = calendar.build_calendar(env={}, today=d("2029-03-01")).status()
    assert later.estimated_years == [2027, 2028, 2029, 2030]
    assert later.years[-1].year == 2026  # estimates never become covered years
