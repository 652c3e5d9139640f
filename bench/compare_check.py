"""Check: `disclosure-audit check --no-links` in-process (prepare_facts without links, then run_checks: the
Great Expectations checkpoint, findings, Data Docs) against one hand-written SQL query that computes the
same failing rows of the same rules, over the live facts views and over the materialized facts.

The corpus is the replica's, loaded through the crawl's own loader into a template database; each
"full" run checks a fresh copy of it (no findings yet, a new data directory), the "nightly" runs check
one copy again and again with nothing changed in between.
"""

from __future__ import annotations

import html
import logging
import tempfile
import time
from datetime import datetime
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg2
from common import Row, ScratchDatabase, Section, interleave, profile_top, section, size
from corpus_rows import BASE, corpus_rows, record_lists

from disclosure_audit.checks.suites import CHECKS, COLUMNS_SUITE, RUNS_SUITE, STATUS_RULES, suite_parameters
from disclosure_audit.store.crawl_store import CrawlStore, DetailBatch

_VIEWS = {COLUMNS_SUITE: "column_facts", RUNS_SUITE: "run_facts"}


def load_corpus(url: str, n: int) -> None:
    """The replica's n items through the crawl's loader (listing, then detail batches of 1,000), the run
    finished as of the corpus's day, the working-day calendar and the repeal register."""
    from disclosure_audit.calendar.db import load_workdays
    from disclosure_audit.checks.prepare import prepare_facts

    rows = corpus_rows(n)
    site_id, run_id = record_lists(url, rows)
    with CrawlStore(url) as store:
        for i in range(0, n, 1000):
            store.flush_details(site_id, run_id, DetailBatch(rows=rows.details[i : i + 1000]), [BASE])
        as_of = datetime.combine(rows.corpus.as_of, clock(12), tzinfo=ZoneInfo("Asia/Shanghai"))
        store.finish_run(run_id, "succeeded", {}, as_of)
    load_workdays(url)
    prepare_facts(url, 1.0, links=False)  # the repeal register too: the live views read it
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        conn.cursor().execute("VACUUM ANALYZE")
    finally:
        conn.close()


def ours(url: str, data_dir: Path) -> float:
    """Seconds of `disclosure-audit check --no-links` in-process (what cmd_check runs)."""
    from disclosure_audit.checks.prepare import prepare_facts
    from disclosure_audit.checks.run import run_checks

    start = time.perf_counter()
    prepare_facts(url, 1.0, links=False)
    summary = run_checks(url, data_dir)
    seconds = time.perf_counter() - start
    assert not summary.broken_rules, summary.broken_rules
    return seconds


# ------------------------------------------------------------------------------------------- SQL
def failing_rows_sql(url: str, live: bool) -> str:
    """One query: (rule_id, site_id, subject) of every failing row of every rule the checkpoint states,
    with the rules' effective parameters written in (as the checkpoint gets them as suite parameters).
    A NULL fact is not judged, as Great Expectations skips it; status rules (not findings) are left out."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT rule_id, params FROM qa.rule_params")
        params = suite_parameters(dict(cur.fetchall()))
    conn.close()

    def value(v: object) -> object:
        return params[v["$PARAMETER"]] if isinstance(v, dict) and "$PARAMETER" in v else v

    parts = []
    for check in CHECKS:
        if check.rule_id in STATUS_RULES:
            continue
        base = _VIEWS.get(check.suite, "item_facts")
        col, kw = check.kwargs["column"], check.kwargs
        if check.expectation == "ExpectColumnValuesToBeInSet":
            fails = f"{col} = false"
        elif check.expectation == "ExpectColumnValuesToMatchRegex":
            pattern = str(value(kw["regex"])).replace("'", "''")
            fails = f"{col} !~ '{pattern}'"
        else:
            bounds = []
            if kw.get("min_value") is not None:
                bounds.append(f"{col} < {value(kw['min_value'])}")
            if kw.get("max_value") is not None:
                bounds.append(f"{col} > {value(kw['max_value'])}")
            fails = " OR ".join(bounds)
        parts.append(f"SELECT '{check.rule_id}' AS rule_id, site_id, subject FROM {base} WHERE {fails}")
    facts = []
    for base in ("item_facts", "column_facts", "run_facts"):
        if live and base != "run_facts":  # the materialized facts keep audited sites only
            source = f"qa.{base}_live f JOIN core.sites s ON s.site_id = f.site_id AND s.audited"
        else:
            source = f"qa.{base}{'_live' if live else ''} f"
        facts.append(f"{base} AS MATERIALIZED (SELECT f.* FROM {source})")
    # each facts view read once (a CTE), every rule's failing rows from it
    return "WITH " + ",\n".join(facts) + "\n" + "\nUNION\n".join(parts)


def run_sql(url: str, query: str) -> tuple[float, set[tuple[str, int, str]]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        start = time.perf_counter()
        cur.execute(query)
        rows = cur.fetchall()
        seconds = time.perf_counter() - start
    conn.close()
    return seconds, {(r, s, html.unescape(subj)) for r, s, subj in rows}


def open_findings(url: str) -> set[tuple[str, int, str]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT rule_id, site_id, subject FROM qa.findings WHERE closed_at IS NULL")
        rows = set(cur.fetchall())
    conn.close()
    return rows


def _profile(url: str, data_dir: Path) -> list[str]:
    """Where a nightly run's time goes: a few named steps (cumulative) and the top functions (own time)."""
    steps = {
        "prepare_facts": "prepare_facts (calendar, repeal register)",
        "refresh_facts": "REFRESH MATERIALIZED VIEW (qa.refresh_facts)",
        "open_context": "open_context (GX project)",
        "run_validation_definition": "GX validation definitions (expectations)",
        "run_expectations": "GX run_expectations",
        "build_data_docs": "GX build_data_docs",
        "make_offline": "make_offline (Data Docs for no internet)",
        "_failing_rows": "_failing_rows (GX index queries re-run)",
        "record_findings": "record_findings",
    }
    return profile_top(lambda: ours(url, data_dir), steps)


def _cursor_seconds(url: str, sql: str) -> float:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        start = time.perf_counter()
        cur.execute(sql)
        seconds = time.perf_counter() - start
    conn.close()
    return seconds


def run() -> Section:
    n = size("check_items", 100_000, 10_000)
    runs = size("check_runs", 3, 3)
    logging.getLogger("great_expectations").setLevel(logging.CRITICAL)  # as cmd_check does
    with section(f"Check: {n:,} items") as s, ScratchDatabase() as template, tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        load_corpus(template.url, n)
        s.notes.append(f"corpus loaded through the crawl's loader in {time.perf_counter() - t:.0f} s (not timed below)")
        with template.clone() as url:  # warm-up: GX imports and first-use costs stay out of the timing
            ours(url, Path(tmp) / "warm")
        live_sql, mv_sql = failing_rows_sql(template.url, True), failing_rows_sql(template.url, False)
        counter = iter(range(10_000))
        agreed: list[int] = []

        def full() -> float:
            with template.clone() as url:
                seconds = ours(url, Path(tmp) / f"full{next(counter)}")
                _, expected = run_sql(url, mv_sql)
                got = open_findings(url)
                assert got == expected, (len(got), len(expected), sorted(got ^ expected)[:5])
                agreed.append(len(got))
            return seconds

        def sql_live() -> float:
            with template.clone() as url:
                seconds, rows = run_sql(url, live_sql)
                assert not agreed or len(rows) == agreed[-1], (len(rows), agreed)
            return seconds

        got = interleave({"ours (full check, fresh copy)": full, "SQL over live views": sql_live}, runs)
        s.rows.append(
            Row(
                "seconds, full check vs one SQL over the live facts views",
                "s",
                got["ours (full check, fresh copy)"],
                got["SQL over live views"],
                "SQL, live views",
                better="lower",
                target=2.0,
                target_text="≤ 2×",
            )
        )
        with template.clone() as url:
            nightly_dir = Path(tmp) / "nightly"
            ours(url, nightly_dir)  # the first check of this copy: findings opened

            def nightly() -> float:
                seconds = ours(url, nightly_dir)
                assert open_findings(url) == run_sql(url, mv_sql)[1]
                return seconds

            def sql_mv() -> float:
                return run_sql(url, mv_sql)[0]

            got = interleave({"ours (nightly, unchanged)": nightly, "SQL over materialized facts": sql_mv}, runs)
            s.rows.append(
                Row(
                    "seconds, nightly check of unchanged data vs one SQL over the materialized facts",
                    "s",
                    got["ours (nightly, unchanged)"],
                    got["SQL over materialized facts"],
                    "SQL, materialized",
                    better="lower",
                    target=10.0,
                    target_text="≤ 10×",
                )
            )
            refresh = [_cursor_seconds(url, "SELECT qa.refresh_facts()")]
            s.notes.append(
                "REFRESH of the materialized facts alone (qa.refresh_facts(), which every check run does first): "
                + ", ".join(f"{x:.2f}" for x in refresh)
                + " s"
            )
            profile = _profile(url, nightly_dir)
        rules_judged = len({c.rule_id for c in CHECKS} - STATUS_RULES)
        s.notes.insert(
            0,
            f"{n:,} replica items (every rule's defects seeded by the replica). Ours = prepare_facts(links=False) + "
            "run_checks, what `disclosure-audit check --no-links` runs, in-process after one warm-up run. The SQL is "
            f"one UNION query over the {rules_judged} rules the checkpoint states (each expectation's failing "
            "condition, NULL facts not judged, the effective parameters written in); over the live views it reads "
            "qa.item_facts_live / column_facts_live (audited sites) / run_facts_live, otherwise the materialized "
            f"facts. Each full run's open findings were asserted equal to the SQL's failing rows ({agreed[-1]:,} "
            "rows), and after every nightly run too. Full runs: sides interleaved, each on its own fresh copy of "
            "the loaded database (CREATE DATABASE … TEMPLATE, not timed) with a new data directory. Nightly runs: "
            "one copy, checked once first, then ours and the SQL over the materialized facts interleaved.",
        )
        s.notes.append("where a nightly run's time goes: " + " · ".join(profile))
    return s
