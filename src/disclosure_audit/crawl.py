"""One crawl of a LonSun disclosure platform into Postgres: discover, list, fetch details, load.

The crawl is two-phased and resumable: list pages are recorded first (new or changed entries
are marked as needing their detail page), then pending detail pages are fetched and merged in
batches. Each step commits on its own, so a crawl killed at any point and run again converges
on the same data. Incremental runs stop paging a column at the first page holding only known,
unchanged entries (once the column has been paged to its end at least once); `full` runs page
everything and re-verify every item with conditional GETs, which also finds removed items.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode

from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.http.capture import CaptureRow, CaptureWriter
from disclosure_audit.http.client import FetchError, PoliteClient
from disclosure_audit.parse.decode import decode_html
from disclosure_audit.parse.detail import parse_detail
from disclosure_audit.parse.listing import parse_fragment, parse_index, parse_shell
from disclosure_audit.parse.normalize import normalize_item
from disclosure_audit.progress import Progress
from disclosure_audit.store.crawl_store import CrawlStore, DetailRow, ListRow, PendingDetail

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


@dataclass
class CrawlSummary:
    run_id: int
    status: str
    counters: dict = field(default_factory=dict)
    server_date: datetime | None = None


class _Crawl:
    def __init__(
        self,
        config: CrawlConfig,
        store: CrawlStore,
        client: PoliteClient,
        writer: CaptureWriter,
        site_id: int,
        run_id: int,
    ) -> None:
        self.c = config
        self.base = config.site.rstrip("/")
        self.store = store
        self.client = client
        self.writer = writer
        self.site_id = site_id
        self.run_id = run_id
        self.counters: Counter = Counter()
        self.server_date: datetime | None = None

    # ---------------------------------------------------------------- fetching
    def get(self, url: str, etag: str | None = None, last_modified: str | None = None):
        result = self.client.get(url, etag=etag, last_modified=last_modified)
        if self.server_date is None and result.server_date is not None:
            self.server_date = result.server_date
        return result

    def page(self, url: str) -> str:
        result = self.get(url)
        if result.status != 200:
            raise DisclosureAuditError(
                f"expected the page {url} to answer 200, but it answered {result.status} after "
                f"{result.attempts} attempt(s)"
            )
        self.counters["list_pages"] += 1
        return decode_html(result.body, result.headers.get("Content-Type"))

    # ---------------------------------------------------------------- discovery
    def discover(self) -> list:
        index_url = f"{self.base}/public/"
        orgs = parse_index(self.page(index_url), index_url)
        by_name = {o.name: o for o in orgs}
        missing = [n for n in self.c.orgs if n not in by_name]
        if missing:
            raise DisclosureAuditError(
                f"organisation(s) {', '.join(missing)} not found on {index_url}; it lists "
                f"{len(orgs)}: {', '.join(sorted(by_name)) or 'none'}"
            )
        self.store.insert_captures(self.run_id, self.writer.take_rows())
        return [by_name[n] for n in self.c.orgs]

    def columns_of(self, org) -> list[tuple[int, int, str, dict]]:
        """(type, cat_id, name, fragment parameters) of an organisation's type-4 columns and type-3 list."""
        self.store.upsert_org(self.site_id, self.run_id, org.organ_id, org.name, org.url)
        root = parse_shell(self.page(org.url), org.url)
        if root.site_id:
            self.store.set_platform_site_id(self.site_id, str(root.site_id))
        catalogue = [c for c in root.columns if c.type == 4 and c.cat_id is not None]
        if not catalogue:
            raise DisclosureAuditError(f"the catalogue page {org.url} of {org.name} lists no columns")
        out = []
        params = None
        for col in catalogue:
            if params is None:  # the list endpoint's parameters are the same for all columns of an org
                shell_url = self._shell_url(org.organ_id, 4, col.cat_id)
                params = parse_shell(self.page(shell_url), shell_url).fragment
                if params is None:
                    raise DisclosureAuditError(f"no list parameters (labelName/file) in the script of {shell_url}")
            out.append((4, col.cat_id, col.name, _fragment_dict(params, 4, col.cat_id)))
        report = next((c for c in root.columns if c.type == 3), None)
        if report is not None:
            shell_url = self._shell_url(org.organ_id, 3, None)
            rparams = parse_shell(self.page(shell_url), shell_url).fragment
            if rparams is not None:
                cat = rparams.cat_id or 0
                out.append((3, cat, report.name, _fragment_dict(rparams, 3, rparams.cat_id)))
        self.store.upsert_columns(self.site_id, self.run_id, org.organ_id, out)
        self.store.insert_captures(self.run_id, self.writer.take_rows())
        return out

    def _shell_url(self, organ_id: int, type_: int, cat_id: int | None) -> str:
        cat = f"&catId={cat_id}" if cat_id is not None else ""
        return f"{self.base}/public/column/{organ_id}?type={type_}{cat}&action=list"

    # ---------------------------------------------------------------- listing
    def list_column(self, organ_id: int, type_: int, cat_id: int, name: str, params: dict) -> None:
        complete_before = self.store.column_complete(self.site_id, organ_id, type_, cat_id)
        first = params.get("first_page_index")
        start = first if first is not None else 0
        page_count: int | None = None
        index = start
        seen: set[int] = set()
        reached_end = False
        while index < start + MAX_PAGES_PER_COLUMN:
            query = {k: v for k, v in params.items() if k not in ("path", "first_page_index") and v is not None}
            query.update(pageIndex=index, pageSize=params.get("pageSize", 15))
            url = f"{self.base}{params['path']}?{urlencode(query)}"
            listing = parse_fragment(self.page(url), url)
            if page_count is None:
                page_count = listing.page_count or 1
            rows = [
                ListRow(
                    content_id=e.content_id,
                    organ_id=organ_id,
                    type=type_,
                    cat_id=cat_id,
                    url=e.url,
                    title=e.title,
                    list_date=_as_date(e.date),
                    repealed=e.repealed,
                    index_number=e.index_number,
                    links=tuple(e.link_urls),
                )
                for e in listing.entries
                if e.content_id not in seen
            ]
            seen.update(r.content_id for r in rows)
            status = self.store.record_list_page(self.site_id, self.run_id, rows, self.writer.take_rows())
            self.counters["list_entries"] += len(rows)
            for s in status.values():
                self.counters[f"list_{s}"] += 1
            # the last page: page_count pages from the first index; when the first index is unknown
            # (0- or 1-based) one more page is asked for, de-duplicated by content id
            last = start + page_count - 1 + (1 if first is None else 0)
            if index >= last or (not listing.entries and index > start):
                reached_end = True
                break
            if complete_before and not self.c.full and rows and all(s == "same" for s in status.values()):
                break  # everything older was listed before and nothing here changed
            index += 1
        if reached_end:
            self.store.mark_column_complete(self.site_id, self.run_id, organ_id, type_, cat_id)
        log.debug("listed %s (%s/%s): %d entries", name, type_, cat_id, len(seen))

    # ---------------------------------------------------------------- details
    def fetch_details(self, pending: list[PendingDetail], label: str) -> None:
        progress = Progress(label, len(pending), enabled=self.c.show_progress)
        rows: list[DetailRow] = []
        captures: list[CaptureRow] = []
        index: list[int | None] = []
        gone: list[int] = []
        gone_captures: list[CaptureRow] = []
        unchanged: list[int] = []
        unchanged_captures: list[CaptureRow] = []

        def flush() -> None:
            nonlocal rows, captures, index, gone, gone_captures, unchanged, unchanged_captures
            if rows or captures:
                merged = self.store.load_details(self.site_id, self.run_id, rows, captures, index)
                for k in ("new", "metadata", "content", "restored", "unchanged"):
                    self.counters[f"items_{k}"] += getattr(merged, k)
            if unchanged or unchanged_captures:
                self.store.touch_unchanged(self.site_id, self.run_id, unchanged, unchanged_captures)
                self.counters["items_not_modified"] += len(unchanged)
            if gone or gone_captures:
                self.counters["items_removed"] += self.store.mark_removed(
                    self.site_id, self.run_id, gone, gone_captures
                )
            rows, captures, index, gone, gone_captures, unchanged, unchanged_captures = (
                [],
                [],
                [],
                [],
                [],
                [],
                [],
            )

        for p in pending:
            try:
                result = self.get(p.url, etag=p.etag, last_modified=p.last_modified)
            except FetchError as exc:
                self.counters["detail_errors"] += 1
                log.warning("detail %s not fetched: %s (it stays pending for the next run)", p.url, exc)
                captures.extend(self.writer.take_rows())
                progress.advance()
                continue
            got = self.writer.take_rows()
            self.counters["details_fetched"] += 1
            if result.not_modified or result.status == 304:
                unchanged.append(p.content_id)
                unchanged_captures.extend(got)
            elif result.status in GONE:
                gone.append(p.content_id)
                gone_captures.extend(got)
            elif result.status == 200:
                captures.extend(got)
                rows.append(self.detail_row(p, result))
                index.append(len(captures) - 1 if got else None)
            else:
                self.counters["detail_errors"] += 1
                captures.extend(got)
            progress.advance()
            if len(rows) + len(gone) + len(unchanged) >= self.c.detail_batch:
                flush()
        flush()
        progress.finish()

    def detail_row(self, p: PendingDetail, result) -> DetailRow:
        try:
            page = decode_html(result.body, result.headers.get("Content-Type"))
            parsed = parse_detail(page, result.url)
            item = normalize_item(parsed)
        except Exception as exc:  # a page we cannot read is kept, with what went wrong, never dropped
            self.counters["parse_errors"] += 1
            log.warning("cannot parse %s: %s", p.url, exc)
            return DetailRow(
                content_id=p.content_id,
                fields={},
                raw={"parse_error": str(exc)},
                body_text="",
                capture_id=None,
                etag=result.headers.get("ETag"),
                last_modified=result.headers.get("Last-Modified"),
            )
        fields = {k: v for k, v in item.items() if k != "raw"}
        return DetailRow(
            content_id=p.content_id,
            fields=fields,
            raw=item.get("raw", {}),
            body_text=getattr(parsed, "body_text", "") or "",
            capture_id=None,
            etag=result.headers.get("ETag"),
            last_modified=result.headers.get("Last-Modified"),
        )


def _fragment_dict(params, type_: int, cat_id: int | None) -> dict:
    """The list endpoint's query for one column (plus its path and first page index)."""
    return {
        "path": params.path,
        "labelName": params.label_name,
        "siteId": params.site_id,
        "organId": params.organ_id,
        "type": type_,
        "catId": cat_id if cat_id is not None else "",
        "file": params.file,
        "pageSize": params.page_size or 15,
        "first_page_index": params.first_page_index,
    }


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def crawl(config: CrawlConfig, client_factory: Callable[..., PoliteClient] = PoliteClient) -> CrawlSummary:
    """Run one crawl; returns its summary (the run's counters are also in core.crawl_runs)."""
    base = config.site.rstrip("/")
    with CrawlStore(config.database_url) as store:
        site_id = store.ensure_site(base)
        run_id = store.start_run(site_id, "full" if config.full else "incremental", config.orgs)
        writer = CaptureWriter(config.data_dir, run_id)
        client = client_factory(
            base,
            recorder=writer.record,
            requests_per_second=config.requests_per_second,
            max_in_flight_per_host=config.max_in_flight_per_host,
            retry_attempts=config.retry_attempts,
            retry_wait_seconds=config.retry_wait_seconds,
        )
        job = _Crawl(config, store, client, writer, site_id, run_id)
        status, error = "failed", None
        try:
            orgs = job.discover()
            organ_ids = []
            for org in orgs:
                organ_ids.append(org.organ_id)
                columns = job.columns_of(org)
                progress = Progress(f"列表 lists {org.name}", len(columns), enabled=config.show_progress)
                for type_, cat_id, name, params in columns:
                    job.list_column(org.organ_id, type_, cat_id, name, params)
                    progress.advance()
                progress.finish()
            pending = store.pending_details(site_id, organ_ids, config.full)
            job.fetch_details(pending, "详情 details")
            if config.full:
                unseen = store.unseen_items(site_id, run_id, organ_ids)
                if unseen:
                    job.fetch_details(unseen, "核验 unlisted")
            status = "partial" if job.counters["detail_errors"] else "succeeded"
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            writer.close()
            counters = dict(job.counters)
            counters["http"] = _client_stats(client)
            counters["captures"] = writer.records
            counters["capture_bytes"] = writer.bytes_written
            store.insert_captures(run_id, writer.take_rows())
            store.finish_run(run_id, status, counters, job.server_date, error)
        return CrawlSummary(run_id=run_id, status=status, counters=counters, server_date=job.server_date)


def _client_stats(client: PoliteClient) -> dict:
    stats = client.stats
    snapshot = stats() if callable(stats) else stats
    return {str(k): (dict(v) if isinstance(v, dict) else v) for k, v in dict(snapshot).items()}
