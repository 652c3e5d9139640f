"""`disclosure-audit demo` end to end: replica, migration, crawl, what it prints; and its make/compose wiring."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg2
import yaml

from disclosure_audit.cli import build_parser
from disclosure_audit.demo import open_replica
from disclosure_audit.replica.corpus import Corpus
from disclosure_audit.replica.scenarios import SEED_CID
from disclosure_audit.store.server import mask_url

ROOT = Path(__file__).resolve().parents[1]
DEMO = [sys.executable, "-m", "disclosure_audit", "demo"]


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCLOSURE_")}
    env.update(DISCLOSURE_DATABASE_URL=database_url, DISCLOSURE_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    return env


def _one(url: str, sql: str, args: tuple = ()) -> tuple:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        row = cur.fetchone()
    conn.close()
    return row


def test_demo_migrates_crawls_all_300_items_and_prints_a_capture_that_shows(empty_database_url, tmp_path):
    env = _env(empty_database_url, tmp_path / "data")
    done = subprocess.run([*DEMO, "--port", "0"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "采集完成 crawl run" in out and "成功 succeeded" in out
    assert "新增 new 300," in out, out
    assert mask_url(empty_database_url) in out and str(tmp_path / "data") in out
    assert "items --org 合肥市地震局 | head" in out
    assert "仿真站点已停止 replica stopped" in out

    # it ends by writing the bureau's 2025 report, XLSX and HTML, and says where
    for fmt in ("xlsx", "html"):
        path = tmp_path / "data" / "reports" / f"合肥市地震局-2025年度报告.{fmt}"
        assert f"写入 wrote {path}" in out and path.stat().st_size > 2000
    assert "合肥市地震局 2025年政府信息公开工作年度报告" in out
    assert "合肥市财政局 2022（inconsistent）" in out

    # the demo migrated the empty database and stored every item of the replica
    assert _one(empty_database_url, "SELECT count(*) FROM core.items WHERE version > 0 AND removed_at IS NULL") == (
        300,
    )

    # the capture id printed is the seed document's detail page, and `capture show` prints it
    shown = re.findall(r"capture show (\d+)", out)
    assert shown, out
    capture_id = int(shown[0])
    url, status = _one(empty_database_url, "SELECT url, status FROM core.captures WHERE capture_id = %s", (capture_id,))
    assert url.endswith(f"/public/6771/{SEED_CID}.html") and status == 200
    page = subprocess.run(
        [sys.executable, "-m", "disclosure_audit", "capture", "show", str(capture_id)],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert page.returncode == 0, page.stderr.decode()
    assert "合震〔2020〕24号" in page.stdout.decode("utf-8")


def test_demo_serve_keeps_the_replica_up_until_interrupted(empty_database_url, tmp_path):
    env = _env(empty_database_url, tmp_path / "data")
    command = [*DEMO, "--port", "0", "--org", "合肥市地震局", "--serve"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "press Ctrl-C to stop" in line:
                break
        out = "".join(lines)
        assert "press Ctrl-C to stop" in out, out
        assert "新增 new 93," in out  # the earthquake bureau's items only
        base = re.search(r"keeps serving: (http://127\.0\.0\.1:\d+)/public/", out)
        assert base, out
        with urllib.request.urlopen(f"{base.group(1)}/public/6771/{SEED_CID}.html", timeout=10) as answer:
            assert answer.status == 200 and "合震〔2020〕24号" in answer.read().decode("utf-8")
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert "仿真站点已停止 replica stopped" in rest


def test_a_taken_port_falls_back_to_a_free_one_with_a_note():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        server, note = open_replica(Corpus(300, 0, 0), "127.0.0.1", taken)
        try:
            assert server.port != taken
            assert note is not None and f"port {taken} is in use" in note and str(server.port) in note
        finally:
            server.stop()


def test_make_demo_and_compose_pass_arguments_the_demo_accepts():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo: venv db\n\t\$\(BIN\)/disclosure-audit demo \$\(DEMO_ARGS\)$", makefile, re.M)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    demo_args = shlex.split(compose["services"]["app"]["environment"]["DEMO_ARGS"])
    args = build_parser().parse_args(["demo", *demo_args])
    assert (args.host, args.serve, args.port) == ("0.0.0.0", True, 8321)
