"""Detail pages: every field of every replica item against the truth, and the label-driven reading rules."""

from __future__ import annotations

import pytest

from disclosure_audit.parse.detail import ParsedDetail, parse_detail
from disclosure_audit.parse.normalize import ITEM_KEYS, normalize_item

BASE = "http://127.0.0.1:8321"
URL = f"{BASE}/public/6771/9100024.html"


def mismatches(site, truth: list[dict], fetch) -> list[str]:
    """One readable line per field that differs from the truth: content id, field, expected, found."""
    out = []
    for rec in truth:
        item = normalize_item(parse_detail(fetch(site, rec["url"]), rec["url"]))
        for key in ITEM_KEYS:
            if item[key] != rec[key]:
                out.append(f"{rec['content_id']} {key}: expected {rec[key]!r}, found {item[key]!r}")
    return out


def assert_no_mismatch(problems: list[str], n_items: int) -> None:
    shown = "\n".join(problems[:40])
    more = f"\n... and {len(problems) - 40} more" if len(problems) > 40 else ""
    assert not problems, f"{len(problems)} field mismatches over {n_items} items:\n{shown}{more}"


@pytest.mark.parametrize("day", [0, 1, 2])
def test_every_item_every_field_matches_the_truth(replica, fetch, day: int) -> None:
    site, truth = replica(300, day, 0)
    assert len(truth) >= 300
    assert_no_mismatch(mismatches(site, truth, fetch), len(truth))


def test_a_larger_corpus_matches_the_truth(replica, fetch) -> None:
    site, truth = replica(3000, 0, 3)
    assert len(truth) >= 3000
    assert_no_mismatch(mismatches(site, truth, fetch), len(truth))


def test_the_seed_page_in_detail(replica, fetch) -> None:
    site, _ = replica(300, 0, 0)
    parsed = parse_detail(fetch(site, URL), URL)
    assert parsed.content_id == 9100024
    assert parsed.title == "合肥市地震局关于落实政务公开“六提六促”专项行动整改方案"
    assert parsed.sources["title"] == "h1" and parsed.sources["doc_number"] == "desktop"
    assert parsed.fields["validity"] == "现行有效" and parsed.labels["validity"] == "时效性"
    assert parsed.fields["level"] == "地方规范性文件"
    assert parsed.labels["issuer"] == "发文机关" and parsed.labels["name"] == "标题"
    assert parsed.meta["PubDate"] == "2020-06-18 10:00" and parsed.meta["ColumnName"] == "规范性文件"
    assert parsed.meta_fields == {"column": "规范性文件"}  # every other field has its label
    assert parsed.body_text.startswith("局机关各处室、市地震监测中心:\n《合肥市地震局关于落实")
    assert "打印本页" not in parsed.body_text and "政务公开" in parsed.body_text
    assert parsed.warnings == []
    item = normalize_item(parsed)
    assert item["raw"]["title"] == parsed.title and item["raw"]["written_date"] == "2020年06月16日"
    assert item["interpretation_urls"] == [f"{BASE}/public/6771/9100025.html"]


def test_raw_values_keep_what_the_page_shows(replica, fetch) -> None:
    site, _ = replica(300, 0, 0)
    cases = {
        9100303: ("title", "市地震局召开2022年防震减灾  工作会议"),
        9100304: ("title", "合肥市人民政府关于进一步优化营商环境的若干意见\u3000"),
        9100305: ("doc_number", "合震〔2022〕 11号"),
        9100301: ("written_date", "2021年13月05日"),
        9101101: ("title", "合肥市财政局关于刘䶮同志任职的通知"),
        9101102: ("title", "关于“<b>加强</b>”校园安全&食品卫生管理的通知 <script>alert(1)</script>"),
    }
    for cid, (key, shown) in cases.items():
        organ = {9100304: 1741, 9101101: 6713, 9101102: 6729}.get(cid, 6771)
        url = f"{BASE}/public/{organ}/{cid}.html"
        item = normalize_item(parse_detail(fetch(site, url), url))
        assert item["raw"][key] == shown, cid


# ------------------------------------------------------------------------- the reading rules


def page(main: str, metas: str = "", head: str = "") -> str:
    return (
        f"<html><head><meta charset='utf-8'>{metas}{head}</head><body>"
        '<div class="header"><div class="nav"><a href="/x.pdf">nav file</a><span>文号：</span><span>NAV</span>'
        "</div></div>"
        f'<div class="main">{main}</div>'
        '<div class="footer"><a href="/group1/M00/00/00/footer.pdf">footer</a></div></body></html>'
    )


def test_label_element_followed_by_value_element_in_every_markup() -> None:
    html = page(
        '<table class="table_suoyin"><tr><th>索 引 号：</th><td>IDX</td>'
        '<td class="xxgk_bt">发文机关:</td><td class="pmingcheng">ISSUER</td></tr></table>'
        '<p><span class="xxgk_tt">文　　号：</span><span>合震[2021]3号</span></p>'
        '<div class="vitem"><div class="vname">名<span style="padding-left:20px;"></span>称：</div><p>NAME</p></div>'
        "<dl><dt>关键词</dt><dd>甲 乙</dd></dl>"
        "<div><b>生效日期：</b>2021-01-01</div>"
        "<span>废止日期：2022-02-02</span>"
        "<span>内容概述：本通知明确了地震应急准备检查的范围、内容、时间安排和工作要求。</span>"
        "<span>来源：不是标签</span>"
    )
    parsed = parse_detail(html, URL)
    assert parsed.fields == {
        "index_number": "IDX",
        "issuer": "ISSUER",
        "doc_number": "合震[2021]3号",  # not the NAV one: the site chrome is never read
        "name": "NAME",
        "keywords": "甲 乙",
        "effective_date": "2021-01-01",
        "repeal_date": "2022-02-02",
        "summary": "本通知明确了地震应急准备检查的范围、内容、时间安排和工作要求。",  # longer than any label
    }
    assert parsed.labels["name"] == "名称" and parsed.sources["index_number"] == "page"


def test_one_copy_of_a_twice_rendered_table_desktop_first() -> None:
    desktop = '<div class="hidden-xs"><table><tr><th>文号：</th><td>合震〔2021〕3号</td></tr></table></div>'
    mobile = (
        '<div class="hidden-lg hidden-md"><p><span class="xxgk_tt">文号：</span><span>合震〔2021〕4号</span></p>'
        '<p><span class="xxgk_tt">关键词：</span><span>只在手机版</span></p></div>'
    )
    parsed = parse_detail(page(mobile + desktop), URL)
    assert parsed.fields == {"doc_number": "合震〔2021〕3号"}  # never concatenated, never mixed
    assert parsed.sources["doc_number"] == "desktop"
    assert parsed.warnings and "doc_number" in parsed.warnings[0] and "keywords" in parsed.warnings[0]
    only_mobile = parse_detail(page(mobile), URL)
    assert only_mobile.fields["doc_number"] == "合震〔2021〕4号" and only_mobile.sources["doc_number"] == "mobile"


def test_an_empty_value_is_read_as_empty_not_as_the_next_row() -> None:
    html = page(
        '<div class="xxgk_plist"><p><span class="xxgk_tt">索引号:</span><span></span></p>'
        '<p><span class="xxgk_tt">主题分类:</span><span>综合政务</span></p></div>'
    )
    assert parse_detail(html, URL).fields == {"index_number": "", "topic": "综合政务"}


def test_labels_inside_the_body_text_are_not_metadata() -> None:
    html = page('<div id="zoom"><p><span>文号：</span><span>正文里的</span></p></div>')
    parsed = parse_detail(html, URL)
    assert parsed.fields == {} and parsed.body_text == "文号：正文里的"


def test_meta_fallbacks_keep_their_source() -> None:
    metas = (
        '<meta name="ArticleTitle" content="元标题"><meta name="PubDate" content="2021-04-08 09:30">'
        '<meta name="ContentSource" content="合肥市地震局"><meta name="Keywords" content="a b">'
        '<meta name="ColumnName" content="工作动态">'
    )
    parsed = parse_detail(page("<table><tr><th>关键词：</th><td>c</td></tr></table>", metas), URL)
    assert parsed.title == "元标题" and parsed.sources["title"] == "meta:ArticleTitle"
    assert parsed.meta_fields == {"publish_date": "2021-04-08 09:30", "issuer": "合肥市地震局", "column": "工作动态"}
    assert parsed.sources["publish_date"] == "meta:PubDate" and parsed.sources["keywords"] == "page"
    plain = normalize_item(parsed)
    assert plain["publish_date"] is None and plain["keywords"] == ["c"]  # the truth's convention
    fallback = normalize_item(parsed, meta_fallback=True)
    assert fallback["publish_date"] == "2021-04-08" and fallback["issuer"] == "合肥市地震局"
    assert fallback["keywords"] == ["c"]  # a label beats the meta


def test_title_prefers_the_title_classes_then_any_h1() -> None:
    assert parse_detail(page("<h1>其他</h1><h1 class='wztit'> 正题 </h1>"), URL).title == " 正题 "
    assert parse_detail(page("<h1>唯一</h1>"), URL).title == "唯一"


def test_attachments_in_document_order_absolute_and_unique() -> None:
    html = page(
        '<div id="zoom"><p><a href="doc/a.docx">a</a> <a href="/files/x.html">not a file</a></p></div>'
        '<div class="fjdown">'
        "<script>var pdf='/group1/M00/01/02/rBx.pdf';</script>"
        '<iframe src="/static/pdfjs/web/viewer.html?file=%2Fgroup1%2FM00%2F01%2F02%2FrBy.pdf"></iframe>'
        '<a href="/group1/M00/01/02/rBz">upload without extension</a>'
        '<a href="HTTP://127.0.0.1:8321/files/b.PDF#page=2">b</a>'
        '<a href="/files/b.PDF">again</a><a href="/files/c.ofd">c</a><embed src="/files/d.pdf">'
        '<a href="javascript:void(0)">js</a><a href="mailto:x@y.z">mail</a></div>'
    )
    parsed = parse_detail(html, URL)
    assert parsed.attachments == [
        f"{BASE}/public/6771/doc/a.docx",
        f"{BASE}/group1/M00/01/02/rBx.pdf",
        f"{BASE}/group1/M00/01/02/rBy.pdf",
        f"{BASE}/group1/M00/01/02/rBz",
        "http://127.0.0.1:8321/files/b.PDF",
        f"{BASE}/files/c.ofd",
        f"{BASE}/files/d.pdf",
    ]


def test_base_href_resolves_links() -> None:
    html = page('<a href="f/a.pdf">a</a>', head='<base href="http://cdn.example/up/">')
    assert parse_detail(html, URL).attachments == ["http://cdn.example/up/f/a.pdf"]


def test_related_boxes() -> None:
    html = page(
        '<div class="xgjd"><span>相关解读：</span><ul><li><a href="/public/6771/1.html">政策解读</a></li>'
        '<li><a href="2.html">二</a></li></ul><span>相关文件：</span><a href="/public/6771/3.html">原文</a></div>'
        '<div class="rel"><h3><span>相关文件</span></h3><ul><li><a href="/public/6771/4.html">四</a></li>'
        '<li><a href="/public/6771/3.html">重复</a></li></ul></div>'
    )
    parsed = parse_detail(html, URL)
    assert parsed.interpretation_urls == [f"{BASE}/public/6771/1.html", f"{BASE}/public/6771/2.html"]
    assert parsed.original_urls == [f"{BASE}/public/6771/3.html", f"{BASE}/public/6771/4.html"]


def test_normalize_item_has_exactly_the_record_keys() -> None:
    parsed = ParsedDetail(
        url="http://h/public/1/2.html",
        title=" 标题\u3000 ",
        fields={"doc_number": "合震[2021]3号", "validity": "未知状态", "keywords": "a，b"},
        meta_fields={"publish_date": "2021-04-08 09:30", "issuer": "合肥市地震局"},
        attachments=["http://h/a.pdf"],
    )
    item = normalize_item(parsed)
    assert set(item) == set(ITEM_KEYS) | {"raw"}
    assert item["title"] == "标题" and item["raw"]["title"] == " 标题\u3000 "
    assert item["doc_number"] == "合震〔2021〕3号" and item["raw"]["doc_number"] == "合震[2021]3号"
    assert item["validity"] is None and item["raw"]["validity"] == "未知状态"  # unknown word: raw kept
    assert item["keywords"] == ["a", "b"] and item["attachments"] == ["http://h/a.pdf"]
    assert item["publish_date"] is None and item["issuer"] is None and item["name"] is None
    with_meta = normalize_item(parsed, meta_fallback=True)
    assert with_meta["publish_date"] == "2021-04-08" and with_meta["issuer"] == "合肥市地震局"
    assert normalize_item(ParsedDetail(url="x"))["keywords"] == []


def test_a_script_inside_the_heading_is_no_part_of_the_title() -> None:
    html = (
        '<html><body><h1 class="newstitle">合肥<span>市</span>通知<script>document.write("注入")</script>'
        "（第二版）<style>h1{}</style></h1><table><tr><th>索引号：</th><td>003249538/202101-00001</td></tr>"
        "</table></body></html>"
    )
    assert parse_detail(html, "http://x/public/6771/1.html").title == "合肥市通知（第二版）"
