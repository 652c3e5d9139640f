"""Every rule over the crawled replica: open findings equal the replica truth's defects exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg2
import pytest

from disclosure_audit.checks.findings import query_findings
from disclosure_audit.checks.gx_project import build_project
from disclosure_audit.checks.prepare import prepare_facts
from disclosure_audit.checks.run import run_checks
from disclosure_audit.replica.corpus import Corpus
from disclosure_audit.replica.truth import build_truth

REPO = Path(__file__).resolve().parents[2]


def _key(d: dict) -> tuple:
    return (d["rule_id"], d["content_id"]) if d.get("content_id") is not None else (d["rule_id"], d["org"], d["column"])


def open_findings(db: str) -> set[tuple]:
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        return {_key(f) for f in query_findings(cur, open_only=True)}


def check(db: str, data_dir: Path):
    prepare_facts(db, rate=500.0)
    return run_checks(db, data_dir, REPO / "expectations")


@pytest.fixture
def day0(fresh_db, tmp_path, replica_at, crawl_run):
    replica = replica_at(300)
    with replica.day(0):
        crawl_run(replica, fresh_db, tmp_path / "data")
        summary = check(fresh_db, tmp_path / "data")
    return replica, summary


def test_day0_findings_are_exactly_the_injected_defects(fresh_db, tmp_path, day0) -> None:
    replica, summary = day0
    truth = build_truth(Corpus(300, 0, 0), replica.base_url)
    expected = {_key(d) for d in truth["defects"]}
    found = open_findings(fresh_db)
    assert not summary.broken_rules, summary.broken_rules
    assert found - expected == set(), f"false alarms: {sorted(found - expected)}"
    assert expected - found == set(), f"missed: {sorted(expected - found)}"
    timing = [d for d in truth["not_evaluable"] if d["rule_id"].startswith("timing.")]
    assert summary.results["timing.calendar_coverage"].not_evaluable == len(timing)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT rule_id, content_id FROM qa.not_evaluable WHERE check_run_id = %s",
                    (summary.check_run_id,))  # fmt: skip
        assert {(r, c) for r, c in cur.fetchall()} == {(d["rule_id"], d["content_id"]) for d in truth["not_evaluable"]}
        cur.execute("SELECT count(*) FROM qa.findings WHERE evidence ? 'capture_id' AND content_id IS NOT NULL")
        assert cur.fetchone()[0] == len([k for k in expected if isinstance(k[1], int)])


def test_day1_closes_fixed_opens_new_and_closes_removed(fresh_db, tmp_path, replica_at, day0, crawl_run) -> None:
    replica, _ = day0
    with replica.day(1):
        crawl_run(replica, fresh_db, tmp_path / "data", full=True)
        summary = check(fresh_db, tmp_path / "data")
    truth1 = build_truth(Corpus(300, 1, 0), replica.base_url)
    found, expected = open_findings(fresh_db), {_key(d) for d in truth1["defects"]}
    assert found == expected, f"false alarms {sorted(found - expected)}, missed {sorted(expected - found)}"
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        closed = {(f["rule_id"], f.get("content_id"), f["close_reason"]) for f in query_findings(cur)
                  if f["closed_at"]}  # fmt: skip
    assert ("format.doc_number", 9100101, "passed") in closed  # 文号 brackets corrected
    assert ("attachment.pdf", 9100502, "passed") in closed  # the PDF answers again
    assert ("validity.repealed_still_valid", 9100801, "passed") in closed
    assert ("format.index_number", 9100401, "removed") in closed  # the item was taken down
    assert summary.findings.opened >= 4  # 9101004's 文号, the late interpretation, two columns gone stale
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        changed = query_findings(cur, open_only=True, rule="stability.key_fields_changed")
    versions = next(f["evidence"]["versions"] for f in changed if f["content_id"] == 9101001)
    assert versions["changed"] == ["written_date"]  # both versions of the 成文日期 are shown
    assert (versions["first"]["written_date"], versions["current"]["written_date"]) == ("2023-03-01", "2023-02-27")


def test_findings_command_shape_and_data_docs_on_disk(fresh_db, tmp_path, day0) -> None:
    _, summary = day0
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        rows = query_findings(cur, open_only=True, rule="format.doc_number")
    keys = {"rule_id", "content_id", "url", "opened_at", "closed_at", "evidence"}
    assert rows and all(keys <= r.keys() for r in rows)
    assert summary.data_docs and summary.data_docs.startswith("file://")
    index = Path(summary.data_docs.removeprefix("file://"))
    assert index.is_file()
    pages = list(index.parent.rglob("*.html"))
    text = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    assert "disclosure_items" in text and "disclosure_columns" in text
    assert "9100101" in text  # a failing expectation lists the offending item


def test_committed_suites_match_the_rule_catalogue(database_url, tmp_path) -> None:
    build_project(tmp_path / "expectations", database_url, tmp_path / "runtime")

    def suites(root: Path) -> dict:
        out = {}
        for f in sorted((root / "gx" / "expectations").glob("*.json")):
            doc = json.loads(f.read_text("utf-8"))
            text = json.dumps(doc, ensure_ascii=False, sort_keys=True)
            out[f.name] = re.sub(r'"id": "[0-9a-f-]{36}"', '"id": "-"', text)
        return out

    assert suites(tmp_path / "expectations") == suites(REPO / "expectations"), (
        "expectations/ is out of date with the rule catalogue: run `disclosure-audit suites build` and review"
    )


def test_the_interpretation_lag_unit_is_a_setting_not_code(fresh_db, tmp_path, day0) -> None:
    # 9100711 came 4 calendar days after its document (2023-06-01 Thu → 06-05 Mon): 2 working days
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT interpretation_lag_days FROM qa.item_facts_live WHERE content_id = 9100711")
        assert cur.fetchone()[0] == 4
        cur.execute("INSERT INTO qa.rule_overrides (rule_id, params) VALUES ('timing.interpretation_lag', "
                    "'{\"unit\": \"workdays\"}')")  # fmt: skip
        cur.execute("SELECT interpretation_lag_days FROM qa.item_facts_live WHERE content_id = 9100711")
        assert cur.fetchone()[0] == 2


def test_crawled_markup_is_escaped_in_data_docs_and_kept_as_shown_in_findings(fresh_db, tmp_path, day0) -> None:
    # GX writes the values it shows into Data Docs HTML as they are: crawled text must arrive escaped
    script = "<script>alert(1)</script>"
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE core.items SET title = %s, raw = jsonb_set(raw, '{doc_number}', to_jsonb(%s::text)) "
            "WHERE content_id = 9100102",
            (f"关于{script}的通知", f"合震({script})5号"),
        )
    summary = run_checks(fresh_db, tmp_path / "data", REPO / "expectations")
    pages = Path(summary.data_docs.removeprefix("file://")).parent.rglob("*.html")
    text = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    assert "9100102" in text and script not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        rows = query_findings(cur, open_only=True, rule="format.doc_number")
    evidence = next(r["evidence"] for r in rows if r["content_id"] == 9100102)
    assert evidence["found"] == f"合震({script})5号" and evidence["title"] == f"关于{script}的通知"
