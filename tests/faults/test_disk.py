"""Disk faults: a capture directory that fills up or cannot be written.

The crawl stops with one clear line naming the archive and the URL, the run is recorded failed, and
nothing is ever recorded without its capture: every capture row and every item's capture reads back
from the WARC files with its sha256. A crawl after the fault is fixed completes the site.
Faults made here: a file-size limit on the crawl's process (RLIMIT_FSIZE, as a full disk answers
EFBIG/ENOSPC to a write), a small tmpfs that fills up (only where this user may mount one, e.g. as root
in CI), and a data directory that is a file.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from disclosure_audit.http.capture import read_capture
from disclosure_audit.replica.corpus import Corpus
from disclosure_audit.replica.server import Knobs, ReplicaServer
from disclosure_audit.replica.site import ReplicaSite
from disclosure_audit.replica.truth import build_truth

ORG = "合肥市地震局"


@pytest.fixture
def replica():
    server = ReplicaServer(ReplicaSite(Corpus(300, 0, 0)), Knobs(), port=0).start()
    yield server
    server.stop()


def crawl(replica: ReplicaServer, db: str, data: Path, preexec=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCLOSURE_")}
    env.update(DISCLOSURE_DATABASE_URL=db, DISCLOSURE_DATA_DIR=str(data))
    return subprocess.run(
        [sys.executable, "-m", "disclosure_audit", "crawl", "--site", replica.url, "--org", ORG, "--rate", "200"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=preexec,
    )


def query(db: str, sql: str) -> list[tuple]:
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def assert_everything_recorded_reads_back(db: str, data: Path) -> None:
    for url, sha, warc_file, offset in query(db, "SELECT url, sha256, warc_file, warc_offset FROM core.captures"):
        archived = read_capture(data, warc_file, offset)
        assert (archived.url, archived.sha256) == (url, sha)
    orphans = query(
        db,
        "SELECT content_id FROM core.items i LEFT JOIN core.captures c ON c.capture_id = i.detail_capture_id "
        "WHERE i.version > 0 AND c.capture_id IS NULL",
    )
    assert orphans == []


def assert_failed_clearly(done: subprocess.CompletedProcess, db: str) -> None:
    assert done.returncode == 1, done.stderr
    err = done.stderr.strip().splitlines()[-1]
    assert err.startswith("disclosure-audit: error: 无法写入存档 cannot write the capture archive"), done.stderr
    assert "Traceback" not in done.stderr and "DISCLOSURE_DATA_DIR" in err
    assert query(db, "SELECT status, error LIKE 'CaptureWriteError%' FROM core.crawl_runs") == [("failed", True)]


def assert_next_crawl_completes(replica: ReplicaServer, db: str, data: Path) -> None:
    done = crawl(replica, db, data)
    assert done.returncode == 0, done.stderr
    truth = build_truth(Corpus(300, 0, 0), replica.url)
    expected = sorted(t["content_id"] for t in truth["items"] if t["org"] == ORG)
    stored = [r[0] for r in query(db, "SELECT content_id FROM core.items WHERE version > 0 ORDER BY 1")]
    assert stored == expected
    assert_everything_recorded_reads_back(db, data)


def _file_size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_write_that_fails_midway_stops_the_crawl_and_records_nothing_without_its_capture(
    replica, fresh_db, tmp_path
) -> None:
    data = tmp_path / "data"
    done = crawl(replica, fresh_db, data, preexec=_file_size_limit(150_000))
    assert_failed_clearly(done, fresh_db)
    assert query(fresh_db, "SELECT count(*) FROM core.captures")[0][0] > 0  # what was written is kept
    assert_everything_recorded_reads_back(fresh_db, data)
    assert_next_crawl_completes(replica, fresh_db, data)


def test_a_full_tmpfs_is_a_clear_error(replica, fresh_db, tmp_path) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {made.stderr.decode().strip()}")
    try:
        done = crawl(replica, fresh_db, mount)
        assert_failed_clearly(done, fresh_db)
        assert "No space left on device" in done.stderr
        assert_everything_recorded_reads_back(fresh_db, mount)
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_data_directory_that_cannot_be_made_is_a_clear_error(replica, fresh_db, tmp_path) -> None:
    data = tmp_path / "data"
    data.write_text("a file where the data directory should be")
    done = crawl(replica, fresh_db, data)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "cannot write the capture archive" in done.stderr
    assert query(fresh_db, "SELECT count(*) FROM core.items") == [(0,)]
