DROP VIEW IF EXISTS report.normative_register;
DROP FUNCTION IF EXISTS qa.raw_shown(jsonb, text);
DROP FUNCTION IF EXISTS qa.policy_column_kind(text);
DROP TABLE IF EXISTS ref.column_kinds;
DROP TABLE IF EXISTS qa.repeals;
DROP VIEW IF EXISTS qa.link_status;
DROP TABLE IF EXISTS qa.link_checks;
