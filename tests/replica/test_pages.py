"""Tests of the replica's page renderers: structure, escaping, sizes, list skins, report tables, files."""

from __future__ import annotations

import dataclasses
import math
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date

import lxml.html
import pytest

from disclosure_audit.replica import pages
from disclosure_audit.replica.model import (
    DAY0,
    FIELD_ORDER,
    SITE_ID,
    SITE_NAME,
    STYLE_A,
    STYLE_A2,
    STYLE_B,
    STYLE_C,
    Attachment,
    Column,
    Item,
    LabelStyle,
    Org,
    at,
)

ORGAN = 4021
POLICY = Column(ORGAN, 5101, "规范性文件", "normative", "policy")
EXPLAIN = Column(ORGAN, 5102, "政策解读", "interpretation", "policy", paired_with=5101)
NEWS = Column(ORGAN, 5103, "工作动态", "news", "news")
REPORTS = Column(ORGAN, 5199, "政府信息公开年报", "report", None, type=3)
STYLES = {"A": STYLE_A, "A2": STYLE_A2, "B": STYLE_B, "C": STYLE_C}


def make_org(
    style: LabelStyle = STYLE_A, skin: int = 1, *, organ_id: int = ORGAN, name: str = "合肥市地震局"
) -> Org:
    columns = tuple(dataclasses.replace(c, org_id=organ_id) for c in (POLICY, EXPLAIN, NEWS, REPORTS))
    return Org(
        organ_id=organ_id,
        name=name,
        short_name=name.replace("合肥", ""),
        code="003245678",
        doc_prefix="合震",
        domain="quake",
        skin=skin,
        style=style,
        encoding="utf-8",
        page_base=0 if skin == 1 else 1,
        template="/hfszf/publicInfoList_new" if skin == 1 else "/ahxxgk/publicInfoList",
        columns=columns,
    )


def make_fields(style: LabelStyle) -> dict[str, str]:
    day = date(2020, 6, 16)
    return {
        "index_number": "003245678/202006-00024",
        "category": "规范性文件",
        "topic": "城乡建设、环境保护",
        "issuer": "合肥市地震局",
        "written_date": day.strftime("%Y-%m-%d"),
        "publish_date": "2020-06-16 10:00",
        "doc_number": "合震〔2020〕24号",
        "validity": style.validity_words["有效"],
        "effective_date": "2020-06-16",
        "repeal_date": "",  # an empty value: the label is shown with an empty cell
        "name": "合肥市地震局关于落实政务公开“六提六促”专项行动整改方案",
        "keywords": "政务公开 整改",
        "summary": "整改方案 <全文> & 附件",
        # "level" left out on purpose: a missing key means the label is not rendered at all
    }


def make_item(
    org: Org,
    content_id: int = 88001,
    *,
    column: Column | None = None,
    title: str = "合肥市地震局关于落实政务公开“六提六促”专项行动整改方案",
    day: int = 0,
    validity: str = "有效",
    **kw: object,
) -> Item:
    column = column or org.column(POLICY.cat_id)
    assert column is not None
    return Item(
        content_id=content_id,
        org=org,
        column=column,
        title=title,
        publish_at=at(DAY0.fromordinal(DAY0.toordinal() - 100 + day), 9, 30),
        fields=make_fields(org.style),
        body=[
            "局机关各处室、市地震监测中心：",
            "《整改方案》经研究通过，现予以印发，请认真贯彻执行。" * 6,
            "特此通知",
        ],
        truth={"validity": validity},
        **kw,  # type: ignore[arg-type]
    )


def no_links(_: int) -> Item | None:
    return None


def parse(page: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(page)


def text(el: lxml.html.HtmlElement) -> str:
    return el.text_content()


# ------------------------------------------------------------------------------------------------
# Detail pages
# ------------------------------------------------------------------------------------------------


def desktop_pairs(doc: lxml.html.HtmlElement, style: LabelStyle) -> list[tuple[str, str]]:
    tables = doc.xpath(
        "//div[contains(concat(' ', @class, ' '), ' hidden-xs ')]//table[@class='table_suoyin']"
    )
    assert len(tables) == 1
    pairs = []
    for tr in tables[0].xpath(".//tr"):
        cells = tr.xpath("./th|./td")
        assert len(cells) in (2, 4)
        for label, value in zip(cells[::2], cells[1::2], strict=True):
            assert value.get("class") == style.value_class
            assert label.get("class") != style.value_class
            pairs.append((text(label), text(value)))
    return pairs


def mobile_pairs(doc: lxml.html.HtmlElement, style: LabelStyle) -> list[tuple[str, str]]:
    (box,) = doc.xpath("//div[@class='hidden-lg hidden-md']")
    if style.mobile == "plist":
        assert not box.xpath(".//table")
        return [(text(p.xpath("./span")[0]), text(p.xpath("./span")[1])) for p in box.xpath(".//p")]
    pairs = []
    for tr in box.xpath(".//table[@class='table_suoyin']//tr"):
        label, value = tr.xpath("./th|./td")
        assert value.get("class") == style.value_class
        pairs.append((text(label), text(value)))
    return pairs


@pytest.mark.parametrize("key", sorted(STYLES))
def test_detail_renders_the_metadata_twice_with_exact_labels(key: str) -> None:
    style = STYLES[key]
    item = make_item(make_org(style))
    doc = parse(pages.render_detail(item, no_links))
    expected = [(style.labels[f], item.fields[f]) for f in FIELD_ORDER if f in item.fields]
    assert desktop_pairs(doc, style) == expected
    assert mobile_pairs(doc, style) == expected
    assert style.labels["level"] not in [label for label, _ in expected]
    (file_num,) = doc.xpath("//*[@id='_fileNum']")
    assert text(file_num) == "合震〔2020〕24号"
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("key", "title_class", "body_class"), [
    ("A", "newstitle", "wzcon j-fontContent"),
    ("A2", "newstitle", "wzcon j-fontContent"),
    ("B", "gk_title", "gkwz_contnet"),
    ("C", "wztit", "gzk-article"),
])  # fmt: skip
def test_detail_title_body_and_meta(key: str, title_class: str, body_class: str) -> None:
    item = make_item(make_org(STYLES[key]))
    doc = parse(pages.render_detail(item, no_links))
    (h1,) = doc.xpath("//h1")
    assert h1.get("class") == title_class and text(h1) == item.title
    (body,) = doc.xpath(f"//div[@class='{body_class}']")
    assert [text(p) for p in body.xpath("./p")] == item.body
    metas = {m.get("name"): m.get("content") for m in doc.xpath("//meta[@name]")}
    assert metas["ArticleTitle"] == item.title
    assert metas["PubDate"] == item.publish_at.strftime("%Y-%m-%d %H:%M")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", metas["PubDate"])
    assert metas["ContentSource"] == item.org.name
    assert metas["ColumnName"] == item.column.name
    assert metas["Keywords"] == "政务公开 整改"
    assert metas["SiteId"] == str(SITE_ID) and metas["SiteName"] == SITE_NAME


def test_hostile_title_round_trips_as_text() -> None:
    title = " 关于<script>alert(\"x\")</script>&amp;的通知 & <b>加粗</b>'引号'  "
    org = make_org(STYLE_B, skin=2)
    item = make_item(org, title=title)
    page = pages.render_detail(item, no_links)
    doc = parse(page)
    (h1,) = doc.xpath("//h1")
    assert text(h1) == title  # not stripped, not interpreted
    assert len(h1) == 0  # no element was created inside the title
    assert not doc.xpath("//b") and 'alert("x")' not in "".join(s.text or "" for s in doc.xpath("//script"))
    (meta,) = doc.xpath("//meta[@name='ArticleTitle']")
    assert meta.get("content") == title
    assert text(doc.xpath("//title")[0]).startswith(title)
    # the fragments escape it as well
    for skin in (1, 2):
        o = make_org(STYLE_A, skin=skin)
        frag = parse(pages.render_fragment(o, o.columns[0], [make_item(o, title=title)], 1, 0, 15, no_links))
        assert not frag.xpath("//b|//script[contains(., 'alert')]")
        (a,) = frag.xpath("//a[@title]")
        assert a.get("title") == title


def test_detail_page_weight_and_chrome() -> None:
    for key, style in STYLES.items():
        org = make_org(style, organ_id=ORGAN + len(key))
        size = len(pages.render_detail(make_item(org), no_links).encode("utf-8"))
        assert 20_000 <= size <= 80_000, (key, size)
        ch = pages.chrome(org)
        chrome_size = len((ch.head + ch.header + ch.footer).encode("utf-8"))
        assert 25_000 <= chrome_size <= 40_000, chrome_size
    doc = parse(pages.render_detail(make_item(make_org()), no_links))
    assert len(doc.xpath("//a[@href]")) >= 200
    footer = text(doc.xpath("//div[@class='footer']")[0])
    for needle in ("主办单位", "网站标识码", "3401000001", "皖ICP备", "皖公网安备", "网站地图", "联系我们"):
        assert needle in footer
    assert doc.xpath("//style") and doc.xpath("//link[@rel='stylesheet']") and doc.xpath("//script[@src]")


def test_gb18030_sites_declare_and_encode() -> None:
    org = dataclasses.replace(make_org(), encoding="gb18030")
    page = pages.render_detail(make_item(org, title="𠀀生僻字标题"), no_links)
    assert 'charset=gb18030"' in page
    assert page.encode("gb18030").decode("gb18030") == page


def test_attachments_three_ways() -> None:
    org = make_org()
    atts = [
        Attachment("/group1/M00/00/01/plain.pdf", "附件1：整改任务清单.pdf", "pdf"),
        Attachment("/group1/M00/00/02/viewer.pdf", "viewer", "pdf", via_viewer=True),
        Attachment("/group1/M00/00/03/script.pdf", "script", "pdf", in_script=True),
    ]
    doc = parse(pages.render_detail(make_item(org, attachments=atts), no_links))
    (link,) = doc.xpath("//a[@href='/group1/M00/00/01/plain.pdf']")
    assert text(link) == "附件1：整改任务清单.pdf" and text(link.getparent()).startswith("附件：")
    (iframe,) = doc.xpath("//iframe")
    assert iframe.get("src") == "/static/pdfjs/web/viewer.html?file=/group1/M00/00/02/viewer.pdf"
    scripts = [s.text or "" for s in doc.xpath("//script")]
    assert any(re.search(r"var pdf='/group1/M00/00/03/script\.pdf';", s) for s in scripts)
    assert not doc.xpath("//a[contains(@href, 'script.pdf') or contains(@href, 'viewer.pdf')]")


def test_related_links_both_ways() -> None:
    org = make_org()
    other = make_org(organ_id=9999, name="合肥市司法局")
    target = make_item(other, 70001, title="《整改方案》政策解读")
    resolve: Callable[[int], Item | None] = {70001: target}.get
    doc = parse(pages.render_detail(make_item(org, interpretation_ids=[70001, 70002]), resolve))
    (box,) = doc.xpath("//div[@class='xgjd']")
    assert text(box).startswith("相关解读：")
    links = [(a.get("href"), text(a)) for a in box.xpath(".//a")]
    assert links == [
        ("/public/9999/70001.html", "《整改方案》政策解读"),
        (f"/public/{ORGAN}/70002.html", "政策解读"),
    ]

    explain = make_item(org, 70003, column=org.column(EXPLAIN.cat_id), original_ids=[88001])
    orig = make_item(org, 88001)
    doc = parse(pages.render_detail(explain, {88001: orig}.get))
    (box,) = doc.xpath("//div[@class='xgjd']")
    assert text(box).startswith("相关文件：")
    assert [a.get("href") for a in box.xpath(".//a")] == [f"/public/{ORGAN}/88001.html"]


# ------------------------------------------------------------------------------------------------
# List fragments
# ------------------------------------------------------------------------------------------------


def list_items(org: Org, n: int, column: Column | None = None, **kw: object) -> list[Item]:
    long = "合肥市人民政府办公室关于印发合肥市进一步优化营商环境更好服务市场主体若干措施的通知"
    return [
        make_item(
            org,
            90000 + i,
            column=column,
            title=(long if i % 2 else f"通知{i}") + ("" if i % 3 else " & <更正>"),
            day=-i,
            validity="废止" if i % 4 == 1 else "有效",
            **kw,
        )
        for i in range(n)
    ]


def test_fragment_skin1_parses_back() -> None:
    org = make_org(skin=1)
    items = list_items(org, 6)
    frag = pages.render_fragment(org, org.columns[0], items, 6, 0, 15, no_links)
    assert "<html" not in frag
    doc = parse(frag)
    (ul,) = doc.xpath("//ul[@class='clearfix xxgk_nav_list']")
    rows = ul.xpath("./li")
    assert len(rows) == len(items)
    for li, item in zip(rows, items, strict=True):
        (a,) = li.xpath("./a")
        assert a.get("href") == f"/public/{ORGAN}/{item.content_id}.html"
        assert a.get("title") == item.title and a.get("target") == "_blank"
        shown = text(a)
        if len(item.title) > 30:
            assert shown == item.title[:30] + "…"
        else:
            assert shown == item.title
        assert text(li.xpath("./span[@class='date']")[0]) == item.publish_at.strftime("%Y-%m-%d")
        marker = li.xpath("./font[@color='red']")
        assert bool(marker) == item.repealed_marker
        if marker:
            assert text(marker[0]) == "[废止]"
    assert sum(it.repealed_marker for it in items) == 2


def skin2_rows(frag: str) -> list[dict[str, object]]:
    rows = []
    for box in parse(frag).xpath("//div[@class='xxgk_navli']"):
        (title,) = box.xpath(".//li[@class='mc']/a[@class='title']")
        hover = {}
        for vitem in box.xpath(".//div[@class='vitem']"):
            hover[text(vitem.xpath("./div[@class='vname']")[0])] = text(vitem.xpath("./p")[0])
        rows.append(
            {
                "xh": text(box.xpath(".//li[@class='xh']")[0]),
                "yh": text(box.xpath(".//li[@class='yh']")[0]),
                "href": title.get("href"),
                "title": title.get("title"),
                "text": text(title),
                "date": text(box.xpath(".//li[@class='rq']")[0]),
                "links": [(a.get("href"), text(a)) for a in box.xpath(".//li[@class='mc']/a[@class='a']")],
                "repealed": bool(box.xpath(".//li[@class='mc']/span[@style='color:red']")),
                "hidden": box.xpath(".//div[@class='navli_hover']")[0].get("style"),
                "hover": hover,
            }
        )
    return rows


def test_fragment_skin2_parses_back() -> None:
    org = make_org(STYLE_B, skin=2)
    items = list_items(org, 5)
    items[0].interpretation_ids = [70001]
    items[2].interpretation_ids = [70001, 70002]
    resolve = {70001: make_item(make_org(organ_id=9999), 70001)}.get
    rows = skin2_rows(pages.render_fragment(org, org.columns[0], items, 35, 2, 15, resolve))
    assert len(rows) == 5
    for i, (row, item) in enumerate(zip(rows, items, strict=True)):
        assert row["xh"] == str(2 * 15 + i + 1)
        assert row["yh"] == item.fields["index_number"]
        assert row["href"] == f"/public/{ORGAN}/{item.content_id}.html"
        assert row["title"] == row["text"] == item.title
        assert row["date"] == item.publish_at.strftime("%Y-%m-%d")
        assert row["repealed"] == item.repealed_marker
        assert row["hidden"] == "display:none"
        hover = row["hover"]
        assert isinstance(hover, dict)
        assert hover["索 引 号："] == item.fields["index_number"]
        assert hover["发文日期："] == hover["生成日期："] == item.fields["written_date"]
        assert hover["名称："] == item.fields["name"] and hover["文号："] == item.fields["doc_number"]
        assert hover["废止时间："] == ""
    assert rows[0]["links"] == [("/public/9999/70001.html", "解读")]
    assert rows[1]["links"] == []
    assert rows[2]["links"] == [
        ("/public/9999/70001.html", "解读1"),
        (f"/public/{ORGAN}/70002.html", "解读2"),
    ]

    # in an interpretation column the links go back to the originals and read 文件
    explain = org.column(EXPLAIN.cat_id)
    items = list_items(org, 2, column=explain)
    items[0].original_ids = [88001, 88002]
    items[1].original_ids = [88003]
    rows = skin2_rows(pages.render_fragment(org, explain, items, 2, 0, 15, no_links))
    assert [text for _, text in rows[0]["links"]] == ["文件1", "文件2"]  # type: ignore[union-attr]
    assert rows[1]["links"] == [(f"/public/{ORGAN}/88003.html", "文件")]


PAGER_1 = re.compile(r"<script[^>]*>[^<]*createPageHTML\([^<]*pageCount:(\d+), currPage:(\d+)")
PAGER_2 = re.compile(r"<script[^>]*>[^<]*total:(\d+), pageSize:(\d+), currPage:(\d+)")


@pytest.mark.parametrize("total", [0, 1, 14, 15, 16, 30, 31, 1000])
def test_pager_script_only_when_more_than_one_page(total: int) -> None:
    for skin in (1, 2):
        org = make_org(skin=skin)
        pages_count = max(1, math.ceil(total / 15))
        for page_index in (0, pages_count - 1, pages_count):  # first, last, one past the end
            n = max(0, min(15, total - page_index * 15))
            frag = pages.render_fragment(
                org, org.columns[0], list_items(org, n), total, page_index, 15, no_links
            )
            assert "pageCount" not in frag or skin == 1
            if skin == 1:
                found = PAGER_1.findall(frag)
                expected = [(str(pages_count), str(page_index + 1))] if total > 15 else []
            else:
                found = PAGER_2.findall(frag)
                expected = [(str(total), "15", str(page_index + 1))] if total > 15 else []
            assert found == expected, (skin, total, page_index)
            assert ("<script" in frag) == (total > 15)
            assert " id=" not in frag  # the pager element lives in the shell; ids there must stay unique


def test_empty_fragment_is_valid() -> None:
    for skin in (1, 2):
        org = make_org(skin=skin)
        frag = pages.render_fragment(org, org.columns[0], [], 0, 0, 15, no_links)
        assert "<a" not in frag and "<script" not in frag
        parse(frag if frag.strip() else "<div></div>")


# ------------------------------------------------------------------------------------------------
# Annual reports
# ------------------------------------------------------------------------------------------------

T3_COLUMNS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
REPORT = {
    "year": 2021,
    "format": "2021",
    "sections": [
        ("一、总体情况", ["2021年，本局认真贯彻落实《条例》。", "（一）主动公开。全年公开信息120条。"]),
        ("二、主动公开政府信息情况", []),
        ("三、收到和处理政府信息公开申请情况", []),
        ("四、政府信息公开行政复议、行政诉讼情况", []),
        ("五、存在的主要问题及改进情况", ["公开内容不够全面。"]),
        ("六、其他需要报告的事项", ["本年度未收取信息处理费。"]),
    ],
    "table2": [
        ("第二十条第（一）项", "规章", [("本年制发件数", "0"), ("本年废止件数", "0"), ("现行有效件数", "0")]),
        ("第二十条第（一）项", "行政规范性文件",
         [("本年制发件数", "2"), ("本年废止件数", "1"), ("现行有效件数", "7")]),
        ("第二十条第（五）项", "行政许可", [("本年处理决定数量", "36")]),
        ("第二十条第（六）项", "行政处罚", [("本年处理决定数量", "4")]),
        ("第二十条第（六）项", "行政强制", [("本年处理决定数量", "0")]),
        ("第二十条第（八）项", "行政事业性收费", [("本年收费金额（单位：万元）", "12.50")]),
    ],
    "table3": {
        "columns": T3_COLUMNS,
        "rows": [
            ("一、本年新收政府信息公开申请数量", ["5", "1", "0", "0", "0", "0", "6"]),
            ("二、上年结转政府信息公开申请数量", ["0", "0", "0", "0", "0", "0", "0"]),
            ("（一）予以公开", ["3", "1", "0", "0", "0", "0", "4"]),
            ("1.属于国家秘密", ["0", "0", "0", "0", "0", "0", "0"]),
            ("四、结转下年度继续办理", ["2", "0", "0", "0", "0", "0", "2"]),
        ],
    },
    "table4": {
        "groups": ["行政复议", "未经复议直接起诉", "复议后起诉"],
        "columns": ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"],
        "values": ["1", "0", "0", "0", "1", "0", "0", "0", "1", "1", "0", "0", "0", "0", "0"],
    },
}  # fmt: skip


def read_table2(table: lxml.html.HtmlElement) -> list[tuple[str, str, list[tuple[str, str]]]]:
    out, block, heads = [], "", []
    for tr in table.xpath(".//tr"):
        cells = [text(td) for td in tr.xpath("./td|./th")]
        if len(cells) == 1:
            block = cells[0]
        elif cells[0] == "信息内容":
            heads = cells[1:]
        else:
            out.append((block, cells[0], list(zip(heads, cells[1:], strict=True))))
    return out


# The 2019 trial format: blocks whose rows change columns, lawsuit groups named with their heading.
THREE = [("上一年项目数量", "10"), ("本年增/减", "-1"), ("处理决定数量", "120")]
REPORT_2019 = {
    **REPORT,
    "year": 2019,
    "format": "2019",
    "table2": [
        ("第二十条第（一）项", "规章", [(c, "0") for c in ("本年新制作数量", "本年新公开数量", "总数量")]),
        ("第二十条第（六）项", "行政处罚", THREE),
        ("第二十条第（八）项", "行政事业性收费", [("上一年项目数量", "3"), ("本年增/减", "0")]),
        ("第二十条第（九）项", "政府集中采购", [("采购项目数量", "4"), ("采购总金额", "88.20")]),
        ("第二十条第（九）项", "其他", [("单独一列", "1")]),
    ],
    "table4": {**REPORT["table4"],
               "groups": ["行政复议", "行政诉讼 未经复议直接起诉", "行政诉讼 复议后起诉"]},
}  # fmt: skip


@pytest.mark.parametrize("report", [REPORT, REPORT_2019], ids=["2021", "2019"])
def test_report_tables_read_back(report: dict) -> None:
    org = make_org()
    column = org.column(REPORTS.cat_id)
    item = make_item(org, 66001, column=column, title="合肥市地震局2021年政府信息公开工作年度报告")
    item.report = report
    doc = parse(pages.render_detail(item, no_links))
    for heading, _ in report["sections"]:
        assert doc.xpath(f"//strong[text()='{heading}']")
    t2, t3, t4 = doc.xpath("//table[contains(@class, 'nb_table')]")
    # each table follows the heading of its section
    for table, lead in ((t2, "二、"), (t3, "三、"), (t4, "四、")):
        prev = table.getprevious()
        while prev is not None and not prev.xpath(".//strong"):
            prev = prev.getprevious()
        assert prev is not None and text(prev).startswith(lead)

    assert read_table2(t2) == report["table2"]

    head_rows = t3.xpath(".//tr")[:3]
    assert [text(td) for td in head_rows[1].xpath("./td")] == ["自然人", "法人或其他组织", "总计"]
    assert [text(td) for td in head_rows[2].xpath("./td")] == T3_COLUMNS[1:6]
    rows3 = [
        (text(tr[0]), [text(td) for td in tr[1:]]) for tr in t3.xpath(".//tr") if tr[0].get("class") == "lbl"
    ]
    assert rows3 == report["table3"]["rows"]

    trs = t4.xpath(".//tr")
    assert [text(td) for td in trs[0]] == ["行政复议", "行政诉讼"]
    assert [text(td) for td in trs[1]][-2:] == ["未经复议直接起诉", "复议后起诉"]
    assert [text(td) for td in trs[-1]] == report["table4"]["values"]
    assert [text(td) for td in trs[2]] == report["table4"]["columns"] * 2


# ------------------------------------------------------------------------------------------------
# Shell, index and small pages
# ------------------------------------------------------------------------------------------------

SCRIPT_FIELDS = {
    key: re.compile(rf"""\b{key}\s*:\s*["']?([^"',}}]*)["']?""")
    for key in ("siteId", "organId", "catId", "file")
}


@pytest.mark.parametrize("skin", [1, 2])
def test_shell_list_page_carries_fragment_parameters(skin: int) -> None:
    org = make_org(skin=skin)
    page = pages.render_shell(org, 4, org.column(POLICY.cat_id))
    doc = parse(page)
    (box,) = doc.xpath("//div[@id='public_info_list']")
    assert len(box) == 0 and not (box.text or "").strip()
    (script,) = [s.text for s in doc.xpath("//script") if s.text and "publicInfoList" in s.text]
    got = {k: rx.search(script).group(1) for k, rx in SCRIPT_FIELDS.items()}  # type: ignore[union-attr]
    assert got == {"siteId": "6781", "organId": str(ORGAN), "catId": str(POLICY.cat_id), "file": org.template}
    assert ('file:"' in script) == (skin == 1) and ("file: '" in script) == (skin == 2)
    assert (
        "/site/label/8888" in script and "pageIndex" in script and re.search(r"pageSize\s*:\s*15\b", script)
    )
    hrefs = doc.xpath("//div[@class='xxgk_left']//a/@href")
    for col in org.columns:
        assert f"/public/column/{ORGAN}?type={col.type}&catId={col.cat_id}&action=list" in hrefs
    for type_ in (1, 2, 5):
        assert f"/public/column/{ORGAN}?type={type_}&action=list" in hrefs
    metas = {m.get("name"): m.get("content") for m in doc.xpath("//meta[@name]")}
    assert metas["ColumnName"] == POLICY.name


def test_shell_report_and_static_types() -> None:
    org = make_org()
    page = pages.render_shell(org, 3, None)
    assert '<div id="public_info_list"></div>' in page and f"catId:{REPORTS.cat_id}" in page
    for type_, word in ((1, "制度"), (2, "指南"), (5, "依申请公开")):
        doc = parse(pages.render_shell(org, type_, None))
        assert not doc.xpath("//div[@id='public_info_list']")
        (static,) = doc.xpath("//div[@class='xxgk_static']")
        assert word in text(static) and org.name in text(static)
    landing = parse(pages.render_shell(org, 4, None))
    assert not landing.xpath("//div[@id='public_info_list']")


def test_index_groups_and_links() -> None:
    orgs = [
        make_org(organ_id=1, name="合肥市人民政府办公室"),
        make_org(organ_id=2, name="合肥市地震局"),
        make_org(organ_id=3, name="肥西县人民政府"),
        make_org(organ_id=4, name="合肥市司法局"),
    ]
    doc = parse(pages.render_index(orgs, DAY0))
    groups = {
        text(g.xpath("./h2")[0]): [(a.get("href"), a.get("title"), text(a)) for a in g.xpath(".//a")]
        for g in doc.xpath("//div[@class='org_group']")
    }
    assert groups == {
        "市政府": [("/public/column/1?type=4&action=list", "合肥市人民政府办公室", "合肥市人民政府办公室")],
        "市政府部门": [
            ("/public/column/2?type=4&action=list", "合肥市地震局", "合肥市地震局"),
            ("/public/column/4?type=4&action=list", "合肥市司法局", "合肥市司法局"),
        ],
        "县（市）区、开发区": [("/public/column/3?type=4&action=list", "肥西县人民政府", "肥西县人民政府")],
    }


def test_small_pages_and_robots() -> None:
    assert "页面不存在" in pages.render_not_found() and "404" in pages.render_not_found()
    org = make_org()
    att = Attachment("/group1/x.pdf", "附件<1>.pdf", "html")
    page = pages.render_not_a_pdf(make_item(org), att)
    assert "文件不存在或已被删除" in page and "附件&lt;1&gt;.pdf" in page and not page.startswith("%PDF")
    assert pages.robots_txt(None) == (
        "User-agent: *\nDisallow: /admin/\nDisallow: /search/\nDisallow: /private/\n"
    )
    assert pages.robots_txt(2.0).endswith("Disallow: /private/\nCrawl-delay: 2\n")
    assert pages.robots_txt(0.5).endswith("Crawl-delay: 0.5\n")


# ------------------------------------------------------------------------------------------------
# Attachment files
# ------------------------------------------------------------------------------------------------


def test_pdf_structure_and_text(tmp_path: object) -> None:
    org = make_org()
    att = Attachment("/group1/M00/00/01/wKgBAF8x(1).pdf", "附件1.pdf", "pdf")
    data = pages.render_pdf(make_item(org, 88001), att)
    assert data.startswith(b"%PDF-1.4\n") and data.endswith(b"%%EOF\n")
    startxref = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert data[startxref:].startswith(b"xref\n")
    header = data[startxref:].split(b"\n")[1]
    first, count = (int(x) for x in header.split())
    entries = data[startxref:].split(b"\n")[2 : 2 + count]
    assert first == 0 and entries[0] == b"0000000000 65535 f "
    for num, entry in enumerate(entries[1:], start=1):
        assert len(entry) + 1 == 20
        offset = int(entry[:10])
        assert data[offset:].startswith(b"%d 0 obj" % num)
    stream = re.search(rb"/Length (\d+) >>\nstream\n", data)
    assert stream is not None
    body_start = stream.end()
    assert data[body_start + int(stream.group(1)) :].startswith(b"\nendstream")
    assert pages.render_pdf(make_item(org, 88001), att) == data
    if shutil.which("pdftotext"):
        pdf = tmp_path / "a.pdf"  # type: ignore[operator]
        pdf.write_bytes(data)
        out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
        assert "Content 88001" in out and "/group1/M00/00/01/wKgBAF8x(1).pdf" in out


def test_rtf_document() -> None:
    item = make_item(make_org(), title="关于{大括号}\\反斜杠的通知𠀀")
    data = pages.render_doc(item, Attachment("/group1/a.doc", "附件.doc", "doc"))
    data.decode("ascii")
    assert data.startswith(b"{\\rtf1") and data.rstrip().endswith(b"}")
    assert b"\\u20851?\\u20110?" in data  # 关于
    assert b"\\{" in data and b"\\}" in data and b"\\\\" in data
    assert b"\\u-10176?\\u-9216?" in data  # U+20000 as the surrogate pair D840 DC00
    assert data.count(b"{") - data.count(b"\\{") == data.count(b"}") - data.count(b"\\}")


# ------------------------------------------------------------------------------------------------
# Determinism
# ------------------------------------------------------------------------------------------------


def test_rendering_is_deterministic() -> None:
    def render_all() -> list[bytes | str]:
        org1, org2 = make_org(skin=1), make_org(STYLE_C, skin=2, organ_id=5000)
        item = make_item(org1, interpretation_ids=[1, 2])
        item.report = REPORT
        att = Attachment("/a.pdf", "a", "pdf")
        return [
            pages.render_index([org1, org2], DAY0),
            pages.render_shell(org1, 4, org1.columns[0]),
            pages.render_shell(org2, 3, None),
            pages.render_fragment(org1, org1.columns[0], list_items(org1, 3), 40, 1, 15, no_links),
            pages.render_fragment(org2, org2.columns[0], list_items(org2, 3), 40, 1, 15, no_links),
            pages.render_detail(item, no_links),
            pages.render_detail(make_item(org2), no_links),
            pages.render_pdf(item, att),
            pages.render_doc(item, att),
            pages.render_not_a_pdf(item, att),
            pages.render_not_found(),
        ]

    first = render_all()
    pages._chrome.cache_clear()
    assert render_all() == first
