"""Fixtures for the HTTP client tests: a fake clock, small sites and replica servers on 127.0.0.1."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from disclosure_audit.http.client import FetchResult
from disclosure_audit.replica.corpus import Corpus
from disclosure_audit.replica.http_types import Response
from disclosure_audit.replica.server import Knobs, ReplicaServer
from disclosure_audit.replica.site import ReplicaSite


class FakeClock:
    """monotonic() and sleep() for the client: sleeping only moves the clock on, and is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


class Recorder:
    """Collects every FetchResult the client hands its recorder."""

    def __init__(self) -> None:
        self.results: list[FetchResult] = []
        self._lock = threading.Lock()

    def __call__(self, result: FetchResult) -> None:
        with self._lock:
            self.results.append(result)

    def statuses(self) -> list[int]:
        return [r.status for r in self.results]


class TinySite:
    """Fixed pages for what the corpus site does not do: redirects, big bodies, a page always down."""

    def __init__(self, pages: dict[str, Response]) -> None:
        self.pages = pages

    def handle(self, path: str, query: dict[str, list[str]]) -> Response:
        return self.pages.get(path) or Response(404, b"<html>not found</html>")

    def clock(self) -> datetime:
        return datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return Corpus(300, 0, 0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


ReplicaFactory = Callable[..., ReplicaServer]


@pytest.fixture
def replica(corpus: Corpus) -> Iterator[ReplicaFactory]:
    """Start replica servers of the corpus site (or of `site=`) with the given knobs; stopped after."""
    servers: list[ReplicaServer] = []

    def make(site: object = None, crawl_delay: float | None = None, **knobs: object) -> ReplicaServer:
        served = site if site is not None else ReplicaSite(corpus, crawl_delay=crawl_delay)
        server = ReplicaServer(served, Knobs(**knobs)).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def detail_urls(corpus: Corpus) -> Callable[[str, int], list[str]]:
    """URLs of the first `count` detail pages of the corpus under `base`."""

    def urls(base: str, count: int) -> list[str]:
        ids = list(corpus.iter_ids())[:count]
        return [f"{base}/public/{corpus.organ_of(cid)}/{cid}.html" for cid in ids]

    return urls


@pytest.fixture
def tiny_site() -> Callable[[dict[str, Response]], TinySite]:
    return TinySite


@pytest.fixture
def serve_handler() -> Iterator[Callable[[type[http.server.BaseHTTPRequestHandler]], str]]:
    """`serve_handler(Handler)` serves Handler on a free loopback port and returns its base URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(handler: type[http.server.BaseHTTPRequestHandler]) -> str:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield serve
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()
