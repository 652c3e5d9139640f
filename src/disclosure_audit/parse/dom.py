"""HTML tree helpers for the page parsers: tolerant parsing, site-chrome pruning and block-aware text."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import lxml.etree as etree
from lxml.etree import _Element as Element

from disclosure_audit.parse.errors import ParseError
from disclosure_audit.parse.labels import MAX_LABEL_CHARS, normalize_label

# Class or id tokens of the site chrome every page repeats (navigation, menus, breadcrumbs,
# footer). Links and labels there are never an item's. Exact tokens only: list classes such as
# xxgk_nav_list or navli_hover contain "nav" and are content.
CHROME_TOKENS = frozenset(
    {
        "nav",
        "navbar",
        "menu",
        "header",
        "head",
        "footer",
        "foot",
        "top-bar",
        "topbar",
        "position",
        "breadcrumb",
        "crumb",
        "bmwz",
        "org-menu",
        "friendly",
        "foot-links",
        "wz_tools",
        "share",
    }
)
CHROME_TAGS = frozenset({"header", "footer", "nav"})
SKIPPED_TAGS = frozenset({"style", "noscript", "template", "select", "option", "button", "form"})
BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
    }
)
# C0 controls except tab/newline/return: libxml2 would turn them into U+FFFD noise. Removed from
# the UTF-8 bytes, where they are always single bytes (never inside a multi-byte sequence), since
# bytes.translate is an order of magnitude faster than a regex over the str.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_local = threading.local()


def _parser() -> etree.HTMLParser:
    # Plain lxml elements, not lxml.html's HtmlElement, whose proxies go through a Python-level
    # class lookup each time an element is touched. Parsers must not be shared between threads:
    # one per thread, reused.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
        _local.parser = parser
    return parser


def parse_html(text: str, where: str | None = None) -> Element | None:
    """The document tree of an HTML page or fragment; None when there is nothing to parse.

    Never raises for odd input (truncated markup, binary junk, an XML declaration): libxml2
    repairs what it can. A non-str argument is a caller's mistake and raises ParseError.
    """
    if not isinstance(text, str):
        got = type(text).__name__
        raise ParseError(f"expected the page as text (str), got {got}; decode it first (decode_html)", where)
    # Bytes, not str: lxml rejects a str that carries an encoding declaration or a lone surrogate
    data = text.encode("utf-8", errors="replace").translate(None, _CONTROL_BYTES)
    if not data.strip():
        return None
    try:
        root = etree.fromstring(data, _parser())
    except (etree.LxmlError, ValueError) as exc:
        raise ParseError(f"the HTML parser gave up: {exc}", where) from exc
    return root


def classes(el: Element) -> set[str]:
    value = el.get("class")
    return set(value.split()) if value else set()


def is_chrome(el: Element) -> bool:
    """Whether `el` is a part of the site chrome (navigation, menus, footer) rather than content."""
    if el.tag in CHROME_TAGS:
        return True
    value = el.get("class")
    if value and not CHROME_TOKENS.isdisjoint(value.split()):
        return True
    ident = el.get("id")
    return bool(ident) and ident in CHROME_TOKENS


def body_of(root: Element) -> Element:
    body = root.find("body")
    return body if body is not None else root


def iter_content(root: Element) -> Iterator[Element]:
    """Elements of the page in document order, without the site chrome and invisible-text tags."""
    stack = [root]
    while stack:
        el = stack.pop()
        tag = el.tag
        if not isinstance(tag, str) or tag in SKIPPED_TAGS or is_chrome(el):
            continue
        yield el
        children = list(el)
        if children:
            children.reverse()
            stack.extend(children)


def text(el: Element) -> str:
    """All text inside `el`, exactly as shown (entities decoded, whitespace kept), like text_content()."""
    # serialising as text runs in C: four times faster than joining itertext()
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


_SCRIPT_TAGS = frozenset({"script", "style", "noscript", "template"})


def shown_text(el: Element) -> str:
    """`el`'s text exactly as text() gives it, but without what scripts and styles inside it hold
    (a <script> inside an <h1> is no part of the title)."""
    if next(el.iter(*_SCRIPT_TAGS), None) is None:
        return text(el)
    return _text_skipping(el, _SCRIPT_TAGS, "")


def text_outside_scripts(el: Element) -> str:
    """The text a reader sees in `el`: everything but scripts, styles and other invisible-text tags."""
    return _text_skipping(el, SKIPPED_TAGS | {"script", "title", "head"}, " ")


def _text_skipping(el: Element, skipped: frozenset[str] | set[str], sep: str) -> str:
    """The text of `el` and its descendants, without the subtrees of `skipped` tags (their tails kept)."""
    parts: list[str] = []
    walker = etree.iterwalk(el, events=("start", "end"))
    for event, node in walker:
        if event == "start":
            if not isinstance(node.tag, str) or node.tag in skipped:
                walker.skip_subtree()  # its "end" still comes, and adds its tail
                continue
            if node.text:
                parts.append(node.text)
        elif node.tail and node is not el:
            parts.append(node.tail)
    return sep.join(parts)


def label_text(el: Element) -> str | None:
    """`el`'s text as a normalized label when `el` could be the element printing a label, else None.

    A label element is short and shallow: a few children, none with children of their own
    (名<span></span>称：), so wrappers fail fast without computing their whole text. An element
    whose label is printed by one of its children (<p><span>索引号:</span><span></span></p>, whose
    value is empty) is not the label element: its child is.
    """
    if len(el) > 3 or any(len(child) for child in el):
        return None
    shown = text(el)
    if len(shown) > MAX_LABEL_CHARS:
        return None
    label = normalize_label(shown)
    if label and any(normalize_label(text(child)) == label for child in el):
        return None
    return label


def block_text(el: Element) -> str:
    """Text of a content area with one line per block (paragraph, row, list item); lines stripped."""
    parts: list[str] = []
    # iterwalk, not recursion: junk HTML may nest deeper than Python's recursion limit
    walker = etree.iterwalk(el, events=("start", "end"))
    for event, node in walker:
        tag = node.tag
        shown = isinstance(tag, str) and tag not in SKIPPED_TAGS and tag != "script"
        block = shown and tag in BLOCK_TAGS
        if event == "start":
            if not shown:
                walker.skip_subtree()
                continue
            if block:
                parts.append("\n")
            if node.text:
                parts.append(node.text)
        else:
            if block:
                parts.append("\n")
            if node.tail and node is not el:  # the container's own tail is outside it
                parts.append(node.tail)
    lines = (line.strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)
