"""Crawling the replica through faults at high rates: where the crawl still loses nothing, and where it stops.

Every row of ROWS is one crawl of the 300-item replica (day 0) into a database of its own, with the
replica misbehaving as the row's Knobs say and the client given the row's retry budget. The rows:

- one fault kind each at a high rate (5xx 30 %, resets 20 %, truncated bodies 20 %, 429 20 % with
  Retry-After 1 s, slow answers 20 % x 2 s under a 5 s read timeout and deadline, the challenge coming
  back every 20 requests), and all of them together at moderate rates (5xx 10 %, resets 5 %, truncation
  5 %, 429 5 %, challenge every 40). The crawl is sequential, so the rows whose time is the slow answers'
  own waiting crawl two of the five organisations (105 of the 300 items): the long part stays within six
  minutes. The moderate-rate row over the same two organisations (`combined-quick`, some 20 s) is the one
  row of the normal suite; every other row is marked `long`;
- limits: the replica never faults one URL more than `max_consecutive_faults` (m) times in a row, so a
  client whose `retry_attempts` is above m always gets through (the rows above: m = 3, 5 attempts, as a
  user raises `crawl --retries` for a flaky site). A row with m above the budget (m = 8, 3 attempts) must
  end `degraded`; a row where every request faults until m and m equals the budget ends `failed`, as it
  must: robots.txt cannot be read, so RFC 9309 disallows everything (the run's error says so; nothing is
  read). A row whose read timeout (0.5 s) is below the slow answers' delay (2 s) must still succeed, each
  slow answer timed out and asked again. (The client's `deadline_seconds` bounds an answer
  from its headers on; the wait for the headers is `read_timeout`'s. CrawlConfig sets neither, so the
  rows pass them through crawl()'s client_factory.)

What a `succeeded` row asserts: the run is `succeeded`, with no crawl error; the items equal the
replica's truth field by field, with no content id twice and one version each; every capture row reads
back from its WARC with its sha256, and there is one for every response the client received; the client
and the server count the same requests, and every fault the server sent that makes an answer unusable
(5xx, 429, reset, truncation, a read timeout) was retried exactly once; Retry-After was honoured (the
client waited at least retry_after_seconds for every 429 the server sent); the challenge was solved each
time it came back (every 521 the client received was solved, two solves per clearance the server
granted, and as many clearances as the requests that passed the challenge need).

What a `degraded` row asserts: every URL the client gave up on (every capture of it a transient failure;
as many as the fetches the client gave up) is named by an error in core.crawl_errors; every item the
truth has and the database lacks is covered by an error (of its entry, or of its column or organisation),
no item with an error of its own has a version, and the items read equal the truth. The other checks
(requests, captures, duplicates) hold for every row.

Run: `make test-long` for the long rows, `.venv/bin/pytest -m "long or not long" tests/faults/test_fault_rates.py`
for all; with DISCLOSURE_WRITE_FAULTS=1 the rows run are written as a table to bench/FAULTS.md.
"""

from __future__ import annotations

import functools
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg2
import pytest

from disclosure_audit.crawl import CrawlConfig, CrawlSummary, crawl
from disclosure_audit.crawl_cli import iter_items
from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.fields import ITEM_RECORD_KEYS
from disclosure_audit.http.capture import read_capture
from disclosure_audit.http.client import RETRY_STATUSES, PoliteClient
from disclosure_audit.http.errors import DisallowedByRobots
from disclosure_audit.replica.corpus import ORGS, Corpus
from disclosure_audit.replica.server import Knobs
from disclosure_audit.replica.truth import build_truth

REPO = Path(__file__).resolve().parents[2]
ITEMS = 300
FAULTS_FILE = REPO / "bench" / "FAULTS.md"
ALL = tuple(o.name for o in ORGS)
# answers the client cannot use: each one is retried (slow answers are waited for, not retried)
UNUSABLE = ("5xx", "429", "reset", "truncate")


@dataclass(frozen=True)
class Row:
    """One crawl of the matrix: what the replica does, what budget the client has, what must come of it."""

    id: str
    fault: str  # for the table
    rate: str  # for the table
    knobs: Knobs
    retry_attempts: int = 5
    expect: str = "succeeded"  # or "degraded", or "failed"
    read_timeout: float = 30.0  # the client's wait for an answer to start (what a slow answer runs into)
    deadline_seconds: float = 120.0  # the client's bound on one whole answer once it has started
    orgs: tuple[str, ...] = ()  # the organisations crawled; () for all five
    long: bool = True


# The rows whose time is the slow answers' own waiting crawl two of the five organisations (105 of the
# 300 items) to keep the long suite within six minutes; so does the normal suite's row, to stay under 30 s.
TWO_ORGS = ("合肥市人民政府", "合肥市财政局")
MODERATE = "10 % + 5 % + 5 % + 5 %, challenge every 40"
COMBINED = Knobs(
    fault_5xx_rate=0.10,
    fault_reset_rate=0.05,
    fault_truncate_rate=0.05,
    fault_429_rate=0.05,
    retry_after_seconds=1,
    challenge=True,
    challenge_every=40,
    max_consecutive_faults=3,
    seed=307,
)

ROWS: list[Row] = [
    Row("5xx", "5xx (500/502/503)", "30 %", Knobs(fault_5xx_rate=0.30, max_consecutive_faults=3, seed=301)),
    Row("resets", "TCP reset, no answer", "20 %", Knobs(fault_reset_rate=0.20, max_consecutive_faults=3, seed=302)),
    Row("truncated", "body cut in half", "20 %",
        Knobs(fault_truncate_rate=0.20, max_consecutive_faults=3, seed=303)),
    Row("429", "429, Retry-After 1 s", "20 %",
        Knobs(fault_429_rate=0.20, retry_after_seconds=1, max_consecutive_faults=3, seed=304)),
    Row("slow", "slow answer 2 s (read timeout 5 s, deadline 5 s)", "20 %",
        Knobs(slow_rate=0.20, slow_seconds=2.0, max_consecutive_faults=3, seed=305),
        read_timeout=5.0, deadline_seconds=5.0, orgs=TWO_ORGS),
    Row("challenge", "challenge returns", "every 20 requests", Knobs(challenge=True, challenge_every=20, seed=306)),
    Row("combined", "5xx + reset + truncation + 429 (Retry-After 1 s) + challenge", MODERATE, COMBINED),
    Row("combined-quick", "the same, two organisations (normal suite)", MODERATE, COMBINED, orgs=TWO_ORGS,
        long=False),
    # limits
    Row("slow-timeout", "slow answer 2 s, read timeout 0.5 s (below it)", "20 %",
        Knobs(slow_rate=0.20, slow_seconds=2.0, max_consecutive_faults=3, seed=308), read_timeout=0.5,
        orgs=TWO_ORGS),
    Row("5xx-over-budget", "5xx, 8 in a row allowed, 3 attempts", "30 %",
        Knobs(fault_5xx_rate=0.30, max_consecutive_faults=8, seed=309), retry_attempts=3, expect="degraded"),
    Row("5xx-always", "5xx on every request up to m, m = attempts", "100 %",
        Knobs(fault_5xx_rate=1.0, max_consecutive_faults=3, seed=310), retry_attempts=3, expect="failed"),
]  # fmt: skip


# What the rows show, under the table in bench/FAULTS.md.
LIMITS = [
    "What the rows show:",
    "",
    "- The retry budget decides, not the rate: with `retry_attempts` above the replica's `max_consecutive_faults` "
    "every row ends `succeeded` with every item equal to the truth, each unusable answer retried exactly once and "
    "every 429's Retry-After waited in full (the 429 row's waits are exactly 1 s a 429).",
    "- Past the budget the run is `degraded`, and one list or shell page given up on costs its whole column for the "
    "run (a column error, the column not marked complete), not one item (see the row's note); every item not read "
    "is covered by an error, none is guessed.",
    "- If the URL given up on is robots.txt, the run fails: RFC 9309 disallows everything while robots.txt cannot "
    "be read. The run's error says so; there is no core.crawl_errors row (a run error, not an unread page).",
    "- A slow answer is bounded by the client's `read_timeout` until its headers come, `deadline_seconds` only "
    "from then on; below the delay each slow answer times out and is asked again, and the run still succeeds.",
    "- The challenge coming back every 20 requests costs two solves (stage 1 and 2) and two extra requests a "
    "clearance, and nothing else.",
]


@dataclass
class Outcome:
    """What one row did, for the table."""

    row: Row
    items: int = 0  # items the crawled organisations hold
    status: str = "not run"
    requests: int = 0
    retries: int = 0
    waited: float = 0.0
    seconds: float = 0.0
    faults: dict = field(default_factory=dict)
    note: str = ""
    verified: bool = False


OUTCOMES: dict[str, Outcome] = {}


# ------------------------------------------------------------------------------------------ helpers
def query(db: str, sql: str, args: tuple = ()) -> list[tuple]:
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def assert_items_equal_truth(db: str, expected: list[dict]) -> None:
    """The stored current items are exactly `expected`, every field equal (as tests/crawl does it)."""
    stored = {i["content_id"]: i for i in iter_items(db)}
    wanted = {t["content_id"]: t for t in expected}
    missing, extra = wanted.keys() - stored.keys(), stored.keys() - wanted.keys()
    assert not missing and not extra, f"missing {sorted(missing)[:10]}, unexpected {sorted(extra)[:10]}"
    wrong = [
        (cid, k, t[k], stored[cid][k]) for cid, t in wanted.items() for k in ITEM_RECORD_KEYS if stored[cid][k] != t[k]
    ]
    assert not wrong, "field mismatches (id, field, expected, stored):\n" + "\n".join(map(repr, wrong[:20]))


def assert_no_duplicates(db: str) -> None:
    """No content id twice, no version twice, and every version a row of its own."""
    assert query(db, "SELECT content_id FROM core.items GROUP BY site_id, content_id HAVING count(*) > 1") == []
    assert query(db, "SELECT item_id, version FROM core.item_versions GROUP BY 1, 2 HAVING count(*) > 1") == []
    versions = query(db, "SELECT i.content_id, i.version, count(v.*) FROM core.items i "
                         "LEFT JOIN core.item_versions v USING (item_id) WHERE i.version > 0 "
                         "GROUP BY 1, 2 HAVING i.version <> 1 OR count(v.*) <> 1")  # fmt: skip
    assert versions == [], f"items of a first crawl with other than one version: {versions[:10]}"


def assert_captures_read_back(db: str, data_dir: Path, responses: int) -> None:
    """Every capture row reads back from its WARC with its sha256; one row per response received."""
    rows = query(db, "SELECT url, warc_file, warc_offset, sha256, status FROM core.captures")
    assert len(rows) == responses, f"{len(rows)} capture rows for {responses} responses received"
    for url, warc_file, offset, sha, status in rows:
        archived = read_capture(data_dir, warc_file, offset)
        assert (archived.url, archived.status, archived.sha256) == (url, status, sha)


def _crawl(row: Row, base_url: str, db: str, data_dir: Path) -> CrawlSummary:
    """The crawl as conftest's crawl_run makes it, with the row's retry budget and client timeouts."""
    config = CrawlConfig(
        site=base_url,
        orgs=list(row.orgs) or [o.name for o in ORGS],
        database_url=db,
        data_dir=data_dir,
        requests_per_second=500.0,
        max_in_flight_per_host=4,
        retry_attempts=row.retry_attempts,
        retry_wait_seconds=0.05,
        show_progress=False,
    )
    factory = functools.partial(PoliteClient, read_timeout=row.read_timeout, deadline_seconds=row.deadline_seconds)
    return crawl(config, client_factory=factory)


# ------------------------------------------------------------------------------------------ the matrix
@pytest.fixture(scope="module", autouse=True)
def _faults_table() -> Iterator[None]:
    """Write the rows run to bench/FAULTS.md at the end, when DISCLOSURE_WRITE_FAULTS=1."""
    yield
    if os.environ.get("DISCLOSURE_WRITE_FAULTS") == "1" and OUTCOMES:
        FAULTS_FILE.write_text(faults_table(list(OUTCOMES.values())), encoding="utf-8")


def faults_table(outcomes: list[Outcome]) -> str:
    """bench/FAULTS.md: machine, date and command, then one line per row."""
    order = {r.id: n for n, r in enumerate(ROWS)}
    outcomes = sorted(outcomes, key=lambda o: order[o.row.id])
    when = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
    lines = [
        "# Crawling through faults at high rates",
        "",
        f"Written by `tests/faults/test_fault_rates.py` on {when} ({machine}).",
        "",
        'Command: `DISCLOSURE_WRITE_FAULTS=1 .venv/bin/pytest -q -p no:cacheprovider -m "long or not long" '
        "tests/faults/test_fault_rates.py`",
        "",
        f"Each row is one crawl of the {ITEMS}-item replica (day 0) into a database of its own, "
        "at 500 requests/s, `retry_wait_seconds` 0.05; *items* is what the organisations crawled hold (the rows "
        "of slow answers and the normal suite's row crawl two of the five). *m* is the replica's "
        "`max_consecutive_faults` (a URL never faults more than m times in a row), *attempts* the client's "
        "`retry_attempts`. requests, retries and "
        'waited s are the client\'s counters (`summary.counters["http"]`); waited s includes the rate-limit '
        "pacing and backoff. 'verified' means every assertion of the row held (see the module docstring).",
        "",
        "| fault | rate | items | m / attempts | requests | retries | waited s | crawl s | result |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for o in outcomes:
        r = o.row
        result = f"{o.status}, {'verified' if o.verified else 'CHECK FAILED'}" + (f"; {o.note}" if o.note else "")
        lines.append(
            f"| {r.fault} | {r.rate} | {o.items} | {r.knobs.max_consecutive_faults} / {r.retry_attempts} | "
            f"{o.requests} | {o.retries} | {o.waited:.1f} | {o.seconds:.1f} | {result} |"
        )
    lines += ["", *LIMITS]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "row", [pytest.param(r, id=r.id, marks=[pytest.mark.long] if r.long else []) for r in ROWS]
)  # fmt: skip
def test_a_crawl_through_faults_at_high_rates(row: Row, fresh_db, tmp_path, replica_at) -> None:
    replica = replica_at(ITEMS, row.knobs)
    crawled = row.orgs or ALL
    truth = [t for t in build_truth(Corpus(ITEMS, 0, 0), replica.base_url)["items"] if t["org"] in crawled]
    outcome = OUTCOMES[row.id] = Outcome(row, items=len(truth))
    started = time.monotonic()
    failure: DisclosureAuditError | None = None
    with replica.day(0) as srv:
        try:
            _crawl(row, replica.base_url, fresh_db, tmp_path)
        except DisclosureAuditError as exc:  # a failed run records itself, then raises
            failure = exc
        stats = srv.stats()
    outcome.seconds = time.monotonic() - started
    # what the run recorded of itself, whatever its end (the summary's counters, as JSON)
    ((status, counters, error),) = query(fresh_db, "SELECT status, counters, error FROM core.crawl_runs")
    http = {**counters["http"], "by_status": {int(k): v for k, v in counters["http"]["by_status"].items()}}
    outcome.status, outcome.requests, outcome.retries = status, http["requests"], http["retries"]
    outcome.waited, outcome.faults = http["waited_seconds"], stats["faults"]
    print(f"\n{row.id}: {status} in {outcome.seconds:.1f} s, client {http}, server {stats}", file=sys.stderr)

    assert status == row.expect, (failure, query(fresh_db, "SELECT kind, url FROM core.crawl_errors")[:5])
    # the client and the server saw the same requests; every response received was archived
    assert http["requests"] == stats["requests"]
    assert_captures_read_back(fresh_db, tmp_path, sum(http["by_status"].values()))
    assert_no_duplicates(fresh_db)
    if row.expect == "succeeded":
        assert failure is None and query(fresh_db, "SELECT count(*) FROM core.crawl_errors") == [(0,)]
        assert_items_equal_truth(fresh_db, truth)
        _assert_faults_answered(row, http, stats)
    elif row.expect == "degraded":
        assert failure is None
        outcome.note = _assert_degraded_loses_nothing_silently(fresh_db, truth, http)
    else:
        # robots.txt unreadable: RFC 9309 says everything is disallowed; the run fails saying so, reads nothing
        assert isinstance(failure, DisallowedByRobots) and "robots.txt could not be fetched" in str(failure)
        assert error is not None and "robots.txt" in error
        assert stats["requests"] == row.retry_attempts and http["errors"].get("gave_up") == 1
        assert query(fresh_db, "SELECT count(*) FROM core.items") == [(0,)]
        outcome.note = f"robots.txt given up after {row.retry_attempts} attempts: everything disallowed, nothing read"
    outcome.verified = True


def _assert_faults_answered(row: Row, http: dict, stats: dict) -> None:
    """Each unusable answer retried once, Retry-After honoured, the challenge solved each time it came back."""
    k = row.knobs
    faults = stats["faults"]
    sent = {kind: faults[kind] for kind in UNUSABLE}
    timeouts = http["errors"].get("timeout", 0)  # a slow answer past the read timeout, asked again
    assert http["retries"] == sum(sent.values()) + timeouts, (http, faults)
    for kind, rate in (("5xx", k.fault_5xx_rate), ("429", k.fault_429_rate), ("reset", k.fault_reset_rate),
                       ("truncate", k.fault_truncate_rate), ("slow", k.slow_rate)):  # fmt: skip
        assert (faults[kind] > 0) == (rate > 0), (kind, faults)
    if row.read_timeout < k.slow_seconds:
        assert timeouts == faults["slow"], (http["errors"], faults)
    else:
        assert timeouts == 0 and http["errors"].get("deadline", 0) == 0, http["errors"]
    # Retry-After: never shortened (the client's waits also hold pacing and backoff, so at least)
    assert http["waited_seconds"] >= faults["429"] * k.retry_after_seconds
    if k.challenge:
        received = http["by_status"].get(521, 0)
        granted = stats["clearances_granted"]
        # requests the challenge let through: all but the faults answered before it and the challenge pages
        passed = stats["requests"] - faults["5xx"] - faults["429"] - stats["challenges_issued"]
        assert http["challenge_solves"] == received, "every challenge page received was solved"
        assert http["challenge_solves"] >= 2 * granted, "two stages a clearance"
        assert granted >= max(2, passed // k.challenge_every), (granted, passed, "the challenge came back")
    else:
        assert http["challenge_solves"] == 0 and stats["challenges_issued"] == 0


def _assert_degraded_loses_nothing_silently(db: str, truth: list[dict], http: dict) -> str:
    """A degraded run: every URL given up on is an error naming it, every item missing is covered by an
    error, no item with an error of its own has a version; the items read equal the truth. A note.

    A URL given up on is one whose every capture is a transient failure (the row's faults are 5xx, so
    each failed attempt is archived); the client counts each fetch it gave up on."""
    retried = sorted(RETRY_STATUSES)
    unread = {u for (u,) in query(db, "SELECT url FROM core.captures GROUP BY url "
                                      "HAVING bool_and(status = ANY(%s))", (retried,))}  # fmt: skip
    gave_up = http["errors"].get("gave_up", 0)
    assert unread and len(unread) == gave_up, (len(unread), gave_up)
    errors = query(db, "SELECT scope, kind, org, column_name, content_id, url, message FROM core.crawl_errors")
    named = {e[5] for e in errors}
    assert unread <= named, f"URLs not read with no error naming them: {sorted(unread - named)[:5]}"
    assert all("on every attempt" in e[6] for e in errors), [e[6] for e in errors if "on every attempt" not in e[6]]
    entries = {e[4] for e in errors if e[0] == "entry"}
    columns = {(e[2], e[3]) for e in errors if e[0] == "column"}
    orgs = {e[2] for e in errors if e[0] == "org"}
    stored = {i["content_id"] for i in iter_items(db)}
    missing = [t for t in truth if t["content_id"] not in stored]
    uncovered = [
        t["content_id"]
        for t in missing
        if t["content_id"] not in entries and (t["org"], t["column"]) not in columns and t["org"] not in orgs
    ]
    assert not uncovered, f"items missing with no error to say why: {uncovered[:10]}"
    versioned = query(db, "SELECT content_id FROM core.items WHERE version > 0 AND content_id = ANY(%s)",
                      (sorted(entries),))  # fmt: skip
    assert versioned == [], "an item whose page was not read has a version"
    assert_items_equal_truth(db, [t for t in truth if t["content_id"] in stored])
    by_kind = ", ".join(f"{n} {k}" for k, n in sorted(Counter(f"{e[0]} {e[1]}" for e in errors).items()))
    return (
        f"{gave_up} URLs given up, each in core.crawl_errors ({by_kind}); "
        f"{len(missing)} of {len(truth)} items not read, none guessed"
    )
