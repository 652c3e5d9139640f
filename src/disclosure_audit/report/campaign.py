"""The rectification ledger (整改台账) of a campaign (专项行动): every finding per phase, with its status.

A campaign is the set of its phases in qa.campaigns (`campaign`, `phase_order`, phase `name`, `starts_on`,
`ends_on`; a phase's deadline is its ends_on). report.campaign_ledger has one row per phase and finding open
at some time during the phase or opened during it, with the finding's status for that phase:

    按期整改 fixed on time   closed as passed on or before the deadline
    逾期整改 fixed late      closed as passed after the deadline
    逾期未改 overdue         still open, and the deadline has passed
    整改中   in progress     still open, the deadline not yet passed
    已删除   removed         closed because the item was taken down

All dates are Beijing dates (Asia/Shanghai). `campaign_ledger` reads one campaign into a JSON-ready dict;
`write_campaign_xlsx` writes it as a workbook (汇总 summary, 台账 ledger, 阶段 phases) and
`ledger_json_lines` as JSON lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from disclosure_audit.errors import DisclosureAuditError

SHANGHAI = ZoneInfo("Asia/Shanghai")

# (value in report.campaign_ledger.status, English, key of the counts in summaries), in ledger order
STATUSES: tuple[tuple[str, str, str], ...] = (
    ("按期整改", "fixed on time", "fixed_on_time"),
    ("逾期整改", "fixed late", "fixed_late"),
    ("逾期未改", "overdue", "overdue"),
    ("整改中", "in progress", "in_progress"),
    ("已删除", "removed", "removed"),
)
STATUS_KEY = {zh: key for zh, _, key in STATUSES}
STATUS_EN = {zh: en for zh, en, _ in STATUSES}
COUNT_KEYS: tuple[str, ...] = (*(key for _, _, key in STATUSES), "found_in_phase", "total")

SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
CLOSE_REASON_ZH = {"passed": "已通过检查", "removed": "信息已撤下"}

_LEDGER_COLUMNS = (
    "campaign", "phase_order", "phase", "phase_id", "starts_on", "ends_on", "status", "status_en", "found_in_phase",
    "finding_id", "site_id", "org", "rule_id", "rule_title", "rule_title_en", "severity", "subject", "content_id",
    "column_name", "url", "title", "opened_at", "closed_at", "close_reason", "opened_on", "closed_on", "as_of",
)  # fmt: skip
_SUMMARY_COLUMNS = (
    "campaign", "phase_order", "phase", "starts_on", "ends_on", "site_id", "org", "rule_id", "rule_title", "severity",
    *COUNT_KEYS,
)  # fmt: skip


class CampaignError(DisclosureAuditError):
    """A ledger that cannot be produced as asked (an unknown campaign, a bad output format ...)."""


# -------------------------------------------------------------------- reading
def _json_value(value: Any) -> Any:
    """Dates as YYYY-MM-DD, timestamps as Beijing time ISO 8601 (seconds), the rest as it is."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def list_campaigns(conn: Any) -> list[dict[str, Any]]:
    """Every campaign with its phases in order: [{campaign, phases: [{phase_id, phase_order, phase, ...}]}]."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT campaign, campaign_id, phase_order, name, starts_on, ends_on, description FROM qa.campaigns "
            "ORDER BY campaign, phase_order"
        )
        rows = cur.fetchall()
    out: dict[str, dict[str, Any]] = {}
    for campaign, phase_id, order, name, starts_on, ends_on, description in rows:
        entry = out.setdefault(campaign, {"campaign": campaign, "phases": []})
        entry["phases"].append(
            {
                "phase_id": phase_id,
                "phase_order": order,
                "phase": name,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "description": description,
            }
        )
    return list(out.values())


def _unknown_campaign(name: str, known: list[dict[str, Any]]) -> CampaignError:
    if not known:
        return CampaignError(
            f"没有名为 {name!r} 的专项行动，且尚未定义任何专项行动 / no campaign named {name!r}: qa.campaigns has none"
        )
    names = "、".join(f"{c['campaign']}（{len(c['phases'])} 个阶段 phases）" for c in known)
    return CampaignError(
        f"没有名为 {name!r} 的专项行动 / no campaign named {name!r}. "
        f"已有专项行动 known campaigns: {names}（`disclosure-audit report campaigns` 列出各阶段 / lists the phases）"
    )


def _zero_counts() -> dict[str, int]:
    return dict.fromkeys(COUNT_KEYS, 0)


def _add(counts: dict[str, int], row: dict[str, Any]) -> None:
    counts[STATUS_KEY[row["status"]]] += 1
    counts["found_in_phase"] += int(bool(row["found_in_phase"]))
    counts["total"] += 1


def _summaries(phases: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Counts per status by phase (every phase, also empty ones), by phase × organisation, by phase × rule."""
    by_phase = {p["phase_order"]: {**{k: p[k] for k in ("phase_order", "phase", "starts_on", "ends_on")},
                                   **_zero_counts()} for p in phases}  # fmt: skip
    by_org: dict[tuple, dict[str, Any]] = {}
    by_rule: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        head = {k: row[k] for k in ("phase_order", "phase", "starts_on", "ends_on")}
        _add(by_phase[row["phase_order"]], row)
        org = by_org.setdefault(
            (row["phase_order"], row["site_id"], row["org"] or ""),
            {**head, "site_id": row["site_id"], "org": row["org"], **_zero_counts()},
        )
        _add(org, row)
        rule = by_rule.setdefault(
            (row["phase_order"], row["rule_id"]),
            {**head, "rule_id": row["rule_id"], "rule_title": row["rule_title"], "severity": row["severity"],
             **_zero_counts()},
        )  # fmt: skip
        _add(rule, row)
    return {
        "by_phase": [by_phase[k] for k in sorted(by_phase)],
        "by_org": [by_org[k] for k in sorted(by_org)],
        "by_rule": [by_rule[k] for k in sorted(by_rule)],
    }


def campaign_ledger(conn: Any, name: str) -> dict[str, Any]:
    """The ledger of campaign `name`, JSON-ready.

    Keys: campaign, as_of (the Beijing date statuses are judged on), statuses ([{status, status_en}]),
    phases (in order), rows (report.campaign_ledger: one per phase and finding), summary
    (report.campaign_summary: per phase × organisation × rule), and by_phase (every phase), by_org and
    by_rule (per phase), each with the counts fixed_on_time, fixed_late, overdue, in_progress, removed,
    found_in_phase and total. Raises CampaignError naming the known campaigns when `name` is not one.
    """
    name = (name or "").strip()
    known = list_campaigns(conn)
    match = next((c for c in known if c["campaign"] == name), None)
    if match is None:
        raise _unknown_campaign(name, known)
    with conn.cursor() as cur:
        # now() is the transaction's start: the date the view judges statuses on, in the same transaction
        cur.execute("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date")
        as_of = cur.fetchone()[0]
        cur.execute(
            f"SELECT {', '.join(_LEDGER_COLUMNS)} FROM report.campaign_ledger WHERE campaign = %s "
            "ORDER BY phase_order, site_id, org NULLS LAST, rule_id, opened_at, finding_id",
            (name,),
        )
        rows = [{k: _json_value(v) for k, v in zip(_LEDGER_COLUMNS, r, strict=True)} for r in cur.fetchall()]
        cur.execute(
            f"SELECT {', '.join(_SUMMARY_COLUMNS)} FROM report.campaign_summary WHERE campaign = %s "
            "ORDER BY phase_order, site_id, org NULLS LAST, rule_id",
            (name,),
        )
        summary = [{k: _json_value(v) for k, v in zip(_SUMMARY_COLUMNS, r, strict=True)} for r in cur.fetchall()]
    return {
        "campaign": name,
        "as_of": as_of.isoformat(),
        "statuses": [{"status": zh, "status_en": en} for zh, en, _ in STATUSES],
        "phases": match["phases"],
        "rows": rows,
        "summary": summary,
        **_summaries(match["phases"], rows),
    }


# -------------------------------------------------------------------- JSON lines
def ledger_json_lines(ledger: dict[str, Any]) -> Iterator[str]:
    """The ledger as JSON lines, each record with `record`: phase, ledger (one per phase and finding),
    summary (phase × organisation × rule), by_phase, by_org, by_rule; every record names the campaign."""
    head = {"campaign": ledger["campaign"], "as_of": ledger["as_of"]}
    for record, items in (
        ("phase", ledger["phases"]),
        ("ledger", ledger["rows"]),
        ("summary", ledger["summary"]),
        ("by_phase", ledger["by_phase"]),
        ("by_org", ledger["by_org"]),
        ("by_rule", ledger["by_rule"]),
    ):
        for item in items:
            yield json.dumps({"record": record, **head, **item}, ensure_ascii=False, default=str)


def write_campaign_json(ledger: dict[str, Any], path: Path) -> Path:
    """Write `ledger_json_lines` to `path` (UTF-8, one record a line)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for line in ledger_json_lines(ledger):
            fh.write(line + "\n")
    return path


# -------------------------------------------------------------------- XLSX
SHEET_SUMMARY = "汇总"
SHEET_LEDGER = "台账"
SHEET_PHASES = "阶段"
COUNT_HEADERS = (
    "按期整改 fixed on time",
    "逾期整改 fixed late",
    "逾期未改 overdue",
    "整改中 in progress",
    "已删除 removed",
    "本阶段发现 found in phase",
    "合计 total",
)
SUMMARY_HEADERS = (
    "专项行动 campaign",
    "阶段序号 phase no.",
    "阶段 phase",
    "开始日期 starts on",
    "整改期限 deadline",
    "站点 site",
    "机关 organisation",
    "规则 rule",
    "规则名称 rule title",
    "严重程度 severity",
    *COUNT_HEADERS,
)
LEDGER_HEADERS = (
    "专项行动 campaign",
    "阶段序号 phase no.",
    "阶段 phase",
    "开始日期 starts on",
    "整改期限 deadline",
    "状态 status",
    "本阶段发现 found in phase",
    "问题编号 finding id",
    "站点 site",
    "机关 organisation",
    "规则 rule",
    "规则名称 rule title",
    "严重程度 severity",
    "信息编号 content id",
    "栏目 column",
    "标题 title",
    "链接 link",
    "发现时间（北京时间）opened at",
    "关闭时间（北京时间）closed at",
    "关闭原因 close reason",
)
PHASE_HEADERS = (
    "专项行动 campaign",
    "阶段序号 phase no.",
    "阶段 phase",
    "开始日期 starts on",
    "整改期限 deadline",
    "说明 description",
    *COUNT_HEADERS,
)
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAX_CELL = 32767  # Excel's limit on the characters of a cell
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def http_url(url: Any) -> str | None:
    """`url` when it is an absolute http(s) URL, else None (javascript:, data:, relative ... are no links)."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    if not text or any(ord(ch) < 32 or ch == "\x7f" for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _put(ws: Any, row: int, col: int, value: Any, fmt: str | None = None) -> Any:
    """Write one cell; text is always text (a crawled '=...' never becomes a formula)."""
    if isinstance(value, str):
        value = _XML_ILLEGAL.sub("", value)[:_MAX_CELL]
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if fmt:
        cell.number_format = fmt
    return cell


def _when(value: str | None) -> datetime | None:
    """A ledger timestamp (ISO, Beijing time) as a naive Beijing datetime: Excel has no time zones."""
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(SHANGHAI).replace(tzinfo=None)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _with_en(zh: str | None, en: str | None) -> str:
    if not zh:
        return en or ""
    return f"{zh} {en}" if en else zh


def _header(ws: Any, headers: Iterable[str]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="EDEDED")
    wrap = Alignment(vertical="center", wrap_text=True)
    for col, text in enumerate(headers, start=1):
        cell = _put(ws, 1, col, text)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
    ws.freeze_panes = "A2"


def _widths(ws: Any, widths: dict[int, int]) -> None:
    from openpyxl.utils import get_column_letter

    for col in range(1, ws.max_column + 1):
        ws.column_dimensions[get_column_letter(col)].width = widths.get(col, 14)


def _counts(ws: Any, row: int, first_col: int, counts: dict[str, Any]) -> None:
    for offset, key in enumerate(COUNT_KEYS):
        _put(ws, row, first_col + offset, int(counts[key]))


def write_campaign_xlsx(ledger: dict[str, Any], path: Path) -> Path:
    """Write the ledger to `path` as XLSX: sheets 汇总 (phase × organisation × rule, counts per status),
    台账 (one row per phase and finding; the item's link is a hyperlink only for http/https URLs) and 阶段
    (every phase with its counts). Headers are Chinese with English beside, in a frozen first row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    link_font = Font(color="0563C1", underline="single")
    campaign = ledger["campaign"]
    wb = Workbook()

    ws = wb.active
    ws.title = SHEET_SUMMARY
    _header(ws, SUMMARY_HEADERS)
    for r, s in enumerate(ledger["summary"], start=2):
        values = (
            campaign,
            s["phase_order"],
            s["phase"],
            _day(s["starts_on"]),
            _day(s["ends_on"]),
            s["site_id"],
            s["org"],
            s["rule_id"],
            s["rule_title"],
            _with_en(SEVERITY_ZH.get(s["severity"]), s["severity"]),
        )
        for c, value in enumerate(values, start=1):
            _put(ws, r, c, value, DATE_FORMAT if isinstance(value, date) else None)
        _counts(ws, r, len(values) + 1, s)
    _widths(ws, {1: 20, 3: 28, 7: 24, 8: 28, 9: 30})
    ws.auto_filter.ref = ws.dimensions

    ws = wb.create_sheet(SHEET_LEDGER)
    _header(ws, LEDGER_HEADERS)
    for r, row in enumerate(ledger["rows"], start=2):
        values = (
            campaign,
            row["phase_order"],
            row["phase"],
            _day(row["starts_on"]),
            _day(row["ends_on"]),
            _with_en(row["status"], row["status_en"]),
            "是 yes" if row["found_in_phase"] else "否 no",
            row["finding_id"],
            row["site_id"],
            row["org"],
            row["rule_id"],
            row["rule_title"],
            _with_en(SEVERITY_ZH.get(row["severity"]), row["severity"]),
            row["content_id"],
            row["column_name"],
            row["title"],
            row["url"],
            _when(row["opened_at"]),
            _when(row["closed_at"]),
            _with_en(CLOSE_REASON_ZH.get(row["close_reason"]), row["close_reason"]) if row["close_reason"] else None,
        )
        for c, value in enumerate(values, start=1):
            fmt = TIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT if isinstance(value, date) else None
            cell = _put(ws, r, c, value, fmt)
            if c == LEDGER_HEADERS.index("链接 link") + 1:
                target = http_url(row["url"])
                if target is not None:
                    cell.hyperlink = target
                    cell.font = link_font
    _widths(ws, {1: 20, 3: 28, 6: 22, 10: 24, 11: 28, 12: 30, 16: 48, 17: 48, 18: 20, 19: 20, 20: 18})
    ws.auto_filter.ref = ws.dimensions

    ws = wb.create_sheet(SHEET_PHASES)
    _header(ws, PHASE_HEADERS)
    descriptions = {p["phase_order"]: p.get("description") for p in ledger["phases"]}
    for r, p in enumerate(ledger["by_phase"], start=2):
        values = (
            campaign,
            p["phase_order"],
            p["phase"],
            _day(p["starts_on"]),
            _day(p["ends_on"]),
            descriptions.get(p["phase_order"]),
        )
        for c, value in enumerate(values, start=1):
            _put(ws, r, c, value, DATE_FORMAT if isinstance(value, date) else None)
        _counts(ws, r, len(values) + 1, p)
    _widths(ws, {1: 20, 3: 28, 6: 36})

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
