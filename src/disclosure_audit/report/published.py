"""Published annual reports (政府信息公开工作年度报告) read back from their pages, and checked.

`read_report_html` turns a report page into the report dict of `report.format`; `check_published`
runs the identities C1–C6, C8 (`report.identities`) and C7 (the figures section 一 quotes equal the
table cells); `compare_reports` lists the cells where our computed report and the published one differ.

Tables are recognised by their header texts, not by CSS classes: table 二 by "第二十条第（一）项" and
"信息内容", table 三 by "本年新收政府信息公开申请数量" and "结转下年度继续办理", table 四 by "行政复议",
"行政诉讼", "结果维持" and "尚未审结". Labels are compared after NFKC (full-width digits, brackets and
punctuation to their ASCII forms), with whitespace removed and curly quotes made straight, so
"（ 七 ）总计" and "(七)总计" are the same label. Text is read as data: scripts and styles inside a
cell are skipped, and whatever else the page says is only ever compared, never run.

Never silent: what was not read is never a zero. A page with none of the three tables, a cell that
is not a number ("十二", "", "-"), or a table whose rows or columns are not the format's raises
`ReportUnreadable`. A table that is missing from an otherwise readable page (a report published
without table 四) leaves its cells None and is named in the report's `unread` list, as is a section
whose heading was not found; the identities then report those cells as not checkable.

This module reads pages from any site; it must not import the replica (whose truth it is tested on).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import lxml.etree as etree
from lxml.etree import _Element as Element

from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.parse.decode import decode_html
from disclosure_audit.parse.dom import classes, parse_html
from disclosure_audit.report import format as F
from disclosure_audit.report.identities import Breach, check_report

T2, T3, T4 = "表二", "表三", "表四"
_TABLE_KEYS = {"table2": T2, "table3": T3, "table4": T4}
_INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "title"})
_TEXT_BLOCKS = frozenset({"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "blockquote"})
_MAX_SPAN = 64  # a rowspan/colspan larger than any report table is clamped, so junk cannot blow the grid up
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"', "−": "-", "—": "-"})


class ReportUnreadable(DisclosureAuditError):
    """A report page whose tables cannot be read as the format's: never returned as zeros.

    `url` names the page, `reason` what was expected and what was found (Chinese, English beside).
    """

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"年报无法读取 report unreadable：{url or '未知网址 unknown URL'}：{reason}")


# ------------------------------------------------------------------------------------------ text
def norm(text: str) -> str:
    """A label as compared: NFKC (full-width forms to ASCII), straight quotes, no whitespace at all."""
    return "".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split())


def _shown(el: Element | None) -> str:
    """The text a reader sees in `el` (scripts, styles and comments skipped), whitespace kept."""
    if el is None:
        return ""
    parts: list[str] = []
    walker = etree.iterwalk(el, events=("start", "end"))
    for event, node in walker:
        if event == "start":
            if not isinstance(node.tag, str) or node.tag in _INVISIBLE:
                walker.skip_subtree()
                continue
            if node.text:
                parts.append(node.text)
        elif node.tail and node is not el:
            parts.append(node.tail)
    return "".join(parts)


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _shorten(text: str, n: int = 40) -> str:
    text = _squeeze(text)
    return text if len(text) <= n else text[: n - 1] + "…"


# ----------------------------------------------------------------------------------------- tables
def _owner(tr: Element) -> Element | None:
    return next(tr.iterancestors("table"), None)


def _grid(table: Element) -> list[list[Element | None]]:
    """The table's rows as grid rows: a cell spanning n columns or rows fills n slots (the same element)."""
    rows = [tr for tr in table.iter("tr") if _owner(tr) is table]
    grid: list[list[Element | None]] = []
    spans: dict[int, list[Any]] = {}  # column → [cell, rows still to fill]

    def take(col: int, row: list[Element | None]) -> None:
        cell, left = spans[col]
        row.append(cell)
        if left <= 1:
            del spans[col]
        else:
            spans[col][1] = left - 1

    for tr in rows:
        row: list[Element | None] = []
        col = 0
        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            while col in spans:
                take(col, row)
                col += 1
            cs, rs = _span(td.get("colspan")), _span(td.get("rowspan"))
            for _ in range(cs):
                row.append(td)
                if rs > 1:
                    spans[col] = [td, rs - 1]
                col += 1
        while spans and col <= max(spans):
            if col in spans:
                take(col, row)
            else:
                row.append(None)
            col += 1
        grid.append(row)
    return grid


def _span(value: str | None) -> int:
    try:
        n = int((value or "1").strip())
    except ValueError:
        return 1
    return max(1, min(n, _MAX_SPAN))


def _distinct(cells: Iterable[Element | None]) -> list[Element]:
    """Cells in order, each element once (a spanning cell fills several slots)."""
    seen: set[int] = set()
    out: list[Element] = []
    for cell in cells:
        if cell is not None and id(cell) not in seen:
            seen.add(id(cell))
            out.append(cell)
    return out


_SIGNATURES: dict[str, tuple[str, ...]] = {
    T2: (norm(F.BLOCK_1), "信息内容"),
    T3: (norm("本年新收政府信息公开申请数量"), norm("结转下年度继续办理")),
    T4: ("行政复议", "行政诉讼", "结果维持", "尚未审结"),
}


def _find_tables(root: Element) -> dict[str, Element]:
    """Tables 二, 三 and 四 by their header texts: for each, the first innermost table that has them all."""
    tables = list(root.iter("table"))
    texts = {id(t): norm(_shown(t)) for t in tables}
    found: dict[str, Element] = {}
    for name, words in _SIGNATURES.items():
        matching = [t for t in tables if all(w in texts[id(t)] for w in words)]
        # a layout table around the report holds the words too: keep only tables with no matching table inside
        inner = [t for t in matching if not any(d is not t and d in matching for d in t.iter("table"))]
        if inner:
            found[name] = inner[0]
    return found


# ------------------------------------------------------------------------------------------ cells
_INT_TEXT = re.compile(r"^[+-]?\d{1,9}$")
_MONEY_TEXT = re.compile(r"^\d{1,12}(?:\.\d{1,4})?$")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?:\D|$))")


def _cell_value(raw: str, money: bool, url: str, where: str) -> int | str:
    """A cell's number: int for counts, "12.34" for money (万元); ReportUnreadable for anything else."""
    # outer whitespace only: "1 2" is not 12
    text = _THOUSANDS.sub("", unicodedata.normalize("NFKC", raw).translate(_QUOTES).strip())
    if money:
        text = text.removesuffix("万元").rstrip()
        if _MONEY_TEXT.match(text):  # digits and at most one point: Decimal takes it
            value = Decimal(text)
            return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)
        expected = "金额（万元，如 12.34）/ an amount in 万元 such as 12.34"
    else:
        if _INT_TEXT.match(text):
            return int(text)
        expected = "整数 / a whole number"
    raise ReportUnreadable(url, f"{where} 应为{expected}，实为「{_shorten(raw)}」/ found {_shorten(raw)!r}")


# ---------------------------------------------------------------------------------------- table 三
_NUMBERING = re.compile(r"^(\([一二三四五六七八九十]+\)|\d+\.)(.*)$")


def _row_keys(label: str) -> tuple[str, ...]:
    """What a printed row label must contain: each part's numbering and first four characters.

    "三、（三）不予公开 1.属于国家秘密" → ("(三)不予公开", "1.属于国家"); the leading "一、" to "四、" is
    not required, since real tables print "三、本年度办理结果" over the outcome rows or nothing at all.
    """
    body = re.sub(r"^[一二三四]、", "", label)
    keys = []
    for part in body.split():
        n = norm(part)
        m = _NUMBERING.match(n)
        keys.append(m.group(1) + m.group(2)[:4] if m else n)
    return tuple(keys)


_ALL_T3_ROWS = tuple(dict.fromkeys(F.table3_rows("2021") + F.table3_rows("2019")))
_T3_KEYS = {label: _row_keys(label) for label in _ALL_T3_ROWS}
_ONLY_2021 = set(F.table3_rows("2021")) - set(F.table3_rows("2019"))
_ONLY_2019 = set(F.table3_rows("2019")) - set(F.table3_rows("2021"))


def _match_t3_label(text: str) -> str | None:
    """The format row a printed label names (the most specific when several fit), or None."""
    best: tuple[int, int, str] | None = None
    for label, keys in _T3_KEYS.items():
        if all(k in text for k in keys):
            score = (len(keys), sum(map(len, keys)), label)
            if best is None or score[:2] > best[:2]:
                best = score
    return best[2] if best else None


def _table3_rows(table: Element, url: str) -> tuple[dict[str, list[Element | None]], str | None]:
    """The printed rows of table 三 by format label (their last seven grid cells), and the format they show."""
    found: dict[str, list[Element | None]] = {}
    group = ""
    for row in _grid(table):
        if len(row) < 8:
            continue
        values = row[-7:]
        label_cells = [c for c in _distinct(row[:-7]) if all(c is not v for v in values)]
        text = "".join(norm(_shown(c)) for c in label_cells)
        if not text:
            continue
        if re.match(r"^\d+\.", text) and group:
            text = group + text  # a sub-row printed without its （三） heading: the heading row above names it
        elif re.search(r"\([一二三四五六七]\)", text):
            group = text
        label = _match_t3_label(text)
        if label is None:
            continue
        if label in found:
            raise ReportUnreadable(url, f"表三 行「{label}」出现两次 / table 三 prints row {label!r} twice")
        found[label] = values
    fmt: str | None = None
    if _ONLY_2021 & found.keys():
        fmt = "2021"
    elif _ONLY_2019 & found.keys():
        fmt = "2019"
    return found, fmt


def _fill_table3(report: dict[str, Any], rows: dict[str, list[Element | None]], url: str) -> None:
    for n, label in enumerate(F.table3_rows(report["format"])):
        if label not in rows:
            raise ReportUnreadable(
                url, f"表三 缺少行「{label}」（{report['format']} 格式）/ table 三 has no row {label!r}"
            )
        values = [
            _cell_value(_shown(cell), False, url, f"表三 行「{label}」列「{col}」")
            for cell, col in zip(rows[label], F.APPLICANT_COLUMNS, strict=True)
        ]
        report["table3"]["rows"][n] = [label, values]


# ---------------------------------------------------------------------------------------- table 二
def _table2_rows(table: Element, url: str) -> tuple[dict[str, dict[str, str]], str | None]:
    """Printed table-二 rows by normalised row label: {column label (normalised): cell text}, and the format."""
    labels = {norm(r): r for _, r, _ in (*F.TABLE2_2021, *F.TABLE2_2019)}
    found: dict[str, dict[str, str]] = {}
    heads: list[str] | None = None
    fmt: str | None = None
    for row in _grid(table):
        cells = _distinct(row)
        if not cells:
            continue
        first = norm(_shown(cells[0]))
        if len(cells) == 1 and first.startswith("第二十条"):
            heads = None  # a new block: its own header row follows
            continue
        if first == "信息内容":
            heads = [norm(_shown(c)) for c in cells[1:]]
            if norm(F.ISSUED) in heads:
                fmt = fmt or "2021"
            elif norm(F.NEW_MADE_2019) in heads:
                fmt = fmt or "2019"
            continue
        if first not in labels:
            continue
        label = labels[first]
        if heads is None:
            raise ReportUnreadable(url, f"表二 行「{label}」前没有表头 / table 二 row {label!r} has no header row")
        values = [_shown(c) for c in cells[1:]]
        if len(values) != len(heads):
            raise ReportUnreadable(
                url,
                f"表二 行「{label}」应有 {len(heads)} 个数值，实有 {len(values)} 个 / "
                f"table 二 row {label!r}: expected {len(heads)} values, found {len(values)}",
            )
        if label in found:
            raise ReportUnreadable(url, f"表二 行「{label}」出现两次 / table 二 prints row {label!r} twice")
        found[label] = dict(zip(heads, values, strict=True))
    return found, fmt


def _fill_table2(report: dict[str, Any], rows: dict[str, dict[str, str]], url: str) -> None:
    for entry in report["table2"]:
        label = entry["row"]
        if label not in rows:
            raise ReportUnreadable(
                url, f"表二 缺少行「{label}」（{report['format']} 格式）/ table 二 has no row {label!r}"
            )
        for cell in entry["cells"]:
            col = cell["column"]
            if norm(col) not in rows[label]:
                raise ReportUnreadable(
                    url, f"表二 行「{label}」缺少列「{col}」/ table 二 row {label!r} has no column {col!r}"
                )
            where = f"表二 行「{label}」列「{col}」"
            cell["value"] = _cell_value(rows[label][norm(col)], col in F.MONEY_COLUMNS, url, where)


# ---------------------------------------------------------------------------------------- table 四
_T4_COLUMN_WORDS = ("维持", "纠正", "其他", "尚未审结", "总计")
_T4_HEAD_WORDS = ("行政复议", "行政诉讼", "起诉", *_T4_COLUMN_WORDS)


def _t4_slot(head: str) -> int | None:
    """The index (0–14) in table4 values of a grid column whose stacked header texts are `head`."""
    if "复议后起诉" in head:
        g = 2
    elif "未经复议" in head or "直接起诉" in head:
        g = 1
    elif "行政复议" in head:
        g = 0
    else:
        return None
    for c, word in enumerate(_T4_COLUMN_WORDS):
        if word in head:
            return g * 5 + c
    return None


def _fill_table4(report: dict[str, Any], table: Element, url: str) -> None:
    grid = _grid(table)
    texts = [[norm(_shown(c)) for c in row] for row in grid]
    head_rows = [i for i, row in enumerate(texts) if any(w in t for t in row for w in _T4_HEAD_WORDS)]
    if not head_rows:  # pragma: no cover - the signature guarantees a header
        raise ReportUnreadable(url, "表四 没有表头 / table 四 has no header rows")
    last_head = head_rows[-1]
    width = max(len(row) for row in grid)
    slots: dict[int, int] = {}  # value index → grid column
    for col in range(width):
        head = "".join(
            dict.fromkeys(texts[i][col] for i in range(last_head + 1) if col < len(texts[i]) and texts[i][col])
        )
        slot = _t4_slot(head)
        if slot is not None and slot not in slots:
            slots[slot] = col
    missing = [f"{F.TABLE4_GROUPS[s // 5]} × {F.TABLE4_COLUMNS[s % 5]}" for s in range(15) if s not in slots]
    if missing:
        raise ReportUnreadable(
            url, f"表四 表头缺少「{missing[0]}」等 {len(missing)} 列 / table 四 header lacks {len(missing)} columns"
        )
    values_row = next((i for i in range(last_head + 1, len(grid)) if any(texts[i])), None)
    if values_row is None:
        raise ReportUnreadable(url, "表四 表头下没有数值行 / table 四 has no row of figures under its header")
    row = grid[values_row]
    used: set[int] = set()
    for slot in range(15):
        col = slots[slot]
        cell = row[col] if col < len(row) else None
        where = f"表四「{F.TABLE4_GROUPS[slot // 5]} × {F.TABLE4_COLUMNS[slot % 5]}」"
        if cell is None or id(cell) in used:
            raise ReportUnreadable(url, f"{where} 没有单元格 / table 四 has no cell for {where}")
        used.add(id(cell))
        report["table4"]["values"][slot] = _cell_value(_shown(cell), False, url, where)


# --------------------------------------------------------------------------------------- sections
_SECTION_WORDS = ("总体情况", "主动公开", "申请", "复议", "问题", "其他")
_SECTION_LEAD = re.compile(r"^([一二三四五六])、")
_NUMERALS = "一二三四五六"


def _section_index(text: str) -> int | None:
    """Which of the six section headings a block's normalised text is, if any."""
    m = _SECTION_LEAD.match(text)
    if not m or len(text) > 40:
        return None
    n = _NUMERALS.index(m.group(1))
    return n if _SECTION_WORDS[n] in text else None


def _text_blocks(container: Element) -> list[str]:
    """The text of each innermost paragraph-like block outside tables, in document order."""
    out: list[str] = []
    walker = etree.iterwalk(container, events=("start",))
    for _, el in walker:
        tag = el.tag
        if not isinstance(tag, str) or tag in _INVISIBLE or tag == "table":
            walker.skip_subtree()
            continue
        if tag in _TEXT_BLOCKS and next(el.iterdescendants(*_TEXT_BLOCKS, "table"), None) is None:
            text = _squeeze(_shown(el))
            if text:
                out.append(text)
            walker.skip_subtree()
    return out


def _read_sections(report: dict[str, Any], container: Element) -> list[str]:
    """Paragraphs under each heading found (in order); the headings not found."""
    current = -1
    seen: set[int] = set()
    for text in _text_blocks(container):
        n = _section_index(norm(text))
        if n is not None and n > current:
            current = n
            seen.add(n)
            continue
        if current >= 0:
            report["sections"][current][1].append(text)
    return [F.SECTION_HEADINGS[n] for n in range(6) if n not in seen]


# ------------------------------------------------------------------------------------------- page
_TITLE_YEAR = re.compile(r"(20\d\d)年度?政府信息公开")
_ORGAN_IN_URL = re.compile(r"/public/(\d{1,10})/\d{1,10}\.html")


def _meta(root: Element, name: str) -> str:
    for el in root.iter("meta"):
        if (el.get("name") or "").lower() == name.lower():
            return _squeeze(el.get("content") or "")
    return ""


def _report_container(root: Element, tables: Sequence[Element]) -> Element:
    """The detail page's <div class="nb_report">, else the lowest element holding every table found."""
    for el in root.iter("div"):
        if "nb_report" in classes(el) and all(any(t is d for d in el.iter("table")) for t in tables):
            return el
    ancestors = [list(t.iterancestors()) for t in tables]
    for el in ancestors[0]:
        if all(any(el is a for a in chain) for chain in ancestors[1:]):
            return el
    return root  # pragma: no cover - the root holds every table


def read_report_html(html: str | bytes, *, url: str = "", year: int | None = None) -> dict[str, Any]:
    """A published annual report page read into the report dict of `report.format`.

    Tables 二, 三, 四 are found by their header texts (see the module docstring); cells become ints,
    money "12.34" (万元). The format version comes from the tables (table 三's rows, else table 二's
    columns), else from `year`; the tables win when they disagree with `year`. `year` defaults to
    the one the page title names (None when neither says).

    The dict carries two keys beyond `empty_report`'s: `url`, and `unread`, the names of what the
    page does not have: "表二" / "表三" / "表四" for a missing table (its cells stay None) and a
    section heading for a section not found (its paragraphs stay empty). Raises ReportUnreadable
    when the page has none of the three tables, when a cell is not a number, or when a table found
    lacks a row or column of the format.
    """
    if isinstance(html, bytes):
        html = decode_html(html, None)
    root = parse_html(html, url or None)
    if root is None:
        raise ReportUnreadable(url, "页面为空 / the page is empty")
    tables = _find_tables(root)
    if not tables:
        n = sum(1 for _ in root.iter("table"))
        raise ReportUnreadable(
            url,
            f"未找到表二、表三、表四（按表头文字识别），页面有 {n} 个表格 / found none of tables 二, 三, 四 "
            f"(recognised by their header texts); the page has {n} table(s)",
        )
    t3_rows, fmt3 = _table3_rows(tables[T3], url) if T3 in tables else ({}, None)
    t2_rows, fmt2 = _table2_rows(tables[T2], url) if T2 in tables else ({}, None)
    title = _meta(root, "ArticleTitle") or _squeeze(_shown(root.find(".//title")))
    if year is None:
        m = _TITLE_YEAR.search(norm(title))
        year = int(m.group(1)) if m else None
    fmt = fmt3 or fmt2 or (F.report_format(year) if year is not None else None)
    if fmt is None:
        raise ReportUnreadable(
            url,
            "无法确定报告格式：表三行名、表二列名与年度都不明 / cannot tell the format version: "
            "neither table 三's rows, table 二's columns nor the year say it",
        )
    report = F.empty_report(
        year if year is not None else (2021 if fmt == "2021" else 2019), _meta(root, "ContentSource")
    )
    if year is None:
        report["year"], report["as_of"] = None, None
    if report["format"] != fmt:  # the tables' version wins over the year's
        fmt_year = 2021 if fmt == "2021" else 2019
        skeleton = F.empty_report(fmt_year, report["org"])
        report.update(format=fmt, table2=skeleton["table2"], table3=skeleton["table3"])
    m = _ORGAN_IN_URL.search(url)
    report["organ_id"] = int(m.group(1)) if m else None
    report["url"] = url
    unread = [name for name in (T2, T3, T4) if name not in tables]
    if T2 in tables:
        _fill_table2(report, t2_rows, url)
    if T3 in tables:
        _fill_table3(report, t3_rows, url)
    if T4 in tables:
        _fill_table4(report, tables[T4], url)
    unread += _read_sections(report, _report_container(root, list(tables.values())))
    report["unread"] = unread
    return report


# -------------------------------------------------------------------------------------------- C7
_FIGURES: dict[str, tuple[re.Pattern[str], ...]] = {
    "published": (re.compile(r"主动公开(?:各类)?(?:政府)?信息(?:共计?|合计)?(\d{1,12})(?:条|件)"),),
    "new": (re.compile(r"(?:新收|收到|受理)(?:到)?(?:政府信息公开)?申请(?:共计?|合计)?(\d{1,12})件"),),
    "handled": (re.compile(r"办结(?:政府信息公开申请)?(?:共计?|合计)?(\d{1,12})件"),),
    "carried_on": (re.compile(r"结转(?:至)?下一?年度?(?:继续办理)?(\d{1,12})件"),),
    "reviews": (re.compile(r"行政复议(?:和|及|与|、)?行政诉讼(?:案件)?(?:共计?|合计)?(\d{1,12})(?:件|起)"),),
}
_NONE_QUOTED = {
    "new": re.compile(r"未(?:收到|接到|受理)(?:任何)?(?:政府信息公开)?申请"),
    "reviews": re.compile(r"未(?:发生|收到)(?:涉及)?(?:政府信息公开)?(?:的)?行政复议(?:和|及|与|、)?行政诉讼"),
}
FIGURE_TITLES = {
    "published": "主动公开政府信息条数 / items published",
    "new": "新收申请 / new applications",
    "handled": "办结 / handled",
    "carried_on": "结转下年度 / carried on",
    "reviews": "行政复议和行政诉讼 / reviews and lawsuits",
}


def section_one_figures(text: str) -> dict[str, int]:
    """The figures section 一 quotes, by key: published, new, handled, carried_on, reviews.

    Arabic digits only (full-width ones too), at most 12 digits (a longer run of digits is no figure a
    report quotes); the first figure of each kind counts. "全年未收到政府信息
    公开申请" quotes new = 0 and "未发生政府信息公开行政复议和行政诉讼" reviews = 0. A kind the text
    does not quote is absent, never 0.
    """
    flat = norm(text)
    out: dict[str, int] = {}
    for key, patterns in _FIGURES.items():
        for pattern in patterns:
            m = pattern.search(flat)
            if m:
                out[key] = int(m.group(1))
                break
        else:
            none = _NONE_QUOTED.get(key)
            if none is not None and none.search(flat):
                out[key] = 0
    return out


def _total(report: dict[str, Any], label: str) -> int | None:
    try:
        value = F.table3_row(report, label)[6]
    except (KeyError, IndexError):
        return None
    return value if isinstance(value, int) else None


def _table_figures(report: dict[str, Any]) -> dict[str, tuple[str, int | None]]:
    """Per quoted kind, the cells it must equal (a description) and their value (None: not known)."""
    values = report.get("table4", {}).get("values", [])
    reviews = [values[i] if i < len(values) else None for i in (4, 9, 14)]
    review_sum = sum(reviews) if all(isinstance(v, int) for v in reviews) else None  # type: ignore[arg-type]
    return {
        "new": (f"表三「{F.ROW_NEW}」× 总计", _total(report, F.ROW_NEW)),
        "handled": (f"表三「{F.ROW_TOTAL}」× 总计", _total(report, F.ROW_TOTAL)),
        "carried_on": (f"表三「{F.ROW_CARRY_ON}」× 总计", _total(report, F.ROW_CARRY_ON)),
        "reviews": ("表四 三组「总计」之和", review_sum),
    }


def check_c7(report: dict[str, Any]) -> list[Breach]:
    """C7: each figure section 一 quotes equals its table cells (see `section_one_figures`).

    new = 表三 一 row 总计; handled = （七）总计 row 总计; carried on = 四 row 总计; reviews and lawsuits =
    the sum of table 四's three 总计 cells. A quoted figure whose cells are not known, and a section 一
    that was not found, give a Breach of severity "unknown", never a pass.
    """
    heading = F.SECTION_HEADINGS[0]
    if heading in report.get("unread", []):
        return [Breach("C7", heading, "第一部分的文字 / the text of section 一", "未找到 / not found", "unknown")]
    paragraphs = next((p for h, p in report.get("sections", []) if h == heading), [])
    quoted = section_one_figures("".join(paragraphs))
    out: list[Breach] = []
    for key, (cells, value) in _table_figures(report).items():
        if key not in quoted:
            continue
        where = f"{heading}「{FIGURE_TITLES[key]}」/ {cells}"
        if value is None:
            out.append(Breach("C7", where, "已知的数值 / known figures", "未知 / not known", severity="unknown"))
        elif quoted[key] != value:
            out.append(Breach("C7", where, f"表格={value}", f"第一部分={quoted[key]}"))
    return out


def check_published(report: dict[str, Any], previous: dict[str, Any] | None = None) -> list[Breach]:
    """Every identity of a published report: C1–C6, C8 (identities.check_report) and C7."""
    return check_report(report, previous) + check_c7(report)


# --------------------------------------------------------------------------------------- compare
def _cells(report: dict[str, Any]) -> dict[tuple[str, str, str], Any]:
    out: dict[tuple[str, str, str], Any] = {}
    for row in report.get("table2", []):
        for cell in row["cells"]:
            out[("table2", row["row"], cell["column"])] = cell.get("value")
    t3 = report.get("table3", {})
    for label, values in t3.get("rows", []):
        for col, v in zip(t3.get("columns", F.APPLICANT_COLUMNS), values, strict=False):
            out[("table3", label, col)] = v
    for n, v in enumerate(report.get("table4", {}).get("values", [])):
        if n < 15:
            out[("table4", F.TABLE4_GROUPS[n // 5], F.TABLE4_COLUMNS[n % 5])] = v
    return out


def _same(a: Any, b: Any) -> bool:
    try:
        return Decimal(str(a).strip()) == Decimal(str(b).strip())
    except InvalidOperation:
        return str(a).strip() == str(b).strip()


def compare_reports(ours: dict[str, Any], theirs: dict[str, Any]) -> list[dict[str, Any]]:
    """Every cell where our computed report and the published one differ, differences first.

    Each entry is {table, row, column, ours, theirs, status}: status "differs" when both are known
    and unequal (12.5 and "12.50" are equal); "not computed" when our cell is None (we could not
    compute it, so it is no difference); "not published" when the published cell is None or absent
    (its table unread) while ours is known. Raises ValueError for reports of different formats.
    """
    if ours.get("format") != theirs.get("format"):
        raise ValueError(
            f"报告格式不同，无法逐格比较 / different format versions: ours {ours.get('format')}, "
            f"published {theirs.get('format')}"
        )
    a, b = _cells(ours), _cells(theirs)
    differs, not_computed, not_published = [], [], []
    for key in dict.fromkeys([*a, *b]):
        mine, published = a.get(key), b.get(key)
        entry = {"table": key[0], "row": key[1], "column": key[2], "ours": mine, "theirs": published}
        if mine is None:
            not_computed.append({**entry, "status": "not computed"})
        elif published is None:
            not_published.append({**entry, "status": "not published"})
        elif not _same(mine, published):
            differs.append({**entry, "status": "differs"})
    return differs + not_computed + not_published
