"""One rule failing thousands of items: the check still records every finding, with its page and capture.

A provincial platform with one systematic defect (every 索引号 in an old form) fails one rule on most of
its items. The findings step once sent one literal (site, content id) pair per failing item to Postgres
and hit "stack depth limit exceeded" at about 7,700; it must not depend on the count.
"""

from __future__ import annotations

from pathlib import Path

import psycopg2

from disclosure_audit.calendar.db import load_workdays
from disclosure_audit.checks.run import run_checks
from disclosure_audit.fields import DETAIL_FIELDS
from disclosure_audit.replica.corpus import Corpus
from disclosure_audit.replica.truth import build_truth
from disclosure_audit.store.crawl_store import ColumnRow, CrawlStore, DetailRow, ListRow

REPO = Path(__file__).resolve().parents[2]
ITEMS = 10_000
BASE = "http://127.0.0.1:8321"


def _load_with_old_index_numbers(db: str) -> int:
    """The corpus's items, loaded as the crawl would, every 索引号 shown in an old form (no serial)."""
    corpus = Corpus(ITEMS, 0, 0)
    truth = build_truth(corpus, BASE)
    with CrawlStore(db) as store:
        site_id = store.ensure_site(BASE)
        run_id = store.start_run(site_id, "full", ["scale"])
        for org in corpus.orgs:
            store.upsert_org(site_id, run_id, org.organ_id, org.name, f"{BASE}/public/column/{org.organ_id}")
            store.upsert_columns(
                site_id, run_id, [ColumnRow(org.organ_id, c.type, c.cat_id, c.name, {}) for c in org.columns]
            )
        rows, details = [], []
        for record in truth["items"]:
            item = corpus.item(record["content_id"], body=False)
            assert item is not None
            rows.append(ListRow(item.content_id, item.org.organ_id, item.column.type, item.column.cat_id,
                                record["url"], record["title"], None, False))  # fmt: skip
            raw = {**item.fields, "title": item.title, "index_number": f"{item.org.code}-{item.content_id}"}
            fields = {k: record[k] for k in DETAIL_FIELDS} | {"index_number": raw["index_number"]}
            details.append(DetailRow(item.content_id, fields, raw, "", None))
        for i in range(0, len(rows), 5000):
            store.record_list_page(site_id, run_id, rows[i : i + 5000])
        for i in range(0, len(details), 2000):
            store.load_details(site_id, run_id, details[i : i + 2000])
        store.finish_run(run_id, "succeeded", {}, None)
    return len(details)


def test_ten_thousand_failures_of_one_rule_are_all_recorded(fresh_db, tmp_path) -> None:
    loaded = _load_with_old_index_numbers(fresh_db)
    load_workdays(fresh_db)
    summary = run_checks(fresh_db, tmp_path / "data", REPO / "expectations")
    assert not summary.broken_rules, summary.broken_rules
    result = summary.results["format.index_number"]
    assert result.failed == loaded == ITEMS and result.exception is None
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE evidence ? 'url' AND evidence ? 'title') "
            "FROM qa.findings WHERE rule_id = 'format.index_number' AND closed_at IS NULL"
        )
        assert cur.fetchone() == (ITEMS, ITEMS)
    conn.close()
