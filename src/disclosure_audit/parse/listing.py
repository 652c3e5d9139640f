"""Catalogue pages: the organisation index, a column's shell (its list parameters) and list fragments."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode, urljoin

from disclosure_audit.parse import dom, urls
from disclosure_audit.parse.dom import Element
from disclosure_audit.parse.labels import normalize_label
from disclosure_audit.parse.normalize import date_parts, normalize_date

# ----------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class OrgLink:
    """An organisation on the /public/ index and the URL of its catalogue."""

    name: str
    organ_id: int
    url: str


@dataclass(frozen=True)
class ColumnLink:
    """A catalogue column (栏目) in a shell's tree: type 4 = 主动公开目录, 3 = 年报."""

    cat_id: int
    name: str
    type: int
    url: str = ""


@dataclass(frozen=True)
class FragmentParams:
    """What the shell's inline script sends to the list endpoint (/site/label/8888)."""

    path: str | None
    label_name: str | None
    site_id: int | None
    organ_id: int | None
    type: int | None
    cat_id: int | None
    file: str | None
    page_size: int | None
    first_page_index: int | None  # the index the page itself asks for first (0 or 1); None: unknown

    def query(self, page_index: int, page_size: int | None = None) -> dict[str, str]:
        """The endpoint's query parameters for one page (parameters the script does not set are left out)."""
        values = {
            "labelName": self.label_name,
            "siteId": self.site_id,
            "organId": self.organ_id,
            "type": self.type,
            "catId": self.cat_id,
            "file": self.file,
            "pageIndex": page_index,
            "pageSize": page_size if page_size is not None else self.page_size,
        }
        return {k: str(v) for k, v in values.items() if v is not None}

    def url(self, base_url: str, page_index: int, page_size: int | None = None) -> str:
        """The absolute URL of one page of the list."""
        path = self.path or "/site/label/8888"
        return urljoin(base_url, path) + "?" + urlencode(self.query(page_index, page_size))


@dataclass(frozen=True)
class ShellInfo:
    """A catalogue shell page /public/column/<organId>?type=..: ids, the column tree, list parameters."""

    site_id: int | None
    organ_id: int | None
    columns: list[ColumnLink]
    fragment: FragmentParams | None  # None: the page loads no list (a static or intro page)


@dataclass(frozen=True)
class ListEntry:
    """One row of a list fragment. `title` is the full title as shown (the title attribute, since
    the link text may be cut short with …); `date` is None when the row shows no valid date."""

    content_id: int
    url: str
    title: str
    date: date | None
    repealed: bool  # the red 废止 marker after the title
    index_number: str | None
    link_urls: list[str] = field(default_factory=list)  # the row's 解读 / 文件 links
    date_raw: str = ""


@dataclass(frozen=True)
class ListPage:
    """One page of a list fragment; `error` holds the platform's message when it answered one."""

    entries: list[ListEntry]
    page_count: int | None  # None only for an error answer
    error: str | None = None


# ------------------------------------------------------------------------------------ index


def _column_links(root: Element, base_url: str) -> Iterator[tuple[Element, str, int, dict[str, str]]]:
    """(link element, absolute URL, organ id, query) of every /public/column/<organId>?... link, in page order."""
    for el in dom.iter_content(root):
        if el.tag != "a":
            continue
        url = urls.resolve(base_url, el.get("href"))
        parsed = urls.column_query(url) if url else None
        if parsed is not None and url is not None:
            yield el, url, parsed[0], parsed[1]


def parse_index(html: str, base_url: str) -> list[OrgLink]:
    """Every organisation the /public/ index links to, in page order, once each."""
    root = dom.parse_html(html, base_url)
    if root is None:
        return []
    found: dict[int, OrgLink] = {}
    for el, url, organ_id, query in _column_links(root, base_url):
        # the catalogue root of an organisation: type 4 without a column
        if query.get("type") != "4" or query.get("catId") or organ_id in found:
            continue
        name = " ".join((el.get("title") or dom.text(el)).split())
        found[organ_id] = OrgLink(name=name, organ_id=organ_id, url=url)
    return list(found.values())


# ------------------------------------------------------------------------------------ shell

_PARAM_OBJECT = re.compile(r"\{[^{}]*\blabelName\b[^{}]*\}", re.S)
_KEYS = {
    "label_name": "labelName",
    "site_id": "siteId",
    "organ_id": "organId",
    "type": "type",
    "cat_id": "catId",
    "file": "file",
    "page_size": "pageSize",
}
_PATH = re.compile(r"""(?:\$\.(?:get|post|ajax)\(\s*|\burl\s*:\s*)(["'])(/[^"'\s]*)\1""")
_LOADER = re.compile(r"function\s+(\w+)\s*\(\s*pageIndex\s*\)")
_VAR = {
    "site_id": re.compile(r"""\bsiteId\s*=\s*["']?(\d+)"""),
    "organ_id": re.compile(r"""\borganId\s*=\s*["']?(\d+)"""),
}


def _js_value(obj: str, key: str) -> str | None:
    """A property of a JS object literal: key:"v", key: 'v', "key": v or key:123."""
    m = re.search(
        rf"""(?:^|[{{,\s])["']?{key}["']?\s*:\s*(?:"((?:\\.|[^"\\])*)"|'((?:\\.|[^'\\])*)'|([^,}}\s]+))""",
        obj,
    )
    if not m:
        return None
    value = next(g for g in m.groups() if g is not None)
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda u: chr(int(u.group(1), 16)), value).replace("\\/", "/")


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isdigit() else None


def parse_shell(html: str, base_url: str) -> ShellInfo:
    """The shell's site and organisation ids, its column tree and the list endpoint's parameters."""
    root = dom.parse_html(html, base_url)
    if root is None:
        return ShellInfo(site_id=None, organ_id=None, columns=[], fragment=None)
    scripts = [s.text or "" for s in root.iter("script")]
    fragment = None
    for script in scripts:
        obj = _PARAM_OBJECT.search(script)
        if obj:
            fragment = _fragment_params(script, obj.group(0))
            break
    site_id = fragment.site_id if fragment else None
    organ_id = fragment.organ_id if fragment else None
    for script in scripts:
        if site_id is None and (m := _VAR["site_id"].search(script)):
            site_id = int(m.group(1))
        if organ_id is None and (m := _VAR["organ_id"].search(script)):
            organ_id = int(m.group(1))
    if site_id is None:
        for meta in root.iter("meta"):
            if (meta.get("name") or "").lower() == "siteid":
                site_id = _int(meta.get("content"))
                break
    if organ_id is None and (parsed := urls.column_query(base_url)):
        organ_id = parsed[0]
    return ShellInfo(site_id=site_id, organ_id=organ_id, columns=_columns(root, base_url), fragment=fragment)


def _fragment_params(script: str, obj: str) -> FragmentParams:
    values = {name: _js_value(obj, key) for name, key in _KEYS.items()}
    path = _PATH.search(script)
    first = None
    loader = _LOADER.search(script)
    if loader:
        call = re.search(rf"\b{re.escape(loader.group(1))}\(\s*(\d+)\s*\)", script)
        first = int(call.group(1)) if call else None
    return FragmentParams(
        path=path.group(2) if path else None,
        label_name=values["label_name"],
        site_id=_int(values["site_id"]),
        organ_id=_int(values["organ_id"]),
        type=_int(values["type"]),
        cat_id=_int(values["cat_id"]),
        file=values["file"],
        page_size=_int(values["page_size"]),
        first_page_index=first,
    )


def _columns(root: Element, base_url: str) -> list[ColumnLink]:
    """Columns the page links to (/public/column/<organId>?type=T&catId=C), once each, in page order."""
    found: dict[tuple[int, int], ColumnLink] = {}
    for el, url, _organ_id, query in _column_links(root, base_url):
        cat_id, type_ = _int(query.get("catId")), _int(query.get("type"))
        if cat_id is None or type_ is None or (type_, cat_id) in found:
            continue
        name = " ".join((el.get("title") or dom.text(el)).split())
        found[(type_, cat_id)] = ColumnLink(cat_id=cat_id, name=name, type=type_, url=url)
    return list(found.values())


# --------------------------------------------------------------------------------- fragment

_PAGE_COUNT = re.compile(r"\bpageCount\s*:\s*[\"']?(\d+)")
_TOTAL = re.compile(r"\btotal\s*:\s*[\"']?(\d+)")
_PAGE_SIZE = re.compile(r"\bpageSize\s*:\s*[\"']?(\d+)")
_REPEALED = frozenset({"废止", "已废止"})
_HIDDEN = re.compile(r"display\s*:\s*none", re.I)
_DATE_CLASSES = frozenset({"date", "rq", "time", "sj"})
_INDEX_CLASSES = frozenset({"yh", "syh", "index"})


def parse_fragment(html: str, base_url: str) -> ListPage:
    """A page of a list fragment, either skin: entries (newest first, as shown) and the page count.

    Skin 1: ul.xxgk_nav_list > li > a[title] + span.date. Skin 2: div.xxgk_navli rows with
    li.xh / li.yh (索引号) / li.mc (title, 解读 or 文件 links) / li.rq (date) and a hidden hover
    box. Rows are found by their title links to detail pages, so other markups work too. The page
    count comes from the pager script (pageCount, or total / pageSize); no pager means one page.
    """
    root = dom.parse_html(html, base_url)
    if root is None:
        return ListPage(entries=[], page_count=1)
    error = root.find(".//div[@class='error']")
    anchors = list(_title_anchors(root, base_url))
    if error is not None and not anchors:
        return ListPage(entries=[], page_count=None, error=" ".join(dom.text(error).split()))
    titled = {id(a) for a, _, _ in anchors}
    entries = [_entry(a, url, cid, _row_of(a, titled), base_url) for a, url, cid in anchors]
    return ListPage(entries=_unique(entries), page_count=_page_count(root, len(entries)))


def _title_anchors(root: Element, base_url: str) -> Iterator[tuple[Element, str, int]]:
    """(anchor, absolute url, content id) of every titled link to a detail page: the rows' titles."""
    for el in dom.iter_content(root):
        if el.tag != "a" or not (el.get("title") or "title" in dom.classes(el)) or _in_hidden(el):
            continue
        url = urls.resolve(base_url, el.get("href"))
        cid = urls.content_id_of(url) if url else None
        if url and cid is not None:
            yield el, url, cid


def _in_hidden(el: Element) -> bool:
    node: Element | None = el
    while node is not None:
        if _HIDDEN.search(node.get("style") or ""):
            return True
        node = node.getparent()
    return False


def _row_of(anchor: Element, titled: set[int]) -> Element:
    """The largest element around a title link that holds no other title link: the list row."""
    row = anchor
    parent = row.getparent()
    while parent is not None and parent.tag not in ("body", "html"):
        if any(id(a) in titled and a is not anchor for a in parent.iter("a")):
            break
        row, parent = parent, parent.getparent()
    return row


def _entry(anchor: Element, url: str, cid: int, row: Element, base_url: str) -> ListEntry:
    title = anchor.get("title") or dom.text(anchor)
    date_raw = _row_date(row)
    links: list[str] = []
    repealed = False
    index_number = None
    for el in row.iter():
        if el is anchor or not isinstance(el.tag, str) or _in_hidden_within(el, row):
            continue
        if el.tag == "a":
            link = urls.resolve(base_url, el.get("href"))
            if link and link != url and urls.content_id_of(link) is not None and link not in links:
                links.append(link)
        elif len(el) == 0 and normalize_label(dom.text(el)).strip("[]【】") in _REPEALED:
            repealed = True
        elif index_number is None and not dom.classes(el).isdisjoint(_INDEX_CLASSES):
            index_number = dom.text(el).strip() or None
    if index_number is None:
        index_number = _hover_index_number(row)
    return ListEntry(
        content_id=cid,
        url=url,
        title=title,
        date=normalize_date(date_raw),
        repealed=repealed,
        index_number=index_number,
        link_urls=links,
        date_raw=date_raw,
    )


def _in_hidden_within(el: Element, row: Element) -> bool:
    node: Element | None = el
    while node is not None and node is not row:
        if _HIDDEN.search(node.get("style") or ""):
            return True
        node = node.getparent()
    return False


def _row_date(row: Element) -> str:
    """The row's date: an element classed as a date, else the first visible leaf that is a date."""
    fallback = ""
    for el in row.iter():
        if not isinstance(el.tag, str) or len(el) or _in_hidden_within(el, row):
            continue
        text = dom.text(el).strip()
        if not dom.classes(el).isdisjoint(_DATE_CLASSES):
            return text
        if not fallback and date_parts(text) is not None:
            fallback = text
    return fallback


def _hover_index_number(row: Element) -> str | None:
    """索引号 from the hidden hover box (div.vname 索 引 号： + p), when no visible cell shows it."""
    for el in row.iter():
        if isinstance(el.tag, str) and dom.label_text(el) == "索引号":
            nxt = el.getnext()
            return (dom.text(nxt).strip() or None) if nxt is not None else None
    return None


def _unique(entries: list[ListEntry]) -> list[ListEntry]:
    seen: set[int] = set()
    out = []
    for e in entries:
        if e.content_id not in seen:
            seen.add(e.content_id)
            out.append(e)
    return out


def _page_count(root: Element, n_entries: int) -> int:
    """Pages of the list from the pager script; no pager script means the list has one page."""
    for script in root.iter("script"):
        text = script.text or ""
        m = _PAGE_COUNT.search(text)
        if m:
            return max(1, int(m.group(1)))
        m = _TOTAL.search(text)
        if m:
            size = _PAGE_SIZE.search(text)
            per_page = int(size.group(1)) if size else n_entries
            if per_page <= 0:
                return 1
            return max(1, math.ceil(int(m.group(1)) / per_page))
    return 1
