"""Unchanged night: the requests an incremental crawl of an unchanged replica sends, against a `--full` crawl
of the same replica (both after a first crawl), counted by the replica server itself."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from common import Row, ScratchDatabase, Section, interleave, section, size

from disclosure_audit.crawl import CrawlConfig, crawl
from disclosure_audit.replica.corpus import Corpus
from disclosure_audit.replica.server import Knobs, ReplicaServer
from disclosure_audit.replica.site import ReplicaSite


def run() -> Section:
    n = size("night_items", 10_000, 2_000)
    runs = size("night_runs", 3, 3)
    corpus = Corpus(n, 0, 0)
    with (
        section(f"Unchanged night: {n:,} items") as s,
        ScratchDatabase() as db,
        tempfile.TemporaryDirectory() as data,
        ReplicaServer(ReplicaSite(corpus), Knobs(), port=0) as server,
    ):
        seconds: dict[str, list[float]] = {"incremental": [], "full": []}

        def one(full: bool) -> float:
            before = server.stats()["requests"]
            t = time.perf_counter()
            summary = crawl(
                CrawlConfig(
                    site=server.url,
                    orgs=[o.name for o in corpus.orgs],
                    database_url=db.url,
                    data_dir=Path(data),
                    full=full,
                    requests_per_second=10_000,
                    max_in_flight_per_host=4,
                    show_progress=False,
                )
            )
            seconds["full" if full else "incremental"].append(time.perf_counter() - t)
            assert summary.status == "succeeded", summary.status
            return server.stats()["requests"] - before

        t = time.perf_counter()
        first = one(False)
        first_seconds = time.perf_counter() - t
        seconds["incremental"].clear()  # the first crawl loads the replica: not a night
        got = interleave({"incremental": lambda: one(False), "full": lambda: one(True)}, runs)
        s.rows.append(
            Row(
                "requests, incremental crawl of the unchanged replica vs a --full crawl",
                "requests",
                got["incremental"],
                got["full"],
                "--full crawl",
                better="lower",
                target=0.01,
                target_text="≤ 1 %",
            )
        )
        s.rows.append(
            Row(
                "seconds, incremental crawl vs --full crawl (no rate limit, 4 in flight)",
                "s",
                seconds["incremental"],
                seconds["full"],
                "--full crawl",
                better="lower",
            )
        )
        s.notes.append(
            f"A replica of {n:,} items (5 organisations) served on a local port; a first crawl ({first:,} requests, "
            f"{first_seconds:.0f} s) loads it, then incremental and --full crawls of the unchanged replica "
            f"alternate, {runs} of each, into the same database. Requests are the replica server's own count "
            "(every request it answered: index, catalogue shells, list fragments, robots.txt, detail pages, "
            "304s included)."
        )
    return s
