"""SIGKILL at seeded random points: a killed `crawl` or `check`, run again, ends like an uninterrupted run.

Each step runs as the CLI in a subprocess (`python -m disclosure_audit ...`) against the replica of 300
items (served in-process, one server for the module) and is killed with SIGKILL; the step is then run
again to completion in-process (the same library calls the CLI makes, with the same data directory, so
whatever a kill left in the WARC or Great Expectations folders is read again); then the database is
compared with a reference database in which the same step ran once, uninterrupted. Every kill point
gets a database of its own, cloned (CREATE DATABASE ... TEMPLATE) from a migrated empty database for
the crawl, or from a crawled one for the check; the references are built once per module.

Kill points (seed DISCLOSURE_KILL_SEED, default 20261202; DISCLOSURE_KILL_POINTS random points per
step, default 20; the seed and every point, with the phase it hit, are printed on failure):

- crawl: delays drawn uniformly over the duration of the reference crawl (measured, the same CLI and
  rate), plus lock barriers inside the load. The code has no fault-injection hook, so a barrier is a
  test connection holding a SHARE lock on a table the load writes (core.column_runs while listing;
  core.item_versions and core.links inside a detail merge; core.crawl_health once everything is loaded
  and the run not yet finished): the crawl blocks in the middle of its transaction (seen in
  pg_stat_activity as waiting on a lock) and is killed there.
- check: a third of the points uniformly over the whole measured duration; the others aimed at a
  phase measured in the reference run and triggered by what the run shows while it runs: the
  check_runs row committed (Great Expectations opening its context), Great Expectations' own
  connection (inside the checkpoint: validations and Data Docs), the Data Docs rebuilt (after the
  checkpoint: make_offline and the findings transaction, which lasts some 50 ms). Barriers hold the
  findings transaction at its writes: qa.findings (the first write), qa.finding_observations (findings
  opened, observations not), one core.items row (the reverify flags, after the findings), and the check
  run's own row (its last UPDATE before COMMIT, after qa.results and qa.not_evaluable).
  The findings update is one transaction, so the database after a kill inside it looks like a kill
  during the checkpoint; the phase each kill hit is therefore read from what exists afterwards (the
  check_runs row and its status, the Data Docs of this attempt) together with what pg_stat_activity
  showed up to the kill (Great Expectations' connection, a blocked write), and the test asserts that
  both the checkpoint and the findings update were hit.

A uniform point whose step ended before its delay killed nothing; it is followed by one drawn over the
duration that run took (at most DISCLOSURE_KILL_POINTS // 4 times), and each test asserts that at least
DISCLOSURE_KILL_POINTS of its points did kill the step.

After a kill the test waits until the killed process's server sessions are gone (a session running a
statement ends only when it next talks to its client) before running the step again: the next crawl of a
real deployment starts hours later. A session that never ends would be reported.

What "converges" means (everything compared ignores ids, run ids, capture ids and timestamps):

- crawl: core.items by content id with every column except ids, run ids and timestamps (so the
  normalized fields, raw, body hash, fingerprint, validators, version, needs_detail, reverify, and
  whether it is removed / ever changed) must be equal; item_versions as (content id, version,
  change_kind, changed_fields, fields, body hash) equal (a version more or less is a bug); attachments,
  links by content id and position; orgs, columns (with "listed complete"; the list request's "how" is
  left out: a run after the first reads it back from core.columns, "stored"), item_urls, library
  entries and crawl errors equal; each item's detail capture has the same (url, sha256). Captures: a
  killed crawl may have fetched pages twice, so there may be more capture rows, but the set of (url,
  sha256, status) must be the reference's, URLs compared with their query parameters sorted (a stored
  list request asks for the same page with its parameters in another order), and every row (the killed
  run's too) must read back from its WARC file with its sha256. Runs: the last is 'succeeded'; the
  killed run is 'abandoned' (closed by the crawl after it, naming why), or 'succeeded' when the kill
  landed after it had finished; none is left 'running'.
- check: the findings (open and closed, with their evidence minus capture ids) equal, with no
  duplicate; every finding observed once by every succeeded check run and by no other (a killed run
  left no half-written observation, result or not-evaluable row); the latest succeeded run's
  qa.results and qa.not_evaluable equal the reference's; the reverify flags the findings set on
  core.items and the repeal register equal; and no check run is left 'running': the killed one is
  closed by the next check as 'failed' with an error starting "abandoned:" (qa.check_runs allows no
  other status without a migration), or is 'succeeded' when the kill landed after its commit.

The kill points found one bug: a killed check left its qa.check_runs row 'running' for ever (nothing
closed it; the crawl has had this since sql/0009). Fixed in disclosure_audit.checks.run as the crawl does
it: a check holds a session advisory lock on its run id, and the next check closes every 'running' run
whose lock nobody holds (close_abandoned). The findings themselves always converged: their update is
one transaction, and no kill point left a half-written finding, observation or result.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg2
import pytest

from disclosure_audit.checks.prepare import prepare_facts
from disclosure_audit.checks.run import _CHECK_LOCK, close_abandoned, run_checks
from disclosure_audit.crawl import CrawlConfig, crawl
from disclosure_audit.http.capture import read_capture
from disclosure_audit.replica.corpus import ORGS, Corpus
from disclosure_audit.replica.server import Knobs, ReplicaServer
from disclosure_audit.replica.site import ReplicaSite
from disclosure_audit.store import migrate, server

pytestmark = pytest.mark.long

SEED = int(os.environ.get("DISCLOSURE_KILL_SEED", "20261202"))
POINTS = max(3, int(os.environ.get("DISCLOSURE_KILL_POINTS", "20")))
ITEMS = 300
CRAWL_RATE = 150.0  # the killed crawl's requests per second: slow enough to spread the kill points
ALL_ORGS = [o.name for o in ORGS]
CRAWL_BARRIERS = ("core.column_runs", "core.item_versions", "core.links", "core.crawl_health")
CHECK_BARRIERS = ("qa.findings", "qa.finding_observations", "row:core.items", "row:qa.check_runs")
SESSION_GONE_SECONDS = 30.0
BARRIER_SECONDS = 90.0


# ---------------------------------------------------------------- databases
def query(url: str, sql: str, args: tuple = ()) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        conn.close()


def _admin(pg: server.Server):
    conn = psycopg2.connect(pg.url_for("postgres"))
    conn.autocommit = True
    return conn


def _clone(pg: server.Server, template: str) -> tuple[str, str]:
    """A new database copied from `template` (which must have no session); its name and URL."""
    name = f"disclosure_audit_test_{os.urandom(6).hex()}"
    conn = _admin(pg)
    try:
        with conn.cursor() as cur:
            for attempt in range(100):
                try:
                    cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                    break
                except psycopg2.errors.ObjectInUse:  # a session of the template is still closing
                    if attempt == 99:
                        raise
                    time.sleep(0.1)
    finally:
        conn.close()
    return name, pg.url_for(name)


class Sessions:
    """Watches the server sessions of one database (its own excepted) through pg_stat_activity."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg2.connect(url)
        self.conn.autocommit = True
        self.ignore: set[int] = {self.conn.get_backend_pid()}

    def close(self) -> None:
        self.conn.close()

    def others(self) -> list[tuple]:
        """(pid, state, has an xid, wait event type, query) of every other session of the database."""
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT pid, state, backend_xid IS NOT NULL, wait_event_type, "
                "left(regexp_replace(query, '\\s+', ' ', 'g'), 100) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> ALL(%s) AND backend_type = 'client backend'",
                (list(self.ignore),),
            )
            return cur.fetchall()

    def one(self, sql: str) -> object:
        with self.conn.cursor() as cur:
            cur.execute(sql)
            row = cur.fetchone()
            return row[0] if row else None

    def wait_gone(self, timeout: float = SESSION_GONE_SECONDS) -> float:
        """Wait until no other session is left (the killed process's); the seconds it took."""
        start = time.monotonic()
        while True:
            left = self.others()
            if not left:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise AssertionError(f"sessions of the killed process still there after {timeout:.0f}s: {left}")
            time.sleep(0.05)


class Barrier:
    """A test session holding a lock the step needs, so the step blocks at a known statement."""

    def __init__(self, url: str, target: str) -> None:
        self.target = target
        self.conn = psycopg2.connect(url)
        self.pid = self.conn.get_backend_pid()
        self.held = False

    def hold(self, row_sql: str | None = None) -> bool:
        """Take the lock (a SHARE lock on a table, or FOR SHARE on the row `row_sql` selects)."""
        with self.conn.cursor() as cur:
            if self.target.startswith("row:"):
                cur.execute(row_sql)
                self.held = cur.fetchone() is not None
            else:
                cur.execute(f"LOCK TABLE {self.target} IN SHARE MODE")
                self.held = True
        return self.held

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()


# ---------------------------------------------------------------- dumps
def _rows(url: str, sql: str) -> list[str]:
    """Rows as sorted JSON texts: comparable as lists (duplicates count) and printable."""
    return sorted(json.dumps(r, ensure_ascii=False, sort_keys=True, default=str) for r in query(url, sql))


_ITEM_EXCLUDED = (
    "item_id", "site_id", "detail_capture_id", "first_seen_run", "last_seen_run", "first_seen_at",
    "last_changed_at", "removed_at", "removed_run",
)  # fmt: skip


def crawl_dump(url: str) -> dict[str, list[str]]:
    """What a crawl is meant to produce, without ids, run ids, capture ids or timestamps."""
    excluded = "ARRAY[" + ", ".join(f"'{c}'" for c in _ITEM_EXCLUDED) + "]"
    captures = query(url, "SELECT url, sha256, status FROM core.captures")
    return {
        "items": _rows(
            url,
            f"SELECT to_jsonb(i) - {excluded}::text[], i.removed_at IS NULL, i.last_changed_at IS NULL "
            "FROM core.items i",
        ),
        "versions": _rows(
            url,
            "SELECT i.content_id, v.version, v.change_kind, v.changed_fields, v.fields, v.body_sha256 "
            "FROM core.item_versions v JOIN core.items i USING (item_id)",
        ),
        "detail_captures": _rows(
            url,
            "SELECT i.content_id, c.url, c.sha256, c.status FROM core.items i "
            "LEFT JOIN core.captures c ON c.capture_id = i.detail_capture_id",
        ),
        "attachments": _rows(
            url, "SELECT i.content_id, a.position, a.url FROM core.attachments a JOIN core.items i USING (item_id)"
        ),
        "links": _rows(
            url,
            "SELECT i.content_id, l.kind, l.position, l.url, l.target_content_id FROM core.links l "
            "JOIN core.items i USING (item_id)",
        ),
        "orgs": _rows(url, "SELECT organ_id, name, url FROM core.orgs"),
        "columns": _rows(
            url,
            "SELECT organ_id, type, cat_id, name, fragment - 'how', listed_complete_run IS NOT NULL FROM core.columns",
        ),
        "item_urls": _rows(url, "SELECT url, content_id FROM core.item_urls"),
        "library": _rows(url, "SELECT content_id, organ_id, tab, url, title FROM core.library_entries"),
        "errors": _rows(url, "SELECT scope, kind, severity, content_id, url, message FROM core.crawl_errors"),
        "capture_set": sorted({(_same_url(u), sha, status) for u, sha, status in captures}),
    }


def _same_url(url: str) -> str:
    """A URL with its query parameters in one order: a list request read back from core.columns (a run
    after the first) asks for the same page with its parameters in another order."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))))


def _strip_ids(value: object) -> object:
    if isinstance(value, dict):
        return {k: _strip_ids(v) for k, v in value.items() if k != "capture_id"}
    if isinstance(value, list):
        return [_strip_ids(v) for v in value]
    return value


def check_dump(url: str) -> dict[str, list[str]]:
    """What a check is meant to produce, without ids, run ids, capture ids or timestamps."""
    findings = query(
        url,
        "SELECT rule_id, subject, content_id, org, column_name, closed_at IS NULL, close_reason, evidence "
        "FROM qa.findings",
    )
    latest = "(SELECT max(check_run_id) FROM qa.check_runs WHERE status = 'succeeded' AND kind = 'rules')"
    return {
        "findings": sorted(
            json.dumps([*f[:-1], _strip_ids(f[-1])], ensure_ascii=False, sort_keys=True, default=str) for f in findings
        ),
        # each finding seen by every succeeded run and by no other: the killed run wrote none
        "observations": _rows(
            url,
            "SELECT f.rule_id, f.subject, count(o.check_run_id) FILTER (WHERE r.status = 'succeeded') = "
            "(SELECT count(*) FROM qa.check_runs WHERE status = 'succeeded' AND kind = 'rules'), "
            "count(o.check_run_id) FILTER (WHERE r.status <> 'succeeded') "
            "FROM qa.findings f LEFT JOIN qa.finding_observations o USING (finding_id) "
            "LEFT JOIN qa.check_runs r ON r.check_run_id = o.check_run_id GROUP BY f.finding_id",
        ),
        "results": _rows(
            url,
            f"SELECT rule_id, checked, failed, not_evaluable, exception FROM qa.results WHERE check_run_id = {latest}",
        ),
        "not_evaluable": _rows(
            url,
            f"SELECT rule_id, site_id, subject, content_id, reason FROM qa.not_evaluable WHERE check_run_id = {latest}",
        ),
        "unfinished_run_rows": _rows(
            url,
            "SELECT 'results', count(*) FROM qa.results JOIN qa.check_runs USING (check_run_id) "
            "WHERE status <> 'succeeded' UNION ALL SELECT 'not_evaluable', count(*) FROM qa.not_evaluable "
            "JOIN qa.check_runs USING (check_run_id) WHERE status <> 'succeeded'",
        ),
        "reverify": _rows(url, "SELECT content_id FROM core.items WHERE reverify"),
        "repeals": _rows(url, "SELECT repealing_content_id, repealed_content_id, matched_by, clause FROM qa.repeals"),
        "partial_repeals": _rows(
            url, "SELECT repealing_content_id, repealed_content_id, matched_by, clause, part FROM qa.partial_repeals"
        ),
    }


def differences(got: dict[str, list[str]], want: dict[str, list[str]]) -> list[str]:
    """What differs, table by table, with a few rows on each side."""
    out = []
    for key in want:
        if got[key] == want[key]:
            continue
        extra = Counter(got[key]) - Counter(want[key])
        missing = Counter(want[key]) - Counter(got[key])
        extra_rows = [r[:300] for r in list(extra.elements())[:3]]
        missing_rows = [r[:300] for r in list(missing.elements())[:3]]
        out.append(
            f"{key}: {len(got[key])} rows vs {len(want[key])}; unexpected {len(extra)} {extra_rows}; "
            f"missing {len(missing)} {missing_rows}"
        )
    return out


# ---------------------------------------------------------------- the module's replica and references
@dataclass
class Point:
    """One kill point and what came of it."""

    step: str
    n: int
    kind: str  # uniform, aimed:<trigger>, barrier
    param: str  # the delay in seconds, or the barrier's table
    delay: float = 0.0
    killed_at: float | None = None  # seconds after the start
    ended_after: float | None = None  # when the step ended on its own before the kill
    phase: str = "?"
    detail: str = ""
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        at = f"{self.killed_at:6.2f}s" if self.killed_at is not None else "   --  "
        state = "FAIL " + " | ".join(self.problems) if self.problems else "ok"
        where = f"{self.kind:<13} {self.param:<26} killed {at} phase {self.phase:<12}"
        return f"  #{self.n:02d} {where} {self.detail} {state}"


def report(step: str, points: list[Point], timing: dict[str, float]) -> str:
    head = (
        f"{step} kill points (seed {SEED}: DISCLOSURE_KILL_SEED={SEED} DISCLOSURE_KILL_POINTS={POINTS}); "
        f"reference timing {', '.join(f'{k} {v:.2f}s' for k, v in timing.items())}"
    )
    return "\n".join([head, *(p.line() for p in points)])


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    """The replica of 300 items on day 0, for the whole module (every database sees the same URLs)."""
    srv = ReplicaServer(ReplicaSite(Corpus(ITEMS, 0, 0)), Knobs(), port=0).start()
    yield srv
    srv.stop()


@dataclass
class Bases:
    empty: str  # a migrated empty database (template)
    crawled: str  # the replica crawled once (template)
    crawled_data: Path


@pytest.fixture(scope="module")
def bases(pg_server: server.Server, replica: ReplicaServer, tmp_path_factory) -> Iterator[Bases]:
    names = []
    try:
        empty = f"disclosure_audit_test_{os.urandom(6).hex()}"
        server.create_database(pg_server, empty)
        names.append(empty)
        migrate.apply_migrations(pg_server.url_for(empty))
        crawled, crawled_url = _clone(pg_server, empty)
        names.append(crawled)
        data = tmp_path_factory.mktemp("crawled")
        assert resume_crawl(replica, crawled_url, data).status == "succeeded"
        yield Bases(empty, crawled, data)
    finally:
        for name in names:
            server.drop_database(pg_server, name)


def resume_crawl(replica: ReplicaServer, url: str, data: Path):
    """The crawl run to completion in-process (what `disclosure-audit crawl` calls)."""
    return crawl(
        CrawlConfig(
            site=replica.url,
            orgs=ALL_ORGS,
            database_url=url,
            data_dir=data,
            requests_per_second=500.0,
            max_in_flight_per_host=4,
            retry_wait_seconds=0.05,
            show_progress=False,
        )
    )


def resume_check(url: str, data: Path):
    """The check run to completion in-process (what `disclosure-audit check --no-links` calls)."""
    prepare_facts(url, 500.0, links=False)
    return run_checks(url, data)


def _env(url: str, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCLOSURE_")}
    return {**env, "DISCLOSURE_DATABASE_URL": url, "DISCLOSURE_DATA_DIR": str(data)}


def crawl_command(replica: ReplicaServer) -> list[str]:
    orgs = [a for o in ALL_ORGS for a in ("--org", o)]
    return [sys.executable, "-m", "disclosure_audit", "crawl", "--site", replica.url, "--rate", str(CRAWL_RATE),
            "--in-flight", "4", "--quiet", *orgs]  # fmt: skip


CHECK_COMMAND = [sys.executable, "-m", "disclosure_audit", "check", "--no-links"]


def _start(command: list[str], url: str, data: Path) -> subprocess.Popen:
    data.mkdir(parents=True, exist_ok=True)
    with open(data / "stderr.txt", "wb") as err:
        return subprocess.Popen(command, env=_env(url, data), stdout=subprocess.DEVNULL, stderr=err)


def _stderr(data: Path) -> str:
    path = data / "stderr.txt"
    return path.read_text(errors="replace")[-1500:] if path.exists() else ""


@dataclass
class Reference:
    url: str
    dump: dict[str, list[str]]
    timing: dict[str, float]


@pytest.fixture(scope="module")
def crawl_reference(pg_server, bases: Bases, replica: ReplicaServer, tmp_path_factory) -> Iterator[Reference]:
    """One uninterrupted crawl by the CLI, timed: the reference data and the kill points' time span."""
    name, url = _clone(pg_server, bases.empty)
    try:
        data = tmp_path_factory.mktemp("crawl-reference")
        start = time.monotonic()
        proc = _start(crawl_command(replica), url, data)
        assert proc.wait(timeout=300) == 0, _stderr(data)
        timing = {"duration": time.monotonic() - start}
        assert query(url, "SELECT status FROM core.crawl_runs") == [("succeeded",)]
        yield Reference(url, crawl_dump(url), timing)
    finally:
        server.drop_database(pg_server, name)


@pytest.fixture(scope="module")
def check_reference(pg_server, bases: Bases, tmp_path_factory) -> Iterator[Reference]:
    """One uninterrupted check by the CLI on the crawled data, with the time each phase began."""
    name, url = _clone(pg_server, bases.crawled)
    try:
        data = tmp_path_factory.mktemp("check-reference")
        sessions = Sessions(url)
        marks: dict[str, float] = {}
        start = time.monotonic()
        proc = _start(CHECK_COMMAND, url, data)
        while proc.poll() is None:
            now = time.monotonic() - start
            for mark, seen in _check_marks(sessions, data).items():
                if seen:
                    marks.setdefault(mark, now)
            time.sleep(0.005)
        assert proc.returncode == 0, _stderr(data)
        marks["exit"] = time.monotonic() - start
        sessions.close()
        missing = {"row", "gx", "docs", "succeeded"} - marks.keys()
        assert not missing, f"the reference check showed no {missing}: {marks}"
        yield Reference(url, check_dump(url), marks)
    finally:
        server.drop_database(pg_server, name)


def _check_marks(sessions: Sessions, data: Path) -> dict[str, bool]:
    """What a running check shows: its run row, Great Expectations' connection, the Data Docs, success."""
    status = sessions.one("SELECT status FROM qa.check_runs ORDER BY check_run_id DESC LIMIT 1")
    row = status is not None
    return {
        "row": row,
        # the check's own connection stays open from its run row on; any other session is GX's
        "gx": row and len(sessions.others()) >= 2,
        "docs": (data / "gx" / "data_docs" / "index.html").exists(),
        "succeeded": status == "succeeded",
        # after the checkpoint, a session inside a transaction is the check's own, in its findings update
        "tx": row and any(state in ("active", "idle in transaction") for _, state, *_ in sessions.others()),
    }


# ---------------------------------------------------------------- killing
def _kill(proc: subprocess.Popen, start: float) -> float | None:
    """SIGKILL the step unless it already ended; when it was killed (seconds after its start)."""
    if proc.poll() is not None:
        return None
    at = time.monotonic() - start
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    return at


def _wait_blocked(proc: subprocess.Popen, sessions: Sessions, barrier: Barrier) -> str | None:
    """Wait until the step waits on the barrier's lock; the statement it is blocked in."""
    deadline = time.monotonic() + BARRIER_SECONDS
    while proc.poll() is None and time.monotonic() < deadline:
        for _pid, _state, _xid, wait, text in sessions.others():
            if wait == "Lock":
                return text
        time.sleep(0.01)
    return None


def _wait_until(proc: subprocess.Popen, seen: Callable[[], bool], timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if seen():
            return True
        time.sleep(0.005)
    return False


# ---------------------------------------------------------------- the crawl
def _crawl_uniform(n: int, delay: float) -> Point:
    return Point("crawl", n, "uniform", f"{delay:.3f}s", delay=delay)


def _crawl_points(duration: float) -> tuple[list[Point], random.Random]:
    rng = random.Random(f"{SEED}-crawl")
    points = [_crawl_uniform(n, rng.uniform(0.0, duration)) for n in range(POINTS)]
    points += [Point("crawl", len(points) + i, "barrier", t) for i, t in enumerate(CRAWL_BARRIERS)]
    return points, rng


def run_points(
    points: list[Point], rng: random.Random, span: float, run_one: Callable[[Point], None], uniform: Callable
) -> list[Point]:
    """Run every point in turn. A uniform point whose step ended before its delay killed nothing: it is
    followed by one drawn over the duration that run took (the machine may be faster than when the
    reference was timed), at most POINTS // 4 times."""
    queue, done, extra = list(points), [], 0
    while queue:
        p = queue.pop(0)
        run_one(p)
        done.append(p)
        if p.kind == "uniform" and p.killed_at is None and p.ended_after is not None and extra < POINTS // 4:
            span = min(span, p.ended_after)
            extra += 1
            queue.insert(0, uniform(len(points) + extra - 1, rng.uniform(0.0, span)))
    return done


def assert_enough_kills(points: list[Point], text: str) -> None:
    kills = sum(1 for p in points if p.killed_at is not None)
    assert kills >= POINTS, f"only {kills} of the points killed the step before it ended\n{text}"


def _crawl_phase(url: str, ran_out: bool) -> tuple[str, str]:
    """Where the kill hit, from what the killed run left."""
    runs = query(url, "SELECT status FROM core.crawl_runs ORDER BY run_id")
    if not runs:
        return ("ended" if ran_out else "startup"), "no run row"
    loaded = query(url, "SELECT count(*) FILTER (WHERE version > 0), count(*) FROM core.items")[0]
    detail = f"items loaded {loaded[0]}/{loaded[1]} listed"
    if runs[-1][0] != "running":
        return ("ended" if ran_out else "finished"), detail
    if loaded[0] == 0:
        return "listing", detail
    return ("details" if loaded[0] < ITEMS else "closing"), detail


def _crawl_problems(url: str, data: Path, ref: Reference) -> list[str]:
    problems = differences(crawl_dump(url), ref.dump)
    runs = query(url, "SELECT status, error FROM core.crawl_runs ORDER BY run_id")
    if runs[-1][0] != "succeeded":
        problems.append(f"the crawl after the kill ended {runs[-1][0]}")
    for status, error in runs[:-1]:
        if status == "abandoned" and "ended without finishing" not in (error or ""):
            problems.append(f"an abandoned run without its reason: {error!r}")
        elif status not in ("abandoned", "succeeded"):
            problems.append(f"the killed run was left {status!r}")
    captures = query(url, "SELECT capture_id, warc_file, warc_offset, sha256 FROM core.captures")
    if len(captures) < len(ref.dump["capture_set"]):
        problems.append(f"{len(captures)} capture rows, fewer than the reference's {len(ref.dump['capture_set'])}")
    unreadable = []
    for capture_id, warc_file, offset, sha in captures:
        try:
            body = read_capture(data, warc_file, offset).body
        except Exception as exc:  # noqa: BLE001 - any failure to read back is the finding
            unreadable.append(f"{capture_id}: {type(exc).__name__}: {exc}")
            continue
        if hashlib.sha256(body).hexdigest() != sha:
            unreadable.append(f"{capture_id}: sha256 differs")
    if unreadable:
        problems.append(f"{len(unreadable)} capture(s) do not read back: {unreadable[:3]}")
    return problems


def _run_crawl_point(p: Point, pg_server, bases: Bases, replica: ReplicaServer, ref: Reference, tmp: Path) -> None:
    name, url = _clone(pg_server, bases.empty)
    data = tmp / f"crawl-{p.n:02d}"
    sessions = Sessions(url)
    barrier = None
    try:
        if p.kind == "barrier":
            barrier = Barrier(url, p.param)
            barrier.hold()
            sessions.ignore.add(barrier.pid)
        start = time.monotonic()
        proc = _start(crawl_command(replica), url, data)
        if barrier is not None:
            blocked = _wait_blocked(proc, sessions, barrier)
            p.detail = f"blocked in {blocked!r}; " if blocked else ""
            if blocked is None:
                p.problems.append(f"the crawl never waited on {p.param}")
        else:
            while proc.poll() is None and time.monotonic() - start < p.delay:
                time.sleep(0.005)
        if proc.poll() is not None:
            p.ended_after = time.monotonic() - start
        p.killed_at = _kill(proc, start)
        if barrier is not None:
            barrier.release()
            barrier = None
        sessions.wait_gone()
        if p.killed_at is None and proc.returncode != 0:
            p.problems.append(f"the crawl failed before the kill (exit {proc.returncode}): {_stderr(data)}")
        phase, detail = _crawl_phase(url, p.killed_at is None)
        if p.kind == "barrier" and p.param in ("core.item_versions", "core.attachments", "core.links"):
            phase = "details"  # inside a merge: its transaction rolled back, so the database cannot show it
        p.phase, p.detail = phase, p.detail + detail
        summary = resume_crawl(replica, url, data)
        if summary.status != "succeeded":
            p.problems.append(f"the crawl after the kill ended {summary.status}: {summary.errors[:2]}")
        p.problems += _crawl_problems(url, data, ref)
    except Exception as exc:  # noqa: BLE001 - reported with the point, the other points still run
        p.problems.append(f"{type(exc).__name__}: {exc}")
    finally:
        if barrier is not None:
            barrier.release()
        sessions.close()
        server.drop_database(pg_server, name)


def test_a_crawl_killed_at_any_point_and_run_again_ends_like_an_uninterrupted_one(
    pg_server, bases: Bases, replica: ReplicaServer, crawl_reference: Reference, tmp_path: Path
) -> None:
    planned, rng = _crawl_points(crawl_reference.timing["duration"])

    def run_one(p: Point) -> None:
        _run_crawl_point(p, pg_server, bases, replica, crawl_reference, tmp_path)

    points = run_points(planned, rng, crawl_reference.timing["duration"], run_one, _crawl_uniform)
    text = report("crawl", points, crawl_reference.timing)
    print(text)
    failed = [p for p in points if p.problems]
    assert not failed, text
    assert_enough_kills(points, text)
    phases = Counter(p.phase for p in points)
    assert phases["details"] >= 2 and phases["listing"] >= 1, f"the points missed the load: {dict(phases)}\n{text}"


# ---------------------------------------------------------------- the check
def _check_uniform(n: int, delay: float) -> Point:
    return Point("check", n, "uniform", f"{delay:.3f}s after start", delay=delay)


def _check_points(timing: dict[str, float]) -> tuple[list[Point], random.Random]:
    rng = random.Random(f"{SEED}-check")
    aimed = max(1, POINTS // 4)
    uniform = POINTS - 2 * aimed
    points = []
    for _ in range(uniform):
        points.append(_check_uniform(len(points), rng.uniform(0.0, timing["exit"])))
    # aimed: a seeded offset after what the run shows, over the span that phase took in the reference
    spans = {
        "row": timing["gx"] - timing["row"],  # GX opening its context
        "gx": timing["docs"] - timing["gx"],  # the checkpoint: validations, Data Docs
        "docs": max(0.03, timing["succeeded"] - timing["docs"]),  # make_offline, the findings transaction
    }
    per = {"row": aimed // 2, "gx": aimed - aimed // 2, "docs": aimed}
    for trigger, count in per.items():
        for _ in range(count):
            delay = rng.uniform(0.0, spans[trigger])
            points.append(Point("check", len(points), f"aimed:{trigger}", f"{delay:.3f}s after {trigger}", delay=delay))
    points += [Point("check", len(points) + i, "barrier", t) for i, t in enumerate(CHECK_BARRIERS)]
    return points, rng


def _row_sql(target: str) -> str:
    if target == "row:core.items":
        # an item the check opens a finding on: its reverify flag is written in the findings transaction
        return "SELECT 1 FROM core.items WHERE content_id = 9100101 FOR SHARE"
    return "SELECT 1 FROM qa.check_runs ORDER BY check_run_id DESC LIMIT 1 FOR SHARE"


def _check_phase(url: str, data: Path, killed: bool, seen: dict[str, bool], blocked: str | None) -> tuple[str, str]:
    """Where the kill hit, from what the killed check left and what it showed up to the kill."""
    status = query(url, "SELECT status FROM qa.check_runs ORDER BY check_run_id DESC LIMIT 1")
    docs = (data / "gx" / "data_docs" / "index.html").exists()
    validations = any((data / "gx" / "validations").rglob("*.json")) if (data / "gx").exists() else False
    gx = "seen" if seen.get("gx") else "not seen"
    detail = f"GX connection {gx}, validations {'stored' if validations else 'none'}"
    if not killed:
        return "ended", detail
    if not status:
        return "startup", detail
    if status[0][0] == "succeeded":
        return "after-commit", detail
    if blocked is not None or docs:
        if blocked is not None:
            return "findings", f"{detail}, blocked in {blocked!r}"
        where = "the findings transaction open" if seen.get("tx_now") else "not yet in the findings transaction"
        return "findings", f"{detail}, Data Docs rebuilt, {where} at the last look"
    return "gx", detail + (", inside the checkpoint" if seen.get("gx") else ", opening the context")


def _check_problems(url: str, ref: Reference) -> list[str]:
    problems = differences(check_dump(url), ref.dump)
    runs = query(url, "SELECT status, error FROM qa.check_runs WHERE kind = 'rules' ORDER BY check_run_id")
    if not runs or runs[-1][0] != "succeeded":
        problems.append(f"the check after the kill ended {runs[-1][0] if runs else 'without a run'}")
    for status, error in runs[:-1]:
        if status == "running":
            problems.append("the killed check run was left 'running'")
        elif status == "failed" and not (error or "").startswith("abandoned:"):
            problems.append(f"the killed check run failed without saying it was abandoned: {error!r}")
    return problems


def _run_check_point(p: Point, pg_server, bases: Bases, ref: Reference, tmp: Path) -> None:
    name, url = _clone(pg_server, bases.crawled)
    data = tmp / f"check-{p.n:02d}"
    sessions = Sessions(url)
    barrier = None
    seen: dict[str, bool] = {}
    blocked = None
    try:
        if p.kind == "barrier":
            barrier = Barrier(url, p.param)
            sessions.ignore.add(barrier.pid)
            if p.param != "row:qa.check_runs":
                assert barrier.hold(_row_sql(p.param)), f"nothing to lock for {p.param}"
        start = time.monotonic()
        proc = _start(CHECK_COMMAND, url, data)

        def observe() -> dict[str, bool]:
            marks = _check_marks(sessions, data)
            for mark, on in marks.items():
                seen[mark] = seen.get(mark, False) or on
            seen["tx_now"] = marks["docs"] and marks["tx"]  # at the last look before the kill
            return seen

        if barrier is not None:
            if not barrier.held:  # the run's own row: lock it once it is committed, long before its UPDATE
                _wait_until(proc, lambda: observe()["row"])
                assert barrier.hold(_row_sql(p.param)), "the check run's row never appeared"
            blocked = _wait_blocked(proc, sessions, barrier)
            if blocked is None:
                p.problems.append(f"the check never waited on {p.param}")
            observe()
        elif p.kind == "uniform":
            while proc.poll() is None and time.monotonic() - start < p.delay:
                observe()
                time.sleep(0.005)
        else:
            trigger = p.kind.split(":", 1)[1]
            if not _wait_until(proc, lambda: observe()[trigger]):
                p.problems.append(f"the check never showed {trigger}")
            until = time.monotonic() + p.delay
            while proc.poll() is None and time.monotonic() < until:
                observe()
                time.sleep(0.002)
        if proc.poll() is not None:
            p.ended_after = time.monotonic() - start
        p.killed_at = _kill(proc, start)
        if barrier is not None:
            barrier.release()
            barrier = None
        sessions.wait_gone()
        if p.killed_at is None and proc.returncode != 0:
            p.problems.append(f"the check failed before the kill (exit {proc.returncode}): {_stderr(data)}")
        p.phase, p.detail = _check_phase(url, data, p.killed_at is not None, seen, blocked)
        summary = resume_check(url, data)
        if summary.broken_rules:
            p.problems.append(f"broken rules after the kill: {summary.broken_rules}")
        p.problems += _check_problems(url, ref)
    except Exception as exc:  # noqa: BLE001 - reported with the point, the other points still run
        p.problems.append(f"{type(exc).__name__}: {exc}")
    finally:
        if barrier is not None:
            barrier.release()
        sessions.close()
        server.drop_database(pg_server, name)


def test_a_check_killed_at_any_point_and_run_again_ends_like_an_uninterrupted_one(
    pg_server, bases: Bases, check_reference: Reference, tmp_path: Path
) -> None:
    planned, rng = _check_points(check_reference.timing)

    def run_one(p: Point) -> None:
        _run_check_point(p, pg_server, bases, check_reference, tmp_path)

    points = run_points(planned, rng, check_reference.timing["exit"], run_one, _check_uniform)
    text = report("check", points, check_reference.timing)
    print(text)
    failed = [p for p in points if p.problems]
    assert not failed, text
    assert_enough_kills(points, text)
    phases = Counter(p.phase for p in points)
    inside = [p for p in points if p.phase == "gx" and "inside the checkpoint" in p.detail]
    assert inside and phases["findings"] >= len(CHECK_BARRIERS), f"missed a phase: {dict(phases)}\n{text}"


def test_a_check_run_whose_process_is_gone_is_closed_and_a_live_one_is_left(pg_server, bases: Bases) -> None:
    """The fix the kill points called for: a killed check's run was left 'running' for ever."""
    name, url = _clone(pg_server, bases.crawled)
    holder = psycopg2.connect(url)
    try:
        (killed,), (alive,) = query(
            url, "INSERT INTO qa.check_runs (as_of) VALUES (NULL), (NULL) RETURNING check_run_id"
        )
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s, %s)", (_CHECK_LOCK, alive))
        conn = psycopg2.connect(url)
        try:
            with conn, conn.cursor() as cur:
                assert close_abandoned(cur) == [killed]
        finally:
            conn.close()
        runs = dict(query(url, "SELECT check_run_id, status FROM qa.check_runs"))
        assert runs == {killed: "failed", alive: "running"}
        (error,) = query(url, "SELECT error FROM qa.check_runs WHERE check_run_id = %s", (killed,))[0]
        assert error.startswith("abandoned:") and "ended without finishing" in error
    finally:
        holder.close()
        server.drop_database(pg_server, name)
