"""Shared fixtures. Tests run against a real PostgreSQL, found or started like the CLI does it.

They never use the project database (disclosure_audit): each session gets its own
disclosure_audit_test_<random> database, migrated, and drops it at the end.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from disclosure_audit.store import migrate, server


def _test_database_name() -> str:
    return f"disclosure_audit_test_{secrets.token_hex(6)}"


@pytest.fixture(scope="session")
def pg_server() -> server.Server:
    """The server the CLI would use (DISCLOSURE_DATABASE_URL, 127.0.0.1:5432 or .local/)."""
    return server.find_server()


@pytest.fixture(scope="session")
def database_url(pg_server: server.Server) -> Iterator[str]:
    """URL of a fresh, migrated database for this test session; dropped afterwards."""
    name = _test_database_name()
    server.create_database(pg_server, name)
    try:
        url = pg_server.url_for(name)
        migrate.apply_migrations(url)
        yield url
    finally:
        server.drop_database(pg_server, name)


@pytest.fixture
def empty_database_url(pg_server: server.Server) -> Iterator[str]:
    """URL of a fresh database with no migration applied; dropped after the test."""
    name = _test_database_name()
    server.create_database(pg_server, name)
    try:
        yield pg_server.url_for(name)
    finally:
        server.drop_database(pg_server, name)
