"""One crawl of a disclosure platform into Postgres, through its site profile: discover, list, fetch, load.

The crawl core knows no platform: a site profile (disclosure_audit.sites) says where organisations and
columns are, how a list request is built and how pages are read. The core fetches, archives, records
and never confuses "could not read" with "nothing there":

- every list answer is classified by the profile (a list, a known empty marker, or unrecognised); an
  unrecognised answer is a column error with its capture id, and the column is not marked complete;
- one bad entry (off-site, disallowed by robots.txt, redirected away, a failed challenge, an unreadable
  or doubtfully decoded page) is an error of that entry only: recorded, skipped, fetched again next run,
  and never a version of the item;
- a run with any such error ends `degraded`, not `succeeded`.

The crawl is two-phased and resumable: list pages are recorded first (new or changed entries are
marked as needing their detail page), then pending detail pages are fetched and merged in batches.
Each step commits on its own, so a crawl killed at any point and run again converges on the same data.
Incremental runs stop paging a column at the first page holding only known, unchanged entries (once
the column has been paged to its end); `full` runs page everything and re-verify every item with
conditional GETs, which also finds removed items.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.http.capture import CaptureWriter
from disclosure_audit.http.client import PoliteClient
from disclosure_audit.http.errors import ChallengeError, ClientError, DisallowedByRobots, OffSiteURL
from disclosure_audit.parse.listing import EMPTY, UNRECOGNISED
from disclosure_audit.progress import Progress
from disclosure_audit.sites import (
    LIBRARY,
    ColumnRef,
    ListRequest,
    OrgRef,
    Page,
    Problem,
    SiteProfile,
    SiteSettings,
    Unreadable,
    make_profile,
)
from disclosure_audit.store.crawl_store import (
    ColumnRow,
    ColumnRun,
    CrawlStore,
    DetailBatch,
    DetailRow,
    ErrorRow,
    LibraryRow,
    ListRow,
    PendingDetail,
)

log = logging.getLogger(__name__)

GONE = (404, 410)
MAX_PAGES_PER_COLUMN = 10_000  # a safety stop if a site's pager never ends


@dataclass
class CrawlConfig:
    """What to crawl and how politely. Rates are per host; tests against the replica raise them."""

    site: str
    orgs: list[str]
    database_url: str
    data_dir: Path
    full: bool = False
    requests_per_second: float = 1.0
    max_in_flight_per_host: int = 2
    retry_attempts: int = 5
    retry_wait_seconds: float = 1.0
    detail_batch: int = 100
    show_progress: bool = True
    profile: str = "lonsun"
    settings: SiteSettings = field(default_factory=SiteSettings)


@dataclass
class CrawlSummary:
    run_id: int
    status: str
    counters: dict = field(default_factory=dict)
    server_date: datetime | None = None
    errors: list[dict] = field(default_factory=list)  # what could not be read, as stored in core.crawl_errors


def _kind_of(exc: Exception) -> str:
    """The crawl_errors kind of a client error."""
    if isinstance(exc, OffSiteURL):
        return "redirected_away" if exc.via else "off_site"
    if isinstance(exc, DisallowedByRobots):
        return "disallowed"
    if isinstance(exc, ChallengeError):
        return "challenge_failed"
    return "fetch_failed"  # FetchError, and any other client error


class _Crawl:
    def __init__(
        self,
        config: CrawlConfig,
        profile: SiteProfile,
        store: CrawlStore,
        client: PoliteClient,
        writer: CaptureWriter,
        site_id: int,
        run_id: int,
    ) -> None:
        self.c = config
        self.profile = profile
        self.store = store
        self.client = client
        self.writer = writer
        self.site_id = site_id
        self.run_id = run_id
        self.counters: Counter = Counter()
        self.server_date: datetime | None = None
        self.errors: list[ErrorRow] = []  # as recorded, for the summary
        self.clean_columns: list[tuple[int, int, int]] = []  # read to their end without a warning
        self.listed: dict[tuple[int, int, int], date | None] = {}  # readable columns: oldest date read
        self.library_types: set[int] = set()  # the column types the profile lists libraries under
        self.unknown_labels: set[str] = set()  # metadata labels no field owns, reported once a run
        self.sightings: dict[int, list[tuple[tuple[int, int, int], int | None]]] = {}
        self.unreadable_columns: list[str] = []
        self.columns_seen = 0

    # ---------------------------------------------------------------- fetching
    def get(self, url: str, etag: str | None = None, last_modified: str | None = None):
        result = self.client.get(url, etag=etag, last_modified=last_modified)
        if self.server_date is None and result.server_date is not None:
            self.server_date = result.server_date
        return result

    def fetch_page(self, url: str) -> Page:
        """Fetch a page the listing needs (index, shell, list) and archive it right away: its capture id
        is what an error about it will name."""
        try:
            result = self.get(url)
        finally:
            rows = self.writer.take_rows()
            ids = self.store.insert_captures(self.run_id, rows)
        self.counters["list_pages"] += 1
        return Page(
            url=url,
            final_url=result.final_url,
            status=result.status,
            body=result.body,
            content_type=result.headers.get("Content-Type"),
            capture_id=ids[-1] if ids else None,
            headers=dict(result.headers),
        )

    def error(self, row: ErrorRow) -> None:
        """Record something the run could not read (now, in its own transaction)."""
        self.store.record_errors(self.site_id, self.run_id, [row])
        self.errors.append(row)
        self.counters[f"errors_{row.kind}"] += 1
        log.warning("%s", row.message)

    def problem(self, problem: Problem, scope: str, org: OrgRef | None = None, column: ColumnRef | None = None,
                severity: str = "error", content_id: int | None = None) -> None:  # fmt: skip
        self.error(
            ErrorRow(
                scope=scope,
                kind=problem.kind,
                message=problem.message,
                severity=severity,
                org=org.name if org else None,
                organ_id=org.organ_id if org else None,
                type=column.type if column else None,
                cat_id=column.cat_id if column else None,
                column_name=column.name if column else None,
                content_id=content_id,
                url=problem.url,
                capture_id=problem.capture_id,
            )
        )

    # ---------------------------------------------------------------- discovery
    def discover(self) -> list[OrgRef]:
        return self.profile.discover(self.fetch_page, list(self.c.orgs))

    def columns_of(self, org: OrgRef) -> list[ColumnRef]:
        """The organisation's columns with their list requests; [] when its catalogue cannot be read."""
        self.store.upsert_org(self.site_id, self.run_id, org.organ_id, org.name, org.url)
        stored: dict[tuple[int, int], ListRequest] = {}
        if not self.c.full:  # a full run reads every shell again: the site may have changed its template
            for key, doc in self.store.stored_requests(self.site_id, org.organ_id).items():
                request = ListRequest.from_json(doc)
                if request is not None:
                    stored[key] = request
        try:
            columns = self.profile.columns(self.fetch_page, org, stored)
        except Unreadable as exc:
            self.problem(exc.problem, "org", org)
            return []
        except ClientError as exc:
            self.problem(Problem(_kind_of(exc), f"the catalogue of {org.name} could not be fetched: {exc}",
                                 org.url), "org", org)  # fmt: skip
            return []
        self.store.upsert_columns(self.site_id, self.run_id, [self._column_row(c) for c in columns])
        self.library_types.update(c.type for c in columns if c.role == LIBRARY)
        return columns

    @staticmethod
    def _column_row(col: ColumnRef) -> ColumnRow:
        fragment = col.request.to_json() if col.request is not None else {}
        if col.shell_url:
            fragment["shell_url"] = col.shell_url
        return ColumnRow(col.org.organ_id, col.type, col.cat_id, col.name, fragment)

    # ---------------------------------------------------------------- listing
    def list_column(self, col: ColumnRef) -> None:
        self.columns_seen += 1
        if col.problem is not None or col.request is None:
            self._unreadable(col, col.problem or Problem("parameter_unresolved", f"{col.label}: no list request"))
            return
        complete_before = self.store.column_complete(self.site_id, *col.key)
        paged = self._page_through(col, col.request, complete_before)
        if isinstance(paged, _Stopped) and col.request.how == "stored":
            # A stored request the site no longer answers: read the shell again, once.
            col = self.profile.reread(self.fetch_page, col)
            if col.problem is not None or col.request is None:
                self._unreadable(col, col.problem or Problem("parameter_unresolved", f"{col.label}: no request"))
                return
            self.store.upsert_columns(self.site_id, self.run_id, [self._column_row(col)])
            paged = self._page_through(col, col.request, complete_before)
        if isinstance(paged, _Stopped):
            self._unreadable(col, paged.problem, pages=paged.pages, entries=paged.entries)
            return
        self._finish_column(col, paged)

    def _page_through(self, col: ColumnRef, req: ListRequest, complete_before: bool) -> ColumnRun | _Stopped:
        """Page a column's list: how it was read, or where an answer could not be read."""
        first = req.first_page_index
        start = first if first is not None else 0
        page_count: int | None = None
        index = start
        seen: set[int] = set()
        pages = 0
        empty = False
        capture = None
        while index < start + MAX_PAGES_PER_COLUMN:
            url = req.url(index)
            try:
                page = self.fetch_page(url)
            except ClientError as exc:
                problem = Problem(_kind_of(exc), f"{col.label}: page {index} of its list could not be fetched: {exc}",
                                  url)  # fmt: skip
                return _Stopped(problem, pages, len(seen))
            listing = self.profile.read_list(page, col)
            self.counters["pages_read"] += 1
            if listing.kind == UNRECOGNISED:
                self.counters["unrecognised"] += 1
                problem = Problem(
                    "unrecognised_list",
                    f"{col.label}: the list answered something that is not a list and not the platform's empty "
                    f"marker ({listing.reason}); the column is not judged from it",
                    page.final_url,
                    page.capture_id,
                )
                return _Stopped(problem, pages, len(seen))
            pages += 1
            capture = page.capture_id
            if page_count is None:
                page_count = listing.page_count or 1
                empty = listing.kind == EMPTY
            entries = [e for e in self.profile.entries(listing) if e.content_id not in seen]
            seen.update(e.content_id for e in entries)
            status = self._record_entries(col, entries, page.capture_id)
            # the last page: page_count pages from the first index; when the first index is unknown
            # (0- or 1-based) one more page is asked for, de-duplicated by content id
            last = start + page_count - 1 + (1 if first is None else 0)
            if index >= last or (listing.kind == EMPTY and index > start):
                return ColumnRun(*col.key, "complete", pages, len(seen), page_count, empty, capture)
            if complete_before and not self.c.full and entries and all(s == "same" for s in status.values()):
                return ColumnRun(*col.key, "read", pages, len(seen), page_count, empty, capture)
            index += 1
        return ColumnRun(*col.key, "read", pages, len(seen), page_count, empty, capture)

    def _record_entries(self, col: ColumnRef, entries, capture_id: int | None) -> dict[int, str]:
        self.counters["list_entries"] += len(entries)
        if col.role == LIBRARY:
            rows = [
                LibraryRow(e.content_id, col.org.organ_id, col.tab or "", e.url, e.title, e.list_date) for e in entries
            ]
            home = self._column_row(col)
            self.counters["library_entries"] += len(rows)
            status = self.store.record_library_page(self.site_id, self.run_id, rows, home)
            for s in status.values():
                self.counters[f"library_{s}"] += 1
            return status
        refused: dict[int, tuple[str, ClientError]] = {}
        for e in entries:
            try:
                self.client.may_fetch(e.url)
            except ClientError as exc:
                refused[e.content_id] = (e.url, exc)
        rows = [
            ListRow(
                content_id=e.content_id,
                organ_id=col.org.organ_id,
                type=col.type,
                cat_id=col.cat_id,
                url=e.url,
                title=e.title,
                list_date=e.list_date,
                repealed=e.repealed,
                index_number=e.index_number,
                links=e.links,
                followable=e.content_id not in refused,
            )
            for e in entries
        ]
        status = self.store.record_list_page(self.site_id, self.run_id, rows)
        for cid, (url, exc) in refused.items():
            if status.get(cid) == "new":
                continue  # its detail fetch says so, in the detail stage
            message = (
                f"{col.label}: the list links item {cid} at {url}, which the crawl may not follow ({exc}); the "
                "item keeps its last good version and the URL it was read at"
            )
            self.problem(Problem(_kind_of(exc), message, url, capture_id), "entry", col.org, col, content_id=cid)
        for s in status.values():
            self.counters[f"list_{s}"] += 1
        oldest = self.listed.get(col.key)
        for e in entries:
            self.sightings.setdefault(e.content_id, []).append((col.key, capture_id))
            if e.list_date is not None and (oldest is None or e.list_date < oldest):
                oldest = e.list_date
        self.listed[col.key] = oldest
        return status

    def _finish_column(self, col: ColumnRef, outcome: ColumnRun) -> None:
        """Record how the column was read; a big drop in its entry count is a warning, and no removal is
        concluded from its list."""
        drop: tuple[str, int, int] | None = None  # (what, now, last time)
        before = self.store.previous_column_run(self.site_id, *col.key, self.run_id)
        if before is not None:
            prev_outcome, prev_entries, prev_pages = before
            if outcome.outcome == "complete" and prev_outcome == "complete" and prev_entries:
                drop = ("entries", outcome.entries, prev_entries)
            elif outcome.page_count and prev_pages and prev_pages >= 2:
                drop = ("pages", outcome.page_count, prev_pages)
        warned = drop is not None and (drop[2] - drop[1]) / drop[2] > self.profile.settings.max_count_drop
        if warned:
            what, now, then = drop  # type: ignore[misc]
            self.problem(
                Problem("count_drop", f"{col.label}: the list shows {now} {what}, {then} last time "
                        f"({(then - now) / then:.0%} fewer); no item is concluded removed from this list",
                        col.request.url(0) if col.request else None, outcome.capture_id),
                "column", col.org, col, severity="warning",
            )  # fmt: skip
        self.store.record_column_run(self.site_id, self.run_id, outcome)
        if outcome.outcome == "complete":
            self.store.mark_column_complete(self.site_id, self.run_id, *col.key)
            if not warned:
                self.clean_columns.append(col.key)
        if warned:
            self.listed.pop(col.key, None)

    def _unreadable(self, col: ColumnRef, problem: Problem, pages: int = 0, entries: int = 0) -> None:
        self.problem(problem, "column", col.org, col)
        self.unreadable_columns.append(col.label)
        self.listed.pop(col.key, None)
        self.store.record_column_run(
            self.site_id,
            self.run_id,
            ColumnRun(*col.key, "unreadable", pages, entries, None, False, problem.capture_id, problem.message),
        )

    def apply_moves(self) -> None:
        """Items the listing showed only under another column than their home: moved (a version, not a
        removal plus a new item). Judged only where the home column's listing reached the item's date."""
        if not self.sightings:
            return
        homes = self.store.homes(self.site_id, list(self.sightings))
        moves = []
        for cid, seen in self.sightings.items():
            home = homes.get(cid)
            if home is None:
                continue
            key = (home[0], home[1], home[2])
            columns = {k for k, _ in seen}
            if key in columns:
                continue
            if home[1] not in self.library_types:  # one homed in a library moves whenever a catalogue lists it
                if key not in self.listed:
                    continue  # its home column was not read in this run: nothing to conclude
                oldest = self.listed[key]
                complete = key in self.clean_columns
                if not complete and (oldest is None or home[4] is None or home[4] < oldest):
                    continue  # the pages read of its home column do not reach its date
            target, capture = seen[0]
            moves.append((cid, target, capture))
        self.counters["items_moved"] += self.store.apply_moves(self.site_id, self.run_id, moves)

    # ---------------------------------------------------------------- details
    def fetch_details(self, pending: list[PendingDetail], label: str) -> None:
        progress = Progress(label, len(pending), enabled=self.c.show_progress)
        batch = DetailBatch()
        origins = [h for h in self.profile.hosts() if "://" in h] or [self.profile.base]

        def flush() -> None:
            nonlocal batch
            if len(batch) or batch.captures or batch.errors:
                merged = self.store.flush_details(self.site_id, self.run_id, batch, origins)
                for k in ("new", "metadata", "content", "restored", "unchanged", "removed"):
                    self.counters[f"items_{k}"] += getattr(merged, k)
                self.counters["items_not_modified"] += len(batch.unchanged)
                self.errors.extend(batch.errors)
            batch = DetailBatch()

        for p in pending:
            self._detail(p, batch)
            progress.advance()
            if len(batch) >= self.c.detail_batch:
                flush()
        flush()
        progress.finish()

    def _entry_error(self, batch: DetailBatch, p: PendingDetail, kind: str, message: str, capture) -> None:
        batch.failed.append(p.content_id)
        batch.errors.append(
            ErrorRow(scope="entry", kind=kind, message=message, content_id=p.content_id, url=p.url, capture=capture)
        )
        self.counters[f"errors_{kind}"] += 1
        self.counters["detail_errors"] += 1
        log.warning("item %s (%s): %s", p.content_id, p.url, message)

    def _unknown_label(self, batch: DetailBatch, p: PendingDetail, label: str, capture) -> None:
        """A metadata label no field owns: a warning on the first page that shows it in this run (the
        others are counted), so the data team can name it in the site file."""
        self.counters["unknown_label_pages"] += 1
        if label in self.unknown_labels:
            return
        self.unknown_labels.add(label)
        message = (
            f"item {p.content_id}: its metadata shows the label {label}, which names no field the profile reads, "
            "so that value was not read (reported for the first page that shows it in this run); if it names "
            "one, add it under [labels] in the site file"
        )
        batch.errors.append(
            ErrorRow(scope="entry", kind="unknown_label", message=message, severity="warning",
                     content_id=p.content_id, url=p.url, capture=capture)  # fmt: skip
        )
        self.counters["errors_unknown_label"] += 1
        log.warning("%s", message)

    def _detail(self, p: PendingDetail, batch: DetailBatch) -> None:
        try:
            result = self.get(p.url, etag=p.etag, last_modified=p.last_modified)
        except ClientError as exc:
            got = self.writer.take_rows()
            batch.captures.extend(got)
            self._entry_error(batch, p, _kind_of(exc), str(exc), got[-1] if got else None)
            return
        got = self.writer.take_rows()
        batch.captures.extend(got)
        deciding = got[-1] if got else None
        self.counters["details_fetched"] += 1
        if result.not_modified or result.status == 304:
            batch.unchanged.append(p.content_id)
        elif result.status in GONE:
            batch.gone.append((p.content_id, deciding))
        elif result.status == 200:
            page = Page(p.url, result.final_url, 200, result.body, result.headers.get("Content-Type"), None)
            self.counters["pages_read"] += 1
            read = self.profile.read_detail(page)
            if read.problem is not None or read.record is None:
                self.counters["unrecognised"] += 1
                problem = read.problem or Problem("unreadable_detail", "nothing could be read")
                message = f"item {p.content_id}: {problem.message}; it keeps its last good version"
                self._entry_error(batch, p, problem.kind, message, deciding)
                return
            record = read.record
            for label in read.unknown_labels:
                self._unknown_label(batch, p, label, deciding)
            batch.rows.append(
                DetailRow(
                    content_id=p.content_id,
                    fields={k: v for k, v in record.items() if k != "raw"},
                    raw=record.get("raw", {}),
                    body_text=read.body_text,
                    capture_id=None,
                    # a page not read whole keeps no validators: the next run reads it again, not a 304
                    etag=None if read.unknown_labels else result.headers.get("ETag"),
                    last_modified=None if read.unknown_labels else result.headers.get("Last-Modified"),
                    capture=deciding,
                    url=result.final_url,
                )
            )
        else:
            self._entry_error(
                batch, p, "unexpected_status",
                f"expected the detail page to answer 200, 304 or 404, it answered HTTP {result.status}", deciding,
            )  # fmt: skip


@dataclass(frozen=True)
class _Stopped:
    """A column's listing stopped at an answer that could not be read."""

    problem: Problem
    pages: int
    entries: int


def _client_stats(client: PoliteClient) -> dict:
    stats = client.stats
    snapshot = stats() if callable(stats) else stats
    return {str(k): (dict(v) if isinstance(v, dict) else v) for k, v in dict(snapshot).items()}


def _health(job: _Crawl, http: dict) -> dict:
    """The run's availability counts (core.crawl_health)."""
    by_status = {int(k): v for k, v in (http.get("by_status") or {}).items()}
    errors = http.get("errors") or {}
    no_answer = sum(v for k, v in errors.items() if k in ("connection", "timeout", "truncated", "decoding"))
    failed = no_answer + sum(v for s, v in by_status.items() if s >= 500 and s != 521)
    return {
        "requests": http.get("requests", 0),
        "failed": failed,
        "pages_read": job.counters["pages_read"],
        "unrecognised": job.counters["unrecognised"],
        "challenge_failures": job.counters["errors_challenge_failed"],
        "columns": job.columns_seen,
        "unreadable_columns": len(job.unreadable_columns),
        "unreadable_column_names": job.unreadable_columns,
    }


def crawl(config: CrawlConfig, client_factory: Callable[..., PoliteClient] = PoliteClient) -> CrawlSummary:
    """Run one crawl; returns its summary (the run's counters are also in core.crawl_runs)."""
    profile = make_profile(config.profile, config.site, config.settings)
    base = profile.base
    rate = config.settings.rate or config.requests_per_second
    with CrawlStore(config.database_url) as store:
        site_id = store.ensure_site(base, list(config.settings.hosts), profile.audited)
        run_id = store.start_run(site_id, "full" if config.full else "incremental", config.orgs, profile.name)
        for gone in store.abandoned:
            log.warning("crawl run %s of this site had ended without finishing: closed as abandoned", gone)
        writer = CaptureWriter(config.data_dir, run_id)
        client = client_factory(
            profile.hosts(),
            recorder=writer.record,
            requests_per_second=rate,
            max_in_flight_per_host=config.max_in_flight_per_host,
            retry_attempts=config.retry_attempts,
            retry_wait_seconds=config.retry_wait_seconds,
        )
        job = _Crawl(config, profile, store, client, writer, site_id, run_id)
        status, error = "failed", None
        try:
            try:
                orgs = job.discover()
            except Unreadable as exc:
                job.problem(exc.problem, "site")
                raise
            organ_ids = []
            for org in orgs:
                organ_ids.append(org.organ_id)
                columns = job.columns_of(org)
                progress = Progress(f"列表 lists {org.name}", len(columns), enabled=config.show_progress)
                for col in columns:
                    job.list_column(col)
                    progress.advance()
                progress.finish()
            job.apply_moves()
            pending = store.pending_details(site_id, organ_ids, config.full)
            job.fetch_details(pending, "详情 details")
            if config.full:
                unseen = store.unseen_items(site_id, run_id, job.clean_columns)
                if unseen:
                    job.fetch_details(unseen, "核验 unlisted")
            status = "degraded" if job.errors else "succeeded"
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            writer.close()
            counters = dict(job.counters)
            counters["http"] = _client_stats(client)
            counters["captures"] = writer.records
            counters["capture_bytes"] = writer.bytes_written
            counters["unreadable_columns"] = job.unreadable_columns
            store.insert_captures(run_id, writer.take_rows())
            store.record_health(run_id, site_id, _health(job, counters["http"]))
            store.finish_run(run_id, status, counters, job.server_date, error)
        return CrawlSummary(
            run_id=run_id,
            status=status,
            counters=counters,
            server_date=job.server_date,
            errors=[_error_dict(e) for e in job.errors],
        )


def _error_dict(e: ErrorRow) -> dict:
    return {
        "scope": e.scope,
        "kind": e.kind,
        "severity": e.severity,
        "org": e.org,
        "column": e.column_name,
        "content_id": e.content_id,
        "url": e.url,
        "capture_id": e.capture_id,
        "message": e.message,
    }


class CrawlDegraded(DisclosureAuditError):
    """A crawl finished but could not read everything; raised by callers that must fail visibly."""

    def __init__(self, summary: CrawlSummary) -> None:
        self.summary = summary
        names = sorted({f"{e['org']}/{e['column']}" for e in summary.errors if e["column"]})
        items = sum(1 for e in summary.errors if e["scope"] == "entry")
        parts = []
        if names:
            parts.append(f"columns not read: {', '.join(names)}")
        if items:
            parts.append(f"{items} item page(s) not read")
        others = [e["message"] for e in summary.errors if e["scope"] in ("site", "org")]
        parts.extend(others)
        super().__init__(f"crawl run {summary.run_id} is degraded: " + "; ".join(parts or ["see core.crawl_errors"]))
