"""Metadata labels: how a printed label is normalized, and which canonical field each label names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

# Canonical field -> every label the platform's skins print for it (after normalize_label).
SYNONYMS: MappingProxyType = MappingProxyType(
    {
        "index_number": ("索引号",),
        "category": ("信息分类", "组配分类"),
        "topic": ("主题分类",),
        "genre": ("体裁分类",),
        "issuer": ("发布机构", "发文机关", "发文机构"),
        "written_date": ("成文日期", "生成日期", "发文日期"),
        "publish_date": ("发布日期",),
        "doc_number": ("文号", "发文字号"),
        "validity": ("有效性", "时效性"),
        "effective_date": ("生效时间", "生效日期", "施行日期"),
        "repeal_date": ("废止时间", "废止日期"),
        "keywords": ("关键词",),
        "name": ("名称", "信息名称", "标题"),
        "summary": ("内容概述",),
        "level": ("效力级别",),
    }
)
LABEL_FIELDS: MappingProxyType = MappingProxyType({label: fld for fld, labels in SYNONYMS.items() for label in labels})
# Longest first, so a text header line "发文字号合震…" is read as 发文字号, never as a shorter label.
LABELS_LONGEST_FIRST: tuple[str, ...] = tuple(sorted(LABEL_FIELDS, key=len, reverse=True))

# Boxes of links to related items under a detail page, by their heading.
RELATED_BOXES: MappingProxyType = MappingProxyType(
    {
        "相关解读": "interpretation",
        "政策解读": "interpretation",
        "解读材料": "interpretation",
        "相关文件": "original",
        "原文件": "original",
        "政策原文": "original",
    }
)

# Zero-width characters sites leave inside labels; whitespace itself is removed by str.split()
# (which knows U+3000 and NBSP).
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_TRAILING_COLONS = re.compile(r"[：:﹕︰]+$")
# Longest plausible printed label: 6 label characters spread out with spaces and a colon
MAX_LABEL_CHARS = 24


def normalize_label(text: str) -> str:
    """A label as printed (索 引 号： / 文　　号： / 名<span></span>称:) reduced to its
    characters (索引号): all whitespace and invisible characters out, trailing colons off."""
    compact = "".join(_INVISIBLE.sub("", text).split())
    return _TRAILING_COLONS.sub("", compact)


def field_for_label(text: str) -> str | None:
    """The canonical field a printed label names, or None when it is not a metadata label."""
    if len(text) > MAX_LABEL_CHARS:
        return None
    return LABEL_FIELDS.get(normalize_label(text))


def related_box_for_label(text: str) -> str | None:
    """'interpretation' or 'original' when `text` is the heading of a related-links box."""
    if len(text) > MAX_LABEL_CHARS:
        return None
    return RELATED_BOXES.get(normalize_label(text))


@dataclass(frozen=True)
class LabelTable:
    """Which canonical field each printed label names: the platform's synonyms, plus a site's own.

    A site file can add labels (文件编号 for 文号 ...) without a code change: `with_synonyms`.
    """

    fields: Mapping[str, str]  # normalized label -> canonical field

    def field_for(self, text: str) -> str | None:
        """The canonical field a printed label names, or None when it is not a metadata label."""
        if len(text) > MAX_LABEL_CHARS:
            return None
        return self.fields.get(normalize_label(text))

    def with_synonyms(self, extra: Mapping[str, Iterable[str]]) -> LabelTable:
        """This table plus more labels per field; a field name outside the record is a clear error."""
        unknown = sorted(set(extra) - set(SYNONYMS))
        if unknown:
            raise ValueError(
                f"unknown field(s) {', '.join(unknown)} for extra labels; the fields are {', '.join(SYNONYMS)}"
            )
        merged = dict(self.fields)
        for fld, labels in extra.items():
            for label in labels:
                key = normalize_label(label)
                if not key:
                    raise ValueError(f"an empty label for field {fld}")
                merged[key] = fld
        return LabelTable(MappingProxyType(merged))


DEFAULT_LABELS = LabelTable(LABEL_FIELDS)


def split_leading_label(line: str) -> tuple[str, str, str] | None:
    """(field, label, rest) when a text line starts with a label and no separator, as legal texts
    print them (发文机关合肥市地震局); an optional colon after the label is dropped."""
    stripped = line.lstrip()
    for label in LABELS_LONGEST_FIRST:
        if stripped.startswith(label):
            rest = stripped[len(label) :]
            rest = re.sub(r"^[\s：:﹕︰]+", "", rest)
            return LABEL_FIELDS[label], label, rest
    return None
