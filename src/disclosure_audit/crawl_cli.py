"""The `crawl`, `items` and `capture` commands: run a crawl, print what it stored, show an archived page."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.fields import ITEM_RECORD_KEYS

ITEM_KEYS = (*ITEM_RECORD_KEYS, "raw")


def register(subparsers: argparse._SubParsersAction) -> None:
    crawl = subparsers.add_parser("crawl", help="crawl organisations of a disclosure platform into Postgres (采集)")
    crawl.add_argument("--site", required=True, help="base URL of the platform, e.g. https://www.hefei.gov.cn")
    crawl.add_argument(
        "--org",
        action="append",
        required=True,
        dest="orgs",
        metavar="NAME",
        help="organisation name as the /public/ index shows it (repeatable)",
    )
    crawl.add_argument(
        "--full", action="store_true", help="page every list and re-verify every item (finds silent edits and removals)"
    )
    crawl.add_argument("--rate", type=float, default=1.0, metavar="RPS", help="requests per second per host")
    crawl.add_argument("--in-flight", type=int, default=2, help="requests in flight per host (default 2)")
    crawl.add_argument("--retries", type=int, default=5, help="retry attempts per request (default 5)")
    crawl.add_argument("--data-dir", type=Path, default=None, help="where WARC captures go (DISCLOSURE_DATA_DIR)")
    crawl.add_argument("--quiet", action="store_true", help="no progress lines")
    crawl.set_defaults(func=cmd_crawl)

    items = subparsers.add_parser("items", help="print the current items (信息) as JSON lines")
    items.add_argument("--org", action="append", dest="orgs", metavar="NAME", help="only these organisations")
    items.add_argument("--format", choices=("jsonl",), default="jsonl")
    items.set_defaults(func=cmd_items)

    capture = subparsers.add_parser("capture", help="archived pages (存档)")
    cap = capture.add_subparsers(dest="capture_command", required=True, metavar="COMMAND")
    show = cap.add_parser("show", help="print an archived page from its WARC record")
    show.add_argument("capture_id", type=int)
    show.add_argument("--headers", action="store_true", help="print the HTTP status line and headers first")
    show.set_defaults(func=cmd_capture_show)


def _database_url() -> str:
    from disclosure_audit.store import migrate, server

    _, url = server.project_database()
    migrate.apply_migrations(url)
    return url


def cmd_crawl(args: argparse.Namespace) -> int:
    from disclosure_audit.crawl import CrawlConfig, crawl
    from disclosure_audit.http.capture import data_dir
    from disclosure_audit.store.server import project_root

    config = CrawlConfig(
        site=args.site,
        orgs=args.orgs,
        database_url=_database_url(),
        data_dir=args.data_dir or data_dir(project_root()),
        full=args.full,
        requests_per_second=args.rate,
        max_in_flight_per_host=args.in_flight,
        retry_attempts=args.retries,
        show_progress=not args.quiet,
    )
    summary = crawl(config)
    print(format_summary(summary))
    return 0 if summary.status == "succeeded" else 3


def format_summary(summary) -> str:
    """The end-of-crawl summary: Chinese first, English beside it."""
    c = summary.counters
    http = c.get("http", {})
    lines = [
        f"采集完成 crawl run {summary.run_id}: {summary.status}",
        f"  站点日期 server date: {_beijing(summary.server_date)}",
        f"  列表页 list pages: {c.get('list_pages', 0)}, 列表条目 entries: {c.get('list_entries', 0)} "
        f"(新 new {c.get('list_new', 0)}, 变化 changed {c.get('list_changed', 0)}, 未变 same {c.get('list_same', 0)})",
        f"  详情页 details fetched: {c.get('details_fetched', 0)}, 未修改 304: {c.get('items_not_modified', 0)}, "
        f"错误 errors: {c.get('detail_errors', 0)}, 无法解析 parse errors: {c.get('parse_errors', 0)}",
        f"  信息 items: 新增 new {c.get('items_new', 0)}, 元数据变更 metadata {c.get('items_metadata', 0)}, "
        f"正文变更 content {c.get('items_content', 0)}, 撤下 removed {c.get('items_removed', 0)}",
        f"  请求 requests: {http.get('requests', 0)}, 重试 retries: {http.get('retries', 0)}, "
        f"验证 challenge solves: {http.get('challenge_solves', 0)}, 存档 captures: {c.get('captures', 0)}",
    ]
    if summary.status == "partial":
        lines.append("  部分详情页未取到，下次采集会继续 / some detail pages failed and stay pending for the next run")
    return "\n".join(lines)


def _beijing(moment) -> str:
    """A timestamp as users read it: Beijing time."""
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S 北京时间")


def _jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    return value


def iter_items(url: str, orgs: list[str] | None = None):
    """Current items (not removed, detail loaded) with the keys `items` prints."""
    import psycopg2
    import psycopg2.extras

    cols = ", ".join(f"i.{k}" for k in ITEM_KEYS if k not in ("org", "column"))
    sql = (
        f"SELECT {cols}, o.name AS org, c.name AS column FROM core.items i "
        "JOIN core.orgs o ON o.site_id = i.site_id AND o.organ_id = i.organ_id "
        "LEFT JOIN core.columns c ON c.site_id = i.site_id AND c.organ_id = i.organ_id AND c.type = i.type "
        "AND c.cat_id = i.cat_id WHERE i.removed_at IS NULL AND i.version > 0 "
        "AND (%(orgs)s::text[] IS NULL OR o.name = ANY(%(orgs)s)) ORDER BY i.site_id, i.content_id"
    )
    with (
        psycopg2.connect(url) as conn,
        conn.cursor(name="items", cursor_factory=psycopg2.extras.RealDictCursor) as cur,
    ):
        cur.itersize = 2000
        cur.execute(sql, {"orgs": orgs})
        for row in cur:
            yield {k: _jsonable(row[k]) for k in ITEM_KEYS}


def cmd_items(args: argparse.Namespace) -> int:
    url = _database_url()
    out = sys.stdout
    for item in iter_items(url, args.orgs):
        out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return 0


def cmd_capture_show(args: argparse.Namespace) -> int:
    import psycopg2

    from disclosure_audit.http.capture import data_dir, read_capture
    from disclosure_audit.store.server import project_root

    url = _database_url()
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT warc_file, warc_offset, sha256, url FROM core.captures WHERE capture_id = %s", (args.capture_id,)
        )
        row = cur.fetchone()
    if row is None:
        raise DisclosureAuditError(f"no capture {args.capture_id} in core.captures")
    warc_file, offset, sha, page_url = row
    archived = read_capture(data_dir(project_root()), warc_file, offset)
    if archived.sha256 != sha:
        raise DisclosureAuditError(
            f"capture {args.capture_id} ({page_url}) does not match its record: sha256 {archived.sha256} in "
            f"{warc_file}@{offset}, {sha} in core.captures"
        )
    if args.headers:
        print(f"HTTP/1.1 {archived.status}  {archived.url}  {archived.date}")
        for k, v in archived.headers:
            print(f"{k}: {v}")
        print()
    sys.stdout.flush()
    sys.stdout.buffer.write(archived.body)
    return 0
