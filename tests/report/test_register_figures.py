"""Table 二 （一）项 from the crawl, per year and organisation, against the replica's own model, with lineage."""

from __future__ import annotations

import psycopg2
import pytest

from disclosure_audit.checks.validity import refresh_repeals
from disclosure_audit.replica.corpus import Corpus
from disclosure_audit.replica.truth import build_register_truth, item_url

ITEMS = 300


def query(db: str, sql: str, args: tuple = ()) -> list[tuple]:
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def crawled(db: str) -> dict:
    """{year: {org: {row: {figure: {"counted": [...], "undetermined": [...]}}}}} as the report views say."""
    out: dict = {}
    for year, org, row, figure, decision, cid in query(
        db,
        "SELECT year, org, row_label, figure, decision, content_id FROM report.register_figure_items "
        "ORDER BY year, org, row_label, figure, content_id",
    ):
        cell = out.setdefault(year, {}).setdefault(org, {}).setdefault(row, {})
        cell.setdefault(figure, {"counted": [], "undetermined": []})[decision].append(cid)
    return out


def normalised(truth: dict) -> dict:
    return {
        y: {
            org: {
                row: {f: {k: sorted(v) for k, v in cell.items()} for f, cell in rows.items()}
                for row, rows in by.items()
            }
            for org, by in orgs.items()
        }
        for y, orgs in truth.items()
        if orgs
    }


def compare(db: str, base_url: str, day: int) -> dict:
    got = crawled(db)
    want = normalised(build_register_truth(Corpus(ITEMS, day, 0)))
    for year in sorted(set(got) | set(want)):
        assert got.get(year, {}) == want.get(year, {}), year
    # the figures are the counts of the lineage, for every organisation, row and column
    counts = {
        (y, org, row, f): (v, u)
        for y, org, row, f, v, u in query(
            db, "SELECT year, org, row_label, figure, value, undetermined FROM report.table2_register"
        )
    }
    for y, orgs in want.items():
        for org, rows in orgs.items():
            for row, figures in rows.items():
                for f, cell in figures.items():
                    assert counts[(y, org, row, f)] == (len(cell["counted"]), len(cell["undetermined"])), (y, org, f)
    nonzero = {k: v for k, v in counts.items() if v != (0, 0)}
    assert len(nonzero) == sum(len(f) for orgs in want.values() for rows in orgs.values() for f in rows.values())
    return want


@pytest.mark.parametrize("day", [0, 1])
def test_table2_register_figures_and_lineage_equal_the_truth(fresh_db, tmp_path, replica_at, crawl_run, day) -> None:
    replica = replica_at(ITEMS)
    for d in range(day + 1):
        with replica.day(d):
            run = crawl_run(replica, fresh_db, tmp_path)
        site_id = query(fresh_db, "SELECT site_id FROM core.sites")[0][0]
        refresh_repeals(fresh_db, site_id, run.run_id)
    want = compare(fresh_db, replica.base_url, day)
    assert set(want) == set(range(2019, 2027))
    # 9100801 (地震局) is repealed by 9100802 from 2022-08-01: abolished in 2022, in force up to 2021
    quake = "合肥市地震局"
    assert 9100801 in want[2022][quake]["行政规范性文件"]["本年废止件数"]["counted"]
    assert 9100801 in want[2021][quake]["行政规范性文件"]["现行有效件数"]["counted"]
    assert 9100801 not in want[2022][quake]["行政规范性文件"]["现行有效件数"]["counted"]
    # 9100809 shows 失效 without 废止日期: undetermined, never guessed
    assert 9100809 in want[2024][quake]["行政规范性文件"]["本年废止件数"]["undetermined"]

    # lineage: each row names the item's URL and the capture that showed the deciding value
    rows = query(
        fresh_db,
        "SELECT i.content_id, i.organ_id, i.url, i.source, i.capture_sha256, c.sha256, c.url "
        "FROM report.register_figure_items i LEFT JOIN core.captures c ON c.capture_id = i.capture_id",
    )
    assert rows
    for cid, organ_id, url, source, sha, cap_sha, cap_url in rows:
        assert url == item_url(replica.base_url, organ_id, cid)
        assert sha is not None and sha == cap_sha and len(sha) == 64, cid
        if source == "repeal_clause":  # the repealing document's page showed the date
            assert cap_url != url
        else:
            assert cap_url == url
    sources = {
        r[0]: r[1]
        for r in query(
            fresh_db,
            "SELECT DISTINCT content_id, source FROM report.register_figure_items "
            "WHERE figure = '本年废止件数' AND decision = 'counted'",
        )
    }
    assert sources[9100801] == ("repeal_clause" if day == 0 else "repeal_date")
    assert sources[9100805] == "repeal_date"


def _end_by_versions(db: str, seen_on: str) -> tuple[int, tuple]:
    """A document in force on day 0 is next seen 废止 (no 废止日期 shown) by a capture dated `seen_on`."""
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT d.item_id, d.content_id, i.version, i.detail_capture_id FROM report.register_documents d "
            "JOIN core.items i ON i.item_id = d.item_id WHERE d.end_source = 'none' ORDER BY d.content_id LIMIT 1"
        )
        item_id, cid, version, capture_id = cur.fetchone()
        cur.execute(
            "INSERT INTO core.captures (run_id, url, fetched_at, status, content_type, sha256, bytes, warc_file, "
            "warc_offset, warc_length, server_date) SELECT run_id, url, %s::timestamptz, status, content_type, "
            "repeat('e', 64), bytes, warc_file, warc_offset, warc_length, %s::timestamptz FROM core.captures "
            "WHERE capture_id = %s RETURNING capture_id",
            (seen_on, seen_on, capture_id),
        )
        new_capture = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO core.item_versions (item_id, version, run_id, capture_id, change_kind, changed_fields, "
            "fields) SELECT item_id, version + 1, run_id, %s, 'metadata', '{validity}', "
            "fields || '{\"validity\": \"废止\"}' FROM core.item_versions WHERE item_id = %s AND version = %s",
            (new_capture, item_id, version),
        )
        cur.execute(
            "UPDATE core.items SET validity = '废止', version = version + 1, detail_capture_id = %s WHERE item_id = %s",
            (new_capture, item_id),
        )
        cur.execute(
            "SELECT end_source, end_year, end_reason IS NOT NULL FROM report.register_documents WHERE item_id = %s",
            (item_id,),
        )
        return cid, cur.fetchone()


def test_an_end_seen_only_in_the_version_history_counts_in_its_year(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(ITEMS)
    with replica.day(0):  # 2026-11-16
        crawl_run(replica, fresh_db, tmp_path)
    cid, (source, year, has_reason) = _end_by_versions(fresh_db, "2026-12-20 10:00+08")
    assert (source, year, has_reason) == ("version_history", 2026, False)
    rows = query(
        fresh_db,
        "SELECT year, decision, source, capture_sha256 FROM report.register_figure_items "
        "WHERE content_id = %s AND figure = '本年废止件数'",
        (cid,),
    )
    assert rows == [(2026, "counted", "version_history", "e" * 64)]
    # in force up to 2025, no longer at the end of 2026
    in_force = query(
        fresh_db,
        "SELECT year FROM report.register_figure_items WHERE content_id = %s AND figure = '现行有效件数'",
        (cid,),
    )
    assert 2025 in {y for (y,) in in_force} and 2026 not in {y for (y,) in in_force}


def test_an_end_seen_across_a_new_year_is_undetermined(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(ITEMS)
    with replica.day(0):  # 2026-11-16: seen 有效; next seen 废止 on 2027-01-05: ended in 2026 or in 2027
        crawl_run(replica, fresh_db, tmp_path)
    cid, (source, year, has_reason) = _end_by_versions(fresh_db, "2027-01-05 10:00+08")
    assert (source, year, has_reason) == ("undetermined", None, True)
    rows = query(
        fresh_db,
        "SELECT decision FROM report.register_figure_items WHERE content_id = %s AND year = 2026 "
        "AND figure IN ('本年废止件数', '现行有效件数')",
        (cid,),
    )
    assert sorted(rows) == [("undetermined",), ("undetermined",)]
