"""The rectification ledger (整改台账): campaigns as phases, each finding's status per phase, XLSX, JSON, CLI.

Findings are inserted directly with chosen Beijing times, around the phase boundaries, into a fresh database:
the seed campaign 六提六促专项行动 (two phases, both in 2020: every status but 整改中, whose deadline cannot
lie ahead) and a test campaign of three phases, the last one ending in 2099 (整改中).
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import psycopg2
import pytest

from disclosure_audit.checks.run import sync_rules
from disclosure_audit.cli import main
from disclosure_audit.report.campaign import (
    COUNT_KEYS,
    LEDGER_HEADERS,
    PHASE_HEADERS,
    SUMMARY_HEADERS,
    CampaignError,
    campaign_ledger,
    http_url,
    list_campaigns,
    write_campaign_xlsx,
)

BJ = ZoneInfo("Asia/Shanghai")
SEED = "六提六促专项行动"
TEST = "测试专项行动"
QUAKE = "合肥市地震局"
EDU = "合肥市教育局"
DOC, SPACE, EMPTY = "format.doc_number", "format.whitespace", "freshness.column_empty"
ON_TIME, LATE, OVERDUE, IN_PROGRESS, REMOVED = "按期整改", "逾期整改", "逾期未改", "整改中", "已删除"
EVIL_TITLE = '=HYPERLINK("http://evil.example/","点我")'


def bj(text: str) -> datetime:
    """A Beijing wall-clock time."""
    return datetime.fromisoformat(text).replace(tzinfo=BJ)


# content id -> (organ id, url, title, removed)
ITEMS = {
    101: (1, "http://127.0.0.1/public/1/101.html", "关于做好防震减灾工作的通知", False),
    102: (1, "javascript:alert(1)", EVIL_TITLE, False),
    103: (1, "https://127.0.0.1/public/1/103.html", "=1+1", False),
    104: (1, "http://127.0.0.1/public/1/104.html", "地震应急预案", False),
    105: (1, "http://127.0.0.1/public/1/105.html", "旧问题", False),
    106: (1, "http://127.0.0.1/public/1/106.html", "六月问题", False),
    107: (1, "http://127.0.0.1/public/1/107.html", "三月问题", False),
    108: (1, "http://127.0.0.1/public/1/108.html", "三月未改", False),
    109: (1, "http://127.0.0.1/public/1/109.html", "一月撤下", True),
    110: (1, "http://127.0.0.1/public/1/110.html", "一月整改", False),
    201: (2, "http://127.0.0.1/public/2/201.html", "教育局撤下", True),
    202: (2, "http://127.0.0.1/public/2/202.html", "跨年撤下", True),
    203: (2, "http://127.0.0.1/public/2/203.html", "二月问题", False),
}

# key -> (org, rule, content id or None (column rule), opened, closed, close reason); Beijing times
FINDINGS = {
    "F1": (QUAKE, DOC, 101, "2020-06-01 09:00", "2020-07-10 23:30", "passed"),  # on the deadline day, late evening
    "F2": (QUAKE, DOC, 102, "2020-06-15 10:00", "2020-07-11 00:30", "passed"),  # UTC still 07-10: late all the same
    "F3": (QUAKE, SPACE, 103, "2020-06-20 08:00", None, None),
    "F4": (EDU, DOC, 201, "2020-06-12 08:00", "2020-06-30 08:00", "removed"),
    "F5": (EDU, EMPTY, None, "2020-08-01 08:00", "2021-03-01 08:00", "passed"),
    "F6": (EDU, SPACE, 202, "2020-12-31 23:59", "2021-01-01 00:10", "removed"),
    "F7": (QUAKE, DOC, 104, "2020-07-11 00:30", None, None),  # UTC 07-10, Beijing after phase 1
    "F8": (QUAKE, DOC, 105, "2020-05-01 08:00", "2020-06-09 23:00", "passed"),  # fixed before any phase
    "F9": (QUAKE, DOC, 106, "2020-07-05 08:00", "2020-07-09 08:00", "passed"),
    "F10": (EDU, DOC, 203, "2021-02-10 08:00", None, None),
    "F11": (QUAKE, SPACE, 107, "2021-03-05 08:00", "2021-04-01 08:00", "passed"),
    "F12": (QUAKE, DOC, 108, "2021-03-10 08:00", None, None),
    "F13": (QUAKE, DOC, 109, "2021-01-15 08:00", "2021-01-20 08:00", "removed"),
    "F14": (QUAKE, DOC, 110, "2021-01-05 08:00", "2021-01-31 12:00", "passed"),
}

TEST_PHASES = [
    (1, "第一阶段 自查", "2021-01-01", "2021-01-31"),
    (2, "第二阶段 整改", "2021-02-01", "2021-02-28"),
    (3, "第三阶段 巩固提升", "2021-03-01", "2099-12-31"),
]

# (campaign, phase) -> {finding: (status, found in the phase)}, computed by hand from FINDINGS
EXPECTED = {
    (SEED, 1): {
        "F1": (ON_TIME, False),
        "F2": (LATE, True),
        "F3": (OVERDUE, True),
        "F4": (REMOVED, True),
        "F9": (ON_TIME, True),
    },
    (SEED, 2): {
        "F1": (ON_TIME, False),  # closed on 07-10, the first day of phase 2 as well
        "F2": (ON_TIME, False),
        "F3": (OVERDUE, False),
        "F5": (LATE, True),
        "F6": (REMOVED, True),
        "F7": (OVERDUE, True),
    },
    (TEST, 1): {
        "F3": (OVERDUE, False),
        "F5": (LATE, False),
        "F6": (REMOVED, False),
        "F7": (OVERDUE, False),
        "F13": (REMOVED, True),
        "F14": (ON_TIME, True),
    },
    (TEST, 2): {"F3": (OVERDUE, False), "F5": (LATE, False), "F7": (OVERDUE, False), "F10": (OVERDUE, True)},
    (TEST, 3): {
        "F3": (IN_PROGRESS, False),
        "F5": (ON_TIME, False),
        "F7": (IN_PROGRESS, False),
        "F10": (IN_PROGRESS, False),
        "F11": (ON_TIME, True),
        "F12": (IN_PROGRESS, True),
    },
}


def _counts(**kw: int) -> dict[str, int]:
    return {k: kw.get(k, 0) for k in COUNT_KEYS}


# report.campaign_summary of the seed campaign, by hand: (phase, org, rule) -> counts
SEED_SUMMARY = {
    (1, QUAKE, DOC): _counts(fixed_on_time=2, fixed_late=1, found_in_phase=2, total=3),
    (1, QUAKE, SPACE): _counts(overdue=1, found_in_phase=1, total=1),
    (1, EDU, DOC): _counts(removed=1, found_in_phase=1, total=1),
    (2, QUAKE, DOC): _counts(fixed_on_time=2, overdue=1, found_in_phase=1, total=3),
    (2, QUAKE, SPACE): _counts(overdue=1, total=1),
    (2, EDU, EMPTY): _counts(fixed_late=1, found_in_phase=1, total=1),
    (2, EDU, SPACE): _counts(removed=1, found_in_phase=1, total=1),
}
TEST_BY_PHASE = {
    1: _counts(fixed_on_time=1, fixed_late=1, overdue=2, removed=2, found_in_phase=2, total=6),
    2: _counts(fixed_late=1, overdue=3, found_in_phase=1, total=4),
    3: _counts(fixed_on_time=2, in_progress=4, found_in_phase=2, total=6),
}


@pytest.fixture
def ledger_db(fresh_db: str) -> tuple[str, dict[str, int]]:
    """The fresh database with the items and findings above and the test campaign; (URL, key -> finding id)."""
    ids: dict[str, int] = {}
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        sync_rules(cur)
        cur.execute("INSERT INTO core.sites (base_url) VALUES ('http://127.0.0.1') RETURNING site_id")
        site = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO core.crawl_runs (site_id, mode, orgs, status, finished_at) "
            "VALUES (%s, 'full', %s, 'succeeded', now()) RETURNING run_id",
            (site, [QUAKE, EDU]),
        )
        run = cur.fetchone()[0]
        for organ, name in ((1, QUAKE), (2, EDU)):
            cur.execute(
                "INSERT INTO core.orgs (site_id, organ_id, name, url) VALUES (%s, %s, %s, %s)",
                (site, organ, name, f"http://127.0.0.1/public/{organ}/"),
            )
        for content_id, (organ, url, title, removed) in ITEMS.items():
            cur.execute(
                "INSERT INTO core.items (site_id, content_id, organ_id, type, cat_id, url, list_title, list_signature, "
                "title, version, first_seen_run, last_seen_run, removed_at, removed_run) "
                "VALUES (%s, %s, %s, 4, 1, %s, %s, 'sig', %s, 1, %s, %s, "
                "CASE WHEN %s THEN now() END, CASE WHEN %s THEN %s::bigint END)",
                (site, content_id, organ, url, title, title, run, run, removed, removed, run),
            )
        cur.execute(
            "INSERT INTO qa.check_runs (site_id, crawl_run_id, status) VALUES (%s, %s, 'succeeded') "
            "RETURNING check_run_id",
            (site, run),
        )
        check = cur.fetchone()[0]
        for key, (org, rule, content_id, opened, closed, reason) in FINDINGS.items():
            subject = str(content_id) if content_id is not None else f"{org}/政策文件"
            cur.execute(
                "INSERT INTO qa.findings (site_id, rule_id, subject, content_id, org, column_name, opened_run, "
                "opened_at, last_seen_run, last_seen_at, closed_run, closed_at, close_reason, evidence) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '{}') RETURNING finding_id",
                (site, rule, subject, content_id, org, None if content_id else "政策文件", check, bj(opened), check,
                 bj(opened), check if closed else None, bj(closed) if closed else None, reason),
            )  # fmt: skip
            ids[key] = cur.fetchone()[0]
        for order, name, starts, ends in TEST_PHASES:
            cur.execute(
                "INSERT INTO qa.campaigns (campaign, phase_order, name, starts_on, ends_on, description) "
                "VALUES (%s, %s, %s, %s, %s, '测试 / test')",
                (TEST, order, name, starts, ends),
            )
    return fresh_db, ids


def _statuses(ledger: dict, ids: dict[str, int]) -> dict[int, dict[str, tuple[str, bool]]]:
    key_of = {v: k for k, v in ids.items()}
    out: dict[int, dict[str, tuple[str, bool]]] = {}
    for row in ledger["rows"]:
        out.setdefault(row["phase_order"], {})[key_of[row["finding_id"]]] = (row["status"], row["found_in_phase"])
    return out


def test_migration_keeps_the_seed_phases_as_one_campaign(ledger_db) -> None:
    db, _ = ledger_db
    with psycopg2.connect(db) as conn:
        known = list_campaigns(conn)
        with conn.cursor() as cur:
            cur.execute(
                "SELECT campaign_id, campaign, phase_order, name FROM qa.campaigns WHERE campaign = %s", (SEED,)
            )
            seed = sorted(cur.fetchall())
            # a phase name is unique within its campaign only
            cur.execute(
                "INSERT INTO qa.campaigns (campaign, phase_order, name, starts_on, ends_on) "
                "VALUES ('另一专项行动', 1, '第一阶段 自查', '2022-01-01', '2022-02-01')"
            )
            with pytest.raises(psycopg2.errors.UniqueViolation):
                cur.execute(
                    "INSERT INTO qa.campaigns (campaign, phase_order, name, starts_on, ends_on) "
                    "VALUES ('另一专项行动', 1, '第二阶段', '2022-01-01', '2022-02-01')"
                )
            conn.rollback()
    assert seed == [(1, SEED, 1, "六提六促 第一阶段 问题整改"), (2, SEED, 2, "六提六促 第二阶段 全面提升")]
    assert [c["campaign"] for c in known] == sorted([SEED, TEST])
    test = next(c for c in known if c["campaign"] == TEST)
    assert [(p["phase_order"], p["phase"], p["starts_on"], p["ends_on"]) for p in test["phases"]] == TEST_PHASES


def test_every_status_of_the_seed_campaign_by_hand(ledger_db) -> None:
    db, ids = ledger_db
    with psycopg2.connect(db) as conn:
        ledger = campaign_ledger(conn, SEED)
    assert ledger["campaign"] == SEED
    assert [(p["phase_order"], p["starts_on"], p["ends_on"]) for p in ledger["phases"]] == [
        (1, "2020-06-10", "2020-07-10"),
        (2, "2020-07-10", "2020-12-31"),
    ]
    assert _statuses(ledger, ids) == {1: EXPECTED[(SEED, 1)], 2: EXPECTED[(SEED, 2)]}
    summary = {(s["phase_order"], s["org"], s["rule_id"]): {k: s[k] for k in COUNT_KEYS} for s in ledger["summary"]}
    assert summary == SEED_SUMMARY
    # the per-phase, per-org and per-rule summaries add up to the same
    for by, key in (("by_org", "org"), ("by_rule", "rule_id")):
        for entry in ledger[by]:
            parts = [v for (phase, org, rule), v in SEED_SUMMARY.items()
                     if phase == entry["phase_order"] and (org if key == "org" else rule) == entry[key]]  # fmt: skip
            assert {k: entry[k] for k in COUNT_KEYS} == {k: sum(p[k] for p in parts) for k in COUNT_KEYS}
    assert [p["total"] for p in ledger["by_phase"]] == [5, 6]

    rows = {(r["phase_order"], r["finding_id"]): r for r in ledger["rows"]}
    f2 = rows[(1, ids["F2"])]
    assert f2["status_en"] == "fixed late" and f2["closed_on"] == "2020-07-11"
    assert f2["opened_at"] == "2020-06-15T10:00:00+08:00"
    assert (f2["url"], f2["title"], f2["rule_title"], f2["severity"]) == ("javascript:alert(1)", EVIL_TITLE,
                                                                          "文号格式规范", "error")  # fmt: skip
    f5 = rows[(2, ids["F5"])]
    assert (f5["content_id"], f5["url"], f5["org"], f5["column_name"]) == (None, None, EDU, "政策文件")
    assert rows[(2, ids["F6"])]["opened_on"] == "2020-12-31"


def test_in_progress_and_three_phases_of_a_campaign_of_our_own(ledger_db) -> None:
    db, ids = ledger_db
    with psycopg2.connect(db) as conn:
        ledger = campaign_ledger(conn, f"  {TEST} ")
    assert _statuses(ledger, ids) == {n: EXPECTED[(TEST, n)] for n in (1, 2, 3)}
    assert {p["phase_order"]: {k: p[k] for k in COUNT_KEYS} for p in ledger["by_phase"]} == TEST_BY_PHASE
    by_org = {
        (o["phase_order"], o["org"]): (o["in_progress"], o["fixed_on_time"], o["total"]) for o in ledger["by_org"]
    }
    assert by_org[(3, QUAKE)] == (3, 1, 4) and by_org[(3, EDU)] == (1, 1, 2)
    assert {s["status"] for s in ledger["statuses"]} == {ON_TIME, LATE, OVERDUE, IN_PROGRESS, REMOVED}
    assert {r["status"] for r in ledger["rows"]} == {ON_TIME, LATE, OVERDUE, IN_PROGRESS, REMOVED}


def test_an_unknown_campaign_is_a_clear_error_naming_the_known_ones(ledger_db) -> None:
    db, _ = ledger_db
    with psycopg2.connect(db) as conn, pytest.raises(CampaignError) as err:
        campaign_ledger(conn, "七提七促")
    message = str(err.value)
    assert "没有名为 '七提七促' 的专项行动" in message and "no campaign named" in message
    assert SEED in message and TEST in message


def test_the_workbook_has_headers_rows_safe_links_and_text_titles(ledger_db, tmp_path) -> None:
    db, ids = ledger_db
    with psycopg2.connect(db) as conn:
        ledger = campaign_ledger(conn, SEED)
    path = write_campaign_xlsx(ledger, tmp_path / "out" / "台账.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总", "台账", "阶段"]
    summary, rows, phases = wb["汇总"], wb["台账"], wb["阶段"]
    for ws, headers in ((summary, SUMMARY_HEADERS), (rows, LEDGER_HEADERS), (phases, PHASE_HEADERS)):
        assert [c.value for c in ws[1]] == list(headers)
        assert ws.freeze_panes == "A2"
    assert summary.max_row - 1 == len(ledger["summary"]) == len(SEED_SUMMARY)
    col = {h: i for i, h in enumerate(SUMMARY_HEADERS)}
    got = {
        (r[col["阶段序号 phase no."]], r[col["机关 organisation"]], r[col["规则 rule"]]): r[col["合计 total"]]
        for r in summary.iter_rows(min_row=2, values_only=True)
    }
    assert got == {k: v["total"] for k, v in SEED_SUMMARY.items()}
    assert [r[6:] for r in phases.iter_rows(min_row=2, values_only=True)] == [
        (2, 1, 1, 0, 1, 4, 5),
        (2, 1, 2, 0, 1, 3, 6),
    ]

    assert rows.max_row - 1 == len(ledger["rows"]) == 11
    col = {h: i + 1 for i, h in enumerate(LEDGER_HEADERS)}
    by_finding = {
        (rows.cell(r, col["阶段序号 phase no."]).value, rows.cell(r, col["问题编号 finding id"]).value): r
        for r in range(2, rows.max_row + 1)
    }
    f1 = by_finding[(1, ids["F1"])]
    link = rows.cell(f1, col["链接 link"])
    assert link.value == ITEMS[101][1] and link.hyperlink is not None and link.hyperlink.target == ITEMS[101][1]
    assert rows.cell(f1, col["状态 status"]).value == "按期整改 fixed on time"
    opened = rows.cell(f1, col["发现时间（北京时间）opened at"]).value
    assert opened == datetime(2020, 6, 1, 9, 0)  # Beijing wall clock
    assert rows.cell(f1, col["关闭时间（北京时间）closed at"]).value == datetime(2020, 7, 10, 23, 30)

    f2 = by_finding[(1, ids["F2"])]
    assert rows.cell(f2, col["链接 link"]).value == "javascript:alert(1)"
    assert rows.cell(f2, col["链接 link"]).hyperlink is None
    title = rows.cell(f2, col["标题 title"])
    assert title.value == EVIL_TITLE and title.data_type == "s"
    f3 = by_finding[(1, ids["F3"])]
    assert rows.cell(f3, col["标题 title"]).value == "=1+1"
    assert rows.cell(f3, col["链接 link"]).hyperlink.target == ITEMS[103][1]  # https is a link too
    assert rows.cell(by_finding[(2, ids["F5"])], col["链接 link"]).value is None
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in z.read(name).decode("utf-8"), f"{name} holds a formula"
        links = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".rels"))
    assert "javascript:" not in links


def test_http_url_accepts_only_absolute_http_links() -> None:
    assert http_url("http://a.example/x") == "http://a.example/x"
    assert http_url(" HTTPS://a.example/ ") == "HTTPS://a.example/"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:x", "data:text/html,x", "/public/1.html", "http:///x",
                "http://a.example/\nx", None, 5, ""):  # fmt: skip
        assert http_url(bad) is None, bad


def test_the_cli_writes_json_lines_xlsx_and_lists_campaigns(ledger_db, tmp_path, monkeypatch, capsys) -> None:
    db, ids = ledger_db
    monkeypatch.setenv("DISCLOSURE_DATABASE_URL", db)
    assert main(["report", "campaign", "--name", SEED]) == 0
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    kinds = [r["record"] for r in records]
    assert kinds.count("phase") == 2 and kinds.count("ledger") == 11 and kinds.count("summary") == len(SEED_SUMMARY)
    assert all(r["campaign"] == SEED for r in records)
    ledger_rows = {(r["phase_order"], r["finding_id"]): r["status"] for r in records if r["record"] == "ledger"}
    assert ledger_rows[(2, ids["F7"])] == OVERDUE
    assert "整改台账" in err and "逾期未改" in err

    target = tmp_path / "ledger.xlsx"
    assert main(["report", "campaign", "--name", TEST, "-o", str(target)]) == 0
    out, _ = capsys.readouterr()
    assert f"写入 wrote {target}" in out
    assert openpyxl.load_workbook(target)["台账"].max_row - 1 == sum(
        len(v) for k, v in EXPECTED.items() if k[0] == TEST
    )

    target = tmp_path / "ledger.jsonl"
    assert main(["report", "campaign", "--name", TEST, "--format", "json", "-o", str(target)]) == 0
    capsys.readouterr()
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert sum(r["record"] == "ledger" for r in lines) == 16

    assert main(["report", "campaigns"]) == 0
    out, _ = capsys.readouterr()
    assert SEED in out and TEST in out and "六提六促 第二阶段 全面提升" in out and "2099-12-31" in out

    assert main(["report", "campaign", "--name", "七提七促"]) == 1
    _, err = capsys.readouterr()
    assert err.startswith("disclosure-audit: error: 没有名为") and SEED in err
    assert main(["report", "campaign", "--name", SEED, "--format", "xlsx"]) == 1
    assert "needs -o FILE" in capsys.readouterr().err


def test_report_reader_reads_the_ledger_but_cannot_change_campaigns(ledger_db) -> None:
    db, _ = ledger_db
    conn = psycopg2.connect(db)
    try:
        with conn.cursor() as cur:
            cur.execute("SET ROLE report_reader")
            cur.execute("SELECT count(*) FROM report.campaign_ledger WHERE campaign = %s", (SEED,))
            assert cur.fetchone()[0] == 11
            cur.execute("SELECT sum(total) FROM report.campaign_summary WHERE campaign = %s", (TEST,))
            assert cur.fetchone()[0] == 16
        conn.rollback()
        for statement in (
            "INSERT INTO qa.campaigns (campaign, phase_order, name, starts_on, ends_on) "
            "VALUES ('x', 1, 'x', '2020-01-01', '2020-01-02')",
            "UPDATE qa.campaigns SET ends_on = '2030-01-01'",
            "DELETE FROM qa.campaigns",
            "SELECT count(*) FROM qa.campaigns",
        ):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn.cursor() as cur:
                cur.execute("SET ROLE report_reader")
                try:
                    cur.execute(statement)
                finally:
                    conn.rollback()
    finally:
        conn.close()
