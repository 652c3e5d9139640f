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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import psycopg2
import psycopg2.extras
from psycopg2 import sql as pgsql

from disclosure_audit.errors import DisclosureAuditError
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
    # False when the crawl may not follow `url` (another host, robots.txt): an item read before then
    # keeps the URL it was read at, and its next detail fetch goes there
    followable: bool = True

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
    """A parsed, normalized detail page ready to merge, with the capture that showed it."""

    content_id: int
    fields: dict  # DETAIL_FIELDS -> normalized value (dates as ISO strings, lists as lists)
    raw: dict
    body_text: str
    capture_id: int | None
    etag: str | None = None
    last_modified: str | None = None
    capture: Any = None  # the CaptureRow of the page, when its id is assigned in the same batch
    url: str | None = None  # the URL that answered (it may be a department host's)

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
    elapsed_ms: int | None


@dataclass(frozen=True)
class ColumnRow:
    """A column as the crawl found it, with the list request it will use (JSON)."""

    organ_id: int
    type: int
    cat_id: int
    name: str
    fragment: Mapping[str, Any]


@dataclass(frozen=True)
class LibraryRow:
    """One entry of the 行政规范性文件库 (type 6): a document and the tab that lists it."""

    content_id: int
    organ_id: int
    tab: str
    url: str
    title: str
    list_date: date | None


@dataclass
class ErrorRow:
    """Something a run could not read (core.crawl_errors); `capture` may be a CaptureRow of the batch."""

    scope: str  # site, org, column, entry
    kind: str
    message: str
    severity: str = "error"
    org: str | None = None
    organ_id: int | None = None
    type: int | None = None
    cat_id: int | None = None
    column_name: str | None = None
    content_id: int | None = None
    url: str | None = None
    capture_id: int | None = None
    capture: Any = None


@dataclass(frozen=True)
class ColumnRun:
    """How one run read one column's list (core.column_runs)."""

    organ_id: int
    type: int
    cat_id: int
    outcome: str  # complete, read, unreadable
    pages: int = 0
    entries: int = 0
    page_count: int | None = None
    empty: bool = False
    capture_id: int | None = None
    error: str | None = None


@dataclass
class DetailBatch:
    """One batch of the detail phase, written in one transaction: captures first, then what they show."""

    captures: list = field(default_factory=list)
    rows: list[DetailRow] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    gone: list[tuple[int, Any]] = field(default_factory=list)  # (content id, its CaptureRow)
    errors: list[ErrorRow] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # content ids to fetch again next run

    def __len__(self) -> int:
        return len(self.rows) + len(self.unchanged) + len(self.gone) + len(self.failed)


# The advisory-lock class of crawl runs: a live crawl holds (_RUN_LOCK, its run id) for its session.
_RUN_LOCK = 0x6372_6177  # "craw"


def _lock_key(run_id: int) -> int:
    return run_id % 2_147_483_647


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
    removed: int = 0
    unknown: list[int] = field(default_factory=list)


class CrawlStore:
    """Writes of one crawl, on one connection. Each method commits its own transaction."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg2.connect(url)
        self.abandoned: list[int] = []  # runs start_run found left 'running' by a process now gone
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
    def ensure_site(self, base_url: str, hosts: Sequence[str] = (), audited: bool = True) -> int:
        """The site's id; its further hosts are remembered for the link checks, and whether the rules
        judge it (a disclosure platform) or not (a source to compare with)."""
        with self._tx() as cur:
            cur.execute("SELECT audited FROM core.sites WHERE base_url = %s", (base_url,))
            known = cur.fetchone()
            if known is not None and known[0] != audited:
                was, now = ("a disclosure platform", "a source to compare with")[:: 1 if known[0] else -1]
                raise DisclosureAuditError(
                    f"{base_url} is already in the database as {was}; crawling it as {now} would change what the "
                    "rules judge there. Give the other source its own base URL (another host name)."
                )
            cur.execute(
                "INSERT INTO core.sites (base_url, hosts, audited) VALUES (%s, %s, %s) ON CONFLICT (base_url) "
                "DO UPDATE SET hosts = EXCLUDED.hosts, audited = EXCLUDED.audited RETURNING site_id",
                (base_url, list(hosts), audited),
            )
            return cur.fetchone()[0]

    def start_run(self, site_id: int, mode: str, orgs: Sequence[str], profile: str = "lonsun") -> int:
        """A new run of the site, held by this connection (a session advisory lock on its id) until it
        closes. Runs of the site still 'running' whose lock nobody holds were left by a process that
        ended without finishing: they are closed as 'abandoned' first (`self.abandoned` lists them)."""
        with self._tx() as cur:
            cur.execute("SELECT run_id, started_at FROM core.crawl_runs WHERE site_id = %s AND status = 'running' "
                        "ORDER BY run_id", (site_id,))  # fmt: skip
            for run_id, started_at in cur.fetchall():
                cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (_RUN_LOCK, _lock_key(run_id)))
                if not cur.fetchone()[0]:
                    continue  # its crawl is alive (another process holds it)
                cur.execute(
                    "UPDATE core.crawl_runs SET status = 'abandoned', finished_at = now(), error = %s "
                    "WHERE run_id = %s AND status = 'running'",
                    (f"abandoned: the crawl started at {started_at:%Y-%m-%d %H:%M:%S %Z} ended without finishing "
                     "(its process was killed or lost); found by the next crawl of the site", run_id),
                )  # fmt: skip
                cur.execute("SELECT pg_advisory_unlock(%s, %s)", (_RUN_LOCK, _lock_key(run_id)))
                self.abandoned.append(run_id)
            cur.execute(
                "INSERT INTO core.crawl_runs (site_id, mode, orgs, profile) VALUES (%s, %s, %s, %s) RETURNING run_id",
                (site_id, mode, list(orgs), profile),
            )
            run_id = cur.fetchone()[0]
            cur.execute("SELECT pg_advisory_lock(%s, %s)", (_RUN_LOCK, _lock_key(run_id)))
            return run_id

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

    def upsert_columns(self, site_id: int, run_id: int, columns: Iterable[ColumnRow]) -> None:
        """Columns as found in this run, with the list requests they will use."""
        rows = [
            (site_id, c.organ_id, c.type, c.cat_id, c.name, json.dumps(dict(c.fragment), ensure_ascii=False), run_id)
            for c in columns
        ]
        if not rows:
            return
        with self._tx(site_id) as cur:
            psycopg2.extras.execute_values(
                cur,
                "INSERT INTO core.columns (site_id, organ_id, type, cat_id, name, fragment, last_seen_run) "
                "VALUES %s ON CONFLICT (site_id, organ_id, type, cat_id) DO UPDATE SET name = EXCLUDED.name, "
                "fragment = EXCLUDED.fragment, last_seen_run = EXCLUDED.last_seen_run",
                rows,
            )

    def stored_requests(self, site_id: int, organ_id: int) -> dict[tuple[int, int], dict]:
        """The list requests earlier runs read for an organisation's columns: {(type, cat_id): fragment}."""
        with self._tx() as cur:
            cur.execute(
                "SELECT type, cat_id, fragment FROM core.columns WHERE site_id = %s AND organ_id = %s",
                (site_id, organ_id),
            )
            return {(t, c): f for t, c, f in cur.fetchall() if f}

    def previous_column_run(self, site_id: int, organ_id: int, type_: int, cat_id: int, run_id: int):
        """(outcome, entries, page_count) of the latest earlier run that read this column, or None."""
        with self._tx() as cur:
            cur.execute(
                "SELECT outcome, entries, page_count FROM core.column_runs WHERE site_id = %s AND organ_id = %s "
                "AND type = %s AND cat_id = %s AND run_id < %s AND outcome <> 'unreadable' "
                "ORDER BY run_id DESC LIMIT 1",
                (site_id, organ_id, type_, cat_id, run_id),
            )
            return cur.fetchone()

    def record_column_run(self, site_id: int, run_id: int, outcome: ColumnRun) -> None:
        with self._tx(site_id) as cur:
            cur.execute(
                "INSERT INTO core.column_runs (run_id, site_id, organ_id, type, cat_id, outcome, pages, entries, "
                "page_count, empty, capture_id, error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (run_id, site_id, organ_id, type, cat_id) DO UPDATE SET outcome = EXCLUDED.outcome, "
                "pages = EXCLUDED.pages, entries = EXCLUDED.entries, page_count = EXCLUDED.page_count, "
                "empty = EXCLUDED.empty, capture_id = EXCLUDED.capture_id, error = EXCLUDED.error",
                (run_id, site_id, outcome.organ_id, outcome.type, outcome.cat_id, outcome.outcome, outcome.pages,
                 outcome.entries, outcome.page_count, outcome.empty, outcome.capture_id, outcome.error),
            )  # fmt: skip

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
                getattr(r, "elapsed_ms", None),
            )
            for r in rows
        ]
        sql = (
            "INSERT INTO core.captures (run_id, url, fetched_at, status, content_type, sha256, bytes, warc_file, "
            "warc_offset, warc_length, server_date, elapsed_ms) VALUES %s RETURNING capture_id"
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
        An item keeps its home column here: a listing elsewhere is a move only when the whole
        listing says so (`apply_moves`), never because one list shows it too.
        """
        with self._tx(site_id) as cur:
            self.insert_captures(run_id, captures, cur)
            if not rows:
                return {}
            ids = [r.content_id for r in rows]
            cur.execute(
                "SELECT content_id, list_signature, removed_at IS NOT NULL, type FROM core.items "
                "WHERE site_id = %s AND content_id = ANY(%s)",
                (site_id, ids),
            )
            before = {cid: (sig, removed, type_) for cid, sig, removed, type_ in cur.fetchall()}
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
            unfollowable = sorted({r.url for r in rows if not r.followable})
            # quoted by psycopg2; % doubled, as execute_values reads the statement as a format string
            kept = pgsql.Literal(unfollowable).as_string(cur).replace("%", "%%")
            statement = (
                "INSERT INTO core.items (site_id, content_id, organ_id, type, cat_id, url, list_title, list_date, "
                "list_repealed, list_index_number, list_links, list_signature, needs_detail, first_seen_run, "
                "last_seen_run) VALUES %s ON CONFLICT (site_id, content_id) DO UPDATE SET "
                f"url = CASE WHEN core.items.version > 0 AND EXCLUDED.url = ANY({kept}::text[]) "
                "THEN core.items.url ELSE EXCLUDED.url END, "
                "list_title = EXCLUDED.list_title, list_date = EXCLUDED.list_date, "
                "list_repealed = EXCLUDED.list_repealed, list_index_number = EXCLUDED.list_index_number, "
                "list_links = EXCLUDED.list_links, list_signature = EXCLUDED.list_signature, "
                "needs_detail = core.items.needs_detail OR EXCLUDED.needs_detail, "
                "last_seen_run = EXCLUDED.last_seen_run"
            )
            psycopg2.extras.execute_values(cur, statement, values)
            self._record_urls(cur, site_id, run_id, [(r.url, r.content_id) for r in rows])
            return status

    def record_library_page(
        self, site_id: int, run_id: int, rows: Sequence[LibraryRow], home: ColumnRow | None = None
    ) -> dict[int, str]:
        """Record the library's entries; each one's status: new (or listed under another tab than before)
        or same. A document the catalogue does not list yet gets `home` (the library tab) as its column
        until a catalogue list shows it."""
        if not rows:
            return {}
        with self._tx(site_id) as cur:
            cur.execute(
                "SELECT content_id, tab FROM core.library_entries WHERE site_id = %s AND content_id = ANY(%s)",
                (site_id, [r.content_id for r in rows]),
            )
            before = dict(cur.fetchall())
            status = {r.content_id: "same" if before.get(r.content_id) == r.tab else "new" for r in rows}
            psycopg2.extras.execute_values(
                cur,
                "INSERT INTO core.library_entries (site_id, content_id, organ_id, tab, url, title, first_seen_run, "
                "last_seen_run) VALUES %s ON CONFLICT (site_id, content_id) DO UPDATE SET tab = EXCLUDED.tab, "
                "url = EXCLUDED.url, title = EXCLUDED.title, organ_id = EXCLUDED.organ_id, "
                "last_seen_run = EXCLUDED.last_seen_run",
                [(site_id, r.content_id, r.organ_id, r.tab, r.url, r.title, run_id, run_id) for r in rows],
            )
            if home is not None:
                signature = hashlib.sha256(b"library").hexdigest()
                psycopg2.extras.execute_values(
                    cur,
                    "INSERT INTO core.items (site_id, content_id, organ_id, type, cat_id, url, list_title, list_date, "
                    "list_signature, needs_detail, first_seen_run, last_seen_run) VALUES %s "
                    "ON CONFLICT (site_id, content_id) DO UPDATE SET last_seen_run = EXCLUDED.last_seen_run "
                    "WHERE core.items.type = EXCLUDED.type",
                    [(site_id, r.content_id, home.organ_id, home.type, home.cat_id, r.url, r.title, r.list_date,
                      signature, True, run_id, run_id) for r in rows],  # fmt: skip
                )
            self._record_urls(cur, site_id, run_id, [(r.url, r.content_id) for r in rows])
            return status

    def _record_urls(self, cur, site_id: int, run_id: int, pairs: Sequence[tuple[str, int]]) -> None:
        """Remember every URL an item is known by (the city host and department hosts serve one item)."""
        unique = {url: cid for url, cid in pairs if url}
        if not unique:
            return
        psycopg2.extras.execute_values(
            cur,
            "INSERT INTO core.item_urls (site_id, url, content_id, first_seen_run, last_seen_run) VALUES %s "
            "ON CONFLICT (site_id, url) DO UPDATE SET content_id = EXCLUDED.content_id, "
            "last_seen_run = EXCLUDED.last_seen_run",
            [(site_id, url, cid, run_id, run_id) for url, cid in sorted(unique.items())],
        )

    def record_urls(self, site_id: int, run_id: int, pairs: Sequence[tuple[str, int]]) -> None:
        with self._tx(site_id) as cur:
            self._record_urls(cur, site_id, run_id, pairs)

    def homes(self, site_id: int, content_ids: Sequence[int]) -> dict[int, tuple[int, int, int, int, date | None]]:
        """Each item's home column and state: {content id: (organ_id, type, cat_id, version, list_date)}."""
        with self._tx() as cur:
            cur.execute(
                "SELECT content_id, organ_id, type, cat_id, version, list_date FROM core.items "
                "WHERE site_id = %s AND content_id = ANY(%s) AND removed_at IS NULL",
                (site_id, list(content_ids)),
            )
            return {row[0]: tuple(row[1:]) for row in cur.fetchall()}  # type: ignore[misc]

    def apply_moves(
        self, site_id: int, run_id: int, moves: Sequence[tuple[int, tuple[int, int, int], int | None]]
    ) -> int:
        """Re-home items the listing shows under another column: (content id, (organ, type, cat), list capture).

        An item with a version gets a `moved` version naming both columns, backed by the list page that
        showed it in its new column, and its detail page is fetched again; an item homed only in the
        library (type 6) or never loaded just changes column. Returns the number of `moved` versions.
        """
        if not moves:
            return 0
        with self._tx(site_id) as cur:
            cur.execute("CREATE TEMP TABLE mv (content_id bigint, organ_id bigint, type int, cat_id bigint, "
                        "capture_id bigint) ON COMMIT DROP")  # fmt: skip
            psycopg2.extras.execute_values(
                cur, "INSERT INTO mv VALUES %s", [(cid, *col, cap) for cid, col, cap in moves]
            )
            cur.execute(
                "WITH m AS (SELECT i.item_id, i.version, i.organ_id AS o0, i.type AS t0, i.cat_id AS c0, "
                "  c0.name AS n0, mv.organ_id, mv.type, mv.cat_id, c1.name AS n1, mv.capture_id, "
                "  to_jsonb(i) - 'body_text' - 'raw' AS cur "
                "  FROM core.items i JOIN mv ON mv.content_id = i.content_id "
                "  LEFT JOIN core.columns c0 ON c0.site_id = i.site_id AND c0.organ_id = i.organ_id "
                "    AND c0.type = i.type AND c0.cat_id = i.cat_id "
                "  LEFT JOIN core.columns c1 ON c1.site_id = i.site_id AND c1.organ_id = mv.organ_id "
                "    AND c1.type = mv.type AND c1.cat_id = mv.cat_id "
                "  WHERE i.site_id = %s AND i.version > 0 AND i.type <> 6), "
                "v AS (INSERT INTO core.item_versions (item_id, version, run_id, capture_id, change_kind, "
                "  changed_fields, fields) SELECT item_id, version + 1, %s, capture_id, 'moved', ARRAY['column'], "
                "  jsonb_build_object('from', jsonb_build_object('organ_id', o0, 'type', t0, 'cat_id', c0, "
                "  'column', n0), 'to', jsonb_build_object('organ_id', organ_id, 'type', type, 'cat_id', cat_id, "
                "  'column', n1)) FROM m RETURNING item_id) "
                "UPDATE core.items i SET version = i.version + 1, last_changed_at = now() FROM v "
                "WHERE i.item_id = v.item_id",
                (site_id, run_id),
            )
            moved = cur.rowcount
            cur.execute(
                "UPDATE core.items i SET organ_id = mv.organ_id, type = mv.type, cat_id = mv.cat_id, "
                "needs_detail = true FROM mv WHERE i.site_id = %s AND i.content_id = mv.content_id",
                (site_id,),
            )
            return moved

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

    def unseen_items(
        self, site_id: int, run_id: int, columns: Sequence[tuple[int, int, int]]
    ) -> list[PendingDetail]:
        """Items homed in these columns (read to their end in this run) that no list of this run showed:
        candidates for removal, which only their own detail page can confirm."""
        if not columns:
            return []
        with self._tx() as cur:
            cur.execute(
                f"SELECT {_PENDING_COLUMNS} FROM core.items i "
                "JOIN unnest(%s::bigint[], %s::int[], %s::bigint[]) AS c(organ_id, type, cat_id) "
                "ON c.organ_id = i.organ_id AND c.type = i.type AND c.cat_id = i.cat_id "
                "WHERE i.site_id = %s AND i.removed_at IS NULL AND i.last_seen_run < %s ORDER BY i.content_id",
                ([c[0] for c in columns], [c[1] for c in columns], [c[2] for c in columns], site_id, run_id),
            )
            return [PendingDetail(*row) for row in cur.fetchall()]

    def record_errors(self, site_id: int, run_id: int, errors: Sequence[ErrorRow], cur=None, ids=None) -> None:
        """Write what the run could not read; `ids` maps a batch's CaptureRow objects to their ids."""
        if not errors:
            return
        for e in errors:
            if e.capture_id is None and e.capture is not None and ids:
                e.capture_id = ids.get(id(e.capture))
        values = [
            (run_id, site_id, e.scope, e.kind, e.severity, e.org, e.organ_id, e.type, e.cat_id, e.column_name,
             e.content_id, e.url, e.capture_id, e.message)
            for e in errors
        ]  # fmt: skip
        sql = (
            "INSERT INTO core.crawl_errors (run_id, site_id, scope, kind, severity, org, organ_id, type, cat_id, "
            "column_name, content_id, url, capture_id, message) VALUES %s"
        )
        if cur is not None:
            psycopg2.extras.execute_values(cur, sql, values)
            return
        with self._tx(site_id) as c:
            psycopg2.extras.execute_values(c, sql, values)

    def record_health(self, run_id: int, site_id: int, health: Mapping[str, Any]) -> None:
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO core.crawl_health (run_id, site_id, requests, failed, pages_read, unrecognised, "
                "challenge_failures, columns, unreadable_columns, unreadable_column_names) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (run_id) DO UPDATE SET "
                "requests = EXCLUDED.requests, failed = EXCLUDED.failed, pages_read = EXCLUDED.pages_read, "
                "unrecognised = EXCLUDED.unrecognised, challenge_failures = EXCLUDED.challenge_failures, "
                "columns = EXCLUDED.columns, unreadable_columns = EXCLUDED.unreadable_columns, "
                "unreadable_column_names = EXCLUDED.unreadable_column_names",
                (run_id, site_id, health.get("requests", 0), health.get("failed", 0), health.get("pages_read", 0),
                 health.get("unrecognised", 0), health.get("challenge_failures", 0), health.get("columns", 0),
                 health.get("unreadable_columns", 0), list(health.get("unreadable_column_names", []))),
            )  # fmt: skip

    def flush_details(self, site_id: int, run_id: int, batch: DetailBatch, origins: Sequence[str] = ()) -> MergeCounts:
        """Write one batch of the detail phase in one transaction: its captures, the merged pages, the
        304s, the removals, and the pages that could not be read (kept pending for the next run)."""
        with self._tx(site_id) as cur:
            ids = dict(zip((id(c) for c in batch.captures), self.insert_captures(run_id, batch.captures, cur),
                           strict=True))  # fmt: skip
            for row in batch.rows:
                if row.capture is not None:
                    row.capture_id = ids.get(id(row.capture), row.capture_id)
            counts = self._merge(cur, site_id, run_id, batch.rows, origins) if batch.rows else MergeCounts()
            if batch.unchanged:
                cur.execute(
                    "UPDATE core.items SET last_seen_run = %s, needs_detail = false, reverify = false "
                    "WHERE site_id = %s AND content_id = ANY(%s)",
                    (run_id, site_id, list(batch.unchanged)),
                )
            for cid, capture in batch.gone:
                counts.removed += self._mark_removed(cur, site_id, run_id, [cid], ids.get(id(capture)))
            if batch.failed:
                cur.execute(
                    "UPDATE core.items SET needs_detail = true WHERE site_id = %s AND content_id = ANY(%s)",
                    (site_id, list(batch.failed)),
                )
            self.record_errors(site_id, run_id, batch.errors, cur, ids)
            self._record_urls(cur, site_id, run_id, [(r.url or "", r.content_id) for r in batch.rows])
            return counts

    def load_details(self, site_id: int, run_id: int, rows: Sequence[DetailRow]) -> MergeCounts:
        """Merge a batch of detail pages whose capture ids are known, in one transaction."""
        with self._tx(site_id) as cur:
            return self._merge(cur, site_id, run_id, rows)

    def _merge(
        self, cur, site_id: int, run_id: int, rows: Sequence[DetailRow], origins: Sequence[str] = ()
    ) -> MergeCounts:
        """COPY a batch of detail pages into staging, then merge it in a few set-based statements.

        A link gets a target content id only when it points at one of the site's `origins` (an
        interpretation on another site is a different item, whatever number its URL ends with).
        """
        counts = MergeCounts()
        buf = io.StringIO()
        for r in rows:
            doc = {
                **{k: r.fields.get(k) for k in DETAIL_FIELDS},
                "content_id": r.content_id,
                "raw": r.raw,
                "body_text": r.body_text,
                "body_sha256": r.body_sha256,
                "fingerprint": r.fingerprint,
                "etag": r.etag,
                "last_modified": r.last_modified,
                "capture_id": r.capture_id,
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
            "SELECT p.item_id, l.kind, l.n, l.url, CASE WHEN cardinality(%s::text[]) = 0 OR "
            "l.url LIKE ANY (%s::text[]) THEN substring(l.url from '/([0-9]{1,18})\\.html$')::bigint END "
            "FROM s JOIN p USING (content_id), LATERAL ("
            "  SELECT 'interpretation' AS kind, u.url, u.n FROM unnest(s.interpretation_urls) "
            "    WITH ORDINALITY AS u(url, n)"
            "  UNION ALL SELECT 'original', u.url, u.n FROM unnest(s.original_urls) WITH ORDINALITY AS u(url, n)"
            ") l",
            ([_like(o) for o in origins], [_like(o) for o in origins]),
        )
        return counts

    def _mark_removed(self, cur, site_id: int, run_id: int, content_ids: Sequence[int], capture_id: int | None) -> int:
        """Items whose detail page is gone (404/410): closed with a `removed` version."""
        cur.execute(
            "WITH gone AS (UPDATE core.items SET removed_at = now(), removed_run = %s, needs_detail = false, "
            "reverify = false, version = version + 1 WHERE site_id = %s AND content_id = ANY(%s) "
            "AND removed_at IS NULL RETURNING item_id, version) "
            "INSERT INTO core.item_versions (item_id, version, run_id, capture_id, change_kind, fields) "
            "SELECT item_id, version, %s, %s, 'removed', '{}'::jsonb FROM gone",
            (run_id, site_id, list(content_ids), run_id, capture_id),
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


def _like(origin: str) -> str:
    """A LIKE pattern matching every URL under a site origin (its own % and _ escaped)."""
    base = origin.rstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return base + "/%"
