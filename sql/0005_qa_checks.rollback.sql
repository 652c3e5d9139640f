DROP TABLE IF EXISTS qa.campaigns, qa.not_evaluable, qa.finding_observations, qa.findings, qa.results,
    qa.check_runs;
DROP MATERIALIZED VIEW IF EXISTS qa.column_facts, qa.item_facts;
DROP VIEW IF EXISTS qa.column_facts_live, qa.item_facts_live, qa.site_as_of, qa.rule_params;
DROP FUNCTION IF EXISTS qa.stray_whitespace(text);
DROP FUNCTION IF EXISTS qa.html_escape(text);
DROP TABLE IF EXISTS qa.rule_overrides, qa.rules;
