"""The Chinese statutory working-day calendar (法定工作日历) that publication lags are counted in."""

# Sources: chinese_calendar (the State Council schedules, 2004 on), cross-checked day by day against the
# holidays package, and user data files (<year>.json) for newly announced years. Years are covered only
# where an official schedule exists; outside them every answer is None ("not evaluable"), never a guess.

from disclosure_audit.calendar.core import (
    Calendar,
    CalendarStatus,
    CalendarYear,
    WorkdayRow,
    build_calendar,
    clear_cache,
    covered_years,
    get_calendar,
    is_workday,
    status,
    workday_lag,
)
from disclosure_audit.calendar.errors import CalendarError, CalendarFileError, CalendarMismatchError
from disclosure_audit.calendar.userfiles import ENV_DIR

__all__ = [
    "ENV_DIR",
    "Calendar",
    "CalendarError",
    "CalendarFileError",
    "CalendarMismatchError",
    "CalendarStatus",
    "CalendarYear",
    "WorkdayRow",
    "build_calendar",
    "clear_cache",
    "covered_years",
    "get_calendar",
    "is_workday",
    "status",
    "workday_lag",
]
