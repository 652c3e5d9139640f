"""Crawling the replica over real HTTP into a real Postgres: exact items, increments, faults, kills."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import psycopg2
import pytest

from disclosure_audit.checks.findings import query_findings
from disclosure_audit.checks.prepare import prepare_facts
from disclosure_audit.checks.run import run_checks
from disclosure_audit.crawl import crawl
from disclosure_audit.crawl_cli import iter_items
from disclosure_audit.fields import ITEM_RECORD_KEYS
from disclosure_audit.http.capture import read_capture
from disclosure_audit.pipeline import Settings, crawl_config
from disclosure_audit.replica.corpus import ORGS, Corpus
from disclosure_audit.replica.scenarios import SEED_CID
from disclosure_audit.replica.server import Knobs
from disclosure_audit.replica.truth import build_truth
from disclosure_audit.replica.variants import HOSTILE_ENTRIES, Variants
from disclosure_audit.sites import SiteSettings, load_site_file

KEYS = ITEM_RECORD_KEYS
REPO = Path(__file__).resolve().parents[2]


def assert_items_equal_truth(db: str, truth: dict, skip: set[int] = frozenset()) -> None:
    stored = {i["content_id"]: i for i in iter_items(db)}
    expected = {t["content_id"]: t for t in truth["items"] if t["content_id"] not in skip}
    stored = {k: v for k, v in stored.items() if k not in skip}
    missing, extra = expected.keys() - stored.keys(), stored.keys() - expected.keys()
    assert not missing and not extra, f"missing {sorted(missing)[:10]}, unexpected {sorted(extra)[:10]}"
    wrong = [(cid, k, t[k], stored[cid][k]) for cid, t in expected.items() for k in KEYS if stored[cid][k] != t[k]]
    assert not wrong, "field mismatches (id, field, expected, stored):\n" + "\n".join(map(repr, wrong[:20]))


def query(db: str, sql: str, args: tuple = ()) -> list[tuple]:
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def test_day0_crawl_stores_every_item_exactly_as_the_truth(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(300)
    with replica.day(0):
        summary = crawl_run(replica, fresh_db, tmp_path)
    assert summary.status == "succeeded"
    truth = build_truth(Corpus(300, 0, 0), replica.base_url)
    assert_items_equal_truth(fresh_db, truth)
    seed = next(i for i in iter_items(fresh_db) if i["content_id"] == SEED_CID)
    assert (seed["issuer"], seed["written_date"], seed["validity"], seed["doc_number"], seed["effective_date"]) == (
        "合肥市地震局",
        "2020-06-16",
        "有效",
        "合震〔2020〕24号",
        "2020-06-16",
    )
    assert seed["raw"]["validity"] == "现行有效" and seed["raw"].get("level") == "地方规范性文件"
    assert summary.server_date is not None and summary.server_date.date().isoformat() == "2026-11-16"
    versions = query(fresh_db, "SELECT count(*), min(version), max(version) FROM core.items WHERE version > 0")
    assert versions == [(300, 1, 1)]


def test_every_capture_reads_back_from_its_warc_with_its_sha256(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(300)
    with replica.day(0) as srv:
        crawl_run(replica, fresh_db, tmp_path, orgs=["合肥市地震局"])
        answered = srv.stats()["requests"]
    rows = query(fresh_db, "SELECT capture_id, url, warc_file, warc_offset, sha256, status FROM core.captures")
    assert len(rows) == answered  # every response the site gave, robots.txt included
    for _, url, warc_file, offset, sha, status in rows:
        archived = read_capture(tmp_path, warc_file, offset)
        assert (archived.url, archived.status, archived.sha256) == (url, status, sha)
    linked = query(fresh_db, "SELECT count(*) FROM core.items WHERE detail_capture_id IS NOT NULL AND version > 0")
    assert linked[0][0] == len(list(iter_items(fresh_db)))


def test_day1_incremental_fetches_only_what_the_lists_show_changed(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(300)
    with replica.day(0):
        crawl_run(replica, fresh_db, tmp_path)
    with replica.day(1) as srv:
        summary = crawl_run(replica, fresh_db, tmp_path)
        requests_made = srv.stats()["requests"]
    truth1 = build_truth(Corpus(300, 1, 0), replica.base_url)
    changes = {c["content_id"]: c for c in truth1["changes"]}
    new = [c for c, ch in changes.items() if ch["change"] == "new"]
    list_changed = [c for c, ch in changes.items() if ch["list_visible"] and ch["change"] not in ("new", "removed")]
    c = summary.counters
    assert c["details_fetched"] == len(new) + len(list_changed)
    assert requests_made == c["list_pages"] + c["details_fetched"] + 1  # + robots.txt
    columns = sum(len([col for col in o.columns if col.type == 4]) + 1 for o in ORGS)
    assert c["list_pages"] <= 1 + 3 * len(ORGS) + 2 * columns  # index, shells, at most two pages a column
    # what the lists cannot show (silent edits, removals, changes off the list) waits for a full run
    invisible = {cid for cid, ch in changes.items() if not ch["list_visible"]} | {
        cid for cid, ch in changes.items() if ch["change"] == "removed"
    }
    assert_items_equal_truth(fresh_db, truth1, skip=invisible)


def test_day1_full_run_records_every_change_and_removal_with_versions(
    fresh_db, tmp_path, replica_at, crawl_run
) -> None:
    replica = replica_at(300)
    with replica.day(0):
        crawl_run(replica, fresh_db, tmp_path)
    with replica.day(1):
        summary = crawl_run(replica, fresh_db, tmp_path, full=True)
    assert summary.status == "succeeded"
    truth1 = build_truth(Corpus(300, 1, 0), replica.base_url)
    assert_items_equal_truth(fresh_db, truth1)
    recorded = query(
        fresh_db,
        "SELECT i.content_id, v.change_kind FROM core.item_versions v JOIN core.items i USING (item_id) "
        "WHERE v.run_id = %s",
        (summary.run_id,),
    )
    expected = {(c["content_id"], c["change"]) for c in truth1["changes"]}
    assert set(recorded) == expected and len(recorded) == len(expected)
    before = query(
        fresh_db,
        "SELECT v.fields->>'written_date' FROM core.item_versions v JOIN core.items i USING (item_id) "
        "WHERE i.content_id = 9101001 ORDER BY v.version",
    )
    assert [r[0] for r in before] == ["2023-03-01", "2023-02-27"]  # both versions kept


def test_a_crawl_through_challenge_faults_and_429s_loses_nothing(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    knobs = Knobs(
        challenge=True,
        challenge_every=60,
        fault_5xx_rate=0.03,
        fault_reset_rate=0.01,
        fault_truncate_rate=0.01,
        fault_429_rate=0.01,
        retry_after_seconds=1,
        seed=11,
    )
    replica = replica_at(300, knobs)
    with replica.day(0) as srv:
        summary = crawl_run(replica, fresh_db, tmp_path, retry_attempts=8)
        stats = srv.stats()
    assert summary.status == "succeeded"
    assert_items_equal_truth(fresh_db, build_truth(Corpus(300, 0, 0), replica.base_url))
    http = summary.counters["http"]
    assert http["challenge_solves"] >= 2 and stats["clearances_granted"] >= 2
    assert stats["faults"]["429"] >= 1
    assert http["waited_seconds"] >= stats["faults"]["429"] * 1.0  # Retry-After honoured, never shortened
    duplicates = query(fresh_db, "SELECT content_id FROM core.items GROUP BY site_id, content_id HAVING count(*) > 1")
    assert duplicates == []


def _dump(db: str) -> dict:
    """Everything a crawl is meant to produce, without run ids, timestamps or capture ids."""
    cols = ", ".join(k for k in KEYS if k not in ("org", "column", "content_id", "url"))
    return {
        "items": query(
            db,
            f"SELECT content_id, url, {cols}, raw, version, removed_at IS NULL, body_sha256 "
            "FROM core.items ORDER BY content_id",
        ),
        "versions": query(
            db,
            "SELECT i.content_id, v.version, v.change_kind, v.fields, v.body_sha256 "
            "FROM core.item_versions v JOIN core.items i USING (item_id) ORDER BY 1, 2",
        ),
        "attachments": query(
            db,
            "SELECT i.content_id, a.position, a.url FROM core.attachments a "
            "JOIN core.items i USING (item_id) ORDER BY 1, 2",
        ),
        "links": query(
            db,
            "SELECT i.content_id, l.kind, l.position, l.url, l.target_content_id FROM core.links l "
            "JOIN core.items i USING (item_id) ORDER BY 1, 2, 3",
        ),
    }


def test_a_crawl_killed_halfway_and_run_again_ends_like_an_uninterrupted_one(
    fresh_db, pg_server, tmp_path, replica_at, crawl_run
) -> None:
    from disclosure_audit.store import migrate, server

    replica = replica_at(300)
    with replica.day(0):
        env = {
            **os.environ,
            "DISCLOSURE_DATABASE_URL": fresh_db,
            "DISCLOSURE_DATA_DIR": str(tmp_path / "killed"),
        }
        args = [
            sys.executable,
            "-m",
            "disclosure_audit",
            "crawl",
            "--site",
            replica.base_url,
            "--rate",
            "60",
            "--quiet",
        ] + [a for o in ORGS for a in ("--org", o.name)]
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        loaded = 0
        while time.monotonic() < deadline and proc.poll() is None:
            loaded = (
                query(fresh_db, "SELECT count(*) FROM core.items WHERE version > 0")[0][0]
                if _has_items(fresh_db)
                else 0
            )
            if loaded >= 100:
                break
            time.sleep(0.05)
        assert proc.poll() is None, f"the crawl ended before it could be killed: {proc.stderr.read().decode()}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert 100 <= loaded < 300
        resumed = crawl_run(replica, fresh_db, tmp_path / "resumed")
        assert resumed.status == "succeeded"
        other = f"disclosure_audit_test_{os.urandom(6).hex()}"
        server.create_database(pg_server, other)
        try:
            other_url = pg_server.url_for(other)
            migrate.apply_migrations(other_url)
            crawl_run(replica, other_url, tmp_path / "whole")
            assert _dump(fresh_db) == _dump(other_url)
        finally:
            server.drop_database(pg_server, other)


def _has_items(db: str) -> bool:
    return bool(query(db, "SELECT to_regclass('core.items') IS NOT NULL")[0][0])


@pytest.mark.parametrize("org", ["合肥市财政局"])
def test_an_organisation_missing_from_the_index_is_a_clear_error(
    fresh_db, tmp_path, replica_at, crawl_run, org
) -> None:
    from disclosure_audit.errors import DisclosureAuditError

    replica = replica_at(300)
    with replica.day(0), pytest.raises(DisclosureAuditError, match="not found on .*/public/.*合肥市地震局"):
        crawl_run(replica, fresh_db, tmp_path, orgs=[org, "合肥市不存在局"])
    assert query(fresh_db, "SELECT status, error LIKE '%%合肥市不存在局%%' FROM core.crawl_runs") == [("failed", True)]


# ------------------------------------------------------------------------------------ never silent
# Columns whose list endpoint answers something that is not a list (replica Variants.broken_lists):
# 合肥市人民政府/工作动态 and /人事信息, 合肥市地震局/通知公告, 合肥市科学技术局/工作动态.
BROKEN = {174103: "login", 174105: "json", 677104: "param_error", 670503: "waf"}
# how the crawl names what each hostile list entry or detail page did (core.crawl_errors.kind)
HOSTILE_KINDS = {
    "off_site_href": "off_site",
    "disallowed": "disallowed",
    "redirect_away": "redirected_away",
    "empty": "unreadable_detail",
    "truncated": "unreadable_detail",
    "deep": "unreadable_detail",
    "mislabelled": "doubtful_decoding",
}


def _finding_key(d: dict) -> tuple:
    return (d["rule_id"], d["content_id"]) if d.get("content_id") is not None else (d["rule_id"], d["org"], d["column"])


def _hostile_entries() -> dict[int, str]:
    """One item of 合肥市地震局/工作动态's first page for every way an entry can be hostile."""
    corpus = Corpus(300, 0, 0)
    column = corpus.org(6771).column(677103)
    items = corpus.list_page(column, 0, 15)
    return {item.content_id: how for item, how in zip(items, HOSTILE_ENTRIES, strict=False)}


@pytest.mark.parametrize(
    ("shell", "empty"), [("variable", "marker"), ("concat", "bare"), ("meta", "marker"), ("runtime", "bare")]
)
def test_every_way_a_shell_passes_the_list_parameters_reads_every_item(
    fresh_db, tmp_path, replica_at, crawl_run, shell, empty
) -> None:
    # variables declared elsewhere in the page, concatenations, the SiteId <meta>, values worked out
    # only when the script runs (read in the sandbox); the one empty column by marker or bare template
    replica = replica_at(300, variants=Variants(shell_params=shell, empty_list=empty))
    with replica.day(0):
        summary = crawl_run(replica, fresh_db, tmp_path / "data")
        prepare_facts(fresh_db, rate=500.0)  # the link checks ask the site
        checked = run_checks(fresh_db, tmp_path / "data", REPO / "expectations")
    assert summary.status == "succeeded", summary.errors
    assert_items_equal_truth(fresh_db, build_truth(Corpus(300, 0, 0), replica.base_url))
    assert query(fresh_db, "SELECT count(*) FILTER (WHERE empty), count(*) FILTER (WHERE outcome <> 'complete') "
                           "FROM core.column_runs") == [(1, 0)]  # fmt: skip
    # and the findings are the truth's defects: no false 空白栏目, none missed
    assert not checked.broken_rules, checked.broken_rules
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        found = {_finding_key(f) for f in query_findings(cur, open_only=True)}
    assert found == {_finding_key(d) for d in build_truth(Corpus(300, 0, 0), replica.base_url)["defects"]}


def test_a_list_answering_anything_but_a_list_is_unreadable_never_empty(
    fresh_db, tmp_path, replica_at, crawl_run
) -> None:
    replica = replica_at(300, variants=Variants(broken_lists=BROKEN))
    corpus = Corpus(300, 0, 0)
    truth = build_truth(corpus, replica.base_url)
    names = {f"{(org := corpus.org(c // 100)).name}/{org.column(c).name}" for c in BROKEN}
    with replica.day(0):
        summary = crawl_run(replica, fresh_db, tmp_path / "data")
    assert summary.status == "degraded"
    errors = query(
        fresh_db,
        "SELECT e.cat_id, e.kind, e.url, e.capture_id, e.message, c.url FROM core.crawl_errors e "
        "LEFT JOIN core.captures c USING (capture_id) WHERE e.scope = 'column' ORDER BY 1",
    )
    assert [e[0] for e in errors] == sorted(BROKEN)
    for cat_id, kind, url, capture_id, message, captured in errors:
        # what was asked, what came back (kept as captured), and that it is not judged
        assert kind == "unrecognised_list" and "/site/label/8888" in url and captured == url, (cat_id, url)
        assert capture_id is not None and "not judged" in message, message
    says = {e[0]: e[4] for e in errors}
    assert "参数错误" in says[677104] and "login" in says[174103] and "JSON" in says[174105]
    assert "firewall" in says[670503]
    assert query(fresh_db, "SELECT cat_id FROM core.column_runs WHERE outcome = 'unreadable' ORDER BY 1") == [
        (c,) for c in sorted(BROKEN)
    ]
    # everything else was read; nothing of the broken columns was guessed
    broken_items = {t["content_id"] for t in truth["items"] if f"{t['org']}/{t['column']}" in names}
    assert broken_items and not query(
        fresh_db, "SELECT content_id FROM core.items WHERE content_id = ANY(%s)", (sorted(broken_items),)
    )
    assert_items_equal_truth(fresh_db, {"items": [t for t in truth["items"] if t["content_id"] not in broken_items]})

    # the checks judge no unread column, say so, and open the site's availability finding
    with replica.day(0):
        prepare_facts(fresh_db, rate=500.0)
        checked = run_checks(fresh_db, tmp_path / "data", REPO / "expectations")
    assert not checked.broken_rules, checked.broken_rules
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        findings = query_findings(cur, open_only=True)
    column_findings = {(f["org"], f["column"]) for f in findings if f["rule_id"].startswith("freshness.column")}
    assert not {f"{o}/{c}" for o, c in column_findings} & names
    unjudged = {s for (s,) in query(fresh_db, "SELECT subject FROM qa.not_evaluable WHERE rule_id = "
                                              "'freshness.column_empty'")}  # fmt: skip
    assert unjudged == names
    assert [f["rule_id"] for f in findings if f["rule_id"] == "availability.site"] == ["availability.site"]

    # the next night the lists answer again: the run succeeds and reads what was missed
    with replica.day(0, variants=Variants()):
        summary = crawl_run(replica, fresh_db, tmp_path / "data")
    assert summary.status == "succeeded", summary.errors
    assert_items_equal_truth(fresh_db, truth)


def test_the_command_exits_non_zero_and_names_the_unread_column_with_its_capture(
    fresh_db, tmp_path, replica_at
) -> None:
    replica = replica_at(300, variants=Variants(broken_lists={677104: "param_error"}))
    env = {**os.environ, "DISCLOSURE_DATABASE_URL": fresh_db, "DISCLOSURE_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "disclosure_audit", "crawl", "--quiet", "--rate", "500"]
    with replica.day(0):
        done = subprocess.run(
            [*command, "--site", replica.base_url, "--org", "合肥市地震局"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 3, done.stderr
    (capture_id,) = query(fresh_db, "SELECT capture_id FROM core.crawl_errors WHERE cat_id = 677104")[0]
    assert "合肥市地震局/通知公告" in done.stdout and str(capture_id) in done.stdout, done.stdout
    assert "degraded" in done.stdout
    assert query(fresh_db, "SELECT status FROM core.crawl_runs") == [("degraded",)]


def test_hostile_entries_are_errors_of_their_own_and_never_replace_a_good_version(
    fresh_db, tmp_path, replica_at, crawl_run
) -> None:
    hostile = _hostile_entries()
    assert sorted(hostile.values()) == sorted(HOSTILE_ENTRIES)
    replica = replica_at(300, variants=Variants(hostile=hostile))
    truth = build_truth(Corpus(300, 0, 0), replica.base_url)
    with replica.day(0):
        summary = crawl_run(replica, fresh_db, tmp_path / "data")
    assert summary.status == "degraded"
    entry_errors = query(
        fresh_db, "SELECT content_id, kind, url, capture_id FROM core.crawl_errors WHERE scope = 'entry'"
    )
    assert {cid: kind for cid, kind, _, _ in entry_errors} == {c: HOSTILE_KINDS[h] for c, h in hostile.items()}
    for cid, kind, url, capture_id in entry_errors:
        assert str(cid) in url
        fetched = kind not in ("off_site", "disallowed")  # a redirect away is kept as answered
        assert (capture_id is not None) == fetched, (cid, kind)
    # one bad entry stops nothing: every other item is stored exactly, the hostile ones not at all
    assert_items_equal_truth(fresh_db, truth, skip=set(hostile))
    assert not query(fresh_db, "SELECT 1 FROM core.items WHERE version > 0 AND content_id = ANY(%s)", (list(hostile),))

    # a clean night reads them
    with replica.day(0, variants=Variants()):
        assert crawl_run(replica, fresh_db, tmp_path / "data").status == "succeeded"
    assert_items_equal_truth(fresh_db, truth)
    before = query(fresh_db, "SELECT content_id, version, detail_capture_id FROM core.items ORDER BY 1")

    # a hostile night again, full: no bad page replaces a good version, nothing is taken as removed
    with replica.day(0):
        summary = crawl_run(replica, fresh_db, tmp_path / "data", full=True)
    assert summary.status == "degraded"
    assert_items_equal_truth(fresh_db, truth)
    after = query(fresh_db, "SELECT content_id, version, detail_capture_id FROM core.items ORDER BY 1")
    changed = {b[0] for b, a in zip(before, after, strict=True) if b[:2] != a[:2]}
    assert changed == set()
    kept = {a[0]: a[2] for a in after}
    assert all(kept[c] == b[2] for b in before if (c := b[0]) in hostile)


def test_a_site_file_alone_fits_the_profile_to_a_prefixed_site_with_another_label(
    fresh_db, tmp_path, replica_at
) -> None:
    # the platform served under /chuzhou, its detail pages labelling 文号 as 文件编号: no code change,
    # a site file with path_prefix and one label synonym
    replica = replica_at(300, variants=Variants(path_prefix="/chuzhou", labels={"doc_number": "文件编号："}))
    orgs = ["合肥市地震局", "合肥市科学技术局"]
    site_file = tmp_path / "chuzhou.toml"
    site_file.write_text(
        f'profile = "lonsun"\nsite = "{replica.base_url}"\norgs = {json.dumps(orgs, ensure_ascii=False)}\n'
        'path_prefix = "/chuzhou"\n\n[labels]\ndoc_number = ["文件编号"]\n',
        encoding="utf-8",
    )
    settings = Settings(site_config=site_file, database_url=fresh_db, data_dir=tmp_path / "data")
    config = crawl_config(settings, requests_per_second=500.0, max_in_flight_per_host=4, retry_wait_seconds=0.05)
    with replica.day(0):
        # without the synonym the label is not read, and the run says so (once, with the first page)
        unlabelled = tmp_path / "unlabelled.toml"
        unlabelled.write_text(site_file.read_text(encoding="utf-8").split("[labels]")[0], encoding="utf-8")
        first = crawl(replace(config, settings=load_site_file(unlabelled).settings))
        assert first.status == "degraded"
        warned = query(fresh_db, "SELECT severity, kind, capture_id IS NOT NULL, message FROM core.crawl_errors")
        assert [w[:3] for w in warned] == [("warning", "unknown_label", True)], warned
        assert "文件编号" in warned[0][3] and "[labels]" in warned[0][3]
        summary = crawl(replace(config, full=True))
        prepare_facts(fresh_db, rate=500.0)
        checked = run_checks(fresh_db, tmp_path / "data", REPO / "expectations")
    assert summary.status == "succeeded", summary.errors
    truth = build_truth(Corpus(300, 0, 0), replica.base_url + "/chuzhou")
    expected = [t for t in truth["items"] if t["org"] in orgs]
    assert sum(1 for t in expected if t["doc_number"]) >= 10  # the label was needed
    assert all(t["url"].startswith(replica.base_url + "/chuzhou/public/") for t in expected)
    assert_items_equal_truth(fresh_db, {"items": expected})
    # and the findings are the truth's defects of these organisations
    assert not checked.broken_rules, checked.broken_rules
    ours = {t["content_id"] for t in expected}
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        found = {_finding_key(f) for f in query_findings(cur, open_only=True)}
    wanted = {_finding_key(d) for d in truth["defects"] if d.get("content_id") in ours or d.get("org") in orgs}
    assert found == wanted


def test_the_library_tabs_and_a_department_host_are_read_as_the_platform_shows_them(
    fresh_db, tmp_path, replica_at, crawl_run
) -> None:
    # 合肥市地震局 and 合肥市科学技术局 link a 行政规范性文件库 (type 6, tabs 有效/失效); 合肥市科学技术局's
    # lists link its items on its department host (localhost here), which the site file names
    replica = replica_at(300)
    department = f"http://localhost:{replica.port}"
    variants = Variants(library_orgs=(6771, 6705), department_host=department)
    corpus = Corpus(300, 0, 0)
    truth = build_truth(corpus, replica.base_url, library_orgs=(6771, 6705), department_host=department)
    with replica.day(0, variants=variants):
        # not named as the site's: every department entry is an error of its own, the rest is read
        summary = crawl_run(replica, fresh_db, tmp_path / "data")
        assert summary.status == "degraded"
        refused = query(fresh_db, "SELECT DISTINCT e.kind, i.organ_id FROM core.items i JOIN core.crawl_errors e "
                                  "USING (content_id) WHERE e.scope = 'entry'")  # fmt: skip
        assert refused == [("off_site", 6705)]
        # named: everything is read, and the checks find exactly the truth's defects
        settings = SiteSettings(hosts=(f"localhost:{replica.port}",))
        summary = crawl_run(replica, fresh_db, tmp_path / "data", settings=settings)
        assert summary.status == "succeeded", summary.errors
        prepare_facts(fresh_db, rate=500.0)
        checked = run_checks(fresh_db, tmp_path / "data", REPO / "expectations")
    assert_items_equal_truth(fresh_db, truth)
    assert all(t["url"].startswith(department) for t in truth["items"] if t["org"] == "合肥市科学技术局")
    assert {(t["content_id"], t["tab"]) for t in truth["library"]} == set(
        query(fresh_db, "SELECT content_id, tab FROM core.library_entries")
    )
    assert any(t["tab"] == "失效" for t in truth["library"]), "both tabs carry documents"
    register = dict(query(fresh_db, "SELECT content_id, library_tab FROM report.normative_register"))
    assert all(register[t["content_id"]] == t["tab"] for t in truth["library"])
    assert not checked.broken_rules, checked.broken_rules
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        found = {_finding_key(f) for f in query_findings(cur, open_only=True)}
    assert found == {_finding_key(d) for d in truth["defects"]}


def test_a_list_suddenly_far_shorter_is_a_warning_and_removes_nothing(fresh_db, tmp_path, replica_at, crawl_run):
    replica = replica_at(300)
    truth = build_truth(Corpus(300, 0, 0), replica.base_url)
    with replica.day(0):
        crawl_run(replica, fresh_db, tmp_path)
    # 合肥市地震局/工作动态 lists 3 of its 15 entries, its detail pages all still there
    with replica.day(0, variants=Variants(short_lists={677103: 3})):
        summary = crawl_run(replica, fresh_db, tmp_path, full=True)
    assert summary.status == "degraded"
    warned = query(fresh_db, "SELECT severity, kind, cat_id, message FROM core.crawl_errors WHERE run_id = %s",
                   (summary.run_id,))  # fmt: skip
    assert [w[:3] for w in warned] == [("warning", "count_drop", 677103)]
    assert "3 entries, 15 last time" in warned[0][3] and "no item is concluded removed" in warned[0][3]
    assert query(fresh_db, "SELECT count(*) FROM core.items WHERE removed_at IS NOT NULL") == [(0,)]
    assert_items_equal_truth(fresh_db, truth)


def test_a_run_whose_process_is_gone_is_closed_as_abandoned_and_a_live_one_is_left(
    fresh_db, tmp_path, replica_at, crawl_run
) -> None:
    replica = replica_at(300)
    with replica.day(0):
        crawl_run(replica, fresh_db, tmp_path, orgs=["合肥市地震局"])
    site = query(fresh_db, "SELECT site_id FROM core.sites")[0][0]
    # one run left 'running' by a killed process; one held by a live crawl (another session)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO core.crawl_runs (site_id, mode, orgs) VALUES (%s, 'full', '{x}'), "
                    "(%s, 'full', '{y}') RETURNING run_id", (site, site))  # fmt: skip
        killed, alive = (r[0] for r in cur.fetchall())
    holder = psycopg2.connect(fresh_db)
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s, %s)", (0x6372_6177, alive))
        with replica.day(0):
            summary = crawl_run(replica, fresh_db, tmp_path, orgs=["合肥市地震局"])
        assert summary.status == "succeeded"
        runs = dict(query(fresh_db, "SELECT run_id, status FROM core.crawl_runs WHERE run_id IN (%s, %s)",
                          (killed, alive)))  # fmt: skip
        assert runs == {killed: "abandoned", alive: "running"}
        (error,) = query(fresh_db, "SELECT error FROM core.crawl_runs WHERE run_id = %s", (killed,))[0]
        assert "ended without finishing" in error
    finally:
        holder.close()
