"""The polite HTTP client: robots.txt, per-host rate limits, the 加速乐 challenge, conditional GET, retry."""

from __future__ import annotations

import logging
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from types import TracebackType
from typing import TypedDict
from urllib.parse import urldefrag, urljoin, urlsplit

import requests
from protego import Protego

from disclosure_audit import __version__
from disclosure_audit.http.errors import (
    ChallengeError,
    DisallowedByRobots,
    FetchError,
    OffSiteURL,
    ResponseTooLarge,
)
from disclosure_audit.http.waf import solve_challenge

logger = logging.getLogger(__name__)

USER_AGENT = (
    f"disclosure-audit/{__version__} (+https://github.com/disclosure-audit; government information disclosure audit)"
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Transient by nature; any other status is the site's answer and goes back to the caller.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 521})
CHALLENGE_STATUS = 521
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


# --------------------------------------------------------------------------------------------- results
class Headers(dict[str, str]):
    """Response headers as the server spelled them, looked up case-insensitively (`get`, `[]`, `in`)."""

    def _key(self, name: object) -> object:
        if isinstance(name, str) and not super().__contains__(name):
            wanted = name.lower()
            return next((k for k in self.keys() if k.lower() == wanted), name)
        return name

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(self._key(name))  # type: ignore[arg-type]

    def __contains__(self, name: object) -> bool:
        return super().__contains__(self._key(name))

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(self._key(name), default)  # type: ignore[arg-type]


@dataclass(frozen=True)
class FetchResult:
    """One HTTP response: what was asked, what came back, and when."""

    url: str  # the URL asked for
    final_url: str  # the URL that answered, after redirects
    status: int
    headers: Headers  # a dict; get/[]/in ignore case
    body: bytes
    elapsed: float  # seconds; for get() the whole call, waits, retries and redirects included
    fetched_at: datetime  # timezone-aware UTC, when the request was sent
    server_date: datetime | None  # the response's Date header, timezone-aware, or None
    not_modified: bool = False  # a 304 answer to a conditional GET
    attempts: int = 1  # requests sent for this fetch, retries, challenge rounds and redirects included
    request_headers: dict[str, str] = field(default_factory=dict)  # as sent, Cookie included
    method: str = "GET"  # GET, or HEAD (whose body is always empty)
    truncated: bool = False  # the body is only the first `max_body` bytes the caller asked for

    def header(self, name: str, default: str | None = None) -> str | None:
        """A response header by case-insensitive name."""
        return Headers(self.headers).get(name, default)

    @property
    def content_type(self) -> str:
        return self.header("Content-Type", "") or ""

    def text(self, default_encoding: str = "utf-8") -> str:
        """The body decoded with the Content-Type charset (else `default_encoding`), errors replaced."""
        match = _CHARSET.search(self.content_type)
        encoding = match.group(1) if match else default_encoding
        try:
            return self.body.decode(encoding, errors="replace")
        except LookupError:
            return self.body.decode(default_encoding, errors="replace")


class ClientStats(TypedDict):
    """A snapshot of the client's counters (a plain dict, ready for JSON)."""

    requests: int  # requests sent on the wire, robots.txt, retries and challenge rounds included
    by_status: dict[int, int]
    bytes: int  # body bytes received
    retries: int
    challenge_solves: int
    waited_seconds: float  # rate-limit, Retry-After and backoff sleeps
    robots_refused: int
    errors: dict[str, int]  # by kind: connection, timeout, truncated, decoding, too_large, gave_up, ...


class _Counters:
    """Thread-safe counters behind PoliteClient.stats."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._by_status: dict[int, int] = {}
        self._bytes = 0
        self._retries = 0
        self._solves = 0
        self._waited = 0.0
        self._robots_refused = 0
        self._errors: dict[str, int] = {}

    def request(self) -> None:
        with self._lock:
            self._requests += 1

    def response(self, status: int, size: int) -> None:
        with self._lock:
            self._by_status[status] = self._by_status.get(status, 0) + 1
            self._bytes += size

    def retry(self) -> None:
        with self._lock:
            self._retries += 1

    def solve(self) -> None:
        with self._lock:
            self._solves += 1

    def waited(self, seconds: float) -> None:
        with self._lock:
            self._waited += seconds

    def robots_refused(self) -> None:
        with self._lock:
            self._robots_refused += 1

    def error(self, kind: str) -> None:
        with self._lock:
            self._errors[kind] = self._errors.get(kind, 0) + 1

    def snapshot(self) -> ClientStats:
        with self._lock:
            return {
                "requests": self._requests,
                "by_status": dict(self._by_status),
                "bytes": self._bytes,
                "retries": self._retries,
                "challenge_solves": self._solves,
                "waited_seconds": self._waited,
                "robots_refused": self._robots_refused,
                "errors": dict(self._errors),
            }


# --------------------------------------------------------------------------------------------- requests
@dataclass
class _Trace:
    """Shared by every request one get() makes, so the result can say how many were sent."""

    attempts: int = 0


@dataclass(frozen=True)
class FetchRequest:
    """What flows down the layers; each layer passes on a copy with its part added."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | datetime | None = None
    trace: _Trace = field(default_factory=_Trace)
    # Set by the rate-limit layer, called by the transport right before each request goes out.
    pace: Callable[[], None] | None = None
    method: str = "GET"
    max_body: int | None = None  # read at most this many body bytes, then drop the connection


# A challenge page is a few KiB; a GET looking for one never needs to read more.
_CHALLENGE_PROBE_BYTES = 256 * 1024


Handler = Callable[[FetchRequest], FetchResult]


def origin(url: str) -> str:
    """scheme://host:port, the unit robots.txt and the rate limit apply to."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}:{port}"


class SiteScope:
    """The hosts of the configured site(s): `host` allows any port, `host:port` that port only.

    Entries may also be site URLs (their host:port is taken), and one string is one entry.
    """

    def __init__(self, allowed_hosts: str | Iterable[str]) -> None:
        entries = [allowed_hosts] if isinstance(allowed_hosts, str) else list(allowed_hosts)
        self.hosts = frozenset(_host_entry(e) for e in entries if e.strip())

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        host = parts.hostname.rstrip(".")
        return host in self.hosts or parts.netloc.lower().rpartition("@")[2] in self.hosts

    def check(self, url: str, via: str | None = None) -> None:
        if not self.allows(url):
            raise OffSiteURL(url, self.hosts, via)


def _host_entry(entry: str) -> str:
    entry = entry.strip().lower()
    if "://" in entry:
        entry = urlsplit(entry).netloc
    return entry.rpartition("@")[2].rstrip(".")


# --------------------------------------------------------------------------------------------- layers
class Redirects:
    """Follows redirects itself, hop by hop through every layer below, and only within the site."""

    def __init__(self, inner: Handler, scope: SiteScope, stats: _Counters, max_redirects: int = 10) -> None:
        self.inner = inner
        self.scope = scope
        self.stats = stats
        self.max_redirects = max_redirects

    def __call__(self, request: FetchRequest) -> FetchResult:
        self.scope.check(request.url)
        current = request
        for _ in range(self.max_redirects + 1):
            result = self.inner(current)
            location = result.header("Location")
            if result.status not in REDIRECT_STATUSES or not location:
                return result
            target = urldefrag(urljoin(result.final_url, location.strip())).url
            if not self.scope.allows(target):
                self.stats.error("off_site")
                raise OffSiteURL(target, self.scope.hosts, via=current.url)
            # Validators belong to the first URL; sending them to another would be a false match.
            current = replace(current, url=target, etag=None, last_modified=None)
        raise FetchError(
            request.url, f"more than {self.max_redirects} redirects", request.trace.attempts, result.status
        )


@dataclass
class _RobotsRules:
    parser: Protego | None  # None: everything allowed (no robots.txt) or, with refusal, nothing
    refusal: str = ""  # why every URL is refused (robots.txt unreachable), or ""
    expires: float = 0.0


class RobotsLayer:
    """Refuses what robots.txt disallows for our User-Agent; fetches it once per host and honours Crawl-delay.

    robots.txt goes through the layers below (rate limit, challenge, retries, transport) like any page.
    As RFC 9309 says: a 4xx means no rules, a 5xx or no answer means everything is disallowed for now.
    """

    def __init__(
        self,
        inner: Handler,
        *,
        user_agent: str,
        scope: SiteScope,
        limiter: HostRateLimiter,
        stats: _Counters,
        monotonic: Callable[[], float],
        ttl_seconds: float = 24 * 3600,
        failure_ttl_seconds: float = 600,
    ) -> None:
        self.inner = inner
        self.user_agent = user_agent
        self.scope = scope
        self.limiter = limiter
        self.stats = stats
        self.monotonic = monotonic
        self.ttl_seconds = ttl_seconds
        self.failure_ttl_seconds = failure_ttl_seconds
        self._lock = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}
        self._rules: dict[str, _RobotsRules] = {}

    def __call__(self, request: FetchRequest) -> FetchResult:
        robots_url = origin(request.url) + "/robots.txt"
        if urlsplit(request.url).path != "/robots.txt":
            rules = self.rules(request.url)
            if rules.refusal:
                self.stats.robots_refused()
                raise DisallowedByRobots(request.url, robots_url, self.user_agent, rules.refusal)
            if rules.parser is not None and not rules.parser.can_fetch(request.url, self.user_agent):
                self.stats.robots_refused()
                raise DisallowedByRobots(request.url, robots_url, self.user_agent)
        return self.inner(request)

    def rules(self, url: str) -> _RobotsRules:
        """The cached rules of the URL's host, fetched first if needed (once, whatever the threads)."""
        host = origin(url)
        with self._lock:
            host_lock = self._host_locks.setdefault(host, threading.Lock())
        with host_lock:
            rules = self._rules.get(host)
            if rules is None or rules.expires <= self.monotonic():
                rules = self._fetch(host)
                self._rules[host] = rules
            return rules

    def _fetch(self, host: str) -> _RobotsRules:
        robots_url = url = host + "/robots.txt"
        now = self.monotonic()
        for _ in range(6):  # RFC 9309: follow at least five redirects
            try:
                result = self.inner(FetchRequest(url))
            except FetchError as exc:
                reason = f"{robots_url} could not be fetched ({exc.reason}), so everything is disallowed"
                return _RobotsRules(None, reason, now + self.failure_ttl_seconds)
            location = result.header("Location")
            if result.status in REDIRECT_STATUSES and location:
                url = urldefrag(urljoin(url, location.strip())).url
                if self.scope.allows(url):
                    continue
                logger.warning("%s redirects off-site to %s; treating it as absent", robots_url, url)
                return _RobotsRules(None, "", now + self.ttl_seconds)
            break
        else:
            return _RobotsRules(None, "", now + self.ttl_seconds)  # a redirect loop counts as absent
        if 200 <= result.status < 300:
            parser = Protego.parse(result.text())
            delay = parser.crawl_delay(self.user_agent)
            if delay:
                self.limiter.set_min_interval(host, float(delay))
            return _RobotsRules(parser, "", now + self.ttl_seconds)
        if 400 <= result.status < 500:
            return _RobotsRules(None, "", now + self.ttl_seconds)
        reason = f"{robots_url} answered HTTP {result.status}, so everything is disallowed"
        return _RobotsRules(None, reason, now + self.failure_ttl_seconds)


class HostRateLimiter:
    """Per host: requests start at least 1/requests_per_second (or Crawl-delay) apart, and few at once."""

    def __init__(
        self,
        requests_per_second: float = 1.0,
        max_in_flight_per_host: int = 2,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: Callable[[float], None] = lambda seconds: None,
    ) -> None:
        if requests_per_second <= 0:
            raise ValueError(f"requests_per_second must be positive, got {requests_per_second}")
        if max_in_flight_per_host < 1:
            raise ValueError(f"max_in_flight_per_host must be at least 1, got {max_in_flight_per_host}")
        self.min_interval = 1.0 / requests_per_second
        self.max_in_flight = max_in_flight_per_host
        self.monotonic = monotonic
        self.sleep = sleep
        self.on_wait = on_wait
        self._lock = threading.Lock()
        self._next_start: dict[str, float] = {}
        self._last_start: dict[str, float] = {}
        self._host_interval: dict[str, float] = {}
        self._slots: dict[str, threading.BoundedSemaphore] = {}

    def interval(self, host: str) -> float:
        with self._lock:
            return max(self.min_interval, self._host_interval.get(host, 0.0))

    def set_min_interval(self, host: str, seconds: float) -> None:
        """A host's own minimum interval (robots.txt Crawl-delay); never lowers the configured rate."""
        with self._lock:
            self._host_interval[host] = max(0.0, seconds)
            # A request already sent (robots.txt itself) counts: the next one waits from its start.
            last = self._last_start.get(host)
            if last is not None:
                interval = max(self.min_interval, self._host_interval[host])
                self._next_start[host] = max(self._next_start.get(host, last), last + interval)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of the host's in-flight slots."""
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.BoundedSemaphore(self.max_in_flight))
        with semaphore:
            yield

    def wait_turn(self, host: str) -> float:
        """Sleep until the host's next start time; returns the seconds waited."""
        with self._lock:
            now = self.monotonic()
            interval = max(self.min_interval, self._host_interval.get(host, 0.0))
            # Booking the start under the lock gives concurrent threads distinct, spaced start times.
            start = max(now, self._next_start.get(host, now))
            self._next_start[host] = start + interval
            self._last_start[host] = start
        wait = start - now
        if wait > 0:
            self.sleep(wait)
            self.on_wait(wait)
        return max(wait, 0.0)


class RateLimitLayer:
    """Holds an in-flight slot for the whole fetch and spaces every request it sends on the wire."""

    def __init__(self, inner: Handler, limiter: HostRateLimiter) -> None:
        self.inner = inner
        self.limiter = limiter

    def __call__(self, request: FetchRequest) -> FetchResult:
        host = origin(request.url)
        with self.limiter.slot(host):
            # Paced at the transport, not here: retries and challenge rounds are requests too.
            return self.inner(replace(request, pace=lambda: self.limiter.wait_turn(host)))


class _ChallengeGate:
    """Lets one thread at a time go through a host's challenge, holding the others' requests meanwhile.

    The WAF keeps one challenge state per client cookie; a request sent with stale cookies in the
    middle of another thread's two stages would restart the challenge for both.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._owner: int | None = None
        self.generation = 0  # bumped on every solve: cookies sent before it are stale

    def wait_clear(self) -> int:
        me = threading.get_ident()
        with self._cond:
            while self._owner not in (None, me):
                self._cond.wait()
            return self.generation

    def enter(self, seen: int) -> bool:
        """Become the solver; False if someone solved since `seen` (retry with their cookies instead)."""
        me = threading.get_ident()
        with self._cond:
            while self._owner not in (None, me):
                self._cond.wait()
            if self._owner != me and self.generation != seen:
                return False
            self._owner = me
            return True

    def solved(self) -> None:
        with self._cond:
            self.generation += 1

    def leave(self) -> None:
        with self._cond:
            if self._owner == threading.get_ident():
                self._owner = None
                self._cond.notify_all()


def is_challenge(result: FetchResult) -> bool:
    """A 加速乐-style 521: a page whose script must run before the site answers.

    A 521 to HEAD counts too: it has no body to show the script in, so it is no reason to retry, and
    the challenge layer GETs the page to see.
    """
    if result.status != CHALLENGE_STATUS:
        return False
    return result.method == "HEAD" or b"<script" in result.body.lower()


class ChallengeLayer:
    """On a 521 challenge page: run its script, keep the cookies it sets for the host, ask again."""

    def __init__(
        self,
        inner: Handler,
        *,
        set_cookies: Callable[[str, dict[str, str]], None],
        stats: _Counters,
        user_agent: str,
        max_solves: int = 6,
        timeout_ms: int = 2000,
        max_memory_mb: int = 64,
    ) -> None:
        self.inner = inner
        self.set_cookies = set_cookies
        self.stats = stats
        self.user_agent = user_agent
        self.max_solves = max_solves
        self.timeout_ms = timeout_ms
        self.max_memory_mb = max_memory_mb
        self._lock = threading.Lock()
        self._gates: dict[str, _ChallengeGate] = {}

    def __call__(self, request: FetchRequest) -> FetchResult:
        host = origin(request.url)
        with self._lock:
            gate = self._gates.setdefault(host, _ChallengeGate())
        solves = 0
        ask = request
        try:
            # Two stages make two solves; the bound stops a WAF that never lets us through.
            for _ in range(2 * self.max_solves + 2):
                seen = gate.wait_clear()
                result = self.inner(ask)
                if is_challenge(result) and result.method == "HEAD":
                    # The script comes only in a body: GET (capped) from here on, and let the GET's
                    # answer serve for the HEAD's, rather than send a HEAD between every stage.
                    ask = replace(request, method="GET", max_body=_CHALLENGE_PROBE_BYTES)
                    result = self.inner(ask)
                if not is_challenge(result):
                    return result
                if not gate.enter(seen):
                    continue
                if solves >= self.max_solves:
                    break
                try:
                    cookies = solve_challenge(
                        result.text(),
                        result.final_url,
                        timeout_ms=self.timeout_ms,
                        max_memory_mb=self.max_memory_mb,
                        user_agent=self.user_agent,
                    )
                except ChallengeError:
                    self.stats.error("challenge")
                    raise
                self.set_cookies(result.final_url, cookies)
                gate.solved()
                solves += 1
                self.stats.solve()
        finally:
            gate.leave()
        self.stats.error("challenge")
        raise FetchError(
            request.url,
            f"the anti-bot challenge came back after {solves} solves",
            request.trace.attempts,
            CHALLENGE_STATUS,
        )


def http_date(moment: datetime) -> str:
    """RFC 9110 IMF-fixdate; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(UTC), usegmt=True)


class ConditionalLayer:
    """Sends the caller's validators as If-None-Match / If-Modified-Since and flags a 304 as not modified."""

    def __init__(self, inner: Handler) -> None:
        self.inner = inner

    def __call__(self, request: FetchRequest) -> FetchResult:
        headers = dict(request.headers)
        if request.etag:
            etag = request.etag.strip()
            # Callers may keep a bare token; on the wire an entity-tag is quoted.
            headers["If-None-Match"] = etag if etag.startswith(('"', 'W/"')) else f'"{etag}"'
        if request.last_modified:
            lm = request.last_modified
            headers["If-Modified-Since"] = http_date(lm) if isinstance(lm, datetime) else lm
        result = self.inner(replace(request, headers=headers))
        return replace(result, not_modified=result.status == 304)


class _TruncatedBody(Exception):
    """The body ended before its Content-Length."""


def retry_after_seconds(value: str | None, reference: datetime) -> float | None:
    """A Retry-After header (delta-seconds or HTTP date, relative to `reference`) in seconds, or None."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - reference).total_seconds())


def _error_kind(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout) or "ReadTimeoutError" in repr(exc):
        return "timeout"  # a read timeout while streaming the body arrives as a ConnectionError
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | _TruncatedBody):
        return "truncated"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "decoding"
    return "connection"


_RETRYABLE_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    _TruncatedBody,
)


class RetryLayer:
    """Retries transient failures with exponential backoff and full jitter, honouring Retry-After."""

    def __init__(
        self,
        inner: Handler,
        *,
        stats: _Counters,
        attempts: int = 5,
        wait_seconds: float = 1.0,
        max_wait_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError(f"retry_attempts must be at least 1, got {attempts}")
        self.inner = inner
        self.stats = stats
        self.attempts = attempts
        self.wait_seconds = wait_seconds
        self.max_wait_seconds = max_wait_seconds
        self.sleep = sleep
        self.rng = rng or random.Random()

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))]."""
        ceiling = min(self.max_wait_seconds, self.wait_seconds * 2 ** (attempt - 1))
        return self.rng.uniform(0.0, ceiling)

    def __call__(self, request: FetchRequest) -> FetchResult:
        for attempt in range(1, self.attempts + 1):
            status: int | None = None
            retry_after: float | None = None
            try:
                result = self.inner(request)
            except _RETRYABLE_ERRORS as exc:
                self.stats.error(_error_kind(exc))
                failure = f"{type(exc).__name__}: {_short(exc)}"
            except requests.RequestException as exc:
                # An invalid URL or header: the next attempt would fail the same way.
                self.stats.error("request")
                raise FetchError(request.url, f"{type(exc).__name__}: {_short(exc)}", attempt) from exc
            else:
                if result.status not in RETRY_STATUSES or is_challenge(result):
                    return result
                status = result.status
                failure = f"HTTP {status}"
                reference = result.server_date or result.fetched_at
                retry_after = retry_after_seconds(result.header("Retry-After"), reference)
            if attempt == self.attempts:
                break
            if retry_after is not None and retry_after > self.max_wait_seconds:
                self.stats.error("gave_up")
                raise FetchError(
                    request.url,
                    f"{failure} with Retry-After {retry_after:g} s, longer than max_wait_seconds "
                    f"{self.max_wait_seconds:g}",
                    request.trace.attempts,
                    status,
                )
            wait = self.backoff(attempt)
            if retry_after is not None:
                wait = max(wait, retry_after)  # jitter may lengthen the server's wait, never shorten it
            logger.debug("%s: %s; retry %d in %.2f s", request.url, failure, attempt, wait)
            self.stats.retry()
            if wait > 0:
                self.sleep(wait)
                self.stats.waited(wait)
        self.stats.error("gave_up")
        raise FetchError(request.url, f"{failure} on every attempt", request.trace.attempts, status)


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__


def _cut(response: requests.Response) -> None:
    """Drop a connection whose answer ran past its deadline: the blocked read fails at once."""
    response._cut = True  # type: ignore[attr-defined]
    sock = getattr(getattr(response.raw, "_connection", None), "sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        else:
            response.raw.close()
    except OSError:
        pass


class Transport:
    """One GET (or HEAD) on the wire: bounded time and size, no automatic redirects, every response recorded."""

    def __init__(
        self,
        *,
        session: requests.Session,
        scope: SiteScope,
        stats: _Counters,
        recorder: Callable[[FetchResult], None] | None,
        connect_timeout: float,
        read_timeout: float,
        max_bytes: int,
        monotonic: Callable[[], float],
        deadline_seconds: float = 120.0,
    ) -> None:
        self.session = session
        self.scope = scope
        self.stats = stats
        self.recorder = recorder
        self.timeout = (connect_timeout, read_timeout)
        # read_timeout bounds each read; this bounds the whole answer (a server dripping a byte every
        # few seconds never trips a per-read timeout)
        self.deadline_seconds = deadline_seconds
        self.max_bytes = max_bytes
        self.monotonic = monotonic

    def set_cookies(self, url: str, cookies: dict[str, str]) -> None:
        """Keep cookies a challenge script set, for the URL's host, as the browser's document.cookie does."""
        host = urlsplit(url).hostname or ""
        for name, value in cookies.items():
            # The jar locks itself; requests sent meanwhile carry either the old or the new value.
            self.session.cookies.set(name, value, domain=host, path="/")

    def __call__(self, request: FetchRequest) -> FetchResult:
        # The layers above check this too; here it guards against a layer that forgot.
        self.scope.check(request.url)
        if request.pace is not None:
            request.pace()
        request.trace.attempts += 1
        self.stats.request()
        fetched_at = datetime.now(UTC)
        started = self.monotonic()
        response = self.session.request(
            request.method,
            request.url,
            headers=request.headers,
            timeout=self.timeout,
            stream=True,
            allow_redirects=False,
        )
        timer = threading.Timer(max(0.0, self.deadline_seconds - (self.monotonic() - started)), _cut, (response,))
        timer.daemon = True
        timer.start()
        try:
            try:
                body, truncated = self._read(response, request)
            except Exception:
                if not getattr(response, "_cut", False):
                    raise
                body, truncated = b"", True
            if getattr(response, "_cut", False):  # whatever the read made of the dropped connection
                self.stats.error("deadline")
                raise FetchError(
                    request.url,
                    f"no complete answer within {self.deadline_seconds:g} s (the body came too slowly)",
                    request.trace.attempts,
                    response.status_code,
                )
        finally:
            timer.cancel()
            response.close()
        headers = Headers(response.headers)
        result = FetchResult(
            url=request.url,
            final_url=request.url,
            status=response.status_code,
            headers=headers,
            body=body,
            elapsed=self.monotonic() - started,
            fetched_at=fetched_at,
            server_date=_parse_date(response.headers.get("Date")),
            not_modified=response.status_code == 304,
            attempts=request.trace.attempts,
            request_headers={k: str(v) for k, v in response.request.headers.items()},
            method=request.method,
            truncated=truncated,
        )
        self.stats.response(result.status, len(body))
        if self.recorder is not None:
            # Before anyone acts on it: the capture keeps challenge pages, errors and 304s too.
            self.recorder(result)
        return result

    def _read(self, response: requests.Response, request: FetchRequest) -> tuple[bytes, bool]:
        """The body, and whether it is only the first `request.max_body` bytes of it."""
        if request.method == "HEAD":
            return b"", False  # Content-Length describes the GET's body; none follows
        declared = _content_length(response.headers.get("Content-Length"))
        if request.max_body is not None:
            return self._read_prefix(response, min(request.max_body, self.max_bytes), declared)
        if declared is not None and declared > self.max_bytes:
            self.stats.error("too_large")
            raise ResponseTooLarge(
                request.url,
                f"Content-Length {declared} is over max_bytes {self.max_bytes}",
                request.trace.attempts,
                response.status_code,
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=64 * 1024):
            size += len(chunk)
            if size > self.max_bytes:
                # Stop reading: closing the response drops the connection with the rest unread.
                self.stats.error("too_large")
                raise ResponseTooLarge(
                    request.url,
                    f"the body grew past max_bytes {self.max_bytes}",
                    request.trace.attempts,
                    response.status_code,
                )
            chunks.append(chunk)
        body = b"".join(chunks)
        no_body = response.status_code in (204, 304) or response.status_code < 200
        encoded = response.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
        # urllib3 enforces Content-Length already; this catches a body cut short some other way.
        if declared is not None and not no_body and not encoded and len(body) < declared:
            raise _TruncatedBody(f"got {len(body)} of {declared} bytes")
        return body, False

    def _read_prefix(self, response: requests.Response, limit: int, declared: int | None) -> tuple[bytes, bool]:
        """At most `limit` bytes; the rest stays unread and closing the response drops the connection."""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=min(limit, 64 * 1024) or 1):
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit:
                break
        body = b"".join(chunks)
        truncated = len(body) > limit or (len(body) == limit and (declared is None or declared > limit))
        body = body[:limit]
        encoded = response.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
        if not truncated and declared is not None and not encoded and len(body) < declared:
            raise _TruncatedBody(f"got {len(body)} of {declared} bytes")
        return body, truncated


def _content_length(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --------------------------------------------------------------------------------------------- client
class PoliteClient:
    """Fetches pages of the configured site(s) the way a considerate crawler should.

    Every response received (challenge pages, errors, 304s, robots.txt) goes to `recorder` first.
    """

    def __init__(
        self,
        allowed_hosts: str | Iterable[str],
        *,
        user_agent: str = USER_AGENT,
        requests_per_second: float = 1.0,
        max_in_flight_per_host: int = 2,
        retry_attempts: int = 5,
        retry_wait_seconds: float = 1.0,
        max_wait_seconds: float = 60.0,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        deadline_seconds: float = 120.0,
        max_bytes: int = 50 * 1024 * 1024,
        max_redirects: int = 10,
        solve_challenges: bool = True,
        max_challenge_solves: int = 6,
        challenge_timeout_ms: int = 2000,
        challenge_max_memory_mb: int = 64,
        recorder: Callable[[FetchResult], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.scope = SiteScope(allowed_hosts)
        if not self.scope.hosts:
            raise ValueError("allowed_hosts is empty: name the host(s) of the site to audit")
        self.user_agent = user_agent
        self.monotonic = monotonic
        self._stats = _Counters()
        self.session = session or requests.Session()
        self.session.headers.update(
            {
                "User-Agent": user_agent,
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
            }
        )
        self.limiter = HostRateLimiter(
            requests_per_second,
            max_in_flight_per_host,
            monotonic=monotonic,
            sleep=sleep,
            on_wait=self._stats.waited,
        )
        self.transport = Transport(
            session=self.session,
            scope=self.scope,
            stats=self._stats,
            recorder=recorder,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            deadline_seconds=deadline_seconds,
            max_bytes=max_bytes,
            monotonic=monotonic,
        )
        # Order matters, outermost first:
        # - robots.txt first, so a disallowed URL costs no wait and no request;
        # - the rate limit above the challenge and the retries, so its in-flight slot covers a whole
        #   fetch, while its pacing (called by the transport) spaces every request on the wire;
        # - the challenge above conditional GET and retries: its re-requests carry the validators, and
        #   each of its rounds is retried on its own when the network fails;
        # - retries right above the transport, where the failures happen.
        # Redirects wrap them all: each hop is a new URL that robots.txt and the site scope must allow.
        handler: Handler = self.transport
        handler = RetryLayer(
            handler,
            stats=self._stats,
            attempts=retry_attempts,
            wait_seconds=retry_wait_seconds,
            max_wait_seconds=max_wait_seconds,
            sleep=sleep,
            rng=rng,
        )
        handler = ConditionalLayer(handler)
        if solve_challenges:
            handler = ChallengeLayer(
                handler,
                set_cookies=self.transport.set_cookies,
                stats=self._stats,
                user_agent=user_agent,
                max_solves=max_challenge_solves,
                timeout_ms=challenge_timeout_ms,
                max_memory_mb=challenge_max_memory_mb,
            )
        handler = RateLimitLayer(handler, self.limiter)
        self.robots = RobotsLayer(
            handler,
            user_agent=user_agent,
            scope=self.scope,
            limiter=self.limiter,
            stats=self._stats,
            monotonic=monotonic,
        )
        self._handler: Handler = Redirects(self.robots, self.scope, self._stats, max_redirects)

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | datetime | None = None,
        headers: dict[str, str] | None = None,
        max_body: int | None = None,
    ) -> FetchResult:
        """GET `url`; with `etag` / `last_modified`, conditionally (a 304 comes back with not_modified).

        With `max_body`, only the first max_body bytes are read (then the connection is dropped) and
        the result says `truncated` when there was more: enough to tell what a large file is.

        Raises OffSiteURL, DisallowedByRobots, ChallengeError, or FetchError (ResponseTooLarge included).
        Any other status (404, 403, ...) is returned for the caller to judge.
        """
        started = self.monotonic()
        trace = _Trace()
        request = FetchRequest(url, dict(headers or {}), etag, last_modified, trace, max_body=max_body)
        result = self._handler(request)
        return replace(result, url=url, attempts=trace.attempts, elapsed=self.monotonic() - started)

    def may_fetch(self, url: str) -> None:
        """Raise OffSiteURL or DisallowedByRobots when get(url) would refuse it, without fetching it
        (robots.txt of its host is fetched once, as get() would)."""
        self.scope.check(url)
        rules = self.robots.rules(url)
        robots_url = origin(url) + "/robots.txt"
        if rules.refusal:
            raise DisallowedByRobots(url, robots_url, self.robots.user_agent, rules.refusal)
        if rules.parser is not None and not rules.parser.can_fetch(url, self.robots.user_agent):
            raise DisallowedByRobots(url, robots_url, self.robots.user_agent)

    def head(self, url: str, *, headers: dict[str, str] | None = None) -> FetchResult:
        """HEAD `url` through the same layers as get(): status and headers, an empty body.

        When a 521 challenge comes back, it is passed by GET instead, and that GET's answer is returned
        (`method` 'GET', its body cut at 256 KiB: `truncated`). Raises as get() does; a server that
        refuses HEAD answers 405 or 501, returned as they are.
        """
        started = self.monotonic()
        trace = _Trace()
        result = self._handler(FetchRequest(url, dict(headers or {}), trace=trace, method="HEAD"))
        return replace(result, url=url, attempts=trace.attempts, elapsed=self.monotonic() - started)

    @property
    def stats(self) -> ClientStats:
        """A snapshot of the counters, safe to read while other threads fetch."""
        return self._stats.snapshot()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


__all__ = [
    "USER_AGENT",
    "ClientStats",
    "FetchRequest",
    "FetchResult",
    "HostRateLimiter",
    "PoliteClient",
    "http_date",
    "retry_after_seconds",
]
