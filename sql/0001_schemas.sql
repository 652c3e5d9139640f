-- The four schemas of the project. Tables come in later migrations, each in one of these.
-- Applied by `disclosure-audit db migrate` (yoyo-migrations; ledger in public._yoyo_migration).

CREATE SCHEMA IF NOT EXISTS core;
COMMENT ON SCHEMA core IS '采集的信息及其版本历史 / crawled items and their version history';

CREATE SCHEMA IF NOT EXISTS qa;
COMMENT ON SCHEMA qa IS '数据质量检查的结果 / data-quality checks and their results';

CREATE SCHEMA IF NOT EXISTS ref;
COMMENT ON SCHEMA ref IS '参考数据：站点、栏目、节假日等 / reference data: sites, sections, holidays';

CREATE SCHEMA IF NOT EXISTS report;
COMMENT ON SCHEMA report IS '审计报告与指标 / audit reports and metrics';
