"""Bytes to text for HTML pages: the charset from the HTTP header, the page's <meta>, or detection."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# GBK and GB2312 pages in the wild contain characters only GB18030 has (e.g. 䶮 U+4DAE), and
# GB18030 is a superset of both, so a GBK declaration is read as GB18030.
_ALIASES = {
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "gb18030": "gb18030",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
}
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_META = re.compile(rb"<meta\b[^>]*>", re.I)
_META_CHARSET = re.compile(rb"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
# Browsers look for the <meta> in the first 1024 bytes; real heads are often longer (comments, scripts)
_PRESCAN = 16384
_WEAK = {"latin-1", "iso8859-1", "ascii", "cp1252"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def canonical_charset(label: str | None) -> str | None:
    """The Python codec for a charset label (GBK family → gb18030), or None when unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if name in _ALIASES:
        return _ALIASES[name]
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    """The charset named in a Content-Type header value, if it names a known one."""
    if not content_type:
        return None
    m = _HEADER_CHARSET.search(content_type)
    return canonical_charset(m.group(1)) if m else None


def meta_charset(body: bytes) -> str | None:
    """The charset of `<meta charset>` or `<meta http-equiv=Content-Type content=...>` near the top."""
    for tag in _META.finditer(body[:_PRESCAN]):
        m = _META_CHARSET.search(tag.group(0))
        if m:
            found = canonical_charset(m.group(1).decode("ascii", "replace"))
            if found:
                return found
    return None


@dataclass(frozen=True)
class DecodedPage:
    """A page's text and how it was decoded; `doubt` says why the text may not be what the page shows.

    Doubtful: the charset the page declares (header, else <meta>) does not fit its bytes and no other
    declaration does either, or undecodable bytes had to be replaced, or the text carries U+FFFD
    replacement characters. Text read from such a page is not trusted as a version of an item.
    """

    text: str
    charset: str
    declared: str | None
    doubt: str | None = None


def decode_page(body: bytes, content_type: str | None) -> DecodedPage:
    """The page's text. A BOM wins, then the header's charset, then the page's <meta>, then
    detection (strict UTF-8, then GB18030). A declared charset the bytes do not fit gives way to the
    others and the result says so; only when nothing fits are undecodable bytes replaced, never raised."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            text = body.decode(codec, errors="replace")
            return DecodedPage(text, codec, codec, _replacement_doubt(text))
    from_header = header_charset(content_type)
    weak = None
    if from_header in _WEAK:
        # Java servers send ISO-8859-1 when the application names no charset, and every byte
        # sequence "fits" it: the page's <meta> and detection know better, so it is tried last
        weak, from_header = from_header, None
    from_meta = meta_charset(body)
    declared = from_header or from_meta
    candidates = [c for c in (declared, from_meta, "utf-8", "gb18030", weak) if c]
    for codec in dict.fromkeys(candidates):
        try:
            text = body.decode(codec)
        except (UnicodeError, LookupError):  # also codecs that are not text encodings (hex, rot13, undefined)
            continue
        doubt = None
        if declared and codec != declared and codec != from_meta:
            doubt = f"the page declares {declared} but its bytes are not {declared} (they read as {codec})"
        return DecodedPage(text, codec, declared, doubt or _replacement_doubt(text))
    codec = declared or "utf-8"
    try:
        text = body.decode(codec, errors="replace")
    except (UnicodeError, LookupError):  # a codec that cannot replace (idna, punycode) or is no text encoding
        codec = "utf-8"
        text = body.decode(codec, errors="replace")
    return DecodedPage(text, codec, declared, f"bytes that are not {codec} were replaced")


def _replacement_doubt(text: str) -> str | None:
    count = text.count("\ufffd")
    if count:
        return f"the text holds {count} replacement character(s) (U+FFFD): bytes were lost before it was served"
    return None


def decode_html(body: bytes, content_type: str | None) -> str:
    """The page's text (see decode_page, which also says whether the decoding is doubtful)."""
    return decode_page(body, content_type).text
