"""The `check`, `findings` and `suites` commands: run the rules, list findings, rebuild the GX project."""

from __future__ import annotations

import argparse
import json
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
    from disclosure_audit.http.capture import data_dir as default_data_dir
    from disclosure_audit.store import migrate, server

    _, url = server.project_database()
    migrate.apply_migrations(url)
    return url, data_dir or default_data_dir(server.project_root())


def prepare_facts(url: str, rate: float, links: bool = True) -> dict:
    """What the facts need besides the crawl: the working-day calendar, link checks over HTTP and the
    repeal register, per site."""
    import psycopg2

    from disclosure_audit.calendar.db import load_workdays
    from disclosure_audit.checks.links import check_links
    from disclosure_audit.checks.validity import refresh_repeals
    from disclosure_audit.http.client import PoliteClient

    done: dict = {"calendar": load_workdays(url)}
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT s.site_id, s.base_url, max(r.run_id) FROM core.sites s JOIN core.crawl_runs r USING (site_id) "
            "WHERE r.status IN ('succeeded', 'partial') GROUP BY s.site_id, s.base_url ORDER BY s.site_id"
        )
        sites = cur.fetchall()
    for site_id, base_url, run_id in sites:
        if links:
            client = PoliteClient(base_url, requests_per_second=rate)
            done[base_url] = check_links(url, site_id, run_id, client)
        refresh_repeals(url, site_id, run_id)
    return done


def format_check_summary(summary) -> str:
    lines = [
        f"检查完成 check run {summary.check_run_id} (基准日 as of {summary.as_of})",
        f"  {'规则 rule':<36} {'检查 checked':>12} {'不合格 failed':>13} {'无法评估 n/a':>12}",
    ]
    for rule in rules.RULES:
        r = summary.results.get(rule.id)
        if r is None:
            continue
        tail = f"  ⚠ {r.exception}" if r.exception else ""
        lines.append(f"  {rule.id:<36} {r.checked:>12} {r.failed:>13} {r.not_evaluable:>12}  {rule.title_zh}{tail}")
    if summary.as_of is None:
        lines.append(
            "  尚无成功的采集，没有可检查的信息 / no successful crawl yet, nothing to check: "
            "run `disclosure-audit crawl --site URL --org NAME` first"
        )
    f = summary.findings
    lines.append(
        f"  问题 findings: 新增 opened {f.opened}, 仍未整改 still open {f.still_open}, "
        f"已整改 closed {f.closed_passed}, 随信息撤下关闭 closed as removed {f.closed_removed}"
    )
    if summary.data_docs:
        lines.append(f"  数据文档 Data Docs: {summary.data_docs}")
    if summary.broken_rules:
        lines.append(f"  无法运行的规则 rules that could not run: {', '.join(summary.broken_rules)}")
    return "\n".join(lines)


def cmd_check(args: argparse.Namespace) -> int:
    from disclosure_audit.checks.run import run_checks

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
