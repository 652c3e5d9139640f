"""Repeal clauses in bodies, their targets on the replica, qa.repeals and the normative register."""

from __future__ import annotations

import psycopg2
import pytest

from disclosure_audit.checks.validity import (
    POLICY_COLUMN_NAMES,
    RepealClause,
    find_repeal_clauses,
    refresh_repeals,
    resolve_repeals,
)
from disclosure_audit.replica.corpus import ORGS, Corpus
from disclosure_audit.replica.truth import build_truth


def query(db: str, sql: str, args: tuple = ()) -> list[tuple]:
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def site_of(db: str) -> int:
    return query(db, "SELECT site_id FROM core.sites")[0][0]


# ------------------------------------------------------------------------------------ the clause finder
@pytest.mark.parametrize(
    ("text", "kind", "numbers", "titles"),
    [
        (
            "第二十条 本办法自2022年8月1日起施行，"
            "《合肥市地震监测设施和观测环境保护办法》（合震〔2019〕7号）同时废止。",
            "simultaneous",
            ["合震〔2019〕7号"],
            ["合肥市地震监测设施和观测环境保护办法"],
        ),
        (
            "本细则自2023年1月1日起施行，《合肥市科技创新券管理办法》自本细则施行之日起不再执行。",
            "from_date",
            [],
            ["合肥市科技创新券管理办法"],
        ),
        (
            "原《合肥市城市道路管理办法》（合政[2015] 12号）自本办法施行之日起失效。",
            "former",
            ["合政〔2015〕12号"],
            ["合肥市城市道路管理办法"],
        ),
        (
            "原市政府印发的《合肥市户外广告管理暂行办法》、《合肥市户外广告设置实施细则》，自本办法施行之日起停止执行。",
            "from_date",
            [],
            ["合肥市户外广告管理暂行办法", "合肥市户外广告设置实施细则"],
        ),
        ("《合肥市户外广告管理暂行办法》同时停止执行。", "simultaneous", [], ["合肥市户外广告管理暂行办法"]),
        (
            "经市政府同意，决定对《合肥市公共资源交易管理规定》（合政办〔2016〕8号）予以废止。",
            "repealed",
            ["合政办〔2016〕8号"],
            ["合肥市公共资源交易管理规定"],
        ),
        (
            "市政府决定废止《合肥市民用建筑节能管理办法》（合政〔2015〕3号）等5件规范性文件。",
            "repealed",
            ["合政〔2015〕3号"],
            ["合肥市民用建筑节能管理办法"],
        ),
        ("合政〔２０１８〕１２号文件自2020年1月1日起废止。", "from_date", ["合政〔2018〕12号"], []),
        (
            "《合肥市科技计划项目管理办法》（合科【2017】5号）不再执行。",
            "no_longer",
            ["合科〔2017〕5号"],
            ["合肥市科技计划项目管理办法"],
        ),
        (
            "《合肥市科技计划项目管理办法》（合科〔2017〕5号）停止执行；",
            "stopped",
            ["合科〔2017〕5号"],
            ["合肥市科技计划项目管理办法"],
        ),
    ],
)
def test_repeal_clauses_are_found_with_their_targets(text: str, kind: str, numbers: list, titles: list) -> None:
    assert find_repeal_clauses(text) == [RepealClause(kind, numbers, titles, text)]


@pytest.mark.parametrize(
    "text",
    [
        "废止日期：2023-01-01",
        "废止时间：五年后废止",
        "有效期：五年，五年后废止。",
        "有效性：已废止",
        "市司法局收到对《合肥市出租汽车管理办法》的废止申请，正在研究。",
        "请各单位于月底前报送《合肥市规范性文件清理目录》废止情况。",
        "根据《中华人民共和国行政复议法》，行政复议期间行政行为不停止执行。",
        "根据《中华人民共和国行政复议法》，结合实际，本办法自2023年1月1日起施行，原办法同时废止。",
        "本办法自印发之日起施行，有效期五年，期满后自行废止。",
        "本办法自2027年1月1日起废止。",  # the document's own end, no earlier document named
        "聚焦进一步贯彻落实《中华人民共和国政府信息公开条例》(以下简称《条例》)，先予以印发，请认真贯彻执行。",
        "（以下简称《办法》）同时废止。",  # an abbreviation is not a title
        "会议要求，要坚持问题导向，扎实推进防震减灾各项工作。",
        "",
    ],
)
def test_other_senses_of_repeal_words_are_no_clauses(text: str) -> None:
    assert find_repeal_clauses(text) == []


def test_a_body_gives_its_clauses_sentence_by_sentence() -> None:
    body = (
        "第一条 为了加强管理，根据《中华人民共和国防震减灾法》，制定本办法。\n"
        "废止日期：\n"
        "第二十条 本办法自2022年8月1日起施行。《合肥市地震监测设施和观测环境保护办法》（合震〔2019〕7号）同时废止；"
        "原《合肥市地震宏观观测网管理办法》同时失效。"
    )
    clauses = find_repeal_clauses(body)
    assert [(c.kind, c.doc_numbers, c.titles) for c in clauses] == [
        ("simultaneous", ["合震〔2019〕7号"], ["合肥市地震监测设施和观测环境保护办法"]),
        ("former", [], ["合肥市地震宏观观测网管理办法"]),
    ]
    assert clauses[1].sentence == "原《合肥市地震宏观观测网管理办法》同时失效。"


# ------------------------------------------------------------------------------------ lists
A = "合肥市地震局关于加强地震宏观异常信息报送工作的通知"
B = "合肥市地震应急预案管理办法"
C = "合肥市地震局关于印发〈合肥市地震台站观测数据共享管理办法〉的通知"


@pytest.mark.parametrize(
    ("body", "numbers", "titles"),
    [
        (  # 1. 2., an item a line, 文号 in brackets, the list ended by a sentence that is no item
            f"经研究，决定废止下列文件：\n1.《{A}》（合震〔2015〕3号）\n2.《{B}》（合震〔2016〕5号）\n本决定自印发之日起施行。",
            ["合震〔2015〕3号", "合震〔2016〕5号"],
            [A, B],
        ),
        (  # （一）（二）, items ended by ；, all on one line
            f"下列文件予以废止：（一）《{A}》（合震〔2015〕3号）；（二）《{B}》（合震〔2016〕5号）。",
            ["合震〔2015〕3号", "合震〔2016〕5号"],
            [A, B],
        ),
        (  # 1、2、, 文号 without brackets, after a space or a comma
            f"现决定废止以下规范性文件：\n1、《{A}》 合震〔2015〕3号；\n2、《{B}》，合震［2016］5号。\n特此通知。",
            ["合震〔2015〕3号", "合震〔2016〕5号"],
            [A, B],
        ),
        (  # the items on the announcing line itself, no separator between them
            f"市地震局决定废止下列文件：1.《{A}》（合震〔2015〕3号）2.《{B}》（合震〔2016〕5号）3.《{C}》",
            ["合震〔2015〕3号", "合震〔2016〕5号"],
            [A, B, C],
        ),
        (  # full-width numbering, a 文号 wrapped onto a line of its own
            f"以下2件规范性文件自2024年1月1日起废止：\n１．《{A}》\n（合震〔2015〕3号）\n２．《{B}》\n（合震〔2016〕5号）",
            ["合震〔2015〕3号", "合震〔2016〕5号"],
            [A, B],
        ),
        (  # titles only
            f"本办法施行后，下列文件同时废止：\n（1）《{A}》；\n（2）《{B}》；\n（3）《{C}》。",
            [],
            [A, B, C],
        ),
        (  # 文号 only, items marked 一、二、
            "现将废止的规范性文件目录公布如下：\n一、合震〔2015〕3号\n二、合震〔2016〕5号",
            ["合震〔2015〕3号", "合震〔2016〕5号"],
            [],
        ),
        (  # no numbers at all: a title a line
            f"决定废止如下文件：\n《{A}》\n《{B}》",
            [],
            [A, B],
        ),
    ],
)
def test_a_numbered_list_is_one_clause_naming_every_item(body: str, numbers: list, titles: list) -> None:
    clauses = find_repeal_clauses(body)
    assert [(c.kind, c.scope, c.part, c.doc_numbers, c.titles) for c in clauses] == [
        ("list", "whole", None, numbers, titles)
    ]
    # the clause quotes the body from the announcement to the last item, nothing after it
    assert body.startswith(clauses[0].sentence)
    assert clauses[0].sentence.rstrip("。；").endswith(("号", "号）", "》"))


def test_a_list_ends_at_the_first_sentence_that_is_no_item_of_its_style() -> None:
    body = (
        f"一、下列文件予以废止：\n（一）《{A}》；\n（二）《{B}》。\n"
        "二、本决定自印发之日起施行，《合肥市地震台站管理暂行办法》同时废止。\n"
        "三、《合肥市地震烈度速报管理办法》另行修订。"
    )
    clauses = find_repeal_clauses(body)
    assert [(c.kind, c.doc_numbers, c.titles) for c in clauses] == [
        ("list", [], [A, B]),
        ("simultaneous", [], ["合肥市地震台站管理暂行办法"]),
    ]
    assert clauses[0].sentence == f"一、下列文件予以废止：\n（一）《{A}》；\n（二）《{B}》。"


def test_an_item_of_a_list_can_repeal_a_part() -> None:
    clauses = find_repeal_clauses(f"决定废止下列文件：\n1.《{A}》；\n2.《{B}》（合震〔2016〕5号）第五条；\n3.《{C}》。")
    assert [(c.kind, c.scope, c.part, c.doc_numbers, c.titles) for c in clauses] == [
        ("list", "whole", None, [], [A, C]),
        ("list", "partial", "第五条", ["合震〔2016〕5号"], [B]),
    ]


# ------------------------------------------------------------------------------------ partial repeals
T = "合肥市城市道路管理办法"


@pytest.mark.parametrize(
    ("text", "kind", "numbers", "titles", "part"),
    [
        (f"《{T}》第五条废止。", "part", [], [T], "第五条"),
        (
            f"《{T}》（合政〔2015〕12号）第三条、第七条停止执行。",
            "stopped",
            ["合政〔2015〕12号"],
            [T],
            "第三条、第七条",
        ),
        (f"《{T}》中关于占道挖掘审批的规定不再执行。", "no_longer", [], [T], "中关于占道挖掘审批的规定"),
        (f"本办法自2024年1月1日起施行，《{T}》第十条第二款同时废止。", "simultaneous", [], [T], "第十条第二款"),
        (f"原《{T}》第五条至第八条自本办法施行之日起失效。", "former", [], [T], "第五条至第八条"),
        (f"决定对《{T}》的第十二条予以废止。", "repealed", [], [T], "第十二条"),
        (f"《{T}》的部分条款不再执行。", "no_longer", [], [T], "部分条款"),
        ("合政〔2018〕12号文件第三条自2020年1月1日起废止。", "from_date", ["合政〔2018〕12号"], [], "第三条"),
        (  # a title quoted inside the part is not a document repealed
            f"《{T}》中关于执行《合肥市户外广告管理暂行办法》的规定不再执行。",
            "no_longer",
            [],
            [T],
            "中关于执行《合肥市户外广告管理暂行办法》的规定",
        ),
    ],
)
def test_a_repeal_of_a_part_is_partial_with_the_part_as_written(
    text: str, kind: str, numbers: list, titles: list, part: str
) -> None:
    assert find_repeal_clauses(text) == [RepealClause(kind, numbers, titles, text, "partial", part)]


def test_one_sentence_can_repeal_one_document_whole_and_part_of_another() -> None:
    for text in (
        f"《{T}》第十条第二款废止，《合肥市户外广告管理暂行办法》同时废止。",
        f"决定废止《{T}》第十条第二款、《合肥市户外广告管理暂行办法》。",
    ):
        clauses = find_repeal_clauses(text)
        assert [(c.scope, c.part, c.titles) for c in clauses] == [
            ("whole", None, ["合肥市户外广告管理暂行办法"]),
            ("partial", "第十条第二款", [T]),
        ], text
        assert {c.sentence for c in clauses} == {text}


@pytest.mark.parametrize(
    "text",
    [
        "第十条第二款废止。",  # no document named
        "本办法第五条废止。",  # its own article
        "有下列情形之一的，予以废止：（一）违反《中华人民共和国行政许可法》规定的；（二）其他情形。",  # not documents
        f"请于月底前报送下列文件的废止情况：\n1.《{T}》\n2.《合肥市户外广告管理暂行办法》",
        f"下列文件继续有效：\n1.《{T}》\n2.《合肥市户外广告管理暂行办法》",
        "根据《中华人民共和国行政复议法》第二十一条，行政复议期间行政行为不停止执行。",
        f"决定废止下列文件：\n本决定自印发之日起施行。\n1.《{T}》",  # the announced list never comes
    ],
)
def test_lists_and_parts_in_other_senses_are_no_clauses(text: str) -> None:
    assert find_repeal_clauses(text) == []


# ------------------------------------------------------------------------------------ on the replica
EXPECTED = [
    (9100802, 9100801, "doc_number", "合震〔2019〕7号"),
    (9100806, 9100805, "title", "《合肥市科技创新券管理办法》"),
    (9100855, 9100851, "doc_number", "决定废止下列文件：\n1."),  # a numbered list
    (9100855, 9100853, "title", "2.《合肥市地震局关于加强地震宏观异常信息报送工作的通知》"),
]
# whole repeals above (qa.repeals); repeals of a part (qa.partial_repeals), with the part
PARTIAL = [(9100859, 9100857, "doc_number", "第五条")]
STORED = "SELECT repealing_content_id, repealed_content_id, matched_by, found_run FROM qa.repeals ORDER BY 1, 2"
STORED_PARTIAL = (
    "SELECT repealing_content_id, repealed_content_id, matched_by, part, found_run FROM qa.partial_repeals "
    "ORDER BY 1, 2"
)


def test_day0_repeals_are_exactly_the_scenarios(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(300)
    with replica.day(0):
        run = crawl_run(replica, fresh_db, tmp_path)
    site = site_of(fresh_db)
    repeals = resolve_repeals(fresh_db, site)
    whole = [r for r in repeals if r.part is None]
    assert [(r.repealing_content_id, r.repealed_content_id, r.matched_by) for r in whole] == [e[:3] for e in EXPECTED]
    for r, (*_, words) in zip(whole, EXPECTED, strict=True):
        assert words in r.clause
    partial = [(r.repealing_content_id, r.repealed_content_id, r.matched_by, r.part) for r in repeals if r.part]
    assert partial == PARTIAL
    # the corpus's own record of who repeals whom, and what only in part, agrees
    corpus = Corpus(300, 0, 0)
    assert {(r, o) for o in corpus.iter_ids() for r in corpus.repealed_by(o)} == {e[:2] for e in EXPECTED}
    specs = corpus.all_specs().values()
    assert {(s.cid, o) for s in specs for o in s.partial_repeals} == {p[:2] for p in PARTIAL}

    assert refresh_repeals(fresh_db, site, run.run_id) == repeals
    stored = query(fresh_db, STORED)
    assert stored == [(a, b, m, run.run_id) for a, b, m, _ in EXPECTED]
    stored_partial = query(fresh_db, STORED_PARTIAL)
    assert stored_partial == [(*p, run.run_id) for p in PARTIAL]
    # idempotent: a second refresh (from a later run) changes nothing, found_run included
    refresh_repeals(fresh_db, site, run.run_id + 1)
    assert query(fresh_db, STORED) == stored
    assert query(fresh_db, STORED_PARTIAL) == stored_partial


def test_a_repeal_whose_clause_is_gone_is_dropped(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(300)
    with replica.day(0):
        run = crawl_run(replica, fresh_db, tmp_path, orgs=["合肥市地震局", "合肥市科学技术局", "合肥市财政局"])
    site = site_of(fresh_db)
    refresh_repeals(fresh_db, site, run.run_id)
    assert query(fresh_db, "SELECT count(*) FROM qa.partial_repeals") == [(1,)]
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        # the repealing documents edited so they no longer say so, the others taken down
        cur.execute(
            "UPDATE core.items SET body_text = '本办法自2022年8月1日起施行。' WHERE content_id IN (9100802, 9100855)"
        )
        cur.execute("UPDATE core.items SET removed_at = now() WHERE content_id IN (9100806, 9100859)")
    assert refresh_repeals(fresh_db, site, run.run_id) == []
    assert query(fresh_db, "SELECT count(*) FROM qa.repeals") == [(0,)]
    assert query(fresh_db, "SELECT count(*) FROM qa.partial_repeals") == [(0,)]


def test_only_earlier_documents_are_repealed_never_the_document_itself(fresh_db, tmp_path, replica_at, crawl_run):
    replica = replica_at(300)
    with replica.day(0):
        crawl_run(replica, fresh_db, tmp_path, orgs=["合肥市地震局"])
    site = site_of(fresh_db)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        # 9100801 (2019) now claims to repeal 9100802 (2022) and itself, by 文号 and by title
        cur.execute(
            "UPDATE core.items SET body_text = %s WHERE content_id = 9100801",
            (
                "本办法自2019年3月12日起施行，《合肥市地震监测设施和观测环境保护管理办法》（合震〔2022〕15号）、"
                "《合肥市地震监测设施和观测环境保护办法》（合震〔2019〕7号）同时废止。",
            ),
        )
    assert [(r.repealing_content_id, r.repealed_content_id) for r in resolve_repeals(fresh_db, site)] == [
        (9100802, 9100801),
        (9100855, 9100851),  # the list of the 决定 of 2023, untouched
        (9100855, 9100853),
    ]


def test_bulk_items_repeal_nothing(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(3000)
    with replica.day(0):
        crawl_run(replica, fresh_db, tmp_path)
    items = query(fresh_db, "SELECT count(*) FROM core.items WHERE version > 0")[0][0]
    assert items == len(list(Corpus(3000, 0, 0).iter_ids()))
    repeals = resolve_repeals(fresh_db, site_of(fresh_db))
    assert [(r.repealing_content_id, r.repealed_content_id, r.matched_by, r.part) for r in repeals] == sorted(
        [(*e[:3], None) for e in EXPECTED] + PARTIAL
    )


# ------------------------------------------------------------------------------------ the register
def test_the_register_lists_every_policy_document_with_its_status(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(300)
    with replica.day(0):
        run = crawl_run(replica, fresh_db, tmp_path)
    refresh_repeals(fresh_db, site_of(fresh_db), run.run_id)
    truth = build_truth(Corpus(300, 0, 0), replica.base_url)
    rows = {
        r[0]: r[1:]
        for r in query(
            fresh_db,
            "SELECT content_id, kind, column_name, doc_number, validity, effective_date, repeal_date, repealed_by, "
            "status_complete FROM report.normative_register",
        )
    }
    policy = {t["content_id"]: t for t in truth["items"] if t["column"] in POLICY_COLUMN_NAMES}
    assert set(rows) == set(policy)
    incomplete = {d["content_id"] for d in truth["defects"] if d["rule_id"] == "validity.register_complete"}
    for cid, (kind, column, doc_number, validity, effective, repeal, repealed_by, complete) in rows.items():
        t = policy[cid]
        assert (kind, column) == (POLICY_COLUMN_NAMES[t["column"]], t["column"])
        assert (doc_number, validity, effective, repeal) == (
            t["doc_number"],
            t["validity"],
            t["effective_date"],
            t["repeal_date"],
        )
        if kind == "normative":
            assert complete == (cid not in incomplete), cid
        # a partial repeal (9100859 of 9100857) is no repeal of the document
        assert repealed_by == {9100801: [9100802], 9100805: [9100806], 9100851: [9100855], 9100853: [9100855]}.get(
            cid, []
        )
    assert {cid for cid, r in rows.items() if r[0] == "normative" and not r[-1]} == {9100204, 9100809, 9100811}


def test_the_policy_column_list_is_the_same_in_python_and_sql(database_url) -> None:
    names = sorted({c.name for o in ORGS for c in o.columns} | set(POLICY_COLUMN_NAMES) | {"其他文件"})
    kinds = dict(query(database_url, "SELECT n, qa.policy_column_kind(n) FROM unnest(%s::text[]) AS n", (names,)))
    assert {n: k for n, k in kinds.items() if k is not None} == dict(POLICY_COLUMN_NAMES)
    # the checks' own table of column kinds, where it exists, agrees on which columns are policy kinds
    if query(database_url, "SELECT to_regclass('ref.column_kinds') IS NOT NULL")[0][0]:
        listed = query(database_url, "SELECT name, kind FROM ref.column_kinds WHERE kind IN ('policy', 'normative')")
        assert dict(listed) == dict(POLICY_COLUMN_NAMES)
