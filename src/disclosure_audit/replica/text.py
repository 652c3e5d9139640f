"""Deterministic Chinese titles and bodies for the replica's generated items."""

from __future__ import annotations

import hashlib
import random

DISTRICTS = (
    "瑶海区",
    "庐阳区",
    "蜀山区",
    "包河区",
    "长丰县",
    "肥东县",
    "肥西县",
    "庐江县",
    "巢湖市",
    "高新区",
    "经开区",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文建国志红海波宁俊峰辉鹏飞云"

TOPICS: dict[str, tuple[str, ...]] = {
    "earthquake": (
        "防震减灾",
        "地震监测",
        "震害防御",
        "地震应急救援",
        "地震科普宣传",
        "抗震设防",
        "地震台站建设",
        "地震预警",
    ),
    "science": (
        "科技创新",
        "高新技术企业培育",
        "科技成果转化",
        "创新平台建设",
        "科技项目管理",
        "技术合同登记",
        "科技人才",
    ),
    "finance": (
        "预算管理",
        "政府采购",
        "国库集中支付",
        "财政资金监管",
        "国有资产管理",
        "政府债务管理",
        "惠企资金兑付",
    ),
    "education": ("义务教育", "学前教育", "招生入学", "校园安全", "教师队伍建设", "职业教育", "课后服务"),
    "government": (
        "营商环境",
        "城市更新",
        "民生保障",
        "乡村振兴",
        "生态环境保护",
        "安全生产",
        "数字政府建设",
    ),
}

POLICY_VERBS = ("做好", "加强", "进一步规范", "开展", "推进", "深化", "统筹做好")
POLICY_NOUNS = ("工作的通知", "管理工作的通知", "工作的实施意见", "专项行动的通知", "工作方案的通知")
NORMATIVE_DOCS = ("管理办法", "实施细则", "暂行办法", "管理规定", "实施办法", "若干措施")
NEWS_TEMPLATES = (
    "{short}召开{year}年{topic}工作会议",
    "{short}开展{topic}专项检查",
    "我市{topic}工作取得新进展",
    "{short}赴{district}调研{topic}工作",
    "{short}举办{topic}业务培训班",
    "{district}{topic}工作现场推进会召开",
    "{short}部署{topic}重点任务",
)
NOTICE_TEMPLATES = (
    "关于{year}年{topic}项目的公示",
    "关于开展{year}年度{topic}申报工作的通知",
    "关于{topic}有关事项的公告",
    "{org}关于征求《{topic}工作方案（征求意见稿）》意见的公告",
)
PERSONNEL_TEMPLATES = (
    "{org}关于{person}等同志任职的通知",
    "{org}{year}年公开招聘工作人员拟聘用人员公示",
    "{org}关于{person}同志试用期满考核情况的公示",
)
FINANCE_TEMPLATES = (
    "{org}{year}年部门预算公开",
    "{org}{year}年部门决算公开",
    "{org}{year}年“三公”经费预算情况说明",
    "{org}{year}年政府采购意向公开",
)
PLAN_TEMPLATES = ("{org}{year}年{topic}工作要点", "{org}“十四五”{topic}规划", "{org}{year}年{topic}工作计划")

BODY_SENTENCES = (
    "为深入贯彻落实党中央、国务院和省委、省政府关于{topic}工作的决策部署，结合我市实际，制定本{kind}。",
    "各有关单位要提高思想认识，切实加强组织领导，明确责任分工，确保{topic}各项任务落到实处。",
    "坚持以人民为中心的发展思想，统筹发展和安全，着力提升{topic}工作的科学化、规范化、精细化水平。",
    "到{year}年底，基本建成覆盖全市的{topic}工作体系，主要指标达到全省先进水平。",
    "加强部门协同和信息共享，建立健全{topic}工作联席会议制度，定期研究解决工作中的重大问题。",
    "各县（市）区、开发区要对照目标任务，细化工作措施，于每季度末将工作进展情况报送市{short}。",
    "强化督查考核，将{topic}工作纳入年度目标管理绩效考核，对工作推进不力的单位予以通报。",
    "加大宣传力度，充分利用政府网站、政务新媒体等渠道，营造全社会关心支持{topic}工作的良好氛围。",
    "会议指出，今年以来全市{topic}工作稳步推进，取得了阶段性成效，但仍存在短板和不足。",
    "会议要求，要坚持问题导向，聚焦重点领域和关键环节，扎实推进{topic}各项工作。",
)


def rng_for(seed: int, *parts: object) -> random.Random:
    """A Random seeded from the corpus seed and a path of names, stable across runs and machines."""
    h = hashlib.sha256(repr((seed, *parts)).encode("utf-8")).digest()
    return random.Random(int.from_bytes(h[:8], "big"))


def stable_int(seed: int, *parts: object) -> int:
    h = hashlib.sha256(repr((seed, *parts)).encode("utf-8")).digest()
    return int.from_bytes(h[:8], "big")


def person(r: random.Random) -> str:
    return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2))))


def title_for(kind: str, r: random.Random, org_name: str, short: str, domain: str, year: int) -> str:
    """A realistic title for an item of this column kind."""
    topic = r.choice(TOPICS[domain])
    fill = {
        "org": org_name,
        "short": short,
        "topic": topic,
        "year": year,
        "district": r.choice(DISTRICTS),
        "person": person(r),
    }
    if kind == "policy":
        return f"{org_name}关于{r.choice(POLICY_VERBS)}{topic}{r.choice(POLICY_NOUNS)}"
    if kind == "normative":
        return f"{org_name}关于印发《合肥市{topic}{r.choice(NORMATIVE_DOCS)}》的通知"
    if kind == "news":
        return r.choice(NEWS_TEMPLATES).format(**fill)
    if kind == "notice":
        return r.choice(NOTICE_TEMPLATES).format(**fill)
    if kind == "personnel":
        return r.choice(PERSONNEL_TEMPLATES).format(**fill)
    if kind == "finance":
        return r.choice(FINANCE_TEMPLATES).format(**fill)
    if kind == "plan":
        return r.choice(PLAN_TEMPLATES).format(**fill)
    raise ValueError(f"no title template for column kind {kind!r}")


def interpretation_title(document_title: str) -> str:
    """The title of the interpretation (政策解读) of a document."""
    inner = document_title
    if "《" in inner and "》" in inner:
        inner = inner[inner.index("《") + 1 : inner.index("》")]
    return f"《{inner}》政策解读"


def body_for(
    r: random.Random, short: str, domain: str, year: int, kind: str, paragraphs: int = 0
) -> list[str]:
    """Paragraphs of plausible body text."""
    topic = r.choice(TOPICS[domain])
    n = paragraphs or r.randint(3, 6)
    doc_kind = "方案" if kind in ("policy", "plan") else "办法" if kind == "normative" else "通知"
    out = []
    for _ in range(n):
        sentences = r.sample(BODY_SENTENCES, k=r.randint(2, 4))
        out.append("".join(s.format(topic=topic, kind=doc_kind, year=year, short=short) for s in sentences))
    return out


# ------------------------------------------------------------------------------------ numbers as written
# How the generator writes a 文号 and a 索引号 when it does not set out to break one (GB/T 9704 and the
# national 索引号 guideline). The truth judges a shown number by taking it apart here, by the replica's
# own reading, never by the pattern the checks use: what it reports is then evidence about them.


def doc_number_well_formed(shown: str) -> bool:
    """机关代字〔yyyy〕n号: letters (CJK or Latin) for the agency, the year in 〔〕, a serial without a
    leading zero. Whitespace is another rule's matter and is ignored here."""
    text = "".join(shown.split())
    agency, opened, rest = text.partition("〔")
    year, closed, tail = rest.partition("〕")
    serial = tail[:-1] if tail.endswith("号") else ""
    return bool(
        opened
        and closed
        and agency
        and all(ch.isalpha() for ch in agency)
        and len(year) == 4
        and year.isascii()
        and year.isdigit()
        and serial.isascii()
        and serial.isdigit()
        and not serial.startswith("0")
    )


def index_number_well_formed(shown: str) -> bool:
    """<9-character organisation code or 18-character credit code>/<yyyyMM or yyyy>-<5-digit serial>."""
    code, slash, rest = shown.strip().partition("/")
    period, dash, serial = rest.partition("-")
    code_ok = len(code) in (9, 18) and all(ch.isascii() and (ch.isdigit() or ch.isupper()) for ch in code)
    serial_ok = len(serial) == 5 and serial.isascii() and serial.isdigit()
    if not (slash and dash and code_ok and serial_ok and period.isascii() and period.isdigit()):
        return False
    return len(period) == 4 or (len(period) == 6 and 1 <= int(period[4:]) <= 12)
