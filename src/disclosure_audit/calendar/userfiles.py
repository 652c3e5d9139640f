"""User data files: one <year>.json per newly announced State Council schedule, validated strictly."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path

from disclosure_audit.calendar.errors import CalendarError, CalendarFileError
from disclosure_audit.calendar.sources import FILE, YearSchedule, make_schedule

ENV_DIR = "DISCLOSURE_CALENDAR_DIR"
# Shipped with the package (package-data "data/*" in pyproject.toml puts them into wheels).
PACKAGE_DIR = Path(__file__).resolve().parent / "data"

REQUIRED_KEYS = frozenset({"year", "source", "days_off", "makeup_workdays"})
OPTIONAL_KEYS = frozenset({"url", "note"})
_FILE_NAME = re.compile(r"^(\d{4})\.json$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")  # date.fromisoformat would also take 20270101

EXAMPLE = (
    '{"year": 2027, "source": "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕N号）", '
    '"days_off": ["2027-01-01", ...], "makeup_workdays": ["2027-02-06", ...]}'
)


def calendar_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """Where year files are read from: the package's data folder, then DISCLOSURE_CALENDAR_DIR if set."""
    env = os.environ if env is None else env
    dirs = [PACKAGE_DIR]
    setting = env.get(ENV_DIR, "").strip()
    if setting:
        extra = Path(setting).expanduser()
        if not extra.is_dir():
            raise CalendarError(
                f"{ENV_DIR} is set to {setting!r}, which is not a directory. Point it at a folder of "
                "<year>.json files, or unset it."
            )
        dirs.append(extra)
    return dirs


def read_year_files(dirs: list[Path]) -> list[YearSchedule]:
    """Every <year>.json of `dirs`, validated; files of other types are ignored (e.g. a README)."""
    schedules = []
    for folder in dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            schedules.append(read_year_file(path))
    return schedules


def read_year_file(path: Path) -> YearSchedule:
    """One validated year file; a CalendarFileError naming the file and the problem otherwise."""

    def fail(problem: str) -> CalendarFileError:
        return CalendarFileError(f"Calendar data file {path}: {problem}. Expected a file like {EXAMPLE}.")

    named = _FILE_NAME.match(path.name)
    if not named:
        raise fail("the name must be <year>.json, e.g. 2027.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot be read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise fail(f"is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise fail("must hold one JSON object")
    missing = sorted(REQUIRED_KEYS - data.keys())
    if missing:
        raise fail(f"misses {', '.join(missing)}")
    unknown = sorted(data.keys() - REQUIRED_KEYS - OPTIONAL_KEYS)
    if unknown:
        raise fail(f"has unknown keys {', '.join(unknown)} (allowed besides the required ones: url, note)")

    year = data["year"]
    if type(year) is not int:  # bool is an int subclass; "2027" is a string
        raise fail(f'"year" must be a number, not {year!r}')
    if str(year) != named.group(1):
        raise fail(f'"year" is {year}, but the file is named {path.name}')
    source = data["source"]
    if not isinstance(source, str) or not source.strip():
        raise fail('"source" must name the notice, e.g. 国务院办公厅关于2027年部分节假日安排的通知')
    for key in ("url", "note"):
        if key in data and not isinstance(data[key], str):
            raise fail(f'"{key}" must be a string')

    days_off = _dates(data["days_off"], "days_off", year, fail)
    makeup = _dates(data["makeup_workdays"], "makeup_workdays", year, fail)
    if not days_off:
        raise fail('"days_off" is empty; every notice gives days off')
    overlap = sorted(set(days_off) & set(makeup))
    if overlap:
        raise fail(f"{', '.join(d.isoformat() for d in overlap)} in both days_off and makeup_workdays")
    weekdays = [d for d in makeup if d.weekday() < 5]
    if weekdays:
        shown = ", ".join(f"{d.isoformat()} ({d.strftime('%a')})" for d in weekdays)
        raise fail(f"make-up working days must be a Saturday or Sunday, but {shown} is not")
    schedule = make_schedule(year, FILE, f"file {path}", days_off, makeup, notice=source.strip())
    return replace(schedule, path=str(path))


def _dates(value: object, key: str, year: int, fail) -> list[date]:
    if not isinstance(value, list):
        raise fail(f'"{key}" must be a list of "YYYY-MM-DD" strings')
    days: list[date] = []
    for item in value:
        if not isinstance(item, str) or not _ISO_DATE.match(item):
            raise fail(f'"{key}" holds {item!r}, not a "YYYY-MM-DD" string')
        try:
            day = date.fromisoformat(item)
        except ValueError:
            raise fail(f'"{key}" holds {item!r}, which is not a real date') from None
        if day.year != year:
            raise fail(f'"{key}" holds {item}, which is not in {year}')
        if day in days:
            raise fail(f'"{key}" lists {item} twice')
        days.append(day)
    return days
