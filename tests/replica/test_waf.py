"""The JiaSuLe-style challenge, solved the way a crawler must: by running its scripts in a JS engine."""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import requests
from py_mini_racer import MiniRacer

from disclosure_audit.replica.http_types import Response
from disclosure_audit.replica.server import Knobs, ReplicaServer
from disclosure_audit.replica.waf import (
    CLEARANCE_COOKIE,
    HASH_JS,
    HASHES,
    JSLUID_COOKIE,
    JslChallenge,
    solve_stage2,
)

# What a browser offers the page: document.cookie collects what is set, location.href records the reload.
SHIM = """
var __cookies = [], __href = null;
var document = {};
Object.defineProperty(document, 'cookie', {
  set: function (v) { __cookies.push(v); }, get: function () { return ''; }
});
var location = {pathname: %(pathname)s, search: %(search)s};
Object.defineProperty(location, 'href', {
  set: function (v) { __href = v; }, get: function () { return this.pathname + this.search; }
});
"""


class TinySite:
    def handle(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/public/column/6789":
            return Response(200, b"<html>list</html>", etag='"list"')
        return Response(404, b"missing")

    def clock(self) -> datetime:
        return datetime(2024, 3, 1, tzinfo=UTC)


@dataclass
class PageRun:
    cookies: list[str]
    href: str | None


def run_page(html: str, pathname: str, search: str) -> PageRun:
    """Execute the page's one script as a browser would, with only the document/location it needs."""
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(scripts) == 1
    ctx = MiniRacer()
    try:
        ctx.eval(SHIM % {"pathname": json.dumps(pathname), "search": json.dumps(search)})
        ctx.eval(scripts[0])
        cookies = json.loads(ctx.eval("JSON.stringify(__cookies)"))
        href = ctx.eval("__href")
    finally:
        ctx.close()
    return PageRun(cookies, href if isinstance(href, str) else None)


def adopt(session: requests.Session, cookie: str) -> tuple[str, str]:
    """Put a document.cookie assignment into the session's jar, as a browser would."""
    pair = cookie.split(";")[0]
    name, _, value = pair.partition("=")
    assert ";max-age=3600;path=/" in cookie
    session.cookies.set(name, value)
    return name, value


def stage2_config(html: str) -> dict[str, object]:
    match = re.search(r"go\((\{.*?\})\)</script>", html)
    assert match is not None
    return json.loads(match.group(1))


@pytest.fixture
def waf_server(request: pytest.FixtureRequest) -> Iterator[ReplicaServer]:
    knobs = getattr(request, "param", {})
    with ReplicaServer(TinySite(), Knobs(challenge=True, seed=3, **knobs)) as server:
        yield server


def solve(session: requests.Session, server: ReplicaServer, path: str, search: str) -> requests.Response:
    """Go through both stages for path+search; returns the response after the clearance."""
    url = server.url + path + search
    first = session.get(url, timeout=5)
    assert first.status_code == 521
    stage1 = run_page(first.text, path, search)
    assert stage1.href == path + search
    [cookie] = stage1.cookies
    name, token = adopt(session, cookie)
    assert name == CLEARANCE_COOKIE
    # The token exists only after evaluation: it is nowhere in the page source.
    assert token not in first.text
    assert len(token) > 20

    second = session.get(server.url + stage1.href, timeout=5)
    assert second.status_code == 521
    stage2 = run_page(second.text, path, search)
    assert stage2.href == path + search
    [cookie] = stage2.cookies
    name, answer = adopt(session, cookie)
    assert name == CLEARANCE_COOKIE
    cfg = stage2_config(second.text)
    assert answer == solve_stage2(cfg)
    assert sorted(str(cfg["chars"])) == sorted(string.ascii_letters + string.digits)
    assert cfg["tn"] == CLEARANCE_COOKIE and cfg["vt"] == "3600" and cfg["wt"] == "1500"
    return session.get(server.url + stage2.href, timeout=5)


@pytest.mark.parametrize(
    "waf_server",
    [{"challenge_hash": name, "challenge_every": 4} for name in HASHES],
    indirect=True,
    ids=list(HASHES),
)
def test_both_stages_solved_in_js_then_clearance_expires(waf_server: ReplicaServer) -> None:
    with requests.Session() as s:
        first = s.get(waf_server.url + "/public/column/6789?type=4&action=list", timeout=5)
        assert first.status_code == 521
        set_cookie = first.headers["Set-Cookie"]
        assert re.fullmatch(r"__jsluid_h=[0-9a-f]{32}; max-age=31536000; path=/; HttpOnly", set_cookie)
        s.cookies.clear()  # start the helper from scratch; it must hand out a jsluid again

        page = solve(s, waf_server, "/public/column/6789", "?type=4&action=list")
        assert page.status_code == 200 and page.text == "<html>list</html>"
        # challenge_every=4: the solving request and three more pass, then the challenge comes back.
        statuses = [s.get(waf_server.url + "/public/column/6789", timeout=5).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 521]

        again = solve(s, waf_server, "/public/column/6789", "")
        assert again.status_code == 200
    stats = waf_server.stats()
    assert stats["clearances_granted"] == 2
    assert stats["challenges_by_stage"][2] == 2


def test_a_client_that_ignores_the_challenge_keeps_getting_521(waf_server: ReplicaServer) -> None:
    fresh = [requests.get(waf_server.url + "/public/column/6789", timeout=5) for _ in range(3)]
    assert [r.status_code for r in fresh] == [521] * 3
    assert all(JSLUID_COOKIE in r.headers["Set-Cookie"] for r in fresh)
    with requests.Session() as s:
        kept = [s.get(waf_server.url + "/public/column/6789", timeout=5) for _ in range(3)]
    assert [r.status_code for r in kept] == [521] * 3
    # The session keeps its jsluid, so it is not handed a new one each time.
    assert "Set-Cookie" in kept[0].headers and "Set-Cookie" not in kept[1].headers
    assert waf_server.stats()["challenges_by_stage"] == {1: 6, 2: 0}


def test_a_jsluid_the_server_never_issued_is_a_new_client(waf_server: ReplicaServer) -> None:
    forged = "0123456789abcdef0123456789abcdef"
    r = requests.get(waf_server.url + "/", cookies={JSLUID_COOKIE: forged, CLEARANCE_COOKIE: "x"}, timeout=5)
    assert r.status_code == 521
    issued = re.match(r"__jsluid_h=([0-9a-f]{32});", r.headers["Set-Cookie"])
    assert issued is not None and issued.group(1) != forged


def test_a_wrong_stage2_answer_goes_back_to_stage1(waf_server: ReplicaServer) -> None:
    with requests.Session() as s:
        first = s.get(waf_server.url + "/", timeout=5)
        adopt(s, run_page(first.text, "/", "").cookies[0])
        assert "go(" in s.get(waf_server.url + "/", timeout=5).text
        s.cookies.set(CLEARANCE_COOKIE, "1600000000.000|0|wrong%3D")
        third = s.get(waf_server.url + "/", timeout=5)
    assert third.status_code == 521
    assert "go(" not in third.text and "document.cookie" in third.text


def test_hash_helpers_match_hashlib() -> None:
    ctx = MiniRacer()
    try:
        ctx.eval(HASH_JS)
        samples = ["", "abc", "a" * 55, "a" * 56, "a" * 64, "b" * 119, "1700000000.123|0|AbC%3D", "政务公开"]
        for text in samples:
            for name in HASHES:
                assert ctx.eval(f"{name}({json.dumps(text)})") == hashlib.new(name, text.encode()).hexdigest()
    finally:
        ctx.close()


# MD5 pads to 56 bytes mod 64 and appends the bit length little-endian: 55 bytes is the longest input
# that fits one block, 56 the shortest that needs two, 64 fills a block exactly and 120 needs the
# length in a third. The CJK samples reach the same lengths with three-byte UTF-8 characters.
MD5_SAMPLES = [
    "",
    "a",
    "abc",
    "message digest",
    "abcdefghijklmnopqrstuvwxyz",
    "1700000000.123|0|AbC%3D",
    "政务公开",
    "合肥市人民政府信息公开目录",
    "x" * 55,
    "x" * 56,
    "x" * 63,
    "x" * 64,
    "x" * 65,
    "x" * 119,
    "x" * 120,
    "政" * 18 + "a",  # 55 bytes
    "政" * 18 + "ab",  # 56 bytes
    "公开" * 10 + "abcd",  # 64 bytes
    "公" * 40,  # 120 bytes
    "".join(chr(c) for c in range(0x20, 0x7F)) * 3,  # 285 bytes: five blocks
    "é€𝄞",  # two-, three- and four-byte UTF-8 (the last a surrogate pair in JS)
]


def test_md5_helper_matches_hashlib() -> None:
    ctx = MiniRacer()
    try:
        ctx.eval(HASH_JS)
        lengths = {len(text.encode()) for text in MD5_SAMPLES}
        assert {0, 55, 56, 64, 120} <= lengths
        for text in MD5_SAMPLES:
            assert ctx.eval(f"md5({json.dumps(text)})") == hashlib.md5(text.encode()).hexdigest(), text
    finally:
        ctx.close()


def test_a_stage2_md5_page_is_solved_by_its_own_script() -> None:
    waf = JslChallenge(seed=7, hash_name="md5")
    first = waf.check({})
    assert first.stage == 1 and first.response is not None
    jsluid = first.response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    [stage1_cookie] = run_page(first.response.body.decode(), "/", "").cookies
    token = stage1_cookie.split(";")[0].split("=", 1)[1]
    second = waf.check({JSLUID_COOKIE: jsluid, CLEARANCE_COOKIE: token})
    assert second.stage == 2 and second.response is not None
    html = second.response.body.decode()
    cfg = stage2_config(html)
    assert cfg["ha"] == "md5" and re.fullmatch(r"[0-9a-f]{32}", str(cfg["ct"]))
    run = run_page(html, "/", "")
    assert run.href == "/"
    [cookie] = run.cookies
    name, answer = cookie.split(";")[0].split("=", 1)
    assert name == CLEARANCE_COOKIE and answer == solve_stage2(cfg)
    assert hashlib.md5(answer.encode()).hexdigest() == cfg["ct"]
    assert waf.check({JSLUID_COOKIE: jsluid, CLEARANCE_COOKIE: answer}).granted


def test_challenges_are_deterministic_per_seed() -> None:
    def pages(seed: int) -> list[bytes]:
        waf = JslChallenge(seed=seed, every=2)
        first = waf.check({}).response
        assert first is not None
        jsluid = first.headers["Set-Cookie"].split(";")[0].split("=")[1]
        again = waf.check({JSLUID_COOKIE: jsluid}).response
        assert again is not None
        return [first.body, again.body]

    assert pages(1) == pages(1)
    assert pages(1) != pages(2)


def test_solve_stage2_rejects_an_unsolvable_config() -> None:
    cfg = {"bts": ["a", "b"], "chars": "xy", "ct": "0" * 40, "ha": "sha1"}
    with pytest.raises(ValueError):
        solve_stage2(cfg)
