"""The migrations of sql/ on a real database: what they create, and that re-running changes nothing."""

from __future__ import annotations

import contextlib
from pathlib import Path

from disclosure_audit.store import migrate, server

SCHEMAS = {"core", "qa", "ref", "report"}


def _schema_comments(url: str) -> dict[str, str | None]:
    with contextlib.closing(server.connect(url)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT nspname, obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = ANY(%s)",
            (sorted(SCHEMAS),),
        )
        return dict(cur.fetchall())


def test_migrations_create_the_four_schemas_with_bilingual_comments(database_url):
    comments = _schema_comments(database_url)
    assert set(comments) == SCHEMAS
    for name, comment in comments.items():
        assert comment, f"schema {name} has no comment"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in comment), f"{name}: no Chinese in {comment!r}"
        assert any("a" <= ch <= "z" for ch in comment), f"{name}: no English in {comment!r}"
    assert "采集的信息" in comments["core"]


def test_every_sql_file_is_in_the_ledger(database_url):
    files = sorted(p.stem for p in migrate.sql_dir().glob("*.sql") if not p.name.endswith(".rollback.sql"))
    assert [mid for mid, _ in migrate.applied_migrations(database_url)] == files


def test_migrating_twice_applies_once_and_leaves_the_ledger_unchanged(empty_database_url):
    assert migrate.applied_migrations(empty_database_url) == []
    first = migrate.apply_migrations(empty_database_url)
    assert first[0] == "0001_schemas"
    ledger = migrate.applied_migrations(empty_database_url)
    assert [mid for mid, _ in ledger] == first

    assert migrate.apply_migrations(empty_database_url) == []
    assert migrate.applied_migrations(empty_database_url) == ledger
    assert set(_schema_comments(empty_database_url)) == SCHEMAS


def test_sql_dir_is_the_top_level_sql_folder():
    folder = migrate.sql_dir()
    assert folder == Path(__file__).resolve().parents[1] / "sql"
    assert (folder / "0001_schemas.sql").is_file()
