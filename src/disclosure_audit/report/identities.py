"""The format's identities (勾稽关系) C1–C6 and C8, checked on any report dict (see report.format).

C7 (figures quoted in section 一 equal the cells) needs the section text; report.published checks it.
A cell that is None (not known) is not guessed: an identity over it is reported as not checkable,
never as holding.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from disclosure_audit.report import format as F

IDENTITY_TITLES = {
    "C1": "申请情况表每列：一+二＝（七）总计+四 / per column of 三: new + carried = handled + carried on",
    "C2": "申请情况表每列：（七）总计＝各办理结果之和 / per column: 总计 = sum of the outcome rows",
    "C3": "申请情况表每行：总计＝六类申请人之和 / per row: 总计 = sum of the six applicant columns",
    "C4": "复议诉讼表每组：维持+纠正+其他+尚未审结＝总计 / per group of 四: the four results sum to 总计",
    "C5": "本年上年结转＝上年结转下年度继续办理 / carried = last year's carried on",
    "C6": "现行有效≈上年现行有效+本年制发−本年废止 / in force ≈ last year's + issued − abolished",
    "C8": "单元格为非负整数（收费为万元小数）/ cells are non-negative integers (fees: decimal 万元)",
}


@dataclass(frozen=True)
class Breach:
    """One identity that does not hold (or cannot be checked) in a report."""

    identity: str  # C1 … C8
    where: str  # the cells, e.g. "表三 列 自然人"
    expected: str
    found: str
    severity: str = "error"  # C6: warning; a cell that is not known: "unknown"

    def message(self) -> str:
        return f"{self.identity} {self.where}：应为 expected {self.expected}，实为 found {self.found}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_INT = re.compile(r"^-?\d+$")
_MONEY = re.compile(r"^\d+(\.\d{1,4})?$")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT.match(value.strip()):
        return int(value.strip())
    return None


def check_c8(report: dict[str, Any]) -> list[Breach]:
    """Every cell a non-negative integer (本年增/减 may be negative); money a non-negative decimal."""
    out: list[Breach] = []
    for row in report.get("table2", []):
        for cell in row["cells"]:
            v, col = cell.get("value"), cell["column"]
            if v is None:
                continue
            where = f"表二 {row['row']} × {col}"
            if col in F.MONEY_COLUMNS:
                try:
                    ok = _MONEY.match(str(v).strip()) is not None and Decimal(str(v)) >= 0
                except InvalidOperation:
                    ok = False
                if not ok:
                    out.append(Breach("C8", where, "非负小数（万元）/ a non-negative decimal", repr(v)))
            else:
                n = _int(v)
                if n is None or (n < 0 and col not in F.SIGNED_COLUMNS):
                    out.append(Breach("C8", where, "非负整数 / a non-negative integer", repr(v)))
    for label, values in report.get("table3", {}).get("rows", []):
        for col, v in zip(F.APPLICANT_COLUMNS, values, strict=False):
            if v is not None and (_int(v) is None or _int(v) < 0):  # type: ignore[operator]
                out.append(Breach("C8", f"表三 {label} × {col}", "非负整数 / a non-negative integer", repr(v)))
    t4 = report.get("table4", {})
    for n, v in enumerate(t4.get("values", [])):
        if v is not None and (_int(v) is None or _int(v) < 0):  # type: ignore[operator]
            where = f"表四 {F.TABLE4_GROUPS[n // 5]} × {F.TABLE4_COLUMNS[n % 5]}"
            out.append(Breach("C8", where, "非负整数 / a non-negative integer", repr(v)))
    return out


def _unknown(identity: str, where: str) -> Breach:
    return Breach(identity, where, "已知的数值 / known figures", "未知 / not known", severity="unknown")


def check_table3(report: dict[str, Any]) -> list[Breach]:
    """C1, C2 per column and C3 per row of table 三."""
    fmt = report["format"]
    rows = {label: [_int(v) for v in values] for label, values in report["table3"]["rows"]}
    expected_rows = F.table3_rows(fmt)
    missing = [r for r in expected_rows if r not in rows]
    if missing:
        return [Breach("C2", "表三", f"{len(expected_rows)} 行 rows", f"缺少 missing {missing[0]}")]
    out: list[Breach] = []
    outcome_rows = F.outcomes(fmt)
    for c, col in enumerate(F.APPLICANT_COLUMNS):
        new, carried = rows[F.ROW_NEW][c], rows[F.ROW_CARRIED][c]
        total, carry_on = rows[F.ROW_TOTAL][c], rows[F.ROW_CARRY_ON][c]
        where = f"表三 列 {col}"
        if None in (new, carried, total, carry_on):
            out.append(_unknown("C1", where))
        elif new + carried != total + carry_on:  # type: ignore[operator]
            out.append(Breach("C1", where, f"一+二={new + carried}", f"（七）总计+四={total + carry_on}"))  # type: ignore[operator]
        parts = [rows[o][c] for o in outcome_rows]
        if None in parts or total is None:
            out.append(_unknown("C2", where))
        elif sum(parts) != total:  # type: ignore[arg-type]
            out.append(Breach("C2", where, f"各办理结果之和={sum(parts)}", f"（七）总计={total}"))  # type: ignore[arg-type]
    for label in expected_rows:
        values = rows[label]
        where = f"表三 行 {label}"
        if None in values:
            out.append(_unknown("C3", where))
        elif sum(values[:6]) != values[6]:  # type: ignore[arg-type]
            out.append(Breach("C3", where, f"六类申请人之和={sum(values[:6])}", f"总计={values[6]}"))  # type: ignore[arg-type]
    return out


def check_table4(report: dict[str, Any]) -> list[Breach]:
    """C4 per group of table 四."""
    values = [_int(v) for v in report["table4"]["values"]]
    out: list[Breach] = []
    for g, group in enumerate(F.TABLE4_GROUPS):
        part = values[g * 5 : g * 5 + 5]
        where = f"表四 {group}"
        if len(part) < 5 or None in part:
            out.append(_unknown("C4", where))
        elif sum(part[:4]) != part[4]:  # type: ignore[arg-type]
            out.append(Breach("C4", where, f"维持+纠正+其他+尚未审结={sum(part[:4])}", f"总计={part[4]}"))  # type: ignore[arg-type]
    return out


def check_c5(report: dict[str, Any], previous: dict[str, Any] | None) -> list[Breach]:
    """C5: this year's 上年结转 equals last year's 结转下年度继续办理, column by column."""
    if previous is None:
        return []
    this = dict((label, values) for label, values in report["table3"]["rows"]).get(F.ROW_CARRIED)
    last = dict((label, values) for label, values in previous["table3"]["rows"]).get(F.ROW_CARRY_ON)
    out: list[Breach] = []
    for c, col in enumerate(F.APPLICANT_COLUMNS):
        a = _int(this[c]) if this else None
        b = _int(last[c]) if last else None
        where = f"表三 列 {col}（{report['year']} 二 / {previous['year']} 四）"
        if a is None or b is None:
            out.append(_unknown("C5", where))
        elif a != b:
            out.append(Breach("C5", where, f"上年结转下年度={b}", f"本年上年结转={a}"))
    return out


def check_c6(report: dict[str, Any], previous: dict[str, Any] | None) -> list[Breach]:
    """C6 (warning only): in force ≈ last year's in force + issued − abolished, per （一）项 row."""
    if previous is None or report["format"] != "2021" or previous["format"] != "2021":
        return []
    out: list[Breach] = []
    for row in (F.ROW_RULES, F.ROW_NORMATIVE):
        now = _int(F.table2_cell(report, row, F.IN_FORCE)["value"])
        issued = _int(F.table2_cell(report, row, F.ISSUED)["value"])
        abolished = _int(F.table2_cell(report, row, F.ABOLISHED)["value"])
        before = _int(F.table2_cell(previous, row, F.IN_FORCE)["value"])
        if None in (now, issued, abolished, before):
            continue
        expected = before + issued - abolished  # type: ignore[operator]
        if expected != now:
            out.append(
                Breach(
                    "C6",
                    f"表二 {row} × {F.IN_FORCE}",
                    f"{before}+{issued}−{abolished}={expected}",
                    str(now),
                    severity="warning",
                )
            )
    return out


def check_report(report: dict[str, Any], previous: dict[str, Any] | None = None) -> list[Breach]:
    """Every identity the tables alone decide (C1–C6, C8); `previous` is last year's report for C5/C6."""
    return (
        check_c8(report)
        + check_table3(report)
        + check_table4(report)
        + check_c5(report, previous)
        + check_c6(report, previous)
    )
