"""Catalogue pages: walking index → shells → fragments finds exactly the truth's catalogue items."""

from __future__ import annotations

from datetime import date

import pytest

from disclosure_audit.parse.listing import (
    FragmentParams,
    ListEntry,
    parse_fragment,
    parse_index,
    parse_shell,
)
from disclosure_audit.parse.normalize import normalize_text
from disclosure_audit.replica.corpus import ORGS

BASE = "http://127.0.0.1:8321"


def walk(site, fetch) -> dict[int, tuple[ListEntry, str, str]]:
    """Every entry of every type-4 column: index → org shell → column shells → pages 0..page_count.

    Pages run from 0 to page_count inclusive because a site may count pages from 0 or from 1;
    entries seen twice are kept once."""
    found: dict[int, tuple[ListEntry, str, str]] = {}
    for org in parse_index(fetch(site, f"{BASE}/public/"), f"{BASE}/public/"):
        root = parse_shell(fetch(site, org.url), org.url)
        for col in root.columns:
            if col.type != 4:
                continue
            shell = parse_shell(fetch(site, col.url), col.url)
            assert shell.fragment is not None, col.url
            page, count = 0, None
            while count is None or page <= count:
                listing = parse_fragment(fetch(site, shell.fragment.url(col.url, page)), col.url)
                assert listing.error is None and listing.page_count is not None, (col.url, page)
                count = listing.page_count if count is None else count
                for entry in listing.entries:
                    found.setdefault(entry.content_id, (entry, org.name, col.name))
                page += 1
    return found


@pytest.mark.parametrize("day", [0, 1, 2])
def test_walking_every_list_finds_exactly_the_catalogue_items(replica, fetch, day: int) -> None:
    site, truth = replica(300, day, 0)
    by_id = {r["content_id"]: r for r in truth if r["column"] != "年报"}  # 年报 is type 3, not the catalogue
    listed = walk(site, fetch)
    assert sorted(listed) == sorted(by_id), (
        f"missing {sorted(set(by_id) - set(listed))[:10]}, extra {sorted(set(listed) - set(by_id))[:10]}"
    )
    problems = []
    for cid, (entry, org, column) in listed.items():
        rec = by_id[cid]
        kind_links = rec["original_urls"] if column == "政策解读" else rec["interpretation_urls"]
        checks = {
            "url": (entry.url, rec["url"]),
            "org": (org, rec["org"]),
            "column": (column, rec["column"]),
            "title": (normalize_text(entry.title), rec["title"]),
            "date": (entry.date.isoformat() if entry.date else None, rec["publish_date"]),
            "repealed": (entry.repealed, rec["validity"] == "废止"),
        }
        if entry.index_number is not None or entry.link_urls:  # skin 2 shows both
            checks["index_number"] = (entry.index_number, rec["index_number"])
            checks["link_urls"] = (entry.link_urls, kind_links)
        problems += [f"{cid} {k}: expected {want!r}, found {got!r}" for k, (got, want) in checks.items() if got != want]
    assert not problems, "\n".join(problems[:40])


def test_both_skins_and_repealed_markers_are_seen(replica, fetch) -> None:
    site, _ = replica(300, 1, 0)
    listed = walk(site, fetch)
    assert listed[9100801][0].repealed  # marked 废止 on day 1 (skin 2, 地震局)
    assert listed[9100805][0].repealed  # skin 1, 科技局
    assert listed[9100805][0].index_number is None  # skin 1 shows no 索引号
    e = listed[9100024][0]
    assert e.index_number == "003249538/202006-90024" and e.link_urls == [f"{BASE}/public/6771/9100025.html"]
    assert e.date == date(2020, 6, 18) and e.date_raw == "2020-06-18"


def test_the_index_lists_every_organisation(replica, fetch) -> None:
    site, _ = replica(300, 0, 0)
    orgs = parse_index(fetch(site, f"{BASE}/public/"), f"{BASE}/public/")
    assert [(o.name, o.organ_id) for o in orgs] == [(o.name, o.organ_id) for o in ORGS]
    assert all(o.url == f"{BASE}/public/column/{o.organ_id}?type=4&action=list" for o in orgs)


def test_shells_give_ids_columns_and_list_parameters(replica, fetch) -> None:
    site, _ = replica(300, 0, 0)
    for org in ORGS:
        root_url = f"{BASE}/public/column/{org.organ_id}?type=4&action=list"
        root = parse_shell(fetch(site, root_url), root_url)
        assert (root.site_id, root.organ_id, root.fragment) == (6781, org.organ_id, None)
        assert [(c.cat_id, c.name, c.type) for c in root.columns] == sorted(
            [(c.cat_id, c.name, c.type) for c in org.columns], key=lambda t: (t[2] != 4, t[0])
        )
        col = org.columns[0]
        url = f"{BASE}/public/column/{org.organ_id}?type=4&catId={col.cat_id}&action=list"
        shell = parse_shell(fetch(site, url), url)
        assert shell.fragment == FragmentParams(
            path="/site/label/8888",
            label_name="publicInfoList",
            site_id=6781,
            organ_id=org.organ_id,
            type=4,
            cat_id=col.cat_id,
            file=org.template,
            page_size=15,
            first_page_index=org.page_base,
        )


SKIN1_SCRIPT = (
    '<script>var publicInfoParam = {labelName:"publicInfoList",siteId:6781,organId:1741,type:4,catId:"",'
    'pageSize:15,file:"\\/hfs\\/xxgk\\/publicInfoList_hfs"};\nfunction loadPublicInfoList(pageIndex) {\n'
    '  $.ajax({url:"/site/label/8888", data:$.extend({}, publicInfoParam, {pageIndex:pageIndex})});\n}\n'
    "loadPublicInfoList(1);</script>"
)
SKIN2_SCRIPT = (
    "<script>var listParams = { 'labelName' : 'publicInfoList', organId: '6771', type: '3', catId: 677108,"
    " file: '/hfdzj/xxgk/publicInfoList_dzj', pageSize: 20 };\nfunction getPublicInfo(pageIndex) {\n"
    "  $.get('/site/label/9999', $.extend({}, listParams, {pageIndex: pageIndex}));\n}\ngetPublicInfo(0);</script>"
)


def test_shell_script_parameters_in_either_quoting() -> None:
    one = parse_shell(f"<html><body>{SKIN1_SCRIPT}</body></html>", f"{BASE}/public/column/1741?type=4")
    assert one.fragment is not None
    assert (one.fragment.cat_id, one.fragment.file, one.fragment.first_page_index) == (
        None,
        "/hfs/xxgk/publicInfoList_hfs",
        1,
    )
    assert one.fragment.query(2) == {
        "labelName": "publicInfoList",
        "siteId": "6781",
        "organId": "1741",
        "type": "4",
        "file": "/hfs/xxgk/publicInfoList_hfs",
        "pageIndex": "2",
        "pageSize": "15",
    }
    head = '<head><meta name="SiteId" content="6781"></head>'
    two = parse_shell(f"<html>{head}<body>{SKIN2_SCRIPT}</body></html>", f"{BASE}/public/column/6771?type=3")
    assert two.site_id == 6781 and two.organ_id == 6771  # SiteId from the <meta>
    assert two.fragment is not None
    assert (two.fragment.path, two.fragment.type, two.fragment.cat_id, two.fragment.page_size) == (
        "/site/label/9999",
        3,
        677108,
        20,
    )
    assert two.fragment.first_page_index == 0 and two.fragment.site_id is None
    assert two.fragment.url(BASE, 0, 5).startswith(f"{BASE}/site/label/9999?labelName=publicInfoList&organId=6771")


def test_a_page_without_a_list_script() -> None:
    shell = parse_shell(
        '<html><body><p>静态页面</p><script>var siteId = "1", organId = "2";</script></body></html>', BASE
    )
    assert (shell.site_id, shell.organ_id, shell.columns, shell.fragment) == (1, 2, [], None)


def row1(cid: int, title: str, day: str, marker: str = "") -> str:
    return (
        f'<li><a href="/public/1741/{cid}.html" title="{title}" target="_blank">{title[:5]}…</a>'
        f'{marker}<span class="date">{day}</span></li>'
    )


def test_fragment_skin1_pages_and_markers() -> None:
    html = (
        '<ul class="clearfix xxgk_nav_list">'
        + row1(1, "第一个标题很长很长", "2024-01-02", '<font color="red">[废止]</font>')
        + row1(2, "第二", "2024-01-01")
        + row1(2, "第二", "2024-01-01")
        + "</ul><script>createPageHTML({elem:'page_div', pageCount:7, currPage:1});</script>"
    )
    page = parse_fragment(html, f"{BASE}/public/column/1741?type=4&catId=174100")
    assert page.page_count == 7
    assert [(e.content_id, e.title, e.date, e.repealed) for e in page.entries] == [
        (1, "第一个标题很长很长", date(2024, 1, 2), True),
        (2, "第二", date(2024, 1, 1), False),
    ]
    assert page.entries[0].url == f"{BASE}/public/1741/1.html"


def test_fragment_page_counts() -> None:
    entry = '<ul class="xxgk_nav_list">' + row1(1, "t", "2024-01-02") + "</ul>"
    total = '<script>pageInfo({elem:"page_div", total:31, pageSize:15, currPage:1});</script>'
    assert parse_fragment(entry + total, BASE).page_count == 3
    assert parse_fragment(entry, BASE).page_count == 1  # no pager: one page
    nothing = parse_fragment("", BASE)  # an empty answer is not an empty list: it says nothing
    assert (nothing.kind, nothing.page_count, nothing.entries) == ("unrecognised", None, [])


def test_fragment_skin2_with_hover_box_only_index_number() -> None:
    html = (
        '<div class="xxgk_navli"><ul><li class="xh">1</li><li class="mc">'
        '<a class="title" href="/public/6771/5.html">标题五</a><span style="color:red">废止</span>'
        '<span class="split">|</span><a class="a" href="/public/6771/6.html">解读1</a>'
        '<span class="split">|</span><a class="a" href="/public/6771/7.html">解读2</a></li>'
        '<li class="rq">2023-05-06</li></ul><div class="navli_hover" style="display:none">'
        '<div class="vitem"><div class="vname">发文日期：</div><p>2023年05月01日</p></div>'
        '<div class="vitem"><div class="vname">索 引 号：</div><p>IDX-5</p></div></div></div>'
    )
    (entry,) = parse_fragment(html, BASE).entries
    assert (entry.title, entry.date, entry.repealed, entry.index_number) == ("标题五", date(2023, 5, 6), True, "IDX-5")
    assert entry.link_urls == [f"{BASE}/public/6771/6.html", f"{BASE}/public/6771/7.html"]


def test_fragment_error_answer() -> None:
    page = parse_fragment('<div class="error">模板文件不存在</div>', BASE)
    assert (page.entries, page.page_count, page.error) == ([], None, "模板文件不存在")
