"""The legal-database text of the seed document (合震〔2020〕24号) parses to its true metadata."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from disclosure_audit.parse.legal_text import normalize_legal_text, parse_legal_text

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed_hezhen_2020_24.txt"


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def test_the_fixture_is_traditional_with_pinyin() -> None:
    first = seed_text().splitlines()[0]
    assert first == "發(fā)文機關(guān)合肥市地震局"


def test_seed_raw_values() -> None:
    parsed = parse_legal_text(seed_text())
    assert {k: v for k, v in parsed.items() if k != "body"} == {
        "issuer": "合肥市地震局",
        "written_date": "2020年06月16日",
        "validity": "现行有效",
        "doc_number": "合震〔2020〕24号",
        "effective_date": "2020年06月16日",
        "level": "地方规范性文件",
    }


def test_seed_normalizes_exactly() -> None:
    got = normalize_legal_text(parse_legal_text(seed_text()))
    assert {k: v for k, v in got.items() if k != "body"} == {
        "issuer": "合肥市地震局",
        "written_date": "2020-06-16",
        "validity": "有效",
        "doc_number": "合震〔2020〕24号",
        "effective_date": "2020-06-16",
        "level": "地方规范性文件",
    }


def test_seed_body_is_the_simplified_text_without_pinyin() -> None:
    body = parse_legal_text(seed_text())["body"]
    assert body.startswith("局机关各处室、市地震监测中心:")
    assert "(fā)" not in body and "發" not in body
    assert "(一)重点领域信息公开" in body  # real parentheses stay
    assert "(国办公开办函〔2019〕60号)" in body
    # the converter's round trip is lossless: the body is the replica's own seed text
    replica = resources.files("disclosure_audit.replica").joinpath("data/seed_body.txt").read_text("utf-8")
    assert body.strip() == replica.strip()


def test_header_variants() -> None:
    text = "\n\n发文字号：合震[2021]3号\n发文机关 合肥市地震局\n发文机关 重复\n\n正文第一段\n发布日期2021-01-01"
    parsed = parse_legal_text(text)
    assert parsed["doc_number"] == "合震[2021]3号"
    assert parsed["issuer"] == "合肥市地震局"  # the first value of a field printed twice
    assert parsed["body"] == "正文第一段\n发布日期2021-01-01"  # labels after the header are body text
    assert "publish_date" not in parsed


def test_text_without_header_or_at_all() -> None:
    assert parse_legal_text("只有正文。\n第二段") == {"body": "只有正文。\n第二段"}
    assert parse_legal_text("") == {"body": ""}
    assert parse_legal_text("时效性已废止") == {"validity": "已废止", "body": ""}
    assert normalize_legal_text(parse_legal_text("时效性已废止")) == {"validity": "废止", "body": ""}
