-- The rectification ledger (整改台账): campaigns (专项行动) as named, ordered phases, and every finding per phase.
-- depends: 0010_report
--
-- qa.campaigns held each phase as a row of its own. A campaign is now the set of its rows with the same
-- `campaign`, ordered by `phase_order`; `name` is the phase's name (unique within its campaign) and a
-- phase's deadline (整改期限) is its ends_on. Existing rows and their ids stay: the two seed phases of
-- 合震〔2020〕24号 become phases 1 and 2 of 六提六促专项行动; any other row becomes a one-phase campaign of
-- its own name (its phase order by date).
--
-- Dates are Beijing dates (Asia/Shanghai): a phase runs from starts_on 00:00 to the end of ends_on. A
-- finding is in a phase's ledger when it was open at some time during the phase (opened before the end
-- of ends_on, and still open or closed after starts_on 00:00); that includes every finding opened during
-- the phase. Its status for the phase is judged against the deadline and today's Beijing date.

-- -------------------------------------------------------------------- campaigns as named phases
ALTER TABLE qa.campaigns ADD COLUMN campaign text;
ALTER TABLE qa.campaigns ADD COLUMN phase_order int;
UPDATE qa.campaigns
SET campaign = CASE WHEN name IN ('六提六促 第一阶段 问题整改', '六提六促 第二阶段 全面提升')
                    THEN '六提六促专项行动' ELSE name END;
UPDATE qa.campaigns c
SET phase_order = o.n
FROM (SELECT campaign_id, row_number() OVER (PARTITION BY campaign ORDER BY starts_on, ends_on, campaign_id) AS n
      FROM qa.campaigns) o
WHERE o.campaign_id = c.campaign_id;
ALTER TABLE qa.campaigns ALTER COLUMN campaign SET NOT NULL;
ALTER TABLE qa.campaigns ALTER COLUMN phase_order SET NOT NULL;
ALTER TABLE qa.campaigns ADD CONSTRAINT campaigns_campaign_not_blank CHECK (btrim(campaign) <> '');
ALTER TABLE qa.campaigns ADD CONSTRAINT campaigns_phase_order_positive CHECK (phase_order >= 1);
-- a phase name is unique within its campaign (two campaigns may both have a 第一阶段)
ALTER TABLE qa.campaigns DROP CONSTRAINT campaigns_name_key;
ALTER TABLE qa.campaigns ADD CONSTRAINT campaigns_campaign_name_key UNIQUE (campaign, name);
ALTER TABLE qa.campaigns ADD CONSTRAINT campaigns_campaign_phase_order_key UNIQUE (campaign, phase_order);

COMMENT ON TABLE qa.campaigns IS
    '专项行动的阶段：同一 campaign 的各行为该专项行动按 phase_order 排列的阶段，ends_on 为该阶段的整改期限（北京时间）/ '
    'campaign phases: the rows with the same campaign are that campaign''s phases in phase_order; a phase''s '
    'ends_on is its rectification deadline (Beijing dates)';
COMMENT ON COLUMN qa.campaigns.campaign_id IS '阶段编号 / phase id';
COMMENT ON COLUMN qa.campaigns.campaign IS '专项行动名称，如 六提六促专项行动 / the campaign this phase belongs to';
COMMENT ON COLUMN qa.campaigns.phase_order IS '阶段序号（从 1 起）/ the phase''s position in its campaign, from 1';
COMMENT ON COLUMN qa.campaigns.name IS '阶段名称（专项行动内唯一）/ the phase''s name, unique within its campaign';
COMMENT ON COLUMN qa.campaigns.starts_on IS '阶段开始日期（北京时间，含当日）/ first day of the phase (Beijing date)';
COMMENT ON COLUMN qa.campaigns.ends_on IS
    '阶段结束日期即整改期限（北京时间，含当日）/ last day of the phase: the rectification deadline (Beijing date)';
COMMENT ON COLUMN qa.campaigns.description IS '说明（如依据文件）/ description, e.g. the document that set it';

-- -------------------------------------------------------------------- the ledger
CREATE VIEW report.campaign_ledger AS
WITH today AS (
    SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date AS as_of
),
phases AS (
    SELECT c.campaign_id, c.campaign, c.phase_order, c.name AS phase, c.starts_on, c.ends_on,
           c.starts_on::timestamp AT TIME ZONE 'Asia/Shanghai' AS starts_at,
           (c.ends_on + 1)::timestamp AT TIME ZONE 'Asia/Shanghai' AS ends_before
    FROM qa.campaigns c
),
entries AS (
    SELECT p.campaign_id, p.campaign, p.phase_order, p.phase, p.starts_on, p.ends_on, t.as_of,
           f.finding_id, f.site_id, f.org, f.rule_id, f.subject, f.content_id, f.column_name,
           f.opened_at, f.closed_at, f.close_reason,
           (f.opened_at AT TIME ZONE 'Asia/Shanghai')::date AS opened_on,
           (f.closed_at AT TIME ZONE 'Asia/Shanghai')::date AS closed_on
    FROM phases p
    CROSS JOIN today t
    JOIN qa.findings f ON f.opened_at < p.ends_before AND (f.closed_at IS NULL OR f.closed_at > p.starts_at)
),
judged AS (
    SELECT e.*,
           CASE WHEN e.close_reason = 'removed' THEN 'removed'
                WHEN e.closed_at IS NOT NULL AND e.closed_on <= e.ends_on THEN 'fixed on time'
                WHEN e.closed_at IS NOT NULL THEN 'fixed late'
                WHEN e.as_of > e.ends_on THEN 'overdue'
                ELSE 'in progress' END AS status_en
    FROM entries e
)
SELECT j.campaign, j.phase_order, j.phase, j.campaign_id AS phase_id, j.starts_on, j.ends_on,
       j.finding_id, j.site_id, COALESCE(j.org, o.name) AS org, j.rule_id, r.title_zh AS rule_title,
       r.title_en AS rule_title_en, r.severity, j.subject, j.content_id, j.column_name,
       i.url, COALESCE(i.title, i.list_title) AS title,
       j.opened_at, j.closed_at, j.close_reason, j.opened_on, j.closed_on,
       j.opened_on BETWEEN j.starts_on AND j.ends_on AS found_in_phase,
       CASE j.status_en WHEN 'fixed on time' THEN '按期整改' WHEN 'fixed late' THEN '逾期整改'
                        WHEN 'overdue' THEN '逾期未改' WHEN 'in progress' THEN '整改中' WHEN 'removed' THEN '已删除'
       END AS status,
       j.status_en, j.as_of
FROM judged j
JOIN qa.rules r ON r.rule_id = j.rule_id
LEFT JOIN core.items i ON i.site_id = j.site_id AND i.content_id = j.content_id
LEFT JOIN core.orgs o ON o.site_id = i.site_id AND o.organ_id = i.organ_id;

COMMENT ON VIEW report.campaign_ledger IS
    '整改台账：每个专项行动阶段×问题一行，含该阶段内任何时候未整改或在该阶段内发现的问题（北京时间）；status 为该问题'
    '在该阶段的整改状态 / the rectification ledger: one row per campaign phase and finding, for every finding open at '
    'some time during the phase or opened during it (Beijing dates); status is the finding''s standing for that '
    'phase, judged against the phase''s deadline (ends_on) and today''s Beijing date (as_of)';
COMMENT ON COLUMN report.campaign_ledger.campaign IS '专项行动 / campaign';
COMMENT ON COLUMN report.campaign_ledger.phase_order IS '阶段序号 / phase number within the campaign';
COMMENT ON COLUMN report.campaign_ledger.phase IS '阶段名称 / phase name';
COMMENT ON COLUMN report.campaign_ledger.phase_id IS '阶段编号（qa.campaigns.campaign_id）/ phase id';
COMMENT ON COLUMN report.campaign_ledger.starts_on IS '阶段开始日期 / first day of the phase (Beijing date)';
COMMENT ON COLUMN report.campaign_ledger.ends_on IS '整改期限（阶段最后一日）/ the deadline: last day of the phase';
COMMENT ON COLUMN report.campaign_ledger.finding_id IS '问题编号（qa.findings）/ finding id';
COMMENT ON COLUMN report.campaign_ledger.site_id IS '站点 / site';
COMMENT ON COLUMN report.campaign_ledger.org IS '责任机关 / the organisation the finding is about';
COMMENT ON COLUMN report.campaign_ledger.rule_id IS '规则 / rule id';
COMMENT ON COLUMN report.campaign_ledger.rule_title IS '规则名称 / rule title (Chinese)';
COMMENT ON COLUMN report.campaign_ledger.rule_title_en IS '规则名称（英文）/ rule title (English)';
COMMENT ON COLUMN report.campaign_ledger.severity IS '严重程度 / severity: error, warning, info';
COMMENT ON COLUMN report.campaign_ledger.subject IS '问题对象：信息编号或 机关/栏目 / the content id, or org/column';
COMMENT ON COLUMN report.campaign_ledger.content_id IS '信息编号（栏目问题为空）/ content id (NULL for column rules)';
COMMENT ON COLUMN report.campaign_ledger.column_name IS '栏目（栏目问题）/ column, for column rules';
COMMENT ON COLUMN report.campaign_ledger.url IS '信息网址（采集所得，未必是 http 链接）/ the item''s URL as crawled';
COMMENT ON COLUMN report.campaign_ledger.title IS '信息标题（采集所得文本）/ the item''s title, crawled text';
COMMENT ON COLUMN report.campaign_ledger.opened_at IS '首次发现时间 / when the finding was opened';
COMMENT ON COLUMN report.campaign_ledger.closed_at IS '关闭时间（未关闭为空）/ when it was closed, NULL while open';
COMMENT ON COLUMN report.campaign_ledger.close_reason IS
    '关闭原因：passed 已通过检查，removed 信息已撤下 / why it closed: passed (a check saw it pass), removed';
COMMENT ON COLUMN report.campaign_ledger.opened_on IS '发现日期（北京时间）/ the Beijing date it was opened';
COMMENT ON COLUMN report.campaign_ledger.closed_on IS '关闭日期（北京时间）/ the Beijing date it was closed';
COMMENT ON COLUMN report.campaign_ledger.found_in_phase IS
    '是否在本阶段内发现（发现日期在阶段起止日期之间）/ opened within this phase''s dates (Beijing)';
COMMENT ON COLUMN report.campaign_ledger.status IS
    '本阶段整改状态 / status for this phase: '
    '按期整改 = fixed on time（已通过检查关闭，关闭日期不晚于整改期限 / closed as passed on or before the deadline）；'
    '逾期整改 = fixed late（已通过检查关闭，但晚于整改期限 / closed as passed after the deadline）；'
    '逾期未改 = overdue（整改期限已过仍未关闭 / still open and the deadline has passed）；'
    '整改中 = in progress（未关闭，整改期限未到 / open, the deadline not yet passed）；'
    '已删除 = removed（因信息被撤下而关闭，不论日期 / closed because the item was removed, whenever that was）';
COMMENT ON COLUMN report.campaign_ledger.status_en IS
    '整改状态（英文）/ the status in English: fixed on time, fixed late, overdue, in progress, removed';
COMMENT ON COLUMN report.campaign_ledger.as_of IS '判定状态所依据的日期（今天，北京时间）/ the date statuses are judged on';

-- -------------------------------------------------------------------- the summary
CREATE VIEW report.campaign_summary AS
SELECT campaign, phase_order, phase, starts_on, ends_on, site_id, org, rule_id, rule_title, severity,
       count(*) FILTER (WHERE status = '按期整改')::int AS fixed_on_time,
       count(*) FILTER (WHERE status = '逾期整改')::int AS fixed_late,
       count(*) FILTER (WHERE status = '逾期未改')::int AS overdue,
       count(*) FILTER (WHERE status = '整改中')::int AS in_progress,
       count(*) FILTER (WHERE status = '已删除')::int AS removed,
       count(*) FILTER (WHERE found_in_phase)::int AS found_in_phase,
       count(*)::int AS total
FROM report.campaign_ledger
GROUP BY campaign, phase_order, phase, starts_on, ends_on, site_id, org, rule_id, rule_title, severity;

COMMENT ON VIEW report.campaign_summary IS
    '整改台账汇总：每个专项行动阶段、机关、规则各整改状态的问题数（定义见 report.campaign_ledger.status）/ the '
    'ledger summed per campaign phase, organisation and rule: findings per status (defined on '
    'report.campaign_ledger.status); phases without findings have no row';
COMMENT ON COLUMN report.campaign_summary.campaign IS '专项行动 / campaign';
COMMENT ON COLUMN report.campaign_summary.phase_order IS '阶段序号 / phase number';
COMMENT ON COLUMN report.campaign_summary.phase IS '阶段名称 / phase name';
COMMENT ON COLUMN report.campaign_summary.starts_on IS '阶段开始日期 / first day of the phase';
COMMENT ON COLUMN report.campaign_summary.ends_on IS '整改期限 / the deadline (last day of the phase)';
COMMENT ON COLUMN report.campaign_summary.site_id IS '站点 / site';
COMMENT ON COLUMN report.campaign_summary.org IS '责任机关 / organisation';
COMMENT ON COLUMN report.campaign_summary.rule_id IS '规则 / rule id';
COMMENT ON COLUMN report.campaign_summary.rule_title IS '规则名称 / rule title';
COMMENT ON COLUMN report.campaign_summary.severity IS '严重程度 / severity';
COMMENT ON COLUMN report.campaign_summary.fixed_on_time IS '按期整改数 / fixed on time';
COMMENT ON COLUMN report.campaign_summary.fixed_late IS '逾期整改数 / fixed late';
COMMENT ON COLUMN report.campaign_summary.overdue IS '逾期未改数 / overdue';
COMMENT ON COLUMN report.campaign_summary.in_progress IS '整改中数 / in progress';
COMMENT ON COLUMN report.campaign_summary.removed IS '已删除数 / closed because the item was removed';
COMMENT ON COLUMN report.campaign_summary.found_in_phase IS '其中本阶段内发现的 / of them, opened during the phase';
COMMENT ON COLUMN report.campaign_summary.total IS '合计 / all findings of the phase for this organisation and rule';

-- 0010 set default privileges for report_reader on new report tables and views; say it again for these two, so
-- the grant does not depend on which role runs this migration.
GRANT SELECT ON report.campaign_ledger, report.campaign_summary TO report_reader;
