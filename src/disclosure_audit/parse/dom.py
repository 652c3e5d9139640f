"""HTML tree helpers for the page parsers: tolerant parsing, site-chrome pruning and block-aware text."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import lxml.etree as etree
import lxml.html as lhtml
from lxml.html import HtmlElement

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
# Characters lxml refuses in text even when handed bytes are replaced by the parser; these (C0
# controls except tab/newline/return) are dropped first so they never turn into U+FFFD noise.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_local = threading.local()


def _parser() -> lhtml.HTMLParser:
    # lxml parsers must not be shared between threads; one per thread, reused for speed
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = lhtml.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
        _local.parser = parser
    return parser


def parse_html(text: str, where: str | None = None) -> HtmlElement | None:
    """The document tree of an HTML page or fragment; None when there is nothing to parse.

    Never raises for odd input (truncated markup, binary junk, an XML declaration): libxml2
    repairs what it can. A non-str argument is a caller's mistake and raises ParseError.
    """
    if not isinstance(text, str):
        got = type(text).__name__
        raise ParseError(f"expected the page as text (str), got {got}; decode it first (decode_html)", where)
    cleaned = _CONTROL.sub("", text)
    if not cleaned.strip():
        return None
    # Bytes, not str: lxml rejects a str that carries an encoding declaration or a lone surrogate
    data = cleaned.encode("utf-8", errors="replace")
    try:
        root = etree.fromstring(data, _parser())
    except (etree.LxmlError, ValueError) as exc:
        raise ParseError(f"the HTML parser gave up: {exc}", where) from exc
    return root


def classes(el: HtmlElement) -> set[str]:
    value = el.get("class")
    return set(value.split()) if value else set()


def is_chrome(el: HtmlElement) -> bool:
    """Whether `el` is a part of the site chrome (navigation, menus, footer) rather than content."""
    if el.tag in CHROME_TAGS:
        return True
    value = el.get("class")
    if value and not CHROME_TOKENS.isdisjoint(value.split()):
        return True
    ident = el.get("id")
    return bool(ident) and ident in CHROME_TOKENS


def body_of(root: HtmlElement) -> HtmlElement:
    body = root.find("body")
    return body if body is not None else root


def iter_content(root: HtmlElement) -> Iterator[HtmlElement]:
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


def label_text(el: HtmlElement) -> str | None:
    """`el`'s text as a normalized label when `el` could be the element printing a label, else None.

    A label element is short and shallow: a few children, none with children of their own
    (名<span></span>称：), so wrappers fail fast without computing their whole text. An element
    whose label is printed by one of its children (<p><span>索引号:</span><span></span></p>, whose
    value is empty) is not the label element: its child is.
    """
    if len(el) > 3 or any(len(child) for child in el):
        return None
    text = el.text_content()
    if len(text) > MAX_LABEL_CHARS:
        return None
    label = normalize_label(text)
    if label and any(normalize_label(child.text_content()) == label for child in el):
        return None
    return label


def block_text(el: HtmlElement) -> str:
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
