"""The replica as users run it: `disclosure-audit replica serve | truth | scenarios` over real HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from disclosure_audit import rules
from disclosure_audit.replica.corpus import ORGS_BY_ID, Corpus
from disclosure_audit.replica.server import Knobs, ReplicaServer
from disclosure_audit.replica.site import ReplicaSite

CLI = [sys.executable, "-m", "disclosure_audit"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen, str]]:
    proc = subprocess.Popen(
        [*CLI, "replica", "serve", "--items", "300", "--day", "1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+)/public/", first)
        assert m, f"serve printed {first!r}; stderr: {proc.stderr.read() if proc.poll() is not None else ''}"
        yield proc, m.group(1)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_serve_prints_where_it_serves_and_stops_cleanly_on_ctrl_c(served) -> None:
    proc, url = served
    index = requests.get(f"{url}/public/", timeout=10)
    assert index.status_code == 200 and "合肥市地震局" in index.text
    detail = requests.get(f"{url}/public/6771/9100024.html", timeout=10)
    assert detail.status_code == 200 and "合震〔2020〕24号" in detail.text
    assert requests.get(f"{url}/public/6771/9100401.html", timeout=10).status_code == 404  # removed on day 1
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0


def test_truth_command_prints_one_json_object_for_the_served_day(tmp_path: Path) -> None:
    out = tmp_path / "truth.json"
    done = run_cli(
        "replica", "truth", "--items", "300", "--day", "1", "--base-url", "http://h:1", "-o", str(out)
    )
    assert done.returncode == 0, done.stderr
    truth = json.loads(out.read_text("utf-8"))
    assert set(truth) >= {"items", "defects", "not_evaluable", "changes", "site"}
    assert truth["site"]["as_of"] == "2026-11-17"
    assert all(i["url"].startswith("http://h:1/public/") for i in truth["items"])
    assert {d["rule_id"] for d in truth["defects"]} <= set(rules.RULE_IDS)


def test_scenarios_command_lists_every_scenario_with_its_rules() -> None:
    done = run_cli("replica", "scenarios", "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    seed = next(r for r in rows if r["content_id"] == 9100024)
    assert seed["rules"] == [] and "合震〔2020〕24号" in seed["scenario"]
    assert {r for row in rows for r in row["rules"]} <= set(rules.RULE_IDS)


def test_bad_options_get_a_clear_error_and_exit_code() -> None:
    done = run_cli("replica", "truth", "--items", "10")
    assert done.returncode == 1 and "too small" in done.stderr and "Traceback" not in done.stderr
    done = run_cli("replica", "serve", "--fault-5xx", "1.5")
    assert done.returncode == 2 and "between 0 and 1" in done.stderr


def test_serve_takes_the_platform_variants_and_says_which_are_on() -> None:
    proc = subprocess.Popen(
        [*CLI, "replica", "serve", "--port", "0", "--shell-params", "variable", "--broken-list", "677104=param_error",
         "--hostile", "9100717=empty", "--library-org", "6771"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(11)]
        url = re.search(r"(http://127\.0\.0\.1:\d+)/public/", lines[0]).group(1)  # type: ignore[union-attr]
        shown = "".join(lines)
        assert "variants: shell-params=variable, library=[6771]" in shown, shown
        assert "677104: 'param_error'" in shown and "9100717: 'empty'" in shown
        shell = requests.get(f"{url}/public/column/6771?type=4&catId=677104&action=list", timeout=10).text
        assert "organId: organId" in shell and "type=6&amp;catIds=677101" in shell
        listed = requests.get(f"{url}/site/label/8888", timeout=10, params={
            "labelName": "publicInfoList", "siteId": "6781", "organId": "6771", "type": "4", "catId": "677104",
            "file": ORGS_BY_ID[6771].template, "pageIndex": "1"})  # fmt: skip
        assert listed.status_code == 200 and "参数错误" in listed.text
        assert requests.get(f"{url}/public/6771/9100717.html", timeout=10).content == b""
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    for bad, says in ((["--broken-list", "677104"], "expects KEY=VALUE"), (["--hostile", "1=nope"], "hostile kinds")):
        done = run_cli("replica", "serve", *bad)
        assert done.returncode == 1 and says in done.stderr and "Traceback" not in done.stderr


def test_conditional_get_over_http_and_the_simulated_clock() -> None:
    site = ReplicaSite(Corpus(300, 0, 0))
    with ReplicaServer(site, Knobs(), port=0) as server:
        url = f"{server.url}/public/6771/9100024.html"
        first = requests.get(url, timeout=10)
        assert first.status_code == 200 and first.headers["ETag"]
        assert "16 Nov 2026" in first.headers["Date"]  # day 0 is 2026-11-16, 21:00 in Beijing = 13:00 GMT
        again = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
        assert again.status_code == 304 and again.content == b""
        since = requests.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]}, timeout=10)
        assert since.status_code == 304
        assert server.stats()["not_modified"] == 2


def test_faults_slow_a_client_down_but_lose_nothing() -> None:
    site = ReplicaSite(Corpus(300, 0, 0))
    knobs = Knobs(fault_5xx_rate=0.3, fault_reset_rate=0.1, fault_truncate_rate=0.1, seed=3)
    urls = [f"/public/6771/{cid}.html" for cid in (9100024, 9100025, 9100101, 9100102, 9100201)]
    with ReplicaServer(site, knobs, port=0) as server:
        bodies = {}
        for path in urls:
            for _attempt in range(10):
                try:
                    r = requests.get(server.url + path, timeout=10)
                except requests.RequestException:
                    time.sleep(0.01)
                    continue
                if r.status_code == 200 and len(r.content) == int(r.headers["Content-Length"]):
                    bodies[path] = r.content
                    break
        assert set(bodies) == set(urls)
        assert sum(server.stats()["faults"].values()) > 0
        for path, body in bodies.items():
            assert body == site.handle(path, {}).body
