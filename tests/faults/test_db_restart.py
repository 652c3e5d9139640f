"""A real restart of the PostgreSQL server in the middle of a crawl's load and in the middle of a check.

The tests start a private cluster of their own (`PrivateCluster` in a temporary folder, on a free port;
the shared server is never touched) and restart it with ``pg_ctl restart -m fast``, which ends every
session the way a server restart, a failover or an OOM-killed postmaster does: the client's next
statement fails. The steps run as the CLI in a subprocess (``python -m disclosure_audit ...``) with
DISCLOSURE_DATABASE_URL pointing at a database of the private cluster, against the replica of 1,000
items (day 0, every organisation).

1. Crawl: the cluster is restarted during the detail phase, once 10-80% of the items are loaded
   (preferably while a batch's transaction is open: the crawl's session holds a transaction id).
   The crawl must fail clearly (non-zero exit, its last stderr line one ``disclosure-audit: ...error:``
   line, no traceback) or carry on and succeed. After the restart no partial batch is visible: every
   item with a version has that version in core.item_versions and its detail capture row, and every
   capture row reads back from its WARC record with its sha256. The next crawl closes the interrupted
   run ('abandoned' or 'failed', never 'running') and completes the site: the loaded items are the
   replica's truth.
2. Check: ``check --no-links`` on a crawled copy of the database, timed uninterrupted first, then
   restarted at 30%, 60% and 90% of that duration (each point on a fresh copy). After each restart the
   check failed clearly or succeeded, and the findings are never in between: either exactly as before
   the check (no finding, observation, result or not-evaluable row of the interrupted run) or as after a
   complete check (the uninterrupted check's open findings, with the run's results). A check run that
   is 'succeeded' always has its results. The interrupted run may stay 'running' until the next check,
   which closes it as 'failed' (its lock is free: `close_abandoned` in checks/run.py); after that next
   check no run is 'running'. The reference duration is the shorter of two uninterrupted checks; a
   point the check outran is aimed again, earlier.

What "converges" means here: after the interrupted step, running the same step once more, uninterrupted,
gives what a single uninterrupted run gives: for the crawl, the items (content ids with a version, none
removed) equal the replica's truth and every recorded capture reads back; for the check, the set of open
findings (rule_id, subject) equals the uninterrupted check's, and every finding was observed by every
succeeded check run and by no other.

Timings of every step are printed (run with -s to see them); the module takes about three minutes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest

from disclosure_audit.crawl import CrawlConfig, crawl
from disclosure_audit.http.capture import read_capture
from disclosure_audit.replica.corpus import ORGS, Corpus
from disclosure_audit.replica.server import Knobs, ReplicaServer
from disclosure_audit.replica.site import ReplicaSite
from disclosure_audit.replica.truth import build_truth
from disclosure_audit.store import migrate, server

pytestmark = pytest.mark.long

ITEMS = 1000
RATE = 1000.0  # requests per second: the crawl takes some 20 s, its detail phase most of it
ALL_ORGS = [o.name for o in ORGS]
LOAD_WINDOW = (0.10, 0.80)  # restart the crawl's server once this share of the items is loaded
CHECK_FRACTIONS = (0.30, 0.60, 0.90)  # restart the check's server this far into its measured duration
STEP_TIMEOUT = 180.0
TIMINGS: dict[str, float] = {}


def _timed(name: str, start: float) -> float:
    took = time.monotonic() - start
    TIMINGS[name] = took
    print(f"[timing] {name}: {took:.2f}s", flush=True)
    return took


# ---------------------------------------------------------------- the private cluster
@dataclass
class Cluster:
    """A private PostgreSQL cluster for this module, restarted for real by the tests."""

    pg: server.PrivateCluster
    bins: server.PgBinaries
    port: int
    admin: server.Server
    databases: list[str] = field(default_factory=list)

    def restart(self) -> float:
        """``pg_ctl restart -m fast``: every session ends; the server is back on the same port. Seconds taken."""
        start = time.monotonic()
        self.pg._run(  # as the cluster's OS user, like start/stop; the options (port, socket) are kept
            [self.bins.pg_ctl, "restart", "-D", str(self.pg.pgdata), "-m", "fast", "-w", "-t", "60",
             "-l", str(self.pg.logfile)],
            f"restarting the private PostgreSQL cluster in {self.pg.pgdata}",
        )  # fmt: skip
        took = time.monotonic() - start
        assert self.pg.running_port(self.bins) == self.port, "the restarted server listens on another port"
        return took

    def new_database(self, template: str | None = None) -> tuple[str, str]:
        """A new database (migrated, or a copy of `template`): its name and URL."""
        name = f"restart_{os.urandom(5).hex()}"
        conn = psycopg2.connect(self.admin.admin_url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        finally:
            conn.close()
        self.databases.append(name)
        url = self.admin.url_for(name)
        if template is None:
            migrate.apply_migrations(url)
        return name, url


def _can_run_a_cluster() -> str | None:
    if not server.find_binaries(server.default_bin_dirs()):
        return "no initdb/pg_ctl on PATH or in /usr/lib/postgresql"
    if os.geteuid() == 0:
        try:
            server._owner_for_postgres()
        except server.StoreError as exc:
            return str(exc)
    return None


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    why = _can_run_a_cluster()
    if why:
        pytest.skip(why)
    # Not pytest's tmp_path: as root the cluster runs as the postgres OS user, which must be able to enter
    # every folder above it, and /tmp/pytest-of-root is private to root.
    state = Path(tempfile.mkdtemp(prefix="disclosure-audit-restart-"))
    state.chmod(0o755)
    pg = server.PrivateCluster(state)
    bins = pg.pick_binaries(server.default_bin_dirs())
    assert bins is not None
    try:
        start = time.monotonic()
        port = pg.start(bins, server.free_port(57500 + os.getpid() % 2000))
        _timed("private cluster initdb + start", start)
        admin = server.Server(
            source="private", admin_url=server.make_url(pg.superuser, server.DEFAULT_HOST, port, "postgres")
        )
        yield Cluster(pg, bins, port, admin)
    finally:
        with contextlib.suppress(server.StoreError):
            pg.stop(bins)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    srv = ReplicaServer(ReplicaSite(Corpus(ITEMS, 0, 0)), Knobs(), port=0).start()
    yield srv
    srv.stop()


# ---------------------------------------------------------------- helpers
def query(url: str, sql: str, args: tuple = ()) -> list[tuple]:
    conn = psycopg2.connect(url, connect_timeout=10)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        conn.close()


def _env(url: str, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCLOSURE_")}
    return {**env, "DISCLOSURE_DATABASE_URL": url, "DISCLOSURE_DATA_DIR": str(data)}


def crawl_command(replica: ReplicaServer) -> list[str]:
    orgs = [a for o in ALL_ORGS for a in ("--org", o)]
    return [sys.executable, "-m", "disclosure_audit", "crawl", "--site", replica.url, "--rate", str(RATE),
            "--in-flight", "4", "--quiet", *orgs]  # fmt: skip


CHECK_COMMAND = [sys.executable, "-m", "disclosure_audit", "check", "--no-links"]


@dataclass
class Step:
    """A CLI step running in a subprocess; its output goes to files (a pipe could fill up and block it)."""

    proc: subprocess.Popen
    out: Path
    err: Path
    started: float

    @classmethod
    def start(cls, command: list[str], url: str, data: Path, name: str) -> Step:
        data.mkdir(parents=True, exist_ok=True)
        out, err = data.parent / f"{name}.stdout", data.parent / f"{name}.stderr"
        with open(out, "wb") as o, open(err, "wb") as e:
            proc = subprocess.Popen(command, env=_env(url, data), stdout=o, stderr=e, stdin=subprocess.DEVNULL)
        return cls(proc, out, err, time.monotonic())

    def wait(self) -> int:
        try:
            return self.proc.wait(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"the step did not end within {STEP_TIMEOUT:.0f}s: {self.stderr()}") from None

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def assert_clear_failure_or_success(code: int, stderr: str) -> str:
    """The step ended 0, or non-zero with one clear last line and no traceback; that line (or 'succeeded').

    No traceback at all: neither Python's for an uncaught exception nor one logged by Great Expectations
    (it logs each failed SQL query with its traceback inside the message; `check` silences its logs
    unless --debug).
    """
    assert "Traceback" not in stderr, f"{stderr.count('Traceback')} traceback(s) on stderr: {stderr[-3000:]}"
    if code == 0:
        return "succeeded (exit 0)"
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, f"exit {code} with nothing on stderr"
    last = lines[-1]
    assert last.startswith("disclosure-audit: ") and "error" in last, stderr[-3000:]
    return f"exit {code}: {last}"


def assert_no_partial_batch(url: str, data: Path) -> dict[str, int]:
    """Every loaded item has its version row and its detail capture; every capture reads back."""
    missing_version = query(
        url,
        "SELECT i.content_id, i.version FROM core.items i WHERE i.version > 0 AND NOT EXISTS "
        "(SELECT 1 FROM core.item_versions v WHERE v.item_id = i.item_id AND v.version = i.version)",
    )
    assert missing_version == [], f"items without their version row: {missing_version[:5]}"
    missing_capture = query(
        url,
        "SELECT i.content_id FROM core.items i LEFT JOIN core.captures c ON c.capture_id = i.detail_capture_id "
        "WHERE i.version > 0 AND c.capture_id IS NULL",
    )
    assert missing_capture == [], f"items without their detail capture: {missing_capture[:5]}"
    captures = query(url, "SELECT capture_id, url, sha256, warc_file, warc_offset FROM core.captures")
    bad = []
    for capture_id, page_url, sha, warc_file, offset in captures:
        try:
            archived = read_capture(data, warc_file, offset)
        except Exception as exc:  # noqa: BLE001 - any failure to read back is the finding
            bad.append(f"{capture_id}: {type(exc).__name__}: {exc}")
            continue
        if archived.url != page_url or hashlib.sha256(archived.body).hexdigest() != sha:
            bad.append(f"{capture_id}: {page_url} does not match its WARC record")
    assert bad == [], f"{len(bad)} capture(s) do not read back: {bad[:3]}"
    loaded = query(url, "SELECT count(*) FROM core.items WHERE version > 0")[0][0]
    return {"items loaded": loaded, "captures": len(captures)}


# ---------------------------------------------------------------- 1. a restart in the middle of a load
def _crawl_session_in_transaction(url: str) -> bool | None:
    """Whether the crawl's session has a write transaction open (None: no crawl session seen)."""
    rows = query(
        url,
        "SELECT backend_xid IS NOT NULL FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
    )
    return any(r[0] for r in rows) if rows else None


def test_a_server_restart_in_the_middle_of_a_load_leaves_no_partial_batch_and_the_next_crawl_completes(
    cluster: Cluster, replica: ReplicaServer, tmp_path: Path
) -> None:
    _, url = cluster.new_database()
    data = tmp_path / "data"
    low, high = int(ITEMS * LOAD_WINDOW[0]), int(ITEMS * LOAD_WINDOW[1])

    step = Step.start(crawl_command(replica), url, data, "crawl-interrupted")
    loaded, in_tx, restarted_at, took = 0, False, None, 0.0
    while step.proc.poll() is None and step.elapsed() < STEP_TIMEOUT:
        loaded = query(url, "SELECT count(*) FROM core.items WHERE version > 0")[0][0]
        if loaded >= low:
            # aim inside a batch's transaction (a transaction id taken), else restart before 80% anyway
            in_tx = bool(_crawl_session_in_transaction(url))
            if in_tx or loaded >= high - ITEMS // 10:
                restarted_at = step.elapsed()
                took = cluster.restart()
                break
            time.sleep(0.002)
        else:
            time.sleep(0.02)
    assert restarted_at is not None, f"the crawl ended before {low} items were loaded: {step.stderr()[-2000:]}"
    assert low <= loaded <= high, f"restarted at {loaded} items loaded, outside {low}-{high}"
    code = step.wait()
    _timed("crawl until it ended after the restart", step.started)
    outcome = assert_clear_failure_or_success(code, step.stderr())
    print(
        f"[crawl] restarted {restarted_at:.2f}s in, {loaded}/{ITEMS} items loaded, "
        f"{'inside' if in_tx else 'between'} load transactions, restart took {took:.2f}s; the crawl {outcome}"
    )

    state = assert_no_partial_batch(url, data)
    runs = query(url, "SELECT run_id, status, error FROM core.crawl_runs ORDER BY run_id")
    print(f"[crawl] after the restart: {state}; runs {[(r, s) for r, s, _ in runs]}")
    assert len(runs) == 1
    if code == 0:
        assert runs[0][1] == "succeeded"

    start = time.monotonic()
    again = Step.start(crawl_command(replica), url, data, "crawl-again")
    assert again.wait() == 0, again.stderr()[-3000:]
    _timed("the next crawl", start)
    runs = query(url, "SELECT run_id, status, error FROM core.crawl_runs ORDER BY run_id")
    print(f"[crawl] after the next crawl: runs {[(r, s, (e or '')[:90]) for r, s, e in runs]}")
    first, last = runs[0], runs[-1]
    assert len(runs) == 2 and last[1] == "succeeded", runs
    if code != 0:
        assert first[1] in ("abandoned", "failed"), f"the interrupted run was left {first[1]!r}"
        if first[1] == "abandoned":
            assert "ended without finishing" in (first[2] or ""), first
    truth = build_truth(Corpus(ITEMS, 0, 0), replica.url)
    expected = sorted(t["content_id"] for t in truth["items"])
    stored = [r[0] for r in query(url, "SELECT content_id FROM core.items WHERE version > 0 AND removed_at IS NULL "
                                       "ORDER BY 1")]  # fmt: skip
    assert stored == expected, f"{len(stored)} items loaded, the truth has {len(expected)}"
    assert_no_partial_batch(url, data)


# ---------------------------------------------------------------- 2. a restart in the middle of a check
@dataclass
class Crawled:
    template: str  # a database holding the replica crawled once, never checked
    data: Path


@pytest.fixture(scope="module")
def crawled(cluster: Cluster, replica: ReplicaServer, tmp_path_factory) -> Crawled:
    name, url = cluster.new_database()
    data = tmp_path_factory.mktemp("crawled")
    start = time.monotonic()
    summary = crawl(
        CrawlConfig(
            site=replica.url,
            orgs=ALL_ORGS,
            database_url=url,
            data_dir=data,
            requests_per_second=RATE,
            max_in_flight_per_host=4,
            retry_wait_seconds=0.05,
            show_progress=False,
        )  # fmt: skip
    )
    _timed("the crawl the checks run on (in-process)", start)
    assert summary.status == "succeeded", summary.errors[:3]
    return Crawled(name, data)


@dataclass
class CheckState:
    """What a check writes, as comparable values."""

    open_findings: frozenset[tuple[str, str]]
    findings: tuple[tuple, ...]  # every finding row (open and closed), without timestamps
    runs: tuple[tuple[int, str], ...]  # (check_run_id, status) of the rules check runs
    rows_of_unsucceeded_runs: int  # observations, results and not-evaluable rows of runs not succeeded
    succeeded_without_results: tuple[int, ...]
    observation_gaps: int  # findings not observed by every succeeded run, or observed by another


def check_state(url: str) -> CheckState:
    open_findings = frozenset(
        query(url, "SELECT rule_id, subject FROM qa.findings WHERE closed_at IS NULL")  # type: ignore[arg-type]
    )
    findings = tuple(
        query(
            url,
            "SELECT finding_id, rule_id, subject, opened_run, last_seen_run, closed_run, close_reason "
            "FROM qa.findings ORDER BY finding_id",
        )
    )
    runs = tuple(query(url, "SELECT check_run_id, status FROM qa.check_runs WHERE kind = 'rules' ORDER BY 1"))
    unsucceeded = query(
        url,
        "SELECT (SELECT count(*) FROM qa.finding_observations o JOIN qa.check_runs r USING (check_run_id) "
        "WHERE r.status <> 'succeeded') + (SELECT count(*) FROM qa.results x JOIN qa.check_runs r "
        "USING (check_run_id) WHERE r.status <> 'succeeded') + (SELECT count(*) FROM qa.not_evaluable x "
        "JOIN qa.check_runs r USING (check_run_id) WHERE r.status <> 'succeeded')",
    )[0][0]
    without_results = tuple(
        r[0]
        for r in query(
            url,
            "SELECT r.check_run_id FROM qa.check_runs r WHERE r.status = 'succeeded' AND r.kind = 'rules' "
            "AND NOT EXISTS (SELECT 1 FROM qa.results x WHERE x.check_run_id = r.check_run_id)",
        )
    )
    gaps = query(
        url,
        "SELECT count(*) FROM (SELECT f.finding_id, count(o.check_run_id) FILTER (WHERE r.status = 'succeeded') "
        "AS seen, count(o.check_run_id) FILTER (WHERE r.status <> 'succeeded') AS other, "
        "(SELECT count(*) FROM qa.check_runs c WHERE c.status = 'succeeded' AND c.kind = 'rules' "
        " AND c.check_run_id BETWEEN f.opened_run AND COALESCE(f.closed_run - 1, f.last_seen_run)) AS expected "
        "FROM qa.findings f LEFT JOIN qa.finding_observations o USING (finding_id) "
        "LEFT JOIN qa.check_runs r ON r.check_run_id = o.check_run_id GROUP BY f.finding_id) x "
        "WHERE seen <> expected OR other > 0",
    )[0][0]
    return CheckState(open_findings, findings, runs, unsucceeded, without_results, gaps)


def run_check(url: str, data: Path, name: str) -> tuple[int, str, float]:
    step = Step.start(CHECK_COMMAND, url, data, name)
    code = step.wait()
    return code, step.stderr(), step.elapsed()


def _check_phase(url: str, data: Path) -> str:
    """Where a running check is: before its run row, in Great Expectations, or past the Data Docs."""
    try:
        row = query(url, "SELECT status FROM qa.check_runs WHERE kind = 'rules' ORDER BY check_run_id DESC LIMIT 1")
    except psycopg2.Error:
        return "?"
    if not row:
        return "startup (sync rules, refresh facts)"
    if row[0][0] != "running":
        return f"ended ({row[0][0]})"
    docs = (data / "gx" / "data_docs" / "index.html").exists()
    return "after the Data Docs (findings transaction)" if docs else "Great Expectations checkpoint"


@dataclass
class Interrupted:
    """One check restarted in the middle: when, where, and what it left."""

    restarted_at: float | None  # seconds after the start; None: the check ended first
    phase: str
    restart_took: float
    code: int
    outcome: str
    before: CheckState
    after: CheckState


def _interrupted_check(cluster: Cluster, template: str, data: Path, delay: float, name: str) -> tuple[str, Interrupted]:
    _, url = cluster.new_database(template)
    before = check_state(url)
    step = Step.start(CHECK_COMMAND, url, data, name)
    while step.proc.poll() is None and step.elapsed() < delay:
        time.sleep(0.01)
    phase, restarted_at, took = "ended before the restart", None, 0.0
    if step.proc.poll() is None:
        phase = _check_phase(url, data)
        restarted_at = step.elapsed()
        took = cluster.restart()
    code = step.wait()
    outcome = assert_clear_failure_or_success(code, step.stderr())
    return url, Interrupted(restarted_at, phase, took, code, outcome, before, check_state(url))


def test_a_server_restart_in_the_middle_of_a_check_leaves_findings_before_or_after_never_in_between(
    cluster: Cluster, crawled: Crawled, tmp_path: Path
) -> None:
    start = time.monotonic()
    _, ref_url = cluster.new_database(crawled.template)
    durations = []
    for n in range(2):  # twice: the first run on a cold machine can take much longer than the next
        code, err, took = run_check(ref_url, tmp_path / "reference", f"check-reference-{n}")
        assert code == 0, err[-3000:]
        durations.append(took)
    _timed("two uninterrupted checks (reference)", start)
    duration = min(durations)
    reference = check_state(ref_url)
    assert reference.open_findings, "the replica's defects should give open findings"
    assert [s for _, s in reference.runs] == ["succeeded", "succeeded"] and not reference.succeeded_without_results
    assert reference.observation_gaps == 0
    print(
        f"[check] reference: {', '.join(f'{d:.2f}s' for d in durations)}; {len(reference.open_findings)} open findings"
    )

    report, problems = [], []
    for fraction in CHECK_FRACTIONS:
        label = f"{fraction:.0%}"
        data = tmp_path / f"at-{int(fraction * 100)}"
        url, got = _interrupted_check(cluster, crawled.template, data, fraction * duration, f"check-{label}")
        if got.restarted_at is None:  # the machine was faster this time: aim again, earlier
            print(f"[check] {label}: the check ended before its restart; aiming again, earlier")
            data = tmp_path / f"at-{int(fraction * 100)}-again"
            url, got = _interrupted_check(
                cluster, crawled.template, data, fraction * duration * 0.6, f"check-{label}-again"
            )
        after, before = got.after, got.before
        statuses = [s for _, s in after.runs]
        line = (
            f"  {label}: restarted {f'{got.restarted_at:.2f}s in' if got.restarted_at is not None else 'never'}, "
            f"phase {got.phase} (restart {got.restart_took:.2f}s); the check {got.outcome}; check runs {statuses}; "
            f"open findings {len(after.open_findings)}"
        )
        completed = bool(statuses) and statuses[-1] == "succeeded"
        if completed:
            if after.open_findings != reference.open_findings:
                problems.append(f"{label}: succeeded with other open findings than the reference")
        elif after.findings != before.findings or after.open_findings != before.open_findings:
            problems.append(f"{label}: not succeeded, yet qa.findings changed: in between")
        if after.rows_of_unsucceeded_runs:
            problems.append(f"{label}: {after.rows_of_unsucceeded_runs} rows written by an unfinished run")
        if after.succeeded_without_results:
            problems.append(f"{label}: check run(s) {after.succeeded_without_results} succeeded without results")
        if got.code == 0 and not completed:
            problems.append(f"{label}: exit 0 but the check runs are {statuses}")

        # converges: one more check, uninterrupted, ends like the reference
        code, err, took_again = run_check(url, data, f"check-{label}-next")
        final = check_state(url)
        line += f"; next check {took_again:.2f}s, exit {code}, runs {[s for _, s in final.runs]}"
        if code != 0 or "Traceback" in err:
            problems.append(f"{label}: the check after the restart failed (exit {code}): {err[-500:]}")
        if final.open_findings != reference.open_findings:
            extra, missing = (
                final.open_findings - reference.open_findings,
                reference.open_findings - final.open_findings,
            )
            problems.append(
                f"{label}: the next check differs: extra {sorted(extra)[:3]}, missing {sorted(missing)[:3]}"
            )
        if final.observation_gaps or final.rows_of_unsucceeded_runs or final.succeeded_without_results:
            problems.append(f"{label}: after the next check: {final}")
        left_running = [r for r, s in final.runs if s == "running"]
        if left_running:
            problems.append(f"{label}: check run(s) {left_running} left 'running' after the next check")
        if not final.runs or final.runs[-1][1] != "succeeded":
            problems.append(f"{label}: the next check's run is {final.runs[-1:]}")
        report.append(line)

    text = "[check] restart points (reference {:.2f}s):\n{}".format(duration, "\n".join(report))
    print(text)
    restarted = sum(1 for line in report if "restarted never" not in line)
    assert not problems, "\n".join(problems) + "\n" + text
    assert restarted >= 2, f"the check ended before most restart points (a loaded machine?):\n{text}"
