"""The application register and the figures file: validation (GX), import semantics, tables 三/二/四, templates.

Expected cells are computed by hand from the registers below (see the comments beside each application).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest

from disclosure_audit.report import format as F
from disclosure_audit.report import identities, register
from disclosure_audit.report.register import AlreadyImported, RegisterRejected

ORG = "示例市司法局"
TRIAL_ORG = "试点县人民政府办公室"
HEADER = list(register.APPLICATION_COLUMNS.values())
FIG_HEADER = list(register.FIGURE_COLUMNS.values())
TABLES = ("register_imports", "register_scopes", "applications", "supplied_figures")

# 申请编号, 机关, 收到日期, 申请人类型, 办理结果, 办结日期, 收费金额（元）
REGISTER_2023 = [
    ["2023-001", ORG, "2023-02-01", "自然人", "三（一）", "2023-02-20", ""],  # 2023 一, 三（一）
    ["2023-002", ORG, "2023-03-01", "自然人", "三（二）", "2023-03-15", "20.00"],  # 2023 一, 三（二）; fee 2023
    ["2023-003", ORG, "2023-05-10", "商业企业", "三、（三）不予公开 4.保护第三方合法权益", "2023-06-01", ""],
    ["2023-004", ORG, "2023-12-20", "科研机构", "三（四）1", "2024-01-10", ""],  # 2023 四; 2024 二, 三（四）1
    ["2023-005", ORG, "2023-12-28", "自然人", "三（六）3", "2024-02-01", "12.50"],  # 2023 四; 2024 二, 三（六）3
    ["2023-006", ORG, "2023-11-30", "其他", "三（五）2", "2023-12-31", ""],  # decided on 31 Dec: 2023 三（五）2
]
# the same register as it stood on 5 Jan 2024: 004 and 005 still open
REGISTER_2023_EARLY = [r[:4] + ["", "", ""] if r[0] in ("2023-004", "2023-005") else r for r in REGISTER_2023]
REGISTER_2024 = [
    ["2024-001", ORG, "2024-01-05", "自然人", "三（一）", "2024-01-20", ""],
    ["2024-002", ORG, "2024-03-01", "法律服务机构", "三（五）1", "2024-03-10", ""],
    ["2024-003", ORG, "2024-12-30", "社会公益组织", "", "", ""],  # open on 31 Dec 2024: 2024 四
    ["2024-004", ORG, "2024-06-01", "自然人", "三（六）1", "2024-07-01", ""],
]
# columns: 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计
EXPECTED_2023 = {
    F.ROW_NEW: [3, 1, 1, 0, 0, 1, 6],
    F.ROW_CARRIED: [0, 0, 0, 0, 0, 0, 0],
    "三、（一）予以公开": [1, 0, 0, 0, 0, 0, 1],
    "三、（二）部分公开（区分处理的，只计这一情形，不计其他情形）": [1, 0, 0, 0, 0, 0, 1],
    "三、（三）不予公开 4.保护第三方合法权益": [0, 1, 0, 0, 0, 0, 1],
    "三、（五）不予处理 2.重复申请": [0, 0, 0, 0, 0, 1, 1],
    F.ROW_TOTAL: [2, 1, 0, 0, 0, 1, 4],
    F.ROW_CARRY_ON: [1, 0, 1, 0, 0, 0, 2],
}
EXPECTED_2024 = {
    F.ROW_NEW: [2, 0, 0, 1, 1, 0, 4],
    F.ROW_CARRIED: [1, 0, 1, 0, 0, 0, 2],
    "三、（一）予以公开": [1, 0, 0, 0, 0, 0, 1],
    "三、（四）无法提供 1.本机关不掌握相关政府信息": [0, 0, 1, 0, 0, 0, 1],
    "三、（五）不予处理 1.信访举报投诉类申请": [0, 0, 0, 0, 1, 0, 1],
    "三、（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请": [1, 0, 0, 0, 0, 0, 1],
    "三、（六）其他处理 3.其他": [1, 0, 0, 0, 0, 0, 1],
    F.ROW_TOTAL: [3, 0, 1, 0, 1, 0, 5],
    F.ROW_CARRY_ON: [0, 0, 0, 1, 0, 0, 1],
}
# trial format (2019–2020): 其他处理 is the single row 三（六）
REGISTER_2020 = [
    ["S-01", TRIAL_ORG, "2020-03-01", "自然人", "三（六）", "2020-03-20", ""],  # 2020 三（六）其他处理
    ["S-02", TRIAL_ORG, "2020-12-15", "商业企业", "三（六）2", "2021-01-05", ""],  # 2020 四; 2021 (2021 format)
    ["S-03", TRIAL_ORG, "2020-05-01", "自然人", "三、（一）予以公开", "2020-05-02", ""],
    ["S-04", TRIAL_ORG, "2020-07-01", "其他", "三（三）1", "2020-07-10", "5"],
]
EXPECTED_2020 = {
    F.ROW_NEW: [2, 1, 0, 0, 0, 1, 4],
    F.ROW_CARRIED: [0, 0, 0, 0, 0, 0, 0],
    "三、（一）予以公开": [1, 0, 0, 0, 0, 0, 1],
    "三、（三）不予公开 1.属于国家秘密": [0, 0, 0, 0, 0, 1, 1],
    "三、（六）其他处理": [1, 0, 0, 0, 0, 0, 1],
    F.ROW_TOTAL: [2, 0, 0, 0, 0, 1, 3],
    F.ROW_CARRY_ON: [0, 1, 0, 0, 0, 0, 1],
}
SRC = "行政许可系统导出 2025-01-10"
FIGURES_2024 = (
    [
        [ORG, "2024", "二", "行政许可", "本年处理决定数量", "120", SRC],
        [ORG, "2024", "二", "行政处罚", "本年处理决定数量", "35", "执法平台导出 2025-01-08"],
        [ORG, "2024", "二", "行政强制", "本年处理决定数量", "4", "执法平台导出 2025-01-08"],
        [ORG, "2024", "表二", "行政事业性收费", "本年收费金额（单位：万元）", "1.25", "财务科 2025-01-06"],
        [ORG, "2024", "四", "行政复议", "结果维持", "1", "法制科台账"],
        [ORG, "2024", "四", "行政复议", "尚未审结", "1", "法制科台账"],
        [ORG, "2024", "四", "行政复议", "总计", "2", "法制科台账"],
        [ORG, "2024", "四", "行政诉讼 未经复议直接起诉", "结果纠正", "1", "法制科台账"],
        [ORG, "2024", "四", "行政诉讼未经复议直接起诉", "总计", "1", "法制科台账"],
    ]
    + [[ORG, "2024", "四", "行政诉讼 复议后起诉", c, "0", "法制科台账"] for c in F.TABLE4_COLUMNS]
    + [[ORG, "2024", "四", "行政复议", c, "0", "法制科台账"] for c in ("结果纠正", "其他结果")]
    + [
        [ORG, "2024", "四", "行政诉讼 未经复议直接起诉", c, "0", "法制科台账"]
        for c in ("结果维持", "其他结果", "尚未审结")
    ]
)
EXPECTED_T4_2024 = [1, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0]
FIGURES_2020 = [
    [TRIAL_ORG, "2020", "二", "行政许可", "上一年项目数量", "10", SRC],
    [TRIAL_ORG, "2020", "二", "行政许可", "本年增/减", "-2", SRC],
    [TRIAL_ORG, "2020", "二", "行政许可", "处理决定数量", "50", SRC],
    [TRIAL_ORG, "2020", "二", "政府集中采购", "采购项目数量", "3", "采购中心 2021-01-05"],
    [TRIAL_ORG, "2020", "二", "政府集中采购", "采购总金额", "120.5", "采购中心 2021-01-05"],
]


# ------------------------------------------------------------------------------------ helpers
def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def db(fresh_db: str) -> Iterator[psycopg2.extensions.connection]:
    conn = psycopg2.connect(fresh_db)
    try:
        yield conn
    finally:
        conn.close()


def snapshot(conn) -> dict[str, list[tuple]]:
    """Every row of the register tables, for before/after comparisons."""
    out = {}
    with conn.cursor() as cur:
        for t in TABLES:
            cur.execute(f"SELECT * FROM report.{t} ORDER BY 1, 2, 3")
            out[t] = cur.fetchall()
    conn.rollback()
    return out


def rows_of(tables: dict, expected: dict[str, list[int]], fmt: F.Format) -> None:
    got = dict((label, values) for label, values in tables["table3"]["rows"])
    assert list(got) == list(F.table3_rows(fmt))
    for label in F.table3_rows(fmt):
        assert got[label] == expected.get(label, [0] * 7), label


def report_for(conn, org: str, year: int) -> dict:
    tables = register.tables_from_register(conn, org, year)
    return register.apply_to_report(F.empty_report(year, org), tables)


# ------------------------------------------------------------------------------------ tables from a register
def test_two_years_give_the_hand_computed_tables_and_the_identities_hold(db, tmp_path):
    r23 = register.import_applications(db, write_csv(tmp_path / "申请登记2023.csv", REGISTER_2023))
    r24 = register.import_applications(db, write_csv(tmp_path / "申请登记2024.csv", REGISTER_2024))
    assert (r23.rows, r23.covers, r24.covers) == (6, [(ORG, 2023)], [(ORG, 2024)])
    assert r23.message().startswith(f"已导入 6 条申请（{ORG} 2023）") and " / imported 6 row(s)" in r23.message()
    fig = register.import_figures(db, write_csv(tmp_path / "其他数据2024.csv", FIGURES_2024, FIG_HEADER))
    assert fig.rows == len(FIGURES_2024)

    t23 = register.tables_from_register(db, ORG, 2023)
    t24 = register.tables_from_register(db, ORG, 2024)
    rows_of(t23, EXPECTED_2023, "2021")
    rows_of(t24, EXPECTED_2024, "2021")
    assert t23["notes"] and "2022" in t23["notes"][0]  # carried-over may be incomplete without 2022
    assert t24["notes"] == []
    assert t23["fees"] == {"total_yuan": "20.00", "applications": 1}
    assert t24["fees"] == {"total_yuan": "12.50", "applications": 1}  # 2023-005 was decided (and charged) in 2024

    assert t24["table4"]["values"] == EXPECTED_T4_2024
    assert set(t24["table4"]["sources"]) == {"法制科台账"}
    cells = {(r["row"], c["column"]): c for r in t24["table2"] for c in r["cells"]}
    assert cells[(F.ROW_LICENSING, F.DECISIONS)] == {"column": F.DECISIONS, "value": 120, "source": SRC}
    assert cells[(F.ROW_FEES, F.FEE_AMOUNT)]["value"] == "1.25"
    # 2023: no figures imported: every supplied cell stays unknown, never 0
    assert all(c["value"] is None and c["source"] is None for r in t23["table2"] for c in r["cells"])
    assert t23["table4"]["values"] == [None] * 15

    rep23, rep24 = report_for(db, ORG, 2023), report_for(db, ORG, 2024)
    assert F.table2_cell(rep24, F.ROW_PENALTY, F.DECISIONS) == {
        "column": F.DECISIONS,
        "value": 35,
        "source": "执法平台导出 2025-01-08",
    }
    assert identities.check_report(rep24, rep23) == []  # C1–C4, C5 across the years, C8
    errors23 = [b for b in identities.check_report(rep23) if b.severity != "unknown"]
    assert errors23 == []
    unknown23 = {b.identity for b in identities.check_report(rep23) if b.severity == "unknown"}
    assert unknown23 == {"C4"}  # table 四 of 2023 was not supplied


def test_an_office_without_data_is_unknown_and_an_empty_register_is_zero(db, tmp_path):
    t = register.tables_from_register(db, ORG, 2024)
    assert all(v is None for _, values in t["table3"]["rows"] for v in values)
    assert t["fees"] == {"total_yuan": None, "applications": None}
    empty = write_csv(tmp_path / "empty.csv", [])
    result = register.import_applications(db, empty, org=ORG, year=2024)
    assert (result.rows, result.covers, result.noop) == (0, [(ORG, 2024)], False)
    t = register.tables_from_register(db, ORG, 2024)
    rows_of(t, {}, "2021")
    assert t["fees"] == {"total_yuan": "0.00", "applications": 0}
    assert identities.check_table3(report_for(db, ORG, 2024)) == []


def test_the_trial_format_year_2020(db, tmp_path):
    register.import_applications(db, write_csv(tmp_path / "reg2020.csv", REGISTER_2020))
    register.import_figures(db, write_csv(tmp_path / "fig2020.csv", FIGURES_2020, FIG_HEADER))
    t20 = register.tables_from_register(db, TRIAL_ORG, 2020)
    assert t20["format"] == "2019" and len(t20["table3"]["rows"]) == 23
    rows_of(t20, EXPECTED_2020, "2019")
    assert t20["fees"]["total_yuan"] == "5.00"
    cells = {(r["row"], c["column"]): c["value"] for r in t20["table2"] for c in r["cells"]}
    assert cells[(F.ROW_LICENSING, F.CHANGE_2019)] == -2
    assert cells[(F.ROW_PROCUREMENT, F.PROCUREMENT_AMOUNT_2019)] == "120.5"
    assert cells[(F.ROW_OTHER_SERVICES, F.DECISIONS_2019)] is None
    rep20 = report_for(db, TRIAL_ORG, 2020)
    assert [b for b in identities.check_report(rep20) if b.severity != "unknown"] == []
    # S-02, carried on from 2020, is decided in 2021 under the 2021 format's 三（六）2
    t21 = register.tables_from_register(db, TRIAL_ORG, 2021)
    assert t21["table3"]["rows"][0][1] == [None] * 7  # no 2021 register: unknown
    with db.cursor() as cur:
        cur.execute("SELECT outcome FROM report.applications WHERE application_ref = 'S-02'")
        assert cur.fetchone()[0] == F.OUTCOMES_2021[19]
    db.rollback()


def test_outcome_rows_must_belong_to_the_format_of_the_decision_year(db, tmp_path):
    bad = [
        ["X-1", TRIAL_ORG, "2020-03-01", "自然人", "三（六）1", "2020-03-20", ""],
        ["X-2", TRIAL_ORG, "2021-03-01", "自然人", "三、（六）其他处理", "2021-03-20", ""],
    ]
    with pytest.raises(RegisterRejected) as exc:
        register.import_applications(db, write_csv(tmp_path / "mixed.csv", bad))
    assert len(exc.value.errors) == 2
    assert "第 2 行" in exc.value.errors[0] and "试行格式" in exc.value.errors[0]
    assert "第 3 行" in exc.value.errors[1] and "2021 版格式" in exc.value.errors[1]


# ------------------------------------------------------------------------------------ re-imports
def test_reimport_semantics(db, tmp_path):
    early = write_csv(tmp_path / "申请登记2023-早.csv", REGISTER_2023_EARLY)
    first = register.import_applications(db, early)
    t_early = register.tables_from_register(db, ORG, 2023)
    rows_of(t_early, EXPECTED_2023, "2021")

    again = register.import_applications(db, early)  # the same file: a no-op that says so
    assert again.noop and again.import_id == first.import_id and "未作任何更改" in again.message()
    before = snapshot(db)
    updated = write_csv(tmp_path / "申请登记2023.csv", REGISTER_2023)
    with pytest.raises(AlreadyImported) as exc:
        register.import_applications(db, updated)
    assert f"{ORG}」2023" in exc.value.errors[0] and "replace=True" in exc.value.errors[0]
    assert snapshot(db) == before

    replaced = register.import_applications(db, updated, replace=True)
    assert replaced.replaced_imports == [first.import_id] and replaced.rows == 6
    assert register.tables_from_register(db, ORG, 2023)["table3"] == t_early["table3"]  # dates decide the year
    with db.cursor() as cur:
        cur.execute("SELECT count(*), min(import_id) FROM report.applications")
        assert cur.fetchone() == (6, replaced.import_id)
        cur.execute("SELECT import_id, replaces FROM report.register_imports ORDER BY import_id")
        assert cur.fetchall() == [(first.import_id, []), (replaced.import_id, [first.import_id])]
    db.rollback()


def test_an_import_interrupted_midway_leaves_nothing(db, tmp_path, monkeypatch):
    register.import_applications(db, write_csv(tmp_path / "2023.csv", REGISTER_2023_EARLY))
    before = snapshot(db)
    calls = []
    real = register._insert_batch

    def failing(cur, sql, rows):
        if calls:
            raise RuntimeError("injected failure after the first rows")
        calls.append(len(rows))
        real(cur, sql, rows)
        cur.execute("SELECT count(*) FROM report.applications WHERE import_id = %s", (rows[0][0],))
        assert cur.fetchone()[0] == 2  # the first rows are in, inside the transaction

    monkeypatch.setattr(register, "INSERT_BATCH", 2)
    monkeypatch.setattr(register, "_insert_batch", failing)
    with pytest.raises(RuntimeError, match="injected"):
        register.import_applications(db, write_csv(tmp_path / "2024.csv", REGISTER_2024))
    assert calls == [2]
    assert snapshot(db) == before
    calls.clear()
    with pytest.raises(RuntimeError, match="injected"):  # a replacement interrupted keeps the old rows
        register.import_applications(db, write_csv(tmp_path / "2023b.csv", REGISTER_2023), replace=True)
    assert snapshot(db) == before


# ------------------------------------------------------------------------------------ bad files
def _with(rows: list[list[str]], n: int, col: str, value: str) -> list[list[str]]:
    out = [list(r) for r in rows]
    out[n][HEADER.index(col)] = value
    return out


ID_NUMBER = "11010519491231002X"
BAD_REGISTERS = {
    "negative fee": (_with(REGISTER_2024, 1, "收费金额（元）", "-5"), 3, "收费金额（元）", "-5", "不得为负"),
    "fee not a number": (_with(REGISTER_2024, 0, "收费金额（元）", "五元"), 2, "收费金额（元）", "五元", "须为金额"),
    "unknown outcome": (_with(REGISTER_2024, 0, "办理结果", "已答复"), 2, "办理结果", "已答复", "不是表三的办理结果行"),
    "unknown applicant type": (_with(REGISTER_2024, 3, "申请人类型", "个人"), 5, "申请人类型", "个人", "须为以下之一"),
    "decided before received": (
        _with(REGISTER_2024, 1, "办结日期", "2024-02-01"),
        3,
        "办结日期",
        "2024-02-01",
        "办结日期不得早于收到日期",
    ),
    "invalid date": (_with(REGISTER_2024, 0, "收到日期", "2024-02-30"), 2, "收到日期", "2024-02-30", "有效日期"),
    "outcome while open": (
        _with(REGISTER_2024, 2, "办理结果", "三（一）"),
        4,
        "办理结果",
        "三（一）",
        "不能有办理结果",
    ),
    "duplicate id": (_with(REGISTER_2024, 1, "申请编号", "2024-001"), 2, "申请编号", "2024-001", "重复"),
    "mobile number as id": (
        _with(REGISTER_2024, 0, "申请编号", "13812345678"),
        2,
        "申请编号",
        "138******78",
        "疑似手机号码",
    ),
}


@pytest.mark.parametrize("case", list(BAD_REGISTERS))
def test_bad_registers_are_refused_with_file_row_column_value_and_rule(db, tmp_path, case):
    register.import_applications(db, write_csv(tmp_path / "good.csv", REGISTER_2023))
    before = snapshot(db)
    rows, row, column, value, rule = BAD_REGISTERS[case]
    with pytest.raises(RegisterRejected) as exc:
        register.import_applications(db, write_csv(tmp_path / "坏登记.csv", rows))
    hits = [m for m in exc.value.errors if f"第 {row} 行" in m and f"列「{column}」" in m and rule in m]
    assert hits, exc.value.errors
    assert hits[0].startswith("坏登记.csv：") and f"「{value}」" in hits[0]
    assert " / 坏登记.csv: row " in hits[0]  # English beside the Chinese
    assert snapshot(db) == before


def test_personal_data_columns_are_refused(db, tmp_path):
    before = snapshot(db)
    named = [[*r, "张三"] for r in REGISTER_2024]
    with pytest.raises(RegisterRejected) as exc:
        register.import_applications(db, write_csv(tmp_path / "names.csv", named, [*HEADER, "姓名"]))
    assert any("第 1 行" in m and "列「姓名」" in m and "个人信息" in m for m in exc.value.errors), exc.value.errors
    assert not any("张三" in m for m in exc.value.errors)

    ids = [[*r, ID_NUMBER] for r in REGISTER_2024]  # an innocent header over ID-card numbers
    with pytest.raises(RegisterRejected) as exc:
        register.import_applications(db, write_csv(tmp_path / "remarks.csv", ids, [*HEADER, "备注"]))
    personal = [m for m in exc.value.errors if "疑似身份证号码" in m]
    assert len(personal) == len(REGISTER_2024)
    assert "第 2 行" in personal[0] and "列「备注」" in personal[0] and register._mask(ID_NUMBER) in personal[0]
    assert not any(ID_NUMBER in m for m in exc.value.errors)  # a personal value is never echoed in full

    extra = [[*r, "加急"] for r in REGISTER_2024]
    with pytest.raises(RegisterRejected) as exc:
        register.import_applications(db, write_csv(tmp_path / "extra.csv", extra, [*HEADER, "备注"]))
    assert exc.value.errors == [
        "extra.csv：第 1 行，列「备注」，值「备注」：多余的列，文件只能有这些列：" + "、".join(HEADER) + " / "
        "extra.csv: row 1, column 备注, value '备注': extra column; the file may have only the columns "
        + ", ".join(HEADER)
    ]
    for header in ("Name", "联系电话", "家庭住址", "e-mail", "id_card", "phone"):
        assert register.looks_personal_header(header), header
    assert not any(register.looks_personal_header(h) for h in HEADER + FIG_HEADER)
    assert snapshot(db) == before


BAD_FIGURES = {
    "negative count": (3, "数值", "-3", "须为非负整数"),
    "unknown cell": (3, "行", "二 / 行政奖励 / 本年处理决定数量", "不是该年度报告格式中"),
    "no source": (3, "来源", "", "必填"),
    "2019 column in 2021": (3, "行", "二 / 行政许可 / 处理决定数量", "不是该年度报告格式中"),
}


@pytest.mark.parametrize("case", list(BAD_FIGURES))
def test_bad_figures_are_refused(db, tmp_path, case):
    rows = [list(r) for r in FIGURES_2024]
    row, column, value, rule = BAD_FIGURES[case]
    if case == "negative count":
        rows[1][5] = "-3"
    elif case == "unknown cell":
        rows[1][3] = "行政奖励"
    elif case == "no source":
        rows[1][6] = " "
    else:
        rows[1][3:5] = ["行政许可", "处理决定数量"]
    before = snapshot(db)
    with pytest.raises(RegisterRejected) as exc:
        register.import_figures(db, write_csv(tmp_path / "fig.csv", rows, FIG_HEADER))
    shown = f"值「{value}」" if value else "值（空）"
    assert any(f"第 {row} 行，列「{column}」，{shown}" in m and rule in m for m in exc.value.errors), exc.value.errors
    assert snapshot(db) == before


# ------------------------------------------------------------------------------------ templates
def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_shipped_templates_equal_a_fresh_generation():
    fresh = register.template_files()
    assert sorted(fresh) == sorted(p.name for p in register.DATA_DIR.iterdir() if "template" in p.name)
    for name, data in fresh.items():
        shipped = (register.DATA_DIR / name).read_bytes()
        if name.endswith(".xlsx"):
            assert _members(shipped) == _members(data), f"{name}: run python -m disclosure_audit.report.register"
        else:
            assert shipped == data, name
    assert fresh["application_register_template.csv"].startswith("\ufeff申请编号,机关,".encode())


def test_templates_round_trip(db, tmp_path):
    import openpyxl

    for name in ("application_register_template.xlsx", "application_register_template.csv"):
        result = register.import_applications(db, register.DATA_DIR / name)
        assert (result.rows, result.covers, result.import_id) == (0, [], None)
    assert snapshot(db)["register_imports"] == []
    fig = register.import_figures(db, register.DATA_DIR / "figures_template.xlsx", org=ORG, year=2024)
    assert (fig.rows, fig.covers) == (0, [(ORG, 2024)])

    wb = openpyxl.load_workbook(register.DATA_DIR / "application_register_template.xlsx")
    ws = wb[register.SHEET_NAMES["applications"]]
    assert [c.value for c in ws[1]] == HEADER
    validated = {str(dv.sqref).split(":")[0] for dv in ws.data_validations.dataValidation}
    assert validated == {"D2", "E2", "G2"}
    assert register.INSTRUCTIONS_SHEET in wb.sheetnames
    for r in REGISTER_2024:  # Excel date cells and numbers, as a user's spreadsheet holds them
        ws.append([r[0], r[1], dt.date.fromisoformat(r[2]), r[3], r[4] or None,
                   dt.datetime.fromisoformat(r[5]) if r[5] else None, 8 if r[0] == "2024-001" else None])  # fmt: skip
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    result = register.import_applications(db, filled)
    assert (result.rows, result.covers) == (4, [(ORG, 2024)])
    t = register.tables_from_register(db, ORG, 2024)
    assert dict((lab, v) for lab, v in t["table3"]["rows"])[F.ROW_NEW] == [2, 0, 0, 1, 1, 0, 4]
    assert t["fees"]["total_yuan"] == "8.00"

    wb = openpyxl.load_workbook(register.DATA_DIR / "figures_template.xlsx")
    ws = wb[register.SHEET_NAMES["figures"]]
    for r in FIGURES_2024:
        ws.append([r[0], int(r[1]), *r[2:5], float(r[5]) if "." in r[5] else int(r[5]), r[6]])
    wb.save(filled)
    result = register.import_figures(db, filled, replace=True)
    assert result.rows == len(FIGURES_2024) and result.replaced_imports == [fig.import_id]
    assert register.tables_from_register(db, ORG, 2024)["table4"]["values"] == EXPECTED_T4_2024


# ------------------------------------------------------------------------------------ privileges
def test_report_reader_can_select_but_not_insert(db):
    with db.cursor() as cur:
        cur.execute("SET LOCAL ROLE report_reader")
        for t in TABLES:
            cur.execute(f"SELECT count(*) FROM report.{t}")
            assert cur.fetchone() == (0,)
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(
                "INSERT INTO report.register_imports (kind, file_name, sha256, rows) VALUES ('figures', 'x', %s, 0)",
                ("0" * 64,),
            )
    db.rollback()
    with db.cursor() as cur:
        cur.execute("SET LOCAL ROLE report_reader")
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("DELETE FROM report.applications")
    db.rollback()
