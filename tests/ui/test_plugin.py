"""The Airflow UI plugin: its pages over a crawled replica, its authentication, and a real api-server in Chromium.

- The pages (`disclosure_audit.ui.app.create_app` with a stand-in auth dependency) over a database
  crawled from the replica and checked with `run_checks`, once per module: findings listed and
  filtered, crawled text escaped, captures served as sandboxed text/plain, Data Docs served without
  path traversal, a clear 503 when the database is unreachable.
- Authentication with the real Airflow app, built as the api-server builds it (`create_app` of
  airflow.api_fastapi.app, SimpleAuthManager, a viewer user, SQLite metadata), in a subprocess because
  Airflow's configuration is process-wide: anonymous requests refused, a viewer's token let in. And the
  app fails closed (503 everywhere) when Airflow's auth dependencies cannot be imported.
- `airflow api-server` in a subprocess, the pages opened in headless Chromium with the viewer's ``_token``
  cookie (set through the DevTools protocol over ``--remote-debugging-pipe``), screenshots written to
  $UI_SCREENSHOTS_DIR (else the test's tmp folder). Marked long.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import psycopg2
import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

from disclosure_audit.checks.prepare import prepare_facts
from disclosure_audit.checks.run import run_checks
from disclosure_audit.crawl import CrawlConfig, crawl
from disclosure_audit.http.capture import read_capture
from disclosure_audit.replica.corpus import ORGS, Corpus
from disclosure_audit.replica.server import Knobs, ReplicaServer
from disclosure_audit.replica.site import ReplicaSite
from disclosure_audit.store import migrate, server
from disclosure_audit.ui import app as ui_app

REPO = Path(__file__).resolve().parents[2]
PLUGINS = REPO / "plugins"
EVIL_TITLE = '<script>alert("xss")</script>合肥市地震局测试标题'
EVIL_URL = "javascript:alert(1)"
MARK = "@@RESULT@@ "
ROUTES = ["/findings", "/crawl", "/report", "/docs/index.html", "/captures/1"]


# ------------------------------------------------------------------------------------------ the crawled database


class Crawled:
    """The crawled, checked database of this module and its data directory."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.url = url
        self.data_dir = data_dir

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg2.connect(self.url) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()


@pytest.fixture(scope="module")
def crawled(pg_server: server.Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    """The replica crawled and checked into a database of this module's own, with a few hostile values added."""
    name = f"disclosure_audit_test_{secrets.token_hex(6)}"  # the prefix conftest's databases use
    server.create_database(pg_server, name)
    try:
        db = pg_server.url_for(name)
        migrate.apply_migrations(db)
        data_dir = tmp_path_factory.mktemp("ui") / "data"
        srv = ReplicaServer(ReplicaSite(Corpus(300, 0, 0)), Knobs(), port=0)
        srv.start()
        try:
            crawl(CrawlConfig(
                site=f"http://127.0.0.1:{srv.port}", orgs=[o.name for o in ORGS], database_url=db, data_dir=data_dir,
                requests_per_second=500.0, max_in_flight_per_host=4, retry_wait_seconds=0.05, show_progress=False,
            ))  # fmt: skip
            prepare_facts(db, rate=500.0)
            summary = run_checks(db, data_dir, REPO / "expectations")
        finally:
            srv.stop()
        assert summary.data_docs, "run_checks built no Data Docs"
        _add_hostile_values(db)
        yield Crawled(db, data_dir)
    finally:
        server.drop_database(pg_server, name)


def _add_hostile_values(db: str) -> None:
    """A crawled title with <script>, a javascript: URL, a closed finding, a campaign phase and an unreadable column."""
    today = date.today()
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("SELECT finding_id, site_id, content_id FROM qa.findings WHERE content_id IS NOT NULL "
                    "ORDER BY finding_id LIMIT 3")  # fmt: skip
        (f1, site, c1), (f2, _, c2), (f3, _, _) = cur.fetchall()
        cur.execute("UPDATE core.items SET title = %s WHERE site_id = %s AND content_id = %s", (EVIL_TITLE, site, c1))
        cur.execute(
            "UPDATE qa.findings SET evidence = evidence || jsonb_build_object('title', %s::text, 'found', %s::text) "
            "WHERE finding_id = %s",
            (EVIL_TITLE, "<img src=x onerror=alert(2)>", f1),
        )
        cur.execute("UPDATE core.items SET url = %s WHERE site_id = %s AND content_id = %s", (EVIL_URL, site, c2))
        cur.execute("UPDATE qa.findings SET evidence = evidence - 'url' WHERE finding_id = %s", (f2,))
        cur.execute("UPDATE qa.findings SET closed_at = now(), close_reason = 'passed' WHERE finding_id = %s", (f3,))
        cur.execute(
            "INSERT INTO qa.campaigns (campaign, phase_order, name, starts_on, ends_on, description) "
            "VALUES ('测试专项行动', 1, '第一阶段', %s, %s, 'test') RETURNING campaign_id",
            (today - timedelta(days=2), today + timedelta(days=30)),
        )
        # a degraded run that could not read one column, its error crawled text
        cur.execute(
            "INSERT INTO core.crawl_runs (site_id, mode, orgs, status, finished_at, counters, error) "
            "VALUES (%s, 'incremental', ARRAY['合肥市地震局'], 'degraded', now(), '{\"pages_read\": 3}', NULL) "
            "RETURNING run_id",
            (site,),
        )
        run_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO core.column_runs (run_id, site_id, organ_id, type, cat_id, outcome, error) "
            "SELECT %s, site_id, organ_id, type, cat_id, 'unreadable', %s FROM core.columns "
            "WHERE site_id = %s ORDER BY organ_id, type, cat_id LIMIT 1",
            (run_id, "unrecognised list <b>bold</b>", site),
        )


def fake_user() -> str:
    """Stands in for Airflow's user dependency in the page tests (authentication is tested below)."""
    return "tester"


@pytest.fixture(scope="module")
def client(crawled: Crawled) -> TestClient:
    app = ui_app.create_app(database_url=crawled.url, data_dir=crawled.data_dir, auth_dependencies=[Depends(fake_user)])
    return TestClient(app)


# ------------------------------------------------------------------------------------------ pages


def test_the_findings_page_lists_every_finding(client: TestClient, crawled: Crawled) -> None:
    total = crawled.query("SELECT count(*) FROM qa.findings")[0][0]
    r = client.get("/findings", params={"limit": 500})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "问题清单" in r.text and "Findings" in r.text
    assert f"共 {total} 条" in r.text
    for rule_id, subject, title in crawled.query(
        "SELECT f.rule_id, f.subject, r.title_zh FROM qa.findings f JOIN qa.rules r USING (rule_id)"
    ):
        assert f"<code>{rule_id}</code>" in r.text and f"<td>{subject}" in r.text and title in r.text
    assert "/captures/" in r.text and "原网页 live" in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]


def test_filters_by_org_rule_status_and_campaign_phase_and_paginates(client: TestClient, crawled: Crawled) -> None:
    org = "合肥市科学技术局"
    by_org = crawled.query(
        "SELECT f.subject FROM qa.findings f LEFT JOIN core.items i USING (site_id, content_id) "
        "LEFT JOIN core.orgs o ON o.site_id = i.site_id AND o.organ_id = i.organ_id "
        "WHERE COALESCE(f.org, o.name) = %s",
        (org,),
    )
    r = client.get("/findings", params={"org": org, "limit": 500})
    assert f"共 {len(by_org)} 条" in r.text and by_org
    others = crawled.query("SELECT DISTINCT content_id::text FROM qa.findings f JOIN core.items i "
                           "USING (site_id, content_id) JOIN core.orgs o USING (site_id, organ_id) WHERE o.name <> %s",
                           (org,))  # fmt: skip
    assert not any(f"<td>{c}</td>" in r.text for (c,) in others)

    rule = "format.doc_number"
    r = client.get("/findings", params={"rule": rule})
    n = crawled.query("SELECT count(*) FROM qa.findings WHERE rule_id = %s", (rule,))[0][0]
    assert f"共 {n} 条" in r.text and r.text.count("<code>format.doc_number</code>") == n

    closed = client.get("/findings", params={"status": "closed"})
    assert "共 1 条" in closed.text and "已整改" in closed.text
    open_ = client.get("/findings", params={"status": "open", "limit": 500})
    n_open = crawled.query("SELECT count(*) FROM qa.findings WHERE closed_at IS NULL")[0][0]
    assert f"共 {n_open} 条" in open_.text and "已整改 passed" not in open_.text

    (test_phase,) = crawled.query("SELECT campaign_id FROM qa.campaigns WHERE campaign = '测试专项行动'")[0]
    (old_phase,) = crawled.query("SELECT min(campaign_id) FROM qa.campaigns")[0]
    in_phase = client.get("/findings", params={"phase": test_phase, "limit": 500})
    n_all = crawled.query("SELECT count(*) FROM qa.findings")[0][0]
    assert f"共 {n_all} 条" in in_phase.text and "整改中" in in_phase.text and "整改状态" in in_phase.text
    assert "共 0 条" in client.get("/findings", params={"phase": old_phase}).text  # a 2020 phase: nothing then

    page2 = client.get("/findings", params={"limit": 10, "offset": 10})
    assert f"共 {n_all} 条，显示第 11–20 条" in page2.text
    assert "offset=0" in page2.text and "offset=20" in page2.text  # previous and next
    assert client.get("/findings", params={"status": "maybe"}).status_code == 422
    assert client.get("/findings", params={"limit": 100000}).status_code == 422


def test_crawled_text_is_escaped_and_only_http_urls_are_links(client: TestClient) -> None:
    text = client.get("/findings", params={"limit": 500}).text
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;合肥市地震局测试标题" in text
    assert "&lt;img src=x onerror=alert(2)&gt;" in text
    assert "javascript:" not in text
    crawl_text = client.get("/crawl").text
    assert "unrecognised list &lt;b&gt;bold&lt;/b&gt;" in crawl_text and "<b>bold" not in crawl_text


def test_a_capture_is_served_as_sandboxed_plain_text(client: TestClient, crawled: Crawled) -> None:
    capture_id, warc_file, offset = crawled.query(
        "SELECT capture_id, warc_file, warc_offset FROM core.captures WHERE content_type LIKE 'text/html%%' "
        "ORDER BY capture_id LIMIT 1"
    )[0]
    r = client.get(f"/captures/{capture_id}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["content-security-policy"] == "sandbox; default-src 'none'"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.content == read_capture(crawled.data_dir, warc_file, offset).body
    assert b"<html" in r.content.lower()  # the page's HTML, as text
    missing = client.get("/captures/987654321")
    assert missing.status_code == 404 and "没有该存档" in missing.text


def test_data_docs_are_served_and_path_traversal_is_refused(client: TestClient, crawled: Crawled) -> None:
    r = client.get("/docs/index.html")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert client.get("/docs", follow_redirects=False).status_code == 307
    secret = crawled.data_dir / "gx" / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    site = crawled.data_dir / "gx" / "data_docs"
    (site / "escape").symlink_to(crawled.data_dir / "gx", target_is_directory=True)
    for path in ("/docs/..%2Fsecret.txt", "/docs/%2e%2e/secret.txt", "/docs/static/..%2F..%2Fsecret.txt",
                 "/docs/escape/secret.txt", "/docs/%2Fetc%2Fpasswd", "/docs/..%5Csecret.txt"):  # fmt: skip
        got = client.get(path)
        assert got.status_code == 404 and "TOP-SECRET" not in got.text, path
    assert client.get("/docs/no-such-file.html").status_code == 404


def test_the_crawl_page_shows_runs_unreadable_columns_and_availability(client: TestClient) -> None:
    text = client.get("/crawl").text
    assert "采集情况" in text and "成功 succeeded" in text and "降级 degraded" in text
    assert "无法读取的栏目" in text and "站点可用性" in text and "0.0%" in text


def test_the_report_page_shows_the_annual_report_and_a_form(client: TestClient) -> None:
    form = client.get("/report")
    assert form.status_code == 200 and 'name="org"' in form.text and "合肥市地震局" in form.text
    r = client.get("/report", params={"org": "合肥市地震局", "year": 2025})
    assert r.status_code == 200
    assert "合肥市地震局2025年政府信息公开工作年度报告" in r.text and 'name="year"' in r.text
    unknown = client.get("/report", params={"org": "<b>不存在的机关</b>", "year": 2025})
    assert unknown.status_code == 400 and "&lt;b&gt;不存在的机关" in unknown.text and "<b>不存在" not in unknown.text


def test_an_unreachable_database_gives_a_503_page(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = ui_app.create_app(
        database_url=f"postgresql://nobody@127.0.0.1:{port}/nothing", data_dir=tmp_path,
        auth_dependencies=[Depends(fake_user)],
    )  # fmt: skip
    client = TestClient(app)
    for path in ("/findings", "/crawl", "/report", "/captures/1"):
        r = client.get(path)
        assert r.status_code == 503, path
        assert "数据库暂不可用" in r.text and "Database unavailable" in r.text and "Traceback" not in r.text


def test_the_app_fails_closed_when_airflow_auth_cannot_be_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, ui_app.SECURITY_MODULE, None)  # makes `import` raise ImportError
    client = TestClient(ui_app.create_app(database_url="postgresql://nobody@127.0.0.1:1/x"))
    client.cookies.set("_token", "x")
    for path in [*ROUTES, "/", "/docs/../../etc/passwd", "/anything"]:
        for method in ("GET", "POST"):
            r = client.request(method, path, headers={"Authorization": "Bearer whatever"})
            assert r.status_code == 503, (method, path)
            assert "服务不可用" in r.text and "fail closed" in r.text


# ------------------------------------------------------------------------------------------ Airflow


def _airflow_env(home: Path, crawled: Crawled, password_file: Path, **extra: str) -> dict[str, str]:
    """An Airflow subprocess environment: SimpleAuthManager with a viewer, our plugins, the module's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DISCLOSURE_"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(PLUGINS),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__CORE__AUTH_MANAGER="airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="False",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="viewer:viewer",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(password_file),
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(32),
        DISCLOSURE_DATABASE_URL=crawled.url,
        DISCLOSURE_DATA_DIR=str(crawled.data_dir),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def airflow(crawled: Crawled, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str]:
    """(environment, the viewer's password): AIRFLOW_HOME in a tmp folder, its SQLite metadata database migrated.

    The password is made here and written where SimpleAuthManager keeps passwords, so nothing secret is in the code.
    """
    home = tmp_path_factory.mktemp("airflow_home")
    (home / "dags").mkdir()
    password = secrets.token_urlsafe(16)
    password_file = home / "passwords.json"
    password_file.write_text(json.dumps({"viewer": password}) + "\n", encoding="utf-8")
    env = _airflow_env(home, crawled, password_file)
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return env, password


AUTH_PROBE = f"""
import json
from fastapi.testclient import TestClient
from airflow.api_fastapi.app import create_app

client = TestClient(create_app())
routes = json.loads(PARAMS)["routes"]
password = json.loads(PARAMS)["password"]
out = {{"anonymous": {{}}, "bad_token": {{}}, "cookie": {{}}, "bearer": {{}}, "wrong_password": None}}
for path in routes:
    url = "/disclosure-audit" + path
    out["anonymous"][path] = client.get(url, follow_redirects=False).status_code
    out["bad_token"][path] = client.get(url, headers={{"Authorization": "Bearer not.a.jwt"}}).status_code
r = client.post("/auth/token", json={{"username": "viewer", "password": "wrong"}})
out["wrong_password"] = r.status_code
r = client.post("/auth/token", json={{"username": "viewer", "password": password}})
out["token_status"] = r.status_code
token = r.json()["access_token"]
for path in routes:
    url = "/disclosure-audit" + path
    out["bearer"][path] = client.get(url, headers={{"Authorization": "Bearer " + token}}).status_code
client.cookies.set("_token", token)
for path in routes:
    url = "/disclosure-audit" + path
    got = client.get(url)
    out["cookie"][path] = [got.status_code, got.text[:200000], got.headers.get("content-type")]
client.cookies.clear()
plugins = client.get("/api/v2/plugins", headers={{"Authorization": "Bearer " + token}}).json()
out["plugins"] = plugins
print({MARK!r} + json.dumps(out))
"""


def _run_python(code: str, env: dict[str, str], timeout: float, **params: object) -> dict:
    code = f"PARAMS = {json.dumps(json.dumps(params))}\n" + code
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    assert done.returncode == 0 and lines, f"exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-6000:]}"
    return json.loads(lines[-1].removeprefix(MARK))


def test_the_real_airflow_app_refuses_anonymous_requests_and_lets_a_viewer_in(airflow, crawled: Crawled) -> None:
    env, password = airflow
    (capture_id,) = crawled.query("SELECT min(capture_id) FROM core.captures")[0]
    routes = [*ROUTES[:-1], f"/captures/{capture_id}", "/findings?status=open&limit=5", "/docs/..%2F..%2Fsecret.txt"]
    got = _run_python(AUTH_PROBE, env, timeout=300, routes=routes, password=password)
    for path in routes:
        assert got["anonymous"][path] in (401, 403), (path, got["anonymous"][path])
        assert got["bad_token"][path] in (401, 403), (path, got["bad_token"][path])
    assert got["wrong_password"] == 401 and got["token_status"] == 201
    cookie = got["cookie"]
    for path in routes[:-1]:
        assert cookie[path][0] == 200 and got["bearer"][path] == 200, (path, cookie[path][0], got["bearer"][path])
    assert cookie[routes[-1]][0] == 404  # traversal refused even when signed in
    assert "问题清单" in cookie["/findings"][1] and "/disclosure-audit/captures/" in cookie["/findings"][1]
    assert 'href="/disclosure-audit/crawl"' in cookie["/findings"][1]  # links carry the mount prefix
    assert "采集情况" in cookie["/crawl"][1] and 'name="org"' in cookie["/report"][1]
    assert cookie[f"/captures/{capture_id}"][2].startswith("text/plain")
    ours = [p for p in got["plugins"]["plugins"] if p["name"] == "disclosure_audit"]
    assert ours and ours[0]["fastapi_apps"][0]["url_prefix"] == "/disclosure-audit"
    assert {v["href"] for v in ours[0]["external_views"]} == {
        "/disclosure-audit/findings", "/disclosure-audit/crawl", "/disclosure-audit/report",
        "/disclosure-audit/docs/index.html",
    }  # fmt: skip


# ------------------------------------------------------------------------------------------ api-server + Chromium


class Chromium:
    """Headless Chromium driven through the DevTools protocol over --remote-debugging-pipe (fds 3 and 4)."""

    def __init__(self, binary: str, profile: Path, width: int = 1400, height: int = 1800) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--remote-debugging-pipe",
             f"--window-size={width},{height}", f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=wire, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.width, self.height = width, height
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)  # fmt: skip

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, session: bool = False, timeout: float = 60, **params: object) -> dict:
        self._next_id += 1
        message: dict = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            got = self._read_message(deadline)
            if got.get("id") == self._next_id:
                if "error" in got:
                    raise RuntimeError(f"{method}: {got['error']}")
                return got.get("result", {})

    def open(self, url: str, timeout: float = 60) -> None:
        self.call("Page.navigate", session=True, url=url)
        deadline = time.monotonic() + timeout
        while True:
            got = self._read_message(deadline)
            if got.get("method") == "Page.loadEventFired" and got.get("sessionId") == self.session:
                return

    def text(self) -> str:
        got = self.call("Runtime.evaluate", session=True, expression="document.body.innerText", returnByValue=True)
        return got["result"].get("value") or ""

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", session=True, format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close", timeout=10)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"api-server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise AssertionError(f"api-server did not answer {url} within {timeout} s")


@pytest.mark.long
def test_the_pages_in_chromium_through_a_real_api_server(airflow, crawled: Crawled, tmp_path: Path) -> None:
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if binary is None:
        pytest.skip("no Chromium on this machine")
    env, password = airflow
    shots = Path(os.environ.get("UI_SCREENSHOTS_DIR") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "api-server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow", "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env={**env, "AIRFLOW__API__BASE_URL": base}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    browser = None
    try:
        _wait_for(f"{base}/api/v2/monitor/health", proc, timeout=180)
        anonymous = urllib.request.Request(f"{base}/disclosure-audit/findings")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(anonymous, timeout=30)
        assert refused.value.code in (401, 403)
        login = urllib.request.Request(
            f"{base}/auth/token", data=json.dumps({"username": "viewer", "password": password}).encode(),
            headers={"Content-Type": "application/json"}, method="POST",
        )  # fmt: skip
        with urllib.request.urlopen(login, timeout=30) as answer:
            token = json.loads(answer.read())["access_token"]

        browser = Chromium(binary, tmp_path / "chromium-profile")
        browser.open(f"{base}/disclosure-audit/findings")
        assert "需要登录" in browser.text()  # no cookie yet
        browser.screenshot(shots / "00-anonymous.png")
        browser.call("Network.setCookie", session=True, name="_token", value=token, url=base, httpOnly=True)
        (capture_id,) = crawled.query(
            "SELECT min(capture_id) FROM core.captures WHERE content_type LIKE 'text/html%%'"
        )[0]
        pages = [
            ("01-findings.png", "/disclosure-audit/findings?limit=25", "问题清单"),
            ("02-findings-filtered.png", "/disclosure-audit/findings?org=合肥市地震局&status=open", "合肥市地震局"),
            ("03-crawl.png", "/disclosure-audit/crawl", "采集情况"),
            ("04-report-form.png", "/disclosure-audit/report", "请选择机关和年度"),
            ("05-report.png", "/disclosure-audit/report?org=合肥市地震局&year=2025", "年度报告"),
            ("06-docs.png", "/disclosure-audit/docs/index.html", ""),
            ("07-capture.png", f"/disclosure-audit/captures/{capture_id}", "<"),
            ("08-airflow-menu.png", "/plugin/disclosure-audit-findings", ""),
        ]
        for name, path, expected in pages:
            browser.open(base + path)
            if name.startswith("08"):
                time.sleep(4)  # the React UI renders after load
            text = browser.text()
            assert expected in text, (path, text[:500])
            assert "需要登录" not in text, path
            browser.screenshot(shots / name)
            assert (shots / name).stat().st_size > 5000
    finally:
        if browser is not None:
            browser.close()
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
        log.close()
