"""Working days and lags against the State Council schedules, through the cached module-level API."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from disclosure_audit import calendar, rules
from disclosure_audit.calendar.known_differences import KNOWN_DIFFERENCES

from .conftest import d


@pytest.mark.parametrize(
    ("written", "published", "lag"),
    [
        # 国庆 2024: Oct 1–7 off; make-up Sunday 2024-09-29 and Saturday 2024-10-12 count (33 calendar days)
        ("2024-09-20", "2024-10-23", 20),
        ("2024-09-20", "2024-10-24", 21),
        # 春节 2025: Jan 28–Feb 4 off; make-up Sunday 2025-01-26 and Saturday 2025-02-08 count
        ("2025-01-15", "2025-02-18", 20),
        ("2025-01-15", "2025-02-19", 21),
        # 国庆+中秋 2020: Oct 1–8 off; make-up Sunday 2020-09-27 and Saturday 2020-10-10 count
        ("2020-09-18", "2020-10-22", 20),
        ("2020-09-18", "2020-10-23", 21),
        # 2020 Spring Festival extended to Feb 2 (国办发明电〔2020〕1号): the make-up Saturday Feb 1 was
        # cancelled, so nothing between Jan 23 and Feb 3 is worked
        ("2020-01-23", "2020-02-03", 1),
        ("2020-01-17", "2020-01-20", 2),  # the make-up Sunday 2020-01-19 stayed a working day
        # a make-up Saturday counts, the Sunday after it does not
        ("2024-10-11", "2024-10-12", 1),
        ("2024-10-11", "2024-10-14", 2),
        # a holiday does not count: 2024-10-01..07 off, Oct 8 worked
        ("2024-09-30", "2024-10-08", 1),
        # the written day itself is never counted, the publication day is
        ("2024-10-08", "2024-10-08", 0),
        ("2024-10-08", "2024-10-09", 1),
        # across a year end: 2005-12-31 (Saturday) worked per 国办发明电〔2005〕35号, Jan 1–3 off
        ("2005-12-30", "2006-01-04", 2),
        # 2008 元旦: 2007-12-29 (Saturday) worked, Dec 30 – Jan 1 off
        ("2007-12-28", "2008-01-02", 2),
    ],
)
def test_lags_across_holidays_follow_the_official_schedule(written, published, lag):
    assert calendar.workday_lag(d(written), d(published)) == lag


@pytest.mark.parametrize(
    ("day", "work"),
    [
        ("2024-09-29", True),  # make-up Sunday before 国庆
        ("2024-10-12", True),  # make-up Saturday after 国庆
        ("2024-10-04", False),  # a Friday inside 国庆
        ("2024-10-13", False),  # an ordinary Sunday
        ("2025-02-08", True),  # make-up Saturday after 春节
        ("2025-01-28", False),  # 除夕, a day off since 2025
        ("2020-02-01", False),  # cancelled make-up Saturday (extended Spring Festival)
        ("2020-01-31", False),  # extension day
        ("2020-02-03", True),
        ("2005-12-31", True),  # the known difference: chinese_calendar says off, the notice says worked
        ("2004-05-08", True),  # 2004 五一 make-up Saturday
        ("2004-05-06", False),
        ("2015-09-03", False),  # 抗战胜利70周年纪念日
        ("2015-09-06", True),  # its make-up Sunday
    ],
)
def test_is_workday(day, work):
    assert calendar.is_workday(d(day)) is work


@pytest.mark.parametrize("day", ["2027-01-04", "2027-06-01", "2003-12-31", "1999-01-04"])
def test_years_without_an_official_schedule_are_not_covered(day):
    assert calendar.is_workday(d(day)) is None
    assert calendar.workday_lag(d("2026-12-20"), d(day)) is None
    assert calendar.workday_lag(d(day), d("2026-12-20")) is None


def test_the_covered_years_are_those_of_the_rule_catalogue():
    years = calendar.covered_years()
    assert [y.year for y in years] == list(range(rules.FIRST_SCHEDULED_YEAR, rules.LAST_SCHEDULED_YEAR + 1))
    assert all(y.source.startswith(f"国务院办公厅关于{y.year}年部分节假日安排的通知") for y in years)
    assert all("chinese_calendar" in y.provenance and "holidays" in y.provenance for y in years)
    by_year = {y.year: y for y in years}
    assert "延长2020年春节假期" in by_year[2020].source
    assert "国办发明电〔2005〕35号" in by_year[2005].source
    assert (by_year[2024].days_off, by_year[2024].makeup_workdays, by_year[2024].workdays) == (19, 8, 251)


def test_a_negative_lag_is_the_negative_count_the_other_way():
    assert calendar.workday_lag(d("2024-10-23"), d("2024-09-20")) == -20
    rng = random.Random(7)
    cal = calendar.get_calendar()
    for _ in range(500):
        a, b = (cal.first_day + timedelta(days=rng.randrange(8400)) for _ in range(2))
        assert cal.workday_lag(a, b) == -cal.workday_lag(b, a)


def test_lags_equal_a_day_by_day_count():
    cal = calendar.get_calendar()
    rng = random.Random(20240920)
    for _ in range(300):
        written = cal.first_day + timedelta(days=rng.randrange(8300))
        published = written + timedelta(days=rng.randrange(90))
        count = sum(cal.is_workday(written + timedelta(days=n)) for n in range(1, (published - written).days + 1))
        assert cal.workday_lag(written, published) == count, (written, published)


def test_every_day_matches_chinese_calendar_except_the_reviewed_differences():
    cal = calendar.get_calendar()
    corrected = {k.day for k in KNOWN_DIFFERENCES}
    day = cal.first_day
    while day <= cal.last_day:
        if day not in corrected:
            assert cal.is_workday(day) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_timestamps_count_as_their_day_and_other_types_are_refused():
    assert calendar.is_workday(datetime(2024, 10, 12, 23, 59)) is True
    assert calendar.workday_lag(datetime(2024, 9, 20, 8), date(2024, 10, 23)) == 20
    with pytest.raises(TypeError):
        calendar.is_workday("2024-10-12")


def test_the_calendar_is_built_once():
    assert calendar.get_calendar() is calendar.get_calendar()
