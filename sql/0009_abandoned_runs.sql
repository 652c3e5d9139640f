-- A crawl killed mid-run (SIGKILL, a lost machine) left its run 'running' for ever. A running crawl
-- now holds a session advisory lock on its run id; the next crawl of the site closes every 'running'
-- run whose lock nobody holds as 'abandoned'.
-- depends: 0008_audited_sites

ALTER TABLE core.crawl_runs DROP CONSTRAINT crawl_runs_status_check;
ALTER TABLE core.crawl_runs ADD CONSTRAINT crawl_runs_status_check
    CHECK (status IN ('running', 'succeeded', 'degraded', 'failed', 'abandoned'));
COMMENT ON COLUMN core.crawl_runs.status IS
    '运行中 running, 成功 succeeded, 降级 degraded（部分内容未能读取）, 失败 failed, 中断 abandoned（进程未完成即结束，'
    '由下一次采集发现）/ running, succeeded, degraded (some content could not be read), failed, abandoned (its process '
    'ended without finishing; closed by the next crawl of the site)';

COMMENT ON COLUMN core.crawl_runs.profile IS
    '站点配置（平台类型）/ the site profile the run used (lonsun, legaltext ...: disclosure-audit sites list)';
