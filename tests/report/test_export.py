"""Exports of the annual report: JSON, XLSX (official layout, lineage, native charts), DOCX and self-contained HTML."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from lxml import html as lhtml
from openpyxl import load_workbook

from disclosure_audit.report import export
from disclosure_audit.report import format as F

SCRIPT_TITLE = "关于<script>alert(1)</script>的通知"
EVIL_URL = "javascript:alert(1)"
GOOD_URL = "https://www.example.gov.cn/public/6/1001.html"
SHA = "ab" * 32


def _fill_table3(report: dict[str, Any]) -> None:
    """Consistent table 三: every column sums (C1–C3 hold), one cell unknown."""
    new = [5, 2, 0, 1, 0, 0]
    carried = [1, 0, 0, 0, 0, 0]
    opened = [3, 1, 0, 0, 0, 0]
    partial = [1, 0, 0, 1, 0, 0]
    not_held = [1, 1, 0, 0, 0, 0]
    carry_on = [1, 0, 0, 0, 0, 0]
    outcome_values = {
        F.OUTCOMES_COMMON[0]: opened,
        F.OUTCOMES_COMMON[1]: partial,
        "三、（四）无法提供 1.本机关不掌握相关政府信息": not_held,
    }
    handled = [a + b + c for a, b, c in zip(opened, partial, not_held, strict=True)]
    for entry in report["table3"]["rows"]:
        label = entry[0]
        values = (
            {
                F.ROW_NEW: new,
                F.ROW_CARRIED: carried,
                F.ROW_TOTAL: handled,
                F.ROW_CARRY_ON: carry_on,
            }.get(label)
            or outcome_values.get(label)
            or [0] * 6
        )
        entry[1] = [*values, sum(values)]
    # one unknown cell: 法律服务机构 × 予以公开
    F.table3_row(report, F.OUTCOMES_COMMON[0])[4] = None


def report_2025() -> dict[str, Any]:
    r = F.empty_report(2025, "示例市司法局", organ_id=6, site_id=1)
    r["sections"][1][1] = ["本年主动公开工作按计划推进。"]
    r["sections"][2][1] = ["依申请公开按期答复。"]
    r["sections"][3][1] = ["详见下表。"]
    r["sections"][4][1] = ["部分栏目更新不及时，已整改。"]
    r["sections"][5][1] = ["本年度未收取信息处理费。"]
    rules = F.table2_cell(r, F.ROW_RULES, F.ISSUED)
    rules.update(
        value=2,
        source="crawl",
        items=[
            {"content_id": "1001", "title": SCRIPT_TITLE, "url": EVIL_URL, "sha256": SHA, "reason": "标题含“规定”"},
            {"content_id": "1002", "title": "示例市规章", "url": GOOD_URL, "sha256": SHA, "reason": "文号 令第1号"},
        ],
    )
    norm = F.table2_cell(r, F.ROW_NORMATIVE, F.ISSUED)
    norm.update(
        value=5,
        source="crawl",
        items=[{"content_id": "2001", "title": "规范性文件甲", "url": GOOD_URL, "sha256": SHA, "reason": "规范性文件"}],
        undetermined=[{"content_id": "2002", "title": "待定文件乙", "url": GOOD_URL, "reason": "无文号"}],
    )
    F.table2_cell(r, F.ROW_NORMATIVE, F.ABOLISHED)["value"] = 1
    F.table2_cell(r, F.ROW_NORMATIVE, F.IN_FORCE)["value"] = None
    F.table2_cell(r, F.ROW_RULES, F.ABOLISHED)["value"] = 0
    F.table2_cell(r, F.ROW_RULES, F.IN_FORCE)["value"] = 17
    F.table2_cell(r, F.ROW_LICENSING, F.DECISIONS)["value"] = 120
    F.table2_cell(r, F.ROW_PENALTY, F.DECISIONS)["value"] = 33
    F.table2_cell(r, F.ROW_COERCION, F.DECISIONS)["value"] = 0
    fee = F.table2_cell(r, F.ROW_FEES, F.FEE_AMOUNT)
    fee.update(value="12.34", source="figures file: fees.csv")
    _fill_table3(r)
    r["table4"]["values"] = [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    r["published"] = {"total": 200, "by_kind": [["文件", 80], ["政策解读", 20], ["回应关切", 0], ["其他", 100]]}
    r["charts"] = {
        "published_per_month": [[f"2025-{m:02d}", 10 + m] for m in range(1, 13)],
        "ontime_rate": [[f"2025-{m:02d}", None if m == 4 else 0.8 + m / 100] for m in range(1, 13)],
        "open_findings_by_rule": [["R01", "发布日期晚于成文日期过久", 4], ["R07", "政策解读未关联原文件", 2]],
    }
    r["identity_breaches"] = [
        {"identity": "C1", "where": "表三 列 法律服务机构", "expected": "0", "found": "未知", "severity": "unknown"}
    ]
    r["frozen"] = {"frozen_at": "2026-01-15T10:00:00+08:00", "calendar_version": "cal-2025.3"}
    return r


def report_2020() -> dict[str, Any]:
    r = F.empty_report(2020, "示例县农业农村局")
    F.table2_cell(r, F.ROW_RULES, F.NEW_MADE_2019)["value"] = 0
    F.table2_cell(r, F.ROW_NORMATIVE_2019, F.NEW_PUBLISHED_2019)["value"] = 3
    F.table2_cell(r, F.ROW_FEES, F.CHANGE_2019)["value"] = -1
    F.table2_cell(r, F.ROW_PROCUREMENT, F.PROCUREMENT_AMOUNT_2019)["value"] = "105.5"
    F.table2_cell(r, F.ROW_PROCUREMENT, F.PROCUREMENT_ITEMS_2019)["value"] = 4
    for entry in r["table3"]["rows"]:
        entry[1] = [0] * 7
    r["table4"]["values"] = [0] * 15
    r["frozen"] = None
    return r


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    out: dict[str, dict[str, Path]] = {}
    for name, report in (("2025", report_2025()), ("2020", report_2020())):
        d = tmp_path_factory.mktemp(f"export{name}")
        out[name] = {fmt: export.write(report, d / f"report.{fmt}", fmt) for fmt in export.FORMATS}
    return out


# ------------------------------------------------------------------------------------ section 一


def test_section_one_text_from_figures() -> None:
    text = export.section_one_text(report_2025())
    assert "主动公开政府信息200条" in text
    assert "文件80条" in text and "政策解读20条" in text and "回应关切" not in text
    assert "制发行政规范性文件至少5件" in text  # undetermined items: a lower bound
    assert "全年新收政府信息公开申请8件" in text
    assert "上年结转1件" in text and "结转下年度继续办理1件" in text
    assert "行政复议1件" in text and "行政诉讼1件" in text


def test_section_one_text_when_nothing_happened() -> None:
    text = export.section_one_text(report_2020())
    assert "全年未收到政府信息公开申请。" in text
    assert "未发生政府信息公开行政复议和行政诉讼。" in text
    assert "未能统计（未知）" in text  # no "published": unknown, not 0
    assert "0条" not in text


# ------------------------------------------------------------------------------------ JSON


@pytest.mark.parametrize("name, build", [("2025", report_2025), ("2020", report_2020)])
def test_json_round_trips(written: dict[str, dict[str, Path]], name: str, build: Any) -> None:
    assert json.loads(written[name]["json"].read_text(encoding="utf-8")) == build()
    assert "示例" in written[name]["json"].read_text(encoding="utf-8")  # Chinese as is, not \\u escapes


def test_write_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="未知的导出格式"):
        export.write(report_2025(), tmp_path / "r.pdf")


# ------------------------------------------------------------------------------------ XLSX


def _find(ws: Any, text: str) -> tuple[int, int]:
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell.row, cell.column
    raise AssertionError(f"{text!r} not on sheet {ws.title}")


def _merged(ws: Any) -> set[str]:
    return {str(r) for r in ws.merged_cells.ranges}


def test_xlsx_sheets(written: dict[str, dict[str, Path]]) -> None:
    wb = load_workbook(written["2025"]["xlsx"])
    for sheet in (export.SHEET_T2, export.SHEET_T3, export.SHEET_T4, export.SHEET_LINEAGE, export.SHEET_CHARTS):
        assert sheet in wb.sheetnames


def test_xlsx_table3_header_and_cells(written: dict[str, dict[str, Path]]) -> None:
    for name, n_rows in (("2025", 25), ("2020", 23)):
        ws = load_workbook(written[name]["xlsx"])[export.SHEET_T3]
        top = export.T3_TOP
        assert ws.cell(top, 1).value == F.TABLE3_NOTE
        assert ws.cell(top, 4).value == "申请人情况"
        assert ws.cell(top + 1, 4).value == "自然人"
        assert ws.cell(top + 1, 5).value == "法人或其他组织"
        assert ws.cell(top + 1, 10).value == "总计"
        assert [ws.cell(top + 2, c).value for c in range(5, 10)] == [
            "商业企业",
            "科研机构",
            "社会公益组织",
            "法律服务机构",
            "其他",
        ]
        merged = _merged(ws)
        for rng in (f"A{top}:C{top + 2}", f"D{top}:J{top}", f"D{top + 1}:D{top + 2}", f"E{top + 1}:I{top + 1}"):
            assert rng in merged, (name, rng)
        assert f"J{top + 1}:J{top + 2}" in merged
        labels = [ws.cell(r, 1).value for r in range(top + 3, top + 3 + n_rows)]
        assert labels == list(F.table3_rows(F.report_format(int(name))))
        assert all(f"A{r}:C{r}" in merged for r in range(top + 3, top + 3 + n_rows))
    ws = load_workbook(written["2025"]["xlsx"])[export.SHEET_T3]
    row_new, _ = _find(ws, F.ROW_NEW)
    _, col_person = _find(ws, "自然人")
    _, col_total = _find(ws, "总计")
    assert ws.cell(row_new, col_person).value == 5
    assert ws.cell(row_new, col_total).value == 8
    row_open, _ = _find(ws, F.OUTCOMES_COMMON[0])
    _, col_law = _find(ws, "法律服务机构")
    assert ws.cell(row_open, col_law).value == export.UNKNOWN  # never 0


def test_xlsx_table2_blocks_and_numbers(written: dict[str, dict[str, Path]]) -> None:
    ws = load_workbook(written["2025"]["xlsx"])[export.SHEET_T2]
    r_block, _ = _find(ws, F.BLOCK_1)
    assert ws.cell(r_block + 1, 1).value == "信息内容"
    assert [ws.cell(r_block + 1, c).value for c in (2, 3, 4)] == [F.ISSUED, F.ABOLISHED, F.IN_FORCE]
    r_rules, _ = _find(ws, F.ROW_RULES)
    _, c_issued = _find(ws, F.ISSUED)
    assert ws.cell(r_rules, c_issued).value == 2
    r_norm, _ = _find(ws, F.ROW_NORMATIVE)
    assert ws.cell(r_norm, c_issued).value == 5
    assert ws.cell(r_norm, c_issued).comment is not None  # lower bound explained
    _, c_force = _find(ws, F.IN_FORCE)
    assert ws.cell(r_norm, c_force).value == export.UNKNOWN
    r_fee, _ = _find(ws, F.ROW_FEES)
    r_fee_head, c_fee = _find(ws, F.FEE_AMOUNT)
    assert r_fee_head == r_fee - 1
    assert ws.cell(r_fee, c_fee).value == pytest.approx(12.34)
    assert ws.cell(r_fee, c_fee).number_format == "0.00"
    assert f"B{r_fee}:D{r_fee}" in _merged(ws)  # a one-column block stretches to the right edge
    assert f"A{r_block}:D{r_block}" in _merged(ws)

    ws = load_workbook(written["2020"]["xlsx"])[export.SHEET_T2]
    r_proc, _ = _find(ws, F.ROW_PROCUREMENT)
    _, c_amount = _find(ws, F.PROCUREMENT_AMOUNT_2019)
    assert ws.cell(r_proc, c_amount).value == pytest.approx(105.5)
    assert ws.cell(r_proc, c_amount).number_format == "0.00"
    r_fees, _ = _find(ws, F.ROW_FEES)
    assert ws.cell(r_fees, 3).value == -1
    _find(ws, F.BLOCK_9)
    assert ws.cell(r_proc - 1, 1).value == "信息内容"


def test_xlsx_table4_header(written: dict[str, dict[str, Path]]) -> None:
    for name in ("2025", "2020"):
        ws = load_workbook(written[name]["xlsx"])[export.SHEET_T4]
        top = export.T4_TOP
        merged = _merged(ws)
        assert ws.cell(top, 1).value == "行政复议" and f"A{top}:E{top}" in merged
        assert ws.cell(top, 6).value == "行政诉讼" and f"F{top}:O{top}" in merged
        assert ws.cell(top + 1, 6).value == "未经复议直接起诉" and f"F{top + 1}:J{top + 1}" in merged
        assert ws.cell(top + 1, 11).value == "复议后起诉" and f"K{top + 1}:O{top + 1}" in merged
        assert f"A{top + 1}:A{top + 2}" in merged and ws.cell(top + 1, 1).value == "结果维持"
        assert [ws.cell(top + 2, c).value for c in range(6, 11)] == list(F.TABLE4_COLUMNS)
    ws = load_workbook(written["2025"]["xlsx"])[export.SHEET_T4]
    assert ws.cell(export.T4_TOP + 3, 5).value == 1  # 行政复议 总计
    assert ws.cell(export.T4_TOP + 3, 10).value == 1  # 未经复议直接起诉 总计


def test_xlsx_lineage_and_charts(written: dict[str, dict[str, Path]]) -> None:
    wb = load_workbook(written["2025"]["xlsx"])
    ws = wb[export.SHEET_LINEAGE]
    titles = [c.value for c in ws["F"]]
    assert SCRIPT_TITLE in titles and "待定文件乙" in titles
    row_good = titles.index("示例市规章") + 1
    assert ws.cell(row_good, 7).hyperlink.target == GOOD_URL
    row_evil = titles.index(SCRIPT_TITLE) + 1
    assert ws.cell(row_evil, 7).value == EVIL_URL and ws.cell(row_evil, 7).hyperlink is None
    assert ws.cell(row_evil, 8).value == SHA
    kinds = {c.value for c in ws["D"]}
    assert {"计入 counted", "无法判定 undetermined"} <= kinds

    charts = wb[export.SHEET_CHARTS]
    assert len(charts._charts) == 3
    assert charts.cell(4, 1).value == "2025-01" and charts.cell(4, 2).value == 11
    assert charts.cell(7, 5).value is None  # April's rate unknown: blank, not 0


def test_control_characters_in_crawled_text(tmp_path: Path) -> None:
    report = report_2025()
    F.table2_cell(report, F.ROW_RULES, F.ISSUED)["items"][1]["title"] = "标题\x0b含\x01控制字符"
    report["sections"][4][1] = ["段落\x0c含控制字符"]
    wb = load_workbook(export.write_xlsx(report, tmp_path / "r.xlsx"))
    assert "标题含控制字符" in [c.value for c in wb[export.SHEET_LINEAGE]["F"]]
    doc = Document(str(export.write_docx(report, tmp_path / "r.docx")))
    assert "段落含控制字符" in [p.text for p in doc.paragraphs]


def test_xlsx_text_is_never_a_formula(tmp_path: Path) -> None:
    report = report_2025()
    F.table2_cell(report, F.ROW_RULES, F.ISSUED)["items"][0]["title"] = '=HYPERLINK("http://x","y")'
    wb = load_workbook(export.write_xlsx(report, tmp_path / "r.xlsx"))
    cell = next(c for c in wb[export.SHEET_LINEAGE]["F"] if str(c.value).startswith("=HYPER"))
    assert cell.data_type == "s"


# ------------------------------------------------------------------------------------ DOCX


def test_docx_sections_and_tables(written: dict[str, dict[str, Path]]) -> None:
    doc = Document(str(written["2025"]["docx"]))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "示例市司法局2025年政府信息公开工作年度报告"
    for heading in F.SECTION_HEADINGS:
        assert any(t.startswith(heading) for t in texts), heading
    assert any("主动公开政府信息200条" in t for t in texts)  # section 一 generated
    assert any("为下限" in t and "待定文件乙" in t for t in texts)  # note under the lower-bound figure

    t2, t3, t4 = doc.tables
    # table 二: block, header, rows
    assert t2.cell(0, 0).text == F.BLOCK_1
    assert [t2.cell(1, c).text for c in range(4)] == ["信息内容", F.ISSUED, F.ABOLISHED, F.IN_FORCE]
    assert t2.cell(2, 0).text == F.ROW_RULES and t2.cell(2, 1).text == "2"
    assert t2.cell(3, 1).text == "≥5" and t2.cell(3, 3).text == export.UNKNOWN
    fee_row = next(i for i, row in enumerate(t2.rows) if row.cells[0].text == F.ROW_FEES)
    assert t2.cell(fee_row - 1, 1).text == F.FEE_AMOUNT
    assert t2.cell(fee_row, 1).text == t2.cell(fee_row, 3).text == "12.34"
    # table 三: header across three rows
    assert t3.cell(0, 0).text == t3.cell(2, 2).text == F.TABLE3_NOTE
    assert t3.cell(0, 3).text == t3.cell(0, 9).text == "申请人情况"
    assert t3.cell(1, 3).text == t3.cell(2, 3).text == "自然人"
    assert t3.cell(1, 4).text == t3.cell(1, 8).text == "法人或其他组织"
    assert [t3.cell(2, c).text for c in range(4, 9)] == ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    assert t3.cell(1, 9).text == t3.cell(2, 9).text == "总计"
    assert t3.cell(3, 0).text == t3.cell(3, 2).text == F.ROW_NEW
    assert t3.cell(3, 3).text == "5" and t3.cell(3, 9).text == "8"
    assert len(t3.rows) == 3 + 25
    # table 四
    assert t4.cell(0, 0).text == t4.cell(0, 4).text == "行政复议"
    assert t4.cell(0, 5).text == t4.cell(0, 14).text == "行政诉讼"
    assert t4.cell(1, 5).text == "未经复议直接起诉" and t4.cell(1, 10).text == "复议后起诉"
    assert t4.cell(1, 0).text == t4.cell(2, 0).text == "结果维持"
    assert t4.cell(3, 4).text == "1"


def test_docx_trial_format(written: dict[str, dict[str, Path]]) -> None:
    doc = Document(str(written["2020"]["docx"]))
    texts = [p.text for p in doc.paragraphs]
    assert any("全年未收到政府信息公开申请。" in t for t in texts)
    t2, t3, _ = doc.tables
    assert len(t3.rows) == 3 + 23
    proc = next(i for i, row in enumerate(t2.rows) if row.cells[0].text == F.ROW_PROCUREMENT)
    assert [t2.cell(proc - 1, c).text for c in (1, 2)] == [F.PROCUREMENT_ITEMS_2019, F.PROCUREMENT_AMOUNT_2019]
    assert t2.cell(proc, 2).text == "105.50"


# ------------------------------------------------------------------------------------ HTML


def _page(written: dict[str, dict[str, Path]], name: str = "2025") -> Any:
    return lhtml.fromstring(written[name]["html"].read_bytes())


@pytest.mark.parametrize("name", ["2025", "2020"])
def test_html_is_self_contained(written: dict[str, dict[str, Path]], name: str) -> None:
    text = written[name]["html"].read_text(encoding="utf-8")
    page = _page(written, name)
    assert page.get("lang") == "zh-CN"
    assert page.xpath("//meta[@charset='utf-8']")
    for el in page.xpath("//script | //link | //img | //iframe | //object | //embed | //source"):
        for attr in ("src", "href", "data"):
            assert not re.match(r"\s*(https?:)?//", el.get(attr) or ""), (el.tag, el.get(attr))
    assert not page.xpath("//script | //link[@rel='stylesheet']")
    css = " ".join(page.xpath("//style/text()"))
    assert "@import" not in css and not re.search(r"url\(", css)
    assert "Noto Sans CJK SC" in css and "Microsoft YaHei" in css
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*//", text)


def test_html_escapes_crawled_text(written: dict[str, dict[str, Path]]) -> None:
    text = written["2025"]["html"].read_text(encoding="utf-8")
    page = _page(written)
    assert not page.xpath("//script")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert SCRIPT_TITLE in page.text_content()  # shown as text
    hrefs = [a.get("href") or "" for a in page.xpath("//a")]
    assert not any(h.strip().lower().startswith("javascript:") for h in hrefs)
    assert GOOD_URL in hrefs
    assert EVIL_URL in page.text_content()  # the URL still shown, as text


def test_html_content(written: dict[str, dict[str, Path]]) -> None:
    page = _page(written)
    content = page.text_content()
    for heading in F.SECTION_HEADINGS:
        assert page.xpath("//h2[starts-with(normalize-space(.), $h)]", h=heading), heading
    assert "已定稿" in content and "cal-2025.3" in content
    assert "未定稿" in _page(written, "2020").text_content()
    details = page.xpath("//details")
    assert len(details) == 3  # the three table-二 figures with a source
    summaries = [d.xpath("string(summary)") for d in details]
    assert any("下限" in s for s in summaries)
    assert "abababababab…" in content and SHA not in content.replace(" ", "")  # sha256 shown short
    assert len(page.xpath("//svg")) == 3
    assert "C1" in content and "表三 列 法律服务机构" in content
    # table 三 header layout
    t3 = page.xpath("//table[contains(@class,'t3')]")[0]
    first = t3.xpath("./tr[1]/th")
    assert first[0].get("colspan") == "3" and first[0].get("rowspan") == "3"
    assert first[1].text_content() == "申请人情况" and first[1].get("colspan") == "7"
    person_row = t3.xpath(f"./tr[td[1]='{F.ROW_NEW}']/td")
    assert [td.text_content() for td in person_row[1:]] == ["5", "2", "0", "1", "0", "0", "8"]
    assert export.UNKNOWN in t3.text_content()


# ------------------------------------------------------------------------------------ screenshot


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_html_renders_in_chromium(written: dict[str, dict[str, Path]], tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not on PATH: cannot render the HTML export headless")
    png = tmp_path / "report.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}",
            "--window-size=1280,2400",
            written["2025"]["html"].resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert png.exists()
    assert _png_size(png) == (1280, 2400)
    assert png.stat().st_size > 50_000  # text and tables drawn, not a blank page


@pytest.mark.parametrize("year", [2019, 2024])
def test_empty_skeleton_exports(tmp_path: Path, year: int) -> None:
    """A report with every cell unknown and no optional keys writes in every format, unknowns never as 0."""
    report = F.empty_report(year, "空白机关")
    for fmt in export.FORMATS:
        assert export.write(report, tmp_path / f"r.{fmt}", fmt).stat().st_size > 0
    text = export.section_one_text(report)
    assert "未能统计（未知）" in text and "（数量未知）" in text and "0件" not in text
    page = lhtml.fromstring((tmp_path / "r.html").read_bytes())
    assert "未检查" in page.text_content() and "无图表数据" in page.text_content()
    ws = load_workbook(tmp_path / "r.xlsx")[export.SHEET_T3]
    assert ws.cell(export.T3_TOP + 3, 4).value == export.UNKNOWN
