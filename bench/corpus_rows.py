"""Rows of the replica's corpus as the crawl hands them to the store: list entries, then parsed detail pages.

Values come from the replica's truth (what the parser must read), body text from the item's paragraphs.
"""

from __future__ import annotations

from dataclasses import dataclass

from disclosure_audit.fields import DETAIL_FIELDS
from disclosure_audit.replica.corpus import Corpus
from disclosure_audit.replica.truth import truth_record
from disclosure_audit.store.crawl_store import ColumnRow, CrawlStore, DetailRow, ListRow

BASE = "http://127.0.0.1:8321"


@dataclass
class CorpusRows:
    corpus: Corpus
    lists: list[ListRow]
    details: list[DetailRow]


def corpus_rows(n: int, body: bool = True) -> CorpusRows:
    """The list entries and the detail rows of a corpus of n items."""
    corpus = Corpus(n, 0, 0)
    lists, details = [], []
    for cid in corpus.iter_ids():
        item = corpus.item(cid, body=body)
        rec = truth_record(corpus, item, BASE)
        org = item.org
        lists.append(
            ListRow(cid, org.organ_id, item.column.type, item.column.cat_id, rec["url"], rec["title"], None, False)
        )
        details.append(
            DetailRow(
                content_id=cid,
                fields={k: rec[k] for k in DETAIL_FIELDS},
                raw={**item.fields, "title": item.title},
                body_text="\n".join(item.body) if body else "",
                capture_id=None,
                etag=f'"{cid:x}"',
                last_modified="Mon, 02 Nov 2026 08:00:00 GMT",
                url=rec["url"],
            )
        )
    return CorpusRows(corpus, lists, details)


def record_lists(url: str, rows: CorpusRows, label: str = "bench") -> tuple[int, int]:
    """The listing phase of a full crawl (sites, orgs, columns, every list entry); (site_id, run_id).
    The run is left 'running', as it is when the detail phase starts."""
    with CrawlStore(url) as store:
        site_id = store.ensure_site(BASE)
        run_id = store.start_run(site_id, "full", [label])
        for o in rows.corpus.orgs:
            store.upsert_org(site_id, run_id, o.organ_id, o.name, f"{BASE}/public/column/{o.organ_id}")
            store.upsert_columns(
                site_id, run_id, [ColumnRow(o.organ_id, c.type, c.cat_id, c.name, {}) for c in o.columns]
            )
        for i in range(0, len(rows.lists), 5000):
            store.record_list_page(site_id, run_id, rows.lists[i : i + 5000])
    return site_id, run_id
