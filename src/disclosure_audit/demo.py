"""The `disclosure-audit demo` command: serve the replica, crawl it into Postgres, show where everything is."""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from disclosure_audit.errors import DisclosureAuditError

if TYPE_CHECKING:
    from disclosure_audit.crawl import CrawlSummary
    from disclosure_audit.replica.corpus import Corpus
    from disclosure_audit.replica.server import ReplicaServer

DEFAULT_PORT = 8321
DEMO_RATE = 200.0  # requests per second: the replica is local, politeness toward it costs only time
SEED_ORG = "合肥市地震局"  # the organisation of the seed document 合震〔2020〕24号


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="serve the local replica and crawl it into Postgres, end to end (演示)",
        description=(
            "演示：启动本地仿真站点，准备并迁移数据库，采集全部单位，打印结果与下一步命令。"
            " / The demo: serve the local replica, make sure the database exists and is migrated, crawl every "
            "organisation, print the summary, where the data is and commands to try."
        ),
    )
    demo.add_argument("--items", type=int, default=300, help="day-0 number of items of the replica (default 300)")
    demo.add_argument("--day", type=int, default=0, help="simulated day: 0 is 2026-11-16, each day adds one")
    demo.add_argument("--seed", type=int, default=0, help="varies the replica's generated text, never the scenarios")
    demo.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port of the replica (default {DEFAULT_PORT}; a free one is used when it is taken; 0 = any)",
    )
    demo.add_argument(
        "--host", default="127.0.0.1", help="address the replica listens on (default 127.0.0.1; in Docker 0.0.0.0)"
    )
    demo.add_argument(
        "--org",
        action="append",
        dest="orgs",
        metavar="NAME",
        help="crawl only this organisation (repeatable; default: all the replica's organisations)",
    )
    demo.add_argument("--serve", action="store_true", help="keep serving the replica afterwards, until Ctrl-C")
    demo.set_defaults(func=cmd_demo)


@dataclass
class DemoRun:
    """What the steps share: the options, the served replica and what each step found."""

    args: argparse.Namespace
    corpus: Corpus
    replica: ReplicaServer
    site: str  # the base URL the crawler uses
    orgs: list[str]
    out: TextIO = field(default_factory=lambda: sys.stdout)
    database_url: str = ""
    data_dir: Path | None = None
    summary: CrawlSummary | None = None
    exit_code: int = 0

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)


Step = tuple[str, Callable[[DemoRun], None]]


def _settings(run: DemoRun):
    from disclosure_audit.pipeline import Settings

    # database_url=None: the project database, found like `db migrate` finds it (DISCLOSURE_DATABASE_URL
    # included) and created when missing.
    return Settings(site=run.site, orgs=tuple(run.orgs), requests_per_second=DEMO_RATE)


def step_database(run: DemoRun) -> None:
    """Find or start PostgreSQL, create the project database if needed, apply the migrations."""
    from disclosure_audit.pipeline import data_dir, database_url
    from disclosure_audit.store.server import mask_url

    settings = _settings(run)
    run.database_url = database_url(settings)
    run.data_dir = data_dir(settings)
    run.say(f"  数据库已就绪并已迁移 database ready and migrated: {mask_url(run.database_url)}")


def step_crawl(run: DemoRun) -> None:
    """Crawl the organisations from the replica and print the summary."""
    from disclosure_audit.crawl import crawl
    from disclosure_audit.pipeline import crawl_config
    from disclosure_audit.summary import format_crawl_summary

    run.say(f"  {len(run.orgs)} 个单位 organisation(s), {DEMO_RATE:g} 次/秒 requests per second: {', '.join(run.orgs)}")
    run.summary = crawl(
        crawl_config(_settings(run), database_url=run.database_url, max_in_flight_per_host=4, show_progress=True)
    )
    run.say(format_crawl_summary(run.summary))
    if run.summary.status != "succeeded":
        run.exit_code = 3  # as `disclosure-audit crawl` exits on a degraded crawl


def step_checks(run: DemoRun) -> None:
    """Resolve links, load the working-day calendar, run every rule, print the per-rule summary."""
    from disclosure_audit.checks.prepare import prepare_facts
    from disclosure_audit.checks.run import run_checks
    from disclosure_audit.summary import format_check_summary

    assert run.data_dir is not None, "the database step sets the data directory"
    prepare_facts(run.database_url, DEMO_RATE)
    summary = run_checks(run.database_url, run.data_dir)
    run.say(format_check_summary(summary))
    run.say(f"  问题清单 findings: {_command_name()} findings --open | head")
    if summary.broken_rules:
        run.exit_code = 1


def step_where(run: DemoRun) -> None:
    """Say where the data is and which commands show it."""
    from disclosure_audit.store.server import mask_url

    stored, capture_id, seed = _stored(run.database_url, run.site)
    prog = _command_name()
    run.say(f"  数据库 database: {mask_url(run.database_url)}（本站点现有信息 items of this site: {stored}）")
    run.say(f"  存档 WARC captures: {run.data_dir}")
    run.say(f"  仿真站点 replica: {_browse_url(run)}/public/")
    run.say("  试试 try:")
    org = SEED_ORG if SEED_ORG in run.orgs else run.orgs[0]
    run.say(f"    {prog} items --org {org} | head")
    if capture_id is not None:
        what = "种子文件 合震〔2020〕24号 的详情页 / the seed document's detail page"
        if not seed:
            what = "一条信息的详情页 / an item's detail page"
        run.say(f"    {prog} capture show {capture_id}            # {what}")
        run.say(f"    {prog} capture show {capture_id} --headers | head -20")
    if os.environ.get("DISCLOSURE_DATABASE_URL") or os.environ.get("DISCLOSURE_DATA_DIR"):
        run.say("    （使用同样的 DISCLOSURE_DATABASE_URL / DISCLOSURE_DATA_DIR 环境变量 / with the same environment）")


REPORT_YEAR = 2025


def step_report(run: DemoRun) -> None:
    """Write the bureau's 2025 annual report (XLSX and HTML) and check the reports the platform publishes."""
    from contextlib import closing

    import psycopg2

    from disclosure_audit.report.audit import as_checked, audit_published
    from disclosure_audit.report.cli import summary_text
    from disclosure_audit.report.export import write
    from disclosure_audit.report.figures import compute_report
    from disclosure_audit.report.findings import record_report_findings

    assert run.data_dir is not None, "the database step sets the data directory"
    org = SEED_ORG if SEED_ORG in run.orgs else run.orgs[0]
    out = run.data_dir / "reports"
    out.mkdir(parents=True, exist_ok=True)
    with closing(psycopg2.connect(run.database_url)) as conn:
        report = compute_report(conn, org, REPORT_YEAR)
        published = audit_published(conn, run.data_dir, year=REPORT_YEAR - 3)
        record_report_findings(conn, as_checked(published))
    run.say(summary_text(report))
    for fmt in ("xlsx", "html"):
        path = out / f"{org}-{REPORT_YEAR}年度报告.{fmt}"
        write(report, path, fmt)
        run.say(f"  写入 wrote {path}")
    bad = [f"{e['org']} {e['year']}（{e['status']}）" for e in published if e["status"] != "consistent"]
    run.say(
        f"  平台已发布的 {REPORT_YEAR - 3} 年度报告 published reports checked: {len(published)}，"
        f"不一致或无法读取 inconsistent or unreadable: {'、'.join(bad) or '无 none'}"
    )
    prog = _command_name()
    run.say(f"  试试 try: {prog} report annual --year {REPORT_YEAR} --org {org} -o {org}.docx")
    run.say(f"           {prog} report check-published --year {REPORT_YEAR - 3}")


# The demo, step by step.
STEPS: list[Step] = [
    ("数据库 database", step_database),
    ("采集 crawl", step_crawl),
    ("检查 checks", step_checks),
    ("年报 annual report", step_report),
    ("结果 where things are", step_where),
]


def cmd_demo(args: argparse.Namespace) -> int:
    corpus = _corpus(args)
    names = [o.name for o in corpus.orgs]
    unknown = [n for n in args.orgs or () if n not in names]
    if unknown:
        raise DisclosureAuditError(
            f"the replica has no organisation named {', '.join(unknown)}; it has: {', '.join(names)}"
        )
    orgs = list(dict.fromkeys(args.orgs)) if args.orgs else names
    replica, note = open_replica(corpus, args.host, args.port)
    run = DemoRun(args=args, corpus=corpus, replica=replica, site=_crawl_url(replica), orgs=orgs)
    try:
        replica.start()
        run.say("disclosure-audit 演示 demo")
        if note:
            run.say(f"  {note}")
        run.say(
            f"  仿真站点 replica: {_browse_url(run)}/public/ — 信息 items (day 0) {corpus.n_items}, "
            f"日期 day {corpus.day} = {corpus.as_of.isoformat()}, seed {corpus.seed}"
        )
        for number, (title, step) in enumerate(STEPS, 1):
            run.say(f"[{number}/{len(STEPS)}] {title}")
            step(run)
        if args.serve:
            _serve_until_stopped(run)
        else:
            run.say(f"仿真站点已停止 replica stopped（浏览它 to browse it: {_command_name()} demo --serve）")
    finally:
        replica.stop()
    return run.exit_code


def open_replica(corpus: Corpus, host: str, port: int) -> tuple[ReplicaServer, str | None]:
    """The replica bound to host:port, or to a free port when that one is taken: (server, note or None)."""
    from disclosure_audit.replica.server import Knobs, ReplicaServer
    from disclosure_audit.replica.site import ReplicaSite

    site = ReplicaSite(corpus)
    try:
        return ReplicaServer(site, Knobs(), host=host, port=port), None
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or port == 0:
            raise DisclosureAuditError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}. Choose another --host or --port."
            ) from None
    try:
        server = ReplicaServer(site, Knobs(), host=host, port=0)
    except OSError as exc:
        raise DisclosureAuditError(f"cannot listen on {host}: {exc.strerror or exc}") from None
    return server, (
        f"注意：端口 {port} 已被占用，改用 {server.port} / "
        f"note: port {port} is in use, serving on {server.port} instead"
    )


def _corpus(args: argparse.Namespace) -> Corpus:
    from disclosure_audit.replica.corpus import Corpus

    try:
        return Corpus(items=args.items, day=args.day, seed=args.seed)
    except ValueError as exc:
        raise DisclosureAuditError(f"cannot build the replica corpus: {exc}") from None


def _crawl_url(replica: ReplicaServer) -> str:
    """Where this process reaches the replica: a wildcard listen address is reached through loopback."""
    if replica.host in ("0.0.0.0", ""):
        return f"http://127.0.0.1:{replica.port}"
    if replica.host == "::":
        return f"http://[::1]:{replica.port}"
    return replica.url


def _browse_url(run: DemoRun) -> str:
    """The address to give a person: on a wildcard listen address, localhost (Docker publishes the port)."""
    if run.replica.host in ("0.0.0.0", "::", ""):
        return f"http://localhost:{run.replica.port}"
    return run.replica.url


def _stored(url: str, site: str) -> tuple[int, int | None, bool]:
    """(current items of the site, a detail-page capture id, whether it is the seed document's)."""
    import psycopg2

    from disclosure_audit.replica.scenarios import SEED_CID

    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM core.items i JOIN core.sites s ON s.site_id = i.site_id "
            "WHERE s.base_url = %s AND i.version > 0 AND i.removed_at IS NULL",
            (site,),
        )
        stored = cur.fetchone()[0]
        cur.execute(
            "SELECT i.detail_capture_id, i.content_id = %s FROM core.items i "
            "JOIN core.sites s ON s.site_id = i.site_id "
            "WHERE s.base_url = %s AND i.detail_capture_id IS NOT NULL "
            "ORDER BY i.content_id = %s DESC, i.content_id LIMIT 1",
            (SEED_CID, site, SEED_CID),
        )
        row = cur.fetchone()
    conn.close()
    if row is None:
        return stored, None, False
    return stored, row[0], bool(row[1])


def _command_name() -> str:
    """How the user runs this command again: `disclosure-audit` when that is on PATH, else its path."""
    script = Path(sys.argv[0])
    on_path = shutil.which("disclosure-audit")
    if script.name != "disclosure-audit":
        return "disclosure-audit" if on_path else f"{Path(sys.executable).name} -m disclosure_audit"
    if on_path and Path(on_path).resolve() == script.resolve():
        return "disclosure-audit"
    relative = os.path.relpath(script)
    return str(script) if relative.startswith("..") else relative


def _serve_until_stopped(run: DemoRun) -> None:
    """Keep the replica serving until Ctrl-C (or SIGTERM, as `docker compose stop` sends)."""
    from disclosure_audit.replica.corpus import org_named
    from disclosure_audit.replica.scenarios import SEED_CID
    from disclosure_audit.replica.truth import item_url

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    url = _browse_url(run)
    run.say(f"仿真站点继续运行 the replica keeps serving: {url}/public/")
    run.say(f"  例如 e.g. 种子文件 the seed document: {item_url(url, org_named(SEED_ORG).organ_id, SEED_CID)}")
    run.say("  按 Ctrl-C 停止 / press Ctrl-C to stop")
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    run.say("仿真站点已停止 replica stopped")
