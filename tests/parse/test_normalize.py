"""The normalizers and the label table: dates, 文号, 有效性, text, keywords, scripts and pinyin."""

from __future__ import annotations

from datetime import date

import pytest

from disclosure_audit import rules
from disclosure_audit.parse.labels import (
    LABEL_FIELDS,
    SYNONYMS,
    field_for_label,
    normalize_label,
    split_leading_label,
)
from disclosure_audit.parse.normalize import (
    clean_converted_text,
    date_parts,
    normalize_date,
    normalize_date_or_text,
    normalize_doc_number,
    normalize_fields,
    normalize_text,
    normalize_validity,
    split_keywords,
    strip_pinyin,
    to_simplified,
)

D = date(2020, 6, 16)


@pytest.mark.parametrize(
    "raw",
    [
        "2020年06月16日",
        "2020年6月16日",
        "2020-06-16",
        "2020-6-16",
        "2020/6/16",
        "2020/06/16",
        "2020.06.16",
        "20200616",
        "二〇二〇年六月十六日",
        "二零二零年六月十六日",
        "二○二○年六月十六日",
        "2020-06-16 10:20",
        "2020-06-16 10:20:33",
        "2020-06-16T10:20:33",
        "2020年06月16日 10时20分",
        "２０２０－０６－１６",
        "２０２０年６月１６日",
        " 2020-06-16\u3000",
        "2020 年 6 月 16 日",
    ],
)
def test_dates(raw: str) -> None:
    assert normalize_date(raw) == D


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("二〇二〇年十月一日", date(2020, 10, 1)),
        ("二〇二〇年十二月二十日", date(2020, 12, 20)),
        ("二〇二〇年十一月廿一日", date(2020, 11, 21)),
        ("二〇二〇年一月三十一日", date(2020, 1, 31)),
        ("二〇二〇年元月卅日", date(2020, 1, 30)),
        ("二〇一九年二月二十八日", date(2019, 2, 28)),
    ],
)
def test_chinese_numeral_dates(raw: str, expected: date) -> None:
    assert normalize_date(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "2021年13月05日",  # month 13 (scenario 9100301)
        "2022/2/30",  # 30 February (scenario 9100302)
        "2021-02-29",  # not a leap year
        "2020-00-10",
        "2020-06-32",
        "二〇二一年二月三十日",
    ],
)
def test_impossible_dates_are_none(raw: str) -> None:
    assert normalize_date(raw) is None
    assert date_parts(raw) is not None  # still written as a date


@pytest.mark.parametrize(
    "raw",
    [None, "", "   ", "五年", "长期", "2020-06", "2020-06/16", "2020-06-16 以后", "2020年6月16日起施行", "二〇二〇年"],
)
def test_not_dates(raw: str | None) -> None:
    assert normalize_date(raw) is None
    assert date_parts(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("合震〔2020〕24号", "合震〔2020〕24号"),
        ("合震[2021]3号", "合震〔2021〕3号"),
        ("合震(2022)5号", "合震〔2022〕5号"),
        ("合财（2022）12号", "合财〔2022〕12号"),
        ("合科【2023】7号", "合科〔2023〕7号"),
        ("合科［2023］7号", "合科〔2023〕7号"),
        ("合科﹝2023﹞7号", "合科〔2023〕7号"),
        ("合震〔2022〕 11号", "合震〔2022〕11号"),
        ("合震〔２０２２〕１１号", "合震〔2022〕11号"),
        ("\u3000合 政 办 秘〔2021〕112号\u00a0", "合政办秘〔2021〕112号"),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_doc_numbers(raw: str | None, expected: str | None) -> None:
    assert normalize_doc_number(raw) == expected


def test_validity_maps_every_word_of_the_catalogue_and_nothing_else() -> None:
    for word, canonical in rules.VALIDITY_CANONICAL.items():
        assert normalize_validity(word) == canonical
        assert normalize_validity(f" {word[0]}\u3000{word[1:]} ") == canonical
    assert normalize_validity("现行有效") == "有效"
    assert normalize_validity("已废止") == "废止"
    assert normalize_validity("不知道") is None
    assert normalize_validity("") is None
    assert normalize_validity(None) is None


def test_text_collapses_every_kind_of_whitespace() -> None:
    assert normalize_text("市地震局召开2022年防震减灾  工作会议") == "市地震局召开2022年防震减灾 工作会议"
    assert normalize_text("若干意见\u3000") == "若干意见"
    assert normalize_text("\u00a0a\t\nb\u3000\u3000c ") == "a b c"
    assert normalize_text("") == ""
    assert normalize_text(None) is None


def test_keywords() -> None:
    assert split_keywords("政务公开，六提六促，整改方案") == ["政务公开", "六提六促", "整改方案"]
    assert split_keywords("a b；c;d,e、f\u3000g") == list("abcdefg")
    assert split_keywords(" ，a，，b， ") == ["a", "b"]
    assert split_keywords("") == [] and split_keywords(None) == [] and split_keywords(" ， ") == []


def test_effective_and_repeal_values() -> None:
    assert normalize_date_or_text("2020年06月16日") == "2020-06-16"
    assert normalize_date_or_text("五年") == "五年"
    assert normalize_date_or_text(" 长期 有效 ") == "长期 有效"
    assert normalize_date_or_text("2021年13月05日") is None  # a date, but not a real one
    assert normalize_date_or_text("") is None
    assert normalize_date_or_text("  ") is None
    assert normalize_date_or_text(None) is None


def test_labels_normalize_whatever_the_spacing() -> None:
    assert normalize_label("索 引 号：") == "索引号"
    assert normalize_label("文\u3000\u3000号：") == "文号"
    assert normalize_label("有\u00a0效\u00a0性:") == "有效性"
    assert normalize_label("名\u200b称 ：") == "名称"
    assert field_for_label("发文机关:") == "issuer"
    assert field_for_label("生成日期") == "written_date"
    assert field_for_label("来源：") is None
    assert field_for_label("索引号" * 20) is None


def test_synonym_table_covers_the_brief() -> None:
    expected = {
        "index_number": {"索引号"},
        "category": {"信息分类", "组配分类"},
        "topic": {"主题分类"},
        "genre": {"体裁分类"},
        "issuer": {"发布机构", "发文机关", "发文机构"},
        "written_date": {"成文日期", "生成日期", "发文日期"},
        "publish_date": {"发布日期"},
        "doc_number": {"文号", "发文字号"},
        "validity": {"有效性", "时效性"},
        "effective_date": {"生效时间", "生效日期", "施行日期"},
        "repeal_date": {"废止时间", "废止日期"},
        "keywords": {"关键词"},
        "name": {"名称", "信息名称", "标题"},
        "summary": {"内容概述"},
        "level": {"效力级别"},
    }
    assert {k: set(v) for k, v in SYNONYMS.items()} == expected
    assert len(LABEL_FIELDS) == sum(len(v) for v in expected.values())  # no label names two fields


def test_leading_labels_prefer_the_longest() -> None:
    assert split_leading_label("发文字号合震〔2020〕24号") == ("doc_number", "发文字号", "合震〔2020〕24号")
    assert split_leading_label("文号：合震〔2020〕24号") == ("doc_number", "文号", "合震〔2020〕24号")
    assert split_leading_label("局机关各处室") is None


def test_pinyin_goes_real_parentheses_stay() -> None:
    assert strip_pinyin("發(fā)文機關(guān)") == "發文機關"
    assert strip_pinyin("現(xiàn)行（xiàn）") == "現行"
    assert strip_pinyin("zhōng guó(zhōng guó)") == "zhōng guó"
    assert strip_pinyin("(一)重點(二)") == "(一)重點(二)"
    assert strip_pinyin("(以下簡稱《條例》)(PDF)(a)") == "(以下簡稱《條例》)(PDF)(a)"
    assert strip_pinyin("(國辦公開辦函〔2019〕60號)") == "(國辦公開辦函〔2019〕60號)"


def test_traditional_to_simplified() -> None:
    assert to_simplified("發文機關合肥市地震局") == "发文机关合肥市地震局"
    assert to_simplified("合肥市地震局") == "合肥市地震局"
    assert clean_converted_text("效力級(jí)別地方規(guī)範性文件") == "效力级别地方规范性文件"


def test_normalize_fields_leaves_out_what_is_not_shown() -> None:
    assert normalize_fields({}) == {}
    got = normalize_fields({"written_date": "2020/6/16", "level": " 地方规范性文件 ", "unknown": "x"})
    assert got == {"written_date": "2020-06-16", "level": "地方规范性文件"}
