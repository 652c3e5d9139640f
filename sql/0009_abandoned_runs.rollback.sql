UPDATE core.crawl_runs SET status = 'failed' WHERE status = 'abandoned';
ALTER TABLE core.crawl_runs DROP CONSTRAINT crawl_runs_status_check;
ALTER TABLE core.crawl_runs ADD CONSTRAINT crawl_runs_status_check
    CHECK (status IN ('running', 'succeeded', 'degraded', 'failed'));
