"""Apply the plain-SQL migrations of the top-level ``sql/`` folder with yoyo-migrations.

Each ``sql/NNNN_name.sql`` is one migration, applied once, in file-name order (yoyo's
``-- depends: ...`` header can order them explicitly); ``NNNN_name.rollback.sql`` undoes it.
yoyo keeps its ledger in its own tables (``_yoyo_migration``, ``_yoyo_log``, ...) in the
database's default schema, and locks so that two processes never migrate at once.

yoyo picks its driver from the URL scheme: ``postgresql://`` (and ``postgres://``) use psycopg2,
which this project installs; ``postgresql+psycopg://`` would need psycopg 3.
"""

from __future__ import annotations

import contextlib
import glob
import sysconfig
from pathlib import Path

import psycopg2
from yoyo import get_backend, read_migrations
from yoyo.exceptions import BadMigration, LockTimeout, MigrationConflict

from disclosure_audit.store.server import StoreError, connect, mask_url, project_root

LEDGER_TABLE = "_yoyo_migration"
LOCK_TIMEOUT = 60  # seconds to wait for another process's migration run


def sql_dir(root: Path | None = None) -> Path:
    """The folder of migration files.

    In order: ``<project root>/sql`` (a checkout, which is also what an editable install runs
    from); ``sql/`` beside the source tree of this very module (an editable install used from
    another working folder); ``<prefix>/share/disclosure-audit/sql``, where a wheel installs the
    same files as setuptools data-files (see pyproject.toml).
    """
    candidates = [
        (root or project_root()) / "sql",
        Path(__file__).resolve().parents[3] / "sql",
        Path(sysconfig.get_path("data")) / "share" / "disclosure-audit" / "sql",
    ]
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*.sql")):
            return candidate
    raise StoreError(
        "No migration files found: expected *.sql files in one of "
        + ", ".join(str(c) for c in candidates)
        + ". Run from the project checkout, or set DISCLOSURE_HOME to it."
    )


def _yoyo_url(url: str) -> str:
    """The URL for yoyo: the same libpq URL, psycopg2 driver, with a connect timeout."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise StoreError(f"Migrations need a postgresql:// URL, but got {mask_url(url)!r}.")
    if "connect_timeout=" in url:
        return url
    return url + ("&" if "?" in url else "?") + "connect_timeout=10"


def apply_migrations(url: str, directory: Path | None = None) -> list[str]:
    """Apply every migration of `directory` (default `sql_dir()`) not yet applied to database `url`.

    Returns the ids applied now, in order; an empty list when the database was up to date.
    """
    folder = directory or sql_dir()
    try:
        migrations = read_migrations(glob.escape(str(folder)))
    except (MigrationConflict, BadMigration, OSError) as exc:
        raise StoreError(f"Could not read the migrations in {folder}: {exc}.") from exc
    try:
        backend = get_backend(_yoyo_url(url))
    except psycopg2.Error as exc:
        raise StoreError(f"Could not connect to {mask_url(url)} to migrate it: {exc}".strip() + ".") from exc
    try:
        with backend.lock(timeout=LOCK_TIMEOUT):
            pending = backend.to_apply(migrations)
            for migration in pending:
                try:
                    backend.apply_one(migration)
                except psycopg2.Error as exc:
                    raise StoreError(
                        f"Migration {migration.id} ({migration.path}) failed on {mask_url(url)}: "
                        f"{str(exc).strip()}. Nothing of it was kept; earlier ones stay applied."
                    ) from exc
            if pending:
                backend.run_post_apply(pending)  # yoyo's post-apply*.sql hooks, as `yoyo apply` runs them
            return [m.id for m in pending]
    except LockTimeout as exc:
        raise StoreError(
            f"Another process has held yoyo's migration lock on {mask_url(url)} for {LOCK_TIMEOUT}s. "
            "Wait for it, or if it died, run `yoyo break-lock` on that database."
        ) from exc
    finally:
        backend.connection.close()


def applied_migrations(url: str) -> list[tuple[str, str]]:
    """The ledger: (migration id, applied at UTC as text), in order of application."""
    with contextlib.closing(connect(url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", (LEDGER_TABLE,))
        if cur.fetchone()[0] is None:
            return []
        cur.execute(
            f"SELECT migration_id, applied_at_utc::text FROM {LEDGER_TABLE} "
            "ORDER BY applied_at_utc, migration_id"
        )
        return [(row[0], row[1]) for row in cur.fetchall()]


def ready_database(url: str | None = None) -> str:
    """The database to work in, migrated to the latest schema: `url`, else the project database
    (DISCLOSURE_DATABASE_URL, a local server, or a private cluster; created when missing)."""
    from disclosure_audit.store import server

    if url is None:
        _, url = server.project_database()
    apply_migrations(url)
    return url
