"""Least privilege: the nightly job runs as a member of disclosure_writer, which holds only what it needs.

The whole job — crawl, check (facts refreshed through qa.refresh_facts), the published-report check,
a register import and freezing a year — runs as a login role that is a member of disclosure_writer;
the same role is refused DDL, TRUNCATE, ownership-only commands and the report configuration.
(report_reader's limits are tested in tests/report/test_freeze.py.)
"""

from __future__ import annotations

import secrets
from contextlib import closing

import psycopg2
import pytest

from disclosure_audit.checks.prepare import prepare_facts
from disclosure_audit.checks.run import run_checks
from disclosure_audit.report.audit import as_checked, audit_published
from disclosure_audit.report.findings import record_report_findings
from disclosure_audit.report.freeze import freeze_year
from disclosure_audit.store.server import with_database


@pytest.fixture
def writer_url(fresh_db):
    name = f"da_writer_{secrets.token_hex(4)}"
    with closing(psycopg2.connect(fresh_db)) as conn:
        conn.autocommit = True
        conn.cursor().execute(f"CREATE ROLE {name} LOGIN IN ROLE disclosure_writer")
    url = fresh_db.replace("://postgres@", f"://{name}@", 1)
    assert url != fresh_db, "the test database URL names its user"
    yield url
    with closing(psycopg2.connect(with_database(fresh_db, "postgres"))) as conn:
        conn.autocommit = True
        conn.cursor().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (name,))
        conn.cursor().execute(f"DROP ROLE {name}")


def test_the_nightly_job_runs_as_the_writer_role(writer_url, fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(300)
    data = tmp_path / "data"
    with replica.day(0):
        summary = crawl_run(replica, writer_url, data)
    assert summary.status == "succeeded"
    prepare_facts(writer_url, 500.0, links=False)
    checked = run_checks(writer_url, data)
    assert not checked.broken_rules and checked.findings.opened > 0
    with closing(psycopg2.connect(writer_url)) as conn:
        entries = audit_published(conn, data)
        assert record_report_findings(conn, as_checked(entries)).opened >= 2
        frozen = freeze_year(conn, "合肥市地震局", 2024)
        assert frozen["frozen"]["frozen_at"]
        with conn.cursor() as cur:
            cur.execute("SELECT current_user, pg_has_role(current_user, 'disclosure_writer', 'member')")
            user, member = cur.fetchone()
    assert user.startswith("da_writer_") and member


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE core.mine (x int)",
        "CREATE TABLE public.mine (x int)",
        "DROP TABLE core.items",
        "ALTER TABLE core.items ADD COLUMN x int",
        "TRUNCATE core.items",
        "REFRESH MATERIALIZED VIEW qa.item_facts",
        "UPDATE report.register_rows SET row_label = '规章'",
        "UPDATE report.frozen_reports SET figures = '{}'",
        "DELETE FROM report.frozen_figure_items",
        "CREATE ROLE someone",
    ],
)
def test_the_writer_role_is_refused_what_it_does_not_need(writer_url, statement) -> None:
    with closing(psycopg2.connect(writer_url)) as conn, conn.cursor() as cur:
        with pytest.raises(psycopg2.Error) as caught:
            cur.execute(statement)
        assert caught.value.pgcode in ("42501", "42P01"), caught.value  # insufficient privilege (or no such)
        assert caught.value.pgcode == "42501" or "mine" in statement


def test_only_the_writer_may_refresh_the_facts_with_the_owners_rights(fresh_db) -> None:
    with closing(psycopg2.connect(fresh_db)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT has_function_privilege(r, 'qa.refresh_facts()', 'EXECUTE') FROM unnest(%s::text[]) AS r",
            (["disclosure_writer", "report_reader", "public"],),
        )
        assert [r[0] for r in cur.fetchall()] == [True, False, False]
        cur.execute("SELECT prosecdef, proconfig FROM pg_proc WHERE oid = 'qa.refresh_facts()'::regprocedure")
        assert cur.fetchone() == (True, ["search_path=pg_catalog, pg_temp"])
