DROP MATERIALIZED VIEW IF EXISTS qa.column_facts;
CREATE MATERIALIZED VIEW qa.column_facts AS SELECT * FROM qa.column_facts_live;
DROP MATERIALIZED VIEW IF EXISTS qa.item_facts;
CREATE MATERIALIZED VIEW qa.item_facts AS SELECT * FROM qa.item_facts_live;
CREATE UNIQUE INDEX item_facts_key ON qa.item_facts (site_id, content_id);
ALTER TABLE core.sites DROP COLUMN IF EXISTS audited;
