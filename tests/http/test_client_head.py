"""HEAD and capped GETs through the polite client: bodies never read, challenges passed by GET, prefixes."""

from __future__ import annotations

import http.server
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from disclosure_audit.http import PoliteClient
from disclosure_audit.replica.corpus import Corpus
from disclosure_audit.replica.server import ReplicaServer

Factory = Callable[..., ReplicaServer]


def client_for(server: ReplicaServer, **options: object) -> PoliteClient:
    settings: dict[str, object] = {"requests_per_second": 1000.0, "retry_wait_seconds": 0.005}
    settings.update(options)
    return PoliteClient([urlsplit(server.url).netloc], **settings)  # type: ignore[arg-type]


def pdf_url(corpus: Corpus, base: str) -> str:
    item = next(
        i
        for cid in corpus.iter_ids()
        if (i := corpus.item(cid, body=False)) is not None and any(a.served == "pdf" for a in i.attachments)
    )
    return base + next(a.path for a in item.attachments if a.served == "pdf")


def test_head_gives_status_and_headers_without_a_body(replica: Factory, corpus: Corpus) -> None:
    server = replica()
    url = pdf_url(corpus, server.url)
    with client_for(server) as client:
        got = client.get(url)
        head = client.head(url)
        missing = client.head(server.url + "/group1/M00/00/00/nothing.pdf")
    assert (head.method, head.status, head.body, head.truncated) == ("HEAD", 200, b"", False)
    assert head.content_type == "application/pdf"
    assert head.header("Content-Length") == str(len(got.body)) and got.body.startswith(b"%PDF-")
    assert (missing.status, missing.method) == (404, "HEAD")


def test_head_passes_the_challenge_by_get_when_it_comes_back(replica: Factory, corpus: Corpus) -> None:
    # A clearance good for 3 requests: the challenge comes back to HEADs, which carry no script.
    server = replica(challenge=True, challenge_every=3)
    url = pdf_url(corpus, server.url)
    with client_for(server) as client:
        results = [client.head(url) for _ in range(8)]
        stats = client.stats
    assert all(r.status == 200 for r in results)
    passed_by_get = [r for r in results if r.method == "GET"]
    assert passed_by_get and all(r.body.startswith(b"%PDF-") for r in passed_by_get)
    assert any(r.method == "HEAD" and r.body == b"" for r in results)
    assert stats["challenge_solves"] >= 4 and stats["retries"] == 0  # a HEAD 521 is no reason to retry
    assert server.stats()["clearances_granted"] >= 2


class _BigFileHandler(http.server.BaseHTTPRequestHandler):
    """/big.pdf: 20 MB announced and streamed; /small.txt: 10 bytes; robots.txt: none."""

    protocol_version = "HTTP/1.1"
    sent: list[int] = []

    def do_GET(self) -> None:
        if self.path == "/small.txt":
            self._answer(b"0123456789", "text/plain")
            return
        if self.path != "/big.pdf":
            self._answer(b"", "text/plain", 404)
            return
        size = 20 * 1024 * 1024
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b"%PDF-1.4\n" + b"x" * (64 * 1024 - 9)
        sent = 0
        try:
            while sent < size:
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the client read what it wanted and hung up
        type(self).sent.append(sent)
        self.close_connection = True

    def _answer(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def big_file_server(serve_handler) -> str:
    return serve_handler(_BigFileHandler)


def test_max_body_reads_only_the_first_bytes_of_a_large_file(big_file_server: str) -> None:
    with PoliteClient(big_file_server, requests_per_second=1000.0, max_bytes=1024 * 1024) as client:
        big = client.get(big_file_server + "/big.pdf", max_body=4096)
        small = client.get(big_file_server + "/small.txt", max_body=4096)
        whole = client.get(big_file_server + "/small.txt", max_body=10)
        stats = client.stats
    assert (big.status, len(big.body), big.truncated) == (200, 4096, True)
    assert big.body.startswith(b"%PDF-") and big.header("Content-Length") == str(20 * 1024 * 1024)
    assert (small.body, small.truncated) == (b"0123456789", False)
    assert (whole.body, whole.truncated) == (b"0123456789", False)  # exactly what was announced
    assert stats["bytes"] < 200 * 1024 and "too_large" not in stats["errors"]  # a cap, not an error


def test_heads_and_capped_bodies_are_archived_as_what_they_are(big_file_server: str, tmp_path) -> None:
    from warcio.archiveiterator import ArchiveIterator

    from disclosure_audit.http.capture import CaptureWriter, read_capture

    writer = CaptureWriter(tmp_path, 1)
    with PoliteClient(big_file_server, requests_per_second=1000.0, recorder=writer.record) as client:
        client.get(big_file_server + "/big.pdf", max_body=4096)
    writer.close()
    row = next(r for r in writer.take_rows() if r.url.endswith("/big.pdf"))
    assert row.bytes == 4096 and read_capture(tmp_path, row.warc_file, row.warc_offset).body.startswith(b"%PDF-")
    with open(tmp_path / row.warc_file, "rb") as fh:
        fh.seek(row.warc_offset)
        record = next(iter(ArchiveIterator(fh)))
        assert record.rec_headers.get_header("WARC-Truncated") == "length"
