"""The holiday sources — chinese_calendar and the holidays package — each read into one per-year shape."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from importlib.metadata import PackageNotFoundError, version

from disclosure_audit.calendar.errors import CalendarError
from disclosure_audit.calendar.known_differences import (
    CHINESE_CALENDAR,
    HOLIDAYS,
    KNOWN_DIFFERENCES,
    KnownDifference,
)

FILE = "file"

# The holidays package names a make-up working day only inside the day off it pays for:
# en_US "Day off (substituted from 09/29/2024)", zh_CN "休息日（由 2024-09-29 调休）".
_SUBSTITUTED = (
    re.compile(r"substituted from (?P<m>\d{2})/(?P<d>\d{2})/(?P<y>\d{4})"),
    re.compile(r"由\s*(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\s*调休"),
)
_SUBSTITUTED_HINT = re.compile(r"(?i)substitut|调休")


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class YearSchedule:
    """One source's schedule for one year, reduced to what decides a working day.

    Only two sets matter: weekdays (Mon–Fri) that are days off, and weekend days that are make-up
    working days. Sources differ in whether they list the weekend days inside a break, so weekend
    days off are dropped here; they are off either way.
    """

    year: int
    kind: str  # CHINESE_CALENDAR, HOLIDAYS or FILE
    source: str  # who says so: "chinese_calendar 1.11.0", "holidays 0.109", "file /path/2027.json"
    off_weekdays: frozenset[date]
    work_weekends: frozenset[date]
    notice: str | None = None  # the notice a data file cites
    path: str | None = None  # the data file, for FILE schedules
    estimated: bool = False  # holidays only: no State Council schedule in the package, only its rules
    corrected: tuple[KnownDifference, ...] = field(default=())

    def is_workday(self, day: date) -> bool:
        return (day.weekday() < 5 and day not in self.off_weekdays) or day in self.work_weekends


def make_schedule(
    year: int,
    kind: str,
    source: str,
    days_off: Iterable[date],
    makeup_workdays: Iterable[date],
    *,
    notice: str | None = None,
    estimated: bool = False,
) -> YearSchedule:
    """Normalise one source's lists for `year`; a library giving nonsense raises, naming the source."""
    days_off, makeup = set(days_off), set(makeup_workdays)
    problems = []
    outside = sorted(d for d in days_off | makeup if d.year != year)
    if outside:
        problems.append(f"dates outside {year}: {_dates(outside)}")
    both = sorted(days_off & makeup)
    if both:
        problems.append(f"dates both a day off and a make-up working day: {_dates(both)}")
    weekday_makeup = sorted(d for d in makeup if d.weekday() < 5)
    if weekday_makeup:
        problems.append(f"make-up working days that are not a Saturday or Sunday: {_dates(weekday_makeup)}")
    if problems:
        raise CalendarError(f"{source} gives an impossible schedule for {year}: {'; '.join(problems)}.")
    return YearSchedule(
        year=year,
        kind=kind,
        source=source,
        off_weekdays=frozenset(d for d in days_off if d.weekday() < 5),
        work_weekends=frozenset(makeup),
        notice=notice,
        estimated=estimated,
    )


def _dates(days: Iterable[date]) -> str:
    return ", ".join(d.isoformat() for d in days)


def apply_known_differences(schedule: YearSchedule) -> YearSchedule:
    """The schedule with the reviewed corrections for its source and year applied (see known_differences)."""
    off, work = set(schedule.off_weekdays), set(schedule.work_weekends)
    applied = []
    for diff in KNOWN_DIFFERENCES:
        if diff.wrong_source != schedule.kind or diff.year != schedule.year:
            continue
        if schedule.is_workday(diff.day) == diff.is_workday:
            continue  # fixed upstream: the entry is stale, status() reports it
        weekend = diff.day.weekday() >= 5
        if diff.is_workday:
            (work.add if weekend else off.discard)(diff.day)
        else:
            (work.discard if weekend else off.add)(diff.day)
        applied.append(diff)
    if not applied:
        return schedule
    return replace(schedule, off_weekdays=frozenset(off), work_weekends=frozenset(work), corrected=tuple(applied))


def stale_known_differences(
    chinese_calendar: dict[int, YearSchedule], holidays: dict[int, YearSchedule]
) -> list[KnownDifference]:
    """Entries whose library now already says what the notice says (raw data, before corrections)."""
    by_kind = {CHINESE_CALENDAR: chinese_calendar, HOLIDAYS: holidays}
    stale = []
    for diff in KNOWN_DIFFERENCES:
        schedule = by_kind.get(diff.wrong_source, {}).get(diff.year)
        if schedule is not None and not schedule.estimated and schedule.is_workday(diff.day) == diff.is_workday:
            stale.append(diff)
    return stale


def chinese_calendar_schedules() -> dict[int, YearSchedule]:
    """Every year chinese_calendar covers (it ships the State Council schedules), uncorrected."""
    import chinese_calendar

    source = f"chinese_calendar {package_version('chinese-calendar')}"
    off: dict[int, set[date]] = defaultdict(set)
    work: dict[int, set[date]] = defaultdict(set)
    for day in chinese_calendar.holidays:
        off[day.year].add(day)
    for day in chinese_calendar.workdays:
        work[day.year].add(day)
    # chinese_calendar itself refuses dates outside min..max year of its holiday table; so do we.
    first, last = min(off), max(off)
    return {
        year: make_schedule(year, CHINESE_CALENDAR, source, off[year], work[year]) for year in range(first, last + 1)
    }


def holidays_schedules(years: Iterable[int]) -> dict[int, YearSchedule]:
    """The holidays package's schedule for each of `years`, uncorrected, marked estimated where it guesses.

    The package returns something for any year: for years without a State Council notice in its
    tables it applies the statutory rules (weekend holidays move to the next weekday) and never
    names a make-up working day. So a year counts as scheduled there only when at least one of its
    days off names the weekend day it was swapped from; every notice since 2001 has such swaps.
    """
    import holidays

    wanted = sorted(set(years))
    if not wanted:
        return {}
    source = f"holidays {package_version('holidays')}"
    # A notice may swap a weekend day of the year before (2006-01-03 off for 2005-12-31 worked),
    # and the package files the swap under the day off: read a year either side.
    table = holidays.China(years=range(wanted[0] - 1, wanted[-1] + 2), language="en_US")
    off: dict[int, set[date]] = defaultdict(set)
    work: dict[int, set[date]] = defaultdict(set)
    scheduled: set[int] = set()
    for day, names in sorted(table.items()):
        off[day.year].add(day)
        for name in names.split("; "):  # the package joins the names of one date with "; "
            swapped = _substituted_from(name)
            if swapped is not None:
                work[swapped.year].add(swapped)
                scheduled.add(day.year)
                scheduled.add(swapped.year)
    return {
        year: make_schedule(year, HOLIDAYS, source, off[year], work[year], estimated=year not in scheduled)
        for year in wanted
    }


def _substituted_from(name: str) -> date | None:
    for pattern in _SUBSTITUTED:
        match = pattern.search(name)
        if match:
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
    if _SUBSTITUTED_HINT.search(name):
        # A renamed label would silently drop every make-up day: refuse instead.
        raise CalendarError(
            f"The holidays package names a day off {name!r}, which looks like a swapped day but does not match "
            "the 'substituted from MM/DD/YYYY' label this project reads; its label format changed. Update "
            "disclosure_audit/calendar/sources.py for the installed holidays version."
        )
    return None


def year_days(year: int) -> Iterable[date]:
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)
