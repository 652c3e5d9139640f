"""Legal-database text: a header of `label value` lines with no separator, then the body."""

from __future__ import annotations

from typing import Any

from disclosure_audit.parse.errors import ParseError
from disclosure_audit.parse.labels import split_leading_label
from disclosure_audit.parse.normalize import clean_converted_text, normalize_fields


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
