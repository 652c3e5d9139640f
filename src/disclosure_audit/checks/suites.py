"""Which Great Expectations expectations state each rule, over which facts view.

This table is the one place where rules meet expectations. `disclosure-audit check build`
writes the suites from it into expectations/ as JSON (reviewed and committed); a test keeps the
committed files equal to what this table generates. Thresholds are suite parameters
(`{"$PARAMETER": "<rule id>.<name>"}`) filled from qa.rule_params at run time, so a changed
setting needs no code change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from disclosure_audit import rules

ITEMS_SUITE = "disclosure_items"
COLUMNS_SUITE = "disclosure_columns"
RUNS_SUITE = "disclosure_runs"
# Both facts views carry these, so one checkpoint lists the offending rows of either (id, title, URL).
INDEX_COLUMNS = ["site_id", "subject", "title", "url"]


@dataclass(frozen=True)
class Check:
    """One expectation stating (part of) one rule."""

    rule_id: str
    expectation: str  # GX expectation class name
    kwargs: dict = field(default_factory=dict)
    fact: str = ""  # the facts column judged

    @property
    def suite(self) -> str:
        level = rules.get(self.rule_id).level
        return {"column": COLUMNS_SUITE, "run": RUNS_SUITE}.get(level, ITEMS_SUITE)


def _true(rule_id: str, column: str) -> Check:
    return Check(rule_id, "ExpectColumnValuesToBeInSet", {"column": column, "value_set": [True]}, column)


def parameter_name(rule_id: str, name: str) -> str:
    """GX reads a suite parameter's name as an expression: no dots, so `timing.publish_lag` + `max_workdays`
    becomes `timing_publish_lag__max_workdays`."""
    return f"{rule_id.replace('.', '_')}__{name}"


def _param(rule_id: str, name: str) -> dict:
    return {"$PARAMETER": parameter_name(rule_id, name)}


CHECKS: tuple[Check, ...] = (
    _true("completeness.policy_fields", "policy_fields_ok"),
    _true("completeness.item_fields", "item_fields_ok"),
    _true("completeness.issuer_full_name", "issuer_full_name_ok"),
    Check("format.doc_number", "ExpectColumnValuesToMatchRegex",
          {"column": "doc_number_compact", "regex": _param("format.doc_number", "pattern")}, "doc_number_compact"),
    _true("format.date", "dates_parseable"),
    _true("format.whitespace", "whitespace_ok"),
    # a boolean fact, not ExpectColumnPairValuesToBeEqual: GX 1.24 drops ignore_row_if from that
    # expectation's index query, which would list items without a 名称 as failing
    _true("format.title_match", "name_matches_title"),
    Check("format.index_number", "ExpectColumnValuesToMatchRegex",
          {"column": "index_number_shown", "regex": _param("format.index_number", "pattern")}, "index_number_shown"),
    _true("format.index_number_unique", "index_number_unique"),
    _true("attachment.pdf", "pdf_attachment_ok"),
    _true("linkage.interpretation", "interpretation_link_ok"),
    _true("linkage.backlink", "original_link_ok"),
    Check("timing.publish_lag", "ExpectColumnValuesToBeBetween",
          {"column": "publish_lag_workdays", "max_value": _param("timing.publish_lag", "max_workdays")},
          "publish_lag_workdays"),
    _true("timing.calendar_coverage", "publish_lag_evaluable"),
    Check("timing.interpretation_lag", "ExpectColumnValuesToBeBetween",
          {"column": "interpretation_lag_days", "max_value": _param("timing.interpretation_lag", "max_days")},
          "interpretation_lag_days"),
    Check("timing.date_order", "ExpectColumnValuesToBeBetween",
          {"column": "publish_minus_written_days", "min_value": 0}, "publish_minus_written_days"),
    Check("timing.date_order", "ExpectColumnValuesToBeBetween",
          {"column": "effective_minus_written_days", "min_value": 0}, "effective_minus_written_days"),
    Check("timing.future_date", "ExpectColumnValuesToBeBetween",
          {"column": "days_after_as_of", "max_value": 0}, "days_after_as_of"),
    _true("validity.repealed_still_valid", "not_repealed_while_valid"),
    _true("validity.register_complete", "register_complete"),
    _true("stability.key_fields_changed", "key_fields_unchanged"),
    Check("freshness.column_empty", "ExpectColumnValuesToBeBetween", {"column": "item_count", "min_value": 1},
          "item_count"),
    Check("freshness.column_stale", "ExpectColumnValuesToBeBetween",
          {"column": "news_age_days", "max_value": _param("freshness.column_stale", "news_days")}, "news_age_days"),
    Check("freshness.column_stale", "ExpectColumnValuesToBeBetween",
          {"column": "policy_age_days", "max_value": _param("freshness.column_stale", "policy_days")},
          "policy_age_days"),
    # the crawl's health: one row per site, its latest crawl run (qa.run_facts)
    Check("availability.site", "ExpectColumnValuesToBeBetween",
          {"column": "failed_share", "max_value": _param("availability.site", "max_failed_share")}, "failed_share"),
    Check("availability.site", "ExpectColumnValuesToBeBetween",
          {"column": "slow_share", "max_value": _param("availability.site", "max_slow_share")}, "slow_share"),
    Check("availability.site", "ExpectColumnValuesToBeBetween",
          {"column": "unrecognised_share", "max_value": _param("availability.site", "max_unrecognised_share")},
          "unrecognised_share"),
    Check("availability.site", "ExpectColumnValuesToBeBetween",
          {"column": "challenge_failures", "max_value": _param("availability.site", "max_challenge_failures")},
          "challenge_failures"),
    Check("availability.site", "ExpectColumnValuesToBeBetween",
          {"column": "unreadable_columns", "max_value": _param("availability.site", "max_unreadable_columns")},
          "unreadable_columns"),
)  # fmt: skip

# A failure of these is a status ("not evaluable"), never a finding.
STATUS_RULES = frozenset({"timing.calendar_coverage"})
# Rules recorded elsewhere: change events as versions; the annual report's identities by report.findings.
NOT_EXPECTATIONS = frozenset({"stability.content_changed", "stability.removed"}) | frozenset(
    r.id for r in rules.RULES if r.level == "report"
)
# Where a rule applies but its fact is NULL, the rule could not judge the subject: (rule, facts view,
# the condition that says the rule applies and could not judge, why). Reported as not evaluable.
NOT_JUDGED = (
    ("attachment.pdf", "qa.item_facts", "kind IN ('policy', 'normative') AND pdf_attachment_ok IS NULL",
     "附件链接未能核验（站外、robots 禁止或尚未核验）/ the attachment links could not be checked "
     "(another host, robots.txt, or not checked yet)"),
    ("linkage.interpretation", "qa.item_facts", "kind = 'normative' AND interpretation_link_ok IS NULL",
     "解读链接指向其他站点或未能核验，未抓取 / the interpretation link points to another host or could not be "
     "checked; it was not fetched"),
    ("linkage.backlink", "qa.item_facts", "kind = 'interpretation' AND original_link_ok IS NULL",
     "原文件链接指向其他站点或未能核验 / the link to the original document points to another host or could not "
     "be checked"),
    ("freshness.column_empty", "qa.column_facts", "NOT readable",
     "栏目列表本次无法读取，不作判断 / the column's list could not be read in the latest crawl: not judged"),
    ("freshness.column_stale", "qa.column_facts", "NOT readable",
     "栏目列表本次无法读取，不作判断 / the column's list could not be read in the latest crawl: not judged"),
)  # fmt: skip


def suite_parameters(params_by_rule: dict[str, dict]) -> dict[str, object]:
    """`{parameter name: value}` for every parameter a suite refers to, from the effective rule settings."""
    out: dict[str, object] = {}
    for check in CHECKS:
        for value in check.kwargs.values():
            if isinstance(value, dict) and "$PARAMETER" in value:
                name = value["$PARAMETER"]
                key = name.split("__", 1)[1]
                params = params_by_rule.get(check.rule_id) or dict(rules.get(check.rule_id).params)
                if key not in params:
                    raise KeyError(f"rule {check.rule_id} has no parameter {key!r} (suite parameter {name})")
                out[name] = params[key]
    return out
