"""Our own thresholds (chosen by us, not anchors): replica speed, parse, crawl, load and check figures.

Usage: .venv/bin/python bench/thresholds.py [--only NAME ...] [--quick] [--no-write]

Each benchmark measures one figure on this machine against a threshold we set ourselves. The
side-by-side comparisons with what users would use instead are in bench/run.py (`make bench`);
this script writes bench/THRESHOLDS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "THRESHOLDS.md"


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    anchor: float
    better: str  # "lower" or "higher"
    note: str = ""

    @property
    def meets(self) -> bool:
        return self.value <= self.anchor if self.better == "lower" else self.value >= self.anchor


BENCHMARKS: dict[str, Callable[[bool], list[Figure]]] = {}


def benchmark(fn: Callable[[bool], list[Figure]]) -> Callable[[bool], list[Figure]]:
    BENCHMARKS[fn.__name__] = fn
    return fn


@benchmark
def replica_start(quick: bool) -> list[Figure]:
    from disclosure_audit.replica.corpus import Corpus
    from disclosure_audit.replica.model import SITE_ID
    from disclosure_audit.replica.site import ReplicaSite

    out = []
    for items, anchor in ((300, 1.0), (100_000, 2.0)):
        tracemalloc.start()
        t = time.perf_counter()
        site = ReplicaSite(Corpus(items, 0, 0))
        org = site.corpus.orgs[1]
        col = org.columns[3]
        total = site.corpus.column_size(col)
        for page in (0, (total - 1) // 15):
            q = {
                "labelName": ["publicInfoList"],
                "siteId": [str(SITE_ID)],
                "organId": [str(org.organ_id)],
                "type": ["4"],
                "catId": [str(col.cat_id)],
                "pageIndex": [str(page + org.page_base)],
                "pageSize": ["15"],
                "file": [org.template],
            }
            resp = site.handle("/site/label/8888", q)
            # a real list page, not 参数错误 or an error fragment: it links the column's detail pages
            assert resp.status == 200 and f'href="/public/{org.organ_id}/'.encode() in resp.body, resp.body[:200]
        seconds = time.perf_counter() - t
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out.append(Figure(f"replica start + first and last list page, {items:,} items", seconds, "s", anchor, "lower"))
        out.append(Figure(f"replica memory peak at start, {items:,} items", peak / 2**20, "MiB", 50, "lower"))
    return out


@benchmark
def replica_serve(quick: bool) -> list[Figure]:
    import requests

    from disclosure_audit.replica.corpus import Corpus
    from disclosure_audit.replica.server import Knobs, ReplicaServer
    from disclosure_audit.replica.site import ReplicaSite

    corpus = Corpus(3000, 0, 0)
    ids = [cid for cid in corpus.iter_ids()][: 300 if quick else 1500]
    with ReplicaServer(ReplicaSite(corpus), Knobs(), port=0) as server, requests.Session() as s:
        urls = [f"{server.url}/public/{corpus.organ_of(cid)}/{cid}.html" for cid in ids]
        t = time.perf_counter()
        size = 0
        for u in urls:
            r = s.get(u, timeout=10)
            assert r.status_code == 200
            size += len(r.content)
        seconds = time.perf_counter() - t
    return [
        Figure(
            "replica detail pages served, one keep-alive client",
            len(urls) / seconds,
            "pages/s",
            200,
            "higher",
            f"mean page {size / len(urls) / 1024:.0f} KiB",
        ),
    ]


@benchmark
def replica_truth(quick: bool) -> list[Figure]:
    from disclosure_audit.replica.corpus import Corpus
    from disclosure_audit.replica.truth import build_truth

    n = 20_000 if quick else 100_000
    t = time.perf_counter()
    truth = build_truth(Corpus(n, 0, 0), "http://127.0.0.1:8321")
    seconds = time.perf_counter() - t
    assert len(truth["items"]) == n
    return [Figure(f"replica truth, {n:,} items", seconds, "s", 60 * n / 100_000, "lower")]


@benchmark
def parse_speed(quick: bool) -> list[Figure]:
    sys.path.insert(0, str(HERE))
    import bench_parse

    pages = bench_parse.load_pages(300 if quick else 1000, 0)
    seconds = min(bench_parse.run(pages) for _ in range(3))
    return [Figure("parse + normalize detail pages, one core", len(pages) / seconds, "pages/s", 100, "higher")]


class _ScratchDatabase:
    """A migrated database of its own for one benchmark, dropped afterwards."""

    def __enter__(self) -> str:
        import secrets

        from disclosure_audit.store import migrate, server

        self.server = server.find_server()
        self.name = f"disclosure_audit_bench_{secrets.token_hex(4)}"
        server.create_database(self.server, self.name)
        url = self.server.url_for(self.name)
        migrate.apply_migrations(url)
        return url

    def __exit__(self, *exc: object) -> None:
        from disclosure_audit.store import server

        server.drop_database(self.server, self.name)


@benchmark
def crawl_speed(quick: bool) -> list[Figure]:
    import tempfile

    from disclosure_audit.crawl import CrawlConfig, crawl
    from disclosure_audit.replica.corpus import Corpus
    from disclosure_audit.replica.server import Knobs, ReplicaServer
    from disclosure_audit.replica.site import ReplicaSite

    items = 1000 if quick else 3000
    corpus = Corpus(items, 0, 0)
    with (
        _ScratchDatabase() as url,
        tempfile.TemporaryDirectory() as data,
        ReplicaServer(ReplicaSite(corpus), Knobs(), port=0) as server,
    ):
        t = time.perf_counter()
        summary = crawl(
            CrawlConfig(
                site=server.url,
                orgs=[o.name for o in corpus.orgs],
                database_url=url,
                data_dir=Path(data),
                requests_per_second=10_000,
                max_in_flight_per_host=4,
                show_progress=False,
            )
        )
        seconds = time.perf_counter() - t
    assert summary.counters["items_new"] == items
    return [
        Figure(
            f"crawl the replica end to end (HTTP, parse, WARC, load), {items:,} items, no rate limit",
            items / seconds,
            "items/s",
            50,
            "higher",
            f"{summary.counters['http']['requests']} requests in {seconds:.1f} s",
        ),
    ]


def _load_truth_items(url: str, corpus, run_label: str) -> tuple[int, float]:
    """Load a corpus's items as the crawl would (list entries, then detail merges), timing the merges."""
    from disclosure_audit.replica.truth import build_truth
    from disclosure_audit.store.crawl_store import ColumnRow, CrawlStore, DetailRow, ListRow

    base = "http://127.0.0.1:8321"
    truth = build_truth(corpus, base)
    from disclosure_audit.fields import DETAIL_FIELDS as keys

    with CrawlStore(url) as store:
        site_id = store.ensure_site(base)
        run_id = store.start_run(site_id, "full", [run_label])
        orgs = {o.name: o for o in corpus.orgs}
        for o in corpus.orgs:
            store.upsert_org(site_id, run_id, o.organ_id, o.name, f"{base}/public/column/{o.organ_id}")
            store.upsert_columns(
                site_id, run_id, [ColumnRow(o.organ_id, c.type, c.cat_id, c.name, {}) for c in o.columns]
            )
        rows, details = [], []
        for rec in truth["items"]:
            item = corpus.item(rec["content_id"], body=False)
            org = orgs[rec["org"]]
            rows.append(
                ListRow(
                    rec["content_id"],
                    org.organ_id,
                    item.column.type,
                    item.column.cat_id,
                    rec["url"],
                    rec["title"],
                    None,
                    False,
                )
            )
            raw = {**item.fields, "title": item.title}
            details.append(DetailRow(rec["content_id"], {k: rec[k] for k in keys}, raw, "", None))
        for i in range(0, len(rows), 5000):
            store.record_list_page(site_id, run_id, rows[i : i + 5000])
        t = time.perf_counter()
        for i in range(0, len(details), 1000):
            store.load_details(site_id, run_id, details[i : i + 1000])
        seconds = time.perf_counter() - t
        store.finish_run(run_id, "succeeded", {}, None)
    return len(details), seconds


@benchmark
def load_and_check(quick: bool) -> list[Figure]:
    import tempfile

    from disclosure_audit.calendar.db import load_workdays
    from disclosure_audit.checks.run import run_checks
    from disclosure_audit.replica.corpus import Corpus

    out = []
    for items in (300, 20_000 if quick else 100_000):
        with _ScratchDatabase() as url, tempfile.TemporaryDirectory() as data:
            n, seconds = _load_truth_items(url, Corpus(items, 0, 0), "bench")
            if items > 300:
                out.append(
                    Figure(
                        f"load detail rows (COPY + merge, batches of 1,000), {n:,} items",
                        n / seconds,
                        "items/s",
                        2000,
                        "higher",
                    )
                )
            load_workdays(url)
            run_checks(url, Path(data))  # first run builds Data Docs and warms GX
            t = time.perf_counter()
            summary = run_checks(url, Path(data))
            seconds = time.perf_counter() - t
            assert not summary.broken_rules, summary.broken_rules
            out.append(
                Figure(
                    f"check run (GX checkpoint, findings, Data Docs), {items:,} items",
                    seconds,
                    "s",
                    30 if items <= 300 else 120,
                    "lower",
                )
            )
    return out


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def write_results(figures: list[Figure], quick: bool) -> None:
    now = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        "# Benchmark thresholds (ours, not anchors)",
        "",
        f"Written by `bench/thresholds.py` on {now} ({machine()}){' — quick mode' if quick else ''}.",
        "Each figure is compared with a threshold we chose (not an anchor); rerun with `bench/thresholds.py`.",
        "",
        "| benchmark | figure | anchor | meets | note |",
        "| --- | ---: | ---: | :---: | --- |",
    ]
    for f in figures:
        sign = "≤" if f.better == "lower" else "≥"
        lines.append(
            f"| {f.name} | {f.value:,.2f} {f.unit} | {sign} {f.anchor:,g} {f.unit} | "
            f"{'yes' if f.meets else '**no**'} | {f.note} |"
        )
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--no-write", action="store_true", help="print only; leave THRESHOLDS.md alone")
    args = parser.parse_args(argv)
    figures: list[Figure] = []
    for name, fn in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        print(f"== {name}", flush=True)
        for f in fn(args.quick):
            figures.append(f)
            sign = "≤" if f.better == "lower" else "≥"
            print(
                f"  {f.name}: {f.value:,.2f} {f.unit} (anchor {sign} {f.anchor:,g}) "
                f"{'ok' if f.meets else 'MISSED'} {f.note}",
                flush=True,
            )
    if not args.no_write:
        write_results(figures, args.quick)
        print(f"wrote {RESULTS.relative_to(HERE.parent)}")
    return 0 if all(f.meets for f in figures) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent / "src"))
    sys.exit(main())
