-- Which sites the rules judge: disclosure platforms (audited), not the sources kept to compare with
-- (a legal database's texts of the same documents, read by the legaltext profile).
-- depends: 0007_partial_repeals
--
-- Written by the crawl from its profile (SiteProfile.audited); the facts the checks judge leave the
-- other sites out, so a legal database never gets a 索引号 or 空白栏目 finding.

ALTER TABLE core.sites ADD COLUMN audited boolean NOT NULL DEFAULT true;
COMMENT ON COLUMN core.sites.audited IS
    '是否为受检查的政务公开平台（法规数据库等对照来源为 false）/ whether the rules judge this site: a disclosure '
    'platform (true) or a source kept to compare with, such as a legal database (false)';

DROP MATERIALIZED VIEW qa.item_facts;
CREATE MATERIALIZED VIEW qa.item_facts AS
SELECT f.* FROM qa.item_facts_live f JOIN core.sites s ON s.site_id = f.site_id WHERE s.audited;
CREATE UNIQUE INDEX item_facts_key ON qa.item_facts (site_id, content_id);
COMMENT ON MATERIALIZED VIEW qa.item_facts IS
    '最近一次检查所依据的每条信息的事实（仅受检查站点）/ per-item facts as the last check run judged them '
    '(refreshed each run; audited sites only)';

DROP MATERIALIZED VIEW qa.column_facts;
CREATE MATERIALIZED VIEW qa.column_facts AS
SELECT f.* FROM qa.column_facts_live f JOIN core.sites s ON s.site_id = f.site_id WHERE s.audited;
COMMENT ON MATERIALIZED VIEW qa.column_facts IS
    '最近一次检查所依据的每个栏目的事实（仅受检查站点）/ per-column facts as the last check run judged them '
    '(audited sites only)';
