"""The `disclosure-audit` command: one argparse parser, one subcommand group per module.

Each group lives in its own module with a `register(subparsers) -> None` function that adds its
parser and sets `func` (taking the parsed arguments, returning an exit code) on each command.

Exit codes: 0 success, 2 usage error (argparse), 1 any other error. An expected error
(`DisclosureAuditError`) is shown as a one-paragraph message on stderr; `--debug` adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

import psycopg2

from disclosure_audit import __version__, crawl_cli, demo
from disclosure_audit.calendar import cli as calendar_cli
from disclosure_audit.checks import cli as checks_cli
from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.replica import cli as replica_cli
from disclosure_audit.report import cli as report_cli
from disclosure_audit.store import cli as store_cli

GROUPS = (store_cli, replica_cli, crawl_cli, demo, calendar_cli, checks_cli, report_cli)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="disclosure-audit",
        description="Audit Chinese government information-disclosure websites (政府信息公开).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    subparsers = parser.add_subparsers(dest="group", required=True, metavar="GROUP")
    for group in GROUPS:
        group.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on a usage error
    try:
        return int(args.func(args) or 0)
    except DisclosureAuditError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"disclosure-audit: error: {exc}", file=sys.stderr)
        return 1
    except psycopg2.Error as exc:
        # a database that refuses a statement: say which, without a Python traceback (unless --debug)
        if args.debug:
            traceback.print_exc()
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, psycopg2.InterfaceError | psycopg2.OperationalError) and not getattr(exc, "pgcode", None):
            # the server went away (restart, network): the schema is not the problem
            print(
                f"disclosure-audit: error: database connection lost: {first}. The server restarted or became "
                "unreachable during the command; what was committed stays, the step in progress was rolled back. "
                "Run the command again once the server is up; add --debug for the full trace.",
                file=sys.stderr,
            )
            return 1
        print(
            f"disclosure-audit: database error: {first}. If the schema looks out of date, run "
            "`disclosure-audit db migrate`; add --debug for the full trace.",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("disclosure-audit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `items | head`: the reader has all it wanted; end quietly, as other command-line tools do
        # (stdout is pointed at /dev/null so the interpreter's final flush cannot fail again)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
