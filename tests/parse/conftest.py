"""Replica fixtures for the parser tests: pages fetched without sockets, and the truth to compare with."""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from disclosure_audit.parse.decode import decode_html
from disclosure_audit.replica.corpus import Corpus
from disclosure_audit.replica.site import ReplicaSite
from disclosure_audit.replica.truth import build_truth

BASE = "http://127.0.0.1:8321"

Replica = Callable[[int, int, int], tuple[ReplicaSite, list[dict]]]
Fetch = Callable[[ReplicaSite, str], str]


@functools.lru_cache(maxsize=4)
def _replica(items: int, day: int, seed: int) -> tuple[ReplicaSite, list[dict]]:
    corpus = Corpus(items, day, seed)
    return ReplicaSite(corpus), build_truth(corpus, BASE)["items"]


def _fetch(site: ReplicaSite, url: str) -> str:
    parts = urlsplit(url)
    resp = site.handle(parts.path, parse_qs(parts.query, keep_blank_values=True))
    assert resp.status == 200, f"{url} answered {resp.status}"
    return decode_html(resp.body, resp.content_type)


@pytest.fixture(scope="session")
def replica() -> Replica:
    """replica(items, day, seed) -> (site, truth records); each corpus day is built once per session."""
    return _replica


@pytest.fixture(scope="session")
def fetch() -> Fetch:
    """fetch(site, url) -> the page GET from the replica without a socket, decoded as a crawler would."""
    return _fetch
