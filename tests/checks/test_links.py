"""Link checks over real HTTP: the replica's broken attachments and links, the caches, the challenge, HEAD fallbacks."""

from __future__ import annotations

import http.server
import threading
from collections import Counter
from collections.abc import Iterator

import psycopg2
import pytest

from disclosure_audit.checks.links import SNIFF_BYTES, check_links, check_url
from disclosure_audit.http import PoliteClient
from disclosure_audit.replica.corpus import Corpus
from disclosure_audit.replica.server import Knobs
from disclosure_audit.replica.truth import item_url

# What each kind of attachment the replica serves should check as: (resolves, is_pdf).
SERVED = {
    "pdf": (True, True),
    "html": (True, False),  # a ".pdf" answering an HTML page with 200
    "missing": (False, None),
    "doc": (True, False),
    "wps": (True, False),
    "xls": (True, False),
}


def query(db: str, sql: str, args: tuple = ()) -> list[tuple]:
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def expected_outcomes(corpus: Corpus, base: str) -> dict[str, tuple[bool, bool | None]]:
    """Every attachment and link URL of the corpus day, with what checking it must give."""
    out: dict[str, tuple[bool, bool | None]] = {}
    for cid in corpus.iter_ids():
        item = corpus.item(cid, body=False)
        assert item is not None
        for a in item.attachments:
            out[base + a.path] = SERVED[a.served]
        for target in [*item.interpretation_ids, *item.original_ids]:
            url = item_url(base, corpus.organ_of(target) or item.org.organ_id, target)
            out[url] = (True, False) if corpus.exists(target) else (False, None)
        for url in item.external_interpretations:
            out[url] = (None, None)  # another site's: recorded, never fetched, so neither way
    return out


def off_site(expected: dict[str, tuple[bool | None, bool | None]]) -> int:
    return sum(1 for v in expected.values() if v == (None, None))


def link_status(db: str) -> dict[str, tuple]:
    rows = query(db, "SELECT url, resolves, is_pdf, status, method, error FROM qa.link_status")
    return {url: tuple(rest) for url, *rest in rows}


def client_for(base_url: str, **options: object) -> PoliteClient:
    settings: dict[str, object] = {"requests_per_second": 500.0, "retry_wait_seconds": 0.05}
    settings.update(options)
    return PoliteClient(base_url, **settings)  # type: ignore[arg-type]


def site_of(db: str) -> int:
    return query(db, "SELECT site_id FROM core.sites")[0][0]


def test_day0_links_check_exactly_as_the_replica_serves_them(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    replica = replica_at(300)
    corpus = Corpus(300, 0, 0)
    with replica.day(0) as srv:
        run = crawl_run(replica, fresh_db, tmp_path)
        with client_for(replica.base_url) as client:
            before = srv.stats()["requests"]
            summary = check_links(fresh_db, site_of(fresh_db), run.run_id, client)
            fetched_requests = srv.stats()["requests"] - before
            again = check_links(fresh_db, site_of(fresh_db), run.run_id, client)
            assert srv.stats()["requests"] == before + fetched_requests  # the second check fetched nothing
    expected = expected_outcomes(corpus, replica.base_url)
    status = link_status(fresh_db)
    assert set(status) == set(expected)
    wrong = {url: (expected[url], status[url][:2]) for url in expected if status[url][:2] != expected[url]}
    assert not wrong, f"(expected, checked) resolves/is_pdf: {wrong}"
    unfetched = off_site(expected)
    assert unfetched == 1  # the interpretation on another site
    assert summary.urls == len(expected) and summary.fetched == len(expected) - unfetched
    assert summary.not_fetched == unfetched
    assert summary.broken == 3 and summary.resolves == len(expected) - 3 - unfetched
    # one HEAD each (the replica labels every file), robots.txt; nothing sent to the other site
    assert fetched_requests == len(expected) - unfetched + 1
    assert (again.fetched, again.cached_this_run, again.cached_recent) == (0, len(expected), 0)
    assert query(fresh_db, "SELECT count(*) FROM qa.link_checks")[0][0] == len(expected)  # nothing added

    def checked(cid: int, table: str = "attachments", kind: str | None = None) -> list[tuple]:
        where = " AND x.kind = %s" if kind else ""
        return query(
            fresh_db,
            f"SELECT s.resolves, s.is_pdf, s.status FROM core.{table} x JOIN core.items i USING (item_id) "
            f"JOIN qa.link_status s ON s.url = x.url WHERE i.content_id = %s{where} ORDER BY x.position",
            (cid, kind) if kind else (cid,),
        )

    assert checked(9100502) == [(False, None, 404)]  # the PDF answers 404
    assert checked(9100503) == [(True, False, 200)]  # the ".pdf" answers an HTML page
    assert checked(9100501) == [(True, False, 200)]  # only a .doc
    assert checked(9100504) == [(True, True, 200)]  # a PDF shown in a viewer iframe
    assert checked(9100505) == [(True, True, 200), (True, False, 200)]  # a PDF in a script variable, a .wps
    assert checked(9100603, "links", "interpretation") == [(False, None, 404)]  # interpretation id 404s
    assert checked(9100605, "links", "original") == [(False, None, 404)]  # original 404s
    assert checked(9100606, "links", "interpretation") == [(True, False, 200)]  # a detail page resolves


def test_an_earlier_runs_recent_checks_are_copied_and_old_ones_fetched_again(
    fresh_db, tmp_path, replica_at, crawl_run
) -> None:
    replica = replica_at(300)
    with replica.day(0) as srv:
        first = crawl_run(replica, fresh_db, tmp_path, orgs=["合肥市地震局"])
        site = site_of(fresh_db)
        with client_for(replica.base_url) as client:
            check_links(fresh_db, site, first.run_id, client)
        second = crawl_run(replica, fresh_db, tmp_path, orgs=["合肥市地震局"])
        before = srv.stats()["requests"]
        with client_for(replica.base_url) as client:
            cached = check_links(fresh_db, site, second.run_id, client, max_age_hours=20)
        assert srv.stats()["requests"] == before  # not even robots.txt: nothing was fetched
        third = crawl_run(replica, fresh_db, tmp_path, orgs=["合肥市地震局"])
        with client_for(replica.base_url) as client:
            refetched = check_links(fresh_db, site, third.run_id, client, max_age_hours=0)
    # the link to another site is never fetched, so never copied either
    assert cached.urls > 0 and (cached.fetched, cached.cached_recent, cached.not_fetched) == (0, cached.urls - 1, 1)
    assert (refetched.fetched, refetched.cached_recent, refetched.not_fetched) == (refetched.urls - 1, 0, 1)
    by_run = dict(query(fresh_db, "SELECT run_id, array_agg(DISTINCT method) FROM qa.link_checks "
                                  "WHERE method IS NOT NULL GROUP BY 1"))  # fmt: skip
    assert by_run == {first.run_id: ["HEAD"], second.run_id: ["cache"], third.run_id: ["HEAD"]}
    # a copied outcome keeps the time it was observed, and says the same as the check it copies
    same = query(
        fresh_db,
        "SELECT bool_and(a.checked_at = b.checked_at AND a.resolves = b.resolves "
        "AND a.is_pdf IS NOT DISTINCT FROM b.is_pdf AND a.status = b.status) FROM qa.link_checks a "
        "JOIN qa.link_checks b ON b.url = a.url AND b.run_id = %s WHERE a.run_id = %s AND a.method = 'cache'",
        (first.run_id, second.run_id),
    )
    assert same == [(True,)]
    broken = query(fresh_db, "SELECT count(*) FROM qa.link_status WHERE resolves IS FALSE")[0][0]
    assert broken == 2  # the 地震局's 404 PDF and its dangling interpretation link


def test_link_checks_pass_the_challenge_and_give_the_same_outcomes(fresh_db, tmp_path, replica_at, crawl_run) -> None:
    # The clearance lasts 25 requests, so the challenge comes back to HEADs again and again.
    replica = replica_at(300, Knobs(challenge=True, challenge_every=25, seed=3))
    with replica.day(0) as srv:
        run = crawl_run(replica, fresh_db, tmp_path)
        with client_for(replica.base_url) as client:
            summary = check_links(fresh_db, site_of(fresh_db), run.run_id, client)
            http = client.stats
        stats = srv.stats()
    expected = expected_outcomes(Corpus(300, 0, 0), replica.base_url)
    status = link_status(fresh_db)
    assert {url: s[:2] for url, s in status.items()} == expected
    assert summary.fetched == len(expected) - off_site(expected) and summary.broken == 3
    assert http["challenge_solves"] >= 4 and stats["clearances_granted"] >= 2
    methods = Counter(s[3] for s in status.values())
    assert methods["GET"] >= 2 and methods["HEAD"] > methods["GET"]  # a HEAD met by the challenge is answered by GET


def test_off_site_and_robots_disallowed_urls_are_recorded_as_not_judgeable(
    fresh_db, tmp_path, replica_at, crawl_run
) -> None:
    replica = replica_at(300)
    with replica.day(0) as srv:
        run = crawl_run(replica, fresh_db, tmp_path, orgs=["合肥市科学技术局"])
        off_site = "http://www.example.gov.cn/files/policy.pdf"
        private = replica.base_url + "/private/policy.pdf"
        with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO core.attachments (item_id, position, url) SELECT item_id, 90 + n, u "
                "FROM core.items, (VALUES (0, %s), (1, %s)) AS v(n, u) WHERE content_id = 9100503",
                (off_site, private),
            )
        before = srv.stats()["requests"]
        with client_for(replica.base_url) as client:
            summary = check_links(fresh_db, site_of(fresh_db), run.run_id, client)
            refused = client.stats["robots_refused"]
        assert srv.stats()["requests"] == before + summary.fetched + 1  # neither URL was asked for (+ robots.txt)
    status = link_status(fresh_db)
    assert status[off_site] == (None, None, None, None, "off-site")
    assert status[private][:4] == (None, None, None, None) and status[private][4].startswith("robots.txt")
    assert summary.not_fetched == 2 and summary.unknown == 2 and refused == 1


# ------------------------------------------------------------------------- HEAD refused, labels, big files
class _Handler(http.server.BaseHTTPRequestHandler):
    """A site whose files test the HEAD fallbacks: refused HEAD, generic labels, a big file."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str]] = []
    big = 20 * 1024 * 1024
    pdf = b"%PDF-1.5\n" + b"0" * 2000

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        type(self).seen.append((self.command, self.path))
        path = self.path
        if head and path in ("/refuses-head.pdf", "/big.pdf"):
            return self._answer(405, b"", "text/html", head)
        if path == "/refuses-head.pdf":
            return self._answer(200, self.pdf, "application/pdf", head)
        if path == "/octet.pdf":
            return self._answer(200, self.pdf, "application/octet-stream", head)
        if path == "/error-page.pdf":
            return self._answer(200, b"<html><body>file not found</body></html>", "application/octet-stream", head)
        if path == "/no-type.pdf":
            return self._answer(200, self.pdf, None, head)
        if path == "/labelled.pdf":
            return self._answer(200, self.pdf, "application/pdf", head)
        if path == "/gone.pdf":
            return self._answer(410, b"gone", "text/plain", head)
        if path == "/moved.pdf":
            self.send_response(302)
            self.send_header("Location", "http://www.example.gov.cn/policy.pdf")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path == "/big.pdf":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(self.big))
            self.end_headers()
            chunk = self.pdf + b"x" * (64 * 1024 - len(self.pdf))
            try:
                for _ in range(self.big // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass  # the client hung up once it had what it needed
            self.close_connection = True
            return None
        return self._answer(404, b"", "text/plain", head)

    def _answer(self, status: int, body: bytes, content_type: str | None, head: bool) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def files_site() -> Iterator[str]:
    _Handler.seen = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    ("path", "method", "status", "resolves", "is_pdf", "requests"),
    [
        ("/labelled.pdf", "HEAD", 200, True, True, ["HEAD"]),  # the label is enough
        ("/refuses-head.pdf", "GET", 200, True, True, ["HEAD", "GET"]),  # 405 to HEAD: GET
        ("/octet.pdf", "GET", 200, True, True, ["HEAD", "GET"]),  # a generic label: look at the bytes
        ("/error-page.pdf", "GET", 200, True, False, ["HEAD", "GET"]),  # labelled as a file, an HTML page
        ("/no-type.pdf", "GET", 200, True, True, ["HEAD", "GET"]),  # no label at all
        ("/gone.pdf", "HEAD", 410, False, None, ["HEAD"]),  # HEAD says it all
        ("/missing.pdf", "HEAD", 404, False, None, ["HEAD"]),
    ],
)
def test_head_first_then_a_capped_get_when_head_cannot_tell(
    files_site: str, path: str, method: str, status: int, resolves: bool, is_pdf: bool | None, requests: list[str]
) -> None:
    with client_for(files_site) as client:
        check = check_url(client, files_site + path)
    assert (check.method, check.status, check.resolves, check.is_pdf) == (method, status, resolves, is_pdf)
    assert [m for m, p in _Handler.seen if p == path] == requests
    assert check.error == (None if resolves else f"HTTP {status}")


def test_a_big_file_is_judged_by_its_first_bytes_only(files_site: str) -> None:
    with client_for(files_site) as client:
        check = check_url(client, files_site + "/big.pdf")
        received = client.stats["bytes"]
    assert (check.method, check.resolves, check.is_pdf, check.bytes) == ("GET", True, True, _Handler.big)
    assert received <= SNIFF_BYTES + 1024  # the cap, plus robots.txt's small 404


def test_a_redirect_off_the_site_is_not_followed_nor_judged(files_site: str) -> None:
    with client_for(files_site) as client:
        check = check_url(client, files_site + "/moved.pdf")
    assert (check.resolves, check.method) == (None, None)
    assert check.error == "off-site: redirects to http://www.example.gov.cn/policy.pdf"


def test_the_client_and_the_check_never_leave_the_site() -> None:
    with client_for("http://127.0.0.1:9") as client:  # nothing listens there, and nothing is sent
        check = check_url(client, "https://www.gov.cn/zhengce/content/policy.pdf")
        assert client.stats["requests"] == 0
    assert (check.resolves, check.error, check.method) == (None, "off-site", None)
