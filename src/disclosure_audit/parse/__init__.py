"""Parsing and normalization of the platform's pages and texts: pure functions, no network, no database."""

from __future__ import annotations

from disclosure_audit.parse.decode import decode_html
from disclosure_audit.parse.detail import ParsedDetail, parse_detail
from disclosure_audit.parse.errors import ParseError
from disclosure_audit.parse.labels import SYNONYMS, field_for_label, normalize_label
from disclosure_audit.parse.legal_text import normalize_legal_text, parse_legal_text
from disclosure_audit.parse.listing import (
    ColumnLink,
    FragmentParams,
    ListEntry,
    ListPage,
    OrgLink,
    ShellInfo,
    parse_fragment,
    parse_index,
    parse_shell,
)
from disclosure_audit.parse.normalize import (
    ITEM_KEYS,
    clean_converted_text,
    normalize_date,
    normalize_date_or_text,
    normalize_doc_number,
    normalize_item,
    normalize_text,
    normalize_validity,
    split_keywords,
    strip_pinyin,
    to_simplified,
)

__all__ = [
    "ITEM_KEYS",
    "SYNONYMS",
    "ColumnLink",
    "FragmentParams",
    "ListEntry",
    "ListPage",
    "OrgLink",
    "ParseError",
    "ParsedDetail",
    "ShellInfo",
    "clean_converted_text",
    "decode_html",
    "field_for_label",
    "normalize_date",
    "normalize_date_or_text",
    "normalize_doc_number",
    "normalize_item",
    "normalize_label",
    "normalize_legal_text",
    "normalize_text",
    "normalize_validity",
    "parse_detail",
    "parse_fragment",
    "parse_index",
    "parse_legal_text",
    "parse_shell",
    "split_keywords",
    "strip_pinyin",
    "to_simplified",
]
