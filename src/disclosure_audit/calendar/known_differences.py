"""Reviewed, explained days on which one holiday library departs from the official notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CHINESE_CALENDAR = "chinese_calendar"
HOLIDAYS = "holidays"


@dataclass(frozen=True)
class KnownDifference:
    """One day a library gets wrong, what the State Council notice says instead, and why we trust it."""

    day: date
    wrong_source: str  # CHINESE_CALENDAR or HOLIDAYS: whose value is replaced before the cross-check
    is_workday: bool  # what the notice says
    notice: str  # the official notice the corrected value follows
    explanation: str
    reference: str  # where the library's error is recorded

    @property
    def year(self) -> int:
        return self.day.year


# Every entry was checked against the notice's text. The cross-check replaces the wrong library's value
# for this one day only; every other day of the year must still agree, so the check stays as strict as
# before. With the pinned versions each entry is still needed (tests/calendar asserts it); when a library
# release fixes a day, its entry becomes a no-op and `status()` says it can be removed.
KNOWN_DIFFERENCES: tuple[KnownDifference, ...] = (
    KnownDifference(
        day=date(2005, 12, 31),
        wrong_source=CHINESE_CALENDAR,
        is_workday=True,
        notice="国务院办公厅关于2006年部分节假日安排的通知（国办发明电〔2005〕35号）",
        explanation=(
            "元旦：1月1日—3日放假……将12月31日（星期六）、1月1日（星期日）两个公休日调至1月2日（星期一）、"
            "3日（星期二），12月31日（星期六）上班。chinese_calendar keeps 2006-01-02/03 as days off but omits "
            "the make-up Saturday 2005-12-31; holidays has it (2006-01-03 'substituted from 12/31/2005')."
        ),
        reference="https://github.com/liriansu-opus/chinese-calendar/issues/125 (also #17)",
    ),
)
