"""Crawling the replica over real HTTP into a real Postgres: exact items, increments, faults, kills."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg2
import pytest

from disclosure_audit.crawl_cli import iter_items
from disclosure_audit.fields import ITEM_RECORD_KEYS
from disclosure_audit.http.capture import read_capture
from disclosure_audit.replica.corpus import ORGS, Corpus
from disclosure_audit.replica.scenarios import SEED_CID
from disclosure_audit.replica.server import Knobs
from disclosure_audit.replica.truth import build_truth

KEYS = ITEM_RECORD_KEYS


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
