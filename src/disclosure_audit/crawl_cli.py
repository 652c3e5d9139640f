"""The `crawl`, `items` and `capture` commands: run a crawl, print what it stored, show an archived page."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.fields import ITEM_RECORD_KEYS

ITEM_KEYS = (*ITEM_RECORD_KEYS, "raw")


def register(subparsers: argparse._SubParsersAction) -> None:
    crawl = subparsers.add_parser(
        "crawl",
        help="crawl organisations of a disclosure platform into Postgres (采集)",
        description=(
            "采集：按站点配置读取平台的单位、栏目、列表和详情页，存档每个页面，写入数据库。无法读取的内容记为错误，"
            "本次采集为“降级”（退出码 3）。 / Crawl a platform through its site profile; anything that cannot be read "
            "is an error, and the run is degraded (exit status 3)."
        ),
    )
    crawl.add_argument("--site", help="base URL of the platform, e.g. https://www.hefei.gov.cn (or in the site file)")
    crawl.add_argument(
        "--org",
        action="append",
        dest="orgs",
        metavar="NAME",
        help="organisation name as the /public/ index shows it (repeatable; or orgs in the site file)",
    )
    crawl.add_argument(
        "--profile", default=None, help="the site profile (default: the site file's, else lonsun); see `sites list`"
    )
    crawl.add_argument(
        "--site-config",
        type=Path,
        default=None,
        metavar="FILE",
        help="a TOML or YAML site file: profile, site, orgs and settings (path prefix, page size, labels ...)",
    )
    crawl.add_argument(
        "--full", action="store_true", help="page every list and re-verify every item (finds silent edits and removals)"
    )
    crawl.add_argument("--rate", type=float, default=None, metavar="RPS", help="requests per second per host (1)")
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

    sites = subparsers.add_parser("sites", help="the site profiles (站点配置) the crawler knows")
    sub = sites.add_subparsers(dest="sites_command", required=True, metavar="COMMAND")
    listing = sub.add_parser("list", help="list the profiles")
    listing.set_defaults(func=cmd_sites_list)
    check = sub.add_parser("check", help="read a site file and print the settings it gives")
    check.add_argument("file", type=Path)
    check.set_defaults(func=cmd_sites_check)


def cmd_crawl(args: argparse.Namespace) -> int:
    from disclosure_audit.crawl import crawl
    from disclosure_audit.pipeline import Settings, crawl_config
    from disclosure_audit.store.migrate import ready_database
    from disclosure_audit.summary import format_crawl_summary

    settings = Settings(
        site=args.site.rstrip("/") if args.site else None,
        orgs=tuple(args.orgs) if args.orgs else None,
        requests_per_second=args.rate,
        full=args.full,
        data_dir=args.data_dir,
        profile=args.profile,
        site_config=args.site_config,
    )
    if not args.site_config and (not args.site or not args.orgs):
        raise DisclosureAuditError(
            "crawl needs the site and the organisations: --site URL --org NAME, or a --site-config FILE that names them"
        )
    config = crawl_config(
        settings,
        database_url=ready_database(),
        max_in_flight_per_host=args.in_flight,
        retry_attempts=args.retries,
        show_progress=not args.quiet,
    )
    summary = crawl(config)
    print(format_crawl_summary(summary))
    return 0 if summary.status == "succeeded" else 3


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
    from disclosure_audit.store.migrate import ready_database

    url = ready_database()
    out = sys.stdout
    for item in iter_items(url, args.orgs):
        out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return 0


def cmd_capture_show(args: argparse.Namespace) -> int:
    import psycopg2

    from disclosure_audit.http.capture import read_capture
    from disclosure_audit.locations import data_dir
    from disclosure_audit.store.migrate import ready_database

    url = ready_database()
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT warc_file, warc_offset, sha256, url FROM core.captures WHERE capture_id = %s", (args.capture_id,)
        )
        row = cur.fetchone()
    if row is None:
        raise DisclosureAuditError(f"no capture {args.capture_id} in core.captures")
    warc_file, offset, sha, page_url = row
    archived = read_capture(data_dir(), warc_file, offset)
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


def cmd_sites_list(args: argparse.Namespace) -> int:
    from disclosure_audit.sites import profiles

    for name, cls in sorted(profiles().items()):
        print(f"{name}\t{cls.description}")
    return 0


def cmd_sites_check(args: argparse.Namespace) -> int:
    import dataclasses

    from disclosure_audit.sites import load_site_file, make_profile

    site_file = load_site_file(args.file)
    site = site_file.site or "http://example.invalid"
    profile = make_profile(site_file.profile or "lonsun", site, site_file.settings)
    orgs = ", ".join(site_file.orgs) or "—"
    print(f"站点文件 site file {args.file}: 可用 usable")
    print(f"  配置 profile: {profile.name}; 站点 site: {site_file.site or '—'}; 单位 orgs: {orgs}")
    print(f"  机构索引 index: {profile.index_url()}")
    for key, value in dataclasses.asdict(site_file.settings).items():
        print(f"  {key} = {value!r}")
    return 0
