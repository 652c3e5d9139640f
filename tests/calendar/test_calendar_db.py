"""ref.workdays, ref.calendar_years and ref.workday_lag on a real database, against the Python calendar."""

from __future__ import annotations

import contextlib
import random
from datetime import date, timedelta

import pytest

from disclosure_audit import calendar
from disclosure_audit.calendar.db import load_workdays
from disclosure_audit.store import server

from .conftest import SCHEDULE_2027, d


def _query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with contextlib.closing(server.connect(url)) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _lag(url: str, written: str | None, published: str | None) -> int | None:
    return _query(url, "SELECT ref.workday_lag(%s::date, %s::date)", (written, published))[0][0]


@pytest.fixture(scope="module")
def loaded_url(database_url: str) -> str:
    """The session database with the default calendar loaded (the data every check would see)."""
    calendar.clear_cache()
    load_workdays(database_url)
    return database_url


def test_the_loader_fills_every_covered_day_and_year(loaded_url):
    cal = calendar.get_calendar()
    rows = _query(
        loaded_url,
        "SELECT min(day), max(day), count(*), count(*) FILTER (WHERE is_workday), max(workday_seq), "
        "count(DISTINCT calendar_version) FROM ref.workdays",
    )
    first, last, days, workdays, top, versions = rows[0]
    assert (first, last) == (date(2004, 1, 1), date(2026, 12, 31))
    assert days == (last - first).days + 1
    assert workdays == top == sum(y.workdays for y in cal.covered_years())
    assert versions == 1
    years = _query(loaded_url, "SELECT year, source, days_off, makeup_workdays FROM ref.calendar_years ORDER BY year")
    assert [y[0] for y in years] == list(range(2004, 2027))
    y2024 = dict((y[0], y[1:]) for y in years)[2024]
    assert y2024[0].startswith("国务院办公厅关于2024年部分节假日安排的通知（chinese_calendar")
    assert y2024[1:] == (19, 8)
    source, version = _query(loaded_url, "SELECT source, calendar_version FROM ref.workdays WHERE day = '2005-12-31'")[
        0
    ]
    assert "国办发明电〔2005〕35号" in source and version == cal.version


@pytest.mark.parametrize(
    ("written", "published", "lag"),
    [
        ("2024-09-20", "2024-10-23", 20),
        ("2024-09-20", "2024-10-24", 21),
        ("2025-01-15", "2025-02-18", 20),
        ("2025-01-15", "2025-02-19", 21),
        ("2020-09-18", "2020-10-22", 20),
        ("2020-01-23", "2020-02-03", 1),
        ("2024-10-11", "2024-10-12", 1),
        ("2024-10-08", "2024-10-08", 0),
        ("2024-10-23", "2024-09-20", -20),  # negative: the count the other way, negated
        ("2026-12-30", "2027-01-04", None),  # 2027 not covered
        ("2027-01-04", "2027-02-01", None),
        ("2003-12-30", "2004-01-05", None),
        (None, "2024-10-23", None),
    ],
)
def test_sql_workday_lag(loaded_url, written, published, lag):
    assert _lag(loaded_url, written, published) == lag


def test_sql_equals_python_on_thousands_of_random_pairs(loaded_url):
    cal = calendar.get_calendar()
    rng = random.Random(26)
    # from half a year before the first covered day to a year after the last, so some are not covered
    start, span = date(2003, 7, 1), (date(2027, 12, 31) - date(2003, 7, 1)).days
    pairs = []
    for n in range(4000):
        written = start + timedelta(days=rng.randrange(span))
        # mostly realistic lags (within 90 days, some negative), some anywhere
        published = (
            written + timedelta(days=rng.randrange(-10, 90)) if n % 4 else start + timedelta(rng.randrange(span))
        )
        pairs.append((written, published))
    got = _query(
        loaded_url,
        "SELECT ref.workday_lag(w, p) FROM unnest(%s::date[], %s::date[]) WITH ORDINALITY AS t(w, p, i) ORDER BY i",
        ([w for w, _ in pairs], [p for _, p in pairs]),
    )
    expected = [cal.workday_lag(w, p) for w, p in pairs]
    assert [g for (g,) in got] == expected
    assert any(e is None for e in expected) and sum(e is not None for e in expected) > 3000


def test_loading_twice_leaves_the_same_rows(loaded_url):
    table = "SELECT day, is_workday, workday_seq, year, source, calendar_version FROM ref.workdays ORDER BY day"
    years = "SELECT year, source, days_off, makeup_workdays FROM ref.calendar_years ORDER BY year"
    before = (_query(loaded_url, table), _query(loaded_url, years))
    result = load_workdays(loaded_url)
    assert (result.first_year, result.last_year, result.days) == (2004, 2026, len(before[0]))
    assert (_query(loaded_url, table), _query(loaded_url, years)) == before


def test_a_2027_file_makes_2027_evaluable_in_sql_too(fresh_db, write_year):
    load_workdays(fresh_db)
    assert _lag(fresh_db, "2027-02-04", "2027-02-15") is None
    write_year(SCHEDULE_2027)
    calendar.clear_cache()
    result = load_workdays(fresh_db)
    assert result.last_year == 2027
    assert _lag(fresh_db, "2027-02-04", "2027-02-15") == calendar.workday_lag(d("2027-02-04"), d("2027-02-15")) == 3
    assert _lag(fresh_db, "2026-12-30", "2027-01-04") == 2
    assert _query(fresh_db, "SELECT source FROM ref.calendar_years WHERE year = 2027")[0][0].startswith("测试用")


def test_loading_into_an_unmigrated_database_says_to_migrate(empty_database_url):
    with pytest.raises(calendar.CalendarError, match="db migrate"):
        load_workdays(empty_database_url)
