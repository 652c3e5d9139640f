"""Postgres side of a crawl: runs, organisations, columns, captures, list entries and detail merges.

Every write is set-based and idempotent: list pages are upserted by content id, detail pages are
COPYed into a staging table and merged, and a merge adds a version only when the item's fields or
body really changed. Each call is one transaction, taken under a per-site advisory lock so two
crawls of one site never interleave their merges.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Protocol

import psycopg2
import psycopg2.extras

from disclosure_audit.fields import DETAIL_FIELDS

# Normalized fields of a detail page, in the order of core.items' columns.
_FIELD_TYPES = {
    "written_date": "date",
    "publish_date": "date",
    "keywords": "text[]",
    "attachments": "text[]",
    "interpretation_urls": "text[]",
    "original_urls": "text[]",
}


@dataclass(frozen=True)
class ListRow:
    """One entry of a list page as the crawl saw it."""

    content_id: int
    organ_id: int
    type: int
    cat_id: int
    url: str
    title: str
    list_date: date | None
    repealed: bool
    index_number: str | None = None
    links: tuple[str, ...] = ()

    @property
    def signature(self) -> str:
        """What a list shows of an item: a change here means the detail page must be fetched again."""
        parts = [
            self.title,
            self.list_date.isoformat() if self.list_date else "",
            str(self.repealed),
            self.index_number or "",
            *self.links,
        ]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass
class DetailRow:
    """A parsed, normalized detail page ready to merge."""

    content_id: int
    fields: dict  # DETAIL_FIELDS -> normalized value (dates as ISO strings, lists as lists)
    raw: dict
    body_text: str
    capture_id: int | None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def body_sha256(self) -> str:
        return hashlib.sha256(self.body_text.encode("utf-8")).hexdigest()

    @property
    def fingerprint(self) -> str:
        doc = {"fields": {k: self.fields.get(k) for k in DETAIL_FIELDS}, "raw": self.raw}
        return hashlib.sha256(json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


class CaptureRow(Protocol):
    """Where one fetched response is archived (the capture store's rows have this shape)."""

    url: str
    fetched_at: datetime
    status: int
    content_type: str | None
    sha256: str
    bytes: int
    warc_file: str
    warc_offset: int
    warc_length: int
    server_date: datetime | None


_PENDING_COLUMNS = "item_id, content_id, url, etag, last_modified, version, needs_detail"  # PendingDetail's fields


@dataclass(frozen=True)
class PendingDetail:
    item_id: int
    content_id: int
    url: str
    etag: str | None
    last_modified: str | None
    version: int
    needs_detail: bool


@dataclass
class MergeCounts:
    new: int = 0
    metadata: int = 0
    content: int = 0
    restored: int = 0
    unchanged: int = 0
    unknown: list[int] = field(default_factory=list)


class CrawlStore:
    """Writes of one crawl, on one connection. Each method commits its own transaction."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg2.connect(url)
        self.conn.set_session(autocommit=False)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> CrawlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self, site_id: int | None = None):
        """A transaction; with a site, holding that site's advisory lock until commit."""
        store = self

        class _Tx:
            def __enter__(self):
                cur = store.conn.cursor()
                if site_id is not None:
                    cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (7301, site_id))
                return cur

            def __exit__(self, exc_type, exc, tb):
                if exc_type is None:
                    store.conn.commit()
                else:
                    store.conn.rollback()
                return False

        return _Tx()

    # ------------------------------------------------------------------ runs
    def ensure_site(self, base_url: str) -> int:
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO core.sites (base_url) VALUES (%s) ON CONFLICT (base_url) DO UPDATE "
                "SET base_url = EXCLUDED.base_url RETURNING site_id",
                (base_url,),
            )
            return cur.fetchone()[0]

    def start_run(self, site_id: int, mode: str, orgs: Sequence[str]) -> int:
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO core.crawl_runs (site_id, mode, orgs) VALUES (%s, %s, %s) RETURNING run_id",
                (site_id, mode, list(orgs)),
            )
            return cur.fetchone()[0]

    def finish_run(
        self, run_id: int, status: str, counters: dict, server_date: datetime | None, error: str | None = None
    ) -> None:
        with self._tx() as cur:
            cur.execute(
                "UPDATE core.crawl_runs SET finished_at = now(), status = %s, counters = %s, "
                "server_date = COALESCE(%s, server_date), error = %s WHERE run_id = %s",
                (status, json.dumps(counters, ensure_ascii=False), server_date, error, run_id),
            )

    def set_platform_site_id(self, site_id: int, platform_site_id: str) -> None:
        with self._tx() as cur:
            cur.execute("UPDATE core.sites SET platform_site_id = %s WHERE site_id = %s", (platform_site_id, site_id))

    # ------------------------------------------------------------------ layout
    def upsert_org(self, site_id: int, run_id: int, organ_id: int, name: str, url: str) -> None:
        with self._tx(site_id) as cur:
            cur.execute(
                "INSERT INTO core.orgs (site_id, organ_id, name, url, last_seen_run) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (site_id, organ_id) DO UPDATE SET name = EXCLUDED.name, url = EXCLUDED.url, "
                "last_seen_run = EXCLUDED.last_seen_run",
                (site_id, organ_id, name, url, run_id),
            )

    def upsert_columns(
        self, site_id: int, run_id: int, organ_id: int, columns: Iterable[tuple[int, int, str, dict]]
    ) -> None:
        """Columns as (type, cat_id, name, fragment parameters)."""
        rows = [(site_id, organ_id, t, c, n, json.dumps(f, ensure_ascii=False), run_id) for t, c, n, f in columns]
        with self._tx(site_id) as cur:
            psycopg2.extras.execute_values(
                cur,
                "INSERT INTO core.columns (site_id, organ_id, type, cat_id, name, fragment, last_seen_run) "
                "VALUES %s ON CONFLICT (site_id, organ_id, type, cat_id) DO UPDATE SET name = EXCLUDED.name, "
                "fragment = EXCLUDED.fragment, last_seen_run = EXCLUDED.last_seen_run",
                rows,
            )

    def column_complete(self, site_id: int, organ_id: int, type_: int, cat_id: int) -> bool:
        with self._tx() as cur:
            cur.execute(
                "SELECT listed_complete_run IS NOT NULL FROM core.columns "
                "WHERE site_id = %s AND organ_id = %s AND type = %s AND cat_id = %s",
                (site_id, organ_id, type_, cat_id),
            )
            row = cur.fetchone()
            return bool(row and row[0])

    def mark_column_complete(self, site_id: int, run_id: int, organ_id: int, type_: int, cat_id: int) -> None:
        with self._tx(site_id) as cur:
            cur.execute(
                "UPDATE core.columns SET listed_complete_run = %s "
                "WHERE site_id = %s AND organ_id = %s AND type = %s AND cat_id = %s",
                (run_id, site_id, organ_id, type_, cat_id),
            )

    # ------------------------------------------------------------------ captures
    def insert_captures(self, run_id: int, rows: Sequence[CaptureRow], cur=None) -> list[int]:
        """Insert capture rows, returning their ids in order."""
        if not rows:
            return []
        values = [
            (
                run_id,
                r.url,
                r.fetched_at,
                r.status,
                r.content_type,
                r.sha256,
                r.bytes,
                r.warc_file,
                r.warc_offset,
                r.warc_length,
                r.server_date,
            )
            for r in rows
        ]
        sql = (
            "INSERT INTO core.captures (run_id, url, fetched_at, status, content_type, sha256, bytes, warc_file, "
            "warc_offset, warc_length, server_date) VALUES %s RETURNING capture_id"
        )
        if cur is not None:
            out = psycopg2.extras.execute_values(cur, sql, values, fetch=True, page_size=len(values))
            return [r[0] for r in out]
        with self._tx() as c:
            out = psycopg2.extras.execute_values(c, sql, values, fetch=True, page_size=len(values))
            return [r[0] for r in out]

    # ------------------------------------------------------------------ listing
    def record_list_page(
        self, site_id: int, run_id: int, rows: Sequence[ListRow], captures: Sequence[CaptureRow] = ()
    ) -> dict[int, str]:
        """Upsert one list page; each entry's status: new, changed, restored or same.

        A new, changed or restored entry needs its detail page fetched; `same` entries keep
        whatever they needed before (a crawl killed before fetching a detail leaves it pending).
        """
        with self._tx(site_id) as cur:
            self.insert_captures(run_id, captures, cur)
            if not rows:
                return {}
            ids = [r.content_id for r in rows]
            cur.execute(
                "SELECT content_id, list_signature, removed_at IS NOT NULL FROM core.items "
                "WHERE site_id = %s AND content_id = ANY(%s)",
                (site_id, ids),
            )
            before = {cid: (sig, removed) for cid, sig, removed in cur.fetchall()}
            status = {}
            for r in rows:
                if r.content_id not in before:
                    status[r.content_id] = "new"
                elif before[r.content_id][1]:
                    status[r.content_id] = "restored"
                elif before[r.content_id][0] != r.signature:
                    status[r.content_id] = "changed"
                else:
                    status[r.content_id] = "same"
            values = [
                (
                    site_id,
                    r.content_id,
                    r.organ_id,
                    r.type,
                    r.cat_id,
                    r.url,
                    r.title,
                    r.list_date,
                    r.repealed,
                    r.index_number,
                    list(r.links),
                    r.signature,
                    status[r.content_id] != "same",
                    run_id,
                    run_id,
                )
                for r in rows
            ]
            psycopg2.extras.execute_values(
                cur,
                "INSERT INTO core.items (site_id, content_id, organ_id, type, cat_id, url, list_title, list_date, "
                "list_repealed, list_index_number, list_links, list_signature, needs_detail, first_seen_run, "
                "last_seen_run) VALUES %s ON CONFLICT (site_id, content_id) DO UPDATE SET "
                "organ_id = EXCLUDED.organ_id, type = EXCLUDED.type, cat_id = EXCLUDED.cat_id, url = EXCLUDED.url, "
                "list_title = EXCLUDED.list_title, list_date = EXCLUDED.list_date, "
                "list_repealed = EXCLUDED.list_repealed, list_index_number = EXCLUDED.list_index_number, "
                "list_links = EXCLUDED.list_links, list_signature = EXCLUDED.list_signature, "
                "needs_detail = core.items.needs_detail OR EXCLUDED.needs_detail, "
                "last_seen_run = EXCLUDED.last_seen_run",
                values,
            )
            return status

    # ------------------------------------------------------------------ details
    def pending_details(self, site_id: int, organ_ids: Sequence[int], full: bool) -> list[PendingDetail]:
        """Items whose detail page this run must fetch: new or changed in a list, flagged for
        re-verification, or — in a full run — every item not removed."""
        with self._tx() as cur:
            cur.execute(
                f"SELECT {_PENDING_COLUMNS} FROM core.items "
                "WHERE site_id = %s AND organ_id = ANY(%s) AND removed_at IS NULL "
                "AND (needs_detail OR reverify OR %s) ORDER BY content_id",
                (site_id, list(organ_ids), full),
            )
            return [PendingDetail(*row) for row in cur.fetchall()]

    def unseen_items(self, site_id: int, run_id: int, organ_ids: Sequence[int]) -> list[PendingDetail]:
        """Items of these organisations that this run's listings did not show (candidates for removal)."""
        with self._tx() as cur:
            cur.execute(
                f"SELECT {_PENDING_COLUMNS} FROM core.items "
                "WHERE site_id = %s AND organ_id = ANY(%s) AND removed_at IS NULL AND last_seen_run < %s "
                "ORDER BY content_id",
                (site_id, list(organ_ids), run_id),
            )
            return [PendingDetail(*row) for row in cur.fetchall()]

    def load_details(
        self,
        site_id: int,
        run_id: int,
        rows: Sequence[DetailRow],
        captures: Sequence[CaptureRow] = (),
        capture_index: Sequence[int | None] = (),
    ) -> MergeCounts:
        """Merge a batch of detail pages: COPY into staging, then one set-based merge.

        `capture_index[i]` is the position in `captures` of row i's page; the capture ids are
        assigned in the same transaction, so a crash leaves neither half.
        """
        counts = MergeCounts()
        with self._tx(site_id) as cur:
            ids = self.insert_captures(run_id, captures, cur)
            if not rows:
                return counts
            buf = io.StringIO()
            for i, r in enumerate(rows):
                ci = capture_index[i] if i < len(capture_index) else None
                doc = {
                    **{k: r.fields.get(k) for k in DETAIL_FIELDS},
                    "content_id": r.content_id,
                    "raw": r.raw,
                    "body_text": r.body_text,
                    "body_sha256": r.body_sha256,
                    "fingerprint": r.fingerprint,
                    "etag": r.etag,
                    "last_modified": r.last_modified,
                    "capture_id": ids[ci] if ci is not None else r.capture_id,
                }
                buf.write(_copy_text(json.dumps(doc, ensure_ascii=False, default=_json_default)) + "\n")
            buf.seek(0)
            cur.execute("CREATE TEMP TABLE stage_detail (doc jsonb) ON COMMIT DROP")
            cur.copy_expert("COPY stage_detail (doc) FROM STDIN", buf)
            cols = ", ".join(f"{k} {_FIELD_TYPES.get(k, 'text')}" for k in DETAIL_FIELDS)
            cur.execute(
                "CREATE TEMP TABLE s ON COMMIT DROP AS SELECT d.doc, x.* FROM stage_detail d, "
                f"jsonb_to_record(d.doc) AS x(content_id bigint, {cols}, raw jsonb, body_text text, "
                "body_sha256 text, fingerprint text, etag text, last_modified text, capture_id bigint)"
            )
            old_cols = ", ".join(f"i.{k} AS old_{k}" for k in DETAIL_FIELDS)
            cur.execute(
                f"CREATE TEMP TABLE p ON COMMIT DROP AS SELECT i.item_id, i.content_id, i.version, i.fingerprint, "
                f"i.body_sha256, i.removed_at, {old_cols} FROM core.items i JOIN s USING (content_id) "
                "WHERE i.site_id = %s",
                (site_id,),
            )
            cur.execute("SELECT s.content_id FROM s LEFT JOIN p USING (content_id) WHERE p.item_id IS NULL")
            counts.unknown = [r[0] for r in cur.fetchall()]
            changed = (
                "(p.version = 0 OR p.removed_at IS NOT NULL OR p.fingerprint IS DISTINCT FROM s.fingerprint "
                "OR p.body_sha256 IS DISTINCT FROM s.body_sha256)"
            )
            kind = (
                "CASE WHEN p.version = 0 THEN 'new' WHEN p.removed_at IS NOT NULL THEN 'restored' "
                "WHEN p.fingerprint IS DISTINCT FROM s.fingerprint THEN 'metadata' ELSE 'content' END"
            )
            diff = ", ".join(f"CASE WHEN p.old_{k} IS DISTINCT FROM s.{k} THEN '{k}' END" for k in DETAIL_FIELDS)
            cur.execute(
                "INSERT INTO core.item_versions (item_id, version, run_id, capture_id, change_kind, changed_fields, "
                f"fields, body_sha256) SELECT p.item_id, p.version + 1, %s, s.capture_id, {kind}, "
                f"array_remove(ARRAY[{diff}, CASE WHEN p.body_sha256 IS DISTINCT FROM s.body_sha256 "
                "THEN 'body' END], NULL), s.doc - 'body_text' - 'capture_id' - 'etag' - 'last_modified', "
                f"s.body_sha256 FROM s JOIN p USING (content_id) WHERE {changed} RETURNING change_kind",
                (run_id,),
            )
            for (k,) in cur.fetchall():
                setattr(counts, k, getattr(counts, k) + 1)
            sets = ", ".join(f"{k} = s.{k}" for k in DETAIL_FIELDS)
            cur.execute(
                f"UPDATE core.items i SET {sets}, raw = s.raw, body_text = s.body_text, "
                "body_sha256 = s.body_sha256, fingerprint = s.fingerprint, etag = s.etag, "
                "last_modified = s.last_modified, detail_capture_id = s.capture_id, needs_detail = false, "
                f"reverify = false, last_seen_run = %s, removed_at = NULL, removed_run = NULL, "
                f"version = p.version + CASE WHEN {changed} THEN 1 ELSE 0 END, "
                f"last_changed_at = CASE WHEN {changed} AND p.version > 0 THEN now() ELSE i.last_changed_at END "
                "FROM s JOIN p USING (content_id) WHERE i.item_id = p.item_id",
                (run_id,),
            )
            counts.unchanged = len(rows) - len(counts.unknown) - counts.new - counts.metadata - counts.content
            counts.unchanged -= counts.restored
            cur.execute("DELETE FROM core.attachments WHERE item_id IN (SELECT item_id FROM p)")
            cur.execute(
                "INSERT INTO core.attachments (item_id, position, url) SELECT p.item_id, a.n, a.url "
                "FROM s JOIN p USING (content_id), unnest(s.attachments) WITH ORDINALITY AS a(url, n)"
            )
            cur.execute("DELETE FROM core.links WHERE item_id IN (SELECT item_id FROM p)")
            cur.execute(
                "INSERT INTO core.links (item_id, kind, position, url, target_content_id) "
                "SELECT p.item_id, l.kind, l.n, l.url, substring(l.url from '/([0-9]{1,18})\\.html$')::bigint "
                "FROM s JOIN p USING (content_id), LATERAL ("
                "  SELECT 'interpretation' AS kind, u.url, u.n FROM unnest(s.interpretation_urls) "
                "    WITH ORDINALITY AS u(url, n)"
                "  UNION ALL SELECT 'original', u.url, u.n FROM unnest(s.original_urls) WITH ORDINALITY AS u(url, n)"
                ") l"
            )
        return counts

    def touch_unchanged(
        self, site_id: int, run_id: int, content_ids: Sequence[int], captures: Sequence[CaptureRow] = ()
    ) -> None:
        """Items whose detail answered 304 Not Modified: seen in this run, nothing pending."""
        with self._tx(site_id) as cur:
            self.insert_captures(run_id, captures, cur)
            if content_ids:
                cur.execute(
                    "UPDATE core.items SET last_seen_run = %s, needs_detail = false, reverify = false "
                    "WHERE site_id = %s AND content_id = ANY(%s)",
                    (run_id, site_id, list(content_ids)),
                )

    def mark_removed(
        self, site_id: int, run_id: int, content_ids: Sequence[int], captures: Sequence[CaptureRow] = ()
    ) -> int:
        """Items whose detail page is gone (404/410): closed with a `removed` version."""
        with self._tx(site_id) as cur:
            ids = self.insert_captures(run_id, captures, cur)
            if not content_ids:
                return 0
            cur.execute(
                "WITH gone AS (UPDATE core.items SET removed_at = now(), removed_run = %s, needs_detail = false, "
                "reverify = false, version = version + 1 WHERE site_id = %s AND content_id = ANY(%s) "
                "AND removed_at IS NULL RETURNING item_id, version) "
                "INSERT INTO core.item_versions (item_id, version, run_id, capture_id, change_kind, fields) "
                "SELECT item_id, version, %s, %s, 'removed', '{}'::jsonb FROM gone",
                (run_id, site_id, list(content_ids), run_id, ids[-1] if ids else None),
            )
            return cur.rowcount

    def flag_for_reverification(self, site_id: int, content_ids: Sequence[int]) -> None:
        """Ask the next crawl to fetch these items again (the checks flag items with open findings)."""
        with self._tx(site_id) as cur:
            cur.execute(
                "UPDATE core.items SET reverify = true WHERE site_id = %s AND content_id = ANY(%s)",
                (site_id, list(content_ids)),
            )


def _copy_text(line: str) -> str:
    """Escape a line for COPY's text format (JSON never holds raw tabs or newlines)."""
    return line.replace("\\", "\\\\")


def _json_default(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)  # type: ignore[arg-type]
    raise TypeError(f"cannot store {type(value).__name__} in JSON")
