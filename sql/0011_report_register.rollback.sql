-- Undo 0011_report_register: drop the register tables (their rows go with them).

DROP TABLE IF EXISTS report.supplied_figures;
DROP TABLE IF EXISTS report.applications;
DROP TABLE IF EXISTS report.register_scopes;
DROP TABLE IF EXISTS report.register_imports;
