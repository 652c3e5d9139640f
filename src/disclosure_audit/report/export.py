"""Exports of an annual report (政府信息公开工作年度报告): JSON, XLSX, DOCX and a self-contained HTML page.

Every writer takes the report dict of `report.format` (see `format.empty_report`) and the optional keys a
computed report may carry:

    table-二 cell: "source" (str), "items" (the documents the figure counts: content_id, title, url, sha256,
                   reason), "undetermined" (documents the data could not decide: the figure is a lower bound)
    "published":   {"total": int, "by_kind": [[kind_label_zh, int], ...]}
    "charts":      {"published_per_month": [[YYYY-MM, int]], "ontime_rate": [[YYYY-MM, 0..1 | None]],
                    "open_findings_by_rule": [[rule_id, title_zh, int]]}
    "identity_breaches": [{"identity", "where", "expected", "found", "severity"}]
    "frozen":      {"frozen_at", "calendar_version"} or None

A value of None means "not known": it is shown as "—（未知）" (XLSX: that text, never 0) with a note.
Crawled text (titles, URLs, labels) is escaped in HTML, typed as text in XLSX (never a formula), and a URL
becomes a link only when it is http(s). The HTML page references nothing outside itself.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from disclosure_audit.report import format as F

UNKNOWN = "—（未知）"
UNKNOWN_NOTE = "注：“—（未知）”表示数据未知，不是 0。 / Note: “—（未知）” means not known, not zero."
FORMATS = ("json", "xlsx", "docx", "html")

SECTION_ENGLISH = (
    "Overview",
    "Proactive disclosure",
    "Requests received and handled",
    "Administrative reconsideration and litigation",
    "Main problems and improvements",
    "Other matters",
)
_SECTION_LEADS = ("一", "二", "三", "四", "五", "六")
_LAWSUIT = "行政诉讼"
_SUIT_SUBS = ("未经复议直接起诉", "复议后起诉")
_SEVERITY_ZH = {"error": "错误 error", "warning": "警告 warning", "unknown": "无法检查 unknown"}

# fonts that exist on the targets: Noto/Source Han on Linux, YaHei/SimSun on Windows
CSS_FONTS = (
    '"Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "Microsoft YaHei", '
    '"PingFang SC", "SimSun", sans-serif'
)
XLSX_FONT = "宋体"
DOCX_FONT = "宋体"
DOCX_HEADING_FONT = "黑体"


# --------------------------------------------------------------------------------------------------
# Reading the report dict
# --------------------------------------------------------------------------------------------------


def report_title(report: dict[str, Any]) -> str:
    """ "<org><year>年政府信息公开工作年度报告"."""
    return f"{report.get('org') or ''}{report.get('year') or ''}年政府信息公开工作年度报告"


def _fmt(report: dict[str, Any]) -> F.Format:
    fmt = report.get("format")
    if fmt in ("2019", "2021"):
        return fmt  # type: ignore[return-value]
    year = report.get("year")
    return F.report_format(int(year)) if isinstance(year, int) else "2021"


def _format_label(report: dict[str, Any]) -> str:
    if _fmt(report) == "2019":
        return "2019 年试行格式（国办公开办函〔2019〕60号）/ 2019 trial format"
    return "2021 年格式（国办公开办函〔2021〕30号）/ 2021 format"


def _sections(report: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """The six sections as (heading, English, paragraphs); section 一 generated when it has none."""
    given: dict[str, list[str]] = {}
    for entry in report.get("sections") or []:
        if isinstance(entry, (list, tuple)) and len(entry) == 2 and str(entry[0]).strip():
            given[str(entry[0]).strip()[:1]] = [str(p) for p in entry[1] or [] if str(p).strip()]
    out = []
    for heading, english, lead in zip(F.SECTION_HEADINGS, SECTION_ENGLISH, _SECTION_LEADS, strict=True):
        paragraphs = given.get(lead, [])
        if lead == "一" and not paragraphs:
            paragraphs = section_one_text(report).split("\n")
        out.append((heading, english, paragraphs))
    return out


def _table2_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Table 二's rows as given, or the format's layout with every cell unknown."""
    rows = report.get("table2")
    if isinstance(rows, list) and rows:
        return rows
    return [
        {"block": b, "row": r, "cells": [{"column": c, "value": None} for c in cols]}
        for b, r, cols in F.table2_layout(_fmt(report))
    ]


def _table3(report: dict[str, Any]) -> tuple[list[str], list[tuple[str, list[Any]]]]:
    spec = report.get("table3") or {}
    columns = [str(c) for c in spec.get("columns") or F.APPLICANT_COLUMNS]
    rows = spec.get("rows")
    if not rows:
        rows = [[label, [None] * len(columns)] for label in F.table3_rows(_fmt(report))]
    out = []
    for label, values in rows:
        vals = list(values or [])
        vals += [None] * (len(columns) - len(vals))
        out.append((str(label), vals[: len(columns)]))
    return columns, out


def _table4(report: dict[str, Any]) -> tuple[list[str], list[str], list[Any]]:
    spec = report.get("table4") or {}
    groups = [str(g) for g in spec.get("groups") or F.TABLE4_GROUPS]
    columns = [str(c) for c in spec.get("columns") or F.TABLE4_COLUMNS]
    values = list(spec.get("values") or [])
    n = len(groups) * len(columns)
    values += [None] * (n - len(values))
    return groups, columns, values[:n]


def _suit_subs(groups: Sequence[str]) -> list[str]:
    """The sub-labels of the two lawsuit groups ("行政诉讼 未经复议直接起诉" → "未经复议直接起诉")."""
    subs = []
    for g in groups:
        head, _, tail = g.partition(" ")
        subs.append(tail.strip() if head == _LAWSUIT and tail.strip() else g)
    return subs


def _is_money(column: str) -> bool:
    return column in F.MONEY_COLUMNS


def _money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def _show(value: Any, *, money: bool = False) -> str:
    """A cell value as text: None → "—（未知）", money with two decimals."""
    if value is None:
        return UNKNOWN
    if money:
        amount = _money(value)
        return f"{amount:.2f}" if amount is not None and amount.is_finite() else str(value)
    return str(value)


def _number(value: Any, *, money: bool = False) -> Any:
    """A cell value for a spreadsheet: a number when it is one, "—（未知）" when None, else the text."""
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return float(value) if money else value
    if isinstance(value, Decimal):
        return float(value)
    text = str(value).strip()
    if money:
        amount = _money(text)
        return float(amount) if amount is not None and amount.is_finite() else text
    try:
        return int(text)
    except ValueError:
        return text


def _cell_label(row: dict[str, Any], cell: dict[str, Any]) -> str:
    return f"表二 {row.get('row', '')} × {cell.get('column', '')}"


def _lower_bound(cell: dict[str, Any]) -> bool:
    return bool(cell.get("undetermined"))


def _show_cell(cell: dict[str, Any]) -> str:
    """A table-二 figure as text: "≥5" when undetermined items make it a lower bound."""
    text = _show(cell.get("value"), money=_is_money(str(cell.get("column", ""))))
    return f"≥{text}" if _lower_bound(cell) and cell.get("value") is not None else text


def _undetermined_note(row: dict[str, Any], cell: dict[str, Any]) -> str:
    und = cell.get("undetermined") or []
    return (
        f"{row.get('row', '')} × {cell.get('column', '')}：为下限，另有 {len(und)} 项无法判定（"
        + "；".join(str(u.get("title") or u.get("content_id") or "") for u in und[:5])
        + ("……" if len(und) > 5 else "")
        + f"）。 / lower bound: {len(und)} item(s) could not be decided."
    )


def _http_url(url: Any) -> str | None:
    """`url` when it is an http(s) URL, else None (javascript:, data:, relative … are not links)."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    if any(ord(ch) < 32 for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _frozen_text(report: dict[str, Any]) -> tuple[bool, str]:
    frozen = report.get("frozen")
    if isinstance(frozen, dict) and frozen.get("frozen_at"):
        return True, (
            f"已定稿 Frozen — 定稿时间 frozen at {frozen.get('frozen_at')}，"
            f"日历版本 calendar version {frozen.get('calendar_version') or UNKNOWN}"
        )
    return False, "未定稿 Not frozen — 数字仍可能变动 / figures may still change"


def _lineage(report: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The table-二 (row, cell) pairs that carry a source, items or undetermined items."""
    out = []
    for row in _table2_rows(report):
        for cell in row.get("cells") or []:
            if cell.get("items") or cell.get("undetermined") or cell.get("source"):
                out.append((row, cell))
    return out


def _has_unknown(report: dict[str, Any]) -> bool:
    if any(c.get("value") is None for r in _table2_rows(report) for c in r.get("cells") or []):
        return True
    if any(v is None for _, vals in _table3(report)[1] for v in vals):
        return True
    return any(v is None for v in _table4(report)[2])


# --------------------------------------------------------------------------------------------------
# Section 一
# --------------------------------------------------------------------------------------------------


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _count(value: Any, unit: str = "件") -> str:
    n = _int_or_none(value)
    return f"{n}{unit}" if n is not None else "（数量未知）"


def _t2(report: dict[str, Any], row: str, column: str) -> dict[str, Any] | None:
    for r in _table2_rows(report):
        if r.get("row") == row:
            for cell in r.get("cells") or []:
                if cell.get("column") == column:
                    return cell
    return None


def _t3_total(report: dict[str, Any], label: str) -> Any:
    columns, rows = _table3(report)
    for lab, values in rows:
        if lab == label:
            return values[-1] if values else None
    return None


def section_one_text(report: dict[str, Any]) -> str:
    """Section 一 (总体情况) written from the figures, one paragraph a line, for a report without its own.

    Unknown figures are called unknown, never 0; a figure with undetermined items is "至少" (at least).
    """
    year = report.get("year") or ""
    org = report.get("org") or "本机关"
    paragraphs: list[str] = []

    # （一）主动公开
    published = report.get("published")
    total = _int_or_none(published.get("total")) if isinstance(published, dict) else None
    if total is not None:
        text = f"（一）主动公开。{year}年，{org}依照《中华人民共和国政府信息公开条例》主动公开政府信息{total}条"
        kinds = [(str(k), _int_or_none(n)) for k, n in (published.get("by_kind") or [])]  # type: ignore[union-attr]
        parts = [f"{k}{n}条" if n is not None else f"{k}（数量未知）" for k, n in kinds if n != 0]
        text += ("，其中" + "、".join(parts) + "。") if parts else "。"
    else:
        text = (
            f"（一）主动公开。{year}年，{org}依照《中华人民共和国政府信息公开条例》主动公开政府信息，"
            "全年公开数量未能统计（未知）。"
        )
    made = []
    for row_label, column, verb in (
        (F.ROW_RULES, F.ISSUED, "制发规章"),
        (F.ROW_NORMATIVE, F.ISSUED, "制发行政规范性文件"),
        (F.ROW_LICENSING, F.DECISIONS, "作出行政许可决定"),
        (F.ROW_PENALTY, F.DECISIONS, "作出行政处罚决定"),
        (F.ROW_COERCION, F.DECISIONS, "作出行政强制决定"),
        (F.ROW_LICENSING, F.DECISIONS_2019, "作出行政许可决定"),
        (F.ROW_PENALTY, F.DECISIONS_2019, "作出行政处罚决定"),
        (F.ROW_COERCION, F.DECISIONS_2019, "作出行政强制决定"),
    ):
        cell = _t2(report, row_label, column)
        n = _int_or_none(cell.get("value")) if cell else None
        if cell is not None and n is not None and n > 0:
            made.append(f"{verb}{'至少' if _lower_bound(cell) else ''}{n}件")
    if made:
        text += "本年" + "、".join(made) + "，均已按规定公开。"
    paragraphs.append(text)

    # （二）依申请公开
    new = _int_or_none(_t3_total(report, F.ROW_NEW))
    carried = _int_or_none(_t3_total(report, F.ROW_CARRIED))
    handled = _int_or_none(_t3_total(report, F.ROW_TOTAL))
    carry_on = _int_or_none(_t3_total(report, F.ROW_CARRY_ON))
    if new == 0:
        text = "（二）依申请公开。全年未收到政府信息公开申请。"
        if carried:
            text += (
                f"上年结转政府信息公开申请{carried}件，本年办结{_count(handled)}，"
                f"结转下年度继续办理{_count(carry_on)}。"
            )
    else:
        text = (
            f"（二）依申请公开。全年新收政府信息公开申请{_count(new)}，上年结转{_count(carried)}，"
            f"本年办结{_count(handled)}，结转下年度继续办理{_count(carry_on)}。"
        )
        opened = _int_or_none(_t3_total(report, F.OUTCOMES_COMMON[0]))
        partial = _int_or_none(_t3_total(report, F.OUTCOMES_COMMON[1]))
        if handled and opened is not None and partial is not None:
            text += f"办结的申请中，予以公开{opened}件、部分公开{partial}件"
            rest = handled - opened - partial
            text += f"，不予公开、无法提供、不予处理及其他处理共{rest}件。" if rest > 0 else "。"
    paragraphs.append(text)

    # （三）行政复议和行政诉讼
    _, _, values = _table4(report)
    review, direct, after = (_int_or_none(values[i]) for i in (4, 9, 14)) if len(values) >= 15 else (None,) * 3
    if review == 0 and direct == 0 and after == 0:
        text = "（三）行政复议和行政诉讼。全年未发生政府信息公开行政复议和行政诉讼。"
    else:
        parts = []
        if review is None:
            parts.append("政府信息公开行政复议数量未知")
        elif review == 0:
            parts.append("未发生政府信息公开行政复议")
        else:
            detail = "、".join(f"{c}{_count(values[i])}" for i, c in enumerate(F.TABLE4_COLUMNS[:4]))
            parts.append(f"发生政府信息公开行政复议{review}件（{detail}）")
        if direct is None or after is None:
            parts.append("政府信息公开行政诉讼数量未知")
        elif direct + after == 0:
            parts.append("未发生政府信息公开行政诉讼")
        else:
            parts.append(
                f"发生政府信息公开行政诉讼{direct + after}件（未经复议直接起诉{direct}件、复议后起诉{after}件）"
            )
        text = "（三）行政复议和行政诉讼。全年" + "；".join(parts) + "。"
    paragraphs.append(text)
    return "\n".join(paragraphs)


# --------------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"不能写入 JSON 的值 / not JSON-serialisable: {type(value).__name__}")


def write_json(report: dict[str, Any], path: str | Path) -> Path:
    """The report dict as UTF-8 JSON (Chinese as is, indented); reads back equal with json.load."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=_json_default) + "\n", encoding="utf-8")
    return out


# --------------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------------

SHEET_T2 = "表二 主动公开"
SHEET_T3 = "表三 依申请公开"
SHEET_T4 = "表四 复议诉讼"
SHEET_LINEAGE = "依据"
SHEET_CHARTS = "图表"
SHEET_SUMMARY = "概况"
# first row of each table (rows above hold the sheet's title)
T2_TOP = 3
T3_TOP = 3
T4_TOP = 3


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """`text` without the control characters XML (XLSX, DOCX) cannot hold; crawled titles may have them."""
    return _XML_ILLEGAL.sub("", text)


def _text_width(text: str) -> int:
    """Display width: a CJK (or full-width) character counts two columns."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


class _Sheet:
    """Writes cells with the CJK font, borders and text typed as text (never a formula)."""

    def __init__(self, ws: Any) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.ws = ws
        thin = Side(style="thin", color="000000")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.font = Font(name=XLSX_FONT, size=11)
        self.bold = Font(name=XLSX_FONT, size=11, bold=True)
        self.title_font = Font(name=XLSX_FONT, size=14, bold=True)
        self.note_font = Font(name=XLSX_FONT, size=10, italic=True, color="666666")
        self.link_font = Font(name=XLSX_FONT, size=11, color="0563C1", underline="single")
        self.head_fill = PatternFill("solid", fgColor="EDEDED")
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.left = Alignment(horizontal="left", vertical="center", wrap_text=True)
        self.Alignment = Alignment

    def put(
        self,
        row: int,
        col: int,
        value: Any,
        *,
        head: bool = False,
        boxed: bool = True,
        left: bool = False,
        fmt: str | None = None,
    ) -> Any:
        if isinstance(value, str):
            value = _xml_safe(value)
        cell = self.ws.cell(row=row, column=col, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # crawled text is never a formula
        cell.font = self.bold if head else self.font
        cell.alignment = self.left if left else self.center
        if head:
            cell.fill = self.head_fill
        if boxed:
            cell.border = self.border
        if fmt:
            cell.number_format = fmt
        return cell

    def merge(self, r1: int, c1: int, r2: int, c2: int, value: Any, **kw: Any) -> Any:
        """A merged range with `value` in its top-left cell; every cell of it keeps the border."""
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    self.put(r, c, None, head=kw.get("head", False), boxed=kw.get("boxed", True))
        cell = self.put(r1, c1, value, **kw)
        if (r1, c1) != (r2, c2):
            self.ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        return cell

    def title(self, text: str, width: int, row: int = 1) -> None:
        cell = self.merge(row, 1, row, width, text, boxed=False, left=True)
        cell.font = self.title_font
        self.ws.row_dimensions[row].height = 24

    def note(self, row: int, text: str, width: int) -> None:
        cell = self.merge(row, 1, row, width, text, boxed=False, left=True)
        cell.font = self.note_font
        self.ws.row_dimensions[row].height = max(16, 15 * math.ceil(_text_width(text) / max(1, width * 14)))

    def widths(self, widths: dict[int, float]) -> None:
        from openpyxl.utils import get_column_letter

        for col, w in widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = w


def _xlsx_table2(wb: Any, report: dict[str, Any]) -> None:
    from openpyxl.comments import Comment

    s = _Sheet(wb.create_sheet(SHEET_T2))
    rows = _table2_rows(report)
    width = 1 + max((len(r.get("cells") or []) for r in rows), default=1)
    s.title("二、主动公开政府信息情况 / Table 2: proactive disclosure", width)
    r = T2_TOP
    block: str | None = None
    heads: list[str] | None = None
    notes: list[str] = []
    for row in rows:
        cells = row.get("cells") or []
        columns = [str(c.get("column", "")) for c in cells]
        if row.get("block") != block:
            block, heads = row.get("block"), None
            s.merge(r, 1, r, width, str(block or ""), head=True, left=True)
            r += 1
        if columns != heads:
            heads = columns
            s.put(r, 1, "信息内容", head=True)
            for n, col in enumerate(columns):
                last = width if n == len(columns) - 1 else n + 2
                s.merge(r, n + 2, r, last, col, head=True)
            s.ws.row_dimensions[r].height = 32
            r += 1
        s.put(r, 1, str(row.get("row", "")), left=True)
        for n, cell in enumerate(cells):
            money = _is_money(str(cell.get("column", "")))
            last = width if n == len(cells) - 1 else n + 2
            value = _number(cell.get("value"), money=money)
            xc = s.merge(r, n + 2, r, last, value, fmt="0.00" if money and not isinstance(value, str) else None)
            if _lower_bound(cell):
                note = _undetermined_note(row, cell)
                xc.comment = Comment(note, "disclosure_audit")
                notes.append(note)
            elif cell.get("value") is None:
                xc.comment = Comment("数据未知，不是 0 / not known, not zero", "disclosure_audit")
        r += 1
    r += 1
    for note in notes:
        s.note(r, "注：" + note, width)
        r += 1
    if _has_unknown(report):
        s.note(r, UNKNOWN_NOTE, width)
        r += 1
    s.note(r, "依据见工作表“依据” / lineage: sheet 依据", width)
    s.widths({1: 26, **{c: 20 for c in range(2, width + 1)}})


def _xlsx_table3(wb: Any, report: dict[str, Any]) -> None:
    s = _Sheet(wb.create_sheet(SHEET_T3))
    columns, rows = _table3(report)
    n = len(columns)
    s.title("三、收到和处理政府信息公开申请情况 / Table 3: requests received and handled", 3 + n)
    top = T3_TOP
    if n == 7:
        s.merge(top, 1, top + 2, 3, F.TABLE3_NOTE, head=True)
        s.merge(top, 4, top, 10, "申请人情况", head=True)
        s.merge(top + 1, 4, top + 2, 4, columns[0], head=True)
        s.merge(top + 1, 5, top + 1, 9, F.ORGANISATION_GROUP, head=True)
        s.merge(top + 1, 10, top + 2, 10, columns[6], head=True)
        for i, col in enumerate(columns[1:6]):
            s.put(top + 2, 5 + i, col, head=True)
        first = top + 3
        for rr in range(top, first):
            s.ws.row_dimensions[rr].height = 30
    else:
        s.merge(top, 1, top, 3, F.TABLE3_NOTE, head=True)
        for i, col in enumerate(columns):
            s.put(top, 4 + i, col, head=True)
        first = top + 1
    for i, (label, values) in enumerate(rows):
        rr = first + i
        cell = s.merge(rr, 1, rr, 3, label, left=True)
        indent = 2 if any(ch.isdigit() for ch in label[:12]) and "." in label else (1 if "（" in label[:4] else 0)
        cell.alignment = s.Alignment(horizontal="left", vertical="center", wrap_text=True, indent=indent)
        for j, v in enumerate(values):
            s.put(rr, 4 + j, _number(v))
        lines = math.ceil(_text_width(label) / 60)
        s.ws.row_dimensions[rr].height = max(18, 15 * lines)
    r = first + len(rows) + 1
    if _has_unknown(report):
        s.note(r, UNKNOWN_NOTE, 3 + n)
    s.widths({1: 22, 2: 22, 3: 22, **{c: 11 for c in range(4, 4 + n)}})
    s.ws.freeze_panes = s.ws.cell(row=first, column=4)


def _xlsx_table4(wb: Any, report: dict[str, Any]) -> None:
    s = _Sheet(wb.create_sheet(SHEET_T4))
    groups, columns, values = _table4(report)
    w = len(columns)
    s.title("四、政府信息公开行政复议、行政诉讼情况 / Table 4: reconsideration and litigation", max(1, w * len(groups)))
    top = T4_TOP
    if len(groups) == 3:
        s.merge(top, 1, top, w, groups[0], head=True)
        s.merge(top, w + 1, top, 3 * w, _LAWSUIT, head=True)
        for i, col in enumerate(columns):
            s.merge(top + 1, 1 + i, top + 2, 1 + i, col, head=True)
        for g, sub in enumerate(_suit_subs(groups[1:])):
            s.merge(top + 1, w + 1 + g * w, top + 1, 2 * w + g * w, sub, head=True)
            for i, col in enumerate(columns):
                s.put(top + 2, w + 1 + g * w + i, col, head=True)
        vrow = top + 3
    else:
        for g, group in enumerate(groups):
            s.merge(top, 1 + g * w, top, w + g * w, group, head=True)
            for i, col in enumerate(columns):
                s.put(top + 1, 1 + g * w + i, col, head=True)
        vrow = top + 2
    for i, v in enumerate(values):
        s.put(vrow, 1 + i, _number(v))
    if _has_unknown(report):
        s.note(vrow + 2, UNKNOWN_NOTE, max(1, w * len(groups)))
    s.widths({c: 11 for c in range(1, 1 + w * len(groups))})


LINEAGE_HEADERS = (
    "数字 Figure",
    "数值 Value",
    "来源 Source",
    "类别 Kind",
    "内容编号 Content id",
    "标题 Title",
    "链接 URL",
    "sha256",
    "理由 Reason",
)


def _xlsx_lineage(wb: Any, report: dict[str, Any]) -> None:
    s = _Sheet(wb.create_sheet(SHEET_LINEAGE))
    s.title("依据：表二各数字计入的文件及无法判定的文件 / Lineage of the table-2 figures", len(LINEAGE_HEADERS))
    for j, h in enumerate(LINEAGE_HEADERS):
        s.put(3, 1 + j, h, head=True)
    r = 4
    for row, cell in _lineage(report):
        figure = _cell_label(row, cell)
        value = _number(cell.get("value"), money=_is_money(str(cell.get("column", ""))))
        entries = [("计入 counted", it) for it in cell.get("items") or []]
        entries += [("无法判定 undetermined", it) for it in cell.get("undetermined") or []]
        if not entries:
            entries = [("—", {})]
        for kind, item in entries:
            s.put(r, 1, figure, left=True)
            s.put(r, 2, value)
            s.put(r, 3, str(cell.get("source") or ""), left=True)
            s.put(r, 4, kind)
            s.put(r, 5, str(item.get("content_id") or ""))
            s.put(r, 6, str(item.get("title") or ""), left=True)
            url = str(item.get("url") or "")
            link = s.put(r, 7, url, left=True)
            if _http_url(url):
                link.hyperlink = _http_url(url)
                link.font = s.link_font
            s.put(r, 8, str(item.get("sha256") or ""), left=True)
            s.put(r, 9, str(item.get("reason") or ""), left=True)
            r += 1
    if r == 4:
        s.merge(4, 1, 4, len(LINEAGE_HEADERS), "无依据记录 / no lineage recorded", left=True)
    s.widths({1: 34, 2: 10, 3: 20, 4: 14, 5: 14, 6: 48, 7: 48, 8: 20, 9: 36})
    s.ws.freeze_panes = "A4"


def _xlsx_charts(wb: Any, report: dict[str, Any]) -> None:
    from openpyxl.chart import BarChart, LineChart, Reference

    s = _Sheet(wb.create_sheet(SHEET_CHARTS))
    charts = report.get("charts") or {}
    s.title("图表数据 / Chart data", 9)
    per_month = [(str(m), _int_or_none(n)) for m, n in charts.get("published_per_month") or []]
    ontime = [(str(m), v) for m, v in charts.get("ontime_rate") or []]
    findings = [(str(a), str(b), _int_or_none(c)) for a, b, c in charts.get("open_findings_by_rule") or []]
    top = 3
    s.put(top, 1, "月份 Month", head=True)
    s.put(top, 2, "发布条数 Items", head=True)
    for i, (month, n) in enumerate(per_month):
        s.put(top + 1 + i, 1, month)
        s.put(top + 1 + i, 2, n if n is not None else UNKNOWN)
    s.put(top, 4, "月份 Month", head=True)
    s.put(top, 5, "按时率 On-time rate", head=True)
    for i, (month, rate) in enumerate(ontime):
        s.put(top + 1 + i, 4, month)
        known = isinstance(rate, (int, float)) and not isinstance(rate, bool)
        s.put(top + 1 + i, 5, float(rate) if known else None, fmt="0.0%")
    s.put(top, 7, "规则 Rule", head=True)
    s.put(top, 8, "名称 Title", head=True)
    s.put(top, 9, "未结问题 Open findings", head=True)
    for i, (rule, title, n) in enumerate(findings):
        s.put(top + 1 + i, 7, rule)
        s.put(top + 1 + i, 8, title, left=True)
        s.put(top + 1 + i, 9, n if n is not None else UNKNOWN)
    rows = max(len(per_month), len(ontime), len(findings))
    s.note(top + rows + 2, "按时率空白表示该月无可判定的发布 / a blank rate: no item of that month could be judged", 9)
    s.widths({1: 12, 2: 16, 3: 3, 4: 12, 5: 18, 6: 3, 7: 10, 8: 36, 9: 20})

    # charts to the right of the data, one under the other (16 cm × 7.5 cm ≈ 17 rows each)
    anchor_row = 3
    if per_month:
        chart = BarChart()
        chart.type = "col"
        chart.title = "每月发布条数 Items published per month"
        chart.y_axis.title = "条 items"
        chart.x_axis.title = "月份 month"
        chart.add_data(Reference(s.ws, min_col=2, min_row=top, max_row=top + len(per_month)), titles_from_data=True)
        chart.set_categories(Reference(s.ws, min_col=1, min_row=top + 1, max_row=top + len(per_month)))
        chart.legend = None
        _axes_visible(chart)
        s.ws.add_chart(chart, f"K{anchor_row}")
    if ontime:
        chart = LineChart()
        chart.title = "按时公开率 On-time rate"
        chart.y_axis.title = "按时率 rate"
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        chart.add_data(Reference(s.ws, min_col=5, min_row=top, max_row=top + len(ontime)), titles_from_data=True)
        chart.set_categories(Reference(s.ws, min_col=4, min_row=top + 1, max_row=top + len(ontime)))
        chart.legend = None
        _axes_visible(chart)
        s.ws.add_chart(chart, f"K{anchor_row + 17}")
    if findings:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "未结问题（按规则）Open findings by rule"
        chart.add_data(Reference(s.ws, min_col=9, min_row=top, max_row=top + len(findings)), titles_from_data=True)
        chart.set_categories(Reference(s.ws, min_col=7, min_row=top + 1, max_row=top + len(findings)))
        chart.legend = None
        _axes_visible(chart)
        s.ws.add_chart(chart, f"K{anchor_row + 34}")
    if not (per_month or ontime or findings):
        s.note(top + 1, "无图表数据 / no chart data", 9)


def _axes_visible(chart: Any) -> None:
    """openpyxl ≥ 3.1 writes axes as deleted unless told otherwise; one size for every chart."""
    chart.width, chart.height = 16, 7.5
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _xlsx_summary(wb: Any, report: dict[str, Any]) -> None:
    s = _Sheet(wb.active)
    s.ws.title = SHEET_SUMMARY
    s.title(report_title(report), 4)
    frozen, banner = _frozen_text(report)
    r = 3
    for key, value in (
        ("机关 Organisation", report.get("org") or UNKNOWN),
        ("年度 Year", report.get("year") or UNKNOWN),
        ("格式 Format", _format_label(report)),
        ("统计截至 As of", report.get("as_of") or UNKNOWN),
        ("状态 Status", banner),
    ):
        s.put(r, 1, key, head=True, left=True)
        s.merge(r, 2, r, 4, value, left=True)
        r += 1
    r += 1
    published = report.get("published")
    s.merge(r, 1, r, 4, "主动公开分类 / Published by kind", head=True, left=True)
    r += 1
    if isinstance(published, dict):
        for kind, n in published.get("by_kind") or []:
            s.put(r, 1, str(kind), left=True)
            s.put(r, 2, _number(n))
            r += 1
        s.put(r, 1, "合计 Total", head=True, left=True)
        s.put(r, 2, _number(published.get("total")))
    else:
        s.merge(r, 1, r, 4, UNKNOWN, left=True)
    r += 2
    s.merge(r, 1, r, 4, "勾稽关系检查 / Identity checks", head=True, left=True)
    r += 1
    breaches = report.get("identity_breaches")
    if breaches is None:
        s.merge(r, 1, r, 4, "未检查 / not checked", left=True)
        r += 1
    elif not breaches:
        s.merge(r, 1, r, 4, "勾稽关系全部相符 / all identities hold", left=True)
        r += 1
    else:
        for j, h in enumerate(("检查项 Identity", "位置 Where", "应为 Expected", "实为 Found", "程度 Severity")):
            s.put(r, 1 + j, h, head=True)
        r += 1
        for b in breaches:
            for j, key in enumerate(("identity", "where", "expected", "found")):
                s.put(r, 1 + j, str(b.get(key, "")), left=True)
            sev = str(b.get("severity", ""))
            s.put(r, 5, _SEVERITY_ZH.get(sev, sev))
            r += 1
    r += 1
    for heading, english, paragraphs in _sections(report):
        s.merge(r, 1, r, 5, f"{heading} {english}", head=True, left=True)
        r += 1
        for p in paragraphs:
            s.merge(r, 1, r, 5, p, left=True)
            s.ws.row_dimensions[r].height = max(18, 15 * math.ceil(_text_width(p) / 110))
            r += 1
    s.widths({1: 22, 2: 22, 3: 22, 4: 22, 5: 22})


def write_xlsx(report: dict[str, Any], path: str | Path) -> Path:
    """The report as a workbook: 概况, 表二/表三/表四 in the official layout, 依据 (lineage) and 图表 (charts)."""
    from openpyxl import Workbook

    wb = Workbook()
    _xlsx_summary(wb, report)
    _xlsx_table2(wb, report)
    _xlsx_table3(wb, report)
    _xlsx_table4(wb, report)
    _xlsx_lineage(wb, report)
    _xlsx_charts(wb, report)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


# --------------------------------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------------------------------


def _docx_font(target: Any, name: str) -> None:
    """Set a style's or run's font for Latin and East Asian text alike."""
    from docx.oxml.ns import qn

    target.font.name = name
    element = target.element if hasattr(target, "element") else target._element
    rpr = element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _docx_cell(cell: Any, text: str, *, bold: bool = False, left: bool = False, size: float = 9) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    cell.text = ""
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(_xml_safe(text))
    run.bold = bold
    run.font.size = Pt(size)
    _docx_font(run, DOCX_FONT)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _docx_merge(table: Any, r1: int, c1: int, r2: int, c2: int, text: str, **kw: Any) -> None:
    cell = table.cell(r1, c1)
    if (r1, c1) != (r2, c2):
        cell = cell.merge(table.cell(r2, c2))
    _docx_cell(cell, text, **kw)


def _docx_note(doc: Any, text: str) -> None:
    from docx.shared import Pt, RGBColor

    run = doc.add_paragraph().add_run(_xml_safe(text))
    run.font.size = Pt(9)
    run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    _docx_font(run, DOCX_FONT)


def _docx_table2(doc: Any, report: dict[str, Any]) -> None:
    rows = _table2_rows(report)
    width = 1 + max((len(r.get("cells") or []) for r in rows), default=1)
    plan: list[tuple[str, Any]] = []
    block: str | None = None
    heads: list[str] | None = None
    for row in rows:
        columns = [str(c.get("column", "")) for c in row.get("cells") or []]
        if row.get("block") != block:
            block, heads = row.get("block"), None
            plan.append(("block", block))
        if columns != heads:
            heads = columns
            plan.append(("head", columns))
        plan.append(("row", row))
    table = doc.add_table(rows=len(plan), cols=width)
    table.style = "Table Grid"
    notes = []
    for r, (kind, what) in enumerate(plan):
        if kind == "block":
            _docx_merge(table, r, 0, r, width - 1, str(what or ""), bold=True, left=True)
            continue
        if kind == "head":
            _docx_cell(table.cell(r, 0), "信息内容", bold=True)
            for n, col in enumerate(what):
                last = width - 1 if n == len(what) - 1 else n + 1
                _docx_merge(table, r, n + 1, r, last, col, bold=True)
            continue
        cells = what.get("cells") or []
        _docx_cell(table.cell(r, 0), str(what.get("row", "")), left=True)
        for n, cell in enumerate(cells):
            last = width - 1 if n == len(cells) - 1 else n + 1
            _docx_merge(table, r, n + 1, r, last, _show_cell(cell))
            if _lower_bound(cell):
                notes.append(_undetermined_note(what, cell))
    for note in notes:
        _docx_note(doc, "注：" + note)


def _docx_table3(doc: Any, report: dict[str, Any]) -> None:
    columns, rows = _table3(report)
    n = len(columns)
    head_rows = 3 if n == 7 else 1
    table = doc.add_table(rows=head_rows + len(rows), cols=3 + n)
    table.style = "Table Grid"
    if n == 7:
        _docx_merge(table, 0, 0, 2, 2, F.TABLE3_NOTE, bold=True)
        _docx_merge(table, 0, 3, 0, 9, "申请人情况", bold=True)
        _docx_merge(table, 1, 3, 2, 3, columns[0], bold=True)
        _docx_merge(table, 1, 4, 1, 8, F.ORGANISATION_GROUP, bold=True)
        _docx_merge(table, 1, 9, 2, 9, columns[6], bold=True)
        for i, col in enumerate(columns[1:6]):
            _docx_cell(table.cell(2, 4 + i), col, bold=True)
    else:
        _docx_merge(table, 0, 0, 0, 2, F.TABLE3_NOTE, bold=True)
        for i, col in enumerate(columns):
            _docx_cell(table.cell(0, 3 + i), col, bold=True)
    for i, (label, values) in enumerate(rows):
        r = head_rows + i
        _docx_merge(table, r, 0, r, 2, label, left=True)
        for j, v in enumerate(values):
            _docx_cell(table.cell(r, 3 + j), _show(v))


def _docx_table4(doc: Any, report: dict[str, Any]) -> None:
    groups, columns, values = _table4(report)
    w = len(columns)
    if len(groups) == 3:
        table = doc.add_table(rows=4, cols=3 * w)
        table.style = "Table Grid"
        _docx_merge(table, 0, 0, 0, w - 1, groups[0], bold=True)
        _docx_merge(table, 0, w, 0, 3 * w - 1, _LAWSUIT, bold=True)
        for i, col in enumerate(columns):
            _docx_merge(table, 1, i, 2, i, col, bold=True)
        for g, sub in enumerate(_suit_subs(groups[1:])):
            _docx_merge(table, 1, w + g * w, 1, 2 * w - 1 + g * w, sub, bold=True)
            for i, col in enumerate(columns):
                _docx_cell(table.cell(2, w + g * w + i), col, bold=True)
        vrow = 3
    else:
        table = doc.add_table(rows=3, cols=max(1, w * len(groups)))
        table.style = "Table Grid"
        for g, group in enumerate(groups):
            _docx_merge(table, 0, g * w, 0, g * w + w - 1, group, bold=True)
            for i, col in enumerate(columns):
                _docx_cell(table.cell(1, g * w + i), col, bold=True)
        vrow = 2
    for i, v in enumerate(values):
        _docx_cell(table.cell(vrow, i), _show(v))


def write_docx(report: dict[str, Any], path: str | Path) -> Path:
    """The report as a Word document: title, the six sections and tables 二/三/四 with merged headers."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.8))
    _docx_font(doc.styles["Normal"], DOCX_FONT)
    doc.styles["Normal"].font.size = Pt(12)
    for name in ("Title", "Heading 1"):
        _docx_font(doc.styles[name], DOCX_HEADING_FONT)
        doc.styles[name].font.color.rgb = RGBColor(0, 0, 0)

    title = doc.add_paragraph(style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(report_title(report))
    run.font.size = Pt(20)
    _docx_font(run, DOCX_HEADING_FONT)
    frozen, banner = _frozen_text(report)
    _docx_note(doc, f"{_format_label(report)}；统计截至 as of {report.get('as_of') or UNKNOWN}；{banner}")

    for heading, english, paragraphs in _sections(report):
        h = doc.add_heading(level=1)
        hr = h.add_run(heading)
        _docx_font(hr, DOCX_HEADING_FONT)
        en = h.add_run(f"  {english}")
        en.font.size = Pt(10)
        en.font.color.rgb = RGBColor(0x77, 0x77, 0x77)
        for p in paragraphs:
            para = doc.add_paragraph(_xml_safe(p))
            para.paragraph_format.first_line_indent = Pt(24)
        lead = heading[:1]
        if lead == "二":
            _docx_table2(doc, report)
        elif lead == "三":
            _docx_table3(doc, report)
        elif lead == "四":
            _docx_table4(doc, report)
        if lead in ("二", "三", "四") and _has_unknown(report):
            _docx_note(doc, UNKNOWN_NOTE)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))
    return out


# --------------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------------


def _e(value: Any) -> str:
    """HTML-escape any value for text or a double-quoted attribute."""
    return html.escape(str(value), quote=True)


_CSS = (
    """
:root { color-scheme: light; }
body { font-family: FONTS; margin: 0; background: #f4f4f2; color: #1f1f1f; line-height: 1.7; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { font-size: 26px; text-align: center; margin: 8px 0 2px; letter-spacing: 1px; }
h2 { font-size: 19px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #b22222; }
h3 { font-size: 16px; margin: 18px 0 6px; }
.en { color: #777; font-size: 0.72em; font-weight: normal; margin-left: 0.6em; letter-spacing: 0; }
.subtitle { text-align: center; color: #666; margin: 0 0 12px; }
.banner { padding: 8px 14px; border-radius: 4px; margin: 10px 0; font-weight: bold; }
.banner.frozen { background: #e7f4e8; border: 1px solid #4c9a52; color: #1e5b23; }
.banner.draft { background: #fff4d6; border: 1px solid #d9a400; color: #6b5000; }
.meta { color: #555; font-size: 14px; margin: 4px 0 12px; }
p.para { text-indent: 2em; margin: 6px 0; }
table.t { border-collapse: collapse; width: 100%; margin: 10px 0; font-size: 13px; table-layout: auto; }
table.t td, table.t th { border: 1px solid #333; padding: 4px 6px; text-align: center; vertical-align: middle; }
table.t th { background: #f0f0f0; font-weight: bold; }
table.t tr.block td { background: #e6e9ef; text-align: left; font-weight: bold; }
table.t td.lbl { text-align: left; }
table.t td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
table.t td.unknown { color: #a0522d; }
table.t td.lower { color: #8b4513; font-weight: bold; }
table.t3 th.note { font-weight: normal; font-size: 12px; width: 40%; }
table.t3 td.num { width: 8.5%; }
table.t3 td.i1 { padding-left: 1.6em; } table.t3 td.i2 { padding-left: 3em; }
sup a { text-decoration: none; color: #1a5fb4; font-size: 10px; }
.note { color: #555; font-size: 13px; margin: 4px 0; }
details { border: 1px solid #ddd; border-radius: 4px; padding: 4px 10px; margin: 6px 0; background: #fafafa; }
details summary { cursor: pointer; font-size: 14px; }
details ol { margin: 6px 0; padding-left: 2em; font-size: 13px; }
details li { margin: 2px 0; word-break: break-all; }
.und { color: #8b4513; }
code { font-family: "Noto Sans Mono CJK SC", "DejaVu Sans Mono", Consolas, monospace; font-size: 12px;
  background: #eee; padding: 0 3px; border-radius: 2px; }
.charts { display: flex; flex-wrap: wrap; gap: 18px; }
.chart { border: 1px solid #ddd; padding: 8px; background: #fff; }
.chart svg { display: block; }
table.kv td { text-align: left; }
.ok { color: #1e5b23; }
.sev-error { color: #b22222; font-weight: bold; } .sev-warning { color: #b8860b; } .sev-unknown { color: #666; }
@media print { body { background: #fff; } main { padding: 0; } details { break-inside: avoid; } }
"""
).replace("FONTS", CSS_FONTS)


def _html_value_td(cell_text: str, *, unknown: bool, lower: bool = False, span: int = 1, extra: str = "") -> str:
    cls = "num" + (" unknown" if unknown else "") + (" lower" if lower else "")
    colspan = f' colspan="{span}"' if span > 1 else ""
    return f'<td class="{cls}"{colspan}>{_e(cell_text)}{extra}</td>'


def _html_table2(report: dict[str, Any]) -> str:
    rows = _table2_rows(report)
    width = 1 + max((len(r.get("cells") or []) for r in rows), default=1)
    out = ['<table class="t t2">']
    block: str | None = None
    heads: list[str] | None = None
    anchors = {id(cell): i for i, (_, cell) in enumerate(_lineage(report))}
    for row in rows:
        cells = row.get("cells") or []
        columns = [str(c.get("column", "")) for c in cells]
        if row.get("block") != block:
            block, heads = row.get("block"), None
            out.append(f'<tr class="block"><td colspan="{width}">{_e(block or "")}</td></tr>')
        if columns != heads:
            heads = columns
            ths = ["<th>信息内容</th>"]
            for n, col in enumerate(columns):
                span = width - n - 1 if n == len(columns) - 1 else 1
                colspan = f' colspan="{span}"' if span > 1 else ""
                ths.append(f"<th{colspan}>{_e(col)}</th>")
            out.append("<tr>" + "".join(ths) + "</tr>")
        tds = [f'<td class="lbl">{_e(row.get("row", ""))}</td>']
        for n, cell in enumerate(cells):
            span = width - n - 1 if n == len(cells) - 1 else 1
            extra = ""
            if id(cell) in anchors:
                extra = f'<sup><a href="#fig-{anchors[id(cell)]}" title="依据 lineage">依据</a></sup>'
            tds.append(
                _html_value_td(
                    _show_cell(cell),
                    unknown=cell.get("value") is None,
                    lower=_lower_bound(cell),
                    span=span,
                    extra=extra,
                )
            )
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _indent_class(label: str) -> str:
    head = label[:14]
    if any(f" {d}." in head or head.startswith(f"{d}.") for d in range(1, 10)):
        return "lbl i2"
    return "lbl i1" if "（" in label[:4] else "lbl"


def _html_table3(report: dict[str, Any]) -> str:
    columns, rows = _table3(report)
    out = ['<table class="t t3">']
    if len(columns) == 7:
        out.append(
            f'<tr><th class="note" colspan="3" rowspan="3">{_e(F.TABLE3_NOTE)}</th><th colspan="7">申请人情况</th></tr>'
        )
        out.append(
            f'<tr><th rowspan="2">{_e(columns[0])}</th><th colspan="5">{_e(F.ORGANISATION_GROUP)}</th>'
            f'<th rowspan="2">{_e(columns[6])}</th></tr>'
        )
        out.append("<tr>" + "".join(f"<th>{_e(c)}</th>" for c in columns[1:6]) + "</tr>")
    else:
        out.append(
            f'<tr><th class="note" colspan="3">{_e(F.TABLE3_NOTE)}</th>'
            + "".join(f"<th>{_e(c)}</th>" for c in columns)
            + "</tr>"
        )
    for label, values in rows:
        tds = "".join(_html_value_td(_show(v), unknown=v is None) for v in values)
        out.append(f'<tr><td class="{_indent_class(label)}" colspan="3">{_e(label)}</td>{tds}</tr>')
    out.append("</table>")
    return "\n".join(out)


def _html_table4(report: dict[str, Any]) -> str:
    groups, columns, values = _table4(report)
    w = len(columns)
    out = ['<table class="t t4">']
    if len(groups) == 3:
        out.append(f'<tr><th colspan="{w}">{_e(groups[0])}</th><th colspan="{2 * w}">{_e(_LAWSUIT)}</th></tr>')
        out.append(
            "<tr>"
            + "".join(f'<th rowspan="2">{_e(c)}</th>' for c in columns)
            + "".join(f'<th colspan="{w}">{_e(sub)}</th>' for sub in _suit_subs(groups[1:]))
            + "</tr>"
        )
        out.append("<tr>" + "".join(f"<th>{_e(c)}</th>" for c in columns) * 2 + "</tr>")
    else:
        out.append("<tr>" + "".join(f'<th colspan="{w}">{_e(g)}</th>' for g in groups) + "</tr>")
        out.append("<tr>" + "".join(f"<th>{_e(c)}</th>" for c in columns) * max(1, len(groups)) + "</tr>")
    out.append("<tr>" + "".join(_html_value_td(_show(v), unknown=v is None) for v in values) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _html_item(item: dict[str, Any], undetermined: bool = False) -> str:
    title = str(item.get("title") or item.get("content_id") or "（无标题 untitled）")
    url = item.get("url")
    href = _http_url(url)
    if href:
        link = f'<a href="{_e(href)}" target="_blank" rel="noopener noreferrer">{_e(title)}</a>'
    else:
        link = _e(title) + (f' <span class="note">（链接 URL：{_e(url)}）</span>' if url else "")
    bits = [link]
    if item.get("content_id") not in (None, ""):
        bits.append(f"内容编号 id <code>{_e(item['content_id'])}</code>")
    sha = str(item.get("sha256") or "")
    if sha:
        bits.append(f'<code title="sha256 {_e(sha)}">sha256 {_e(sha[:12])}…</code>')
    if item.get("reason"):
        bits.append(f"理由 reason：{_e(item['reason'])}")
    cls = ' class="und"' if undetermined else ""
    return f"<li{cls}>" + " · ".join(bits) + "</li>"


def _html_lineage(report: dict[str, Any]) -> str:
    pairs = _lineage(report)
    if not pairs:
        return '<p class="note">表二各数字无依据记录 / no lineage recorded for table 2.</p>'
    out = ['<h3>表二数字的依据 <span class="en">Lineage of the table-2 figures</span></h3>']
    for i, (row, cell) in enumerate(pairs):
        items = cell.get("items") or []
        und = cell.get("undetermined") or []
        summary = f"{_e(row.get('row', ''))} × {_e(cell.get('column', ''))}：<b>{_e(_show_cell(cell))}</b>"
        summary += f"（计入 {len(items)} 项 counted" if items or und else "（无逐项依据 no item list"
        summary += f"；无法判定 {len(und)} 项 undetermined，数字为下限 lower bound" if und else ""
        summary += "）"
        if cell.get("source"):
            summary += f' <span class="note">来源 source：{_e(cell["source"])}</span>'
        out.append(f'<details id="fig-{i}"><summary>{summary}</summary>')
        if items:
            out.append("<ol>" + "".join(_html_item(it) for it in items) + "</ol>")
        if und:
            out.append('<p class="note und">无法判定的文件 / undetermined items：</p>')
            out.append("<ol>" + "".join(_html_item(it, True) for it in und) + "</ol>")
        out.append("</details>")
    return "\n".join(out)


def _month_label(month: str) -> str:
    return month[5:7] if len(month) >= 7 and month[4] == "-" else month[-4:]


def _nice_max(value: float) -> float:
    """The top of an axis of four ticks at round steps (1, 2, 5 × 10ⁿ) at or above `value`."""
    if value <= 0:
        return 4
    raw = value / 4
    exp = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if raw <= step * exp:
            return 4 * step * exp
    return 40 * exp


def _svg_open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(label)}"><title>{_e(label)}</title>'
    )


def svg_columns(points: Sequence[tuple[str, Any]], title: str, unit: str = "") -> str:
    """A column chart of (month, count); an unknown count is a grey "?"."""
    width, height, left, right, top, bottom = 540, 260, 46, 12, 34, 36
    known = [float(v) for _, v in points if isinstance(v, (int, float)) and not isinstance(v, bool)]
    top_value = _nice_max(max(known, default=0))
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(points))
    out = [_svg_open(width, height, title)]
    out.append(
        f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="14" font-weight="bold">{_e(title)}</text>'
    )
    for k in range(5):
        v = top_value * k / 4
        y = top + plot_h - plot_h * k / 4
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#555">{v:g}</text>')
    for i, (label, v) in enumerate(points):
        x = left + i * step
        cx = x + step / 2
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            h = plot_h * float(v) / top_value
            y = top + plot_h - h
            out.append(
                f'<rect x="{x + step * 0.18:.1f}" y="{y:.1f}" width="{step * 0.64:.1f}" height="{h:.1f}" '
                'fill="#b22222"/>'
            )
            out.append(f'<text x="{cx:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="10">{_e(v)}</text>')
        else:
            out.append(
                f'<text x="{cx:.1f}" y="{top + plot_h - 4:.1f}" text-anchor="middle" font-size="11" '
                'fill="#999">?</text>'
            )
        out.append(
            f'<text x="{cx:.1f}" y="{height - bottom + 15}" text-anchor="middle" font-size="11">'
            f"{_e(_month_label(str(label)))}</text>"
        )
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#333"/>')
    out.append(
        f'<text x="{width / 2:.0f}" y="{height - 4}" text-anchor="middle" font-size="11" fill="#555">'
        f"月份 month{(' · ' + _e(unit)) if unit else ''}</text>"
    )
    out.append("</svg>")
    return "".join(out)


def svg_line(points: Sequence[tuple[str, Any]], title: str) -> str:
    """A line chart of (month, rate 0..1); the line breaks where the rate is unknown."""
    width, height, left, right, top, bottom = 540, 260, 46, 12, 34, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(points))
    out = [_svg_open(width, height, title)]
    out.append(
        f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="14" font-weight="bold">{_e(title)}</text>'
    )
    for k in range(5):
        y = top + plot_h - plot_h * k / 4
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#555">{25 * k}%</text>'
        )
    segment: list[str] = []
    segments: list[list[str]] = []
    dots = []
    for i, (label, v) in enumerate(points):
        cx = left + i * step + step / 2
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            y = top + plot_h - plot_h * min(1.0, max(0.0, float(v)))
            segment.append(f"{cx:.1f},{y:.1f}")
            dots.append(f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="3" fill="#1a5fb4"/>')
            dots.append(
                f'<text x="{cx:.1f}" y="{y - 6:.1f}" text-anchor="middle" font-size="10">{float(v) * 100:.0f}%</text>'
            )
        else:
            if segment:
                segments.append(segment)
            segment = []
            dots.append(
                f'<text x="{cx:.1f}" y="{top + plot_h - 4:.1f}" text-anchor="middle" font-size="11" '
                'fill="#999">?</text>'
            )
        out.append(
            f'<text x="{cx:.1f}" y="{height - bottom + 15}" text-anchor="middle" font-size="11">'
            f"{_e(_month_label(str(label)))}</text>"
        )
    if segment:
        segments.append(segment)
    for seg in segments:
        out.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="#1a5fb4" stroke-width="2"/>')
    out.extend(dots)
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#333"/>')
    out.append(
        f'<text x="{width / 2:.0f}" y="{height - 4}" text-anchor="middle" font-size="11" fill="#555">'
        "月份 month · ? = 未知 unknown</text>"
    )
    out.append("</svg>")
    return "".join(out)


def svg_bars(rows: Sequence[tuple[str, str, Any]], title: str) -> str:
    """A horizontal bar chart of (rule id, title, count)."""
    label_w, width, row_h, top = 330, 1090, 24, 34
    height = top + row_h * max(1, len(rows)) + 14
    known = [float(n) for _, _, n in rows if isinstance(n, (int, float)) and not isinstance(n, bool)]
    top_value = _nice_max(max(known, default=0))
    plot_w = width - label_w - 50
    out = [_svg_open(width, height, title)]
    out.append(
        f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="14" font-weight="bold">{_e(title)}</text>'
    )
    for i, (rule, name, n) in enumerate(rows):
        y = top + i * row_h
        text = f"{rule} {name}"
        short = text if _text_width(text) <= 52 else text[:24] + "…"
        out.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" font-size="12"><title>{_e(text)}</title>'
            f"{_e(short)}</text>"
        )
        if isinstance(n, (int, float)) and not isinstance(n, bool):
            w = plot_w * float(n) / top_value
            out.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="#d2691e"/>')
            out.append(f'<text x="{label_w + w + 5:.1f}" y="{y + 16}" font-size="11">{_e(n)}</text>')
        else:
            out.append(f'<text x="{label_w + 5}" y="{y + 16}" font-size="11" fill="#999">{_e(UNKNOWN)}</text>')
    out.append(f'<line x1="{label_w}" y1="{top - 2}" x2="{label_w}" y2="{height - 10}" stroke="#333"/>')
    out.append("</svg>")
    return "".join(out)


def _html_published(report: dict[str, Any]) -> str:
    published = report.get("published")
    if not isinstance(published, dict):
        return f'<p class="note">主动公开分类统计 / published by kind：{_e(UNKNOWN)}</p>'
    rows = "".join(
        f'<tr><td class="lbl">{_e(k)}</td>{_html_value_td(_show(n), unknown=n is None)}</tr>'
        for k, n in published.get("by_kind") or []
    )
    total = published.get("total")
    rows += f"<tr><th>合计 Total</th>{_html_value_td(_show(total), unknown=total is None)}</tr>"
    return (
        '<table class="t kv" style="width:auto;min-width:320px">'
        "<tr><th>类别 Kind</th><th>条数 Items</th></tr>" + rows + "</table>"
    )


def _html_charts(report: dict[str, Any]) -> str:
    charts = report.get("charts") or {}
    parts = []
    per_month = [(str(m), v) for m, v in charts.get("published_per_month") or []]
    ontime = [(str(m), v) for m, v in charts.get("ontime_rate") or []]
    findings = [(str(a), str(b), c) for a, b, c in charts.get("open_findings_by_rule") or []]
    if per_month:
        parts.append(
            f'<div class="chart">{svg_columns(per_month, "每月发布条数 Items published per month", "条 items")}</div>'
        )
    if ontime:
        parts.append(f'<div class="chart">{svg_line(ontime, "按时公开率 On-time rate")}</div>')
    if findings:
        parts.append(f'<div class="chart">{svg_bars(findings, "未结问题（按规则）Open findings by rule")}</div>')
    if not parts:
        return '<p class="note">无图表数据 / no chart data.</p>'
    return '<div class="charts">' + "".join(parts) + "</div>"


def _html_breaches(report: dict[str, Any]) -> str:
    breaches = report.get("identity_breaches")
    if breaches is None:
        return '<p class="note">未检查 / not checked.</p>'
    if not breaches:
        return '<p class="ok">勾稽关系全部相符 / all identities hold.</p>'
    head = "".join(
        f"<th>{h}</th>" for h in ("检查项 Identity", "位置 Where", "应为 Expected", "实为 Found", "程度 Severity")
    )
    rows = []
    for b in breaches:
        sev = str(b.get("severity", ""))
        rows.append(
            "<tr>"
            + "".join(f'<td class="lbl">{_e(b.get(k, ""))}</td>' for k in ("identity", "where", "expected", "found"))
            + f'<td class="sev-{_e(sev)}">{_e(_SEVERITY_ZH.get(sev, sev))}</td></tr>'
        )
    return f'<table class="t"><tr>{head}</tr>' + "".join(rows) + "</table>"


def render_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG; nothing loaded from elsewhere)."""
    title = report_title(report)
    frozen, banner = _frozen_text(report)
    unknown_note = f'<p class="note">{_e(UNKNOWN_NOTE)}</p>' if _has_unknown(report) else ""
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body><main>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="subtitle">Annual report on government information disclosure, {_e(report.get("year") or "")}'
        f" — {_e(report.get('org') or '')}</p>",
        f'<div class="banner {"frozen" if frozen else "draft"}">{_e(banner)}</div>',
        f'<p class="meta">格式 format：{_e(_format_label(report))} · '
        f"统计截至 as of {_e(report.get('as_of') or UNKNOWN)}</p>",
    ]
    for heading, english, paragraphs in _sections(report):
        lead = heading[:1]
        out.append(f'<section id="s{_SECTION_LEADS.index(lead) + 1}">')
        out.append(f'<h2>{_e(heading)}<span class="en">{_e(english)}</span></h2>')
        out.extend(f'<p class="para">{_e(p)}</p>' for p in paragraphs)
        if lead == "二":
            out.append(_html_table2(report))
            notes = [_undetermined_note(row, cell) for row, cell in _lineage(report) if _lower_bound(cell)]
            out.extend(f'<p class="note und">注：{_e(n)}</p>' for n in notes)
            out.append(unknown_note)
            out.append(_html_lineage(report))
        elif lead == "三":
            out.append(_html_table3(report))
            out.append(unknown_note)
        elif lead == "四":
            out.append(_html_table4(report))
            out.append(unknown_note)
        out.append("</section>")
    out.append('<section id="appendix"><h2>附录<span class="en">Appendix</span></h2>')
    out.append('<h3>主动公开分类统计 <span class="en">Published by kind</span></h3>')
    out.append(_html_published(report))
    out.append('<h3>图表 <span class="en">Charts</span></h3>')
    out.append(_html_charts(report))
    out.append('<h3>勾稽关系检查 <span class="en">Identity checks</span></h3>')
    out.append(_html_breaches(report))
    out.append("</section>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def write_html(report: dict[str, Any], path: str | Path) -> Path:
    """The report as one self-contained UTF-8 HTML page (see `render_html`)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report), encoding="utf-8")
    return out


# --------------------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------------------

_WRITERS = {"json": write_json, "xlsx": write_xlsx, "docx": write_docx, "html": write_html}


def write(report: dict[str, Any], path: str | Path, fmt: str | None = None) -> Path:
    """Write `report` to `path` as `fmt` (json | xlsx | docx | html; default: the file's suffix)."""
    kind = (fmt or Path(path).suffix.lstrip(".")).lower()
    if kind == "htm":
        kind = "html"
    writer = _WRITERS.get(kind)
    if writer is None:
        raise ValueError(f"未知的导出格式 {kind!r}，应为 {' | '.join(FORMATS)} / unknown export format {kind!r}")
    return writer(report, path)
