"""Errors of the working-day calendar: bad data files, disagreeing sources, gaps in coverage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from disclosure_audit.errors import DisclosureAuditError


class CalendarError(DisclosureAuditError):
    """The statutory calendar cannot be built or loaded: the message says which year, file or date."""


class CalendarFileError(CalendarError):
    """A user data file (<year>.json) is malformed; the message names the file."""


@dataclass(frozen=True)
class Disagreement:
    """One day on which the sources for a year do not say the same thing."""

    day: date
    verdicts: tuple[tuple[str, bool], ...]  # (source, is a working day) for every source of the year

    def describe(self) -> str:
        said = ", ".join(f"{source} says {'working day' if work else 'day off'}" for source, work in self.verdicts)
        return f"{self.day.isoformat()} ({self.day.strftime('%a')}): {said}"


class CalendarMismatchError(CalendarError):
    """Two sources of an officially scheduled year disagree: nothing is guessed, the build stops."""

    def __init__(self, year: int, disagreements: list[Disagreement]):
        self.year = year
        self.disagreements = disagreements
        shown = "; ".join(d.describe() for d in disagreements[:12])
        more = f"; and {len(disagreements) - 12} more" if len(disagreements) > 12 else ""
        super().__init__(
            f"The holiday sources disagree on {year} (节假日安排来源不一致) on {len(disagreements)} day(s): "
            f"{shown}{more}. Check the State Council notice for {year}; if a library is wrong, add a reviewed "
            "entry to disclosure_audit/calendar/known_differences.py citing the notice, or fix the data file."
        )
