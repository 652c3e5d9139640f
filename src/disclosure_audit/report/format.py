"""The report format's vocabulary: sections, table layouts and row labels, in both versions.

Report years 2019–2020 use the trial format (国办公开办函〔2019〕60号), later years the 2021 format
(国办公开办函〔2021〕30号). Every module that reads, computes, checks or writes a report takes its labels
from here, so a cell is named the same way everywhere.

A report is a plain JSON-ready dict (see `empty_report`):

    year, format ("2021" | "2019"), org, organ_id, site_id, as_of (YYYY-MM-DD)
    sections: [[heading, [paragraph, ...]], ...]        six, in SECTION_HEADINGS order
    table2:   [{"block", "row", "cells": [{"column", "value", ...}]}, ...]   values int (fee: str "12.34")
    table3:   {"columns": APPLICANT_COLUMNS, "rows": [[label, [7 ints]], ...]}
    table4:   {"groups": TABLE4_GROUPS, "columns": TABLE4_COLUMNS, "values": [15 ints]}

A table-2 cell may also carry "source" (where the figure comes from) and "undetermined" (content ids
the data could not decide); a value of None means "not known" and is never shown as 0.
"""

from __future__ import annotations

from typing import Any, Literal

Format = Literal["2021", "2019"]

SECTION_HEADINGS = (
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
)

# ------------------------------------------------------------------------------------ table 二
BLOCK_1 = "第二十条第（一）项"
BLOCK_5 = "第二十条第（五）项"
BLOCK_6 = "第二十条第（六）项"
BLOCK_8 = "第二十条第（八）项"
BLOCK_9 = "第二十条第（九）项"

ROW_RULES = "规章"
ROW_NORMATIVE = "行政规范性文件"
ROW_NORMATIVE_2019 = "规范性文件"
ROW_LICENSING = "行政许可"
ROW_OTHER_SERVICES = "其他对外管理服务事项"
ROW_PENALTY = "行政处罚"
ROW_COERCION = "行政强制"
ROW_FEES = "行政事业性收费"
ROW_PROCUREMENT = "政府集中采购"

ISSUED = "本年制发件数"
ABOLISHED = "本年废止件数"
IN_FORCE = "现行有效件数"
DECISIONS = "本年处理决定数量"
FEE_AMOUNT = "本年收费金额（单位：万元）"

NEW_MADE_2019 = "本年新制作数量"
NEW_PUBLISHED_2019 = "本年新公开数量"
TOTAL_PUBLISHED_2019 = "对外公开总数量"
LAST_YEAR_ITEMS_2019 = "上一年项目数量"
CHANGE_2019 = "本年增/减"
DECISIONS_2019 = "处理决定数量"
PROCUREMENT_ITEMS_2019 = "采购项目数量"
PROCUREMENT_AMOUNT_2019 = "采购总金额"

# (block, row, columns) in the order the format prints them
TABLE2_2021: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (BLOCK_1, ROW_RULES, (ISSUED, ABOLISHED, IN_FORCE)),
    (BLOCK_1, ROW_NORMATIVE, (ISSUED, ABOLISHED, IN_FORCE)),
    (BLOCK_5, ROW_LICENSING, (DECISIONS,)),
    (BLOCK_6, ROW_PENALTY, (DECISIONS,)),
    (BLOCK_6, ROW_COERCION, (DECISIONS,)),
    (BLOCK_8, ROW_FEES, (FEE_AMOUNT,)),
)
_THREE_2019 = (NEW_MADE_2019, NEW_PUBLISHED_2019, TOTAL_PUBLISHED_2019)
_TWO_2019 = (LAST_YEAR_ITEMS_2019, CHANGE_2019, DECISIONS_2019)
TABLE2_2019: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (BLOCK_1, ROW_RULES, _THREE_2019),
    (BLOCK_1, ROW_NORMATIVE_2019, _THREE_2019),
    (BLOCK_5, ROW_LICENSING, _TWO_2019),
    (BLOCK_5, ROW_OTHER_SERVICES, _TWO_2019),
    (BLOCK_6, ROW_PENALTY, _TWO_2019),
    (BLOCK_6, ROW_COERCION, _TWO_2019),
    (BLOCK_8, ROW_FEES, (LAST_YEAR_ITEMS_2019, CHANGE_2019)),
    (BLOCK_9, ROW_PROCUREMENT, (PROCUREMENT_ITEMS_2019, PROCUREMENT_AMOUNT_2019)),
)
# cells holding money (万元, two decimals); every other cell is a count
MONEY_COLUMNS = frozenset({FEE_AMOUNT, PROCUREMENT_AMOUNT_2019})
# cells that may be negative (a change from last year)
SIGNED_COLUMNS = frozenset({CHANGE_2019})

# ------------------------------------------------------------------------------------ table 三
APPLICANT_COLUMNS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
APPLICANT_TYPES = APPLICANT_COLUMNS[:6]  # the six columns an application falls in; 总计 is their sum
ORGANISATION_GROUP = "法人或其他组织"  # the heading over columns 2–6

ROW_NEW = "一、本年新收政府信息公开申请数量"
ROW_CARRIED = "二、上年结转政府信息公开申请数量"
ROW_TOTAL = "三、（七）总计"
ROW_CARRY_ON = "四、结转下年度继续办理"

OUTCOMES_COMMON = (
    "三、（一）予以公开",
    "三、（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "三、（三）不予公开 1.属于国家秘密",
    "三、（三）不予公开 2.其他法律行政法规禁止公开",
    "三、（三）不予公开 3.危及“三安全一稳定”",
    "三、（三）不予公开 4.保护第三方合法权益",
    "三、（三）不予公开 5.属于三类内部事务信息",
    "三、（三）不予公开 6.属于四类过程性信息",
    "三、（三）不予公开 7.属于行政执法案卷",
    "三、（三）不予公开 8.属于行政查询事项",
    "三、（四）无法提供 1.本机关不掌握相关政府信息",
    "三、（四）无法提供 2.没有现成信息需要另行制作",
    "三、（四）无法提供 3.补正后申请内容仍不明确",
    "三、（五）不予处理 1.信访举报投诉类申请",
    "三、（五）不予处理 2.重复申请",
    "三、（五）不予处理 3.要求提供公开出版物",
    "三、（五）不予处理 4.无正当理由大量反复申请",
    "三、（五）不予处理 5.要求行政机关确认或重新出具已获取信息",
)
OUTCOMES_2021 = OUTCOMES_COMMON + (
    "三、（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "三、（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "三、（六）其他处理 3.其他",
)
OUTCOMES_2019 = OUTCOMES_COMMON + ("三、（六）其他处理",)

TABLE3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

# ------------------------------------------------------------------------------------ table 四
TABLE4_GROUPS = ("行政复议", "行政诉讼 未经复议直接起诉", "行政诉讼 复议后起诉")
TABLE4_COLUMNS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")


def report_format(year: int) -> Format:
    """The format version of a report year: the trial format up to 2020, the 2021 format after."""
    return "2019" if year <= 2020 else "2021"


def outcomes(fmt: Format) -> tuple[str, ...]:
    return OUTCOMES_2019 if fmt == "2019" else OUTCOMES_2021


def table2_layout(fmt: Format) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    return TABLE2_2019 if fmt == "2019" else TABLE2_2021


def table3_rows(fmt: Format) -> tuple[str, ...]:
    """Row labels of table 三 in print order: 25 in the 2021 format, 23 in the trial format."""
    return (ROW_NEW, ROW_CARRIED, *outcomes(fmt), ROW_TOTAL, ROW_CARRY_ON)


def empty_report(year: int, org: str, *, organ_id: int | None = None, site_id: int | None = None) -> dict[str, Any]:
    """A report with every cell present and unknown (None): the skeleton each producer fills."""
    fmt = report_format(year)
    return {
        "year": year,
        "format": fmt,
        "org": org,
        "organ_id": organ_id,
        "site_id": site_id,
        "as_of": f"{year}-12-31",
        "sections": [[h, []] for h in SECTION_HEADINGS],
        "table2": [
            {"block": b, "row": r, "cells": [{"column": c, "value": None} for c in cols]}
            for b, r, cols in table2_layout(fmt)
        ],
        "table3": {"columns": list(APPLICANT_COLUMNS), "rows": [[label, [None] * 7] for label in table3_rows(fmt)]},
        "table4": {"groups": list(TABLE4_GROUPS), "columns": list(TABLE4_COLUMNS), "values": [None] * 15},
    }


def table2_cell(report: dict[str, Any], row: str, column: str) -> dict[str, Any]:
    """The table-2 cell of `row` × `column` (KeyError naming both when the layout has no such cell)."""
    for r in report["table2"]:
        if r["row"] == row:
            for cell in r["cells"]:
                if cell["column"] == column:
                    return cell
    raise KeyError(f"table 二 has no cell {row} × {column} in the {report.get('format')} format")


def table3_row(report: dict[str, Any], label: str) -> list[Any]:
    for lab, values in report["table3"]["rows"]:
        if lab == label:
            return values
    raise KeyError(f"table 三 has no row {label!r} in the {report.get('format')} format")
