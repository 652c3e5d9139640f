"""Published annual reports read back from the replica's real detail pages, and checked (C1–C8).

The truth comes from the replica's own model (`report_figures`, `INCONSISTENT_REPORT`), never from
the reader under test. Pages are rendered by the same site object the replica server answers with.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from disclosure_audit.replica.corpus import ORGS, REPORT_ID_BASE, REPORT_YEARS, Corpus, Org
from disclosure_audit.replica.pages import item_url
from disclosure_audit.replica.reports import INCONSISTENT_REPORT, report_figures
from disclosure_audit.replica.site import ReplicaSite
from disclosure_audit.report import format as F
from disclosure_audit.report import published
from disclosure_audit.report.identities import Breach
from disclosure_audit.report.published import (
    ReportUnreadable,
    check_c7,
    check_published,
    compare_reports,
    read_report_html,
    section_one_figures,
)

SEED = 0
BASE = "http://replica.invalid"
KEYS = [(org.organ_id, year) for org in ORGS for year in REPORT_YEARS]
BROKEN = (INCONSISTENT_REPORT["organ_id"], INCONSISTENT_REPORT["year"])


@pytest.fixture(scope="module")
def site() -> ReplicaSite:
    return ReplicaSite(Corpus(300, 0, SEED))


def _org(organ_id: int) -> Org:
    return next(o for o in ORGS if o.organ_id == organ_id)


def _url(organ_id: int, year: int) -> str:
    oi = next(n for n, o in enumerate(ORGS) if o.organ_id == organ_id)
    return item_url(organ_id, REPORT_ID_BASE + oi * 100 + (year - 2000))


@pytest.fixture(scope="module")
def pages(site: ReplicaSite) -> dict[tuple[int, int], bytes]:
    """The served bytes of every report page (GB18030 for some organisations, as served)."""
    out = {}
    for organ_id, year in KEYS:
        resp = site.handle(_url(organ_id, year), {})
        assert resp.status == 200
        out[(organ_id, year)] = resp.body
    return out


@pytest.fixture(scope="module")
def reports(pages: dict[tuple[int, int], bytes]) -> dict[tuple[int, int], dict]:
    return {key: read_report_html(body, url=BASE + _url(*key)) for key, body in pages.items()}


def _text(pages: dict[tuple[int, int], bytes], key: tuple[int, int]) -> str:
    return pages[key].decode(_org(key[0]).encoding)


def _relevant(breaches: list[Breach]) -> list[Breach]:
    """All but C6: the replica draws 现行有效件数 freely, so C6 (a warning by design) may fire anywhere."""
    return [b for b in breaches if b.identity != "C6"]


# ------------------------------------------------------------------------------------ read back
@pytest.mark.parametrize("year", REPORT_YEARS)
def test_cells_equal_the_replicas_figures(reports: dict, year: int) -> None:
    for org in ORGS:
        truth = report_figures(SEED, org, year)
        got = reports[(org.organ_id, year)]
        assert got["format"] == truth["format"] == F.report_format(year)
        assert got["year"] == year and got["org"] == org.name and got["organ_id"] == org.organ_id
        assert got["unread"] == []
        assert [
            (r["block"], r["row"], [(c["column"], str(c["value"])) for c in r["cells"]]) for r in got["table2"]
        ] == [(b, r, list(cells)) for b, r, cells in truth["table2"]]
        for r in got["table2"]:
            for c in r["cells"]:
                assert isinstance(c["value"], str if c["column"] in F.MONEY_COLUMNS else int)
        assert [(label, [str(v) for v in values]) for label, values in got["table3"]["rows"]] == [
            (label, list(values)) for label, values in truth["table3"]["rows"]
        ]
        assert all(isinstance(v, int) for _, values in got["table3"]["rows"] for v in values)
        assert [str(v) for v in got["table4"]["values"]] == truth["table4"]["values"]
        assert [h for h, _ in got["sections"]] == list(F.SECTION_HEADINGS)
        assert [list(p) for _, p in got["sections"]] == [list(p) for _, p in truth["sections"]]


def test_both_format_versions_are_read(reports: dict) -> None:
    formats = {r["format"]: len(r["table3"]["rows"]) for r in reports.values()}
    assert formats == {"2019": 23, "2021": 25}
    assert {len(r["table2"]) for r in reports.values() if r["format"] == "2019"} == {8}


# ------------------------------------------------------------------------------------ identities
def test_every_consistent_report_passes_c1_to_c8(reports: dict) -> None:
    for organ_id, year in KEYS:
        if (organ_id, year) == BROKEN:
            continue
        previous = reports.get((organ_id, year - 1))
        found = _relevant(check_published(reports[(organ_id, year)], previous))
        assert found == [], (organ_id, year, [b.message() for b in found])


def test_the_inconsistent_report_breaks_exactly_c1_and_c7(reports: dict) -> None:
    organ_id, year = BROKEN
    report = reports[BROKEN]
    found = _relevant(check_published(report, reports[(organ_id, year - 1)]))
    assert {b.identity for b in found} == set(INCONSISTENT_REPORT["broken"]) == {"C1", "C7"}
    assert all(b.severity == "error" for b in found)
    # C1 fails in the column whose row-四 cell is off, and in 总计, which sums it (C3 holds there)
    broken_columns = {c["column"] for c in INCONSISTENT_REPORT["cells"]}
    assert {b.where for b in found if b.identity == "C1"} == {f"表三 列 {c}" for c in broken_columns}
    c7 = [b for b in found if b.identity == "C7"]
    assert len(c7) == 1 and F.ROW_CARRY_ON in c7[0].where
    quoted = section_one_figures(report["sections"][0][1][0])["carried_on"]
    table = F.table3_row(report, F.ROW_CARRY_ON)[6]
    assert quoted - table == INCONSISTENT_REPORT["section_one"]["off_by"]
    # the published cells are the replica's (its published, wrong, figures)
    truth = dict(report_figures(SEED, _org(organ_id), year)["table3"]["rows"])
    for cell in INCONSISTENT_REPORT["cells"]:
        col = F.APPLICANT_COLUMNS.index(cell["column"])
        assert F.table3_row(report, cell["row"])[col] == int(truth[cell["row"]][col])
    # the wrong carry-on is what the next year carries: C5 holds on both sides
    assert _relevant(check_published(reports[(organ_id, year + 1)], report)) == []


def test_the_bureaus_2021_report_is_consistent(reports: dict) -> None:
    report = reports[(6771, 2021)]
    figures = section_one_figures(report["sections"][0][1][0])
    assert figures == {"published": 221, "new": 0, "reviews": 0}
    assert check_c7(report) == []


# ------------------------------------------------------------------------------------ never silent
KEY_2021 = (1741, 2022)
KEY_2019 = (6729, 2019)


def test_a_page_without_tables_is_unreadable(pages: dict) -> None:
    html = re.sub(r"<table class=\"nb_table.*?</table>", "", _text(pages, KEY_2021), flags=re.S)
    url = BASE + _url(*KEY_2021)
    with pytest.raises(ReportUnreadable) as caught:
        read_report_html(html, url=url)
    message = str(caught.value)
    assert url in message and "未找到表二、表三、表四" in message and "found none of tables" in message
    with pytest.raises(ReportUnreadable, match="页面为空"):
        read_report_html(b"  ", url=url)


@pytest.mark.parametrize("bad", ["十二", "", "-", "3件", "1 2"])
def test_a_cell_that_is_not_a_number_is_unreadable(pages: dict, bad: str) -> None:
    html = _text(pages, KEY_2021)
    row = re.search(r">四、结转下年度继续办理</td>(<td>\d+</td>)", html)
    assert row is not None
    html = html[: row.start(1)] + f"<td>{bad}</td>" + html[row.end(1) :]
    with pytest.raises(ReportUnreadable) as caught:
        read_report_html(html, url="http://x/r.html")
    message = str(caught.value)
    assert "http://x/r.html" in message and "表三" in message and F.ROW_CARRY_ON in message and "自然人" in message
    assert "应为整数" in message and "a whole number" in message


def test_a_money_cell_that_is_not_an_amount_is_unreadable(pages: dict) -> None:
    html, n = re.subn(r">(\d+\.\d\d)</td>", ">约十万</td>", _text(pages, KEY_2021), count=1)
    assert n == 1
    with pytest.raises(ReportUnreadable, match="本年收费金额"):
        read_report_html(html)


def test_a_missing_table_four_is_unread_not_zero(pages: dict) -> None:
    html = re.sub(r"<table class=\"nb_table nb_table4.*?</table>", "", _text(pages, KEY_2021), flags=re.S)
    report = read_report_html(html, url="u")
    assert report["unread"] == ["表四"]
    assert report["table4"]["values"] == [None] * 15
    found = check_published(report)
    c4 = [b for b in found if b.identity == "C4"]
    assert len(c4) == 3 and all(b.severity == "unknown" for b in c4)
    # section 一 quotes reviews and lawsuits: not checkable without table 四, never a pass
    quoted = section_one_figures(report["sections"][0][1][0])
    assert "reviews" in quoted
    assert [b.severity for b in found if b.identity == "C7"] == ["unknown"]
    assert [b for b in found if b.severity == "error"] == []


def test_a_table_lacking_a_row_is_unreadable(pages: dict) -> None:
    html = re.sub(r"<tr><td class=\"lbl\"[^>]*>三、（七）总计</td>.*?</tr>", "", _text(pages, KEY_2021), flags=re.S)
    with pytest.raises(ReportUnreadable, match="表三 缺少行「三、（七）总计」"):
        read_report_html(html)


def test_a_missing_section_is_named(pages: dict) -> None:
    html = _text(pages, KEY_2021).replace("<strong>一、总体情况</strong>", "<strong>前言</strong>")
    report = read_report_html(html)
    assert report["unread"] == ["一、总体情况"]
    assert [b.severity for b in check_c7(report)] == ["unknown"]


# ------------------------------------------------------------------------------------ real-site variance
def _real_style_table3(rows: list[tuple[str, list[str]]]) -> str:
    """Table 三 as real sites print it: half-width brackets, spaces, rowspan'd 三、本年度办理结果 and
    （三）不予公开 headings over their sub-rows, full-width digits in some cells."""
    head = (
        '<table border="1"><tr><td colspan="3" rowspan="3">( 本列数据的勾稽关系为：第一项加第二项之和，'
        '等于第三项加第四项之和 )</td><td colspan="7">申请人情况</td></tr>'
        '<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>'
        "<tr><td>商业 企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>"
    )
    out = [head]
    outcome_rows = [r for r in rows if r[0].startswith("三、")]
    group_sizes: dict[str, int] = {}
    for label, _ in outcome_rows:
        group = label[2:].split(" ")[0]
        group_sizes[group] = group_sizes.get(group, 0) + 1
    started: set[str] = set()
    for n, (label, values) in enumerate(rows):
        wide = "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in values[0])
        tds = f"<td> {wide} </td>" + "".join(f"<td>{v}</td>" for v in values[1:])
        half = label.replace("（", "(").replace("）", ")")
        if not label.startswith("三、"):
            out.append(f'<tr><td colspan="3">{half.replace("、", "、 ")}</td>{tds}</tr>')
            continue
        cells = ""
        if n == 2:
            cells += f'<td rowspan="{len(outcome_rows)}">三、本年度办理结果</td>'
        group, _, sub = half[2:].partition(" ")
        if not sub:
            cells += f'<td colspan="2">{" ".join(group)}</td>'
        else:
            key = label[2:].split(" ")[0]
            if key not in started:
                started.add(key)
                cells += f'<td rowspan="{group_sizes[key]}">{group}</td>'
            cells += f"<td>{sub}</td>"
        out.append(f"<tr>{cells}{tds}</tr>")
    out.append("</table>")
    return "\n".join(out)


@pytest.mark.parametrize("key", [KEY_2021, KEY_2019], ids=["2021", "2019"])
def test_real_site_labels_and_layout_still_read(pages: dict, reports: dict, key: tuple[int, int]) -> None:
    truth = report_figures(SEED, _org(key[0]), key[1])
    html = _text(pages, key)
    html = re.sub(
        r"<table class=\"nb_table nb_table3.*?</table>",
        lambda _: _real_style_table3(truth["table3"]["rows"]),
        html,
        flags=re.S,
    )
    # no CSS classes at all, and labels with spaces and half-width brackets in tables 二 and 四
    html = re.sub(r' class="nb_[a-z0-9_ ]+"', "", html)
    html = html.replace(">第二十条第（一）项<", "> 第二十条 第(一)项 <").replace(">信息内容<", ">信息 内容<")
    html = html.replace(">行政规范性文件<", ">行政规范性 文件<").replace(">结果维持<", "> 结果 维持 <")
    html = html.replace("（单位：万元）", "(单位:万元)")
    assert "三、本年度办理结果" in html and 'class="nb_' not in html
    got = read_report_html(html, url="u")
    expected = reports[key]
    assert got["format"] == expected["format"]
    assert got["table3"] == expected["table3"]
    assert got["table2"] == expected["table2"]
    assert got["table4"] == expected["table4"]
    assert got["sections"] == expected["sections"]
    assert got["unread"] == []


def test_a_report_inside_a_layout_table_reads_the_inner_tables(pages: dict, reports: dict) -> None:
    # old sites lay whole pages out in tables: the layout table holds every header text too
    html = _text(pages, KEY_2021)
    begin = html.index('<div class="nb_report">')
    close = html.index("</div>", html.index("nb_table4", begin)) + len("</div>")
    inner = html[begin:close].replace('<div class="nb_report">', "<div>", 1)
    html = html[:begin] + f"<table><tr><td>{inner}</td></tr></table>" + html[close:]
    assert "nb_report" not in html
    got = read_report_html(html)
    expected = reports[KEY_2021]
    assert got["table2"] == expected["table2"] and got["table3"] == expected["table3"]
    assert got["table4"] == expected["table4"] and got["sections"][0] == expected["sections"][0]


def test_the_format_comes_from_the_tables_before_the_year(pages: dict, reports: dict) -> None:
    got = read_report_html(pages[KEY_2019], year=2023)
    assert got["format"] == "2019" and got["year"] == 2023
    assert got["table3"] == reports[KEY_2019]["table3"]


def test_crawled_text_is_data(pages: dict, reports: dict) -> None:
    html = _text(pages, KEY_2021)
    html = html.replace(
        ">四、结转下年度继续办理<",
        '>四、结转下年度<script>document.write("<td>99</td>")</script>继续办理&lt;script&gt;alert(1)&lt;/script&gt;<',
    )
    html = html.replace("<p>2022年，", "<p>&lt;script&gt;x()&lt;/script&gt;<script>var t='</p><p>';</script>2022年，")
    got = read_report_html(html)
    assert got["table3"] == reports[KEY_2021]["table3"]
    first = got["sections"][0][1][0]
    assert first.startswith("<script>x()</script>2022年，")  # shown as text, never run or parsed
    assert got["sections"][0][1][0].endswith(reports[KEY_2021]["sections"][0][1][0])
    assert _relevant(check_published(got)) == [b for b in _relevant(check_published(reports[KEY_2021]))]


# ------------------------------------------------------------------------------------ section 一 and C7
@pytest.mark.parametrize(
    ("text", "figures"),
    [
        (
            "2021年，主动公开政府信息221条。全年新收政府信息公开申请12件，办结10件，结转下年度2件。"
            "发生政府信息公开行政复议和行政诉讼共3件。",
            {"published": 221, "new": 12, "handled": 10, "carried_on": 2, "reviews": 3},
        ),
        (
            "全年未收到政府信息公开申请。未发生政府信息公开行政复议和行政诉讼。",
            {"new": 0, "reviews": 0},
        ),
        ("主动公开政府信息 １２３ 条，新收 政府信息公开申请 ７ 件", {"published": 123, "new": 7}),
        ("本年度工作平稳推进。", {}),
    ],
)
def test_section_one_figures(text: str, figures: dict[str, int]) -> None:
    assert section_one_figures(text) == figures


def test_c7_compares_each_quoted_figure_with_its_cells(reports: dict) -> None:
    report = reports[KEY_2021]
    assert check_c7(report) == []
    text = report["sections"][0][1][0]
    handled = section_one_figures(text)["handled"]
    changed = {**report, "sections": [[h, list(p)] for h, p in report["sections"]]}
    changed["sections"][0][1][0] = text.replace(f"办结{handled}件", f"办结{handled + 5}件")
    (breach,) = check_c7(changed)
    assert breach.identity == "C7" and F.ROW_TOTAL in breach.where
    assert breach.expected == f"表格={handled}" and breach.found == f"第一部分={handled + 5}"


# ------------------------------------------------------------------------------------ compare
def test_compare_reports_lists_differences_and_not_computed_apart(reports: dict) -> None:
    theirs = reports[KEY_2021]
    ours = F.empty_report(KEY_2021[1], theirs["org"])
    ours["table3"] = {
        "columns": list(theirs["table3"]["columns"]),
        "rows": [[lab, list(v)] for lab, v in theirs["table3"]["rows"]],
    }
    ours["table3"]["rows"][0][1][0] += 1  # one difference
    ours["table4"]["values"] = list(theirs["table4"]["values"])
    fee = F.table2_cell(theirs, F.ROW_FEES, F.FEE_AMOUNT)["value"]
    F.table2_cell(ours, F.ROW_FEES, F.FEE_AMOUNT)["value"] = str(float(fee))  # 12.5 equals "12.50"
    out = compare_reports(ours, theirs)
    differs = [d for d in out if d["status"] == "differs"]
    assert differs == [
        {
            "table": "table3",
            "row": F.ROW_NEW,
            "column": "自然人",
            "ours": theirs["table3"]["rows"][0][1][0] + 1,
            "theirs": theirs["table3"]["rows"][0][1][0],
            "status": "differs",
        }
    ]
    not_computed = [d for d in out if d["status"] == "not computed"]
    assert len(not_computed) == sum(len(r["cells"]) for r in theirs["table2"]) - 1
    assert all(d["table"] == "table2" and d["ours"] is None for d in not_computed)
    assert out[0]["status"] == "differs" and len(out) == 1 + len(not_computed)
    assert compare_reports(theirs, theirs) == []
    with pytest.raises(ValueError, match="different format"):
        compare_reports(theirs, reports[KEY_2019])


def test_compare_reports_names_cells_not_published(reports: dict, pages: dict) -> None:
    html = re.sub(r"<table class=\"nb_table nb_table4.*?</table>", "", _text(pages, KEY_2021), flags=re.S)
    theirs = read_report_html(html)
    out = compare_reports(reports[KEY_2021], theirs)
    assert len(out) == 15 and {d["status"] for d in out} == {"not published"}


def test_the_reader_never_imports_the_replica() -> None:
    tree = ast.parse(Path(published.__file__).read_text(encoding="utf-8"))
    modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert modules and not [m for m in modules if "replica" in m]


def test_money_is_read_as_two_decimals(pages: dict) -> None:
    html, n = re.subn(r">(\d+\.\d\d)</td>", ">１,２３４.５ 万元</td>", _text(pages, KEY_2021), count=1)
    assert n == 1
    got = read_report_html(html)
    assert F.table2_cell(got, F.ROW_FEES, F.FEE_AMOUNT)["value"] == "1234.50"
