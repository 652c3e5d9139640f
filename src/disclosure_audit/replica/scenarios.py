"""The replica's scenario items: the seed document, every injected defect and the passing edge cases.

Each scenario names the rules it means to break (`intent`); a test holds the truth evaluator to
those intents, so a scenario that breaks more (or less) than it says is caught. Working-day lags
above 20 calendar days are stated here from the State Council's official holiday schedules and
cross-checked in the tests against two calendar libraries.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from importlib import resources

from disclosure_audit.replica.corpus import ORGS_BY_ID, Spec, attachment_path
from disclosure_audit.replica.model import Attachment, at, day_date

G, E, K, F, J = 1741, 6771, 6705, 6713, 6729  # 市政府, 地震局, 科技局, 财政局, 教育局

SEED_CID = 9100024
SEED_INTERPRETATION_CID = 9100025
DANGLING_INTERPRETATION = 9199999
DANGLING_ORIGINAL = 9199998


def _seed_body() -> list[str]:
    text = resources.files("disclosure_audit.replica").joinpath("data/seed_body.txt").read_text("utf-8")
    return [line for line in text.splitlines() if line.strip()]


def build_specs(seed: int) -> list[Spec]:
    """Every scenario item, in content-id order. `seed` only varies attachment paths."""
    specs: list[Spec] = []

    def pdf(cid: int, title: str, n: int = 0, served: str = "pdf", **kw: bool) -> Attachment:
        return Attachment(attachment_path(seed, cid, n, "pdf"), f"{title}.pdf", served, **kw)

    def doc(
        cid: int,
        org: int,
        column: str,
        title: str,
        publish_at: datetime,
        written: date | None | object = ...,
        number: int | None = None,
        year: int | None = None,
        prefix: str | None = None,
        **kw,
    ) -> Spec:
        o = ORGS_BY_ID[org]
        if written is ...:  # not given: written two days before publication
            written = publish_at.date() - timedelta(days=2)
        assert written is None or isinstance(written, date)
        y = year or (written or publish_at.date()).year
        doc_number = kw.pop("doc_number", None)
        if doc_number is None and number is not None:
            doc_number = f"{prefix or o.doc_prefix}〔{y}〕{number}号"
        defaults: dict = {}
        if column in ("政策文件", "规范性文件"):
            defaults["validity"] = "有效"
        if column == "规范性文件":
            defaults["effective"] = written
            defaults["level"] = "规范性文件"
        defaults.update(kw)
        s = Spec(
            cid=cid,
            org=org,
            column=column,
            title=title,
            publish_at=publish_at,
            written=written,
            doc_number=doc_number,
            **defaults,
        )
        specs.append(s)
        return s

    def news(cid: int, org: int, column: str, title: str, publish_at: datetime, **kw) -> Spec:
        kw.setdefault("written", publish_at.date())
        s = Spec(cid=cid, org=org, column=column, title=title, publish_at=publish_at, **kw)
        specs.append(s)
        return s

    def interpretation(document: Spec, cid: int, days: int = 1, **kw) -> Spec:
        """The interpretation (政策解读) of `document`, published `days` later, linked both ways."""
        inner = document.title
        if "《" in inner and "》" in inner:
            inner = inner[inner.index("《") + 1 : inner.index("》")]
        publish_at = document.publish_at + timedelta(days=days, hours=1)
        s = Spec(
            cid=cid,
            org=document.org,
            column="政策解读",
            title=f"《{inner}》政策解读",
            publish_at=publish_at,
            written=publish_at.date(),
            originals=[document.cid],
            scenario=kw.pop("scenario", f"interpretation of {document.cid}"),
            **kw,
        )
        if cid not in document.interpretations:
            document.interpretations.append(cid)
        specs.append(s)
        return s

    # ------------------------------------------------------------------ the seed document
    seed_doc = doc(
        SEED_CID,
        E,
        "规范性文件",
        "合肥市地震局关于落实政务公开“六提六促”专项行动整改方案",
        at(date(2020, 6, 18), 10, 0),
        written=date(2020, 6, 16),
        doc_number="合震〔2020〕24号",
        effective=date(2020, 6, 16),
        level="地方规范性文件",
        body=_seed_body(),
        keywords=("政务公开", "六提六促", "整改方案"),
        scenario="seed document 合震〔2020〕24号 with its true metadata",
    )
    interpretation(seed_doc, SEED_INTERPRETATION_CID, days=1)

    # ------------------------------------------------------------------ 文号 format
    doc(
        9100101,
        E,
        "政策文件",
        "合肥市地震局关于做好2021年防震减灾宣传工作的通知",
        at(date(2021, 4, 8), 9, 30),
        number=3,
        raw={"doc_number": "合震[2021]3号"},
        intent=frozenset({"format.doc_number"}),
        changes={1: {"raw": {"doc_number": "合震〔2021〕3号"}}},
        intent_from={1: frozenset()},
        scenario="文号 with [] (fixed on day 1)",
    )
    doc(
        9100102,
        E,
        "政策文件",
        "合肥市地震局关于加强地震监测设施保护工作的通知",
        at(date(2022, 5, 16), 10, 0),
        number=5,
        raw={"doc_number": "合震(2022)5号"},
        intent=frozenset({"format.doc_number"}),
        scenario="文号 with ()",
    )
    doc(
        9100103,
        K,
        "政策文件",
        "合肥市科学技术局关于开展2023年度科技成果转化项目申报的通知",
        at(date(2023, 3, 20), 15, 0),
        number=7,
        raw={"doc_number": "合科【2023】7号"},
        intent=frozenset({"format.doc_number"}),
        scenario="文号 with 【】",
    )
    doc(
        9100104,
        F,
        "政策文件",
        "合肥市财政局关于进一步加强财政资金监管工作的通知",
        at(date(2022, 9, 5), 9, 0),
        number=12,
        raw={"doc_number": "合财（2022）12号"},
        intent=frozenset({"format.doc_number"}),
        scenario="文号 with full-width （）",
    )
    doc(
        9100105,
        G,
        "政策文件",
        "合肥市人民政府办公室关于印发合肥市优化营商环境行动方案的通知",
        at(date(2021, 7, 2), 16, 0),
        doc_number="合政办秘〔2021〕112号",
        scenario="passing edge: 文号 with a four-character 机关代字",
    )
    d = doc(
        9100106,
        E,
        "规范性文件",
        "合肥市地震局关于印发《合肥市地震预警信息发布管理办法》的通知",
        at(date(2021, 11, 3), 10, 0),
        doc_number="合震规〔2021〕1号",
        scenario="passing edge: normative 文号 合震规〔2021〕1号",
    )
    interpretation(d, 9100107, days=2)

    # ------------------------------------------------------------------ completeness
    doc(
        9100201,
        E,
        "政策文件",
        "合肥市地震局关于开展2021年地震应急演练工作的通知",
        at(date(2021, 5, 6), 10, 0),
        number=9,
        raw={"doc_number": None},
        body=[
            "各县（市）区地震工作主管部门、局机关各处室：",
            "现将2021年地震应急演练工作有关事项通知如下。",
            "合肥市地震局",
            "2021年5月4日",
            "（合震〔2021〕9号）",
        ],
        intent=frozenset({"completeness.policy_fields"}),
        changes={1: {"raw": {"doc_number": "合震〔2021〕9号"}}},
        intent_from={1: frozenset()},
        scenario="文号 missing though the body shows it (filled in on day 1)",
    )
    d = doc(
        9100202,
        E,
        "规范性文件",
        "合肥市地震局关于印发《合肥市地震安全性评价管理办法》的通知",
        at(date(2022, 2, 14), 10, 0),
        number=2,
        prefix="合震规",
        raw={"written_date": None},
        intent=frozenset({"completeness.policy_fields"}),
        scenario="成文日期 missing",
    )
    interpretation(d, 9100203)
    d = doc(
        9100204,
        K,
        "规范性文件",
        "合肥市科学技术局关于印发《合肥市科技企业孵化器认定管理办法》的通知",
        at(date(2022, 6, 9), 10, 0),
        number=3,
        prefix="合科规",
        raw={"validity": None},
        intent=frozenset({"completeness.policy_fields", "validity.register_complete"}),
        scenario="有效性 missing on a normative document",
    )
    interpretation(d, 9100205, days=2)
    news(
        9100206,
        E,
        "工作动态",
        "市地震局召开2022年防震减灾工作会议",
        at(date(2022, 3, 1), 11, 0),
        raw={"index_number": None},
        intent=frozenset({"completeness.item_fields"}),
        scenario="索引号 missing",
    )
    news(
        9100207,
        J,
        "通知公告",
        "关于2022年义务教育阶段学校招生入学工作的公告",
        at(date(2022, 5, 20), 9, 0),
        raw={"category": None},
        intent=frozenset({"completeness.item_fields"}),
        scenario="组配分类 missing",
    )
    news(
        9100208,
        G,
        "工作动态",
        "我市召开优化营商环境工作推进会",
        at(date(2023, 4, 11), 17, 0),
        raw={"issuer": None},
        intent=frozenset({"completeness.item_fields"}),
        scenario="发布机构 missing",
    )
    doc(
        9100209,
        E,
        "政策文件",
        "合肥市地震局关于做好2023年汛期地震地质灾害防范工作的通知",
        at(date(2023, 6, 2), 10, 0),
        number=8,
        issuer="市地震局",
        intent=frozenset({"completeness.issuer_full_name"}),
        scenario="发布机构 short name 市地震局",
    )
    news(
        9100210,
        F,
        "工作动态",
        "市财政局开展惠企资金兑付专项检查",
        at(date(2023, 8, 8), 10, 0),
        issuer="财政局",
        intent=frozenset({"completeness.issuer_full_name"}),
        scenario="发布机构 short name 财政局",
    )
    doc(
        9100211,
        E,
        "政策文件",
        "合肥市地震局合肥市应急管理局关于联合开展地震应急准备检查的通知",
        at(date(2023, 9, 12), 10, 0),
        number=11,
        issuer="合肥市地震局、合肥市应急管理局",
        scenario="passing edge: joint issuance with the full name",
    )
    doc(
        9100212,
        J,
        "政策文件",
        "合肥市教育局关于加强中小学校园安全管理工作的通知",
        at(date(2022, 9, 1), 9, 0),
        number=21,
        raw={"name": None},
        intent=frozenset({"completeness.item_fields"}),
        scenario="名称 missing",
    )

    # ------------------------------------------------------------------ dates, whitespace, titles
    doc(
        9100301,
        E,
        "政策文件",
        "合肥市地震局关于开展地震科普示范学校创建工作的通知",
        at(date(2021, 9, 10), 10, 0),
        number=13,
        written=None,
        year=2021,
        raw={"written_date": "2021年13月05日"},
        intent=frozenset({"format.date"}),
        scenario="成文日期 not a real date (month 13)",
    )
    doc(
        9100302,
        K,
        "政策文件",
        "合肥市科学技术局关于组织申报2022年度创新平台的通知",
        at(date(2022, 3, 2), 10, 0),
        number=4,
        written=None,
        year=2022,
        raw={"written_date": "2022/2/30"},
        intent=frozenset({"format.date"}),
        scenario="成文日期 not a real date (30 February)",
    )
    news(
        9100303,
        E,
        "工作动态",
        "市地震局召开2022年防震减灾 工作会议",
        at(date(2022, 12, 20), 10, 0),
        raw={"title": "市地震局召开2022年防震减灾  工作会议"},
        intent=frozenset({"format.whitespace"}),
        scenario="title with a double space",
    )
    doc(
        9100304,
        G,
        "政策文件",
        "合肥市人民政府关于进一步优化营商环境的若干意见",
        at(date(2022, 4, 6), 10, 0),
        number=19,
        raw={"title": "合肥市人民政府关于进一步优化营商环境的若干意见　"},
        intent=frozenset({"format.whitespace"}),
        scenario="title with a trailing full-width space",
    )
    doc(
        9100305,
        E,
        "政策文件",
        "合肥市地震局关于印发2022年度防震减灾工作要点的通知",
        at(date(2022, 3, 15), 10, 0),
        number=11,
        raw={"doc_number": "合震〔2022〕 11号"},
        intent=frozenset({"format.whitespace"}),
        scenario="文号 with a space inside",
    )
    doc(
        9100306,
        E,
        "政策文件",
        "合肥市地震局关于加强地震监测设施和观测环境保护工作的通知",
        at(date(2023, 2, 21), 10, 0),
        number=4,
        name="关于加强地震监测设施保护的通知",
        intent=frozenset({"format.title_match"}),
        scenario="名称 differs from the page title",
    )

    # ------------------------------------------------------------------ 索引号
    news(
        9100401,
        E,
        "工作动态",
        "市地震局开展地震台站安全检查",
        at(date(2021, 6, 12), 10, 0),
        index_number="003249538/2021-6-12",
        intent=frozenset({"format.index_number"}),
        removed_from=1,
        scenario="索引号 malformed (removed on day 1)",
    )
    news(
        9100402,
        J,
        "工作动态",
        "市教育局召开2021年校园安全工作会议",
        at(date(2021, 6, 15), 10, 0),
        index_number="0032495622021060012",
        intent=frozenset({"format.index_number"}),
        scenario="索引号 without separators",
    )
    news(
        9100403,
        F,
        "通知公告",
        "关于2021年政府采购意向公开的公告",
        at(date(2021, 12, 9), 10, 0),
        index_number="00324955X/202113-00004",
        intent=frozenset({"format.index_number"}),
        scenario="索引号 with month 13",
    )
    news(
        9100404,
        E,
        "工作动态",
        "市地震局举办地震应急救援业务培训班",
        at(date(2021, 3, 18), 10, 0),
        index_number="003249538/202103-00007",
        intent=frozenset({"format.index_number_unique"}),
        scenario="索引号 shared with 9100405",
    )
    news(
        9100405,
        E,
        "通知公告",
        "关于开展2021年防震减灾科普作品征集活动的通知",
        at(date(2021, 3, 19), 10, 0),
        index_number="003249538/202103-00007",
        intent=frozenset({"format.index_number_unique"}),
        scenario="索引号 shared with 9100404",
    )
    news(
        9100406,
        G,
        "工作动态",
        "我市数字政府建设取得新进展",
        at(date(2021, 4, 20), 10, 0),
        index_number="11340100MB1234567X/202104-00003",
        scenario="passing edge: 18-character credit code",
    )
    news(
        9100407,
        K,
        "通知公告",
        "关于2021年技术合同登记工作的通知",
        at(date(2021, 5, 25), 10, 0),
        index_number="003249546/2021-00015",
        scenario="passing edge: national form code/yyyy-nnnnn",
    )

    # ------------------------------------------------------------------ attachments
    t = "合肥市地震局关于做好2022年地震灾害风险普查工作的通知"
    doc(
        9100501,
        E,
        "政策文件",
        t,
        at(date(2022, 4, 20), 10, 0),
        number=6,
        attachments=[Attachment(attachment_path(seed, 9100501, 0, "doc"), f"{t}.doc", "doc")],
        intent=frozenset({"attachment.pdf"}),
        scenario="only a .doc attachment",
    )
    t = "合肥市地震局关于印发2022年地震应急预案的通知"
    doc(
        9100502,
        E,
        "政策文件",
        t,
        at(date(2022, 7, 8), 10, 0),
        number=9,
        attachments=[pdf(9100502, t, served="missing")],
        intent=frozenset({"attachment.pdf"}),
        changes={1: {"attachments": [pdf(9100502, t)]}},
        intent_from={1: frozenset()},
        scenario="PDF link answers 404 (repaired on day 1)",
    )
    t = "合肥市科学技术局关于印发科技项目资金管理办法的通知"
    doc(
        9100503,
        K,
        "政策文件",
        t,
        at(date(2022, 8, 15), 10, 0),
        number=9,
        attachments=[pdf(9100503, t, served="html")],
        intent=frozenset({"attachment.pdf"}),
        scenario="a .pdf link that answers with an HTML page",
    )
    t = "合肥市地震局关于加强抗震设防要求管理工作的通知"
    doc(
        9100504,
        E,
        "政策文件",
        t,
        at(date(2023, 4, 3), 10, 0),
        number=5,
        attachments=[pdf(9100504, t, via_viewer=True)],
        scenario="passing edge: PDF in an embedded viewer",
    )
    t = "合肥市人民政府关于印发合肥市安全生产专项整治方案的通知"
    doc(
        9100505,
        G,
        "政策文件",
        t,
        at(date(2023, 5, 9), 10, 0),
        number=22,
        attachments=[
            pdf(9100505, t, in_script=True),
            Attachment(attachment_path(seed, 9100505, 1, "wps"), f"{t}.wps", "wps"),
        ],
        scenario="passing edge: PDF given in a script variable, plus .wps",
    )
    t = "合肥市财政局关于下达2023年惠企资金的通知"
    doc(
        9100506,
        F,
        "政策文件",
        t,
        at(date(2023, 6, 19), 10, 0),
        number=15,
        attachments=[
            pdf(9100506, t),
            Attachment(attachment_path(seed, 9100506, 1, "xls"), "资金分配表.xls", "xls"),
        ],
        scenario="passing edge: PDF plus a spreadsheet",
    )

    # ------------------------------------------------------------------ interpretations
    doc(
        9100601,
        E,
        "规范性文件",
        "合肥市地震局关于印发《合肥市地震应急避难场所管理办法》的通知",
        at(date(2022, 10, 10), 10, 0),
        number=3,
        prefix="合震规",
        intent=frozenset({"linkage.interpretation"}),
        changes={1: {"interpretations": [9100602]}},
        intent_from={1: frozenset()},
        scenario="normative document without interpretation (one is published and linked on day 1)",
    )
    specs.append(
        Spec(
            cid=9100602,
            org=E,
            column="政策解读",
            title="《合肥市地震应急避难场所管理办法》政策解读",
            publish_at=at(day_date(1), 10, 0),
            written=day_date(1),
            originals=[9100601],
            appears=1,
            intent=frozenset({"timing.interpretation_lag"}),
            scenario="day 1: a late interpretation, linked to 9100601",
        )
    )
    doc(
        9100603,
        E,
        "规范性文件",
        "合肥市地震局关于印发《合肥市防震减灾知识普及办法》的通知",
        at(date(2023, 1, 9), 10, 0),
        number=1,
        prefix="合震规",
        interpretations=[DANGLING_INTERPRETATION],
        intent=frozenset({"linkage.interpretation"}),
        scenario="interpretation link answers 404",
    )
    news(
        9100604,
        E,
        "政策解读",
        "《合肥市防震减灾条例》解读",
        at(date(2023, 3, 1), 10, 0),
        intent=frozenset({"linkage.backlink"}),
        scenario="interpretation without a link to its document",
    )
    news(
        9100605,
        K,
        "政策解读",
        "《合肥市技术转移机构奖补办法》政策解读",
        at(date(2023, 7, 4), 10, 0),
        originals=[DANGLING_ORIGINAL],
        intent=frozenset({"linkage.backlink"}),
        scenario="interpretation whose document link answers 404",
    )
    d = doc(
        9100606,
        G,
        "规范性文件",
        "合肥市人民政府关于印发《合肥市城市更新实施办法》的通知",
        at(date(2023, 8, 1), 10, 0),
        number=8,
        prefix="合政规",
        interpretations=[9100607],
        scenario="passing edge: interpreted by a news article",
    )
    news(
        9100607,
        G,
        "工作动态",
        "图解：一图读懂《合肥市城市更新实施办法》",
        at(date(2023, 8, 2), 10, 0),
        originals=[d.cid],
        scenario="news article interpreting 9100606",
    )

    # ------------------------------------------------------------------ timing
    doc(
        9100701,
        E,
        "政策文件",
        "合肥市地震局关于做好国庆期间地震值班工作的通知",
        at(date(2024, 10, 23), 10, 0),
        written=date(2024, 9, 20),
        number=31,
        workday_lag=20,
        scenario="passing edge: 20 working days across 国庆 2024 (33 calendar days, make-up 9-29 and 10-12)",
    )
    doc(
        9100702,
        E,
        "政策文件",
        "合肥市地震局关于开展秋季地震安全隐患排查的通知",
        at(date(2024, 10, 24), 10, 0),
        written=date(2024, 9, 20),
        number=32,
        workday_lag=21,
        intent=frozenset({"timing.publish_lag"}),
        scenario="21 working days across 国庆 2024",
    )
    doc(
        9100703,
        K,
        "政策文件",
        "合肥市科学技术局关于做好春节后复工复产科技服务的通知",
        at(date(2025, 2, 18), 10, 0),
        written=date(2025, 1, 15),
        number=2,
        workday_lag=20,
        scenario="passing edge: 20 working days across 春节 2025 (make-up 1-26 and 2-8)",
    )
    doc(
        9100704,
        K,
        "政策文件",
        "合肥市科学技术局关于开展2025年科技型中小企业评价的通知",
        at(date(2025, 2, 19), 10, 0),
        written=date(2025, 1, 15),
        number=3,
        workday_lag=21,
        intent=frozenset({"timing.publish_lag"}),
        scenario="21 working days across 春节 2025",
    )
    d = doc(
        9100705,
        E,
        "规范性文件",
        "合肥市地震局关于印发《合肥市地震监测台网运行管理办法》的通知",
        at(date(2020, 10, 22), 10, 0),
        written=date(2020, 9, 18),
        number=5,
        prefix="合震规",
        workday_lag=20,
        scenario="passing edge: 20 working days across 国庆 2020",
    )
    interpretation(d, 9100706)
    doc(
        9100707,
        F,
        "政策文件",
        "合肥市财政局关于做好2020年预算执行工作的通知",
        at(date(2020, 10, 23), 10, 0),
        written=date(2020, 9, 18),
        number=18,
        workday_lag=21,
        intent=frozenset({"timing.publish_lag"}),
        scenario="21 working days across 国庆 2020",
    )
    d = doc(
        9100708,
        E,
        "政策文件",
        "合肥市地震局关于印发《合肥市地震科普基地管理办法》的通知",
        at(date(2023, 5, 10), 10, 0),
        number=12,
        scenario="document interpreted 3 days later",
    )
    interpretation(d, 9100709, days=3, scenario="passing edge: interpretation 3 days after its document")
    d = doc(
        9100710,
        E,
        "政策文件",
        "合肥市地震局关于印发《合肥市地震应急物资储备管理办法》的通知",
        at(date(2023, 6, 1), 10, 0),
        number=14,
        scenario="document interpreted 4 days later",
    )
    interpretation(
        d,
        9100711,
        days=4,
        intent=frozenset({"timing.interpretation_lag"}),
        scenario="interpretation 4 days after its document",
    )
    doc(
        9100712,
        J,
        "政策文件",
        "合肥市教育局关于做好2022年春季学期开学工作的通知",
        at(date(2022, 3, 1), 10, 0),
        written=date(2022, 3, 4),
        number=5,
        intent=frozenset({"timing.date_order"}),
        scenario="发布日期 before 成文日期",
    )
    doc(
        9100713,
        J,
        "政策文件",
        "合肥市教育局关于做好2022年中小学生资助工作的通知",
        at(date(2022, 3, 8), 10, 0),
        written=date(2022, 3, 8),
        number=6,
        scenario="passing edge: published on the day it was written",
    )
    d = doc(
        9100714,
        E,
        "规范性文件",
        "合肥市地震局关于印发《合肥市地震安全示范社区创建办法》的通知",
        at(date(2021, 5, 12), 10, 0),
        written=date(2021, 5, 10),
        number=2,
        prefix="合震规",
        effective=date(2021, 5, 1),
        intent=frozenset({"timing.date_order"}),
        scenario="施行日期 before 成文日期",
    )
    interpretation(d, 9100715)
    doc(
        9100716,
        E,
        "政策文件",
        "合肥市地震局关于做好2027年春节期间地震应急值守工作的通知",
        at(date(2027, 3, 1), 10, 0),
        written=date(2026, 11, 10),
        number=41,
        intent=frozenset({"timing.future_date"}),
        scenario="发布日期 in the future (and a year without a holiday schedule: not evaluable)",
    )
    news(
        9100717,
        E,
        "工作动态",
        "市地震局开展冬季地震应急准备检查",
        at(day_date(0), 9, 0),
        scenario="passing edge: published on the day of the crawl",
    )

    # ------------------------------------------------------------------ validity
    old = doc(
        9100801,
        E,
        "规范性文件",
        "合肥市地震局关于印发《合肥市地震监测设施和观测环境保护办法》的通知",
        at(date(2019, 3, 12), 10, 0),
        number=7,
        intent=frozenset({"validity.repealed_still_valid"}),
        changes={1: {"validity": "废止", "repeal": date(2022, 8, 1)}},
        intent_from={1: frozenset()},
        scenario="repealed by 9100802 but still marked 有效 (corrected on day 1)",
    )
    interpretation(old, 9100803)
    new = doc(
        9100802,
        E,
        "规范性文件",
        "合肥市地震局关于印发《合肥市地震监测设施和观测环境保护管理办法》的通知",
        at(date(2022, 8, 1), 10, 0),
        number=15,
        repeals=(9100801,),
        body=[
            "第一条 为了加强地震监测设施和地震观测环境保护，根据有关法律法规，结合本市实际，制定本办法。",
            "第二条 本市行政区域内地震监测设施和地震观测环境的保护，适用本办法。",
            "第二十条 本办法自2022年8月1日起施行，《合肥市地震监测设施和观测环境保护办法》"
            "（合震〔2019〕7号）同时废止。",
        ],
        scenario="repeals 9100801 by 文号",
    )
    interpretation(new, 9100804)
    old = doc(
        9100805,
        K,
        "规范性文件",
        "合肥市科学技术局关于印发《合肥市科技创新券管理办法》的通知",
        at(date(2020, 4, 8), 10, 0),
        number=2,
        validity="废止",
        repeal=date(2023, 1, 1),
        scenario="passing edge: repealed and correctly marked 废止",
    )
    interpretation(old, 9100807)
    new = doc(
        9100806,
        K,
        "规范性文件",
        "合肥市科学技术局关于印发《合肥市科技创新券实施细则》的通知",
        at(date(2022, 12, 20), 10, 0),
        number=11,
        repeals=(9100805,),
        body=[
            "为进一步发挥科技创新券作用，制定本细则。",
            "本细则自2023年1月1日起施行，《合肥市科技创新券管理办法》自本细则施行之日起不再执行。",
        ],
        scenario="repeals 9100805 by title",
    )
    interpretation(new, 9100808, days=2)
    d = doc(
        9100809,
        E,
        "规范性文件",
        "合肥市地震局关于印发《合肥市地震宏观观测网管理办法》的通知",
        at(date(2019, 9, 9), 10, 0),
        number=9,
        validity="失效",
        intent=frozenset({"validity.register_complete"}),
        scenario="失效 without 废止日期",
    )
    interpretation(d, 9100810)
    d = doc(
        9100811,
        J,
        "规范性文件",
        "合肥市教育局关于印发《合肥市校外培训机构管理办法》的通知",
        at(date(2021, 10, 15), 10, 0),
        number=4,
        prefix="合教规",
        raw={"effective_date": None},
        intent=frozenset({"validity.register_complete"}),
        scenario="生效时间 missing",
    )
    interpretation(d, 9100812)
    d = doc(
        9100813,
        G,
        "规范性文件",
        "合肥市人民政府关于印发《合肥市公共停车场管理办法》的通知",
        at(date(2020, 12, 1), 10, 0),
        number=12,
        prefix="合政规",
        validity="修改",
        scenario="passing edge: marked 已修改",
    )
    interpretation(d, 9100814)

    # ------------------------------------------------------------------ freshness (newest item of a column)
    news(
        9100901,
        K,
        "工作动态",
        "市科技局召开创新平台建设推进会",
        at(day_date(-15), 10, 0),
        scenario="newest item of 科技局/工作动态: 15 days old on day 0 (stale)",
    )
    news(
        9100902,
        J,
        "工作动态",
        "市教育局部署冬季校园安全工作",
        at(day_date(-14), 10, 0),
        scenario="newest item of 教育局/工作动态: 14 days old on day 0 (fresh), stale from day 1",
    )
    news(
        9100903,
        F,
        "规划计划",
        "合肥市财政局2026年财政管理工作要点",
        at(day_date(-184), 10, 0),
        scenario="newest item of 财政局/规划计划: 184 days old (stale)",
    )
    news(
        9100904,
        G,
        "规划计划",
        "合肥市2026年数字政府建设工作要点",
        at(day_date(-183), 10, 0),
        scenario="newest item of 市政府/规划计划: 183 days old on day 0 (fresh), stale from day 1",
    )

    # ------------------------------------------------------------------ changes after publication
    doc(
        9101001,
        E,
        "政策文件",
        "合肥市地震局关于印发2023年地震应急工作要点的通知",
        at(date(2023, 3, 3), 10, 0),
        written=date(2023, 3, 1),
        number=6,
        changes={1: {"written": date(2023, 2, 27)}},
        intent_from={1: frozenset({"stability.key_fields_changed"})},
        scenario="成文日期 changed after publication on day 1",
    )
    news(
        9101002,
        E,
        "工作动态",
        "市地震局组织开展防震减灾宣传周活动",
        at(date(2024, 5, 13), 10, 0),
        body=["5月12日是全国防灾减灾日，市地震局组织开展防震减灾宣传周活动。"],
        changes={
            1: {
                "body": [
                    "5月12日是全国防灾减灾日，市地震局组织开展防震减灾宣传周系列活动，覆盖全市各县（市）区。"
                ]
            }
        },
        scenario="body silently edited on day 1 (list unchanged)",
    )
    news(
        9101003,
        E,
        "工作动态",
        "市地震局召开2024年地震趋势会商会",
        at(date(2024, 6, 28), 10, 0),
        changes={1: {"title": "市地震局召开2024年下半年地震趋势会商会"}},
        scenario="title corrected on day 1 (visible in the list)",
    )
    doc(
        9101004,
        E,
        "政策文件",
        "合肥市地震局关于做好2026年冬春季地震应急准备工作的通知",
        at(day_date(1), 10, 0),
        written=day_date(-1),
        number=43,
        raw={"doc_number": "合震【2026】43号"},
        appears=1,
        intent=frozenset({"format.doc_number"}),
        scenario="day 1: a new document with 文号 in 【】",
    )
    doc(
        9101005,
        F,
        "政策文件",
        "合肥市财政局关于做好2026年年终决算工作的通知",
        at(day_date(2), 10, 0),
        written=day_date(0),
        number=30,
        appears=2,
        scenario="day 2: a new clean document",
    )

    # ------------------------------------------------------------------ untrusted text and encodings
    news(
        9101101,
        F,
        "人事信息",
        "合肥市财政局关于刘䶮同志任职的通知",
        at(date(2024, 7, 1), 10, 0),
        scenario="a character outside GBK (needs GB18030) in a GB18030 organisation's title",
    )
    news(
        9101102,
        J,
        "通知公告",
        "关于“<b>加强</b>”校园安全&食品卫生管理的通知 <script>alert(1)</script>",
        at(date(2024, 9, 2), 10, 0),
        scenario="markup and & in a title (must be escaped wherever shown)",
    )

    # ---- list-style and partial repeals
    # A numbered list after 决定废止下列文件： names each document on a line of its own, one by 文号 (its
    # title quoted with 〈〉 inside 《》), one by title alone; both stay 有效, so both are defects.
    listed = doc(
        9100851,
        E,
        "规范性文件",
        "合肥市地震局关于印发《合肥市地震台站观测数据共享管理办法》的通知",
        at(date(2016, 5, 10), 10, 0),
        number=5,
        intent=frozenset({"validity.repealed_still_valid"}),
        scenario="item 1 (by 文号) of the numbered list of documents 9100855 repeals, still marked 有效",
    )
    interpretation(listed, 9100852)
    doc(
        9100853,
        E,
        "政策文件",
        "合肥市地震局关于加强地震宏观异常信息报送工作的通知",
        at(date(2017, 6, 20), 10, 0),
        number=12,
        intent=frozenset({"validity.repealed_still_valid"}),
        scenario="item 2 (by title alone) of the numbered list of documents 9100855 repeals, still marked 有效",
    )
    repealing = doc(
        9100855,
        E,
        "规范性文件",
        "合肥市地震局关于废止部分规范性文件和政策文件的决定",
        at(date(2023, 11, 20), 10, 0),
        number=3,
        repeals=(9100851, 9100853),
        body=[
            "为维护法制统一，根据规范性文件清理工作安排，市地震局对本局制发的规范性文件和政策文件进行了全面清理。",
            "经研究，决定废止下列文件：",
            "1.《合肥市地震局关于印发〈合肥市地震台站观测数据共享管理办法〉的通知》（合震〔2016〕5号）",
            "2.《合肥市地震局关于加强地震宏观异常信息报送工作的通知》",
            "本决定自印发之日起施行。",
        ],
        scenario="repeals 9100851 and 9100853 in a numbered list after 决定废止下列文件：",
    )
    interpretation(repealing, 9100856)
    # Only 第五条 of 9100857 is repealed: the rest stays in force, so 有效 is right (passing edge).
    part_of = doc(
        9100857,
        F,
        "规范性文件",
        "合肥市财政局关于印发《合肥市市级财政专项资金管理办法》的通知",
        at(date(2019, 5, 20), 10, 0),
        number=6,
        scenario="passing edge: only 第五条 repealed (by 9100859), rightly still marked 有效",
    )
    interpretation(part_of, 9100858)
    repealing = doc(
        9100859,
        F,
        "规范性文件",
        "合肥市财政局关于印发《合肥市市级财政专项资金绩效管理办法》的通知",
        at(date(2024, 3, 18), 10, 0),
        number=9,
        partial_repeals=(9100857,),
        body=[
            "第一条 为加强市级财政专项资金绩效管理，提高资金使用效益，结合本市实际，制定本办法。",
            "第二十二条 本办法自2024年4月1日起施行。《合肥市市级财政专项资金管理办法》（合财〔2019〕6号）第五条同时废止，"
            "该办法其他条款继续执行。",
        ],
        scenario="repeals only 第五条 of 9100857 (a partial repeal, not a whole one)",
    )
    interpretation(repealing, 9100860)

    # ---- an item moved between columns, and an interpretation on another site
    news(
        9101011,
        E,
        "工作动态",
        "市地震局开展应急避难场所专项检查",
        at(date(2025, 9, 16), 10, 0),
        changes={1: {"column": "通知公告"}},
        scenario="moved from 工作动态 to 通知公告 on day 1: a move, not a removal and a new item",
    )
    doc(
        9101012,
        E,
        "规范性文件",
        "合肥市地震局关于印发《合肥市建设工程抗震设防要求管理办法》的通知",
        at(date(2025, 4, 10), 10, 0),
        number=31,
        external_interpretations=("https://www.gov.cn/zhengce/2025-04/12/content_7018001.htm",),
        scenario="its only interpretation is on another site: recorded, never fetched, linkage not evaluable",
    )

    specs.sort(key=lambda s: s.cid)
    seen: set[int] = set()
    for s in specs:
        if s.cid in seen:
            raise AssertionError(f"scenario content id {s.cid} used twice")
        seen.add(s.cid)
    return [replace(s) for s in specs]
