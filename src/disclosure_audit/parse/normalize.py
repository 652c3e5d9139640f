"""Normalization of shown values (dates, 文号, 有效性, text, keywords, scripts): one way to do each thing."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from disclosure_audit.fields import DETAIL_FIELDS as ITEM_KEYS
from disclosure_audit.rules import VALIDITY_CANONICAL

if TYPE_CHECKING:
    from disclosure_audit.parse.detail import ParsedDetail

TEXT_FIELDS = ("title", "name", "index_number", "issuer", "topic", "category", "summary", "level", "genre")

# Full-width ASCII forms (０-９, ／, －, ．, ：, Ａ-Ｚ ...) to ASCII: U+FF01..U+FF5E map onto U+0021..U+007E.
_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULL_WIDTH_DIGITS = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}


def to_ascii_forms(text: str) -> str:
    """Full-width ASCII characters (digits, letters, punctuation) as their ASCII forms."""
    return text.translate(_FULL_WIDTH)


# ------------------------------------------------------------------------------------------ text
def normalize_text(raw: str | None) -> str | None:
    """Whitespace (full-width U+3000 and NBSP included) collapsed to single spaces, stripped."""
    if raw is None:
        return None
    return " ".join(raw.split())


_KEYWORD_SEPARATORS = re.compile(r"[\s，；,;、]+")


def split_keywords(raw: str | None) -> list[str]:
    """Keywords split on spaces and on Chinese or ASCII separators (，；,;、)."""
    if not raw:
        return []
    return [word for word in _KEYWORD_SEPARATORS.split(raw) if word]


# ----------------------------------------------------------------------------------------- dates
_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "o": 0, "一": 1, "二": 2, "两": 2, "三": 3}
_CN_DIGITS.update({"四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9})
_CN_CHARS = "".join(_CN_DIGITS) + "十廿卅元"
_NUMERIC = re.compile(
    r"(\d{4})\s*(?:(?P<sep>[-/.])\s*(\d{1,2})\s*(?P=sep)\s*(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?)"
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_CN = f"[{_CN_CHARS}]"
_CHINESE = re.compile(rf"({_CN}{{4}})\s*年\s*({_CN}{{1,3}})\s*月\s*({_CN}{{1,3}})\s*日")
# what may follow a date: a time of day (10:20, 10:20:33, 10时20分), nothing else
_TIME = re.compile(r"(?:[T\s]*\d{1,2}\s*[:时]\s*\d{1,2}(?:\s*[:分]\s*\d{1,2}(?:\.\d+)?)?\s*[分秒]?)?\s*")


def _cn_number(text: str) -> int | None:
    """1..31 (or a year's digits) written in Chinese: 六, 十, 十六, 二十, 廿一, 卅, 三十一, 二〇二〇, 元."""
    if text == "元":  # 元月: January
        return 1
    if any(c in text for c in "十廿卅"):
        m = re.fullmatch(r"([一二三])?(十|廿|卅)([一二三四五六七八九])?", text)
        if not m:
            return None
        if m.group(2) == "十":
            tens = _CN_DIGITS[m.group(1)] if m.group(1) else 1
        else:
            if m.group(1):
                return None  # 二廿 is not a number
            tens = 2 if m.group(2) == "廿" else 3
        return tens * 10 + (_CN_DIGITS[m.group(3)] if m.group(3) else 0)
    value = 0
    for ch in text:
        if ch not in _CN_DIGITS:
            return None
        value = value * 10 + _CN_DIGITS[ch]
    return value


def date_parts(raw: str | None) -> tuple[int, int, int] | None:
    """(year, month, day) when `raw` is written as a date (real or not), else None.

    Accepts 2020年06月16日, 2020年6月16日, 2020-06-16, 2020/6/16, 2020.06.16, 20200616 and
    二〇二〇年六月十六日, each optionally followed by a time of day; full-width digits are fine.
    """
    if not raw:
        return None
    text = raw.translate(_FULL_WIDTH).strip()
    m = _NUMERIC.match(text)
    if m:
        groups = (m.group(1), m.group(3) or m.group(5), m.group(4) or m.group(6))
        parts = tuple(int(g) for g in groups)
    else:
        m = _COMPACT.match(text)
        if m:
            parts = tuple(int(g) for g in m.groups())
        else:
            m = _CHINESE.match(text)
            if not m:
                return None
            numbers = [_cn_number(g) for g in m.groups()]
            if any(n is None for n in numbers):
                return None
            parts = tuple(numbers)  # type: ignore[arg-type]
    if not _TIME.fullmatch(text, m.end()):
        return None
    return parts  # type: ignore[return-value]


def normalize_date(raw: str | None) -> date | None:
    """The date `raw` shows, or None when it shows none or an impossible one (month 13, 30 February)."""
    parts = date_parts(raw)
    if parts is None:
        return None
    try:
        return date(*parts)
    except ValueError:
        return None


def iso_date(raw: str | None) -> str | None:
    """normalize_date as an ISO string (YYYY-MM-DD)."""
    d = normalize_date(raw)
    return d.isoformat() if d else None


def normalize_date_or_text(raw: str | None) -> str | None:
    """生效/废止 values: the ISO date when a date is shown, None for an impossible date or an empty
    value, else the text as shown with whitespace collapsed (e.g. 五年)."""
    text = normalize_text(raw)
    if not text:
        return None
    if date_parts(text) is not None:
        return iso_date(text)
    return text


# ------------------------------------------------------------------------------- 文号 and 有效性
_BRACKETS = str.maketrans(
    {
        "[": "〔",
        "]": "〕",
        "(": "〔",
        ")": "〕",
        "（": "〔",
        "）": "〕",
        "【": "〔",
        "】": "〕",
        "［": "〔",
        "］": "〕",
        "﹝": "〔",  # small tortoise-shell brackets, a common look-alike of 〔〕
        "﹞": "〕",
        "〖": "〔",
        "〗": "〕",
        **{chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF10, 0xFF1A)},
    }
)


def normalize_doc_number(raw: str | None) -> str | None:
    """文号 in canonical form: year brackets as 〔〕, ASCII digits, no whitespace; None when empty."""
    if raw is None:
        return None
    value = "".join(raw.translate(_BRACKETS).split())
    return value or None


def normalize_validity(raw: str | None) -> str | None:
    """有效性 as the canonical term (现行有效 → 有效, 已废止 → 废止 ...); None for empty or unknown words."""
    if raw is None:
        return None
    return VALIDITY_CANONICAL.get("".join(raw.split()))


# ------------------------------------------------------------------------ scripts and annotations
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_TONED += _TONED.upper()
_COMBINING_TONES = "\u0300\u0301\u0304\u030c"
_SYLLABLE = f"[A-Za-zÜü{_TONED}{_COMBINING_TONES}]+"
_PINYIN = re.compile(rf"[(（]\s*({_SYLLABLE}(?:\s+{_SYLLABLE})*)\s*[)）]")
_HAS_TONE = re.compile(f"[{_TONED}{_COMBINING_TONES}]")


def strip_pinyin(text: str) -> str:
    """Remove pinyin a converter inserted in parentheses after characters (發(fā)文 → 發文).

    Only parentheses holding nothing but latin letters with at least one tone mark go: real
    parentheses ((一), (以下简称《条例》), (PDF)) stay.
    """
    return _PINYIN.sub(lambda m: "" if _HAS_TONE.search(m.group(1)) else m.group(0), text)


_SURROGATE = re.compile("[\ud800-\udfff]")


@functools.lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc  # imported on first use: building the converter reads its dictionaries

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters as simplified ones (OpenCC t2s); simplified text is unchanged."""
    # OpenCC takes UTF-8: a lone surrogate (from a broken page) cannot be encoded, so it is replaced
    return _t2s().convert(_SURROGATE.sub("\ufffd", text))


def clean_converted_text(text: str) -> str:
    """Undo a traditional-script converter that also annotated pinyin: strip the pinyin, then t2s."""
    return to_simplified(strip_pinyin(text))


# ------------------------------------------------------------------------------------ records
def normalize_fields(raw: Mapping[str, str]) -> dict[str, Any]:
    """Normalized values of canonical fields as shown (absent fields are absent from the result)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("written_date", "publish_date"):
            out[key] = iso_date(value)
        elif key in ("effective_date", "repeal_date"):
            out[key] = normalize_date_or_text(value)
        elif key == "doc_number":
            out[key] = normalize_doc_number(value)
        elif key == "validity":
            out[key] = normalize_validity(value)
        elif key == "keywords":
            out[key] = split_keywords(value)
        elif key in TEXT_FIELDS:
            out[key] = normalize_text(value)
    return out


def normalize_item(parsed: ParsedDetail, *, meta_fallback: bool = False) -> dict[str, Any]:
    """The item record: ITEM_KEYS with normalized values, plus `raw` (values as shown, title included).

    A field whose label the page does not show is None (keywords: []). With `meta_fallback`, such
    a field takes the page's <meta> value instead (PubDate, ContentSource, Keywords), and `raw`
    shows that value too; parsed.sources says which is which.
    """
    shown = dict(parsed.fields)
    if meta_fallback:
        for key, value in parsed.meta_fields.items():
            shown.setdefault(key, value)
    normalized = normalize_fields(shown)
    record: dict[str, Any] = {key: normalized.get(key) for key in ITEM_KEYS}
    record["title"] = normalize_text(parsed.title)
    record["keywords"] = normalized.get("keywords", [])
    record["attachments"] = list(parsed.attachments)
    record["interpretation_urls"] = list(parsed.interpretation_urls)
    record["original_urls"] = list(parsed.original_urls)
    record["raw"] = {"title": parsed.title, **shown}
    return record
