-- The role is shared by the cluster's databases: only this database's objects and grants go.
-- Frozen years are dropped with their tables: take a dump first if they matter.
DROP TABLE IF EXISTS report.frozen_figure_items;
DROP TABLE IF EXISTS report.frozen_reports;
DROP FUNCTION IF EXISTS report.lineage_only_while_freezing();
DROP FUNCTION IF EXISTS report.refuse_frozen_change();
DROP VIEW IF EXISTS report.unread_columns;
DROP VIEW IF EXISTS report.findings_summary;
DROP VIEW IF EXISTS report.ontime_rates;
DROP VIEW IF EXISTS report.published_by_kind;
DROP VIEW IF EXISTS report.published_items;
DROP VIEW IF EXISTS report.table2_register;
DROP VIEW IF EXISTS report.register_figure_items;
DROP VIEW IF EXISTS report.register_documents;
DROP TABLE IF EXISTS report.publication_kinds;
DROP TABLE IF EXISTS report.register_rows;
ALTER DEFAULT PRIVILEGES IN SCHEMA report REVOKE SELECT ON TABLES FROM report_reader;
REVOKE SELECT ON ALL TABLES IN SCHEMA report FROM report_reader;
REVOKE USAGE ON SCHEMA report FROM report_reader;
DELETE FROM qa.finding_observations WHERE finding_id IN (SELECT finding_id FROM qa.findings WHERE rule_id LIKE 'report.%');
DELETE FROM qa.findings WHERE rule_id LIKE 'report.%';
DELETE FROM qa.rules WHERE level = 'report';
DELETE FROM qa.not_evaluable WHERE check_run_id IN (SELECT check_run_id FROM qa.check_runs WHERE kind = 'report');
DELETE FROM qa.check_runs WHERE kind = 'report' AND NOT EXISTS (SELECT 1 FROM qa.findings f WHERE f.opened_run = check_run_id OR f.last_seen_run = check_run_id OR f.closed_run = check_run_id);
ALTER TABLE qa.check_runs DROP COLUMN kind;
ALTER TABLE qa.rules DROP CONSTRAINT rules_level_check;
ALTER TABLE qa.rules ADD CONSTRAINT rules_level_check CHECK (level IN ('item', 'column', 'run', 'event'));
