"""The `check`, `findings` and `suites` commands: run the rules, list findings, rebuild the GX project."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from disclosure_audit import rules


def register(subparsers: argparse._SubParsersAction) -> None:
    check = subparsers.add_parser("check", help="check every rule over the crawled data (检查) and update findings")
    check.add_argument("--no-links", action="store_true", help="skip resolving attachments and links over HTTP")
    check.add_argument("--rate", type=float, default=1.0, metavar="RPS", help="link checks: requests per second")
    check.add_argument("--data-dir", type=Path, default=None, help="where Data Docs go (DISCLOSURE_DATA_DIR)")
    check.set_defaults(func=cmd_check)

    findings = subparsers.add_parser("findings", help="print findings (问题清单) as JSON lines")
    findings.add_argument("--open", action="store_true", help="only findings not yet fixed")
    findings.add_argument("--rule", choices=rules.RULE_IDS, metavar="RULE", help="only this rule id")
    findings.add_argument("--org", metavar="NAME", help="only this organisation")
    findings.add_argument("--format", choices=("jsonl",), default="jsonl")
    findings.set_defaults(func=cmd_findings)

    suites = subparsers.add_parser("suites", help="the Great Expectations project in expectations/")
    sub = suites.add_subparsers(dest="suites_command", required=True, metavar="COMMAND")
    build = sub.add_parser("build", help="rewrite the suites, assets and checkpoint from the rule catalogue")
    build.add_argument("--directory", type=Path, default=None, help="project directory (default expectations/)")
    build.set_defaults(func=cmd_suites_build)


def _setup(data_dir: Path | None) -> tuple[str, Path]:
    from disclosure_audit.locations import data_dir as default_data_dir
    from disclosure_audit.store.migrate import ready_database

    return ready_database(), data_dir or default_data_dir()


def cmd_check(args: argparse.Namespace) -> int:
    from disclosure_audit.checks.prepare import prepare_facts
    from disclosure_audit.checks.run import run_checks
    from disclosure_audit.summary import format_check_summary

    if not getattr(args, "debug", False):
        # Great Expectations logs each failed SQL query with its whole traceback in the message (over a
        # thousand lines when the database goes away mid-checkpoint). What it caught is already recorded:
        # the rule's exception in qa.results and the summary's broken rules; --debug shows the logs again.
        logging.getLogger("great_expectations").setLevel(logging.CRITICAL)
    url, data_dir = _setup(args.data_dir)
    prepare_facts(url, args.rate, links=not args.no_links)
    summary = run_checks(url, data_dir)
    print(format_check_summary(summary))
    # findings are data; only a check that could not run is a failure of the command
    return 1 if summary.broken_rules else 0


def cmd_findings(args: argparse.Namespace) -> int:
    import psycopg2

    from disclosure_audit.checks.findings import query_findings

    url, _ = _setup(None)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for rec in query_findings(cur, open_only=args.open, rule=args.rule, org=args.org):
            sys.stdout.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
    return 0


def cmd_suites_build(args: argparse.Namespace) -> int:
    from disclosure_audit.checks.gx_project import build_project, project_dir

    url, data_dir = _setup(None)
    directory = args.directory or project_dir()
    build_project(directory, url, data_dir / "gx")
    print(f"wrote the Great Expectations project in {directory}")
    return 0
