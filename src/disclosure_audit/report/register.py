"""The application register (申请登记) and the supplied figures (其他数据): read, validate, store, tabulate.

**The application register** holds one row per information-disclosure application, and only what the report
format counts — no personal data (no applicant names, ID numbers, phone numbers, addresses, e-mail)::

    申请编号        application_ref   opaque id the office assigns; unique per organisation and year received
    机关            org               organisation name
    收到日期        received_on       date received, YYYY-MM-DD (also 2024/1/5, 2024.1.5, 2024年1月5日)
    申请人类型      applicant_type    one of format.APPLICANT_TYPES (自然人, 商业企业, ... 其他)
    办理结果        outcome           an outcome row of table 三: the format's full label or a short code
                                      ("三（一）", "三（三）4", "三（六）3"; the trial format has only "三（六）")
    办结日期        decided_on        date the outcome was decided; empty = still open
    收费金额（元）  fee_yuan          fee charged in yuan, ≥ 0, at most two decimals; may be empty

Table 三 of year Y is derived from the dates alone:

* 一 本年新收: received in Y;
* 二 上年结转: received before 1 Jan Y and not decided before 1 Jan Y (open then);
* 三 outcome rows and （七）总计: decided in Y (办结日期 in Y), in the row of its 办理结果 — so the outcome must be
  a row of the format of its decision year (trial format up to 2020, 2021 format after);
* 四 结转下年度继续办理: received by 31 Dec Y and not decided by 31 Dec Y.

So 一 + 二 = （七）总计 + 四 holds by construction, and year Y's 二 equals year Y−1's 四 whenever both registers
are stored. A fee counts in the year of its 办结日期 (a fee on a still-open application counts once it is decided).

**The figures file** holds the cells nobody can count from a website: 机关, 年度, 表, 行, 列, 数值, 来源 — table 二's
rows of items （五）（六）（八）（九） of the year's format (行政许可, 行政处罚, 行政强制: 本年处理决定数量;
行政事业性收费: 本年收费金额（单位：万元）; in the trial format also 其他对外管理服务事项, 上一年项目数量,
本年增/减, 处理决定数量 and 政府集中采购) and the 15 cells of table 四. 数值 is a non-negative integer, money
a non-negative decimal (万元), 本年增/减 an integer that may be negative; 来源 (where the figure comes from) is
required.

**Validation** runs a Great Expectations suite built in code (GX Core, an ephemeral context with a pandas
datasource) over the file's rows. Every failing cell becomes one message naming file, row (as the spreadsheet
shows it: header = row 1), column, value and rule, Chinese first, English beside. A file that looks like it
holds personal data — a header such as 姓名, 身份证, 电话, 地址, 邮箱, name, phone; a value shaped like an 18-digit
身份证号, an 11-digit mobile number or an e-mail address (in any column) — or that has any column not listed
above, is refused. A personal value is never echoed in full: messages mask it. (So an 申请编号 of 11 digits
starting 13–19, or of 18 digits, is refused as well: give ids a prefix, e.g. "2024-001".) A refused file raises
`RegisterRejected` and nothing is written. Dates may also be Excel date cells; CSV files may be UTF-8 (with or
without BOM) or GB18030.

**Storage and re-imports** (tables of sql/0011_report_register.sql). A register row belongs to its organisation
and the year it was received; a figures row to its 机关 and 年度. A file *covers* those org+years (an import may
also declare `org` and `year`: then every row must belong to them, and an empty file still covers that org+year —
"this office received no applications that year", which reads as 0s, not as unknown). An import is one
transaction:

* an org+year nobody imported yet is stored;
* an org+year already stored is refused (`AlreadyImported`, nothing written) unless `replace=True`, which deletes
  that org+year's rows and stores the file's rows in the same transaction — so a file must hold *every*
  application received in the years it covers;
* a file identical (same SHA-256) to the import currently holding every org+year it covers is a no-op and says so;
* a failure at any point (a constraint, a lost connection) rolls everything back, replacements included.

`tables_from_register` turns the stored rows into table 三 (both format versions), the table-二 cells and table 四,
each supplied cell with its source, and the fee total for section 六.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import hashlib
import io
import json
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import psycopg2.extensions
import psycopg2.extras

from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.report import format as F

Kind = Literal["applications", "figures"]

# ------------------------------------------------------------------------------------ the two file layouts
# stable English key -> the Chinese header the file carries, in template order
APPLICATION_COLUMNS: dict[str, str] = {
    "application_ref": "申请编号",
    "org": "机关",
    "received_on": "收到日期",
    "applicant_type": "申请人类型",
    "outcome": "办理结果",
    "decided_on": "办结日期",
    "fee_yuan": "收费金额（元）",
}
FIGURE_COLUMNS: dict[str, str] = {
    "org": "机关",
    "year": "年度",
    "table": "表",
    "row": "行",
    "column": "列",
    "value": "数值",
    "source": "来源",
}
SHEET_NAMES: dict[Kind, str] = {"applications": "申请登记", "figures": "其他数据"}
INSTRUCTIONS_SHEET = "填写说明"
LISTS_SHEET = "选项"
DATA_DIR = Path(__file__).resolve().parent / "data"
TEMPLATE_STEMS: dict[Kind, str] = {"applications": "application_register_template", "figures": "figures_template"}

FIGURE_BLOCKS = frozenset({F.BLOCK_5, F.BLOCK_6, F.BLOCK_8, F.BLOCK_9})  # table-二 items a figures file supplies
TABLE_2, TABLE_4 = "二", "四"
FIRST_YEAR = 2019  # the first report year of the formats in report.format
INSERT_BATCH = 500


class RegisterRejected(DisclosureAuditError):
    """A register or figures file was refused; `errors` lists every reason, one message each. Nothing was written."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        shown = "\n".join(self.errors[:50])
        more = f"\n……另有 {len(self.errors) - 50} 条 / {len(self.errors) - 50} more" if len(self.errors) > 50 else ""
        super().__init__(
            f"文件被拒收，共 {len(self.errors)} 个问题 / file refused, {len(self.errors)} problem(s):\n{shown}{more}"
        )


class AlreadyImported(RegisterRejected):
    """The file covers an org+year that is already stored, and the import was not asked to replace it."""


@dataclass(frozen=True)
class ImportResult:
    """What an import did. `noop`: an identical file already holds these org+years; nothing was written."""

    kind: Kind
    file_name: str
    sha256: str
    rows: int
    covers: list[tuple[str, int]]
    import_id: int | None
    replaced_imports: list[int] = field(default_factory=list)
    noop: bool = False
    text: str = ""

    def message(self) -> str:
        """What the import did, Chinese first, English beside."""
        return self.text


# ------------------------------------------------------------------------------------ vocabulary helpers
def _norm(text: str) -> str:
    """Comparison key of a label: NFKC (full-width → half-width), no whitespace, no 、 or ．."""
    s = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s、.]", "", s)


def outcome_code(label: str) -> str:
    """The short code of an outcome row: "三、（三）不予公开 4.保护第三方合法权益" → "三（三）4"."""
    m = re.match(r"^三、(（[一二三四五六]）)[^ ]*(?: (\d+)\.)?", label)
    if not m:
        raise ValueError(f"not an outcome row label: {label!r}")
    return f"三{m.group(1)}{m.group(2) or ''}"


def _outcome_keys(fmt: F.Format) -> dict[str, str]:
    keys: dict[str, str] = {}
    for label in F.outcomes(fmt):
        keys[_norm(label)] = label
        keys[_norm(outcome_code(label))] = label
    return keys


OUTCOME_KEYS: dict[str, dict[str, str]] = {"2021": _outcome_keys("2021"), "2019": _outcome_keys("2019")}
ALL_OUTCOME_KEYS: dict[str, str] = {**OUTCOME_KEYS["2019"], **OUTCOME_KEYS["2021"]}


def _outcome_key(value: str | None) -> str | None:
    if value is None:
        return None
    key = _norm(value)
    if key.startswith("("):  # "（三）4" without the leading 三
        key = "三" + key
    return key


@dataclass(frozen=True)
class FigureCell:
    """One cell a figures file may supply."""

    fmt: F.Format
    table: str  # 二 | 四
    row: str
    column: str
    block: str | None = None  # table 二 only

    @property
    def kind(self) -> Literal["count", "signed", "money"]:
        if self.column in F.MONEY_COLUMNS:
            return "money"
        return "signed" if self.column in F.SIGNED_COLUMNS else "count"


def figure_cells(fmt: F.Format) -> list[FigureCell]:
    """Every cell a figures file may supply for a report in format `fmt`, in print order."""
    cells = [
        FigureCell(fmt, TABLE_2, row, col, block)
        for block, row, cols in F.table2_layout(fmt)
        if block in FIGURE_BLOCKS
        for col in cols
    ]
    cells += [FigureCell(fmt, TABLE_4, g, c) for g in F.TABLE4_GROUPS for c in F.TABLE4_COLUMNS]
    return cells


def _column_aliases(column: str) -> set[str]:
    """本年收费金额（单位：万元） may also be written 本年收费金额."""
    return {_norm(column), _norm(re.sub(r"（单位：[^）]*）", "", column))}


def _cell_keys() -> dict[str, FigureCell]:
    keys: dict[str, FigureCell] = {}
    for fmt in ("2021", "2019"):
        for cell in figure_cells(fmt):  # type: ignore[arg-type]
            for col in _column_aliases(cell.column):
                keys[f"{fmt}|{cell.table}|{_norm(cell.row)}|{col}"] = cell
    return keys


CELL_KEYS = _cell_keys()
_TABLE_NAMES = {"二": TABLE_2, "表二": TABLE_2, "四": TABLE_4, "表四": TABLE_4}


# ------------------------------------------------------------------------------------ personal data
PERSONAL_HEADER_ZH = (
    "姓名",
    "名称",
    "名字",
    "身份证",
    "证件",
    "电话",
    "手机",
    "地址",
    "住址",
    "邮箱",
    "邮件",
    "联系",
    "护照",
)
PERSONAL_HEADER_EN = re.compile(
    r"name|phone|mobile|mail|address|addr|id_?card|id_?no|id\s*number|passport|(?<![a-z])tel(?![a-z])"
)
ID_NUMBER = r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])"
MOBILE_NUMBER = r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])"
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+"
PERSONAL_VALUES = (
    (ID_NUMBER, "疑似身份证号码", "looks like an ID-card number"),
    (MOBILE_NUMBER, "疑似手机号码", "looks like a mobile phone number"),
    (EMAIL, "疑似电子邮箱地址", "looks like an e-mail address"),
)


def looks_personal_header(header: str) -> bool:
    """Whether a column header names personal data (姓名, 身份证, 电话, name, phone ...)."""
    h = unicodedata.normalize("NFKC", header).lower()
    return any(word in h for word in PERSONAL_HEADER_ZH) or PERSONAL_HEADER_EN.search(h) is not None


def _mask(value: str) -> str:
    """A personal value as a message may show it: first three and last two characters."""
    return value[:3] + "*" * max(len(value) - 5, 3) + value[-2:] if len(value) > 5 else "*" * len(value)


# ------------------------------------------------------------------------------------ reading a file
@dataclass
class SheetData:
    """A file's cells as text: the header as written, and each data row with its spreadsheet row number."""

    file_name: str
    header: list[str]
    rows: list[tuple[int, list[str]]]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def read_sheet(path: Path, kind: Kind) -> SheetData:
    """The cells of a CSV (UTF-8, with or without BOM, or GB18030) or XLSX file (the sheet named like the template's,
    else the first), by extension. Blank rows are skipped but keep their place in the numbering."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            ws = wb[SHEET_NAMES[kind]] if SHEET_NAMES[kind] in wb.sheetnames else wb.worksheets[0]
            records = [[_cell_text(v) for v in row] for row in ws.iter_rows(min_row=1, min_col=1, values_only=True)]
        finally:
            wb.close()
    elif suffix == ".csv":
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        records = [[c.strip() for c in rec] for rec in csv.reader(io.StringIO(text, newline=""))]
    else:
        raise RegisterRejected(
            [
                f"{path.name}：不支持的文件类型「{path.suffix}」，请用 .xlsx 或 .csv / "
                f"unsupported file type {path.suffix}, use .xlsx or .csv"
            ]
        )
    if not records:
        return SheetData(path.name, [], [])
    width = max(len(r) for r in records)
    records = [r + [""] * (width - len(r)) for r in records]
    # drop trailing columns that are empty throughout (Excel's formatted but unused columns)
    while width and all(not r[width - 1] for r in records):
        width -= 1
    records = [r[:width] for r in records]
    header = records[0]
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        name = h or f"（第 {i + 1} 列无表头 / column {i + 1} without header）"
        canonical = _canonical_header(name, kind)
        seen[canonical] = seen.get(canonical, 0) + 1
        header[i] = canonical if seen[canonical] == 1 else f"{canonical}（重复 duplicate {seen[canonical]}）"
    rows = [(n, rec) for n, rec in enumerate(records[1:], start=2) if any(rec)]
    return SheetData(path.name, header, rows)


def _canonical_header(name: str, kind: Kind) -> str:
    wanted = APPLICATION_COLUMNS if kind == "applications" else FIGURE_COLUMNS
    for header in wanted.values():
        if _norm(name) == _norm(header):
            return header
    return name


# ------------------------------------------------------------------------------------ validation through GX
@dataclass(frozen=True)
class _Rule:
    """One expectation and how its failures read: the user's column, and the frame column its value is shown from."""

    expectation: Any
    column: str
    shown: str
    zh: str
    en: str
    personal: bool = False


def _gx():
    import great_expectations as gx

    return gx


def _column_condition() -> Any:
    """GX's row-condition column (`Column("x") == 1`), the replacement of string conditions since GX Core 1.9."""
    from great_expectations.expectations.row_conditions import Column

    return Column


def _run_rules(frame: pd.DataFrame, rules: Sequence[_Rule]) -> list[tuple[_Rule, Any]]:
    """Validate `frame` (index: spreadsheet row numbers) with one suite of `rules`; return the failing ones with
    their GX result."""
    gx = _gx()
    context = gx.get_context(mode="ephemeral")
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    except (ImportError, AttributeError):  # progress bars are cosmetic: an older or newer GX without them is fine
        pass
    name = f"register_{uuid.uuid4().hex[:12]}"
    batch = (
        context.data_sources.add_pandas(name)
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe(name)
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = gx.ExpectationSuite(name=name)
    for n, rule in enumerate(rules):
        rule.expectation.meta = {"rule": n}
        suite.add_expectation(rule.expectation)
    suite = context.suites.add(suite)
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    failed = []
    for er in result.results:
        info = er.exception_info or {}
        if info.get("raised_exception"):
            raise DisclosureAuditError(
                f"校验规则执行出错 / a validation rule could not run: {info.get('exception_message')}"
            )
        if not er.success:
            failed.append((rules[int(er.expectation_config.meta["rule"])], er.result))
    failed.sort(key=lambda fr: list(rules).index(fr[0]))
    return failed


def _message(file_name: str, row: int, column: str, value: str, zh: str, en: str) -> str:
    shown = f"「{value}」" if value != "" else "（空）"
    shown_en = repr(value) if value != "" else "(empty)"
    return (
        f"{file_name}：第 {row} 行，列「{column}」，值{shown}：{zh} / "
        f"{file_name}: row {row}, column {column}, value {shown_en}: {en}"
    )


def _row_messages(file_name: str, frame: pd.DataFrame, failed: list[tuple[_Rule, Any]]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for rule, result in failed:
        for row in result.get("unexpected_index_list") or []:
            raw = _value(frame.at[row, rule.shown])
            value = "" if raw is None else str(raw)
            if rule.personal:
                value = _mask(value)
            out.append((int(row), _message(file_name, int(row), rule.column, value, rule.zh, rule.en)))
    return out


def _header_messages(sheet: SheetData, kind: Kind, failed: list[tuple[_Rule, Any]]) -> list[str]:
    """Messages of the column-set rule: missing columns, extra columns, columns that look like personal data."""
    wanted = list((APPLICATION_COLUMNS if kind == "applications" else FIGURE_COLUMNS).values())
    listed = "、".join(wanted)
    out: list[str] = []
    for rule, result in failed:
        if rule.column != "*header*":
            continue
        mismatched = (result.get("details") or {}).get("mismatched") or {}
        for name in sorted(mismatched.get("unexpected") or [], key=sheet.header.index):
            if looks_personal_header(name):
                zh = "疑似个人信息列（姓名、证件号、电话、地址、邮箱等），登记表不得含个人信息，整个文件被拒收"
                en = "a column of personal data (name, ID, phone, address, e-mail ...); the file is refused"
            else:
                zh = f"多余的列，文件只能有这些列：{listed}"
                en = f"extra column; the file may have only the columns {', '.join(wanted)}"
            out.append(_message(sheet.file_name, 1, name, name, zh, en))
        for name in mismatched.get("missing") or []:
            out.append(_message(sheet.file_name, 1, name, "", "缺少这一列 column missing", "this column is missing"))
    return out


def _raw_frame(sheet: SheetData) -> pd.DataFrame:
    data = {h: [rec[i] or None for _, rec in sheet.rows] for i, h in enumerate(sheet.header)}
    return pd.DataFrame(data, index=[n for n, _ in sheet.rows], dtype=object)


def _phase1_rules(frame: pd.DataFrame, expected: Iterable[str]) -> list[_Rule]:
    E = _gx().expectations
    rules = [_Rule(E.ExpectTableColumnsToMatchSet(column_set=list(expected), exact_match=True), "*header*", "", "", "")]
    for col in frame.columns:
        for regex, zh, en in PERSONAL_VALUES:
            rules.append(
                _Rule(
                    E.ExpectColumnValuesToNotMatchRegex(column=col, regex=regex),
                    col,
                    col,
                    f"{zh}，登记表不得含个人信息，整个文件被拒收",
                    f"{en}; no personal data allowed, the file is refused",
                    personal=True,
                )
            )
    return rules


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", value.strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _decimal(value: str | None, pattern: str) -> float | None:
    return float(value) if value is not None and re.fullmatch(pattern, value) else None


FEE_PATTERN = r"-?\d+(?:\.\d{1,2})?"
MONEY_PATTERN = r"\d+(?:\.\d{1,4})?"


def _application_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """The register's columns under their English keys, plus the derived columns the rules check."""
    f = raw.rename(columns={zh: key for key, zh in APPLICATION_COLUMNS.items()})[list(APPLICATION_COLUMNS)].copy()
    received = [_parse_date(v) for v in f["received_on"]]
    decided = [_parse_date(v) for v in f["decided_on"]]
    f["chk_received"] = pd.to_datetime(pd.Series(received, index=f.index, dtype=object))
    f["chk_decided"] = pd.to_datetime(pd.Series(decided, index=f.index, dtype=object))
    f["chk_year"] = [d.year if d else None for d in received]
    f["chk_has_decided"] = f["decided_on"].notna()
    f["chk_decided_ok"] = [d is not None for d in decided]
    f["chk_fmt"] = [F.report_format(d.year) if d else "" for d in decided]
    f["chk_outcome_key"] = [_outcome_key(v) for v in f["outcome"]]
    f["chk_outcome_known"] = [k in ALL_OUTCOME_KEYS for k in f["chk_outcome_key"]]
    f["chk_fee"] = [_decimal(v, FEE_PATTERN) for v in f["fee_yuan"]]
    f["chk_received_shown"] = f["received_on"]
    return f


def _application_rules(org: str | None, year: int | None) -> list[_Rule]:
    E = _gx().expectations
    rules: list[_Rule] = []

    def add(expectation: Any, key: str, zh: str, en: str) -> None:
        rules.append(_Rule(expectation, APPLICATION_COLUMNS[key], key, zh, en))

    C = _column_condition()
    if_decided = {"row_condition": C("chk_has_decided") == True}  # noqa: E712 - a GX condition, not a comparison
    if_open = {"row_condition": C("chk_has_decided") == False}  # noqa: E712
    known_2021 = {"row_condition": (C("chk_fmt") == "2021") & (C("chk_outcome_known") == True)}  # noqa: E712
    known_2019 = {"row_condition": (C("chk_fmt") == "2019") & (C("chk_outcome_known") == True)}  # noqa: E712
    types = list(F.APPLICANT_TYPES)
    add(E.ExpectColumnValuesToNotBeNull(column="application_ref"), "application_ref", "必填", "required")
    add(E.ExpectColumnValuesToNotBeNull(column="org"), "org", "必填", "required")
    add(
        E.ExpectColumnValuesToNotBeNull(column="chk_received"),
        "received_on",
        "必填，须为有效日期 YYYY-MM-DD",
        "required, a valid date YYYY-MM-DD",
    )
    add(E.ExpectColumnValuesToNotBeNull(column="applicant_type"), "applicant_type", "必填", "required")
    add(
        E.ExpectColumnValuesToBeInSet(column="applicant_type", value_set=types),
        "applicant_type",
        f"须为以下之一：{'、'.join(types)}",
        f"must be one of {', '.join(types)}",
    )
    add(
        E.ExpectColumnValuesToBeInSet(column="chk_decided_ok", value_set=[True], **if_decided),
        "decided_on",
        "须为有效日期 YYYY-MM-DD（未办结则留空）",
        "must be a valid date YYYY-MM-DD (empty while open)",
    )
    add(
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="chk_decided", column_B="chk_received", or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        "decided_on",
        "办结日期不得早于收到日期",
        "the date decided must not precede the date received",
    )
    add(
        E.ExpectColumnValuesToNotBeNull(column="outcome", **if_decided),
        "outcome",
        "已填办结日期的申请须填写办理结果",
        "an application with a date decided needs an outcome",
    )
    add(
        E.ExpectColumnValuesToBeNull(column="outcome", **if_open),
        "outcome",
        "未填办结日期（尚未办结）的申请不能有办理结果",
        "an application without a date decided (still open) cannot have an outcome",
    )
    add(
        E.ExpectColumnValuesToBeInSet(column="chk_outcome_key", value_set=sorted(ALL_OUTCOME_KEYS)),
        "outcome",
        "不是表三的办理结果行（可填格式原文或简码，如“三（一）”“三（三）4”“三（六）3”）",
        "not an outcome row of table 三 (the format's label or a code such as 三（一）, 三（三）4, 三（六）3)",
    )
    add(
        E.ExpectColumnValuesToBeInSet(column="chk_outcome_key", value_set=sorted(OUTCOME_KEYS["2021"]), **known_2021),
        "outcome",
        "2021 年起办结的申请须用 2021 版格式的办理结果（其他处理分 三（六）1–3）",
        "applications decided from 2021 use the 2021 format's outcome rows (其他处理 is 三（六）1–3)",
    )
    add(
        E.ExpectColumnValuesToBeInSet(column="chk_outcome_key", value_set=sorted(OUTCOME_KEYS["2019"]), **known_2019),
        "outcome",
        "2020 年及以前办结的申请须用试行格式的办理结果（其他处理只有 三（六））",
        "applications decided up to 2020 use the trial format's outcome rows (其他处理 is only 三（六）)",
    )
    add(
        E.ExpectCompoundColumnsToBeUnique(column_list=["org", "chk_year", "application_ref"]),
        "application_ref",
        "申请编号在同一机关同一年度内重复",
        "application id repeated within the same organisation and year",
    )
    add(
        E.ExpectColumnValuesToMatchRegex(column="fee_yuan", regex=f"^{FEE_PATTERN}$"),
        "fee_yuan",
        "须为金额（元，最多两位小数）",
        "must be an amount in yuan with at most two decimals",
    )
    add(
        E.ExpectColumnValuesToBeBetween(column="chk_fee", min_value=0),
        "fee_yuan",
        "收费金额不得为负",
        "the fee must not be negative",
    )
    if org is not None:
        add(
            E.ExpectColumnValuesToBeInSet(column="org", value_set=[org]),
            "org",
            f"须为导入时指定的机关「{org}」",
            f"must be the organisation named for the import, {org}",
        )
    if year is not None:
        add(
            E.ExpectColumnValuesToBeInSet(column="chk_year", value_set=[year]),
            "received_on",
            f"须为导入时指定的年度 {year} 内收到的申请",
            f"must be received in the year named for the import, {year}",
        )
    return rules


def _figure_frame(raw: pd.DataFrame) -> pd.DataFrame:
    f = raw.rename(columns={zh: key for key, zh in FIGURE_COLUMNS.items()})[list(FIGURE_COLUMNS)].copy()
    years = [int(v) if v is not None and re.fullmatch(r"\d{4}", v) else None for v in f["year"]]
    f["chk_year"] = years
    f["chk_year_ok"] = [y is not None and FIRST_YEAR <= y <= 2100 for y in years]
    f["chk_table"] = [_TABLE_NAMES.get(_norm(v)) if v is not None else None for v in f["table"]]
    cells: list[FigureCell | None] = []
    for y, t, r, c in zip(years, f["chk_table"], f["row"], f["column"], strict=True):
        ok = y is not None and t is not None and r is not None and c is not None
        key = f"{F.report_format(y)}|{t}|{_norm(r)}|{_norm(c)}" if ok else None  # type: ignore[arg-type]
        cells.append(CELL_KEYS.get(key) if key else None)
    f["chk_cell_ok"] = [c is not None for c in cells]
    f["chk_cell_checkable"] = [y_ok and t is not None for y_ok, t in zip(f["chk_year_ok"], f["chk_table"], strict=True)]
    f["chk_cell"] = [f"{c.table}|{c.row}|{c.column}" if c else None for c in cells]
    f["chk_kind"] = [c.kind if c else "" for c in cells]
    shown = zip(f["table"], f["row"], f["column"], strict=True)
    f["chk_cell_shown"] = [f"{t or ''} / {r or ''} / {c or ''}" for t, r, c in shown]
    return f


def _figure_rules(org: str | None, year: int | None) -> list[_Rule]:
    E = _gx().expectations
    rules: list[_Rule] = []

    def add(expectation: Any, key: str, zh: str, en: str, shown: str | None = None) -> None:
        rules.append(_Rule(expectation, FIGURE_COLUMNS[key], shown or key, zh, en))

    C = _column_condition()

    def kind_is(kind: str) -> dict[str, Any]:
        return {"row_condition": C("chk_kind") == kind}

    checkable = {"row_condition": C("chk_cell_checkable") == True}  # noqa: E712 - a GX condition
    add(E.ExpectColumnValuesToNotBeNull(column="org"), "org", "必填", "required")
    add(
        E.ExpectColumnValuesToBeInSet(column="chk_year_ok", value_set=[True]),
        "year",
        f"须为 {FIRST_YEAR} 年或以后的四位年份",
        f"must be a four-digit year, {FIRST_YEAR} or later",
    )
    add(E.ExpectColumnValuesToNotBeNull(column="chk_table"), "table", "须为“二”或“四”", "must be 二 or 四")
    add(
        E.ExpectColumnValuesToBeInSet(column="chk_cell_ok", value_set=[True], **checkable),
        "row",
        "（表, 行, 列）不是该年度报告格式中由本文件提供的单元格",
        "(表, 行, 列) is not a cell of the year's report format that this file supplies",
        shown="chk_cell_shown",
    )
    add(
        E.ExpectCompoundColumnsToBeUnique(column_list=["org", "chk_year", "chk_cell"]),
        "row",
        "同一机关同一年度的同一单元格重复",
        "the same cell repeated for one organisation and year",
        shown="chk_cell_shown",
    )
    add(E.ExpectColumnValuesToNotBeNull(column="value"), "value", "必填", "required")
    add(
        E.ExpectColumnValuesToMatchRegex(column="value", regex=r"^\d+$", **kind_is("count")),
        "value",
        "须为非负整数",
        "must be a non-negative integer",
    )
    add(
        E.ExpectColumnValuesToMatchRegex(column="value", regex=r"^-?\d+$", **kind_is("signed")),
        "value",
        "须为整数（可为负）",
        "must be an integer (may be negative)",
    )
    add(
        E.ExpectColumnValuesToMatchRegex(column="value", regex=rf"^{MONEY_PATTERN}$", **kind_is("money")),
        "value",
        "须为非负金额（万元，最多四位小数）",
        "must be a non-negative amount in 万元 with at most four decimals",
    )
    add(
        E.ExpectColumnValuesToNotBeNull(column="source"),
        "source",
        "必填：写明数据来源，如“行政许可系统导出 2025-01-10”",
        "required: say where the figure comes from, e.g. 行政许可系统导出 2025-01-10",
    )
    if org is not None:
        add(
            E.ExpectColumnValuesToBeInSet(column="org", value_set=[org]),
            "org",
            f"须为导入时指定的机关「{org}」",
            f"must be the organisation named for the import, {org}",
        )
    if year is not None:
        add(
            E.ExpectColumnValuesToBeInSet(column="chk_year", value_set=[year]),
            "year",
            f"须为导入时指定的年度 {year}",
            f"must be the year named for the import, {year}",
        )
    return rules


def validate_file(path: Path, kind: Kind, *, org: str | None = None, year: int | None = None) -> pd.DataFrame:
    """Read and validate a register (`kind` "applications") or figures file; return its checked frame (index:
    spreadsheet row numbers). Raises `RegisterRejected` with every problem found."""
    sheet = read_sheet(path, kind)
    expected = list((APPLICATION_COLUMNS if kind == "applications" else FIGURE_COLUMNS).values())
    if not sheet.header:
        raise RegisterRejected([f"{sheet.file_name}：文件为空，没有表头 / the file is empty, no header row"])
    raw = _raw_frame(sheet)
    failed = _run_rules(raw, _phase1_rules(raw, expected))
    errors = _header_messages(sheet, kind, failed) + [
        m for _, m in sorted(_row_messages(sheet.file_name, raw, [fr for fr in failed if fr[0].column != "*header*"]))
    ]
    if errors:
        raise RegisterRejected(errors)
    if kind == "applications":
        frame, rules = _application_frame(raw), _application_rules(org, year)
    else:
        frame, rules = _figure_frame(raw), _figure_rules(org, year)
    if len(frame):
        problems = _row_messages(sheet.file_name, frame, _run_rules(frame, rules))
        if problems:
            raise RegisterRejected([m for _, m in sorted(problems, key=lambda p: p[0])])
    return frame


# ------------------------------------------------------------------------------------ storage
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _value(value: Any) -> Any:
    """A frame value, with pandas' missing markers (NaN, NaT, None) as None."""
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _application_records(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    out = []
    for row, series in frame.iterrows():
        r = {k: _value(v) for k, v in series.items()}
        key = r["chk_outcome_key"]
        out.append(
            (
                r["org"],
                r["application_ref"],
                _parse_date(r["received_on"]),
                r["applicant_type"],
                ALL_OUTCOME_KEYS[key] if key is not None else None,
                _parse_date(r["decided_on"]),
                Decimal(r["fee_yuan"]) if r["fee_yuan"] is not None else None,
                int(row),
            )
        )
    return out


def _figure_records(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    out = []
    for row, series in frame.iterrows():
        r = {k: _value(v) for k, v in series.items()}
        table, row_label, column_label = r["chk_cell"].split("|")
        out.append(
            (r["org"], int(r["chk_year"]), table, row_label, column_label, Decimal(r["value"]), r["source"], int(row))
        )
    return out


_INSERT = {
    "applications": (
        "INSERT INTO report.applications (import_id, org, application_ref, received_on, applicant_type, outcome, "
        "decided_on, fee_yuan, source_row) VALUES %s"
    ),
    "figures": (
        "INSERT INTO report.supplied_figures (import_id, org, year, tbl, row_label, column_label, value, source, "
        "source_row) VALUES %s"
    ),
}
_DELETE = {
    "applications": "DELETE FROM report.applications WHERE org = %s AND received_year = %s",
    "figures": "DELETE FROM report.supplied_figures WHERE org = %s AND year = %s",
}


def _insert_batch(cur: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Insert one batch of rows (a seam the tests use to interrupt an import midway)."""
    psycopg2.extras.execute_values(cur, sql, rows, page_size=len(rows) or 1)


def _default_user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


def _import(
    conn: Any,
    path: Path,
    kind: Kind,
    *,
    replace: bool,
    org: str | None,
    year: int | None,
    imported_by: str | None,
) -> ImportResult:
    path = Path(path)
    if year is not None and org is None:
        raise RegisterRejected(["指定年度时须同时指定机关 / a year given for an import needs the organisation too"])
    frame = validate_file(path, kind, org=org, year=year)
    records = _application_records(frame) if kind == "applications" else _figure_records(frame)
    covers = {(r[0], r[2].year) for r in records} if kind == "applications" else {(r[0], r[1]) for r in records}
    if org is not None and year is not None:
        covers.add((org, year))
    covers_sorted = sorted(covers)
    sha = _sha256(path)
    if not covers_sorted:
        return ImportResult(
            kind,
            path.name,
            sha,
            0,
            [],
            None,
            noop=True,
            text=(
                "文件没有数据行，也未指定机关和年度：没有导入任何内容 / "
                "no data rows and no organisation and year given: "
                "nothing imported"
            ),
        )
    if conn.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
        raise DisclosureAuditError(
            "导入需要一个空闲的数据库连接（导入自行提交一个事务）/ "
            "an import needs an idle connection: it commits its own "
            "transaction"
        )
    autocommit = conn.autocommit
    conn.autocommit = False
    try:
        with conn, conn.cursor() as cur:
            # one import at a time per kind: the checks below and the writes see the same state
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('report.register_imports'), hashtext(%s))", (kind,))
            cur.execute(
                "SELECT s.org, s.year, s.import_id, i.sha256, i.file_name FROM report.register_scopes s "
                "JOIN report.register_imports i USING (import_id) "
                "WHERE s.kind = %s AND (s.org, s.year) IN (SELECT * FROM unnest(%s::text[], %s::int[]))",
                (kind, [c[0] for c in covers_sorted], [c[1] for c in covers_sorted]),
            )
            existing = {(o, y): (i, s, fn) for o, y, i, s, fn in cur.fetchall()}
            if len(existing) == len(covers_sorted) and all(s == sha for _, s, _ in existing.values()):
                ids = sorted({i for i, _, _ in existing.values()})
                return ImportResult(
                    kind,
                    path.name,
                    sha,
                    len(records),
                    covers_sorted,
                    ids[0],
                    noop=True,
                    text=(
                        f"与已导入的文件相同（导入 {', '.join(map(str, ids))}），未作任何更改 / "
                        "identical to the stored "
                        f"import {', '.join(map(str, ids))}; nothing changed"
                    ),
                )
            if existing and not replace:
                raise AlreadyImported(
                    [
                        f"{path.name}：机关「{o}」{y} 年度已由导入 {i}（{fn}）导入；"
                        "如要整体替换该年度的数据，请以 replace=True 重新导入 / "
                        f"{o} {y} is already stored by import {i} ({fn}); re-import with "
                        f"replace=True (--replace) to replace that year's rows as a whole"
                        for (o, y), (i, _, fn) in sorted(existing.items())
                    ]
                )
            replaced = sorted({i for i, _, _ in existing.values()})
            cur.execute(
                "INSERT INTO report.register_imports (kind, file_name, sha256, rows, covers, replaces, imported_by) "
                "VALUES (%s, %s, %s, %s, %s, %s, coalesce(%s, current_user)) RETURNING import_id",
                (
                    kind,
                    path.name,
                    sha,
                    len(records),
                    json.dumps(covers_sorted, ensure_ascii=False),
                    replaced,
                    imported_by or _default_user(),
                ),
            )
            import_id = cur.fetchone()[0]
            for o, y in existing:
                cur.execute(_DELETE[kind], (o, y))
            for o, y in covers_sorted:
                cur.execute(
                    "INSERT INTO report.register_scopes (kind, org, year, import_id) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (kind, org, year) DO UPDATE SET import_id = EXCLUDED.import_id",
                    (kind, o, y, import_id),
                )
            for start in range(0, len(records), INSERT_BATCH):
                batch = [(import_id, *r) for r in records[start : start + INSERT_BATCH]]
                _insert_batch(cur, _INSERT[kind], batch)
    finally:
        conn.autocommit = autocommit
    what = "申请" if kind == "applications" else "项数据"
    years = "、".join(f"{o} {y}" for o, y in covers_sorted)
    verb_zh, verb_en = ("替换", "replaced") if replaced else ("导入", "imported")
    return ImportResult(
        kind,
        path.name,
        sha,
        len(records),
        covers_sorted,
        import_id,
        replaced,
        text=(
            f"已{verb_zh} {len(records)} 条{what}（{years}），导入编号 {import_id} / {verb_en} {len(records)} row(s) "
            f"({years}), import {import_id}"
        ),
    )


def import_applications(
    conn: Any,
    path: Path | str,
    *,
    replace: bool = False,
    org: str | None = None,
    year: int | None = None,
    imported_by: str | None = None,
) -> ImportResult:
    """Validate and store an application register (see the module docstring for the re-import rules).

    `org`/`year`: optional declaration that the file is that organisation's register of applications received
    in that year — every row must match, and an empty file then records "no applications". The connection must
    be idle; the import commits its own transaction. Raises `RegisterRejected` (nothing written).
    """
    return _import(conn, Path(path), "applications", replace=replace, org=org, year=year, imported_by=imported_by)


def import_figures(
    conn: Any,
    path: Path | str,
    *,
    replace: bool = False,
    org: str | None = None,
    year: int | None = None,
    imported_by: str | None = None,
) -> ImportResult:
    """Validate and store a figures file (table-二 cells and table 四); same transaction and re-import rules."""
    return _import(conn, Path(path), "figures", replace=replace, org=org, year=year, imported_by=imported_by)


# ------------------------------------------------------------------------------------ tables from the register
def _scope(cur: Any, kind: Kind, org: str, year: int) -> int | None:
    cur.execute(
        "SELECT import_id FROM report.register_scopes WHERE kind = %s AND org = %s AND year = %s", (kind, org, year)
    )
    row = cur.fetchone()
    return row[0] if row else None


def _table3(cur: Any, org: str, year: int, fmt: F.Format) -> list[list[Any]]:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    cur.execute(
        "SELECT applicant_type, received_on, outcome, decided_on FROM report.applications "
        "WHERE org = %s AND received_on <= %s AND (decided_on IS NULL OR decided_on >= %s)",
        (org, end, start),
    )
    labels = F.table3_rows(fmt)
    counts = {label: [0] * 7 for label in labels}
    for applicant_type, received_on, outcome, decided_on in cur.fetchall():
        col = F.APPLICANT_TYPES.index(applicant_type)
        counts[F.ROW_NEW if received_on >= start else F.ROW_CARRIED][col] += 1
        if decided_on is not None and decided_on <= end:
            counts[outcome][col] += 1
            counts[F.ROW_TOTAL][col] += 1
        else:
            counts[F.ROW_CARRY_ON][col] += 1
    for values in counts.values():
        values[6] = sum(values[:6])
    return [[label, counts[label]] for label in labels]


def _figure_value(cell: FigureCell, value: Decimal) -> int | str:
    return str(value) if cell.kind == "money" else int(value)


def _read_stored(cur: Any, org: str, year: int, fmt: F.Format, out: dict[str, Any]) -> dict[tuple[str, ...], Any]:
    """Fill `out` with imports, table3, fees and notes; return the supplied figures by (table, row, column)."""
    reg = _scope(cur, "applications", org, year)
    figs = _scope(cur, "figures", org, year)
    out["imports"] = {"applications": reg, "figures": figs}
    if reg is not None:
        rows = _table3(cur, org, year, fmt)
        cur.execute(
            "SELECT coalesce(sum(fee_yuan), 0), count(*) FILTER (WHERE fee_yuan > 0) FROM report.applications "
            "WHERE org = %s AND decided_on BETWEEN %s AND %s",
            (org, dt.date(year, 1, 1), dt.date(year, 12, 31)),
        )
        total, charged = cur.fetchone()
        out["fees"] = {"total_yuan": str(Decimal(total).quantize(Decimal("0.01"))), "applications": charged}
        if _scope(cur, "applications", org, year - 1) is None:
            out["notes"].append(
                f"{year - 1} 年度的申请登记未导入：上年结转及其办理结果只计已导入的申请 / "
                f"the {year - 1} register is not stored: carried-over applications and their outcomes count only "
                "what is stored"
            )
    else:
        rows = [[label, [None] * 7] for label in F.table3_rows(fmt)]
        out["fees"] = {"total_yuan": None, "applications": None}
    out["table3"] = {"columns": list(F.APPLICANT_COLUMNS), "rows": rows}
    if figs is None:
        return {}
    cur.execute(
        "SELECT tbl, row_label, column_label, value, source FROM report.supplied_figures WHERE org = %s AND year = %s",
        (org, year),
    )
    return {(t, r, c): (v, s) for t, r, c, v, s in cur.fetchall()}


def tables_from_register(conn: Any, org: str, year: int) -> dict[str, Any]:
    """Table 三 (from the register), the table-二 cells and table 四 (from the supplied figures) of `org`'s report
    for `year`, in the report dict's structure (see report.format), and the fee total for section 六::

        year, format, org
        imports:  {"applications": import id | None, "figures": import id | None}
        table3:   {"columns", "rows": [[label, [7 ints | None]], ...]}   None when no register holds org+year
        table2:   [{"block", "row", "cells": [{"column", "value", "source"}]}]   the supplied items only
        table4:   {"groups", "columns", "values": [15], "sources": [15]}
        fees:     {"total_yuan": "123.00" | None, "applications": n | None}   decided in `year`
        notes:    [str]   e.g. last year's register not stored (carried-over applications may be missing)

    A cell without data is None, never 0; an imported register (even an empty one) gives numbers.
    """
    fmt = F.report_format(year)
    out: dict[str, Any] = {"year": year, "format": fmt, "org": org, "notes": []}
    idle = conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE
    try:
        with conn.cursor() as cur:
            supplied = _read_stored(cur, org, year, fmt, out)
    finally:
        if idle and not conn.autocommit:
            conn.rollback()  # end the read transaction this call began; a caller's own transaction is left alone
    cells = figure_cells(fmt)
    table2: list[dict[str, Any]] = []
    for block, row, cols in F.table2_layout(fmt):
        if block not in FIGURE_BLOCKS:
            continue
        row_cells = []
        for col in cols:
            cell = next(c for c in cells if c.table == TABLE_2 and c.row == row and c.column == col)
            value, source = supplied.get((TABLE_2, row, col), (None, None))
            row_cells.append(
                {"column": col, "value": _figure_value(cell, value) if value is not None else None, "source": source}
            )
        table2.append({"block": block, "row": row, "cells": row_cells})
    out["table2"] = table2
    t4 = [supplied.get((TABLE_4, g, c), (None, None)) for g in F.TABLE4_GROUPS for c in F.TABLE4_COLUMNS]
    out["table4"] = {
        "groups": list(F.TABLE4_GROUPS),
        "columns": list(F.TABLE4_COLUMNS),
        "values": [int(v) if v is not None else None for v, _ in t4],
        "sources": [s for _, s in t4],
    }
    return out


def apply_to_report(report: dict[str, Any], tables: dict[str, Any]) -> dict[str, Any]:
    """Fill `report` (report.format.empty_report of the same org and year) with the known cells of `tables`
    (tables_from_register); cells the register does not know are left as they are. Returns the report."""
    if report["year"] != tables["year"] or report["format"] != tables["format"]:
        raise ValueError(
            f"年度或格式不一致 / year or format differ: report {report['year']} ({report['format']}), "
            f"tables {tables['year']} ({tables['format']})"
        )
    if all(v is not None for _, values in tables["table3"]["rows"] for v in values):
        report["table3"] = {
            "columns": list(tables["table3"]["columns"]),
            "rows": [[label, list(values)] for label, values in tables["table3"]["rows"]],
        }
    for row in tables["table2"]:
        for cell in row["cells"]:
            if cell["value"] is not None:
                target = F.table2_cell(report, row["row"], cell["column"])
                target["value"], target["source"] = cell["value"], cell["source"]
    t4 = report["table4"]
    sources = t4.setdefault("sources", [None] * len(t4["values"]))
    for n, (value, source) in enumerate(zip(tables["table4"]["values"], tables["table4"]["sources"], strict=True)):
        if value is not None:
            t4["values"][n], sources[n] = value, source
    return report


# ------------------------------------------------------------------------------------ templates
_FIXED_TIME = dt.datetime(2025, 1, 1)
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)

_APPLICATION_HELP = (
    "政府信息公开申请登记表 填写说明",
    "",
    "一、每件政府信息公开申请填一行，只填本表各列，不得增加列，不得填写申请人姓名、身份证号、电话、地址、邮箱等个人信息。"
    "含疑似个人信息或多余列的文件将被整体拒收。",
    "二、申请编号：本机关自行编制的编号，同一机关同一年度内不得重复；不要使用手机号、身份证号作编号。",
    "三、机关：本机关全称，与年报署名一致。",
    "四、收到日期、办结日期：格式 YYYY-MM-DD，如 2024-03-05。尚未办结的申请，办结日期和办理结果都留空。"
    "办结日期不得早于收到日期。",
    f"五、申请人类型：从下拉列表选择，{'、'.join(F.APPLICANT_TYPES)} 之一。",
    "六、办理结果：从下拉列表选择年报表三第三项的行，也可填简码，如“三（一）”“三（三）4”“三（六）3”。"
    "2021 年起办结的申请用 2021 版格式（其他处理分 三（六）1、2、3）；"
    "2020 年及以前办结的用试行格式（其他处理只有“三（六）”）。",
    "七、收费金额（元）：向申请人收取的信息处理费，非负，最多两位小数；未收费留空。计入办结日期所在年度。",
    "八、统计口径：本年新收＝收到日期在本年；上年结转＝上年及以前收到、本年 1 月 1 日时尚未办结；"
    "办理结果计入办结日期所在年度；结转下年度＝本年 12 月 31 日时尚未办结。",
    "九、同一机关同一年度的申请须在一个文件中一次导入；重新导入该年度将整体替换（需明确选择替换）。",
    "",
    "Instructions (English): one row per application, only these columns, no personal data; dates YYYY-MM-DD; "
    "outcome = a row of table 三 item 三 (label or code such as 三（三）4); "
    "leave 办结日期 and 办理结果 empty while open.",
)

_FIGURES_HELP_HEAD = (
    "其他数据 填写说明",
    "",
    "一、每个单元格填一行：机关、年度（报告年度）、表（二 或 四）、行、列、数值、来源。不得增加列，不得填写个人信息。",
    "二、数值：件数填非负整数；金额（本年收费金额、采购总金额）以万元为单位，可有小数；“本年增/减”可为负数。",
    "三、来源必填，写明数据出处，如“行政许可系统导出 2025-01-10”。",
    "四、2019、2020 年度用试行格式，2021 年度起用 2021 版格式；各格式可填的单元格见下表。",
    "五、同一机关同一年度的数据须在一个文件中一次导入；重新导入该年度将整体替换（需明确选择替换）。",
    "",
    "Instructions (English): one row per cell; 数值 a non-negative integer (money in 万元, 本年增/减 may be negative); "
    "来源 required; the cells each format accepts are listed below.",
    "",
)


def _xlsx_bytes(wb: Any) -> bytes:
    """A workbook's bytes, made reproducible: fixed document times and fixed zip entry times."""
    wb.properties.created = _FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>",
                    rb"<dcterms:modified\1>2025-01-01T00:00:00Z</dcterms:modified>",
                    data,
                )
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _header_sheet(wb: Any, kind: Kind) -> Any:
    from openpyxl.styles import Font, PatternFill

    ws = wb.active
    ws.title = SHEET_NAMES[kind]
    headers = list((APPLICATION_COLUMNS if kind == "applications" else FIGURE_COLUMNS).values())
    ws.append(headers)
    for n, cell in enumerate(ws[1], start=1):
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        ws.column_dimensions[cell.column_letter].width = 14 if n < len(headers) else 28
    ws.freeze_panes = "A2"
    return ws


def _list_column(lists: Any, col: int, title: str, values: Sequence[str]) -> str:
    from openpyxl.utils import get_column_letter

    lists.cell(row=1, column=col, value=title)
    for n, v in enumerate(values, start=2):
        lists.cell(row=n, column=col, value=v)
    letter = get_column_letter(col)
    return f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"


def _dropdown(ws: Any, formula: str, cells: str, title: str) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="无效的值 / invalid value",
        error=f"请从下拉列表选择{title} / pick from the list",
    )
    dv.add(cells)
    ws.add_data_validation(dv)


def _help_sheet(wb: Any, lines: Iterable[Sequence[str]]) -> None:
    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    for line in lines:
        ws.append(list(line))
    ws.column_dimensions["A"].width = 120


def application_template_xlsx() -> bytes:
    """The register template: header, drop-downs for 申请人类型 and 办理结果, a 填写说明 sheet."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = _header_sheet(wb, "applications")
    last = 5001
    lists = wb.create_sheet(LISTS_SHEET)
    types = _list_column(lists, 1, "申请人类型", F.APPLICANT_TYPES)
    outcomes = list(F.OUTCOMES_2021) + [o for o in F.OUTCOMES_2019 if o not in F.OUTCOMES_2021]
    results = _list_column(lists, 2, "办理结果", outcomes)
    lists.sheet_state = "hidden"
    _dropdown(ws, types, f"D2:D{last}", "申请人类型")
    _dropdown(ws, results, f"E2:E{last}", "办理结果")
    from openpyxl.worksheet.datavalidation import DataValidation

    fee = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="无效的金额 / invalid amount",
        error="收费金额须为非负数 / the fee must not be negative",
    )
    fee.add(f"G2:G{last}")
    ws.add_data_validation(fee)
    _help_sheet(wb, [[line] for line in _APPLICATION_HELP])
    return _xlsx_bytes(wb)


def figures_template_xlsx() -> bytes:
    """The figures template: header, drop-downs for 表, 行, 列, a 填写说明 sheet listing every accepted cell."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = _header_sheet(wb, "figures")
    last = 1001
    lists = wb.create_sheet(LISTS_SHEET)
    all_cells = figure_cells("2021") + figure_cells("2019")
    rows = list(dict.fromkeys(c.row for c in all_cells))
    cols = list(dict.fromkeys(c.column for c in all_cells))
    _dropdown(ws, _list_column(lists, 1, "表", (TABLE_2, TABLE_4)), f"C2:C{last}", "表")
    _dropdown(ws, _list_column(lists, 2, "行", rows), f"D2:D{last}", "行")
    _dropdown(ws, _list_column(lists, 3, "列", cols), f"E2:E{last}", "列")
    lists.sheet_state = "hidden"
    kinds = {"count": "非负整数", "signed": "整数（可为负）", "money": "万元（小数）"}
    lines: list[Sequence[str]] = [[line] for line in _FIGURES_HELP_HEAD]
    lines.append(["格式 format", "表", "行", "列", "数值 value"])
    for fmt, title in (("2021", "2021 版（2021 年度起）"), ("2019", "试行格式（2019、2020 年度）")):
        for c in figure_cells(fmt):  # type: ignore[arg-type]
            lines.append([title, c.table, c.row, c.column, kinds[c.kind]])
    _help_sheet(wb, lines)
    return _xlsx_bytes(wb)


def template_csv(kind: Kind) -> bytes:
    """A CSV template: the header only, UTF-8 with BOM (so Excel opens it as UTF-8)."""
    buf = io.StringIO()
    csv.writer(buf).writerow(list((APPLICATION_COLUMNS if kind == "applications" else FIGURE_COLUMNS).values()))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def template_files() -> dict[str, bytes]:
    """The four shipped templates by file name (see write_templates)."""
    return {
        f"{TEMPLATE_STEMS['applications']}.xlsx": application_template_xlsx(),
        f"{TEMPLATE_STEMS['applications']}.csv": template_csv("applications"),
        f"{TEMPLATE_STEMS['figures']}.xlsx": figures_template_xlsx(),
        f"{TEMPLATE_STEMS['figures']}.csv": template_csv("figures"),
    }


def write_templates(directory: Path = DATA_DIR) -> list[Path]:
    """(Re)generate the template files into `directory` (default: the package's data/, which is committed)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in template_files().items():
        (directory / name).write_bytes(data)
        written.append(directory / name)
    return written


if __name__ == "__main__":  # python -m disclosure_audit.report.register: regenerate the shipped templates
    for p in write_templates():
        print(p)
