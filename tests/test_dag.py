"""The nightly Airflow DAG: it imports cleanly, parses without touching the network, and dag.test() crawls for real.

Airflow runs in subprocesses (its configuration and logging are process-wide, read at import) with
AIRFLOW_HOME in a temporary folder and a SQLite metadata database, migrated once per session.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from disclosure_audit.replica.corpus import Corpus
from disclosure_audit.replica.server import Knobs, ReplicaServer
from disclosure_audit.replica.site import ReplicaSite
from disclosure_audit.replica.truth import build_truth
from disclosure_audit.replica.variants import Variants

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "dags"
DAG_ID = "disclosure_nightly"
ORG = "合肥市地震局"
MARK = "@@RESULT@@ "


def _airflow_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of an Airflow subprocess: nothing inherited from the caller's Airflow or DISCLOSURE_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DISCLOSURE_"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def _run_python(code: str, env: dict[str, str], timeout: float) -> dict:
    """Run `code` in a fresh interpreter; it prints its result as one MARK-prefixed JSON line."""
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        pytest.fail(f"timed out after {timeout} s; output ends with:\n{out[-4000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    assert done.returncode == 0 and lines, f"exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return json.loads(lines[-1].removeprefix(MARK))


def _closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An AIRFLOW_HOME with a migrated SQLite metadata database, shared by the tests of this session."""
    home = tmp_path_factory.mktemp("airflow_home")
    done = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        env=_airflow_env(home),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return home


INSPECT = f"""
import json
from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder={str(DAGS)!r})
dag = bag.get_dag({DAG_ID!r})
crawl = dag.get_task("crawl")
print({MARK!r} + json.dumps({{
    "import_errors": bag.import_errors,
    "dag_ids": sorted(bag.dag_ids),
    "tasks": sorted(dag.task_ids),
    "crawl_upstream": sorted(crawl.upstream_task_ids),
    "crawl_mapped": type(crawl).__name__,
    "schedule": dag.timetable.expression,
    "timezone": dag.timezone.name,
    "start_date": dag.start_date.isoformat(),
    "catchup": dag.catchup,
    "max_active_runs": dag.max_active_runs,
    "pool": crawl.pool,
    "max_active_tis_per_dag": crawl.max_active_tis_per_dag,
    "organisations_pool": dag.get_task("organisations").pool,
}}, default=str))
"""


def test_the_dagbag_imports_the_dag_with_its_tasks_schedule_timezone_and_pool(airflow_home):
    got = _run_python(INSPECT, _airflow_env(airflow_home), timeout=120)
    assert got["import_errors"] == {}
    assert got["dag_ids"] == [DAG_ID]
    assert got["tasks"] == ["check", "crawl", "organisations", "reports", "watcher"]
    assert got["crawl_upstream"] == ["organisations"] and "Mapped" in got["crawl_mapped"]
    assert got["schedule"] == "0 1 * * *" and got["timezone"] == "Asia/Shanghai"  # 01:00 Beijing time
    assert got["start_date"] == "2026-10-31T16:00:00+00:00"  # 2026-11-01 00:00 Asia/Shanghai
    assert (got["catchup"], got["max_active_runs"]) == (False, 1)
    assert (got["pool"], got["max_active_tis_per_dag"]) == ("disclosure_site", 1)
    assert got["organisations_pool"] == "default_pool"


# Parsing with every Python-level connection refused and psycopg2.connect recording any call.
PARSE_OFFLINE = f"""
import json, socket, time

from airflow.dag_processing.dagbag import DagBag

attempts = []

def refuse(self, address, *args):
    attempts.append("socket " + repr(address))
    raise OSError("no network while parsing a DAG")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
import psycopg2

def no_db(*args, **kwargs):
    attempts.append("psycopg2.connect")
    raise psycopg2.OperationalError("no database while parsing a DAG")

psycopg2.connect = no_db
started = time.monotonic()
bag = DagBag(dag_folder={str(DAGS)!r})
wall = time.monotonic() - started
print({MARK!r} + json.dumps({{
    "import_errors": bag.import_errors,
    "dag_ids": sorted(bag.dag_ids),
    "attempts": attempts,
    "wall": wall,
    "file_seconds": [s.duration.total_seconds() for s in bag.dagbag_stats],
}}))
"""


def test_parsing_the_dag_does_no_work_and_needs_no_database_or_site(tmp_path):
    closed = _closed_port()
    home = tmp_path / "airflow_home"
    env = _airflow_env(
        home,  # no metadata database at all: a SQLite file in a folder that does not exist
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'missing' / 'airflow.db'}",
        DISCLOSURE_DATABASE_URL=f"postgresql://nobody@127.0.0.1:{closed}/disclosure_audit",
        DISCLOSURE_SITE=f"http://127.0.0.1:{closed}",
        DISCLOSURE_ORGS=ORG,
    )
    got = _run_python(PARSE_OFFLINE, env, timeout=120)
    assert got["import_errors"] == {} and got["dag_ids"] == [DAG_ID]
    assert got["attempts"] == []
    assert got["wall"] < 5 and max(got["file_seconds"]) < 2, got  # measured: about 0.03 s for the file


@pytest.fixture
def replica() -> Iterator[ReplicaServer]:
    """The day-0 replica (300 items) served from this process on a free port."""
    server = ReplicaServer(ReplicaSite(Corpus(300, 0, 0)), Knobs(), port=0).start()
    try:
        yield server
    finally:
        server.stop()


DAG_TEST = f"""
import json
from airflow.dag_processing.dagbag import DagBag
from airflow.models.pool import Pool
from airflow.models.taskinstance import TaskInstance
from airflow.utils.session import create_session

bag = DagBag(dag_folder={str(DAGS)!r})
assert not bag.import_errors, bag.import_errors
run = bag.get_dag({DAG_ID!r}).test()
with create_session() as session:
    tis = session.query(TaskInstance).filter_by(dag_id={DAG_ID!r}, run_id=run.run_id).all()
    states = sorted([ti.task_id, ti.map_index, str(ti.state)] for ti in tis)
    pool = Pool.get_pool("disclosure_site", session=session)
print({MARK!r} + json.dumps({{"state": str(run.state), "tis": states, "pool_exists": pool is not None}}))
"""


def test_dag_test_crawls_the_replica_into_the_database(airflow_home, replica, empty_database_url, tmp_path):
    env = _airflow_env(
        airflow_home,
        DISCLOSURE_SITE=replica.url,
        DISCLOSURE_ORGS=ORG,
        DISCLOSURE_RATE="200",
        DISCLOSURE_DATABASE_URL=empty_database_url,  # unmigrated: the DAG's first task migrates it
        DISCLOSURE_DATA_DIR=str(tmp_path / "data"),
    )
    got = _run_python(DAG_TEST, env, timeout=240)
    assert got["state"] == "success", got
    assert got["tis"] == [
        ["check", -1, "success"], ["crawl", 0, "success"], ["organisations", -1, "success"],
        ["reports", -1, "success"], ["watcher", -1, "skipped"],
    ]  # fmt: skip
    assert got["pool_exists"] is False  # dag.test() runs tasks without looking at pools

    truth = build_truth(Corpus(300, 0, 0), replica.url)
    expected = sorted(t["content_id"] for t in truth["items"] if t["org"] == ORG)
    with psycopg2.connect(empty_database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT content_id FROM core.items WHERE version > 0 AND removed_at IS NULL ORDER BY 1")
        stored = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT status, orgs FROM core.crawl_runs")
        runs = cur.fetchall()
        cur.execute(
            "SELECT rule_id, content_id FROM qa.findings WHERE closed_at IS NULL AND content_id IS NOT NULL "
            "AND rule_id NOT LIKE 'report.%%'"
        )
        findings = set(cur.fetchall())
        cur.execute("SELECT count(*) FROM qa.check_runs WHERE kind = 'report' AND status = 'succeeded'")
        report_runs = cur.fetchone()[0]
    conn.close()
    assert len(expected) == 93 and stored == expected
    assert runs == [("succeeded", [ORG])]
    assert list((tmp_path / "data").rglob("*.warc.gz")), "the captures went to DISCLOSURE_DATA_DIR"
    # the check task ran every rule: the open findings are the org's injected defects
    ids = set(expected)
    assert findings == {(d["rule_id"], d["content_id"]) for d in truth["defects"] if d.get("content_id") in ids}
    assert report_runs == 1  # the reports task checked the bureau's published annual reports


def test_a_degraded_crawl_fails_its_task_visibly_and_check_still_runs(airflow_home, empty_database_url, tmp_path):
    # 合肥市地震局/通知公告 answers 参数错误: the crawl task fails (no retry: retrying reads the same
    # answer), the run is recorded degraded, and check runs on what was read, judging nothing unread
    site = ReplicaSite(Corpus(300, 0, 0), variants=Variants(broken_lists={677104: "param_error"}))
    server = ReplicaServer(site, Knobs(), port=0).start()
    try:
        env = _airflow_env(
            airflow_home,
            DISCLOSURE_SITE=server.url,
            DISCLOSURE_ORGS=ORG,
            DISCLOSURE_RATE="200",
            DISCLOSURE_DATABASE_URL=empty_database_url,
            DISCLOSURE_DATA_DIR=str(tmp_path / "data"),
        )
        got = _run_python(DAG_TEST, env, timeout=240)
    finally:
        server.stop()
    assert got["state"] == "failed", got
    assert got["tis"] == [
        ["check", -1, "success"], ["crawl", 0, "failed"], ["organisations", -1, "success"],
        ["reports", -1, "success"], ["watcher", -1, "failed"],
    ]  # fmt: skip
    with psycopg2.connect(empty_database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT status FROM core.crawl_runs")
        assert cur.fetchall() == [("degraded",)]
        cur.execute("SELECT kind, count(*) FROM qa.check_runs GROUP BY kind ORDER BY kind")
        assert cur.fetchall() == [("report", 1), ("rules", 1)]
        cur.execute("SELECT subject FROM qa.not_evaluable WHERE rule_id = 'freshness.column_empty'")
        assert cur.fetchall() == [(f"{ORG}/通知公告",)]
        cur.execute("SELECT count(*) FROM qa.findings WHERE closed_at IS NULL AND rule_id LIKE 'freshness.%%' "
                    "AND column_name = '通知公告'")  # fmt: skip
        assert cur.fetchone() == (0,)
    conn.close()
