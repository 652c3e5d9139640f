"""Calendar test fixtures: no stray DISCLOSURE_CALENDAR_DIR, a fresh cache, and year files in a temp folder."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from disclosure_audit import calendar
from disclosure_audit.calendar.sources import year_days

# A made-up 2027 schedule shaped like a real notice (元旦, 春节 on 2027-02-06, 国庆). It is test
# data, not the official one: it only has to be valid and unknown to the libraries.
SCHEDULE_2027 = {
    "year": 2027,
    "source": "测试用：国务院办公厅关于2027年部分节假日安排的通知（虚构 / made up for tests）",
    "days_off": [
        "2027-01-01",
        "2027-02-05",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
        "2027-02-09",
        "2027-02-10",
        "2027-02-11",
        "2027-10-01",
        "2027-10-04",
        "2027-10-05",
        "2027-10-06",
        "2027-10-07",
    ],
    "makeup_workdays": ["2027-02-13", "2027-09-26", "2027-10-09"],
}


@pytest.fixture(autouse=True)
def _isolated_calendar(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(calendar.ENV_DIR, raising=False)
    calendar.clear_cache()
    yield
    calendar.clear_cache()


@pytest.fixture
def calendar_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder that DISCLOSURE_CALENDAR_DIR points at."""
    folder = tmp_path / "calendar"
    folder.mkdir()
    monkeypatch.setenv(calendar.ENV_DIR, str(folder))
    return folder


@pytest.fixture
def write_year(calendar_dir: Path) -> Callable[..., Path]:
    """Write <year>.json (or `name`) into the calendar folder from a dict, or raw text."""

    def write(content: dict | str, name: str | None = None) -> Path:
        if isinstance(content, dict):
            name = name or f"{content['year']}.json"
            content = json.dumps(content, ensure_ascii=False)
        path = calendar_dir / (name or "x.json")
        path.write_text(content, encoding="utf-8")
        return path

    return write


def library_year(year: int) -> dict:
    """The year as the (corrected, cross-checked) libraries have it, in the data file format."""
    cal = calendar.build_calendar(env={})
    days = list(year_days(year))
    return {
        "year": year,
        "source": f"国务院办公厅关于{year}年部分节假日安排的通知",
        "days_off": [d.isoformat() for d in days if d.weekday() < 5 and not cal.is_workday(d)],
        "makeup_workdays": [d.isoformat() for d in days if d.weekday() >= 5 and cal.is_workday(d)],
    }


def d(text: str) -> date:
    return date.fromisoformat(text)
