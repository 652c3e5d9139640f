"""The command line: exit codes, messages, password masking, the db commands on a test database."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys

import pytest

from disclosure_audit.cli import main
from disclosure_audit.store import server


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://auditor:s3cr%40t@db.example:5432/x", "postgresql://auditor:***@db.example:5432/x"),
        ("postgresql://auditor@db.example/x", "postgresql://auditor@db.example/x"),
        ("postgresql://db.example/x?user=a&password=s3cr3t", "postgresql://db.example/x?user=a&password=***"),
        ("host=db.example password=s3cr3t dbname=x", "host=db.example password=*** dbname=x"),
        ("host=db.example password='s3 cr3t' dbname=x", "host=db.example password=*** dbname=x"),
    ],
)
def test_mask_url_hides_passwords(url, masked):
    assert server.mask_url(url) == masked


def test_db_url_prints_the_url_with_the_password_masked(monkeypatch, capsys):
    monkeypatch.setenv(server.ENV_URL, "postgresql://auditor:s3cr3t-pw@db.invalid:5432/audit")
    assert main(["db", "url"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "postgresql://auditor:***@db.invalid:5432/audit"
    assert "s3cr3t-pw" not in out + err


def test_an_expected_error_is_one_paragraph_without_traceback(monkeypatch, capsys):
    monkeypatch.setenv(server.ENV_URL, "mysql://root:hunter2@localhost/x")
    assert main(["db", "url"]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("disclosure-audit: error: DISCLOSURE_DATABASE_URL must be a libpq URL")
    assert "Traceback" not in err and "hunter2" not in err
    assert err.strip().count("\n") == 0

    assert main(["--debug", "db", "url"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_usage_errors_exit_2():
    for argv in ([], ["db"], ["db", "no-such-command"], ["--no-such-option"]):
        command = [sys.executable, "-m", "disclosure_audit", *argv]
        done = subprocess.run(command, capture_output=True, text=True)
        assert done.returncode == 2, (argv, done.stderr)
        assert "usage:" in done.stderr


def test_db_migrate_on_a_migrated_database_applies_nothing(database_url, monkeypatch, capsys):
    monkeypatch.setenv(server.ENV_URL, database_url)
    assert main(["db", "migrate"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_db_ensure_creates_the_database_named_in_the_url(pg_server, monkeypatch, capsys):
    name = f"disclosure_audit_test_{secrets.token_hex(6)}"
    url = pg_server.url_for(name)
    monkeypatch.setenv(server.ENV_URL, url)
    try:
        assert main(["db", "ensure"]) == 0
        assert capsys.readouterr().out.strip() == server.mask_url(url)
        assert main(["db", "migrate"]) == 0
        assert "0001_schemas" in capsys.readouterr().out
    finally:
        server.drop_database(pg_server, name)


def test_db_ensure_with_an_unreachable_environment_url_says_so_without_the_password(monkeypatch, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv(server.ENV_URL, f"postgresql://auditor:s3cr3t-pw@127.0.0.1:{port}/audit")
    assert main(["db", "ensure"]) == 1
    err = capsys.readouterr().err
    assert f"postgresql://auditor:***@127.0.0.1:{port}/audit" in err
    assert "connecting to it failed" in err and "s3cr3t-pw" not in err


def test_a_reader_that_stops_early_ends_the_command_quietly():
    # `disclosure-audit … | head`: the pipe closes after the first line; no BrokenPipeError traceback
    proc = subprocess.Popen(
        [sys.executable, "-m", "disclosure_audit", "replica", "truth", "--items", "3000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_a_lost_database_connection_is_one_line_without_the_migrate_hint(capsys, monkeypatch) -> None:
    import psycopg2

    from disclosure_audit import cli

    def lost(args) -> int:
        raise psycopg2.InterfaceError("connection already closed")

    parser = cli.build_parser()
    args = parser.parse_args(["findings"])
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    monkeypatch.setattr(parser, "parse_args", lambda argv=None: argparse_namespace(args, lost))
    assert cli.main(["findings"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("disclosure-audit: error: database connection lost: connection already closed.")
    assert "db migrate" not in err and "Traceback" not in err


def argparse_namespace(args, func):
    args.func = func
    return args
