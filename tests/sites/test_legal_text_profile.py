"""The second profile: a legal database's header-and-body texts, on the same crawl core as the platform."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest

from disclosure_audit.checks.findings import query_findings
from disclosure_audit.checks.prepare import prepare_facts
from disclosure_audit.checks.run import run_checks
from disclosure_audit.crawl import CrawlConfig, crawl
from disclosure_audit.crawl_cli import iter_items
from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.fields import ITEM_RECORD_KEYS
from disclosure_audit.parse.listing import EMPTY, LIST, UNRECOGNISED
from disclosure_audit.replica.corpus import ORGS, Corpus
from disclosure_audit.replica.truth import build_law_truth, build_truth
from disclosure_audit.sites import OrgRef, Page, make_profile, profiles

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "tests" / "fixtures" / "seed_hezhen_2020_24.txt"
BASE = "http://law.example"


def _page(body: bytes, url: str = f"{BASE}/law/doc/9100024.txt", content_type: str = "text/plain; charset=utf-8"):
    return Page(url=url, final_url=url, status=200, body=body, content_type=content_type, capture_id=7)


def _config(site: str, db: str, data_dir: Path, profile: str) -> CrawlConfig:
    return CrawlConfig(
        site=site,
        orgs=[o.name for o in ORGS],
        database_url=db,
        data_dir=data_dir,
        profile=profile,
        requests_per_second=500.0,
        max_in_flight_per_host=4,
        retry_wait_seconds=0.05,
        show_progress=False,
    )


def test_the_profile_is_found_by_name_and_reads_the_seed_document() -> None:
    assert {"lonsun", "legaltext"} <= set(profiles())
    profile = make_profile("legaltext", BASE)
    assert profile.audited is False and profile.index_url() == f"{BASE}/law/"
    read = profile.read_detail(_page(SEED.read_bytes()))  # traditional script with converter pinyin
    assert read.problem is None and read.record is not None
    record = read.record
    assert (record["issuer"], record["written_date"], record["validity"], record["doc_number"]) == (
        "合肥市地震局", "2020-06-16", "有效", "合震〔2020〕24号"
    )  # fmt: skip
    assert record["effective_date"] == "2020-06-16" and record["raw"]["level"] == "地方规范性文件"
    assert "六提六促" in read.body_text


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "empty answer"),
        ("<html><body><p>参数错误</p></body></html>".encode(), "no legal-database header"),
        ("正文第一行，没有任何标注。\n第二行。".encode(), "no legal-database header"),
        ("标题某文件\n发文机关合肥市地震局\n".encode("gb18030"), "doubtful decoding"),
    ],
)
def test_a_text_it_cannot_read_is_a_problem_never_a_record(body: bytes, says: str) -> None:
    read = make_profile("legaltext", BASE).read_detail(_page(body))
    assert read.record is None and read.problem is not None and says in read.problem.message


def profile_fetch_unused(url: str) -> Page:
    raise AssertionError(f"the legal database's columns need no fetch, asked for {url}")


def test_its_lists_are_a_list_a_known_empty_marker_or_unrecognised() -> None:
    profile = make_profile("legaltext", BASE)
    (column,) = profile.columns(profile_fetch_unused, OrgRef("合肥市地震局", 6771, f"{BASE}/law/org/6771"), {})
    assert column.request is not None and column.request.url(2) == f"{BASE}/law/org/6771?page=2&size=20"

    def kind(html: str) -> tuple[str, int | None]:
        listing = profile.read_list(_page(html.encode(), column.request.url(1), "text/html; charset=utf-8"), column)
        return listing.kind, len(listing.entries)

    rows = (
        '<ul class="law-list"><li><a href="/law/doc/5.txt" title="甲">甲</a>'
        '<span class="date">2024-01-02</span></li></ul>'
    )
    assert kind(rows + '<div class="pager" data-pages="3">共3页</div>') == (LIST, 1)
    assert kind('<p class="no-data">暂无记录</p>') == (EMPTY, 0)
    assert kind("<p>参数错误</p>") == (UNRECOGNISED, 0)
    assert kind("<html><title>用户登录</title><form><input type=password></form></html>") == (UNRECOGNISED, 0)


def test_a_legal_database_crawl_equals_its_truth_and_the_rules_never_judge_it(
    fresh_db, tmp_path, replica_at
) -> None:
    # the replica serves both: the platform at 127.0.0.1, its legal database read at localhost
    replica = replica_at(300)
    law_site = f"http://localhost:{replica.port}"
    corpus = Corpus(300, 0, 0)
    with replica.day(0):
        law = crawl(_config(law_site, fresh_db, tmp_path / "data", "legaltext"))
        platform = crawl(_config(replica.base_url, fresh_db, tmp_path / "data", "lonsun"))
        prepare_facts(fresh_db, rate=500.0)
        checked = run_checks(fresh_db, tmp_path / "data", REPO / "expectations")
    assert (law.status, platform.status) == ("succeeded", "succeeded"), law.errors + platform.errors
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT site_id, audited FROM core.sites WHERE base_url = %s", (law_site,))
        law_site_id, audited = cur.fetchone()
        findings = query_findings(cur, open_only=True)
        cur.execute("SELECT (SELECT count(*) FROM qa.item_facts WHERE site_id = %s) "
                    "+ (SELECT count(*) FROM qa.findings WHERE site_id = %s)", (law_site_id, law_site_id))  # fmt: skip
        judged = cur.fetchone()[0]
    conn.close()
    assert audited is False and judged == 0

    expected = {t["content_id"]: t for t in build_law_truth(corpus, law_site)["items"]}
    stored = {i["content_id"]: i for i in iter_items(fresh_db) if i["url"].startswith(law_site)}
    assert stored.keys() == expected.keys() and len(expected) > 50
    wrong = [(c, k, t[k], stored[c][k]) for c, t in expected.items() for k in ITEM_RECORD_KEYS if stored[c][k] != t[k]]
    assert not wrong, wrong[:10]

    # the platform's findings are its truth's defects, no more: nothing comes from the legal database
    assert not checked.broken_rules, checked.broken_rules

    def key(d: dict) -> tuple:
        if d.get("content_id") is not None:
            return (d["rule_id"], d["content_id"])
        return (d["rule_id"], d["org"], d["column"])

    truth = build_truth(corpus, replica.base_url)
    assert {key(f) for f in findings} == {key(d) for d in truth["defects"]}


def test_one_base_url_is_either_a_platform_or_a_source(fresh_db, tmp_path, replica_at) -> None:
    replica = replica_at(300)
    with replica.day(0):
        crawl(_config(replica.base_url, fresh_db, tmp_path / "data", "lonsun"))
        with pytest.raises(DisclosureAuditError, match="already in the database as a disclosure platform"):
            crawl(_config(replica.base_url, fresh_db, tmp_path / "data", "legaltext"))
