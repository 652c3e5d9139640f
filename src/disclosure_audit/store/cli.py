"""The `disclosure-audit db ...` commands: find or start PostgreSQL, create the database, migrate."""

from __future__ import annotations

import argparse

from disclosure_audit.store import migrate, server


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `db` group to the top-level parser's subcommands."""
    db = subparsers.add_parser(
        "db",
        help="find or start PostgreSQL, create the project database, apply migrations",
        description=(
            "The database is chosen in this order: DISCLOSURE_DATABASE_URL; a server on 127.0.0.1:5432 "
            "with password-less (trust) login as postgres or as the current OS user; a private cluster "
            "started under <project>/.local/pgdata. The database name is DISCLOSURE_DATABASE_NAME "
            f"(default {server.DEFAULT_DATABASE})."
        ),
    )
    commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")

    url = commands.add_parser("url", help="print the project database URL (password masked)")
    url.set_defaults(func=_url)

    ensure = commands.add_parser("ensure", help="find/start the server, create the database, print its URL")
    ensure.set_defaults(func=_ensure)

    mig = commands.add_parser("migrate", help="ensure the database, then apply the migrations of sql/")
    mig.set_defaults(func=_migrate)

    stop = commands.add_parser("stop", help="stop the private cluster under <project>/.local, if it runs")
    stop.set_defaults(func=_stop)


def _url(args: argparse.Namespace) -> int:
    found = server.find_server()
    print(server.mask_url(found.project_url(server.database_name())))
    return 0


def _ensure(args: argparse.Namespace) -> int:
    _, url = server.project_database()
    print(server.mask_url(url))
    return 0


def _migrate(args: argparse.Namespace) -> int:
    _, url = server.project_database()
    applied = migrate.apply_migrations(url)
    where = server.mask_url(url)
    if applied:
        print(f"Applied {len(applied)} migration(s) to {where}: {', '.join(applied)}")
    else:
        print(f"{where} is up to date: no migration to apply.")
    return 0


def _stop(args: argparse.Namespace) -> int:
    print(server.stop_private_cluster())
    return 0
