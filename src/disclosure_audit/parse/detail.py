"""Detail pages: labelled metadata (one copy of the table), title, body text, attachments, related links."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from disclosure_audit.parse import dom, urls
from disclosure_audit.parse.dom import Element
from disclosure_audit.parse.labels import (
    DEFAULT_LABELS,
    MAX_LABEL_CHARS,
    RELATED_BOXES,
    LabelTable,
    normalize_label,
    related_box_for_label,
)

# Where a labelled value was read: the desktop copy of the table, the mobile copy, or a page
# that renders its metadata once.
DESKTOP, MOBILE, PAGE = "desktop", "mobile", "page"
_COPY_PREFERENCE = (DESKTOP, PAGE, MOBILE)
_DESKTOP_TOKENS = frozenset({"hidden-xs", "hidden-sm", "visible-lg", "visible-md", "pc"})
_MOBILE_TOKENS = frozenset({"hidden-lg", "hidden-md", "visible-xs", "visible-sm", "mobile", "wap"})
_BODY_TOKENS = frozenset({"wzcon", "gkwz_contnet", "gzk-article", "articleCon", "article-con", "TRS_Editor"})
_TITLE_TOKENS = frozenset({"newstitle", "gk_title", "wztit"})
# Elements that print a label (an <a> never does: a link text such as 政策解读 is a column name)
_LABEL_TAGS = frozenset(
    {"th", "td", "span", "div", "p", "li", "dt", "dd", "b", "strong", "label", "font", "em", "i", "h3", "h4"}
)
# Which <meta> names stand in for which field when the page shows no label for it
META_FIELDS = {
    "publish_date": "PubDate",
    "issuer": "ContentSource",
    "keywords": "Keywords",
    "column": "ColumnName",
    "summary": "Description",
}
_SCRIPT_FILE = re.compile(
    r"""\b(?:var|let|const)?\s*(pdf\w*|file\w*|fj\w*)\s*=\s*(["'])((?:\\.|(?!\2).){1,2000})\2""", re.I
)
_JS_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)
_INLINE_LABEL = re.compile(r"^\s*([^：:\s][^：:]{0,15}?)\s*[：:](.*)$", re.S)


@dataclass
class ParsedDetail:
    """What a detail page shows. Raw values are exactly as shown (text content, whitespace kept)."""

    url: str
    content_id: int | None = None
    title: str | None = None  # the page's title as shown (h1, else <meta name=ArticleTitle>)
    fields: dict[str, str] = field(default_factory=dict)  # canonical field -> value under its label
    labels: dict[str, str] = field(default_factory=dict)  # canonical field -> the label as printed
    meta: dict[str, str] = field(default_factory=dict)  # every <meta name=...> of the page
    meta_fields: dict[str, str] = field(default_factory=dict)  # fields shown by no label, from <meta>
    sources: dict[str, str] = field(default_factory=dict)  # field -> desktop/mobile/page/h1/meta:<Name>
    body_text: str = ""
    attachments: list[str] = field(default_factory=list)
    interpretation_urls: list[str] = field(default_factory=list)
    original_urls: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # oddities worth a look (copies that differ ...)
    # labels printed in the metadata block (a label cell ending in a colon, with a value after it) that
    # name no field the label table knows: a field the page shows and the parser did not read
    unknown_labels: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when the page shows nothing an item page would (no title, metadata or body)."""
        return not (self.title or self.fields or self.body_text)


@dataclass(frozen=True)
class Selector:
    """A simple selector a site file can name for a title or body variant: tag, .class and #id parts
    (`h2.art-title`, `.article-body`, `div#content`); no combinators."""

    tag: str | None
    classes: frozenset[str]
    ident: str | None

    @classmethod
    def parse(cls, text: str) -> Selector:
        m = _SELECTOR.fullmatch(text.strip())
        if not m or not text.strip():
            raise ValueError(f"expected a selector like tag.class or .class or #id, got {text!r}")
        tag, rest = m.group(1), m.group(2)
        classes = frozenset(re.findall(r"\.([\w-]+)", rest))
        ident = next(iter(re.findall(r"#([\w-]+)", rest)), None)
        return cls(tag.lower() if tag else None, classes, ident)

    def matches(self, el: Element) -> bool:
        if self.tag is not None and el.tag != self.tag:
            return False
        if self.ident is not None and el.get("id") != self.ident:
            return False
        return not self.classes or self.classes <= dom.classes(el)


_SELECTOR = re.compile(r"([A-Za-z][\w-]*)?((?:[.#][\w-]+)*)")


@dataclass(frozen=True)
class DetailLayout:
    """How a site's detail pages print metadata beyond the platform's defaults: its labels (synonyms
    included) and selectors of a body or title variant the defaults do not know."""

    labels: LabelTable = DEFAULT_LABELS
    body: tuple[Selector, ...] = ()
    title: tuple[Selector, ...] = ()


DEFAULT_LAYOUT = DetailLayout()


@dataclass
class _Pair:
    field: str
    label: str
    value: str
    copy: str


def parse_detail(html: str, url: str, layout: DetailLayout = DEFAULT_LAYOUT) -> ParsedDetail:
    """Read a detail page /public/<organId>/<contentId>.html of any skin; links resolved against `url`.

    Metadata is found by its labels wherever they are (a label element followed by its value
    element, whatever the tags), from one copy of a table rendered twice (desktop preferred).
    Garbage gives an empty result (see ParsedDetail.is_empty); only a non-str raises ParseError.
    """
    out = ParsedDetail(url=url, content_id=urls.content_id_of(url))
    root = dom.parse_html(html, url)
    if root is None:
        out.warnings.append("empty document")
        return out
    base = _base_url(root, url)
    out.meta = _metas(root)

    pairs: list[_Pair] = []
    title_el: Element | None = None
    first_h1: Element | None = None
    body_el: Element | None = None
    files: list[str] = []  # absolute attachment URLs in document order
    related: list[tuple[str, Element]] = []
    labels = layout.labels.fields
    known_tables: set[Element | None] = set()  # the blocks where known labels were read
    unknown: list[tuple[str, Element | None]] = []  # (label, its block) of label cells no field owns
    for el, copy, in_body in _walk(root, layout.body):
        tag = el.tag
        if tag == "h1":
            if title_el is None and not dom.classes(el).isdisjoint(_TITLE_TOKENS):
                title_el = el
            if first_h1 is None:
                first_h1 = el
        if title_el is None and layout.title and any(s.matches(el) for s in layout.title):
            title_el = el
        if body_el is None and in_body and _is_body(el, layout.body):
            body_el = el
        if tag in ("a", "iframe", "embed", "object", "script"):
            files.extend(_attachment_links(el, base))
            continue
        if in_body or tag not in _LABEL_TAGS:
            continue
        label = dom.label_text(el) or ""
        fld = labels.get(label)
        if fld is not None:
            value = _value_after(el)
            if value is not None:
                pairs.append(_Pair(fld, label, value, copy))
                known_tables.add(_table_of(el))
            continue
        box = RELATED_BOXES.get(label)
        if box is not None and _no_links(el):
            related.append((box, el))
            continue
        inline = _inline_pair(el, copy, layout.labels) if len(el) == 0 else None
        if inline is not None:
            pairs.append(inline)
            known_tables.add(_table_of(el))
        elif label and _COLON_END.search(dom.text(el)) and _value_after(el) is not None:
            unknown.append((label, _table_of(el)))

    _choose_copy(out, pairs)
    shown_in_metadata = (lab for lab, block in unknown if block is not None and block in known_tables)
    out.unknown_labels = list(dict.fromkeys(shown_in_metadata))
    heading = title_el if title_el is not None else first_h1
    if heading is not None:
        out.title, out.sources["title"] = dom.shown_text(heading), "h1"
    elif "ArticleTitle" in out.meta:
        out.title, out.sources["title"] = out.meta["ArticleTitle"], "meta:ArticleTitle"
    for key, name in META_FIELDS.items():
        if key not in out.fields and out.meta.get(name, "").strip():
            out.meta_fields[key] = out.meta[name]
            out.sources.setdefault(key, f"meta:{name}")
    if body_el is not None:
        out.body_text = dom.block_text(body_el)
    out.attachments = _dedupe(files)
    boxes: dict[str, list[str]] = {"interpretation": [], "original": []}
    for kind, label_el in related:
        boxes[kind].extend(_box_links(label_el, base))
    out.interpretation_urls = _dedupe(boxes["interpretation"])
    out.original_urls = _dedupe(boxes["original"])
    return out


# ----------------------------------------------------------------------------------- the walk
def _walk(root: Element, body: tuple[Selector, ...] = ()) -> Iterator[tuple[Element, str, bool]]:
    """(element, table copy, inside the body text) for every content element in document order."""
    stack: list[tuple[Element, str, bool]] = [(root, PAGE, False)]
    while stack:
        el, copy, in_body = stack.pop()
        tag = el.tag
        if not isinstance(tag, str) or tag in dom.SKIPPED_TAGS or dom.is_chrome(el):
            continue
        cls = el.get("class")
        if cls:
            tokens = cls.split()
            if not _DESKTOP_TOKENS.isdisjoint(tokens):
                copy = DESKTOP
            elif not _MOBILE_TOKENS.isdisjoint(tokens):
                copy = MOBILE
        if not in_body and _is_body(el, body):
            in_body = True
        yield el, copy, in_body
        children = list(el)
        if children:
            stack.extend((c, copy, in_body) for c in reversed(children))


def _is_body(el: Element, extra: tuple[Selector, ...] = ()) -> bool:
    if el.get("id") == "zoom":
        return True
    cls = el.get("class")
    if cls and not _BODY_TOKENS.isdisjoint(cls.split()):
        return True
    return bool(extra) and any(s.matches(el) for s in extra)


_COLON_END = re.compile(r"[：:]\s*$")


def _table_of(el: Element) -> Element | None:
    """The metadata block a label cell belongs to: its nearest table, or div (the mobile layout)."""
    node = el.getparent()
    while node is not None:
        if node.tag in ("table", "div"):
            return node
        node = node.getparent()
    return None


def _value_after(label_el: Element) -> str | None:
    """The value printed after a label: the next element's text, else the text right after the label."""
    nxt = label_el.getnext()
    if nxt is not None:
        return dom.text(nxt)
    if label_el.tail and label_el.tail.strip():
        return label_el.tail
    return None


def _inline_pair(el: Element, copy: str, labels: LabelTable = DEFAULT_LABELS) -> _Pair | None:
    """`<span>发布日期：2020-06-18</span>`: a label and its value in one element (colon required)."""
    if len(el):
        return None
    m = _INLINE_LABEL.match(dom.text(el))
    if not m:
        return None
    fld = labels.field_for(m.group(1))
    if fld is None:
        return None
    return _Pair(fld, normalize_label(m.group(1)), m.group(2), copy)


def _choose_copy(out: ParsedDetail, pairs: list[_Pair]) -> None:
    """Keep one copy of the metadata (desktop first), first value per field; note copies that differ."""
    by_copy: dict[str, dict[str, _Pair]] = {}
    for p in pairs:
        by_copy.setdefault(p.copy, {}).setdefault(p.field, p)
    chosen = next((c for c in _COPY_PREFERENCE if by_copy.get(c)), None)
    if chosen is None:
        return
    for fld, p in by_copy[chosen].items():
        out.fields[fld] = p.value
        out.labels[fld] = p.label
        out.sources[fld] = chosen
    for other, found in by_copy.items():
        if other == chosen:
            continue
        keys = set(found) | set(by_copy[chosen])
        differing = sorted(k for k in keys if _value(found, k) != _value(by_copy[chosen], k))
        if differing:
            out.warnings.append(
                f"the {other} copy of the metadata differs from the {chosen} copy on {', '.join(differing)}"
            )


def _value(pairs: dict[str, _Pair], fld: str) -> str:
    p = pairs.get(fld)
    return " ".join(p.value.split()) if p else ""


# ------------------------------------------------------------------------------- links and files
def _base_url(root: Element, url: str) -> str:
    for base in root.iter("base"):
        href = urls.resolve(url, base.get("href"))
        if href:
            return href
    return url


def _metas(root: Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in root.iter("meta"):
        name = m.get("name")
        if name and name not in out:
            out[name] = m.get("content") or ""
    return out


def _unescape_js(value: str) -> str:
    def one(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc[0] in "ux" and len(esc) > 1:
            code = int(esc[1:], 16)
            # the value is a URL: a browser percent-encodes C0 controls and DEL (NUL would not even store)
            return f"%{code:02X}" if (code < 0x20 and code not in (9, 10, 13)) or code == 0x7F else chr(code)
        return {"n": "\n", "t": "\t", "r": "\r"}.get(esc, esc)

    # JS strings are UTF-16: \ud83d\ude00 is one character, and a lone surrogate is sent as U+FFFD
    return _JS_ESCAPE.sub(one, value).encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _attachment_links(el: Element, base: str) -> list[str]:
    """Absolute URLs of the attachments an <a>, <iframe>, <embed>, <object> or <script> names."""
    tag = el.tag
    if tag == "script":
        found = []
        for m in _SCRIPT_FILE.finditer(el.text or ""):
            value = _unescape_js(m.group(3))
            url = urls.resolve(base, value)
            if url and (m.group(1).lower().startswith("pdf") or urls.is_attachment_url(url)):
                found.append(url)
        return found
    src = el.get("href") if tag == "a" else el.get("data") if tag == "object" else el.get("src")
    url = urls.resolve(base, src)
    if url is None:
        return []
    if tag != "a":
        inner = urls.viewer_file(url)
        if inner:
            return [urls.resolve(base, inner) or url]
    return [url] if urls.is_attachment_url(url) else []


def _box_links(label_el: Element, base: str) -> list[str]:
    """Links of a related-links box: those after its heading, up to the next box heading.

    The heading may sit alone inside a wrapper (<h3><span>相关解读：</span></h3><ul>..); then the
    links follow the wrapper, so the search climbs (at most three levels) until it finds some.
    """
    node: Element | None = label_el
    for _ in range(4):
        if node is None:
            break
        found: list[str] = []
        sibling = node.getnext()
        while sibling is not None:
            if _is_box_heading(sibling):
                break
            anchors = [sibling] if sibling.tag == "a" else list(sibling.iter("a"))
            for a in anchors:
                url = urls.resolve(base, a.get("href"))
                if url:
                    found.append(url)
            sibling = sibling.getnext()
        if found or node.getnext() is not None:
            return found
        node = node.getparent()
    return []


def _no_links(el: Element) -> bool:
    # a box heading is never a link: a link text such as 政策解读 is an item's or a column's name
    return el.tag != "a" and next(el.iter("a"), None) is None


def _is_box_heading(el: Element) -> bool:
    text = dom.text(el)
    return len(text) <= MAX_LABEL_CHARS and _no_links(el) and related_box_for_label(text) is not None


def _dedupe(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
