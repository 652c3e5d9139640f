"""The `disclosure-audit calendar status|load` commands: show the covered years, load ref.workdays."""

from __future__ import annotations

import argparse
import dataclasses
import json

from disclosure_audit.calendar.userfiles import ENV_DIR


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `calendar` group to the top-level parser's subcommands."""
    group = subparsers.add_parser(
        "calendar",
        help="the statutory working-day calendar (法定工作日历): covered years, load ref.workdays",
        description=(
            "Working days come from chinese_calendar, cross-checked day by day against the holidays package, "
            f"plus <year>.json data files for newly announced years (in the package, or in {ENV_DIR})."
        ),
    )
    commands = group.add_subparsers(dest="calendar_command", required=True, metavar="COMMAND")

    show = commands.add_parser("status", help="which years are covered, and from which notice and sources")
    show.add_argument("--json", action="store_true", help="print the status as one JSON object")
    show.set_defaults(func=cmd_status)

    load = commands.add_parser("load", help="migrate the project database and (re)load ref.workdays")
    load.set_defaults(func=cmd_load)


def cmd_status(args: argparse.Namespace) -> int:
    from disclosure_audit.calendar import status

    current = status()
    if args.json:
        print(json.dumps(dataclasses.asdict(current), ensure_ascii=False, indent=2, default=str))
    else:
        print(format_status(current))
    return 0


def format_status(current) -> str:
    """The status as text: Chinese first, English beside it."""
    years = current.years
    first, last = years[0].year, years[-1].year
    lines = [
        f"法定工作日历 statutory working-day calendar: {first}–{last}（{len(years)} 年 years）",
        f"  版本 version: {current.version}",
        "  年份 year  来源 source  |  English  [核对 cross-checked by]",
    ]
    for y in years:
        lines.append(f"  {y.year}  {y.source}  |  {y.source_en}  [{y.provenance}]")
    for year in current.estimated_years:
        lines.append(
            f"  {year}  未覆盖：尚无官方安排，holidays 包仅为推测，不予采用，相关间隔报告为“无法评估”  |  "
            "not covered: no official schedule yet, the holidays package only estimates it; lags are 'not evaluable'"
        )
    if current.holidays_only_years:
        span = _span(current.holidays_only_years)
        lines.append(
            f"  {span}  未采用：仅 holidays 包有安排，无第二来源核对  |  "
            "not used: only the holidays package has these schedules, nothing to cross-check them with"
        )
    for diff in current.stale_corrections:
        day = diff.day.isoformat()
        lines.append(
            f"  注意 note: {day} 的已知差异已被 {diff.wrong_source} 修正，可从 known_differences.py 删除"
            f"  |  {diff.wrong_source} now agrees on {day}; the known difference can be removed"
        )
    files = ", ".join(current.files) if current.files else "无 none"
    lines.append(f"  数据文件 data files: {files}（查找目录 looked in: {', '.join(current.dirs)}）")
    return "\n".join(lines)


def _span(years: list[int]) -> str:
    if years == list(range(years[0], years[-1] + 1)) and len(years) > 1:
        return f"{years[0]}–{years[-1]}"
    return ", ".join(map(str, years))


def cmd_load(args: argparse.Namespace) -> int:
    from disclosure_audit.calendar.db import load_workdays
    from disclosure_audit.store import server
    from disclosure_audit.store.migrate import ready_database

    url = ready_database()
    result = load_workdays(url)
    print(
        f"已载入 loaded ref.workdays: {result.first_year}–{result.last_year}, {result.days} 天 days, "
        f"{result.workdays} 个工作日 working days → {server.mask_url(url)}\n"
        f"  版本 version: {result.version}"
    )
    return 0
