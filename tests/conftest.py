"""Shared fixtures. Tests run against a real PostgreSQL, found or started like the CLI does it.

They never use the project database (disclosure_audit): each session gets its own
disclosure_audit_test_<random> database, migrated, and drops it at the end.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from disclosure_audit.crawl import CrawlConfig, CrawlSummary, crawl
from disclosure_audit.replica.corpus import ORGS, Corpus
from disclosure_audit.replica.server import Knobs, ReplicaServer
from disclosure_audit.replica.site import ReplicaSite
from disclosure_audit.replica.variants import DEFAULT_VARIANTS, Variants
from disclosure_audit.store import migrate, server


def _test_database_name() -> str:
    return f"disclosure_audit_test_{secrets.token_hex(6)}"


@pytest.fixture(scope="session")
def pg_server() -> server.Server:
    """The server the CLI would use (DISCLOSURE_DATABASE_URL, 127.0.0.1:5432 or .local/)."""
    return server.find_server()


@contextmanager
def _migrated_database(pg_server: server.Server) -> Iterator[str]:
    name = _test_database_name()
    server.create_database(pg_server, name)
    try:
        url = pg_server.url_for(name)
        migrate.apply_migrations(url)
        yield url
    finally:
        server.drop_database(pg_server, name)


@pytest.fixture(scope="session")
def database_url(pg_server: server.Server) -> Iterator[str]:
    """URL of a fresh, migrated database for this test session; dropped afterwards."""
    with _migrated_database(pg_server) as url:
        yield url


@pytest.fixture
def empty_database_url(pg_server: server.Server) -> Iterator[str]:
    """URL of a fresh database with no migration applied; dropped after the test."""
    name = _test_database_name()
    server.create_database(pg_server, name)
    try:
        yield pg_server.url_for(name)
    finally:
        server.drop_database(pg_server, name)


# ---------------------------------------------------------------- crawling the replica
ALL_ORGS = [o.name for o in ORGS]


@pytest.fixture
def fresh_db(pg_server: server.Server) -> Iterator[str]:
    """A migrated database of its own for one test (crawls must not see each other's data)."""
    with _migrated_database(pg_server) as url:
        yield url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Replica:
    """The replica on one port across simulated days, as a real site stays at one address."""

    def __init__(self, items: int = 300, knobs: Knobs | None = None, variants: Variants = DEFAULT_VARIANTS) -> None:
        self.items = items
        self.knobs = knobs or Knobs()
        self.variants = variants
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.server: ReplicaServer | None = None

    @contextmanager
    def day(self, day: int, knobs: Knobs | None = None, variants: Variants | None = None) -> Iterator[ReplicaServer]:
        site = ReplicaSite(Corpus(self.items, day, 0), variants=variants or self.variants)
        srv = ReplicaServer(site, knobs or self.knobs, port=self.port)
        srv.start()
        try:
            yield srv
        finally:
            srv.stop()


def run(
    replica: Replica,
    db: str,
    data_dir: Path,
    *,
    full: bool = False,
    orgs: list[str] | None = None,
    rate: float = 500.0,
    **kw,
) -> CrawlSummary:
    config = CrawlConfig(
        site=replica.base_url,
        orgs=orgs or ALL_ORGS,
        database_url=db,
        data_dir=data_dir,
        full=full,
        requests_per_second=rate,
        max_in_flight_per_host=4,
        retry_wait_seconds=0.05,
        show_progress=False,
        **kw,
    )
    return crawl(config)


@pytest.fixture
def replica_at() -> type[Replica]:
    return Replica


@pytest.fixture
def crawl_run():
    return run
