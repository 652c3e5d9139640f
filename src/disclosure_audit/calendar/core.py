"""The statutory working-day calendar (法定工作日历): cross-checked sources, built once, then cached."""

from __future__ import annotations

import functools
import hashlib
import os
from array import array
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from disclosure_audit.calendar.errors import CalendarError, CalendarMismatchError, Disagreement
from disclosure_audit.calendar.known_differences import KnownDifference
from disclosure_audit.calendar.sources import (
    FILE,
    YearSchedule,
    apply_known_differences,
    chinese_calendar_schedules,
    holidays_schedules,
    package_version,
    stale_known_differences,
    year_days,
)
from disclosure_audit.calendar.userfiles import ENV_DIR, calendar_dirs, read_year_files

# The holidays package has State Council schedules from 2001; probing from there lets status() say
# which early years only it knows (they stay unused: one source is not a cross-check).
HOLIDAYS_FIRST_PROBE = 2001

# Notices that changed a year's schedule after the yearly one; both libraries follow them.
SUPPLEMENTARY_NOTICES: Mapping[int, str] = {
    2015: "国务院关于中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日调休放假的通知",
    2020: "国务院办公厅关于延长2020年春节假期的通知（国办发明电〔2020〕1号）",
}


@dataclass(frozen=True)
class CalendarYear:
    """One covered year: the notice it follows (Chinese), which sources gave and confirmed it, its counts."""

    year: int
    source: str  # the notice(s), as titled in Chinese
    source_en: str  # the same in English, briefly
    provenance: str  # which sources agree, in English, e.g. "chinese_calendar 1.11.0 = holidays 0.109"
    days_off: int  # Monday–Friday days off (weekend days off are off anyway)
    makeup_workdays: int  # Saturdays and Sundays worked
    workdays: int
    corrections: tuple[KnownDifference, ...] = ()

    @property
    def db_source(self) -> str:
        """What ref.workdays.source and ref.calendar_years.source hold."""
        return f"{self.source}（{self.provenance}）"


class WorkdayRow(NamedTuple):
    day: date
    is_workday: bool
    workday_seq: int  # working days from the first covered day up to and including `day`
    year: int


@dataclass(frozen=True)
class CalendarStatus:
    """What `disclosure-audit calendar status` shows."""

    years: list[CalendarYear]
    version: str
    estimated_years: list[int]  # after the last covered year: the holidays package only guesses them
    holidays_only_years: list[int]  # the holidays package has a notice, nothing else does: unused
    stale_corrections: list[KnownDifference]  # known differences a library release has since fixed
    files: list[str]  # the user data files in use
    dirs: list[str]  # where user data files are looked for


class Calendar:
    """Working days of every covered year, with a running count so a lag is one subtraction."""

    def __init__(
        self,
        years: Sequence[CalendarYear],
        schedules: Mapping[int, YearSchedule],
        *,
        version: str,
        estimated_years: Sequence[int] = (),
        holidays_only_years: Sequence[int] = (),
        stale_corrections: Sequence[KnownDifference] = (),
        files: Sequence[str] = (),
        dirs: Sequence[str] = (),
    ):
        numbers = [y.year for y in years]
        if not numbers or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
            raise CalendarError(f"A calendar needs contiguous years, got {numbers}.")
        self._years = list(years)
        self.version = version
        self.first_day = date(numbers[0], 1, 1)
        self.last_day = date(numbers[-1], 12, 31)
        self._first_ordinal = self.first_day.toordinal()
        size = self.last_day.toordinal() - self._first_ordinal + 1
        self._work = bytearray(size)
        self._seq = array("l", bytes(size * array("l").itemsize))
        running = 0
        for index in range(size):
            day = date.fromordinal(self._first_ordinal + index)
            if schedules[day.year].is_workday(day):
                self._work[index] = 1
                running += 1
            self._seq[index] = running
        self._status = CalendarStatus(
            years=list(years),
            version=version,
            estimated_years=list(estimated_years),
            holidays_only_years=list(holidays_only_years),
            stale_corrections=list(stale_corrections),
            files=list(files),
            dirs=list(dirs),
        )

    def _index(self, day: date) -> int | None:
        if not isinstance(day, date):
            raise TypeError(f"expected a datetime.date, got {type(day).__name__}: {day!r}")
        if isinstance(day, datetime):
            day = day.date()  # a timestamp counts as its calendar day
        index = day.toordinal() - self._first_ordinal
        return index if 0 <= index < len(self._work) else None

    def covers(self, day: date) -> bool:
        return self._index(day) is not None

    def is_workday(self, day: date) -> bool | None:
        """True on a statutory working day (make-up weekend days included), None outside the covered years."""
        index = self._index(day)
        return None if index is None else bool(self._work[index])

    def workday_seq(self, day: date) -> int | None:
        """Working days from the first covered day up to and including `day`; None when not covered."""
        index = self._index(day)
        return None if index is None else self._seq[index]

    def workday_lag(self, written: date, published: date) -> int | None:
        """Working days strictly after `written` up to and including `published` (timing.publish_lag).

        None when either date is outside the covered years: such a lag is not evaluable, never guessed.
        When `published` is before `written`, the negative count of working days strictly after
        `published` up to and including `written`: lag(a, b) == -lag(b, a). ref.workday_lag does the same.
        """
        w, p = self._index(written), self._index(published)
        if w is None or p is None:
            return None
        return self._seq[p] - self._seq[w]

    def covered_years(self) -> list[CalendarYear]:
        return list(self._years)

    def year(self, year: int) -> CalendarYear | None:
        first = self.first_day.year
        return self._years[year - first] if first <= year <= self.last_day.year else None

    def days(self) -> Iterator[WorkdayRow]:
        for index in range(len(self._work)):
            day = date.fromordinal(self._first_ordinal + index)
            yield WorkdayRow(day, bool(self._work[index]), self._seq[index], day.year)

    def status(self) -> CalendarStatus:
        return self._status


def build_calendar(
    *, env: Mapping[str, str] | None = None, dirs: Sequence[Path] | None = None, today: date | None = None
) -> Calendar:
    """Read every source, cross-check every official year, and build the calendar (uncached).

    A year is official when chinese_calendar covers it or a user data file gives it; the holidays
    package confirms those years it has a notice for, and never adds a year of its own: where it has
    none it only estimates. Each official year's sources must agree on every day, after the reviewed
    corrections of known_differences.py; otherwise CalendarMismatchError names the year and the days.
    """
    folders = calendar_dirs(env) if dirs is None else [Path(d) for d in dirs]
    chinese = chinese_calendar_schedules()
    files: dict[int, list[YearSchedule]] = defaultdict(list)
    for schedule in read_year_files(folders):
        files[schedule.year].append(schedule)
    official = sorted(set(chinese) | set(files))
    _check_contiguous(official, set(chinese), files)

    today = today or date.today()
    probe_last = max(official[-1] + 1, today.year + 1)
    library = holidays_schedules(range(min(HOLIDAYS_FIRST_PROBE, official[0]), probe_last + 1))

    years, schedules = [], {}
    for year in official:
        candidates = []
        if year in chinese:
            candidates.append(apply_known_differences(chinese[year]))
        confirming = library.get(year)
        if confirming is not None and not confirming.estimated:
            candidates.append(apply_known_differences(confirming))
        candidates.extend(files.get(year, []))
        _cross_check(year, candidates)
        schedules[year] = candidates[0]  # they agree on every day, so on both sets
        years.append(_describe(year, candidates, schedules[year]))

    not_official = [y for y in library if y not in schedules]
    return Calendar(
        years,
        schedules,
        version=_version(schedules, [s for group in files.values() for s in group]),
        estimated_years=[y for y in not_official if y > official[-1] and library[y].estimated],
        holidays_only_years=[y for y in not_official if not library[y].estimated],
        stale_corrections=stale_known_differences(chinese, library),
        files=[s.path or s.source for group in files.values() for s in group],
        dirs=[str(d) for d in folders],
    )


def _check_contiguous(years: list[int], library_years: set[int], files: Mapping[int, list[YearSchedule]]) -> None:
    gaps = [y for y in range(years[0], years[-1] + 1) if y not in set(years)]
    if gaps:
        extra = [s.path or s.source for y in sorted(files) if y not in library_years for s in files[y]]
        around = ", ".join(extra) or "none"
        raise CalendarError(
            f"Calendar years must be contiguous, but there is no schedule for {', '.join(map(str, gaps))} "
            f"(chinese_calendar covers {min(library_years)}–{max(library_years)}; data files: {around}). "
            "Add a <year>.json for each missing year from its State Council notice, or remove the later files."
        )


def _cross_check(year: int, candidates: list[YearSchedule]) -> None:
    if len(candidates) < 2:
        return
    disagreements = []
    for day in year_days(year):
        verdicts = tuple((c.source, c.is_workday(day)) for c in candidates)
        if len({work for _, work in verdicts}) > 1:
            disagreements.append(Disagreement(day, verdicts))
    if disagreements:
        raise CalendarMismatchError(year, disagreements)


def _describe(year: int, candidates: list[YearSchedule], schedule: YearSchedule) -> CalendarYear:
    files = [c for c in candidates if c.kind == FILE and c.notice]
    if files:
        source = files[0].notice or ""
        source_en = f"the notice cited by {Path(files[0].path or '').name}"
    else:
        source = f"国务院办公厅关于{year}年部分节假日安排的通知"
        source_en = f"State Council General Office notice on the {year} holidays"
        if year in SUPPLEMENTARY_NOTICES:
            source += f"；{SUPPLEMENTARY_NOTICES[year]}"
            source_en += ", and a later notice changing it"
    corrections = tuple(d for c in candidates for d in c.corrected)
    for diff in corrections:  # the day follows another notice than the library's: say which
        source += f"；{diff.day.isoformat()}据{diff.notice}"
    provenance = " = ".join(c.source for c in candidates)
    if len(candidates) == 1:
        provenance += " only (no second source for this year)"
    for diff in corrections:
        fixed = "working day" if diff.is_workday else "day off"
        provenance += f"; {diff.day.isoformat()} {fixed} per the notice, {diff.wrong_source} corrected"
    workdays = sum(1 for day in year_days(year) if schedule.is_workday(day))
    return CalendarYear(
        year=year,
        source=source,
        source_en=source_en,
        provenance=provenance,
        days_off=len(schedule.off_weekdays),
        makeup_workdays=len(schedule.work_weekends),
        workdays=workdays,
        corrections=corrections,
    )


def _version(schedules: Mapping[int, YearSchedule], files: list[YearSchedule]) -> str:
    """A short fingerprint of the data, with the library versions: changes exactly when a day changes."""
    digest = hashlib.sha256()
    for year in sorted(schedules):
        s = schedules[year]
        digest.update(f"{year}|{sorted(s.off_weekdays)}|{sorted(s.work_weekends)}\n".encode())
    parts = [
        f"sha256:{digest.hexdigest()[:12]}",
        f"chinese_calendar {package_version('chinese-calendar')}",
        f"holidays {package_version('holidays')}",
    ]
    if files:
        parts.append("files " + ",".join(sorted(f"{s.year}.json" for s in files)))
    return "; ".join(parts)


@functools.lru_cache(maxsize=8)
def _calendar_for(calendar_dir: str) -> Calendar:
    return build_calendar(env={ENV_DIR: calendar_dir} if calendar_dir else {})


def get_calendar() -> Calendar:
    """The calendar, built once per DISCLOSURE_CALENDAR_DIR setting and cached."""
    return _calendar_for(os.environ.get(ENV_DIR, "").strip())


def clear_cache() -> None:
    """Forget the cached calendar (after adding a data file in a running process, and in tests)."""
    _calendar_for.cache_clear()


def is_workday(day: date) -> bool | None:
    """True on a statutory working day, False on a day off, None when the year is not covered."""
    return get_calendar().is_workday(day)


def workday_lag(written: date, published: date) -> int | None:
    """Working days strictly after 成文日期 up to and including 发布日期; None when not evaluable."""
    return get_calendar().workday_lag(written, published)


def covered_years() -> list[CalendarYear]:
    return get_calendar().covered_years()


def status() -> CalendarStatus:
    return get_calendar().status()
