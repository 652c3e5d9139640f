"""The replica's corpus and truth: determinism, scenarios held to their intent, lists, days, scale."""

from __future__ import annotations

import collections
import datetime as dt
import json
import tracemalloc

import chinese_calendar
import holidays
import pytest

from disclosure_audit import rules
from disclosure_audit.replica.corpus import ORGS, Corpus, org_named
from disclosure_audit.replica.reports import INCONSISTENT_REPORT, report_figures
from disclosure_audit.replica.scenarios import SEED_CID, build_specs
from disclosure_audit.replica.text import doc_number_well_formed, index_number_well_formed
from disclosure_audit.replica.truth import TRUTH_ITEM_KEYS, build_truth

BASE = "http://127.0.0.1:8321"


@pytest.fixture(scope="module")
def truth0() -> dict:
    return build_truth(Corpus(300, 0, 0), BASE)


def _defects_by_item(truth: dict) -> dict[int, set[str]]:
    out: dict[int, set[str]] = collections.defaultdict(set)
    for d in truth["defects"]:
        if "content_id" in d:
            out[d["content_id"]].add(d["rule_id"])
    return out


def test_same_seed_gives_the_same_truth_and_another_seed_other_text() -> None:
    a = json.dumps(build_truth(Corpus(300, 1, 7), BASE), ensure_ascii=False)
    b = json.dumps(build_truth(Corpus(300, 1, 7), BASE), ensure_ascii=False)
    assert a == b
    other = build_truth(Corpus(300, 1, 8), BASE)
    assert json.loads(a)["defects"] == other["defects"]  # scenarios do not depend on the seed
    titles_a = {i["content_id"]: i["title"] for i in json.loads(a)["items"]}
    titles_b = {i["content_id"]: i["title"] for i in other["items"]}
    assert titles_a.keys() == titles_b.keys()
    assert sum(titles_a[k] != titles_b[k] for k in titles_a) > 50


def test_items_count_and_keys(truth0: dict) -> None:
    assert len(truth0["items"]) == 300
    ids = [i["content_id"] for i in truth0["items"]]
    assert len(set(ids)) == 300
    for item in truth0["items"]:
        assert set(TRUTH_ITEM_KEYS) <= item.keys()
        assert item["url"] == f"{BASE}/public/{org_named(item['org']).organ_id}/{item['content_id']}.html"


def test_seed_document_has_its_true_metadata(truth0: dict) -> None:
    seed = next(i for i in truth0["items"] if i["content_id"] == SEED_CID)
    assert seed["org"] == "合肥市地震局"
    assert seed["issuer"] == "合肥市地震局"
    assert seed["doc_number"] == "合震〔2020〕24号"
    assert seed["written_date"] == "2020-06-16"
    assert seed["effective_date"] == "2020-06-16"
    assert seed["validity"] == "有效"  # the page shows 现行有效
    assert seed["interpretation_urls"] and seed["attachments"][0].endswith(".pdf")
    item = Corpus(300, 0, 0).item(SEED_CID)
    assert item is not None
    assert item.fields["validity"] == "现行有效"
    assert item.fields["written_date"] == "2020年06月16日"
    assert item.fields["effective_date"] == "2020年06月16日"
    assert item.fields["level"] == "地方规范性文件"
    assert any("六提六促" in p for p in item.body)
    assert not _defects_by_item(truth0)[SEED_CID]


@pytest.mark.parametrize("day", [0, 1, 2])
def test_every_scenario_breaks_exactly_the_rules_it_names(day: int) -> None:
    corpus = Corpus(300, day, 0)
    truth = build_truth(corpus, BASE)
    found = _defects_by_item(truth)
    specs = corpus.all_specs()
    for record in truth["items"]:
        cid = record["content_id"]
        if cid in specs:
            assert found[cid] == set(specs[cid].intent_on(day)), (cid, specs[cid].scenario)
        else:
            assert not found[cid], (cid, record["title"], found[cid])


def test_bulk_items_are_clean_in_a_larger_corpus() -> None:
    corpus = Corpus(3000, 3, 5)
    truth = build_truth(corpus, BASE)
    specs = corpus.all_specs()
    assert all(d["content_id"] in specs for d in truth["defects"] if "content_id" in d)


def test_every_item_and_column_rule_has_a_failing_case() -> None:
    rule_ids = {d["rule_id"] for d in build_truth(Corpus(300, 0, 0), BASE)["defects"]}
    rule_ids |= {d["rule_id"] for d in build_truth(Corpus(300, 1, 0), BASE)["defects"]}
    judged = {
        r.id for r in rules.RULES if r.level in ("item", "column") and r.id != "timing.calendar_coverage"
    }
    assert judged - rule_ids == set()
    assert rule_ids <= set(rules.RULE_IDS)


def test_a_year_without_a_holiday_schedule_is_not_evaluable(truth0: dict) -> None:
    assert {"rule_id": "timing.publish_lag", "content_id": 9100716} in truth0["not_evaluable"]
    assert [d for d in truth0["not_evaluable"] if d["rule_id"].startswith("timing.")] == [
        {"rule_id": "timing.publish_lag", "content_id": 9100716}
    ]
    assert {"rule_id": "timing.future_date", "content_id": 9100716} in truth0["defects"]


def _workdays_after(written: dt.date, published: dt.date, is_workday) -> int:
    n, d = 0, written + dt.timedelta(days=1)
    while d <= published:
        n += bool(is_workday(d))
        d += dt.timedelta(days=1)
    return n


def _holidays_package_workday(years: range):
    """A working-day test built only from the `holidays` package: weekdays that are not days off,
    plus the weekend days it names as make-up days ("Day off (substituted from MM/DD/YYYY)")."""
    cn = holidays.China(years=years)
    makeup = set()
    for name in cn.values():
        for part in name.split(";"):
            if "substituted from" in part:
                m, d, y = part.split("substituted from")[1].strip(" )").split("/")
                makeup.add(dt.date(int(y), int(m), int(d)))
    return lambda day: (day.weekday() < 5 and day not in cn) or day in makeup


def test_stated_working_day_lags_match_the_official_schedules() -> None:
    stated = [s for s in build_specs(0) if s.workday_lag is not None]
    assert len(stated) >= 6
    for s in stated:
        assert s.written is not None
        published = s.publish_at.date()
        assert _workdays_after(s.written, published, chinese_calendar.is_workday) == s.workday_lag, s.cid
        second_opinion = _holidays_package_workday(range(s.written.year, published.year + 1))
        assert _workdays_after(s.written, published, second_opinion) == s.workday_lag, s.cid
        assert (published - s.written).days > 20  # these lags need the calendar, not just counting


def test_lists_are_newest_first_without_gaps_or_duplicates() -> None:
    corpus = Corpus(2000, 2, 0)
    everything = list(corpus.iter_ids())
    assert len(everything) == len(set(everything))
    for org in ORGS:
        for col in org.columns:
            total = corpus.column_size(col)
            paged = []
            for page in range(0, total // 15 + 2):
                paged += corpus.list_ids(col, page * 15, 15)
            assert len(paged) == total == len(set(paged))
            keys = [(corpus.item(c, body=False).publish_at, c) for c in paged]  # type: ignore[union-attr]
            assert keys == sorted(keys, reverse=True), (org.name, col.name)


def test_day_one_removes_adds_and_changes_items() -> None:
    day0, day1 = Corpus(300, 0, 0), Corpus(300, 1, 0)
    truth1 = build_truth(day1, BASE)
    changes = {c["content_id"]: c for c in truth1["changes"]}
    assert changes[9100401]["change"] == "removed" and day1.item(9100401) is None and day0.item(9100401)
    assert changes[9101004]["change"] == "new" and day0.item(9101004) is None
    assert changes[9101003] == {"content_id": 9101003, "change": "metadata", "list_visible": True}
    assert changes[9101002] == {"content_id": 9101002, "change": "content", "list_visible": False}
    assert changes[9100801]["list_visible"]  # the 废止 marker appears
    assert day1.item(9100801).repealed_marker and not day0.item(9100801).repealed_marker  # type: ignore[union-attr]
    new_bulk = [c for c in truth1["changes"] if c["change"] == "new" and c["content_id"] >= 10_000_000]
    assert len(new_bulk) >= 3
    assert len(truth1["items"]) == 300 - 1 + sum(1 for c in truth1["changes"] if c["change"] == "new")
    stale = {(d["org"], d["column"]) for d in truth1["defects"] if d["rule_id"] == "freshness.column_stale"}
    assert ("合肥市教育局", "工作动态") in stale  # 14 days old on day 0, 15 on day 1


def test_items_option_too_small_says_what_is_needed() -> None:
    with pytest.raises(ValueError, match="too small.*use --items"):
        Corpus(50, 0, 0)


def test_a_hundred_thousand_items_serve_without_building_the_corpus() -> None:
    tracemalloc.start()
    corpus = Corpus(100_000, 0, 0)
    col = org_named("合肥市地震局").column_named("工作动态")
    total = corpus.column_size(col)
    last_page = corpus.list_page(col, (total - 1) // 15, 15)
    first_page = corpus.list_page(col, 0, 15)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total > 5000
    assert last_page[-1].publish_at.date() == dt.date(2019, 1, 2)
    assert first_page[0].publish_at >= last_page[-1].publish_at
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


@pytest.mark.parametrize("year", range(2019, 2026))
def test_annual_reports_satisfy_the_format_identities(year: int) -> None:
    for org in ORGS:
        rep = report_figures(0, org, year)
        rows = {label: [int(v) for v in values] for label, values in rep["table3"]["rows"]}
        if (org.organ_id, year) == (INCONSISTENT_REPORT["organ_id"], INCONSISTENT_REPORT["year"]):
            # published with a table error on purpose (tests/report/test_published.py finds it)
            new, carried = rows["一、本年新收政府信息公开申请数量"], rows["二、上年结转政府信息公开申请数量"]
            total, carry_on = rows["三、（七）总计"], rows["四、结转下年度继续办理"]
            broken = [c for c in range(7) if new[c] + carried[c] != total[c] + carry_on[c]]
            assert broken == [0, 6]
            continue
        new, carried = rows["一、本年新收政府信息公开申请数量"], rows["二、上年结转政府信息公开申请数量"]
        total, carry_on = rows["三、（七）总计"], rows["四、结转下年度继续办理"]
        for c in range(7):
            assert new[c] + carried[c] == total[c] + carry_on[c]  # C1
            outcomes = sum(v[c] for k, v in rows.items() if k.startswith("三、（") and k != "三、（七）总计")
            assert outcomes == total[c]  # C2
        for values in rows.values():
            assert values[6] == sum(values[:6])  # C3
        cells = [int(v) for v in rep["table4"]["values"]]
        for g in range(3):
            assert sum(cells[g * 5 : g * 5 + 4]) == cells[g * 5 + 4]  # C4
        if year > 2019:
            last = {k: v for k, v in report_figures(0, org, year - 1)["table3"]["rows"]}
            assert rep["table3"]["rows"][1][1] == last["四、结转下年度继续办理"]  # C5
        assert len(rep["table3"]["rows"]) == (25 if year >= 2021 else 23)


def test_the_bureaus_2021_report_quotes_its_published_figures() -> None:
    rep = report_figures(0, org_named("合肥市地震局"), 2021)
    text = rep["sections"][0][1][0]
    for figure in ("221条", "局文件33条", "审批结果37条", "政策解读16条", "回应关切13条", "其他信息122条"):
        assert figure in text
    assert "未收到政府信息公开申请" in text


def test_the_replica_never_imports_the_code_it_judges() -> None:
    # its truth must come from its own model: a truth computed by the parser or the checks would agree with them
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import disclosure_audit.replica.cli, disclosure_audit.replica.site, disclosure_audit.replica.truth\n"
        "import disclosure_audit.replica.server\n"
        "bad = [m for m in sys.modules if m.startswith(('disclosure_audit.parse', 'disclosure_audit.checks', "
        "'disclosure_audit.crawl', 'disclosure_audit.store', 'disclosure_audit.http', 'disclosure_audit.calendar'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("shown", "well_formed"),
    [
        ("合震〔2020〕24号", True),
        ("合震〔2022〕 11号", True),  # whitespace is format.whitespace's matter, not this one's
        ("合政办秘〔2021〕112号", True),
        ("合震[2021]3号", False),
        ("合财（2022）12号", False),
        ("合科【2023】7号", False),
        ("合震〔2021〕03号", False),
        ("〔2021〕3号", False),
        ("合震〔21〕3号", False),
    ],
)
def test_the_truth_reads_a_doc_number_by_its_own_parts(shown: str, well_formed: bool) -> None:
    assert doc_number_well_formed(shown) is well_formed


@pytest.mark.parametrize(
    ("shown", "well_formed"),
    [
        ("003249538/202006-00012", True),
        ("11340100MB1234567X/202104-00003", True),  # the 18-character credit code
        ("003249546/2021-00015", True),  # the national guideline's year-only form
        ("003249538/2021-6-12", False),
        ("0032495622021060012", False),
        ("00324955X/202113-00004", False),  # month 13
        ("003249538/202100-00001", False),
    ],
)
def test_the_truth_reads_an_index_number_by_its_own_parts(shown: str, well_formed: bool) -> None:
    assert index_number_well_formed(shown) is well_formed
