"""Link checks (附件与解读链接核验): do attachments and interpretation links resolve, is the PDF a PDF."""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import astuple, dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg2.extras

from disclosure_audit.http.client import CHALLENGE_STATUS, FetchResult, PoliteClient
from disclosure_audit.http.errors import ChallengeError, DisallowedByRobots, FetchError, OffSiteURL
from disclosure_audit.progress import Progress
from disclosure_audit.store.server import connect

log = logging.getLogger(__name__)

# Enough to see a PDF header (it must start within the first KiB) or an HTML error page.
SNIFF_BYTES = 64 * 1024
PDF_MAGIC = b"%PDF-"
# HEAD answers that do not tell what a GET would: the server refuses the method (405, 501; some WAFs
# say 403), or a 521 challenge the client could not pass without a body.
HEAD_REFUSED = frozenset({403, 405, 501, CHALLENGE_STATUS})
# Content types that say nothing about what the bytes are, so the body must be looked at.
GENERIC_TYPES = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/x-download", "application/force-download"}
)
OFF_SITE = "off-site"
BATCH = 50  # rows per commit: a check killed halfway keeps what it found, and the same-run cache skips it


@dataclass(frozen=True)
class LinkCheck:
    """The outcome of checking one URL (one row of qa.link_checks)."""

    url: str
    checked_at: datetime
    method: str | None  # HEAD, GET, cache, or None when not fetched
    status: int | None
    content_type: str | None
    bytes: int | None
    is_pdf: bool | None
    resolves: bool | None
    error: str | None


@dataclass
class LinkCheckSummary:
    """What one check_links call did: how many URLs, fetched or taken from a cache, and what they gave."""

    site_id: int
    run_id: int
    urls: int = 0  # distinct URLs of current items' attachments and links
    fetched: int = 0  # checked on the wire now
    cached_this_run: int = 0  # already checked in this run: nothing fetched, nothing written
    cached_recent: int = 0  # checked in an earlier run within max_age_hours: outcome copied, nothing fetched
    not_fetched: int = 0  # off-site, or refused by robots.txt: recorded as not judgeable
    resolves: int = 0  # of the URLs written now (fetched or copied)
    broken: int = 0
    unknown: int = 0
    requests: dict[str, int] = field(default_factory=dict)  # HEAD / GET requests asked of the client
    broken_urls: list[str] = field(default_factory=list)


def check_links(
    database_url: str,
    site_id: int,
    run_id: int,
    client: PoliteClient,
    *,
    max_age_hours: float = 0,
    show_progress: bool = False,
) -> LinkCheckSummary:
    """Check every attachment and interpretation/original link of the site's current items.

    Each distinct URL is checked once per run: one already checked in `run_id` is skipped. By default
    nothing is reused across runs, so a repaired or newly broken file shows the next morning; with
    `max_age_hours` > 0, a URL whose latest check (in an earlier run, that recent) got an HTTP answer
    gets that outcome copied into this run (method 'cache'). The rest go through `client` (robots.txt, rate
    limits, the challenge and retries all apply), HEAD first. Off-site URLs are never fetched.
    """
    summary = LinkCheckSummary(site_id=site_id, run_id=run_id)
    with contextlib.closing(connect(database_url)) as conn:
        urls = _current_urls(conn, site_id)
        summary.urls = len(urls)
        done = _checked_in_run(conn, site_id, run_id)
        recent = _recent_checks(conn, site_id, run_id, max_age_hours)
        todo: list[str] = []
        copied: list[LinkCheck] = []
        for url in urls:
            if url in done:
                summary.cached_this_run += 1
            elif url in recent:
                copied.append(recent[url])
                summary.cached_recent += 1
            else:
                todo.append(url)
        _count(summary, copied)
        _insert(conn, site_id, run_id, copied)

        requests: Counter[str] = Counter()
        progress = Progress("链接核验 links", len(todo), enabled=show_progress)
        batch: list[LinkCheck] = []
        for url in todo:
            check = check_url(client, url, requests)
            if check.method is None:
                summary.not_fetched += 1
            else:
                summary.fetched += 1
            batch.append(check)
            progress.advance()
            if len(batch) >= BATCH:
                _count(summary, batch)
                _insert(conn, site_id, run_id, batch)
                batch = []
        _count(summary, batch)
        _insert(conn, site_id, run_id, batch)
        progress.finish()
        summary.requests = dict(requests)
    log.info(
        "link checks of site %s run %s: %d URLs, %d fetched, %d cached in this run, %d from a recent run, "
        "%d not fetched; %d broken",
        site_id,
        run_id,
        summary.urls,
        summary.fetched,
        summary.cached_this_run,
        summary.cached_recent,
        summary.not_fetched,
        summary.broken,
    )
    return summary


def check_url(client: PoliteClient, url: str, requests: Counter[str] | None = None) -> LinkCheck:
    """Check one URL through the client: HEAD, then a capped GET when HEAD cannot tell."""
    requests = requests if requests is not None else Counter()
    now = datetime.now(UTC)

    def unjudged(error: str) -> LinkCheck:
        return LinkCheck(url, now, None, None, None, None, None, None, error)

    if not client.scope.allows(url):
        return unjudged(OFF_SITE)
    method = "HEAD"
    try:
        requests[method] += 1
        result = client.head(url)
        if not _head_decides(result):
            method = "GET"
            requests[method] += 1
            result = client.get(url, max_body=SNIFF_BYTES)
        return _outcome(url, result)
    except OffSiteURL as exc:  # a redirect off the site: where it leads is not ours to judge
        return unjudged(f"{OFF_SITE}: redirects to {exc.url}")
    except DisallowedByRobots as exc:
        return unjudged(f"robots.txt: {exc}")
    except ChallengeError as exc:  # the site answered, but not to us: nothing to judge the link by
        return unjudged(f"challenge: {exc.reason}")
    except FetchError as exc:  # no answer after every retry, a challenge that kept coming back ...
        return LinkCheck(url, now, method, exc.last_status, None, None, None, False, exc.reason)


def _head_decides(head: FetchResult) -> bool:
    """Whether a HEAD answer is the whole story, so no GET is needed."""
    if head.method != "HEAD":
        return True  # the client already fell back to GET itself (a challenge it passed that way)
    if head.status in HEAD_REFUSED:
        return False
    if head.status != 200:
        return True  # 404, 410, 500 ...: the URL does not resolve, whatever a GET would add
    return _media_type(head) not in GENERIC_TYPES


def _outcome(url: str, result: FetchResult) -> LinkCheck:
    resolves = result.status == 200
    media = _media_type(result)
    if not resolves:
        is_pdf = None
    elif result.method == "HEAD":
        is_pdf = media == "application/pdf"
    else:
        # The bytes decide, whatever the label says: a PDF header may follow a little junk (the
        # format allows it within the first KiB), and an HTML error page labelled PDF is not a PDF.
        is_pdf = PDF_MAGIC in result.body[:1024]
    return LinkCheck(
        url=url,
        checked_at=result.fetched_at,
        method=result.method,
        status=result.status,
        content_type=result.content_type or None,
        bytes=_size(result),
        is_pdf=is_pdf,
        resolves=resolves,
        error=None if resolves else f"HTTP {result.status}",
    )


def _media_type(result: FetchResult) -> str:
    return result.content_type.split(";", 1)[0].strip().lower()


def _size(result: FetchResult) -> int | None:
    if result.method == "GET" and not result.truncated:
        return len(result.body)
    declared = result.header("Content-Length")
    try:
        return int(declared) if declared is not None else None
    except ValueError:
        return None


# ------------------------------------------------------------------------------------ database
def _current_urls(conn, site_id: int) -> list[str]:
    """Distinct attachment and link URLs of the site's current items, in a stable order."""
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT url FROM (
                SELECT a.url FROM core.attachments a JOIN core.items i USING (item_id)
                WHERE i.site_id = %(site)s AND i.removed_at IS NULL AND i.version > 0
                UNION
                SELECT l.url FROM core.links l JOIN core.items i USING (item_id)
                WHERE i.site_id = %(site)s AND i.removed_at IS NULL AND i.version > 0
            ) u ORDER BY url
            """,
            {"site": site_id},
        )
        return [r[0] for r in cur.fetchall()]


def _checked_in_run(conn, site_id: int, run_id: int) -> set[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT DISTINCT url FROM qa.link_checks WHERE site_id = %s AND run_id = %s", (site_id, run_id))
        return {r[0] for r in cur.fetchall()}


def _recent_checks(conn, site_id: int, run_id: int, max_age_hours: float) -> dict[str, LinkCheck]:
    """The latest check of each URL from an earlier run, if recent and answered by the site.

    Errors (no answer, robots.txt, off-site) are not reused: they are checked again.
    """
    if max_age_hours <= 0:
        return {}
    since = datetime.now(UTC) - timedelta(hours=max_age_hours)
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT url, checked_at, status, content_type, bytes, is_pdf, resolves, error
            FROM qa.link_status
            WHERE site_id = %s AND run_id <> %s AND checked_at >= %s AND status IS NOT NULL
              AND method IS NOT NULL
            """,
            (site_id, run_id, since),
        )
        return {
            url: LinkCheck(url, at, "cache", status, ctype, size, is_pdf, resolves, error)
            for url, at, status, ctype, size, is_pdf, resolves, error in cur.fetchall()
        }


def _insert(conn, site_id: int, run_id: int, checks: Iterable[LinkCheck]) -> None:
    rows = [(site_id, run_id, *astuple(c)) for c in checks]
    if not rows:
        return
    with conn, conn.cursor() as cur:
        psycopg2.extras.execute_values(
            cur,
            "INSERT INTO qa.link_checks (site_id, run_id, url, checked_at, method, status, content_type, bytes, "
            "is_pdf, resolves, error) VALUES %s",
            rows,
        )


def _count(summary: LinkCheckSummary, checks: Iterable[LinkCheck]) -> None:
    for c in checks:
        if c.resolves is None:
            summary.unknown += 1
        elif c.resolves:
            summary.resolves += 1
        else:
            summary.broken += 1
            summary.broken_urls.append(c.url)


__all__ = ["LinkCheck", "LinkCheckSummary", "check_links", "check_url"]
