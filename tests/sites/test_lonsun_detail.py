"""The lonsun profile's detail reading on hostile pages: an error of the page, fast, never a record."""

from __future__ import annotations

import time

import pytest

from disclosure_audit.replica.corpus import Corpus
from disclosure_audit.replica.site import ReplicaSite
from disclosure_audit.sites import Page, make_profile

URL = "http://127.0.0.1:8321/public/6771/9100024.html"


@pytest.fixture(scope="module")
def seed_page() -> str:
    return ReplicaSite(Corpus(300, 0, 0)).handle("/public/6771/9100024.html", {}).body.decode()


def read(body: bytes, content_type: str = "text/html; charset=utf-8"):
    return make_profile("lonsun", "http://127.0.0.1:8321").read_detail(Page(URL, URL, 200, body, content_type, 1))


def test_the_seed_page_reads_whole(seed_page: str) -> None:
    got = read(seed_page.encode())
    assert got.problem is None and got.record is not None and got.record["doc_number"] == "合震〔2020〕24号"


@pytest.mark.parametrize("depth", [100_000, 400_000])
def test_a_page_nested_past_the_parser_limit_is_unreadable_fast_and_never_a_record(seed_page: str, depth: int):
    page = seed_page.replace("<body>", "<body>" + "<div>" * depth, 1).replace("</body>", "</div>" * depth, 1)
    started = time.monotonic()
    got = read(page.encode())
    assert time.monotonic() - started < 2  # measured: about 0.01 s at 100k, 0.03 s at 400k
    assert got.record is None and got.problem is not None and got.problem.kind == "unreadable_detail"


def test_a_page_cut_inside_its_metadata_is_unreadable(seed_page: str) -> None:
    data = seed_page.encode()
    cut = (data.find(b"<table") + data.find(b"</table>")) // 2
    got = read(data[:cut])
    assert got.record is None and "stops before </html>" in got.problem.message  # type: ignore[union-attr]


def test_gb18030_bytes_under_a_utf8_label_are_doubtful_not_garbled(seed_page: str) -> None:
    got = read(seed_page.encode("gb18030"))
    assert got.record is None and got.problem is not None and got.problem.kind == "doubtful_decoding"
