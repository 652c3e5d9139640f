"""The replica's vocabulary: organisations, catalogue columns, label styles and the Item record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

# The simulated calendar: day 0 of the replica is this date; `--day D` moves it D days on.
DAY0 = date(2026, 11, 16)
CORPUS_START = date(2019, 1, 2)
SITE_ID = 6781
SITE_NAME = "中国·合肥"


def day_date(day: int) -> date:
    """The simulated calendar date of replica day `day`."""
    return DAY0 + timedelta(days=day)


def at(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class LabelStyle:
    """How one organisation's detail pages label and format metadata (labels vary across sites)."""

    key: str
    labels: dict[str, str]  # canonical field -> label text as printed (spaces, full-width colons ...)
    written_fmt: str  # strftime-like format for 成文日期
    publish_fmt: str  # for 发布日期 in the table
    validity_words: dict[str, str]  # canonical validity -> word shown
    value_class: str  # td class holding values (pmingcheng / pmingcheng1)
    mobile: str  # "table" (second copy of the table) or "plist" (<p><span class="xxgk_tt">)


# Field order in the metadata table, by canonical name.
FIELD_ORDER = (
    "index_number",
    "category",
    "topic",
    "issuer",
    "written_date",
    "publish_date",
    "doc_number",
    "validity",
    "effective_date",
    "repeal_date",
    "name",
    "keywords",
    "summary",
    "level",
)

STYLE_A = LabelStyle(
    key="A",
    labels={
        "index_number": "索 引 号：",
        "category": "信息分类：",
        "topic": "主题分类：",
        "issuer": "发布机构：",
        "written_date": "成文日期：",
        "publish_date": "发布日期：",
        "doc_number": "文　　号：",
        "validity": "有 效 性：",
        "effective_date": "生效时间：",
        "repeal_date": "废止时间：",
        "name": "名　　称：",
        "keywords": "关 键 词：",
        "summary": "内容概述：",
        "level": "效力级别：",
    },
    written_fmt="%Y-%m-%d",
    publish_fmt="%Y-%m-%d %H:%M",
    validity_words={"有效": "有效", "失效": "失效", "废止": "废止", "修改": "已修改", "部分失效": "部分失效"},
    value_class="pmingcheng",
    mobile="table",
)
STYLE_A2 = LabelStyle(
    key="A2",
    labels={
        "index_number": "索引号",
        "category": "组配分类",
        "topic": "主题分类",
        "issuer": "发文机构",
        "written_date": "生成日期",
        "publish_date": "发布日期",
        "doc_number": "发文字号",
        "validity": "有效性",
        "effective_date": "生效日期",
        "repeal_date": "废止日期",
        "name": "信息名称",
        "keywords": "关键词",
        "summary": "内容概述",
        "level": "效力级别",
    },
    written_fmt="%Y/%-m/%-d",
    publish_fmt="%Y/%-m/%-d",
    validity_words={"有效": "有效", "失效": "失效", "废止": "已废止", "修改": "修改", "部分失效": "部分失效"},
    value_class="pmingcheng1",
    mobile="table",
)
STYLE_B = LabelStyle(
    key="B",
    labels={
        "index_number": "索引号:",
        "category": "组配分类:",
        "topic": "主题分类:",
        "issuer": "发文机关:",
        "written_date": "成文日期:",
        "publish_date": "发布日期:",
        "doc_number": "发文字号:",
        "validity": "时效性:",
        "effective_date": "施行日期:",
        "repeal_date": "废止日期:",
        "name": "标题:",
        "keywords": "关键词:",
        "summary": "内容概述:",
        "level": "效力级别:",
    },
    written_fmt="%Y年%m月%d日",
    publish_fmt="%Y年%m月%d日",
    validity_words={
        "有效": "现行有效",
        "失效": "失效",
        "废止": "已废止",
        "修改": "已修改",
        "部分失效": "部分失效",
    },
    value_class="pmingcheng",
    mobile="plist",
)
STYLE_C = LabelStyle(
    key="C",
    labels={
        "index_number": "索　引　号：",
        "category": "信息分类：",
        "topic": "主题分类：",
        "issuer": "发布机构：",
        "written_date": "发文日期：",
        "publish_date": "发布日期：",
        "doc_number": "文　　号：",
        "validity": "有　效　性：",
        "effective_date": "生效日期：",
        "repeal_date": "废止日期：",
        "name": "名　　称：",
        "keywords": "关　键　词：",
        "summary": "内容概述：",
        "level": "效力级别：",
    },
    written_fmt="%Y.%m.%d",
    publish_fmt="%Y.%m.%d",
    validity_words={"有效": "有效", "失效": "失效", "废止": "废止", "修改": "已修改", "部分失效": "部分失效"},
    value_class="pmingcheng",
    mobile="plist",
)


def format_day(d: date | datetime, fmt: str) -> str:
    """strftime with `%-m`/`%-d` (no zero padding) made portable."""
    out = fmt.replace("%-m", str(d.month)).replace("%-d", str(d.day))
    return d.strftime(out)


@dataclass(frozen=True)
class Column:
    """A catalogue column (栏目, a node of the 组配分类 tree) of one organisation."""

    org_id: int
    cat_id: int
    name: str
    kind: str  # policy | normative | interpretation | news | notice | personnel | finance | plan | report
    freshness: str | None  # "news" (14 days) | "policy" (183 days) | None (not judged)
    type: int = 4  # 4 主动公开目录; 3 年报
    weight: float = 1.0  # share of the bulk corpus
    end_gap_days: int = 1  # the newest day-0 bulk item is this many days before day 0
    new_per_day: float = 0.0  # new bulk items per simulated day after day 0
    bulk: bool = True  # False: only scenario items live here (empty or freshness edge columns)
    paired_with: int | None = None  # interpretation columns: the normative column they explain
    pair_delta_days: int = 0


@dataclass(frozen=True)
class Org:
    """An organisation (机构) publishing on the platform."""

    organ_id: int
    name: str
    short_name: str
    code: str  # 9-character organisation code used in 索引号
    doc_prefix: str  # 机关代字 of its 文号
    domain: str  # topic key for generated text
    skin: int  # list fragment skin: 1 (ul.xxgk_nav_list) or 2 (div.xxgk_navli)
    style: LabelStyle
    encoding: str  # "utf-8" or "gb18030"
    page_base: int  # 0- or 1-based pageIndex of the fragment endpoint
    template: str  # the fragment endpoint's `file` parameter
    weight: float = 1.0
    columns: tuple[Column, ...] = ()

    def column(self, cat_id: int) -> Column | None:
        for c in self.columns:
            if c.cat_id == cat_id:
                return c
        return None

    def column_named(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


@dataclass(frozen=True)
class Attachment:
    """A file linked from a detail page; `served` says what the replica answers for it."""

    path: str
    label: str
    served: str  # "pdf" (a real PDF) | "doc" | "wps" | "xls" | "missing" (404) | "html" (200 text/html)
    via_viewer: bool = False  # shown in an embedded pdf viewer instead of a link
    in_script: bool = False  # given as `var pdf='...'` instead of a link


@dataclass
class Item:
    """One published item (信息): what its pages show, and what is true about it."""

    content_id: int
    org: Org
    column: Column
    title: str  # the page title (h1, ArticleTitle) exactly as shown
    publish_at: datetime  # the CMS publish time: list order, list date, meta PubDate
    fields: dict[str, str]  # canonical field -> value shown; a missing key = label not rendered
    body: list[str]
    attachments: list[Attachment] = field(default_factory=list)
    interpretation_ids: list[int] = field(default_factory=list)
    original_ids: list[int] = field(default_factory=list)
    external_interpretations: tuple[str, ...] = ()  # interpretation links to other sites
    truth: dict = field(default_factory=dict)  # normalized values, the keys of `replica truth`
    changed_at: datetime | None = None  # last change after publication (Last-Modified)
    scenario: str | None = None  # which defect scenario produced it (None for bulk items)
    intent: frozenset[str] = frozenset()  # rule ids the scenario means to break
    workday_lag: int | None = None  # declared working-day lag where it exceeds 20 calendar days
    repeals: tuple[int, ...] = ()  # content ids this item's body repeals
    report: dict | None = None  # annual report figures (年报 items)

    @property
    def repealed_marker(self) -> bool:
        return self.truth.get("validity") == "废止"

    @property
    def last_modified(self) -> datetime:
        return self.changed_at or self.publish_at
