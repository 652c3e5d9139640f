"""The replica's HTTP server: serves a Site over HTTP/1.1 with seeded faults, rate limits and a WAF."""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import re
import socket
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from disclosure_audit.replica.faults import FAULT_KINDS, NO_FAULT, FaultDecision, FaultPlan, RateLimiter
from disclosure_audit.replica.http_types import Response, Site
from disclosure_audit.replica.waf import HASHES, JslChallenge

logger = logging.getLogger(__name__)

_REASONS: dict[int, str] = {521: "Web Server Is Down"}
# Headers the server owns; a site's extra headers of these names are ignored so framing stays right.
_SERVER_HEADERS = {"content-length", "content-type", "date", "server", "connection", "transfer-encoding"}
_ENTITY_TAG = re.compile(r'(?:W/)?"[^"]*"')
# A body larger than this on a GET/HEAD/refused method is not read; the connection is closed instead.
_MAX_DRAIN = 1 << 20


@dataclass
class Knobs:
    """How the replica misbehaves; the defaults serve the site faithfully with no misbehaviour."""

    challenge: bool = field(default=False, metadata={"help": "put the JiaSuLe 521 JS challenge in front"})
    challenge_every: int = field(
        default=200, metadata={"help": "requests a clearance is good for before the challenge comes back"}
    )
    challenge_hash: str = field(default="sha256", metadata={"help": "stage-2 hash: md5, sha1 or sha256"})
    rate_limit_per_second: float | None = field(
        default=None, metadata={"help": "per client IP token-bucket rate; beyond it answer 429"}
    )
    rate_limit_burst: float | None = field(
        default=None, metadata={"help": "token-bucket size (default: the per-second rate, at least 1)"}
    )
    retry_after_seconds: int = field(default=2, metadata={"help": "Retry-After value of every 429"})
    fault_429_rate: float = field(default=0.0, metadata={"help": "share of requests answered 429 at random"})
    fault_5xx_rate: float = field(default=0.0, metadata={"help": "share of requests answered 500/502/503"})
    fault_reset_rate: float = field(
        default=0.0, metadata={"help": "share of requests whose TCP connection is reset with no answer"}
    )
    fault_truncate_rate: float = field(
        default=0.0, metadata={"help": "share of responses cut to half their body, then closed"}
    )
    slow_rate: float = field(default=0.0, metadata={"help": "share of requests delayed by slow_seconds"})
    slow_seconds: float = field(default=1.0, metadata={"help": "delay of a slow request, in seconds"})
    seed: int = field(default=0, metadata={"help": "seed of every fault and challenge decision"})
    max_consecutive_faults: int = field(
        default=3, metadata={"help": "a URL never faults more than this many times in a row"}
    )

    def __post_init__(self) -> None:
        rates = ("fault_429_rate", "fault_5xx_rate", "fault_reset_rate", "fault_truncate_rate", "slow_rate")
        for name in rates:
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {rate}")
        if self.challenge_hash not in HASHES:
            raise ValueError(f"challenge_hash must be one of {HASHES}, got {self.challenge_hash!r}")
        if self.challenge_every < 1:
            raise ValueError("challenge_every must be at least 1")
        if self.rate_limit_per_second is not None and self.rate_limit_per_second <= 0:
            raise ValueError("rate_limit_per_second must be positive (or None for no limit)")
        if self.retry_after_seconds < 0 or self.slow_seconds < 0 or self.max_consecutive_faults < 0:
            raise ValueError("retry_after_seconds, slow_seconds and max_consecutive_faults must be >= 0")


def http_date(moment: datetime) -> str:
    """RFC 7231 IMF-fixdate; a naive datetime is taken as UTC."""
    return format_datetime(_as_utc(moment), usegmt=True)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _quoted_etag(etag: str) -> str:
    # Sites may hand back a bare token; on the wire an entity-tag is always quoted.
    return etag if _ENTITY_TAG.fullmatch(etag) else f'"{etag}"'


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def etag_matches(if_none_match: str, etag: str | None) -> bool:
    """Weak comparison of an If-None-Match value (a list, or `*`) against a current 200's ETag."""
    if if_none_match.strip() == "*":
        return True
    if etag is None:
        return False
    current = _opaque(_quoted_etag(etag))
    return any(_opaque(tag) == current for tag in _ENTITY_TAG.findall(if_none_match))


def is_not_modified(headers: Message, response: Response) -> bool:
    """RFC 9110 §13.2.2 for GET/HEAD: If-None-Match decides when present, else If-Modified-Since."""
    if response.status != 200:
        return False
    if_none_match = headers.get_all("If-None-Match")
    if if_none_match:
        return etag_matches(", ".join(if_none_match), response.etag)
    if_modified_since = headers.get_all("If-Modified-Since")
    # More than one value, or an unparsable one, means the header is ignored.
    if response.last_modified is None or not if_modified_since or len(if_modified_since) > 1:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since[0])
    except (TypeError, ValueError, IndexError):
        return False
    if since is None:
        return False
    # HTTP dates have one-second precision, so compare at that precision.
    return _as_utc(response.last_modified).replace(microsecond=0) <= _as_utc(since)


def parse_cookies(values: Iterable[str]) -> dict[str, str]:
    """Cookie header values to a dict; the first of a repeated name wins (the most specific comes first)."""
    cookies: dict[str, str] = {}
    for value in values:
        for pair in value.split(";"):
            name, sep, content = pair.strip().partition("=")
            if sep and name and name not in cookies:
                cookies[name] = content.strip()
    return cookies


def _plain_page(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    body = f"<html><head><title>{status} {text}</title></head><body><h1>{status} {text}</h1></body></html>"
    return Response(status=status, body=body.encode(), headers=headers or {})


def _encode_header(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        # Real Chinese government servers put raw UTF-8 in headers (file names); do the same, not crash.
        return value.encode("utf-8")


class _Stats:
    """Thread-safe counters behind ReplicaServer.stats()."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, Any] = {
            "requests": 0,
            "connections": 0,
            "by_status": {},
            "faults": dict.fromkeys(FAULT_KINDS, 0),
            "rate_limited": 0,
            "challenges_issued": 0,
            "challenges_by_stage": {1: 0, 2: 0},
            "clearances_granted": 0,
            "not_modified": 0,
            "site_errors": 0,
        }

    def add(self, key: str, sub: object = None, amount: int = 1) -> None:
        with self._lock:
            if sub is None:
                self._data[key] += amount
            else:
                table = self._data[key]
                table[sub] = table.get(sub, 0) + amount

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._data)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], replica: ReplicaServer) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.replica = replica
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "replica"
    # Idle keep-alive connections are dropped after this, so their threads do not pile up.
    timeout = 30
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.replica._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.replica._closed(self.connection)

    def do_GET(self) -> None:
        self.server.replica._serve(self)

    def do_HEAD(self) -> None:
        self.server.replica._serve(self)

    def __getattr__(self, name: str) -> Any:
        # Every other method (POST, PUT, even made-up ones) is answered 405 rather than the stdlib's 501.
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self) -> None:
        self.server.replica._serve(self, allowed=False)

    def log_message(self, format: str, *args: Any) -> None:
        # The stdlib writes protocol errors to stderr; route them to the logger like everything else.
        logger.debug("%s %s", self.address_string(), format % args)


class ReplicaServer:
    """A threaded HTTP/1.1 server for a `Site`, misbehaving as its `Knobs` say."""

    def __init__(
        self, site: Site, knobs: Knobs | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.site = site
        self.knobs = knobs if knobs is not None else Knobs()
        k = self.knobs
        self._faults = FaultPlan(
            k.seed,
            reset_rate=k.fault_reset_rate,
            truncate_rate=k.fault_truncate_rate,
            error_rate=k.fault_5xx_rate,
            throttle_rate=k.fault_429_rate,
            slow_rate=k.slow_rate,
            slow_seconds=k.slow_seconds,
            max_consecutive=k.max_consecutive_faults,
        )
        self._limiter = (
            RateLimiter(k.rate_limit_per_second, k.rate_limit_burst) if k.rate_limit_per_second else None
        )
        self._waf = JslChallenge(k.seed, k.challenge_every, k.challenge_hash) if k.challenge else None
        self._stats = _Stats()
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()
        self._closed_down = False
        self._httpd = _HTTPServer((host, port), self)
        bound_host, bound_port = self._httpd.server_address[:2]
        self.host = str(bound_host)
        self.port = int(bound_port)

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. http://127.0.0.1:8765."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> ReplicaServer:
        """Serve in a background daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.serve_forever, name=f"replica-{self.port}", daemon=True
            )
            self._thread.start()
            self._serving.wait(5)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until stop() (or KeyboardInterrupt)."""
        self._serving.set()
        try:
            self._httpd.serve_forever(poll_interval=0.1)
        finally:
            self._serving.clear()

    def stop(self) -> None:
        """Stop accepting, drop open keep-alive connections and release the port."""
        if self._closed_down:
            return
        self._closed_down = True
        if self._serving.is_set():
            self._httpd.shutdown()
        if self._thread is not None:
            self._thread.join(5)
        self._httpd.server_close()
        with self._conn_lock:
            open_connections = list(self._connections)
        for conn in open_connections:
            # Wakes the handler thread blocked reading the next request, which then closes it.
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stats(self) -> dict[str, Any]:
        """A snapshot: requests, connections, by_status, faults by kind, rate_limited, challenges_issued,
        challenges_by_stage, clearances_granted, not_modified, site_errors."""
        return self._stats.snapshot()

    def _opened(self, conn: socket.socket) -> None:
        self._stats.add("connections")
        with self._conn_lock:
            self._connections.add(conn)

    def _closed(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._connections.discard(conn)

    def _serve(self, handler: _Handler, allowed: bool = True) -> None:
        started = time.monotonic()
        self._stats.add("requests")
        self._drain_body(handler)
        target = _origin_form(handler.path)
        method = handler.command
        decision = self._faults.decide(method, target) if allowed else NO_FAULT
        if allowed:
            response = self._answer(handler, method, target, decision)
        else:
            response = _plain_page(405, "Method Not Allowed", {"Allow": "GET, HEAD"})
        status = self._write(handler, response, decision)
        logger.debug(
            "%s %s %s -> %s%s %.3fs",
            handler.client_address[0],
            method,
            target,
            status if status is not None else "reset",
            " truncated" if decision.truncate else "",
            time.monotonic() - started,
        )

    def _answer(self, handler: _Handler, method: str, target: str, decision: FaultDecision) -> Response:
        """The response before reset/truncation, in the documented order of misbehaviour."""
        k = self.knobs
        if decision.error_status is not None:
            self._stats.add("faults", "5xx")
            return _plain_page(decision.error_status, _error_reason(decision.error_status))
        retry_after = {"Retry-After": str(k.retry_after_seconds)}
        if self._limiter is not None and not self._limiter.allow(handler.client_address[0]):
            self._stats.add("rate_limited")
            return _plain_page(429, "Too Many Requests", retry_after)
        if decision.throttle:
            self._stats.add("faults", "429")
            return _plain_page(429, "Too Many Requests", retry_after)
        if decision.slow_seconds > 0:
            self._stats.add("faults", "slow")
            time.sleep(decision.slow_seconds)
        if self._waf is not None:
            verdict = self._waf.check(parse_cookies(handler.headers.get_all("Cookie") or []))
            if verdict.granted:
                self._stats.add("clearances_granted")
            if verdict.response is not None:
                self._stats.add("challenges_issued")
                self._stats.add("challenges_by_stage", verdict.stage)
                return verdict.response
        parts = urlsplit(target)
        path = unquote(parts.path, errors="replace") or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            response = self.site.handle(path, query)
        except Exception:
            logger.exception("site.handle failed for %s", target)
            self._stats.add("site_errors")
            return _plain_page(500, "Internal Server Error")
        if is_not_modified(handler.headers, response):
            self._stats.add("not_modified")
            return Response(status=304, body=b"", etag=response.etag, last_modified=response.last_modified)
        return response

    def _write(self, handler: _Handler, response: Response, decision: FaultDecision) -> int | None:
        """Send `response`, or reset/truncate it; the status sent, None for a reset."""
        if decision.reset:
            self._stats.add("faults", "reset")
            _reset(handler)
            return None
        status = response.status
        no_body = status == 304 or 100 <= status < 200 or status == 204
        lines = [f"{handler.protocol_version} {status} {_REASONS.get(status) or _error_reason(status)}"]
        headers: list[tuple[str, str]] = [("Server", "replica"), ("Date", http_date(self.site.clock()))]
        if not no_body:
            headers.append(("Content-Type", response.content_type))
            headers.append(("Content-Length", str(len(response.body))))
        if response.etag is not None:
            headers.append(("ETag", _quoted_etag(response.etag)))
        if response.last_modified is not None:
            headers.append(("Last-Modified", http_date(response.last_modified)))
        headers.extend(
            (name, value) for name, value in response.headers.items() if name.lower() not in _SERVER_HEADERS
        )
        if decision.truncate:
            # No Connection header: the response must look like an ordinary one cut short.
            handler.close_connection = True
        elif handler.close_connection:
            headers.append(("Connection", "close"))
        elif handler.request_version == "HTTP/1.0":
            headers.append(("Connection", "keep-alive"))
        head = b"".join(
            [lines[0].encode("latin-1"), b"\r\n"]
            + [name.encode("latin-1") + b": " + _encode_header(value) + b"\r\n" for name, value in headers]
            + [b"\r\n"]
        )
        body = b"" if no_body or handler.command == "HEAD" else response.body
        self._stats.add("by_status", status)
        try:
            if decision.truncate:
                self._stats.add("faults", "truncate")
                # Full Content-Length, half the body; with no body at all, half the header block.
                handler.wfile.write(head + body[: len(body) // 2] if body else head[: len(head) // 2])
            else:
                handler.wfile.write(head + body)
        except OSError:
            # The client went away mid-answer; nothing to tell it.
            handler.close_connection = True
        return status

    @staticmethod
    def _drain_body(handler: _Handler) -> None:
        # A request body nobody reads would be parsed as the next request on a keep-alive connection.
        if handler.headers.get("Transfer-Encoding"):
            handler.close_connection = True
            return
        try:
            length = int(handler.headers.get("Content-Length") or 0)
        except ValueError:
            handler.close_connection = True
            return
        if length > _MAX_DRAIN or length < 0:
            handler.close_connection = True
        elif length:
            handler.rfile.read(length)


def _error_reason(status: int) -> str:
    phrase = BaseHTTPRequestHandler.responses.get(status)
    return phrase[0] if phrase else ""


def _origin_form(request_target: str) -> str:
    """Path plus raw query of a request target, also for the absolute form a proxy-style client sends."""
    if request_target.startswith(("http://", "https://")):
        parts = urlsplit(request_target)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # The fragment never belongs on the wire, but drop it if a client sends one.
    return request_target.split("#", 1)[0]


def _reset(handler: _Handler) -> None:
    """Close the TCP connection with an RST and no response: linger on, timeout zero."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # The file objects hold references to the socket; close them too or the close is deferred.
    for stream in (handler.rfile, handler.wfile):
        with contextlib.suppress(OSError):
            stream.close()
    handler.connection.close()
    # http.server flushes and closes these after the request: give it harmless stand-ins
    handler.rfile, handler.wfile = io.BytesIO(), io.BytesIO()
