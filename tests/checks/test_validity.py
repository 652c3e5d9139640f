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


# ------------------------------------------------------------------------------------ on the replica
EXPECTED = [
    (9100802, 9100801, "doc_number", "合震〔2019〕7号"),
    (9100806, 9100805, "title", "《合肥市科技创新券管理办法》"),
]


def test_day0_repeals_are_exactly_the_two_scenarios(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(300)
    with replica.day(0):
        run = crawl_run(replica, fresh_db, tmp_path)
    site = site_of(fresh_db)
    repeals = resolve_repeals(fresh_db, site)
    assert [(r.repealing_content_id, r.repealed_content_id, r.matched_by) for r in repeals] == [e[:3] for e in EXPECTED]
    for r, (*_, words) in zip(repeals, EXPECTED, strict=True):
        assert words in r.clause
    # the corpus's own record of who repeals whom agrees
    corpus = Corpus(300, 0, 0)
    assert {(r, o) for o in corpus.iter_ids() for r in corpus.repealed_by(o)} == {e[:2] for e in EXPECTED}

    assert refresh_repeals(fresh_db, site, run.run_id) == repeals
    stored = query(
        fresh_db,
        "SELECT repealing_content_id, repealed_content_id, matched_by, found_run FROM qa.repeals ORDER BY 1",
    )
    assert stored == [(a, b, m, run.run_id) for a, b, m, _ in EXPECTED]
    # idempotent: a second refresh (from a later run) changes nothing, found_run included
    refresh_repeals(fresh_db, site, run.run_id + 1)
    assert (
        query(
            fresh_db,
            "SELECT repealing_content_id, repealed_content_id, matched_by, found_run FROM qa.repeals ORDER BY 1",
        )
        == stored
    )


def test_a_repeal_whose_clause_is_gone_is_dropped(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(300)
    with replica.day(0):
        run = crawl_run(replica, fresh_db, tmp_path, orgs=["合肥市地震局", "合肥市科学技术局"])
    site = site_of(fresh_db)
    refresh_repeals(fresh_db, site, run.run_id)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        # the repealing document edited so it no longer says so, the other one taken down
        cur.execute("UPDATE core.items SET body_text = '本办法自2022年8月1日起施行。' WHERE content_id = 9100802")
        cur.execute("UPDATE core.items SET removed_at = now() WHERE content_id = 9100806")
    assert refresh_repeals(fresh_db, site, run.run_id) == []
    assert query(fresh_db, "SELECT count(*) FROM qa.repeals") == [(0,)]


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
        (9100802, 9100801)
    ]


def test_bulk_items_repeal_nothing(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(3000)
    with replica.day(0):
        crawl_run(replica, fresh_db, tmp_path)
    items = query(fresh_db, "SELECT count(*) FROM core.items WHERE version > 0")[0][0]
    assert items == len(list(Corpus(3000, 0, 0).iter_ids()))
    repeals = resolve_repeals(fresh_db, site_of(fresh_db))
    assert [(r.repealing_content_id, r.repealed_content_id, r.matched_by) for r in repeals] == [e[:3] for e in EXPECTED]


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
        assert repealed_by == {9100801: [9100802], 9100805: [9100806]}.get(cid, [])
    assert {cid for cid, r in rows.items() if r[0] == "normative" and not r[-1]} == {9100204, 9100809, 9100811}


def test_the_policy_column_list_is_the_same_in_python_and_sql(database_url) -> None:
    names = sorted({c.name for o in ORGS for c in o.columns} | set(POLICY_COLUMN_NAMES) | {"其他文件"})
    kinds = dict(query(database_url, "SELECT n, qa.policy_column_kind(n) FROM unnest(%s::text[]) AS n", (names,)))
    assert {n: k for n, k in kinds.items() if k is not None} == dict(POLICY_COLUMN_NAMES)
    # the checks' own table of column kinds, where it exists, agrees on which columns are policy kinds
    if query(database_url, "SELECT to_regclass('ref.column_kinds') IS NOT NULL")[0][0]:
        listed = query(database_url, "SELECT name, kind FROM ref.column_kinds WHERE kind IN ('policy', 'normative')")
        assert dict(listed) == dict(POLICY_COLUMN_NAMES)
