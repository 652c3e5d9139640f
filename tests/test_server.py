"""Finding or starting PostgreSQL: each path of find_server, for real (no mocks)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from pathlib import Path

import psycopg2
import pytest

from disclosure_audit.store import server


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound once by the OS, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_server_anywhere_says_what_was_tried_and_what_to_do(tmp_path):
    port = closed_port()
    with pytest.raises(server.StoreError) as caught:
        server.find_server(env={}, port=port, bin_dirs=[], state_dir=tmp_path / ".local")
    message = str(caught.value)
    assert "DISCLOSURE_DATABASE_URL is not set" in message
    assert f"127.0.0.1:{port}" in message
    assert "Connection refused" in message or "connection refused" in message.lower()
    assert "initdb" in message and "empty search path" in message
    assert "apt-get install postgresql" in message
    assert "\n" not in message  # one paragraph
    assert not (tmp_path / ".local" / "pgdata").exists()


def test_the_environment_url_is_used_as_is_without_connecting():
    url = "postgresql://auditor@db.invalid:6543/audit_x?sslmode=require"
    found = server.find_server(env={server.ENV_URL: url}, port=closed_port(), bin_dirs=[])
    assert found.source == "env"
    assert found.project_url("ignored") == url


def test_a_non_postgres_environment_url_is_refused_clearly():
    with pytest.raises(server.StoreError, match="DISCLOSURE_DATABASE_URL must be a libpq URL"):
        server.find_server(env={server.ENV_URL: "mysql://root:hunter2@localhost/x"})
    with pytest.raises(server.StoreError) as caught:
        server.find_server(env={server.ENV_URL: "mysql://root:hunter2@localhost/x"})
    assert "hunter2" not in str(caught.value)


def test_the_local_server_is_found_with_trust_auth(pg_server):
    if pg_server.source != "local":
        pytest.skip(f"this machine's tests use {pg_server.describe()}, not 127.0.0.1:5432")
    found = server.find_server(env={})
    assert found.source == "local"
    assert found.admin_url.startswith("postgresql://")
    assert found.admin_url.endswith("@127.0.0.1:5432/postgres")


def test_ensure_database_creates_it_once_and_returns_a_password_free_url(pg_server):
    name = f"disclosure_audit_test_{os.getpid()}_ensure"
    try:
        url = server.ensure_database(pg_server, name)
        assert server.database_of(url) == name
        assert server.ensure_database(pg_server, name) == url
        assert server.create_database(pg_server, name) is False
        with contextlib.closing(server.connect(url)) as conn, conn.cursor() as cur:
            cur.execute("SELECT current_database()")
            assert cur.fetchone()[0] == name
    finally:
        server.drop_database(pg_server, name)


def test_database_names_are_quoted_not_interpolated(pg_server):
    name = 'disclosure_audit_test_Odd "name"; --'
    try:
        assert server.create_database(pg_server, name) is True
        with contextlib.closing(server.connect(pg_server.url_for(name))) as conn, conn.cursor() as cur:
            cur.execute("SELECT current_database()")
            assert cur.fetchone()[0] == name
    finally:
        server.drop_database(pg_server, name)


def _has_postgres_binaries() -> bool:
    return bool(server.find_binaries(server.default_bin_dirs()))


@pytest.mark.skipif(not _has_postgres_binaries(), reason="no initdb/pg_ctl on PATH or in /usr/lib/postgresql")
def test_a_private_cluster_starts_serves_is_reused_and_stops():
    # Not pytest's tmp_path: as root the cluster runs as the postgres OS user, which must be able
    # to enter every folder above it, and /tmp/pytest-of-root is private to root.
    state = Path(tempfile.mkdtemp(prefix="disclosure-audit-pg-"))
    state.chmod(0o755)
    env = {"PATH": os.environ.get("PATH", "")}
    preferred = server.free_port(56000 + os.getpid() % 5000)
    try:
        found = server.find_server(env=env, port=closed_port(), state_dir=state, private_port=preferred)
        assert found.source == "private"
        assert found.pgdata == state / "pgdata"
        assert (state / "pgdata" / "PG_VERSION").is_file()
        assert (state / "pg.log").is_file()
        assert found.admin_url.startswith("postgresql://") and ":" in found.admin_url.rsplit("@", 1)[1]

        url = server.ensure_database(found, "probe_db")
        with contextlib.closing(server.connect(url)) as conn, conn.cursor() as cur:
            cur.execute("SELECT current_database(), current_setting('listen_addresses')")
            assert cur.fetchone() == ("probe_db", "127.0.0.1")

        again = server.find_server(env=env, port=closed_port(), state_dir=state, private_port=preferred)
        assert again.admin_url == found.admin_url  # the running cluster is reused

        assert server.stop_private_cluster(state, env=env).startswith("Stopped")
        with pytest.raises(psycopg2.OperationalError):
            server.connect(url, connect_timeout=2).close()
        assert "not running" in server.stop_private_cluster(state, env=env)
    finally:
        with contextlib.suppress(server.StoreError):
            server.stop_private_cluster(state, env=env)
        shutil.rmtree(state, ignore_errors=True)


def test_stop_without_a_private_cluster_says_so(tmp_path):
    assert "nothing to stop" in server.stop_private_cluster(tmp_path, env={}, bin_dirs=[])


def test_free_port_skips_a_taken_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        assert server.free_port(taken) != taken


def test_project_root_walks_up_to_this_projects_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "disclosure-audit"\n', encoding="utf-8")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert server.project_root(deep, env={}) == tmp_path.resolve()


def test_project_root_ignores_other_projects_then_uses_disclosure_home(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text('[project]\nname = "something-else"\n', encoding="utf-8")
    home = tmp_path / "home"
    assert server.project_root(other, env={server.ENV_HOME: str(home)}) == home.resolve()
    assert server.project_root(other, env={}) == other.resolve()


def test_database_name_default_override_and_validation():
    assert server.database_name({}) == "disclosure_audit"
    assert server.database_name({server.ENV_NAME: "audit_dev"}) == "audit_dev"
    with pytest.raises(server.StoreError, match="DISCLOSURE_DATABASE_NAME"):
        server.database_name({server.ENV_NAME: "x" * 64})
