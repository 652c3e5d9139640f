"""Shared pieces of the side-by-side benchmarks: sizes, interleaved timing, scratch databases, result rows."""

from __future__ import annotations

import os
import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
DB_PREFIX = "disclosure_audit_bench_"


def size(name: str, full: int, quick: int) -> int:
    """A benchmark size: env var BENCH_<NAME> if set, else the quick or the full default."""
    value = os.environ.get(f"BENCH_{name.upper()}")
    return int(value) if value else (quick if QUICK else full)


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages."""
    return os.getloadavg()


@dataclass
class Row:
    """One line of a results table: a figure for ours and for the anchor, with every timed run."""

    figure: str
    unit: str
    ours: list[float]
    anchor: list[float]
    anchor_name: str
    better: str = "higher"  # whether a higher figure is better (throughput) or lower (seconds)
    target: float | None = None  # the target on the ratio ours/anchor, from the performance issue
    target_text: str = ""
    note: str = ""

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def anchor_median(self) -> float:
        return statistics.median(self.anchor)

    @property
    def ratio(self) -> float:
        """ours / anchor, on the medians."""
        return self.ours_median / self.anchor_median if self.anchor_median else float("inf")

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.ratio >= self.target if self.better == "higher" else self.ratio <= self.target


@dataclass
class Section:
    """One benchmark's table, with the load average around it and notes."""

    title: str
    rows: list[Row] = field(default_factory=list)
    load_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@contextmanager
def section(title: str) -> Iterator[Section]:
    """A Section whose load averages and wall time are recorded around the block."""
    s = Section(title, load_start=load_average())
    t = time.perf_counter()
    print(f"== {title} (load {fmt_load(s.load_start)})", flush=True)
    yield s
    s.load_end = load_average()
    s.seconds = time.perf_counter() - t
    print(f"   done in {s.seconds:.0f} s (load {fmt_load(s.load_end)})", flush=True)


def fmt_load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.2f}" for x in load)


def interleave(sides: dict[str, Callable[[], float]], runs: int) -> dict[str, list[float]]:
    """Call each side once per round, in the given order (ours, anchor, ours, anchor ...), `runs` rounds.
    Each callable returns its own figure for that run; the lists keep them in run order."""
    out: dict[str, list[float]] = {name: [] for name in sides}
    for n in range(runs):
        for name, fn in sides.items():
            value = fn()
            out[name].append(value)
            print(f"   run {n + 1}/{runs} {name}: {value:,.3f}", flush=True)
    return out


# ----------------------------------------------------------------------------------------- databases
def _server():
    from disclosure_audit.store import server

    return server.find_server()


def _admin(srv):
    import psycopg2

    conn = psycopg2.connect(srv.admin_url)
    conn.autocommit = True
    return conn


def drop(srv, name: str) -> None:
    """Drop a bench database (its other sessions ended first)."""
    from disclosure_audit.store import server

    assert name.startswith(DB_PREFIX), name
    server.drop_database(srv, name)


class ScratchDatabase:
    """A migrated database of its own (disclosure_audit_bench_*), dropped on exit."""

    def __init__(self, migrate: bool = True) -> None:
        self.migrate = migrate

    def __enter__(self) -> ScratchDatabase:
        from disclosure_audit.store import migrate, server

        self.server = _server()
        self.name = f"{DB_PREFIX}{secrets.token_hex(4)}"
        server.create_database(self.server, self.name)
        self.url = self.server.url_for(self.name)
        if self.migrate:
            migrate.apply_migrations(self.url)
        return self

    def __exit__(self, *exc: object) -> None:
        drop(self.server, self.name)

    @contextmanager
    def clone(self) -> Iterator[str]:
        """A copy of this database (CREATE DATABASE … TEMPLATE: a file copy, no replay), dropped on exit.
        Nobody may be connected to this database while it is copied."""
        name = f"{DB_PREFIX}{secrets.token_hex(4)}"
        conn = _admin(self.server)
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid()",
                    (self.name,),
                )
                cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        finally:
            conn.close()
        try:
            yield self.server.url_for(name)
        finally:
            drop(self.server, name)


def profile_top(fn: Callable[[], object], steps: dict[str, str], top: int = 8) -> list[str]:
    """Run fn under cProfile: the cumulative seconds of the named functions (name -> what it is) and the
    `top` functions by own time."""
    import cProfile
    import pstats
    from pathlib import Path

    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = max(v[3] for v in stats.values())
    lines = [f"one run under cProfile: {total:.2f} s"]
    wanted = dict(steps)
    for (_, _, name), v in sorted(stats.items(), key=lambda kv: -kv[1][3]):
        if name in wanted:
            lines.append(f"{wanted.pop(name)}: {v[3]:.2f} s")
    best = sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]
    lines.append("top by own time: " + "; ".join(f"{Path(f).name}:{n} {v[2]:.2f} s" for (f, _, n), v in best))
    return lines
