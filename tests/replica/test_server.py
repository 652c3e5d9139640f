"""The replica HTTP server over real sockets: pass-through, conditional GET, faults, limits, keep-alive."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests

from disclosure_audit.replica.http_types import Response
from disclosure_audit.replica.server import Knobs, ReplicaServer, etag_matches, parse_cookies

SHANGHAI = timezone(timedelta(hours=8))
HOME_MODIFIED = datetime(2024, 1, 2, 11, 4, 5, 678000, tzinfo=SHANGHAI)
HOME_ETAG = '"home-1"'
HOME_BODY = "<html>首页 home</html>".encode()


class FixedSite:
    """A few fixed pages with validators, plus an echo page for the query parser."""

    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 16, 30, 0, tzinfo=SHANGHAI)
        self.pages = {
            "/": Response(200, HOME_BODY, etag=HOME_ETAG, last_modified=HOME_MODIFIED),
            "/col/col123/index.html": Response(
                200, b"<html>column</html>", etag='W/"col-7"', last_modified=HOME_MODIFIED
            ),
            "/big.html": Response(200, b"x" * 20_000, etag='"big"'),
            "/file.pdf": Response(200, b"%PDF-1.4 fake", content_type="application/pdf"),
        }

    def handle(self, path: str, query: dict[str, list[str]]) -> Response:
        if path.startswith("/echo"):
            body = json.dumps({"path": path, "query": query}, ensure_ascii=False).encode()
            return Response(200, body, content_type="application/json")
        if path == "/boom":
            raise RuntimeError("site bug")
        page = self.pages.get(path)
        return page if page is not None else Response(404, b"<html>not found</html>")

    def clock(self) -> datetime:
        return self.now


ServerFactory = Callable[..., ReplicaServer]


@pytest.fixture
def make_server() -> Iterator[ServerFactory]:
    servers: list[ReplicaServer] = []

    def make(**knobs: object) -> ReplicaServer:
        server = ReplicaServer(FixedSite(), Knobs(**knobs)).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def server(make_server: ServerFactory) -> ReplicaServer:
    return make_server()


def test_get_passes_the_site_response_through(server: ReplicaServer) -> None:
    r = requests.get(server.url + "/", timeout=5)
    assert r.status_code == 200
    assert r.text == "<html>首页 home</html>"
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Content-Length"] == str(len("<html>首页 home</html>".encode()))
    assert r.headers["ETag"] == HOME_ETAG
    assert r.headers["Last-Modified"] == "Tue, 02 Jan 2024 03:04:05 GMT"
    assert r.headers["Server"] == "replica"
    pdf = requests.get(server.url + "/file.pdf", timeout=5)
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert "ETag" not in pdf.headers


def test_date_header_is_the_site_clock_in_gmt(server: ReplicaServer) -> None:
    r = requests.get(server.url + "/", timeout=5)
    assert r.headers["Date"] == "Fri, 01 Mar 2024 08:30:00 GMT"
    assert r.headers["Date"] == format_datetime(server.site.clock().astimezone(UTC), usegmt=True)


def test_404_passes_through(server: ReplicaServer) -> None:
    r = requests.get(server.url + "/nowhere.html", timeout=5)
    assert r.status_code == 404
    assert r.text == "<html>not found</html>"


def test_head_has_the_get_headers_and_no_body(server: ReplicaServer) -> None:
    get = requests.get(server.url + "/big.html", timeout=5)
    head = requests.head(server.url + "/big.html", timeout=5)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"] == "20000"
    assert head.headers["ETag"] == get.headers["ETag"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW"])
def test_other_methods_are_405(server: ReplicaServer, method: str) -> None:
    r = requests.request(method, server.url + "/", data=b"payload", timeout=5)
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, HEAD"


def test_post_body_is_drained_so_keep_alive_stays_in_sync(server: ReplicaServer) -> None:
    with requests.Session() as s:
        assert s.post(server.url + "/", data=b"a=1&b=2", timeout=5).status_code == 405
        assert s.get(server.url + "/", timeout=5).status_code == 200
    assert server.stats()["connections"] == 1


def test_query_is_parsed_with_blanks_and_path_is_decoded(server: ReplicaServer) -> None:
    r = requests.get(server.url + "/echo/%E6%94%BF%E5%8A%A1?a=1&b=&a=2&c=%E4%B8%AD", timeout=5)
    assert r.json() == {"path": "/echo/政务", "query": {"a": ["1", "2"], "b": [""], "c": ["中"]}}


def test_site_exception_is_a_500_not_a_dead_connection(server: ReplicaServer) -> None:
    assert requests.get(server.url + "/boom", timeout=5).status_code == 500
    assert server.stats()["site_errors"] == 1


def test_keep_alive_reuses_one_connection(server: ReplicaServer) -> None:
    with requests.Session() as s:
        for _ in range(3):
            assert s.get(server.url + "/", timeout=5).status_code == 200
        assert s.head(server.url + "/", timeout=5).status_code == 200
    stats = server.stats()
    assert stats["connections"] == 1
    assert stats["requests"] == 4
    assert stats["by_status"] == {200: 4}


def _raw_exchange(server: ReplicaServer, request: bytes) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_connection_close_is_honoured_and_http10_keep_alive_is_acknowledged(server: ReplicaServer) -> None:
    closed = _raw_exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b"\r\nConnection: close\r\n" in closed
    # HTTP/1.0 without keep-alive: the server closes, so the read above-style loop ends.
    old = _raw_exchange(server, b"GET / HTTP/1.0\r\n\r\n")
    assert old.startswith(b"HTTP/1.1 200 ")
    assert b"\r\nConnection: close\r\n" in old
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        time.sleep(0.1)
        reply = sock.recv(65536)
    assert b"\r\nConnection: keep-alive\r\n" in reply


# Conditional GET


def test_matching_etag_gives_304_with_validators_and_no_body(server: ReplicaServer) -> None:
    r = requests.get(server.url + "/", headers={"If-None-Match": HOME_ETAG}, timeout=5)
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["ETag"] == HOME_ETAG
    assert r.headers["Last-Modified"] == "Tue, 02 Jan 2024 03:04:05 GMT"
    assert r.headers["Date"] == "Fri, 01 Mar 2024 08:30:00 GMT"
    assert server.stats()["not_modified"] == 1


@pytest.mark.parametrize(
    "value",
    ['W/"home-1"', '"other", "home-1"', '"a",W/"home-1" ,"b"', "*"],
    ids=["weak", "list", "mixed", "star"],
)
def test_if_none_match_uses_weak_comparison_lists_and_star(server: ReplicaServer, value: str) -> None:
    assert requests.get(server.url + "/", headers={"If-None-Match": value}, timeout=5).status_code == 304


def test_weak_site_etag_matches_its_strong_form(server: ReplicaServer) -> None:
    r = requests.get(server.url + "/col/col123/index.html", headers={"If-None-Match": '"col-7"'}, timeout=5)
    assert r.status_code == 304


@pytest.mark.parametrize(
    ("since", "status"),
    [
        ("Tue, 02 Jan 2024 03:04:05 GMT", 304),  # equal at second precision (the page has milliseconds)
        ("Wed, 03 Jan 2024 00:00:00 GMT", 304),
        ("Tue, 02 Jan 2024 03:04:04 GMT", 200),
        ("not a date", 200),
    ],
)
def test_if_modified_since(server: ReplicaServer, since: str, status: int) -> None:
    r = requests.get(server.url + "/", headers={"If-Modified-Since": since}, timeout=5)
    assert r.status_code == status


def test_if_none_match_wins_over_if_modified_since(server: ReplicaServer) -> None:
    headers = {"If-None-Match": '"stale"', "If-Modified-Since": "Wed, 03 Jan 2024 00:00:00 GMT"}
    r = requests.get(server.url + "/", headers=headers, timeout=5)
    assert r.status_code == 200
    assert r.text == "<html>首页 home</html>"


def test_conditional_head_and_only_for_200(server: ReplicaServer) -> None:
    assert requests.head(server.url + "/", headers={"If-None-Match": HOME_ETAG}, timeout=5).status_code == 304
    assert requests.get(server.url + "/missing", headers={"If-None-Match": "*"}, timeout=5).status_code == 404


def test_304_keeps_the_connection_usable(server: ReplicaServer) -> None:
    with requests.Session() as s:
        assert s.get(server.url + "/", headers={"If-None-Match": HOME_ETAG}, timeout=5).status_code == 304
        assert s.get(server.url + "/big.html", timeout=5).content == b"x" * 20_000
    assert server.stats()["connections"] == 1


def test_etag_matches_and_cookie_parsing_units() -> None:
    assert etag_matches('"a", "b"', "b")  # a bare site etag is quoted for comparison
    assert not etag_matches('"a"', None)
    assert not etag_matches('"ab"', '"a"')
    assert parse_cookies(["a=1; b=x=y", "a=2;c"]) == {"a": "1", "b": "x=y"}


# Faults: every knob at rate 1.0, bounded by max_consecutive_faults


def _outcome(url: str) -> str:
    try:
        r = requests.get(url, timeout=5)
    except requests.exceptions.ChunkedEncodingError:
        return "truncate"
    except requests.exceptions.ConnectionError:
        return "reset"
    return str(r.status_code)


def test_reset_closes_without_answer_then_the_fourth_attempt_succeeds(make_server: ServerFactory) -> None:
    server = make_server(fault_reset_rate=1.0, max_consecutive_faults=3)
    for _ in range(3):
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(server.url + "/", timeout=5)
    assert requests.get(server.url + "/", timeout=5).status_code == 200
    assert server.stats()["faults"]["reset"] == 3


def test_truncate_sends_full_length_and_half_the_body(make_server: ServerFactory) -> None:
    server = make_server(fault_truncate_rate=1.0, max_consecutive_faults=3)
    for _ in range(3):
        with pytest.raises(
            (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
        ):
            requests.get(server.url + "/big.html", timeout=5)
    assert requests.get(server.url + "/big.html", timeout=5).content == b"x" * 20_000
    raw = _raw_exchange(server, b"GET /big.html HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Content-Length: 20000" in head
    assert len(body) == 10_000


def test_truncated_head_request_cuts_the_header_block(make_server: ServerFactory) -> None:
    # With no body to cut, half the header block is sent: the blank line that ends it never comes.
    server = make_server(fault_truncate_rate=1.0)
    raw = _raw_exchange(server, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200 ")
    assert b"\r\n\r\n" not in raw


def test_5xx_fault(make_server: ServerFactory) -> None:
    server = make_server(fault_5xx_rate=1.0, max_consecutive_faults=3)
    statuses = [requests.get(server.url + "/", timeout=5).status_code for _ in range(4)]
    assert all(s in (500, 502, 503) for s in statuses[:3])
    assert statuses[3] == 200
    assert server.stats()["faults"]["5xx"] == 3


def test_429_fault_carries_retry_after(make_server: ServerFactory) -> None:
    server = make_server(fault_429_rate=1.0, retry_after_seconds=7, max_consecutive_faults=3)
    responses = [requests.get(server.url + "/", timeout=5) for _ in range(4)]
    assert [r.status_code for r in responses] == [429, 429, 429, 200]
    assert responses[0].headers["Retry-After"] == "7"


def test_slow_answers_wait_slow_seconds(make_server: ServerFactory) -> None:
    server = make_server(slow_rate=1.0, slow_seconds=0.3, max_consecutive_faults=1)
    started = time.monotonic()
    assert requests.get(server.url + "/", timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert requests.get(server.url + "/", timeout=5).status_code == 200  # the cap lets this one be fast
    assert time.monotonic() - started < 0.3
    assert server.stats()["faults"]["slow"] == 1


def test_max_consecutive_is_per_url(make_server: ServerFactory) -> None:
    server = make_server(fault_5xx_rate=1.0, max_consecutive_faults=2)
    paths = ["/", "/big.html", "/", "/big.html", "/"]
    seq = [requests.get(server.url + p, timeout=5).status_code for p in paths]
    assert seq[4] == 200 and all(s >= 500 for s in seq[:4])


def _fault_sequence(server: ReplicaServer) -> list[str]:
    paths = ["/", "/big.html", "/col/col123/index.html?a=1"]
    return [_outcome(server.url + path) for _ in range(6) for path in paths]


def test_faults_are_deterministic_per_seed(make_server: ServerFactory) -> None:
    knobs = dict(fault_reset_rate=0.2, fault_truncate_rate=0.2, fault_5xx_rate=0.2, fault_429_rate=0.2)
    first = _fault_sequence(make_server(seed=7, **knobs))
    again = _fault_sequence(make_server(seed=7, **knobs))
    other = _fault_sequence(make_server(seed=8, **knobs))
    assert first == again
    assert first != other
    assert len(set(first)) > 2  # the rates really mix kinds


def test_rate_limit_bursts_get_429_with_retry_after(make_server: ServerFactory) -> None:
    server = make_server(rate_limit_per_second=1.0, retry_after_seconds=3)
    with requests.Session() as s:
        responses = [s.get(server.url + "/", timeout=5) for _ in range(5)]
    assert responses[0].status_code == 200
    limited = [r for r in responses if r.status_code == 429]
    assert len(limited) >= 3
    assert all(r.headers["Retry-After"] == "3" for r in limited)
    assert server.stats()["rate_limited"] == len(limited)


def test_one_debug_log_line_per_request(server: ReplicaServer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="disclosure_audit.replica.server"):
        requests.get(server.url + "/?x=1", timeout=5)
        requests.get(server.url + "/missing", timeout=5)
        time.sleep(0.05)
    lines = [r.getMessage() for r in caplog.records if r.name == "disclosure_audit.replica.server"]
    assert any("GET /?x=1 -> 200" in line for line in lines)
    assert any("GET /missing -> 404" in line for line in lines)


def test_knobs_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        Knobs(fault_5xx_rate=1.5)
    with pytest.raises(ValueError):
        Knobs(challenge_hash="sha512")


def test_stop_is_idempotent_and_closes_idle_keep_alive(make_server: ServerFactory) -> None:
    server = make_server()
    sock = socket.create_connection((server.host, server.port), timeout=5)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.1)
    assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    server.stop()
    server.stop()
    assert sock.recv(65536) == b""
    sock.close()


def test_context_manager_serves_and_stops() -> None:
    with ReplicaServer(FixedSite(), Knobs()) as server:
        assert requests.get(server.url + "/", timeout=5).status_code == 200
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(server.url + "/", timeout=2)
