"""Parse+normalize speed on replica detail pages (pages/s, one core): decode_html, parse_detail, normalize_item."""

from __future__ import annotations

import argparse
import statistics
import time
from urllib.parse import urlsplit

from disclosure_audit.parse import decode_html, normalize_item, parse_detail
from disclosure_audit.replica.corpus import Corpus
from disclosure_audit.replica.site import ReplicaSite
from disclosure_audit.replica.truth import build_truth

BASE = "http://127.0.0.1:8321"


def load_pages(n: int, seed: int) -> list[tuple[bytes, str, str]]:
    """(body, content type, url) of n detail pages, rendered before any timing starts."""
    corpus = Corpus(max(n, 300), 0, seed)
    site = ReplicaSite(corpus)
    pages = []
    for rec in build_truth(corpus, BASE)["items"][:n]:
        resp = site.handle(urlsplit(rec["url"]).path, {})
        pages.append((resp.body, resp.content_type, rec["url"]))
    return pages


def run(pages: list[tuple[bytes, str, str]]) -> float:
    """Seconds to decode, parse and normalize every page once."""
    start = time.perf_counter()
    for body, content_type, url in pages:
        normalize_item(parse_detail(decode_html(body, content_type), url))
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=1000, help="detail pages per run (default 1000)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs; the median is reported (default 5)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    pages = load_pages(args.pages, args.seed)
    mean_kb = sum(len(b) for b, _, _ in pages) / len(pages) / 1024
    run(pages[:50])  # warm-up: first-call costs (lazy imports, regex compilation) stay out of the timing
    times = [run(pages) for _ in range(args.runs)]
    median = statistics.median(times)
    print(
        f"{len(pages) / median:.0f} pages/s  ({len(pages)} pages of {mean_kb:.1f} KiB on average, "
        f"median of {args.runs} runs: {median:.2f} s; best {len(pages) / min(times):.0f} pages/s)"
    )


if __name__ == "__main__":
    main()
