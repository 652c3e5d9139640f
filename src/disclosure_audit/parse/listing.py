"""Catalogue pages: the organisation index, a column's shell (its list parameters) and list fragments."""

from __future__ import annotations

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
    sections: dict[int, str] = field(default_factory=dict)  # type -> URL of its link without a column


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


LIST, EMPTY, UNRECOGNISED = "list", "empty", "unrecognised"


@dataclass(frozen=True)
class ListPage:
    """One answer of the list endpoint, classified as exactly one of three kinds:

    - `list`: at least one entry;
    - `empty`: a known empty marker (暂无相关信息 ..., or the list template with no rows);
    - `unrecognised`: anything else (an error text such as 参数错误, a login or firewall page, another
      kind of HTML, JSON, nothing at all). `reason` says what it looked like; it is never an empty list.
    """

    entries: list[ListEntry]
    page_count: int | None  # None for an unrecognised answer
    error: str | None = None  # the platform's error message, when it printed one
    kind: str = LIST
    reason: str | None = None


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
    value = re.sub(r"\\u([0-9a-fA-F]{4})", lambda u: chr(int(u.group(1), 16)), value).replace("\\/", "/")
    # JS strings are UTF-16: surrogate pairs join, a lone surrogate becomes U+FFFD (a URL cannot carry it)
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# More digits than any id or count of the platform has; int() refuses strings of 4300+ digits
MAX_DIGITS = 18


def _int(value: str | None) -> int | None:
    """A decimal number as shown (ASCII or other decimal digits), or None; superscripts such as ²
    pass str.isdigit() but are no number, and a string of more than MAX_DIGITS digits is none either."""
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isdecimal() and len(value) <= MAX_DIGITS else None


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
            site_id = _int(m.group(1))
        if organ_id is None and (m := _VAR["organ_id"].search(script)):
            organ_id = _int(m.group(1))
    if site_id is None:
        for meta in root.iter("meta"):
            if (meta.get("name") or "").lower() == "siteid":
                site_id = _int(meta.get("content"))
                break
    if organ_id is None and (parsed := urls.column_query(base_url)):
        organ_id = parsed[0]
    return ShellInfo(
        site_id=site_id,
        organ_id=organ_id,
        columns=_columns(root, base_url),
        fragment=fragment,
        sections=_sections(root, base_url),
    )


def _sections(root: Element, base_url: str) -> dict[int, str]:
    """Links of the tree to a whole section (type=T without catId: 指南, 年报, 规范性文件库 ...), once per type."""
    found: dict[int, str] = {}
    for _el, url, _organ_id, query in _column_links(root, base_url):
        type_ = _int(query.get("type"))
        if type_ is not None and not query.get("catId") and type_ not in found:
            found[type_] = url
    return found


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


# What an empty list says. The vendor's template prints the request's `result` parameter (which the
# platform's own scripts set to 暂无相关信息) when a column has no item; these are the usual wordings.
EMPTY_MARKERS = ("暂无相关信息", "暂无信息", "暂无数据", "暂无内容", "没有相关信息", "没有找到相关信息", "无相关信息")
EMPTY_CLASSES = frozenset({"no-data", "nodata", "no_data", "empty", "no-info", "noinfo"})
# The list containers of the vendor's skins: present with no row and no text, the list is empty.
_LIST_CONTAINERS = frozenset({"xxgk_nav_list", "xxgk_navli", "gk_list", "xxgk_list"})
_LOGIN = re.compile(r"登录|登陆|用户名|密码|验证码|login|sign in", re.I)
_BLOCKED = re.compile(
    r"访问被拦截|拦截|安全狗|云防护|云盾|防火墙|非法请求|拒绝访问|访问受限|请求被阻止|access denied|forbidden|"
    r"web application firewall|\bwaf\b|blocked",
    re.I,
)
_PUNCTUATION = re.compile(r"[\s\W_]+")


def parse_fragment(html: str, base_url: str, empty_markers: tuple[str, ...] = ()) -> ListPage:
    """A page of a list fragment, either skin: entries (newest first, as shown) and the page count.

    Skin 1: ul.xxgk_nav_list > li > a[title] + span.date. Skin 2: div.xxgk_navli rows with
    li.xh / li.yh (索引号) / li.mc (title, 解读 or 文件 links) / li.rq (date) and a hidden hover
    box. Rows are found by their title links to detail pages, so other markups work too. The page
    count comes from the pager script (pageCount, or total / pageSize); no pager means one page.
    An answer without entries is `empty` only when it shows a known empty marker (EMPTY_MARKERS plus
    `empty_markers`) or the list template with nothing in it; anything else is `unrecognised`.
    """
    root = dom.parse_html(html, base_url)
    if root is None:
        return _unrecognised("an empty answer: no list and no empty marker")
    anchors = list(_title_anchors(root, base_url))
    if anchors:
        titled = {id(a) for a, _, _ in anchors}
        entries = [_entry(a, url, cid, _row_of(a, titled), base_url) for a, url, cid in anchors]
        return ListPage(entries=_unique(entries), page_count=_page_count(root, len(entries)))
    return _without_entries(html, root, (*empty_markers, *EMPTY_MARKERS))


def _unrecognised(reason: str, error: str | None = None) -> ListPage:
    return ListPage(entries=[], page_count=None, error=error, kind=UNRECOGNISED, reason=reason)


def _without_entries(html: str, root: Element, markers: tuple[str, ...]) -> ListPage:
    """Classify an answer that holds no entry: a known empty marker, or unrecognised (and why)."""
    stripped = html.lstrip()
    if stripped[:1] in ("{", "["):
        return _unrecognised(f"a JSON answer, not a list: {_gist(stripped)}")
    shown = " ".join(dom.text_outside_scripts(root).split())
    error = root.find(".//div[@class='error']")
    if error is not None:
        message = " ".join(dom.text(error).split())
        return _unrecognised(f"an error message: {message}", error=message)
    has_password = any((el.get("type") or "").lower() == "password" for el in root.iter("input"))
    if has_password or (root.find(".//form") is not None and _LOGIN.search(shown)):
        return _unrecognised(f"a login page: {_gist(_title_of(root) or shown)}")
    if _BLOCKED.search(shown) or _BLOCKED.search(_title_of(root)):
        return _unrecognised(f"a blocking or firewall page: {_gist(shown or _title_of(root))}")
    if re.search(r"<html[\s>]|<!doctype", html[:2048], re.I) and not _has_container(root):
        return _unrecognised(f"a whole HTML page, not a list fragment: {_gist(_title_of(root) or shown)}")
    rest = shown
    for marker in sorted(set(markers), key=len, reverse=True):
        if marker and marker in rest:
            rest = rest.replace(marker, "")
            if not _PUNCTUATION.sub("", rest):
                return ListPage(entries=[], page_count=1, kind=EMPTY, reason=f"the empty marker {marker}")
    if not shown and (_has_container(root) or _has_empty_class(root)):
        return ListPage(entries=[], page_count=1, kind=EMPTY, reason="the list template with no rows")
    if not shown:
        return _unrecognised("an answer with no list, no text and no empty marker")
    return _unrecognised(f"no list entries and no empty marker; it says: {_gist(shown)}", error=_gist(shown))


def _has_container(root: Element) -> bool:
    return any(not dom.classes(el).isdisjoint(_LIST_CONTAINERS) for el in root.iter() if isinstance(el.tag, str))


def _has_empty_class(root: Element) -> bool:
    return any(not dom.classes(el).isdisjoint(EMPTY_CLASSES) for el in root.iter() if isinstance(el.tag, str))


def _title_of(root: Element) -> str:
    title = root.find(".//title")
    return " ".join(dom.text(title).split()) if title is not None else ""


def _gist(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


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


# The words of a row's links to its interpretations or its document (解读, 解读2, 文件1 ...).
_ROW_LINK = re.compile(r"^(?:解读|文件|图解|视频解读)\d*$")


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
            # a link to another detail page, or one named 解读/文件 wherever it points (another site's too)
            related = urls.content_id_of(link) is not None if link else False
            if link and link != url and link not in links and (related or _ROW_LINK.match(dom.text(el).strip())):
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
        if m and (count := _int(m.group(1))) is not None:
            return max(1, count)
        m = _TOTAL.search(text)
        if m and (total := _int(m.group(1))) is not None:
            size = _PAGE_SIZE.search(text)
            per_page = _int(size.group(1)) if size else n_entries
            if not per_page or per_page <= 0:
                return 1
            return max(1, -(-total // per_page))  # integer ceiling: a float overflows for huge totals
    return 1
