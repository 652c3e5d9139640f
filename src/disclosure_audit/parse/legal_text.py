"""Legal-database text: a header of `label value` lines with no separator, then the body; and the
database's own pages: the index of issuers and their lists of documents."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from disclosure_audit.parse import dom, urls
from disclosure_audit.parse.errors import ParseError
from disclosure_audit.parse.labels import split_leading_label
from disclosure_audit.parse.listing import EMPTY, UNRECOGNISED, ListEntry, ListPage
from disclosure_audit.parse.normalize import clean_converted_text, normalize_date, normalize_fields


def parse_legal_text(text: str) -> dict[str, str]:
    """Raw header values under canonical field names (issuer, written_date, validity, ...) plus `body`.

    The text is first brought back to simplified script without converter pinyin (發(fā)文機關(guān)
    → 发文机关). Header lines are the leading lines that start with a known label (发文机关合肥市地震局,
    时效性现行有效; a colon after the label is tolerated); the first other line starts the body.
    A field printed twice keeps its first value. Text without a header gives only `body`.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected the legal text as str, got {type(text).__name__}; decode it first")
    lines = clean_converted_text(text).splitlines()
    out: dict[str, str] = {}
    body_start = len(lines)
    for n, line in enumerate(lines):
        if not line.strip():
            continue
        found = split_leading_label(line)
        if found is None:
            body_start = n
            break
        fld, _, value = found
        out.setdefault(fld, value.strip())
    out["body"] = "\n".join(lines[body_start:]).strip("\n")
    return out


def normalize_legal_text(parsed: dict[str, str]) -> dict[str, Any]:
    """The header's normalized values (dates ISO, 文号 canonical, 有效性 canonical) and the body."""
    out = normalize_fields({k: v for k, v in parsed.items() if k != "body"})
    out["body"] = parsed.get("body", "")
    return out


# ------------------------------------------------------------------------------------ the database's lists
_LAW_DOC = re.compile(r"/law/doc/(\d{1,18})\.txt$")
_LAW_ORG = re.compile(r"/law/org/(\d{1,10})$")
LAW_EMPTY_MARKERS = ("暂无记录", "暂无数据", "没有找到相关记录")


def law_doc_id(url: str) -> int | None:
    """The document id of a legal-database text URL /law/doc/<id>.txt."""
    m = _LAW_DOC.search(urlsplit(url).path)
    return int(m.group(1)) if m else None


def parse_law_index(html: str, base_url: str) -> list[tuple[str, int, str]]:
    """(issuer name, id, URL) of every issuing organisation the database's index links (/law/org/<id>)."""
    root = dom.parse_html(html, base_url)
    out: dict[int, tuple[str, int, str]] = {}
    for el in dom.iter_content(root) if root is not None else ():
        if el.tag != "a":
            continue
        url = urls.resolve(base_url, el.get("href"))
        m = _LAW_ORG.search(urlsplit(url).path) if url else None
        name = " ".join(dom.text(el).split())
        if m and url and name:
            out.setdefault(int(m.group(1)), (name, int(m.group(1)), url.split("?", 1)[0]))
    return list(out.values())


def parse_law_list(html: str, base_url: str) -> ListPage:
    """One page of an issuer's documents: rows linking /law/doc/<id>.txt with a date, the page count
    from the pager's data-pages. No row: empty only with the database's empty marker, else unrecognised."""
    root = dom.parse_html(html, base_url)
    if root is None:
        return ListPage([], None, kind=UNRECOGNISED, reason="an empty answer: no list and no empty marker")
    entries: list[ListEntry] = []
    for el in dom.iter_content(root):
        if el.tag != "a":
            continue
        url = urls.resolve(base_url, el.get("href"))
        doc_id = law_doc_id(url) if url else None
        if url is None or doc_id is None or any(e.content_id == doc_id for e in entries):
            continue
        row = el.getparent()
        date_el = row.find(".//span[@class='date']") if row is not None else None
        date_raw = dom.text(date_el).strip() if date_el is not None else ""
        title = el.get("title") or " ".join(dom.text(el).split())
        entries.append(ListEntry(doc_id, url, title, normalize_date(date_raw), False, None, [], date_raw))
    pager = root.find(".//*[@data-pages]")
    shown_pages = (pager.get("data-pages") or "") if pager is not None else ""
    # isdecimal, not isdigit (² is a digit int() refuses); a count of more than 18 digits is none either
    pages = int(shown_pages) if shown_pages.isdecimal() and len(shown_pages) <= 18 else 1
    if entries:
        return ListPage(entries, max(pages, 1))
    shown = " ".join(dom.text_outside_scripts(root).split())
    for marker in LAW_EMPTY_MARKERS:
        if marker in shown:
            return ListPage([], 1, kind=EMPTY, reason=f"the empty marker {marker}")
    gist = shown[:80] or "nothing"
    return ListPage([], None, kind=UNRECOGNISED, reason=f"no document rows and no empty marker; it says: {gist}")
