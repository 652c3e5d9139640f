"""The rule catalogue (规则目录): every disclosure rule the project enforces, with its id, scope and source.

One module is the single place where rule ids, default parameters and citations live. The replica
uses it to label the defects it injects, the checks enforce it, Postgres mirrors it into `qa.rules`.
It holds data only: no rule logic, so both sides can import it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Level = Literal["item", "column", "run", "event", "report"]

REPORT_FORMAT_REF = "国办公开办函〔2021〕30号《中华人民共和国政府信息公开工作年度报告格式》（2019–2020年度适用国办公开办函〔2019〕60号试行格式）"
SEED_REF = "合肥市地震局《关于落实政务公开“六提六促”专项行动整改方案》（合震〔2020〕24号）"

# Which catalogue columns (栏目) a rule's scope names. Column kinds are the replica's and the
# crawler's shared vocabulary for what a column holds.
POLICY_KINDS = ("policy", "normative")  # 政策文件, 规范性文件
NORMATIVE_KINDS = ("normative",)  # 规范性文件 (the register of rules and normative documents)
INTERPRETATION_KINDS = ("interpretation",)  # 政策解读

# 有效性 vocabulary: every value a page may show, mapped to the canonical term.
VALIDITY_CANONICAL = MappingProxyType(
    {
        "有效": "有效",
        "现行有效": "有效",
        "失效": "失效",
        "已失效": "失效",
        "废止": "废止",
        "已废止": "废止",
        "修改": "修改",
        "已修改": "修改",
        "部分失效": "部分失效",
        "尚未生效": "尚未生效",
    }
)
VALID_STATES = frozenset({"有效", "修改", "部分失效"})  # still (at least partly) in force
ENDED_STATES = frozenset({"失效", "废止"})

# Official holiday schedules are published by the State Council each year (usually in November or
# December for the next year). A year outside the known range cannot be judged in working days.
FIRST_SCHEDULED_YEAR = 2004
LAST_SCHEDULED_YEAR = 2026


@dataclass(frozen=True)
class Rule:
    """One rule (规则): what is checked, where it applies, with which defaults, and why."""

    id: str
    area: str
    severity: Severity
    level: Level
    title_zh: str
    title_en: str
    description_zh: str
    scope: str
    source: str
    params: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def param(self, name: str) -> Any:
        return self.params[name]


def _rule(**kw: Any) -> Rule:
    kw["params"] = MappingProxyType(dict(kw.get("params", {})))
    return Rule(**kw)


RULES: tuple[Rule, ...] = (
    _rule(
        id="completeness.policy_fields",
        area="completeness",
        severity="error",
        level="item",
        title_zh="政策文件要素齐全",
        title_en="A policy document shows 文号, 成文日期, 发布日期 and 有效性",
        description_zh="政策文件、规范性文件须列明文号、成文日期、发布日期和有效性；任一项未显示（标签缺失或值为空）即不合格。",
        scope="items in columns of kind policy or normative (政策文件, 规范性文件)",
        source=f"{SEED_REF} 三（二）“列明文件的文号、成文日期、发布时间、有效性等信息”",
        params={"fields": ("doc_number", "written_date", "publish_date", "validity")},
    ),
    _rule(
        id="completeness.item_fields",
        area="completeness",
        severity="error",
        level="item",
        title_zh="目录信息要素完整",
        title_en="Every item shows 索引号, 名称, 发布机构, 发布日期 and 组配分类",
        description_zh="每条主动公开信息须显示索引号、名称、发布机构、发布日期和组配分类（信息分类）。",
        scope="every item",
        source=f"{SEED_REF} 三（二）“要素完整”；《政府信息公开目录系统实施指引》",
        params={"fields": ("index_number", "name", "issuer", "publish_date", "category")},
    ),
    _rule(
        id="completeness.issuer_full_name",
        area="completeness",
        severity="warning",
        level="item",
        title_zh="发布机构使用全称",
        title_en="发布机构 is the organisation's full name",
        description_zh="发布机构须为本机关全称（如“合肥市地震局”），不得使用简称（如“市地震局”“地震局”）；联合发文时以“、”分隔，须含本机关全称。",
        scope="items that show a 发布机构",
        source=f"{SEED_REF} 三（二）“要素完整”；《政府信息公开目录系统实施指引》",
    ),
    _rule(
        id="format.doc_number",
        area="format",
        severity="error",
        level="item",
        title_zh="文号格式规范",
        title_en="文号 is written 机关代字〔YYYY〕N号",
        description_zh="文号须写作“机关代字〔年份〕序号号”，年份用六角括号〔〕，不得用[]、()、（）、【】等；年份四位，序号为不带前导零的数字。",
        scope="items that show a 文号 (judged after removing whitespace, which has its own rule)",
        source=f"{SEED_REF} 三（二）“修正信息标题、内容、格式……格式统一”；《党政机关公文格式》GB/T 9704",
        params={"pattern": r"^[\u4e00-\u9fa5A-Za-z]+〔\d{4}〕[1-9]\d*号$"},
    ),
    _rule(
        id="format.date",
        area="format",
        severity="error",
        level="item",
        title_zh="日期可识别",
        title_en="成文日期 and 发布日期 are real, parseable dates",
        description_zh="成文日期、发布日期一经显示，须为可识别的真实日期（如 2020-06-16、2020年06月16日）。",
        scope="items that show a 成文日期 or 发布日期",
        source=f"{SEED_REF} 三（二）“格式统一”",
        params={"fields": ("written_date", "publish_date")},
    ),
    _rule(
        id="format.whitespace",
        area="format",
        severity="warning",
        level="item",
        title_zh="无多余空格",
        title_en="No stray whitespace in 名称, 标题, 文号 or 发布机构",
        description_zh="文号中不得含任何空白；标题、名称、发布机构不得有首尾空格、连续空格或全角空格。",
        scope="items; values of title, 名称, 文号 and 发布机构",
        source=f"{SEED_REF} 三（二）“格式统一”",
        params={"fields": ("title", "name", "doc_number", "issuer")},
    ),
    _rule(
        id="format.title_match",
        area="format",
        severity="warning",
        level="item",
        title_zh="名称与标题一致",
        title_en="The 名称 in the metadata equals the page title",
        description_zh="元数据中的名称须与正文标题一致（忽略空白差异）。",
        scope="items that show a 名称",
        source=f"{SEED_REF} 三（二）“修正信息标题、内容、格式”",
    ),
    _rule(
        id="format.index_number",
        area="format",
        severity="error",
        level="item",
        title_zh="索引号格式规范",
        title_en="索引号 is code/yyyyMM-nnnnn or code/yyyy-nnnnn",
        description_zh="索引号须为“机构代码/年月-五位流水号”或“机构代码/年份-五位流水号”，机构代码为9位组织机构代码或18位统一社会信用代码，月份有效。",
        scope="items that show a 索引号",
        source="平台惯例；《政府信息公开目录系统实施指引》",
        params={"pattern": r"^([0-9A-Z]{9}|[0-9A-Z]{18})/\d{4}(0[1-9]|1[0-2])?-\d{5}$"},
    ),
    _rule(
        id="format.index_number_unique",
        area="format",
        severity="error",
        level="item",
        title_zh="索引号唯一",
        title_en="索引号 is unique on the site",
        description_zh="同一站点内索引号不得重复；共用同一索引号的每条信息均不合格。",
        scope="items that show a 索引号",
        source="平台惯例",
    ),
    _rule(
        id="attachment.pdf",
        area="attachment",
        severity="error",
        level="item",
        title_zh="政策文件提供PDF附件",
        title_en="A policy document offers a downloadable PDF that resolves and is a PDF",
        description_zh="政策文件、规范性文件须提供可下载的PDF附件：链接可访问（HTTP 200），且内容确为PDF。",
        scope="items in columns of kind policy or normative",
        source=f"{SEED_REF} 三（二）“上传PDF附件提供文本下载功能”",
    ),
    _rule(
        id="linkage.interpretation",
        area="linkage",
        severity="error",
        level="item",
        title_zh="规范性文件关联解读",
        title_en="A normative document links an interpretation, and every such link resolves",
        description_zh="规范性文件须关联至少一篇政策解读，且所有解读链接均可访问。",
        scope="items in columns of kind normative (规范性文件)",
        source=f"{SEED_REF} 三（二）“关联文件解读”、三（三）“涉及公众权益的文件均进行解读”",
    ),
    _rule(
        id="linkage.backlink",
        area="linkage",
        severity="warning",
        level="item",
        title_zh="解读关联原文件",
        title_en="An interpretation links back to its original document, and the link resolves",
        description_zh="政策解读须关联其解读的原文件，且链接可访问。",
        scope="items in columns of kind interpretation (政策解读)",
        source="平台惯例（文件与解读双向关联）",
    ),
    _rule(
        id="timing.publish_lag",
        area="timing",
        severity="error",
        level="item",
        title_zh="发布时间与成文时间间隔不超过20个工作日",
        title_en="发布日期 − 成文日期 ≤ 20 working days",
        description_zh="自成文日期次日起至发布日期（含）的法定工作日数不超过20个；调休上班日计入，节假日不计入。发布日期早于成文日期的由“日期先后”规则判断。",
        scope="items with a parseable 成文日期 and 发布日期, 发布日期 ≥ 成文日期",
        source=f"{SEED_REF} 三（二）“文件发布时间与成文时间间隔不超过20个工作日”；《政府信息公开条例》第二十六条",
        params={"max_workdays": 20},
    ),
    _rule(
        id="timing.interpretation_lag",
        area="timing",
        severity="error",
        level="item",
        title_zh="解读发布时间与文件发布时间间隔不超过3天",
        title_en="interpretation 发布日期 − document 发布日期 ≤ 3 days",
        description_zh="政策解读的发布日期晚于所解读文件发布日期的天数不超过3天（默认按自然日，可设为工作日）。",
        scope="items in columns of kind interpretation whose original document resolves",
        source=f"{SEED_REF} 三（三）“政策解读发布时间与文件发布时间间隔不超过3天”",
        params={"max_days": 3, "unit": "calendar"},
    ),
    _rule(
        id="timing.date_order",
        area="timing",
        severity="error",
        level="item",
        title_zh="日期先后合理",
        title_en="发布日期 ≥ 成文日期, and 施行日期 (when a date) ≥ 成文日期",
        description_zh="发布日期不得早于成文日期；施行（生效）日期为日期时不得早于成文日期。",
        scope="items with a parseable 成文日期",
        source="常识校验；国家政务公开检查中日期造假为否决项",
    ),
    _rule(
        id="timing.future_date",
        area="timing",
        severity="error",
        level="item",
        title_zh="无未来日期",
        title_en="No 成文日期 or 发布日期 after the day of the crawl",
        description_zh="成文日期、发布日期不得晚于采集当日（北京时间）。",
        scope="items with a parseable 成文日期 or 发布日期",
        source="常识校验；国家政务公开检查中日期造假为否决项",
    ),
    _rule(
        id="timing.calendar_coverage",
        area="timing",
        severity="info",
        level="item",
        title_zh="无法评估：该年度节假日安排未知",
        title_en="Not evaluable: no official holiday schedule for a year involved",
        description_zh="涉及尚未公布节假日安排年份的工作日计算，报告为“无法评估”，不作推测。",
        scope="items that timing.publish_lag would judge",
        source="国务院办公厅每年公布的部分节假日安排",
        params={"first_year": FIRST_SCHEDULED_YEAR, "last_year": LAST_SCHEDULED_YEAR},
    ),
    _rule(
        id="validity.repealed_still_valid",
        area="validity",
        severity="error",
        level="item",
        title_zh="已被废止的文件仍标注有效",
        title_en="A document repealed or replaced by a later one is not still marked valid",
        description_zh="被后发文件明确废止或替代（“同时废止”“不再执行”“停止执行”等）的文件，有效性须相应调整，不得仍标注有效。",
        scope="items in columns of kind policy or normative",
        source=f"{SEED_REF} 三（二）“根据立、改、废等情况进行动态调整更新”",
    ),
    _rule(
        id="validity.register_complete",
        area="validity",
        severity="warning",
        level="item",
        title_zh="规范性文件底数清楚",
        title_en="Every normative document shows its status and dates",
        description_zh="每件规范性文件须显示有效性和生效（施行）时间；已失效或废止的还须显示废止时间。",
        scope="items in columns of kind normative",
        source=f"{SEED_REF} 三（二）“摸清规章、规范性文件底数”",
    ),
    _rule(
        id="freshness.column_empty",
        area="freshness",
        severity="error",
        level="column",
        title_zh="空白栏目",
        title_en="A catalogue column is not empty",
        description_zh="主动公开目录中的栏目不得没有任何信息。",
        scope="catalogue columns (type=4)",
        source="《政府网站与政务新媒体检查指标》（国办秘函〔2019〕19号）“空白栏目”",
    ),
    _rule(
        id="freshness.column_stale",
        area="freshness",
        severity="error",
        level="column",
        title_zh="栏目不更新",
        title_en="A column's newest item is recent enough",
        description_zh="动态、要闻类栏目最新信息距采集日不超过14天，政策类及其他栏目不超过183天（约6个月）。",
        scope="non-empty catalogue columns (type=4)",
        source="《政府网站与政务新媒体检查指标》（国办秘函〔2019〕19号）“栏目不更新”",
        params={"news_days": 14, "policy_days": 183},
    ),
    _rule(
        id="availability.site",
        area="availability",
        severity="info",
        level="run",
        title_zh="站点可访问",
        title_en="The site answers and can be read: failed, slow and unrecognised answers stay within their limits",
        description_zh="每次采集记录失败请求、慢请求（超过15秒）、无法识别的应答、反爬验证失败和无法读取的栏目；任一比例或数量超过限值即为问题（无法读取的栏目本次不评估其栏目规则）。",
        scope="the latest crawl run of each site",
        source="《政府网站与政务新媒体检查指标》（国办秘函〔2019〕19号）“站点无法访问”",
        params={
            "slow_seconds": 15,
            "max_failed_share": 0.05,
            "max_slow_share": 0.1,
            "max_unrecognised_share": 0.0,
            "max_challenge_failures": 0,
            "max_unreadable_columns": 0,
        },
    ),
    _rule(
        id="stability.key_fields_changed",
        area="stability",
        severity="warning",
        level="item",
        title_zh="发布后修改文号或日期",
        title_en="An item's 文号, 成文日期 or 发布日期 changed after publication",
        description_zh="已发布信息的文号、成文日期或发布日期（按规范化后的值比较）与首次发布时不同；同时显示前后两个版本。",
        scope="items seen in more than one version",
        source=f"{SEED_REF} 三（二）“动态调整更新”；“统得出、报得准、可核查”",
        params={"fields": ("doc_number", "written_date", "publish_date")},
    ),
    _rule(
        id="stability.content_changed",
        area="stability",
        severity="info",
        level="event",
        title_zh="发布后内容变更",
        title_en="A published item's metadata or body changed: recorded as a new version",
        description_zh="已发布信息的元数据或正文发生变化，记录为新版本，保留前后两个版本。",
        scope="items seen in more than one version",
        source=f"{SEED_REF} 三（二）“动态调整更新”；“可核查”",
    ),
    _rule(
        id="stability.removed",
        area="stability",
        severity="info",
        level="event",
        title_zh="信息被撤下",
        title_en="A published item disappeared from the site",
        description_zh="已发布的信息不再出现在目录中或详情页无法访问，记录撤下时间。",
        scope="items seen before",
        source=f"{SEED_REF} 三（二）“可核查”",
    ),
    # ---- the annual report's identities (勾稽关系), on every report published, computed or imported
    _rule(
        id="report.c1",
        area="report",
        severity="error",
        level="report",
        title_zh="申请情况表：新收＋上年结转＝办理总计＋结转下年度",
        title_en="Table 三, per column: new + carried over = handled + carried on (C1)",
        description_zh="政府信息公开申请情况表每一列：一、本年新收＋二、上年结转＝三、（七）总计＋四、结转下年度继续办理。",
        scope="annual reports (年报): published on the platform, computed from the crawl and imports",
        source=f"{REPORT_FORMAT_REF} 表三“本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和”；{SEED_REF} 三（四）",
    ),
    _rule(
        id="report.c2",
        area="report",
        severity="error",
        level="report",
        title_zh="申请情况表：办理总计等于各办理结果之和",
        title_en="Table 三, per column: （七）总计 = sum of the outcome rows (C2)",
        description_zh="每一列的三、（七）总计等于（一）至（六）各项办理结果之和。",
        scope="annual reports (年报): published on the platform, computed from the crawl and imports",
        source=f"{REPORT_FORMAT_REF} 表三的结构",
    ),
    _rule(
        id="report.c3",
        area="report",
        severity="error",
        level="report",
        title_zh="申请情况表：每行总计等于各类申请人之和",
        title_en="Table 三, per row: 总计 = sum of the six applicant columns (C3)",
        description_zh="每一行的总计等于自然人与五类法人或其他组织之和。",
        scope="annual reports (年报): published on the platform, computed from the crawl and imports",
        source=f"{REPORT_FORMAT_REF} 表三的结构",
    ),
    _rule(
        id="report.c4",
        area="report",
        severity="error",
        level="report",
        title_zh="复议诉讼表：维持＋纠正＋其他＋尚未审结＝总计",
        title_en="Table 四, per group: the four results sum to 总计 (C4)",
        description_zh="行政复议、未经复议直接起诉、复议后起诉三组各自的结果维持、结果纠正、其他结果、尚未审结之和等于总计。",
        scope="annual reports (年报): published on the platform, computed from the crawl and imports",
        source=f"{REPORT_FORMAT_REF} 表四的结构",
    ),
    _rule(
        id="report.c5",
        area="report",
        severity="error",
        level="report",
        title_zh="本年上年结转等于上年结转下年度",
        title_en="This year's carried over = last year's carried on (C5)",
        description_zh="本年度表三“二、上年结转政府信息公开申请数量”逐列等于上一年度“四、结转下年度继续办理”。",
        scope="annual reports of consecutive years of one organisation",
        source=f"{REPORT_FORMAT_REF}；跨年度勾稽",
    ),
    _rule(
        id="report.c6",
        area="report",
        severity="warning",
        level="report",
        title_zh="现行有效件数与上年及本年增减大致相符",
        title_en="In force ≈ last year's in force + issued − abolished (C6, warning)",
        description_zh="表二第二十条第（一）项现行有效件数宜等于上年现行有效件数加本年制发件数减本年废止件数；不符时提示核对。",
        scope="annual reports of consecutive years in the 2021 format",
        source=f"{REPORT_FORMAT_REF} 表二；跨年度核对（提示）",
    ),
    _rule(
        id="report.c7",
        area="report",
        severity="error",
        level="report",
        title_zh="总体情况中引用的数字与表格一致",
        title_en="Figures quoted in section 一 equal the table cells (C7)",
        description_zh="第一部分“总体情况”文字中的申请数、办结数、结转数、复议诉讼数与表三、表四相应单元格一致。",
        scope="annual reports published on the platform",
        source=f"{SEED_REF} 三（四）“统得出、报得准、可核查”",
    ),
    _rule(
        id="report.c8",
        area="report",
        severity="error",
        level="report",
        title_zh="表格数字为非负整数（收费为万元小数）",
        title_en="Cells are non-negative integers; fees a decimal in 万元 (C8)",
        description_zh="各表单元格应为非负整数（本年增/减除外），收费金额以万元为单位的非负小数。",
        scope="annual reports (年报): published on the platform, computed from the crawl and imports",
        source=f"{REPORT_FORMAT_REF}",
    ),
)

RULES_BY_ID: MappingProxyType = MappingProxyType({r.id: r for r in RULES})
RULE_IDS: tuple[str, ...] = tuple(r.id for r in RULES)


def get(rule_id: str) -> Rule:
    """The rule with this id; a clear error naming the known ids otherwise."""
    try:
        return RULES_BY_ID[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule id {rule_id!r}; known ids: {', '.join(RULE_IDS)}") from None
