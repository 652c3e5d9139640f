"""URL helpers of the platform: resolving links, recognising attachments and reading ids from paths."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".zip", ".rar", ".ofd")
# FastDFS upload paths (/group1/M00/..) are files whatever their name ends with
_FASTDFS = re.compile(r"/group\d+/M\d\d/", re.I)
_DETAIL = re.compile(r"/public/(\d{1,10})/(\d{1,12})\.html?$")
_COLUMN = re.compile(r"/public/column/(\d{1,10})$")
_NOT_LINKS = ("javascript:", "mailto:", "tel:", "data:", "#")


# What a browser drops from an href before reading it (WHATWG URL): tabs and newlines anywhere, C0
# controls and spaces at either end. `java&#9;script:` is `javascript:` once read.
_URL_NOISE = re.compile(r"[\t\n\r]")
_URL_EDGES = "".join(chr(c) for c in range(0x21)) + "\u3000\u00a0"


def resolve(base_url: str, href: str | None) -> str | None:
    """`href` as an absolute http(s) URL against `base_url`, or None for empty, script, anchor and any
    other non-web links (read as a browser reads them: `java&#9;script:` is a script link)."""
    if href is None:
        return None
    href = _URL_NOISE.sub("", href).strip(_URL_EDGES)
    if not href or href.lower().startswith(_NOT_LINKS):
        return None
    try:
        absolute = urljoin(base_url, href)
        parts = urlsplit(absolute)
    except ValueError:  # e.g. an invalid IPv6 host in a hand-written link
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # a fragment never names another resource; dropping it lets duplicates collapse
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def is_attachment_url(url: str) -> bool:
    """Whether a link points at a downloadable file (by extension, or a FastDFS upload path)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    return path.lower().endswith(ATTACHMENT_EXTENSIONS) or _FASTDFS.search(path) is not None


def viewer_file(url: str) -> str | None:
    """The `file` parameter of an embedded document viewer URL (pdf.js viewer.html?file=...)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if "viewer" not in parts.path.lower():
        return None
    files = parse_qs(parts.query).get("file")
    return files[0] if files else None


def content_id_of(url: str) -> int | None:
    """The content id of a detail page URL /public/<organId>/<contentId>.html."""
    try:
        m = _DETAIL.search(urlsplit(url).path)
    except ValueError:
        return None
    return int(m.group(2)) if m else None


def detail_organ_id_of(url: str) -> int | None:
    """The organisation id of a detail page URL /public/<organId>/<contentId>.html."""
    try:
        m = _DETAIL.search(urlsplit(url).path)
    except ValueError:
        return None
    return int(m.group(1)) if m else None


def column_query(url: str) -> tuple[int, dict[str, str]] | None:
    """(organ id, query) of a catalogue shell URL /public/column/<organId>?type=..&catId=..."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    m = _COLUMN.search(parts.path)
    if not m:
        return None
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    return int(m.group(1)), query
