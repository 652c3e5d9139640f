-- Undo 0012_campaign_ledger: drop the ledger views and the campaign/phase_order columns of qa.campaigns.
-- Phase names become unique on their own again: if two campaigns have a phase of the same name, rename one
-- first (the rollback fails otherwise, and changes nothing). Rows added since keep their ids.

DROP VIEW IF EXISTS report.campaign_summary;
DROP VIEW IF EXISTS report.campaign_ledger;
ALTER TABLE qa.campaigns DROP CONSTRAINT IF EXISTS campaigns_campaign_phase_order_key;
ALTER TABLE qa.campaigns DROP CONSTRAINT IF EXISTS campaigns_campaign_name_key;
ALTER TABLE qa.campaigns ADD CONSTRAINT campaigns_name_key UNIQUE (name);
ALTER TABLE qa.campaigns DROP CONSTRAINT IF EXISTS campaigns_phase_order_positive;
ALTER TABLE qa.campaigns DROP CONSTRAINT IF EXISTS campaigns_campaign_not_blank;
ALTER TABLE qa.campaigns DROP COLUMN IF EXISTS phase_order;
ALTER TABLE qa.campaigns DROP COLUMN IF EXISTS campaign;
COMMENT ON TABLE qa.campaigns IS '专项行动（可配置的日期区间）/ campaigns: named date ranges to track rectification';
COMMENT ON COLUMN qa.campaigns.campaign_id IS NULL;
COMMENT ON COLUMN qa.campaigns.name IS NULL;
COMMENT ON COLUMN qa.campaigns.starts_on IS NULL;
COMMENT ON COLUMN qa.campaigns.ends_on IS NULL;
COMMENT ON COLUMN qa.campaigns.description IS NULL;
