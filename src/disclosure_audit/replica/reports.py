"""Annual-report (政府信息公开工作年度报告) figures for the replica, consistent with the format's identities.

Report years 2019–2020 use the trial format (国办公开办函〔2019〕60号), later years the 2021 format
(国办公开办函〔2021〕30号). Figures satisfy the identities C1–C4 of the format and the cross-year
carry-over C5, and the section 一 text quotes the table cells (C7) — all but one report,
`INCONSISTENT_REPORT`, which is published with a table error the audit must find.
"""

from __future__ import annotations

from functools import lru_cache

from disclosure_audit.replica.model import SITE_NAME, Org
from disclosure_audit.replica.text import rng_for
from disclosure_audit.report.format import (
    APPLICANT_COLUMNS,
    OUTCOMES_2019,
    OUTCOMES_2021,
    ROW_CARRIED,
    ROW_CARRY_ON,
    ROW_NEW,
    ROW_TOTAL,
    TABLE4_COLUMNS,
    TABLE4_GROUPS,
)

# The format's labels are shared vocabulary (data only, like the rule catalogue): the platform prints them
# as the format defines them, and the reader under test must find them as printed.
# The bureau's 2021 report (section 一) as published: 221 items on the city platform.
EARTHQUAKE_2021 = {
    "total": 221,
    "documents": 33,
    "approvals": 37,
    "interpretations": 16,
    "responses": 13,
    "others": 122,
}


# The one report published inconsistent, on purpose: 合肥市财政局 miscounted its 2022 carry-on. Row 四
# 结转下年度继续办理 says one natural person's application more than there is (自然人 and, so that C3 holds,
# 总计), so C1 fails in those two columns (a 总计 column always fails with the column it sums) while C2
# and C3 hold. Section 一 quotes the true carry-on, which now differs from the table's 总计 (C7). The
# wrong carry-on is what 2023 carries over, so C5 holds and 2023 on is consistent again.
_BROKEN_ORGAN, _BROKEN_YEAR, _BROKEN_COLUMN = 6713, 2022, 0
INCONSISTENT_REPORT: dict = {
    "organ_id": _BROKEN_ORGAN,
    "org": "合肥市财政局",
    "year": _BROKEN_YEAR,
    "broken": ("C1", "C7"),
    # table-3 cells published one too high (true value + 1); C1 fails in these columns
    "cells": [
        {"table": "table3", "row": ROW_CARRY_ON, "column": APPLICANT_COLUMNS[_BROKEN_COLUMN], "off_by": 1},
        {"table": "table3", "row": ROW_CARRY_ON, "column": "总计", "off_by": 1},
    ],
    # section 一 quotes 结转下年度 N件 with the true N: one less than the table's row 四 总计
    "section_one": {"figure": "carried_on", "off_by": -1},
}


def report_format(year: int) -> str:
    return "2019" if year <= 2020 else "2021"


@lru_cache(maxsize=256)
def _applications(seed: int, organ_id: int, year: int) -> tuple[tuple[int, ...], tuple[int, ...], dict]:
    """Per applicant column (6): new, carried and the outcome counts; carried = last year's carry-on (C5)."""
    if year < 2019:
        return (0,) * 6, (0,) * 6, {}
    _, prev_carry_on, _ = _applications(seed, organ_id, year - 1) if year > 2019 else ((0,) * 6, None, {})
    r = rng_for(seed, "applications", organ_id, year)
    quiet = organ_id == 6771  # the earthquake bureau receives (almost) no applications
    # natural persons apply most; each of the five kinds of organisation rarely
    natural = 0 if quiet else r.choice((0, 0, 1, 2, 3, 5, 8, 12))
    new = (natural, *(0 if quiet else r.choice((0, 0, 0, 1, 2)) for _ in range(5)))
    carried = (
        prev_carry_on if prev_carry_on is not None else tuple(0 if quiet else r.choice((0, 0, 1)) for _ in range(6))
    )
    outcomes = OUTCOMES_2019 if report_format(year) == "2019" else OUTCOMES_2021
    counts: dict[str, list[int]] = {o: [0] * 6 for o in outcomes}
    carry_on = []
    for col in range(6):
        available = new[col] + carried[col]
        later = r.randint(0, min(1, available))
        carry_on.append(later)
        for _ in range(available - later):
            outcome = outcomes[0] if r.random() < 0.55 else r.choice(outcomes)
            counts[outcome][col] += 1
    true_carry_on = tuple(carry_on)
    if (organ_id, year) == (_BROKEN_ORGAN, _BROKEN_YEAR):  # INCONSISTENT_REPORT: published one too high
        carry_on[_BROKEN_COLUMN] += 1
    return new, tuple(carry_on), {"carried": carried, "counts": counts, "true_carry_on": true_carry_on}


def report_figures(seed: int, org: Org, year: int) -> dict:
    """The report of `org` for `year`, in the structure the page renderer draws."""
    fmt = report_format(year)
    r = rng_for(seed, "report", org.organ_id, year)
    new, carry_on, extra = _applications(seed, org.organ_id, year)
    carried = extra["carried"]
    counts = extra["counts"]

    def with_total(values: list[int] | tuple[int, ...]) -> list[str]:
        return [str(v) for v in values] + [str(sum(values))]  # C3

    rows: list[tuple[str, list[str]]] = [(ROW_NEW, with_total(new)), (ROW_CARRIED, with_total(carried))]
    handled = [0] * 6
    for label, values in counts.items():
        rows.append((label, with_total(values)))
        handled = [a + b for a, b in zip(handled, values, strict=True)]
    rows.append((ROW_TOTAL, with_total(handled)))  # C2
    # C1 holds: new + carried = handled + carry_on (but for INCONSISTENT_REPORT)
    rows.append((ROW_CARRY_ON, with_total(carry_on)))

    # table 四: one row of 3 groups x (维持, 纠正, 其他, 尚未审结, 总计), C4
    table4: list[str] = []
    for _ in TABLE4_GROUPS:
        parts = [0, 0, 0, 0] if org.organ_id == 6771 else [r.choice((0, 0, 0, 1)) for _ in range(4)]
        table4 += [str(p) for p in parts] + [str(sum(parts))]

    issued = r.randint(0, 4)
    abolished = r.randint(0, 2)
    in_force = 10 + r.randint(0, 20)
    if fmt == "2021":
        table2 = [
            (
                "第二十条第（一）项",
                "规章",
                [("本年制发件数", "0"), ("本年废止件数", "0"), ("现行有效件数", "0")],
            ),
            (
                "第二十条第（一）项",
                "行政规范性文件",
                [
                    ("本年制发件数", str(issued)),
                    ("本年废止件数", str(abolished)),
                    ("现行有效件数", str(in_force)),
                ],
            ),
            ("第二十条第（五）项", "行政许可", [("本年处理决定数量", str(r.randint(0, 300)))]),
            ("第二十条第（六）项", "行政处罚", [("本年处理决定数量", str(r.randint(0, 60)))]),
            ("第二十条第（六）项", "行政强制", [("本年处理决定数量", str(r.randint(0, 10)))]),
            (
                "第二十条第（八）项",
                "行政事业性收费",
                [("本年收费金额（单位：万元）", f"{r.randint(0, 50000) / 100:.2f}")],
            ),
        ]
    else:
        three = ("本年新制作数量", "本年新公开数量", "对外公开总数量")
        two = ("上一年项目数量", "本年增/减", "处理决定数量")
        table2 = [
            ("第二十条第（一）项", "规章", [(c, "0") for c in three]),
            (
                "第二十条第（一）项",
                "规范性文件",
                [(three[0], str(issued)), (three[1], str(issued)), (three[2], str(in_force))],
            ),
            (
                "第二十条第（五）项",
                "行政许可",
                [
                    (two[0], str(r.randint(5, 40))),
                    (two[1], str(r.randint(-3, 3))),
                    (two[2], str(r.randint(0, 300))),
                ],
            ),
            (
                "第二十条第（五）项",
                "其他对外管理服务事项",
                [(two[0], str(r.randint(0, 10))), (two[1], "0"), (two[2], str(r.randint(0, 50)))],
            ),
            (
                "第二十条第（六）项",
                "行政处罚",
                [(two[0], str(r.randint(5, 30))), (two[1], "0"), (two[2], str(r.randint(0, 60)))],
            ),
            (
                "第二十条第（六）项",
                "行政强制",
                [(two[0], str(r.randint(0, 5))), (two[1], "0"), (two[2], str(r.randint(0, 10)))],
            ),
            ("第二十条第（八）项", "行政事业性收费", [(two[0], str(r.randint(0, 5))), (two[1], "0")]),
            (
                "第二十条第（九）项",
                "政府集中采购",
                [
                    ("采购项目数量", str(r.randint(0, 20))),
                    ("采购总金额", f"{r.randint(0, 900000) / 100:.2f}"),
                ],
            ),
        ]

    total_new = sum(new)
    total_handled = sum(handled)
    if org.organ_id == 6771 and year == 2021:
        f = EARTHQUAKE_2021
        published = (
            f"2021年，我局在“{SITE_NAME}”政府信息公开平台主动公开政府信息{f['total']}条，其中局文件{f['documents']}条、"
            f"审批结果{f['approvals']}条、政策解读{f['interpretations']}条、回应关切{f['responses']}条、"
            f"其他信息{f['others']}条。"
        )
    else:
        published = f"{year}年，本机关在“{SITE_NAME}”政府信息公开平台主动公开政府信息{r.randint(80, 900)}条。"
    broken = (org.organ_id, year) == (_BROKEN_ORGAN, _BROKEN_YEAR)
    if total_new == 0 and not broken:  # the broken report always quotes its carry-on, whatever the seed
        applications = "全年未收到政府信息公开申请。"
    else:
        # the true carry-on: the table's differs in INCONSISTENT_REPORT only
        quoted_carry_on = sum(extra["true_carry_on"])
        applications = f"全年新收政府信息公开申请{total_new}件，办结{total_handled}件，结转下年度{quoted_carry_on}件。"
    reviews = sum(int(table4[i]) for i in (4, 9, 14))
    review_text = (
        "未发生政府信息公开行政复议和行政诉讼。"
        if reviews == 0
        else f"发生政府信息公开行政复议和行政诉讼共{reviews}件。"
    )
    sections = [
        ("一、总体情况", [published + applications + review_text]),
        ("二、主动公开政府信息情况", []),
        ("三、收到和处理政府信息公开申请情况", []),
        ("四、政府信息公开行政复议、行政诉讼情况", []),
        (
            "五、存在的主要问题及改进情况",
            [f"{year}年政务公开工作仍存在政策解读形式不够丰富等问题，下一步将加强培训、规范流程。"],
        ),
        ("六、其他需要报告的事项", ["本年度未收取信息处理费。" if year >= 2020 else "无。"]),
    ]
    return {
        "year": year,
        "format": fmt,
        "sections": sections,
        "table2": table2,
        "table3": {"columns": list(APPLICANT_COLUMNS), "rows": rows},
        "table4": {"groups": list(TABLE4_GROUPS), "columns": list(TABLE4_COLUMNS), "values": table4},
    }
