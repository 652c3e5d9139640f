"""The replica site answers every platform URL, and what it serves is what its truth says."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import html as lhtml

from disclosure_audit import rules
from disclosure_audit.replica.corpus import Corpus, org_named
from disclosure_audit.replica.site import ReplicaSite
from disclosure_audit.replica.truth import build_truth

BASE = "http://127.0.0.1:8321"


@pytest.fixture(scope="module")
def site() -> ReplicaSite:
    return ReplicaSite(Corpus(300, 0, 0))


@pytest.fixture(scope="module")
def truth() -> dict:
    return build_truth(Corpus(300, 0, 0), BASE)


def get(site: ReplicaSite, url: str):
    parts = urlsplit(url)
    return site.handle(parts.path, parse_qs(parts.query, keep_blank_values=True))


def decode(resp) -> str:
    m = re.search(rb"charset=([\w-]+)", resp.body[:2000]) or re.search(r"charset=([\w-]+)", resp.content_type)
    charset = m.group(1) if m else "utf-8"
    return resp.body.decode(charset.decode() if isinstance(charset, bytes) else charset)


def fragment_params(shell: str) -> dict[str, str]:
    script = next(s for s in re.findall(r"<script[^>]*>(.*?)</script>", shell, re.S) if "publicInfoList" in s)
    keys = ("labelName", "siteId", "organId", "type", "catId", "file")
    found = {k: re.search(rf"\b{k}\s*:\s*[\"']?([^\"',}}]*)", script) for k in keys}
    return {k: m.group(1) for k, m in found.items() if m}


def list_column(site: ReplicaSite, organ_id: int, cat_id: int) -> list[tuple[int, str, str]]:
    """Walk a column's list the way a robust crawler does: shell → fragment pages 0..pageCount (a site may
    count from 0 or 1) → entries, de-duplicated by content id."""
    shell = decode(get(site, f"/public/column/{organ_id}?type=4&catId={cat_id}&action=list"))
    params = fragment_params(shell)
    entries: dict[int, tuple[int, str, str]] = {}
    page, pages = 0, None
    while pages is None or page <= pages:
        q = "&".join(f"{k}={v}" for k, v in params.items())
        frag = decode(get(site, f"/site/label/8888?{q}&pageIndex={page}&pageSize=15"))
        m = re.search(r"pageCount\s*:\s*(\d+)", frag) or re.search(r"total\s*:\s*(\d+)", frag)
        if pages is None:
            if m is None:
                pages = 1
            elif "pageCount" in m.group(0):
                pages = int(m.group(1))
            else:
                pages = -(-int(m.group(1)) // 15)
        doc = lhtml.fromstring(f"<div>{frag}</div>")
        for a in doc.xpath("//a[@title]"):
            cid = int(re.search(r"/(\d+)\.html", a.get("href")).group(1))
            row = a.xpath("ancestor::li[1]/following-sibling::li[@class='rq'][1]/text()") or a.xpath(
                "following-sibling::span[@class='date'][1]/text()"
            )
            entries[cid] = (cid, a.get("title"), row[0].strip())
        page += 1
    assert pages is not None
    return list(entries.values())


def test_walking_every_list_finds_exactly_the_items_of_the_truth(site: ReplicaSite, truth: dict) -> None:
    listed: dict[int, tuple[int, str, str]] = {}
    for org_name in {i["org"] for i in truth["items"]}:
        org = org_named(org_name)
        for col in org.columns:
            if col.type == 4:
                for entry in list_column(site, org.organ_id, col.cat_id):
                    listed[entry[0]] = entry
    in_catalogue = {i["content_id"]: i for i in truth["items"] if i["column"] != "年报"}
    assert listed.keys() == in_catalogue.keys()
    for cid, (_, title, day) in listed.items():
        assert day == in_catalogue[cid]["publish_date"]
        assert " ".join(title.split()) == in_catalogue[cid]["title"]


def test_zero_and_one_based_pagers_both_start_at_the_first_page(site: ReplicaSite) -> None:
    for name, first in (("合肥市科学技术局", 0), ("合肥市地震局", 1)):
        org = org_named(name)
        col = org.column_named("工作动态")
        q = (
            f"labelName=publicInfoList&siteId=6781&organId={org.organ_id}&type=4&catId={col.cat_id}"
            f"&file={org.template}&pageSize=15"
        )
        a = decode(get(site, f"/site/label/8888?{q}&pageIndex={first}"))
        b = decode(get(site, f"/site/label/8888?{q}&pageIndex={first + 1}"))
        newest = site.corpus.list_ids(col, 0, 1)[0]
        assert f"/{newest}.html" in a and f"/{newest}.html" not in b


def test_fragment_with_a_wrong_template_says_so(site: ReplicaSite) -> None:
    org = org_named("合肥市地震局")
    r = get(
        site,
        f"/site/label/8888?labelName=publicInfoList&siteId=6781&organId={org.organ_id}&type=4"
        f"&catId={org.columns[0].cat_id}&pageIndex=1&pageSize=15&file=/nope",
    )
    assert r.status == 200 and "模板文件不存在" in r.body.decode()


_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y年%m月%d日", "%Y/%m/%d", "%Y.%m.%d")


def _date(value: str) -> str | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value.strip(), fmt).date().isoformat()
        except ValueError:
            pass
    return None


def _doc_number(value: str) -> str:
    for a, b in (
        ("[", "〔"),
        ("]", "〕"),
        ("(", "〔"),
        (")", "〕"),
        ("（", "〔"),
        ("）", "〕"),
        ("【", "〔"),
        ("】", "〕"),
    ):
        value = value.replace(a, b)
    return "".join(value.split())


def _desktop_fields(page: str, labels: dict[str, str]) -> dict[str, str]:
    doc = lhtml.fromstring(page)
    table = doc.xpath("//div[contains(@class,'hidden-xs')]//table[contains(@class,'table_suoyin')]")[0]
    cells = table.xpath(".//th|.//td")
    by_label = {}
    for label_cell, value_cell in zip(cells[::2], cells[1::2], strict=True):
        by_label[label_cell.text_content()] = value_cell.text_content()
    return {field: by_label[label] for field, label in labels.items() if label in by_label}


def test_every_detail_page_shows_what_the_truth_says(site: ReplicaSite, truth: dict) -> None:
    for rec in truth["items"]:
        resp = get(site, rec["url"])
        assert resp.status == 200, rec["url"]
        page = decode(resp)
        org = org_named(rec["org"])
        shown = _desktop_fields(page, org.style.labels)
        doc = lhtml.fromstring(page)
        h1 = doc.xpath("//h1")[0].text_content()
        assert " ".join(h1.split()) == rec["title"]
        assert doc.xpath("//meta[@name='PubDate']/@content")[0][:10] == rec["publish_date"]
        doc_number = _doc_number(shown["doc_number"]) if "doc_number" in shown else None
        assert doc_number == rec["doc_number"], rec["content_id"]
        for key in ("written_date", "publish_date"):
            assert (_date(shown[key]) if key in shown else None) == rec[key], (rec["content_id"], key)
        validity = rules.VALIDITY_CANONICAL[shown["validity"]] if "validity" in shown else None
        assert validity == rec["validity"]
        for key in ("issuer", "index_number", "name", "category", "topic"):
            value = " ".join(shown[key].split()) if key in shown else None
            assert value == rec[key], (rec["content_id"], key)
        hrefs = (
            set(doc.xpath("//a/@href"))
            | {parse_qs(urlsplit(s).query)["file"][0] for s in doc.xpath("//iframe/@src")}
            | set(re.findall(r"var pdf='([^']+)'", page))
        )
        assert {u.removeprefix(BASE) for u in rec["attachments"]} <= hrefs
        assert {u.removeprefix(BASE) for u in rec["interpretation_urls"] + rec["original_urls"]} <= hrefs


def test_attachments_answer_as_their_scenario_says(site: ReplicaSite, truth: dict) -> None:
    by_id = {i["content_id"]: i for i in truth["items"]}
    pdf = get(site, by_id[9100024]["attachments"][0])
    assert pdf.status == 200 and pdf.content_type == "application/pdf" and pdf.body.startswith(b"%PDF-")
    assert get(site, by_id[9100502]["attachments"][0]).status == 404
    html_instead = get(site, by_id[9100503]["attachments"][0])
    assert html_instead.status == 200 and html_instead.content_type.startswith("text/html")
    doc = get(site, by_id[9100501]["attachments"][0])
    assert doc.status == 200 and doc.content_type == "application/msword" and doc.body.startswith(b"{\\rtf1")


def test_gb18030_organisation_is_served_in_gb18030(site: ReplicaSite) -> None:
    resp = get(site, "/public/6713/9101101.html")
    assert resp.content_type == "text/html"  # the charset is only in the page's meta
    assert b"gb18030" in resp.body[:3000].lower()
    assert "刘䶮" in resp.body.decode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        resp.body.decode("utf-8")
    org = org_named("合肥市财政局")
    col = org.column_named("人事信息")
    frag = get(
        site,
        f"/site/label/8888?labelName=publicInfoList&siteId=6781&organId=6713&type=4"
        f"&catId={col.cat_id}&pageIndex=1&pageSize=15&file={org.template}",
    )
    assert frag.content_type == "text/html; charset=GB18030"
    assert "/9101101.html" in frag.body.decode("gb18030")


def test_markup_in_a_title_is_served_escaped(site: ReplicaSite) -> None:
    page = decode(get(site, "/public/6729/9101102.html"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    "path",
    [
        "/public/6771/1.html",
        "/public/6705/9100024.html",
        "/public/column/999?type=4&action=list",
        "/public/column/6771?type=4&catId=1&action=list",
        "/group1/M00/00/00/nothing.pdf",
        "/admin/",
    ],
)
def test_unknown_addresses_answer_404(site: ReplicaSite, path: str) -> None:
    assert get(site, path).status == 404


def test_robots_and_the_organisation_index(site: ReplicaSite) -> None:
    robots = get(site, "/robots.txt").body.decode()
    assert "Disallow: /admin/" in robots
    index = decode(get(site, "/public/"))
    for name, organ_id in (("合肥市地震局", 6771), ("合肥市人民政府", 1741)):
        assert re.search(rf'href="/public/column/{organ_id}\?type=4&amp;action=list"[^>]*>{name}<', index)


def test_detail_pages_carry_validators_and_weight(site: ReplicaSite) -> None:
    resp = get(site, "/public/6771/9100024.html")
    assert resp.etag and resp.last_modified is not None
    assert 20_000 < len(resp.body) < 80_000
    assert get(site, "/public/6771/9100024.html").etag == resp.etag
