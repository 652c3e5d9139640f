"""The polite client against the real replica server: challenge, faults, limits, robots, scope, records."""

from __future__ import annotations

import hashlib
import http.server
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from disclosure_audit import __version__
from disclosure_audit.http import (
    USER_AGENT,
    DisallowedByRobots,
    FetchError,
    OffSiteURL,
    PoliteClient,
    ResponseTooLarge,
)
from disclosure_audit.http.client import HostRateLimiter, RetryLayer, retry_after_seconds
from disclosure_audit.replica.http_types import Response
from disclosure_audit.replica.server import ReplicaServer

Factory = Callable[..., ReplicaServer]
Urls = Callable[[str, int], list[str]]


def client_for(server: ReplicaServer, clock: Any = None, **options: object) -> PoliteClient:
    """A client for the server's host, fast unless the test says otherwise, on `clock` if given."""
    settings: dict[str, object] = {"requests_per_second": 1000.0, "retry_wait_seconds": 0.005}
    if clock is not None:
        settings.update(sleep=clock.sleep, monotonic=clock.monotonic)
    settings.update(options)
    return PoliteClient([urlsplit(server.url).netloc], **settings)  # type: ignore[arg-type]


def etag_of(body: bytes) -> str:
    # The replica's ETag is a prefix of the body's SHA-256: a complete, intact body must match it.
    return '"' + hashlib.sha256(body).hexdigest()[:24] + '"'


def test_user_agent_names_the_tool() -> None:
    expected = (
        f"disclosure-audit/{__version__} (+https://github.com/disclosure-audit; "
        "government information disclosure audit)"
    )
    assert expected == USER_AGENT


def test_challenge_is_solved_and_solved_again_when_it_returns(
    replica: Factory, detail_urls: Urls, recorder: Any, clock: Any
) -> None:
    server = replica(challenge=True, challenge_every=4, challenge_hash="sha1", seed=11)
    urls = detail_urls(server.url, 12)
    with client_for(server, recorder=recorder) as client:
        results = [client.get(url) for url in urls]
        stats = client.stats
    assert [r.status for r in results] == [200] * len(urls)
    assert all(r.header("ETag") == etag_of(r.body) for r in results)
    served = server.stats()
    # robots.txt plus 12 pages, a clearance good for 4 requests: the challenge came back mid-crawl.
    assert served["clearances_granted"] >= 3
    assert stats["challenge_solves"] == 2 * served["clearances_granted"]
    assert served["challenges_by_stage"] == {1: served["clearances_granted"], 2: served["clearances_granted"]}
    # The recorder saw every response, the challenge pages included, before the client acted on them.
    assert Counter(recorder.statuses()) == Counter(stats["by_status"])
    assert recorder.statuses().count(521) == served["challenges_issued"]
    # A result that needed the challenge says how many requests it took.
    assert max(r.attempts for r in results) == 3


def test_429_waits_at_least_retry_after(replica: Factory, detail_urls: Urls, clock: Any, recorder: Any) -> None:
    server = replica(fault_429_rate=0.5, retry_after_seconds=3, seed=2)
    with client_for(server, clock, retry_wait_seconds=0.5, recorder=recorder) as client:
        results = [client.get(url) for url in detail_urls(server.url, 10)]
        stats = client.stats
    assert all(r.status == 200 for r in results)
    throttled = server.stats()["faults"]["429"]
    assert throttled > 0 and stats["by_status"][429] == throttled
    # Rate-limit waits at 1000 rps are a millisecond; every retry after a 429 waited the full 3 s.
    long_waits = [s for s in clock.sleeps if s > 0.01]
    assert len(long_waits) == throttled
    assert all(wait >= 3.0 for wait in long_waits)
    assert stats["waited_seconds"] >= 3.0 * throttled
    assert stats["retries"] == throttled


def test_retry_after_as_seconds_or_http_date() -> None:
    now = datetime(2024, 3, 1, 8, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("Fri, 01 Mar 2024 08:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Fri, 01 Mar 2024 07:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


def test_jitter_never_shortens_retry_after(tiny_site: Callable, replica: Factory, clock: Any) -> None:
    date = (datetime(2024, 3, 1, 8, 0, tzinfo=UTC) + timedelta(seconds=7)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    site = tiny_site({"/busy": Response(503, b"busy", headers={"Retry-After": date})})
    server = replica(site=site)
    client = client_for(server, clock, retry_attempts=4, retry_wait_seconds=20.0, rng=random.Random(1))
    with client, pytest.raises(FetchError) as info:
        client.get(server.url + "/busy")
    # The HTTP date is read against the server's Date header (the site's clock, 08:00:00): 7 s.
    retry_waits = [s for s in clock.sleeps if s > 0.01]
    assert len(retry_waits) == 3 and all(w >= 7.0 for w in retry_waits)
    assert info.value.last_status == 503 and info.value.attempts == 4


def test_backoff_is_exponential_with_full_jitter_and_a_cap() -> None:
    never_called: Any = None
    layer = RetryLayer(never_called, stats=never_called, wait_seconds=1.0, max_wait_seconds=60)
    for attempt in range(1, 12):
        waits = [layer.backoff(attempt) for _ in range(200)]
        ceiling = min(60.0, 2.0 ** (attempt - 1))
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling / 2  # spread over the whole range, not pinned to the floor


def test_retry_after_beyond_the_cap_gives_up(tiny_site: Callable, replica: Factory, clock: Any) -> None:
    server = replica(site=tiny_site({"/later": Response(429, b"", headers={"Retry-After": "3600"})}))
    expected = "Retry-After 3600 s, longer than max_wait_seconds 60"
    with client_for(server, clock) as client, pytest.raises(FetchError, match=expected):
        client.get(server.url + "/later")
    assert not [s for s in clock.sleeps if s > 1]


def test_faults_at_30_percent_lose_nothing(replica: Factory, detail_urls: Urls, recorder: Any) -> None:
    # The real end-to-end case: real sleeps (kept small), four threads, two in flight, the challenge on.
    server = replica(
        fault_5xx_rate=0.1, fault_reset_rate=0.1, fault_truncate_rate=0.1, challenge=True, challenge_every=25, seed=7
    )  # fmt: skip
    urls = detail_urls(server.url, 100)
    with client_for(server, recorder=recorder, requests_per_second=400.0) as client:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(client.get, urls))
        stats = client.stats
    assert [r.final_url for r in results] == urls
    assert all(r.status == 200 and r.header("ETag") == etag_of(r.body) for r in results)
    ok = Counter(r.url for r in recorder.results if r.status == 200)
    assert all(ok[url] == 1 for url in urls)
    faults = server.stats()["faults"]
    assert faults["5xx"] > 0 and faults["reset"] > 0 and faults["truncate"] > 0
    # Every fault was retried; resets and truncations left no response to record, only a count.
    assert stats["retries"] == faults["5xx"] + faults["reset"] + faults["truncate"]
    assert stats["errors"]["truncated"] == faults["truncate"]
    assert stats["errors"]["connection"] == faults["reset"]
    assert "gave_up" not in stats["errors"]
    assert stats["challenge_solves"] > 0


def test_retries_run_out_with_a_clear_error(tiny_site: Callable, replica: Factory, recorder: Any) -> None:
    server = replica(site=tiny_site({"/down": Response(503, b"<html>down</html>")}))
    client = client_for(server, retry_attempts=3, recorder=recorder)
    with client, pytest.raises(FetchError) as info:
        client.get(server.url + "/down")
    assert info.value.attempts == 3 and info.value.last_status == 503
    assert "HTTP 503 on every attempt" in str(info.value) and server.url + "/down" in str(info.value)
    assert recorder.statuses() == [404, 503, 503, 503]


def test_conditional_get_with_etag_and_last_modified(replica: Factory, detail_urls: Urls, recorder: Any) -> None:
    server = replica()
    [url] = detail_urls(server.url, 1)
    with client_for(server, recorder=recorder) as client:
        first = client.get(url)
        etag, last_modified = first.headers["etag"], first.header("last-modified")
        assert etag and last_modified and not first.not_modified
        by_etag = client.get(url, etag=etag)
        by_date = client.get(url, last_modified=last_modified)
        by_datetime = client.get(url, last_modified=datetime.now(UTC))
        changed = client.get(url, etag='"something-else"')
    for result in (by_etag, by_date, by_datetime):
        assert result.status == 304 and result.not_modified and result.body == b""
    assert by_etag.request_headers["If-None-Match"] == etag
    assert by_date.request_headers["If-Modified-Since"] == last_modified
    assert changed.status == 200 and not changed.not_modified
    assert server.stats()["not_modified"] == 3
    assert recorder.statuses() == [200, 200, 304, 304, 304, 200]
    assert all(r.not_modified == (r.status == 304) for r in recorder.results)


def test_robots_disallow_is_refused_without_a_request(replica: Factory) -> None:
    server = replica()
    with client_for(server) as client:
        with pytest.raises(DisallowedByRobots) as info:
            client.get(server.url + "/admin/users")
        with pytest.raises(DisallowedByRobots):
            client.get(server.url + "/search/?q=x")
        assert client.stats["robots_refused"] == 2
    assert "robots.txt disallows it" in str(info.value)
    # Only robots.txt itself went out, once.
    assert server.stats()["requests"] == 1


def test_unreachable_robots_means_nothing_is_fetched(replica: Factory) -> None:
    server = replica(fault_5xx_rate=1.0, max_consecutive_faults=10)
    with client_for(server, retry_attempts=2) as client:
        with pytest.raises(DisallowedByRobots, match="could not be fetched"):
            client.get(server.url + "/public/column/1741")
        with pytest.raises(DisallowedByRobots):
            client.get(server.url + "/")
    assert server.stats()["requests"] == 2  # two attempts at robots.txt, then cached


def test_crawl_delay_is_a_minimum_interval(replica: Factory, detail_urls: Urls, clock: Any) -> None:
    server = replica(crawl_delay=2.5)
    with client_for(server, clock) as client:
        start = clock.monotonic()
        for url in detail_urls(server.url, 4):
            client.get(url)
    # robots.txt at the start, then four pages, each at least 2.5 s after the request before.
    assert clock.monotonic() - start >= 4 * 2.5


def test_off_site_urls_are_refused(replica: Factory, tiny_site: Callable, recorder: Any) -> None:
    pages = {
        "/away": Response(302, b"", headers={"Location": "http://evil.example.com/steal"}),
        "/other-port": Response(301, b"", headers={"Location": "http://127.0.0.1:1/x"}),
        "/moved": Response(301, b"", headers={"Location": "/here#top"}),
        "/here": Response(200, b"<html>here</html>"),
    }
    server = replica(site=tiny_site(pages))
    with client_for(server, recorder=recorder) as client:
        with pytest.raises(OffSiteURL):
            client.get("http://evil.example.com/")
        with pytest.raises(OffSiteURL):
            client.get("ftp://" + urlsplit(server.url).netloc + "/x")
        assert server.stats()["requests"] == 0
        with pytest.raises(OffSiteURL) as info:
            client.get(server.url + "/away")
        assert info.value.via == server.url + "/away"
        with pytest.raises(OffSiteURL):
            client.get(server.url + "/other-port")
        moved = client.get(server.url + "/moved")
    assert "evil.example.com" in str(info.value)
    assert moved.status == 200 and moved.url == server.url + "/moved" and moved.final_url == server.url + "/here"
    assert moved.attempts == 2
    assert recorder.statuses() == [404, 302, 301, 301, 200]


def test_a_host_without_port_allows_every_port(replica: Factory) -> None:
    server = replica()
    with PoliteClient("127.0.0.1", requests_per_second=1000.0) as client:
        assert client.get(server.url + "/").status == 200


def test_size_cap_from_content_length(replica: Factory, detail_urls: Urls) -> None:
    server = replica()
    [url] = detail_urls(server.url, 1)
    with client_for(server, max_bytes=1000) as client:
        with pytest.raises(ResponseTooLarge, match="over max_bytes 1000") as info:
            client.get(url)
        assert client.stats["errors"]["too_large"] == 1
    assert info.value.attempts == 1  # not retried: the next answer would be as large


class _ChunkedHandler(http.server.BaseHTTPRequestHandler):
    """Streams an endless chunked body with no Content-Length; 404 for everything else."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path != "/stream":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"x" * 4096
        try:
            for _ in range(10_000):  # 40 MB if nobody stops reading
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the client stopped reading at its cap and closed the connection
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def chunked_server(serve_handler) -> str:
    return serve_handler(_ChunkedHandler)


def test_size_cap_while_streaming(chunked_server: str) -> None:
    with PoliteClient(chunked_server, requests_per_second=1000.0, max_bytes=100_000) as client:
        started = time.monotonic()
        with pytest.raises(ResponseTooLarge, match="grew past max_bytes 100000"):
            client.get(chunked_server + "/stream")
        assert time.monotonic() - started < 5
        assert client.stats["bytes"] < 100_000  # only robots.txt's empty 404 was kept


def test_rate_limit_spaces_requests(replica: Factory, detail_urls: Urls, clock: Any) -> None:
    server = replica()
    n = 8
    with client_for(server, requests_per_second=5.0, clock=clock) as client:
        client.get(server.url + "/robots.txt")
        start = clock.monotonic()
        for url in detail_urls(server.url, n):
            client.get(url)
        waited = client.stats["waited_seconds"]
    assert clock.monotonic() - start >= (n - 1) / 5 - 1e-9
    assert waited >= (n - 1) / 5 - 1e-9


def test_rate_limit_with_real_sleeps(replica: Factory, detail_urls: Urls) -> None:
    server = replica()
    with client_for(server, requests_per_second=20.0) as client:
        client.get(server.url + "/robots.txt")
        started = time.monotonic()
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(client.get, detail_urls(server.url, 6)))
    assert time.monotonic() - started >= 5 / 20


def test_in_flight_requests_per_host_are_capped() -> None:
    limiter = HostRateLimiter(1000.0, 2)
    active, peak, lock = 0, 0, threading.Lock()

    def work(_: int) -> None:
        nonlocal active, peak
        with limiter.slot("http://h:80"):
            with lock:
                active += 1
                peak = max(peak, active)
            time.sleep(0.02)
            with lock:
                active -= 1

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(work, range(12)))
    assert peak == 2


def test_result_fields(replica: Factory, detail_urls: Urls) -> None:
    server = replica()
    [url] = detail_urls(server.url, 1)
    with client_for(server) as client:
        result = client.get(url, headers={"Referer": server.url + "/"})
    assert result.url == result.final_url == url
    assert result.status == 200 and result.attempts == 1 and result.elapsed >= 0
    assert result.fetched_at.tzinfo is not None and result.fetched_at.utcoffset() == timedelta(0)
    assert result.server_date is not None and result.server_date.tzinfo is not None
    assert result.headers.get("content-type") == result.headers["Content-Type"] == result.content_type
    assert "CONTENT-LENGTH" in result.headers and isinstance(result.headers, dict)
    assert result.request_headers["User-Agent"] == USER_AGENT
    assert result.request_headers["Referer"] == server.url + "/"
    assert "<html" in result.text()


def test_an_empty_site_scope_is_refused() -> None:
    with pytest.raises(ValueError, match="allowed_hosts is empty"):
        PoliteClient([])


def test_the_client_stays_behind_its_wall() -> None:
    # A fresh interpreter: the tests themselves import the replica.
    code = (
        "import sys, disclosure_audit.http, disclosure_audit.http.client, disclosure_audit.http.waf\n"
        "bad = [m for m in sys.modules if m.split('.')[1:2] in (['replica'], ['parse'], ['store'])\n"
        "       and m.startswith('disclosure_audit.')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_server_that_drips_its_answer_is_cut_at_the_deadline() -> None:
    # a byte every 0.2 s never trips the 2 s read timeout; the 1.5 s deadline ends it, without a retry
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    served: list[float] = []

    def drip() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            served.append(time.monotonic())
            try:
                if conn.recv(65536).startswith(b"GET /robots.txt"):
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    continue
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n")
                for _ in range(1000):
                    conn.sendall(b"x")
                    time.sleep(0.2)
            except OSError:
                pass
            finally:
                conn.close()

    threading.Thread(target=drip, daemon=True).start()
    url = f"http://127.0.0.1:{port}/slow"
    client = PoliteClient(url, requests_per_second=100.0, read_timeout=2.0, deadline_seconds=1.5,
                          retry_wait_seconds=0.01)  # fmt: skip
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="no complete answer within 1.5 s"):
            client.get(url)
        assert time.monotonic() - started < 4
    finally:
        listener.close()
