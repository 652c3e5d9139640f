"""Load: detail rows into Postgres, ours (CrawlStore.flush_details, as the crawl calls it: COPY into staging,
then set-based merges) against `executemany` upserts doing the same work, and against raw COPY of the same
rows into unindexed copies of the tables (the limit). Every run starts from its own copy of one database
that holds the listing phase (every item listed, no detail yet), so each side does the same first load.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Sequence

import psycopg2
from common import Row, ScratchDatabase, Section, interleave, profile_top, section, size
from corpus_rows import BASE, CorpusRows, corpus_rows, record_lists

from disclosure_audit.fields import DETAIL_FIELDS
from disclosure_audit.store.crawl_store import CrawlStore, DetailBatch, DetailRow

_ARRAYS = ("keywords", "attachments", "interpretation_urls", "original_urls")
_TARGET = re.compile(r"/([0-9]{1,18})\.html$")


def _batches(rows: Sequence[DetailRow], n: int):
    for i in range(0, len(rows), n):
        yield rows[i : i + n]


# ------------------------------------------------------------------------------------------ ours
def ours(url: str, site_id: int, run_id: int, rows: Sequence[DetailRow], batch: int) -> float:
    """Seconds for the crawl's detail-phase writes of every row, `batch` rows per transaction."""
    with CrawlStore(url) as store:
        start = time.perf_counter()
        for chunk in _batches(rows, batch):
            merged = store.flush_details(site_id, run_id, DetailBatch(rows=list(chunk)), [BASE])
            assert merged.new == len(chunk), merged
        return time.perf_counter() - start


# ------------------------------------------------------------------------------------ executemany
_FIELD_SQL = ", ".join(DETAIL_FIELDS)
_ITEM_UPSERT = (
    "INSERT INTO core.items (site_id, content_id, organ_id, type, cat_id, url, list_signature, first_seen_run, "
    f"last_seen_run, {_FIELD_SQL}, raw, body_text, body_sha256, fingerprint, etag, last_modified, needs_detail, "
    f"version) VALUES (%s, %s, 0, 0, 0, %s, '', %s, %s, {', '.join(['%s'] * len(DETAIL_FIELDS))}, %s, %s, %s, %s, "
    "%s, %s, false, 1) ON CONFLICT (site_id, content_id) DO UPDATE SET "
    + ", ".join(f"{k} = EXCLUDED.{k}" for k in DETAIL_FIELDS)
    + ", raw = EXCLUDED.raw, body_text = EXCLUDED.body_text, body_sha256 = EXCLUDED.body_sha256, "
    "fingerprint = EXCLUDED.fingerprint, etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified, "
    "needs_detail = false, reverify = false, last_seen_run = EXCLUDED.last_seen_run, removed_at = NULL, "
    "version = core.items.version + 1, last_changed_at = CASE WHEN core.items.version > 0 THEN now() "
    "ELSE core.items.last_changed_at END"
)
_ITEM_ID = "(SELECT item_id FROM core.items WHERE site_id = %s AND content_id = %s)"
_VERSION_INSERT = (
    "INSERT INTO core.item_versions (item_id, version, run_id, change_kind, changed_fields, fields, body_sha256) "
    "SELECT item_id, version, %s, 'new', %s, %s, %s FROM core.items WHERE site_id = %s AND content_id = %s "
    "ON CONFLICT (item_id, version) DO NOTHING"
)
_ATTACHMENT_UPSERT = (
    f"INSERT INTO core.attachments (item_id, position, url) VALUES ({_ITEM_ID}, %s, %s) "
    "ON CONFLICT (item_id, position) DO UPDATE SET url = EXCLUDED.url"
)
_ATTACHMENT_TRIM = f"DELETE FROM core.attachments WHERE item_id = {_ITEM_ID} AND position > %s"
_LINK_UPSERT = (
    f"INSERT INTO core.links (item_id, kind, position, url, target_content_id) VALUES ({_ITEM_ID}, %s, %s, %s, %s) "
    "ON CONFLICT (item_id, kind, position) DO UPDATE SET url = EXCLUDED.url, "
    "target_content_id = EXCLUDED.target_content_id"
)
_LINK_TRIM = f"DELETE FROM core.links WHERE item_id = {_ITEM_ID} AND kind = %s AND position > %s"
_URL_UPSERT = (
    "INSERT INTO core.item_urls (site_id, url, content_id, first_seen_run, last_seen_run) VALUES (%s, %s, %s, %s, %s) "
    "ON CONFLICT (site_id, url) DO UPDATE SET content_id = EXCLUDED.content_id, last_seen_run = EXCLUDED.last_seen_run"
)


def _target(url: str) -> int | None:
    m = _TARGET.search(url)
    return int(m.group(1)) if m and url.startswith(BASE + "/") else None


def executemany(url: str, site_id: int, run_id: int, rows: Sequence[DetailRow], batch: int) -> float:
    """Seconds for the same writes as psycopg2 `executemany` upserts, a user's first loader: per row its
    item, its first version, its attachments and links (stale positions trimmed) and its URL; one
    transaction per batch."""
    conn = psycopg2.connect(url)
    try:
        start = time.perf_counter()
        for chunk in _batches(rows, batch):
            items, versions, atts, att_trim, links, link_trim, urls = [], [], [], [], [], [], []
            for r in chunk:
                f = r.fields
                fingerprint, body_sha = r.fingerprint, r.body_sha256
                raw = json.dumps(r.raw, ensure_ascii=False)
                items.append(
                    (
                        site_id,
                        r.content_id,
                        r.url,
                        run_id,
                        run_id,
                        *(f.get(k) for k in DETAIL_FIELDS),
                        raw,
                        r.body_text,
                        body_sha,
                        fingerprint,
                        r.etag,
                        r.last_modified,
                    )
                )
                doc = {**{k: f.get(k) for k in DETAIL_FIELDS}, "content_id": r.content_id, "raw": r.raw,
                       "body_sha256": body_sha, "fingerprint": fingerprint}  # fmt: skip
                changed = [k for k in DETAIL_FIELDS if f.get(k) not in (None, [])] + ["body"]
                versions.append((run_id, changed, json.dumps(doc, ensure_ascii=False), body_sha, site_id, r.content_id))
                key = (site_id, r.content_id)
                attachments = f.get("attachments") or []
                atts += [(*key, n, a) for n, a in enumerate(attachments, 1)]
                att_trim.append((*key, len(attachments)))
                for kind in ("interpretation", "original"):
                    found = f.get(f"{kind}_urls") or []
                    links += [(*key, kind, n, u, _target(u)) for n, u in enumerate(found, 1)]
                    link_trim.append((*key, kind, len(found)))
                urls.append((site_id, r.url, r.content_id, run_id, run_id))
            with conn, conn.cursor() as cur:
                cur.executemany(_ITEM_UPSERT, items)
                cur.executemany(_VERSION_INSERT, versions)
                cur.executemany(_ATTACHMENT_UPSERT, atts)
                cur.executemany(_ATTACHMENT_TRIM, att_trim)
                cur.executemany(_LINK_UPSERT, links)
                cur.executemany(_LINK_TRIM, link_trim)
                cur.executemany(_URL_UPSERT, urls)
        return time.perf_counter() - start
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------- COPY
_COPY_TABLES = {
    "items": ["item_id", "site_id", "content_id", "organ_id", "type", "cat_id", "url", "list_signature",
              "first_seen_run", "last_seen_run", *DETAIL_FIELDS, "raw", "body_text", "body_sha256", "fingerprint",
              "etag", "last_modified", "needs_detail", "version"],
    "item_versions": ["item_id", "version", "run_id", "change_kind", "changed_fields", "fields", "body_sha256"],
    "attachments": ["item_id", "position", "url"],
    "links": ["item_id", "kind", "position", "url", "target_content_id"],
    "item_urls": ["site_id", "url", "content_id", "first_seen_run", "last_seen_run"],
}  # fmt: skip


def prepare_copy_tables(url: str) -> None:
    """Unindexed copies of the tables: their columns only (no key, index, constraint or default)."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA bench_copy")
        for table in _COPY_TABLES:
            cur.execute(f"CREATE TABLE bench_copy.{table} AS SELECT * FROM core.{table} WITH NO DATA")
    conn.close()


def _array(values: Sequence[str] | None) -> str:
    if not values:
        return "{}"
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


class _Writer:
    """CSV rows for COPY, None written as \\N (so an empty string stays an empty string)."""

    def __init__(self, buf: io.StringIO) -> None:
        self.w = csv.writer(buf, lineterminator="\n")

    def writerow(self, values: Sequence[object]) -> None:
        self.w.writerow(["\\N" if v is None else v for v in values])


def raw_copy(url: str, site_id: int, run_id: int, rows: Sequence[DetailRow], batch: int) -> float:
    """Seconds to COPY the same rows (formatted from the same Python objects) into the unindexed copies,
    one COPY per table and one transaction per batch: no lookup, no merge, no constraint to check."""
    conn = psycopg2.connect(url)
    try:
        start = time.perf_counter()
        for chunk in _batches(rows, batch):
            bufs = {t: io.StringIO() for t in _COPY_TABLES}
            w = {t: _Writer(b) for t, b in bufs.items()}
            for r in chunk:
                f = r.fields
                item_id = r.content_id  # the copies have no sequence: the content id stands in
                values = [_array(f.get(k)) if k in _ARRAYS else f.get(k) for k in DETAIL_FIELDS]
                body_sha, fingerprint = r.body_sha256, r.fingerprint
                w["items"].writerow(
                    [
                        item_id,
                        site_id,
                        r.content_id,
                        0,
                        0,
                        0,
                        r.url,
                        "",
                        run_id,
                        run_id,
                        *values,
                        json.dumps(r.raw, ensure_ascii=False),
                        r.body_text,
                        body_sha,
                        fingerprint,
                        r.etag,
                        r.last_modified,
                        "f",
                        1,
                    ]
                )
                doc = {**{k: f.get(k) for k in DETAIL_FIELDS}, "content_id": r.content_id, "raw": r.raw,
                       "body_sha256": body_sha, "fingerprint": fingerprint}  # fmt: skip
                changed = [k for k in DETAIL_FIELDS if f.get(k) not in (None, [])] + ["body"]
                w["item_versions"].writerow(
                    [item_id, 1, run_id, "new", _array(changed), json.dumps(doc, ensure_ascii=False), body_sha]
                )
                for n, a in enumerate(f.get("attachments") or [], 1):
                    w["attachments"].writerow([item_id, n, a])
                for kind in ("interpretation", "original"):
                    for n, u in enumerate(f.get(f"{kind}_urls") or [], 1):
                        w["links"].writerow([item_id, kind, n, u, _target(u)])
                w["item_urls"].writerow([site_id, r.url, r.content_id, run_id, run_id])
            with conn, conn.cursor() as cur:
                for table, buf in bufs.items():
                    buf.seek(0)
                    cols = ", ".join(_COPY_TABLES[table])
                    cur.copy_expert(f"COPY bench_copy.{table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)
        return time.perf_counter() - start
    finally:
        conn.close()


def _counts(url: str, schema: str) -> tuple[int, ...]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        out = []
        for table in ("item_versions", "attachments", "links"):
            cur.execute(f"SELECT count(*) FROM {schema}.{table}")
            out.append(cur.fetchone()[0])
    conn.close()
    return tuple(out)


# -------------------------------------------------------------------------------------------- run
def run() -> Section:
    n = size("load_rows", 50_000, 5_000)
    runs = size("load_runs", 3, 3)
    rows: CorpusRows = corpus_rows(n)
    details = rows.details
    with section(f"Load: {n:,} detail rows") as s, ScratchDatabase() as template:
        site_id, run_id = record_lists(template.url, rows)
        prepare_copy_tables(template.url)
        with psycopg2.connect(template.url) as conn, conn.cursor() as cur:
            cur.execute("ANALYZE")
        conn.close()
        expected: dict[str, tuple[int, ...]] = {}

        def side(fn, schema: str, batch: int):
            def one() -> float:
                with template.clone() as url:
                    seconds = fn(url, site_id, run_id, details, batch)
                    got = _counts(url, schema)
                    # every side wrote the same number of versions, attachments and links
                    assert expected.setdefault(f"{batch}", got) == got, (fn.__name__, got, expected)
                return n / seconds

            return one

        for batch in (100, 1000):
            got = interleave(
                {
                    "ours": side(ours, "core", batch),
                    "executemany": side(executemany, "core", batch),
                    "COPY": side(raw_copy, "bench_copy", batch),
                },
                runs,
            )
            s.rows.append(
                Row(
                    f"rows/s, batches of {batch:,}: ours vs executemany upserts (same work)",
                    "rows/s",
                    got["ours"],
                    got["executemany"],
                    "executemany",
                    target=5.0,
                    target_text="≥ 5×",
                )
            )
            s.rows.append(
                Row(
                    f"rows/s, batches of {batch:,}: ours vs raw COPY into unindexed tables",
                    "rows/s",
                    got["ours"],
                    got["COPY"],
                    "raw COPY",
                    target=0.40,
                    target_text="≥ 40 %",
                )
            )
        with template.clone() as url:
            steps = {
                "flush_details": "flush_details (all of it)",
                "copy_expert": "COPY into staging (client side + server)",
                "execute": "cursor.execute (merge statements: server time)",
                "execute_values": "execute_values (item URLs)",
                "fingerprint": "DetailRow.fingerprint (JSON + sha256)",
                "body_sha256": "DetailRow.body_sha256",
                "dumps": "json.dumps",
            }
            profile = profile_top(lambda: ours(url, site_id, run_id, details, 1000), steps)
        s.notes.append("where ours spends its time (batches of 1,000): " + " · ".join(profile))
        versions, attachments, links = expected["1000"]
        s.notes.append(
            f"{n:,} detail rows of the replica corpus (mean body {sum(len(d.body_text) for d in details) / n:,.0f} "
            f"characters) → {versions:,} versions, {attachments:,} attachments, {links:,} links, {n:,} item URLs "
            "per run, the same counts asserted on every side. Each run loads into its own copy (CREATE DATABASE … "
            "TEMPLATE) of a database holding the listing phase (all items listed, version 0), made before timing; "
            "sides interleaved ours, executemany, COPY. Ours = CrawlStore.flush_details with the batch's rows (no "
            "captures: the WARC side is not in this figure), one transaction per batch. executemany = psycopg2 "
            "cursor.executemany of INSERT … ON CONFLICT DO UPDATE per table (items, versions, attachments, links, "
            "item URLs, plus trims of stale positions), same fingerprints and hashes computed in Python. Raw COPY "
            "= CSV built from the same rows and COPYed into column-only copies of the five tables (CREATE TABLE … "
            "AS … WITH NO DATA: no key, index or constraint); the CSV formatting is timed too."
        )
    return s
