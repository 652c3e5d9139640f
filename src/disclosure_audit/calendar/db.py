"""Load the calendar into Postgres: ref.workdays and ref.calendar_years, refilled in one transaction."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import psycopg2
from psycopg2.extras import execute_values

from disclosure_audit.calendar.core import Calendar, get_calendar
from disclosure_audit.calendar.errors import CalendarError
from disclosure_audit.store.server import connect, mask_url


@dataclass(frozen=True)
class LoadResult:
    first_year: int
    last_year: int
    days: int
    workdays: int
    version: str


def load_workdays(url: str, calendar: Calendar | None = None) -> LoadResult:
    """Replace the contents of ref.workdays and ref.calendar_years with `calendar` (default: the cached one).

    Idempotent: loading the same calendar again leaves the same rows (only loaded_at moves). Readers
    see the old rows or the new ones, never a mix: everything happens in one transaction, and the
    tables are locked against a second concurrent load (EXCLUSIVE still lets readers in).
    """
    calendar = calendar or get_calendar()
    years = calendar.covered_years()
    numbers = [y.year for y in years]
    if numbers != list(range(numbers[0], numbers[-1] + 1)):
        raise CalendarError(f"Refusing to load a calendar with gaps between its years: {numbers}.")
    sources = {y.year: y.db_source for y in years}
    rows = [
        (row.day, row.is_workday, row.workday_seq, row.year, sources[row.year], calendar.version)
        for row in calendar.days()
    ]
    try:
        conn = connect(url)
    except psycopg2.Error as exc:
        raise CalendarError(f"Could not connect to {mask_url(url)} to load the calendar: {exc}".strip()) from exc
    with contextlib.closing(conn):
        try:
            with conn, conn.cursor() as cur:
                cur.execute("LOCK TABLE ref.workdays, ref.calendar_years IN EXCLUSIVE MODE")
                # DELETE, not TRUNCATE: TRUNCATE's ACCESS EXCLUSIVE lock would block every reader meanwhile.
                cur.execute("DELETE FROM ref.workdays")
                cur.execute("DELETE FROM ref.calendar_years")
                execute_values(
                    cur,
                    "INSERT INTO ref.workdays (day, is_workday, workday_seq, year, source, calendar_version) VALUES %s",
                    rows,
                    page_size=2000,
                )
                execute_values(
                    cur,
                    "INSERT INTO ref.calendar_years (year, source, loaded_at, days_off, makeup_workdays) VALUES %s",
                    [(y.year, y.db_source, y.days_off, y.makeup_workdays) for y in years],
                    template="(%s, %s, now(), %s, %s)",
                )
        except (psycopg2.errors.UndefinedTable, psycopg2.errors.InvalidSchemaName) as exc:
            raise CalendarError(
                f"{mask_url(url)} has no ref.workdays table: apply the migrations first "
                "(`disclosure-audit db migrate`)."
            ) from exc
        except psycopg2.Error as exc:
            raise CalendarError(
                f"Loading the calendar into {mask_url(url)} failed, nothing was changed: {str(exc).strip()}"
            ) from exc
    return LoadResult(
        first_year=numbers[0],
        last_year=numbers[-1],
        days=len(rows),
        workdays=sum(1 for row in rows if row[1]),
        version=calendar.version,
    )
