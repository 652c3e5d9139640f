-- The annual report (政府信息公开工作年度报告): what report authors query, and who may read it.
-- depends: 0009_abandoned_runs
--
-- report_reader: a role that can SELECT in schema report and nothing else. Roles belong to the whole
-- cluster, so it is created only when missing, without a password and without LOGIN: an operator
-- grants login (and a password or a certificate) separately; no secret lives in the repository.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'report_reader') THEN
        CREATE ROLE report_reader NOLOGIN;
    END IF;
END
$$;
COMMENT ON ROLE report_reader IS
    '年报读者：只能查询 report 模式 / report authors: SELECT in schema report, nothing else';

REVOKE ALL ON SCHEMA core, qa, ref FROM report_reader;
GRANT USAGE ON SCHEMA report TO report_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA report TO report_reader;
-- tables and views later migrations create in report are readable too (they run as this owner)
ALTER DEFAULT PRIVILEGES IN SCHEMA report GRANT SELECT ON TABLES TO report_reader;

-- The report's identities (report.c1 … report.c8) are rules whose subject is a report.
ALTER TABLE qa.rules DROP CONSTRAINT rules_level_check;
ALTER TABLE qa.rules ADD CONSTRAINT rules_level_check CHECK (level IN ('item', 'column', 'run', 'event', 'report'));
COMMENT ON COLUMN qa.rules.level IS
    '检查对象：信息 item、栏目 column、采集 run、事件 event、年报 report（发布的或计算的年度报告）/ what a rule judges';

ALTER TABLE qa.check_runs ADD COLUMN kind text NOT NULL DEFAULT 'rules' CHECK (kind IN ('rules', 'report'));
COMMENT ON COLUMN qa.check_runs.kind IS
    '检查类别：rules 为每晚对采集数据的规则检查（GX），report 为年报勾稽关系核对 / rules: the nightly check of the '
    'crawled data (GX checkpoint); report: a check of annual reports'' identities (report.c1 … report.c8)';

-- -------------------------------------------------------------------- configuration
CREATE TABLE report.register_rows (
    column_name text PRIMARY KEY,
    row_label   text NOT NULL CHECK (row_label IN ('规章', '行政规范性文件'))
);
COMMENT ON TABLE report.register_rows IS
    '年报表二第二十条第（一）项：哪些栏目的文件计入“规章”或“行政规范性文件”行 / which catalogue columns feed the '
    'rows 规章 and 行政规范性文件 of table 二 （一）项; documents listed in a 行政规范性文件库 count as '
    '行政规范性文件 whatever their column';
INSERT INTO report.register_rows (column_name, row_label) VALUES
    ('规章', '规章'),
    ('政府规章', '规章'),
    ('规范性文件', '行政规范性文件'),
    ('行政规范性文件', '行政规范性文件');

CREATE TABLE report.publication_kinds (
    column_name text PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('文件', '政策解读', '回应关切', '结果公开', '其他'))
);
COMMENT ON TABLE report.publication_kinds IS
    '年报“主动公开”按类别统计：栏目名称→类别（文件、政策解读、回应关切、结果公开；未列出的栏目计入“其他”）/ '
    'publication kind of each catalogue column for the yearly counts (documents, interpretations, responses to '
    'public concerns, results); a column not listed counts as 其他 (other). Defaults follow the LonSun catalogue.';
INSERT INTO report.publication_kinds (column_name, kind) VALUES
    ('政策文件', '文件'), ('规范性文件', '文件'), ('行政规范性文件', '文件'), ('规章', '文件'),
    ('政府规章', '文件'), ('部门文件', '文件'), ('局文件', '文件'),
    ('政策解读', '政策解读'),
    ('回应关切', '回应关切'), ('舆情回应', '回应关切'),
    ('结果公开', '结果公开'), ('审批结果', '结果公开'), ('行政许可', '结果公开'), ('行政处罚', '结果公开'),
    ('建议提案办理', '结果公开');

-- -------------------------------------------------------------------- the register's documents
-- One row per document of table 二 （一）项 (visible items of audited sites in a register column or in a
-- 行政规范性文件库), with when it started and, if it ended, when and how that is known:
--   start_on   生效日期 when it is a date, else 成文日期;
--   end_source repeal_date     the 废止日期 shown (a date);
--              repeal_clause   a later document's whole-repeal clause (qa.repeals); the date is that
--                              document's 生效日期;
--              version_history the crawl saw 有效 and later 废止/失效, both within one year (year only);
--              undetermined    ended (or repealed) but none of the above says when;
--              none            in force: neither ended nor repealed.
CREATE VIEW report.register_documents AS
WITH register AS (
    SELECT i.*, o.name AS org, c.name AS column_name, le.tab AS library_tab,
           COALESCE(rr.row_label, CASE WHEN le.content_id IS NOT NULL THEN '行政规范性文件' END) AS row_label,
           CASE WHEN i.effective_date ~ '^\d{4}-\d{2}-\d{2}$' THEN i.effective_date::date END AS effective_on,
           CASE WHEN i.repeal_date ~ '^\d{4}-\d{2}-\d{2}$' THEN i.repeal_date::date END AS repeal_on
    FROM core.items i
    JOIN core.sites s ON s.site_id = i.site_id AND s.audited
    LEFT JOIN core.orgs o ON o.site_id = i.site_id AND o.organ_id = i.organ_id
    LEFT JOIN core.columns c
        ON c.site_id = i.site_id AND c.organ_id = i.organ_id AND c.type = i.type AND c.cat_id = i.cat_id
    LEFT JOIN report.register_rows rr ON rr.column_name = c.name
    LEFT JOIN core.library_entries le ON le.site_id = i.site_id AND le.content_id = i.content_id
    WHERE i.removed_at IS NULL AND i.version > 0
      AND (rr.row_label IS NOT NULL OR le.content_id IS NOT NULL)
),
clause AS (
    -- whole repeals by a visible later document; dated by that document's 生效日期 (the earliest if several)
    SELECT DISTINCT ON (r.site_id, r.repealed_content_id)
           r.site_id, r.repealed_content_id AS content_id, r.repealing_content_id,
           CASE WHEN ri.effective_date ~ '^\d{4}-\d{2}-\d{2}$' THEN ri.effective_date::date END AS end_on,
           ri.detail_capture_id AS capture_id
    FROM qa.repeals r
    JOIN core.items ri ON ri.site_id = r.site_id AND ri.content_id = r.repealing_content_id
        AND ri.removed_at IS NULL AND ri.version > 0
    ORDER BY r.site_id, r.repealed_content_id,
             (ri.effective_date ~ '^\d{4}-\d{2}-\d{2}$') DESC, ri.effective_date, r.repealing_content_id
),
history AS (
    -- the first version showing 废止/失效 right after one showing a state in force
    SELECT DISTINCT ON (v.item_id) v.item_id, v.capture_id,
           (COALESCE(pc.server_date, pc.fetched_at) AT TIME ZONE 'Asia/Shanghai')::date AS seen_valid_on,
           (COALESCE(vc.server_date, vc.fetched_at) AT TIME ZONE 'Asia/Shanghai')::date AS seen_ended_on
    FROM core.item_versions v
    JOIN core.item_versions p ON p.item_id = v.item_id AND p.version = v.version - 1
    JOIN core.captures vc ON vc.capture_id = v.capture_id
    JOIN core.captures pc ON pc.capture_id = p.capture_id
    WHERE v.fields ->> 'validity' IN ('失效', '废止') AND p.fields ->> 'validity' IN ('有效', '修改', '部分失效')
    ORDER BY v.item_id, v.version
),
ends AS (
    SELECT d.*, cl.repealing_content_id, cl.end_on AS clause_on, cl.capture_id AS clause_capture_id,
           h.capture_id AS history_capture_id, h.seen_ended_on,
           CASE
               WHEN d.repeal_on IS NOT NULL THEN 'repeal_date'
               WHEN d.validity IN ('失效', '废止') OR cl.content_id IS NOT NULL THEN
                   CASE WHEN cl.end_on IS NOT NULL THEN 'repeal_clause'
                        WHEN date_part('year', h.seen_valid_on) = date_part('year', h.seen_ended_on)
                            THEN 'version_history'
                        ELSE 'undetermined' END
               WHEN d.validity IS NULL THEN 'undetermined'
               ELSE 'none'
           END AS end_source
    FROM register d
    LEFT JOIN clause cl ON cl.site_id = d.site_id AND cl.content_id = d.content_id
    LEFT JOIN history h ON h.item_id = d.item_id
)
SELECT e.site_id, e.organ_id, e.org, e.row_label, e.column_name, e.library_tab,
       e.content_id, e.item_id, e.url, e.title, e.doc_number, e.validity, e.written_date, e.publish_date,
       e.effective_on, COALESCE(e.effective_on, e.written_date) AS start_on,
       CASE WHEN e.effective_on IS NOT NULL THEN 'effective_date'
            WHEN e.written_date IS NOT NULL THEN 'written_date' END AS start_source,
       e.end_source,
       CASE e.end_source WHEN 'repeal_date' THEN e.repeal_on WHEN 'repeal_clause' THEN e.clause_on END AS end_on,
       CASE e.end_source WHEN 'repeal_date' THEN date_part('year', e.repeal_on)::int
                         WHEN 'repeal_clause' THEN date_part('year', e.clause_on)::int
                         WHEN 'version_history' THEN date_part('year', e.seen_ended_on)::int END AS end_year,
       CASE e.end_source WHEN 'repeal_clause' THEN e.clause_capture_id
                         WHEN 'version_history' THEN e.history_capture_id
                         ELSE e.detail_capture_id END AS end_capture_id,
       CASE WHEN e.end_source <> 'undetermined' THEN NULL
            WHEN e.validity IS NULL AND e.repealing_content_id IS NULL THEN '未显示有效性 / validity not shown'
            WHEN e.repealing_content_id IS NOT NULL THEN
                '被 ' || e.repealing_content_id || ' 废止，其生效日期未显示 / repealed by '
                || e.repealing_content_id || ', whose effective date is not shown'
            ELSE '已' || e.validity || '，未显示废止日期，变更年份不明 / ' || e.validity
                 || ', no repeal date shown and the year of the change is unknown'
       END AS end_reason,
       e.detail_capture_id AS capture_id
FROM ends e;
COMMENT ON VIEW report.register_documents IS
    '表二（一）项的文件清单：起始日期、终止日期及其依据 / the documents of table 二 （一）项 with their start '
    '(生效日期, else 成文日期) and end: end_source repeal_date (废止日期 shown), repeal_clause (a later '
    'document''s repeal clause, dated by its 生效日期), version_history (seen 有效 then 废止/失效 within one year), '
    'undetermined (ended but when is unknown: listed, never guessed) or none (in force)';

-- -------------------------------------------------------------------- table 二 （一）项, per year, with lineage
-- Per report year (2019 to the year of the site's last crawl), per document and figure: counted, or
-- undetermined (the data cannot decide; listed, never guessed). A document neither counted nor
-- undetermined for a figure has no row. Years are whole calendar years, as of 31 December.
--   本年制发件数  成文日期 in the year; no 成文日期 and published in or after the year: undetermined
--                (a document is written no later than it is published)
--   本年公开件数  发布日期 in the year (the trial format's 本年新公开数量)
--   本年废止件数  ended in the year (end_year); ended but when unknown: undetermined from its start year on
--   现行有效件数  started on or before 31 December and not ended by then; start or end unknown: undetermined
CREATE VIEW report.register_figure_items AS
WITH years AS (
    SELECT a.site_id, y::int AS year, make_date(y::int, 12, 31) AS dec31
    FROM qa.site_as_of a
    CROSS JOIN LATERAL generate_series(2019, date_part('year', a.as_of)::int) AS y
),
decided AS (
    SELECT y.year, d.*, f.figure, f.decision, f.source, f.reason, f.capture_id AS deciding_capture_id
    FROM report.register_documents d
    JOIN years y ON y.site_id = d.site_id
    CROSS JOIN LATERAL (VALUES
        ('本年制发件数',
         CASE WHEN d.written_date IS NOT NULL THEN
                  CASE WHEN date_part('year', d.written_date) = y.year THEN 'counted' END
              WHEN d.publish_date IS NOT NULL AND date_part('year', d.publish_date) < y.year THEN NULL
              ELSE 'undetermined' END,
         'written_date',
         CASE WHEN d.written_date IS NULL THEN '未显示成文日期 / written date not shown' END,
         d.capture_id),
        ('本年公开件数',
         CASE WHEN d.publish_date IS NOT NULL THEN
                  CASE WHEN date_part('year', d.publish_date) = y.year THEN 'counted' END
              ELSE 'undetermined' END,
         'publish_date',
         CASE WHEN d.publish_date IS NULL THEN '未显示发布日期 / publish date not shown' END,
         d.capture_id),
        ('本年废止件数',
         CASE WHEN d.end_year IS NOT NULL THEN CASE WHEN d.end_year = y.year THEN 'counted' END
              WHEN d.end_source = 'undetermined' THEN
                  CASE WHEN d.start_on IS NOT NULL AND date_part('year', d.start_on) > y.year THEN NULL
                       ELSE 'undetermined' END
         END,
         d.end_source, d.end_reason, d.end_capture_id),
        ('现行有效件数',
         CASE WHEN d.start_on IS NULL THEN
                  CASE WHEN d.publish_date IS NOT NULL AND d.publish_date > y.dec31 THEN NULL ELSE 'undetermined' END
              WHEN d.start_on > y.dec31 THEN NULL
              WHEN d.end_source = 'none' THEN 'counted'
              WHEN d.end_on IS NOT NULL THEN CASE WHEN d.end_on > y.dec31 THEN 'counted' END
              WHEN d.end_year IS NOT NULL THEN CASE WHEN d.end_year > y.year THEN 'counted' END
              ELSE 'undetermined' END,
         CASE WHEN d.start_on IS NULL THEN d.start_source ELSE COALESCE(NULLIF(d.end_source, 'none'), d.start_source) END,
         CASE WHEN d.start_on IS NULL THEN '未显示生效日期和成文日期 / neither effective nor written date shown'
              ELSE d.end_reason END,
         CASE WHEN d.end_source IN ('none', 'undetermined') THEN d.capture_id ELSE d.end_capture_id END)
    ) AS f(figure, decision, source, reason, capture_id)
)
SELECT x.year, x.site_id, x.organ_id, x.org, x.row_label, x.figure, x.decision, x.source,
       CASE WHEN x.decision = 'undetermined' THEN x.reason END AS reason,
       x.content_id, x.url, x.title, x.doc_number, x.validity, x.written_date, x.start_on, x.end_on, x.end_year,
       x.deciding_capture_id AS capture_id, c.sha256 AS capture_sha256
FROM decided x
LEFT JOIN core.captures c ON c.capture_id = x.deciding_capture_id
WHERE x.decision IS NOT NULL;
COMMENT ON VIEW report.register_figure_items IS
    '表二（一）项每个数字所计的文件（谱系）：年度、机关、行、列、计入或无法判定、依据、网址、页面快照 sha256 / '
    'lineage of every table-二 （一）项 figure: per year, organisation, row and column, each document counted '
    '(decision counted) or that the data cannot decide (decision undetermined, with the reason), with where the '
    'deciding value comes from (source), its URL and the sha256 of the capture that showed it';

CREATE VIEW report.table2_register AS
WITH cells AS (
    SELECT y.site_id, y.year, o.organ_id, o.name AS org, r.row_label, f.figure
    FROM (SELECT a.site_id, g::int AS year FROM qa.site_as_of a
          CROSS JOIN LATERAL generate_series(2019, date_part('year', a.as_of)::int) AS g) y
    JOIN core.orgs o ON o.site_id = y.site_id
    JOIN core.sites s ON s.site_id = y.site_id AND s.audited
    CROSS JOIN (VALUES ('规章'), ('行政规范性文件')) AS r(row_label)
    CROSS JOIN (VALUES ('本年制发件数'), ('本年公开件数'), ('本年废止件数'), ('现行有效件数')) AS f(figure)
)
SELECT c.site_id, c.year, c.organ_id, c.org, c.row_label, c.figure,
       count(i.content_id) FILTER (WHERE i.decision = 'counted')::int AS value,
       count(i.content_id) FILTER (WHERE i.decision = 'undetermined')::int AS undetermined
FROM cells c
LEFT JOIN report.register_figure_items i
    ON i.site_id = c.site_id AND i.year = c.year AND i.organ_id = c.organ_id
   AND i.row_label = c.row_label AND i.figure = c.figure
GROUP BY c.site_id, c.year, c.organ_id, c.org, c.row_label, c.figure;
COMMENT ON VIEW report.table2_register IS
    '表二第二十条第（一）项：每年、每个机关的本年制发件数、本年废止件数、现行有效件数（截至12月31日）；'
    'undetermined 为无法判定的文件数，非零时 value 只是下限 / table 二 （一）项 per year and organisation: '
    'issued, abolished and in force on 31 December; undetermined counts the documents the data cannot decide '
    '(value is then a lower bound): their list is in report.register_figure_items';

-- -------------------------------------------------------------------- published items, timing, findings
CREATE VIEW report.published_items AS
SELECT i.site_id, i.organ_id, o.name AS org, date_part('year', i.publish_date)::int AS year,
       to_char(i.publish_date, 'YYYY-MM') AS month, c.name AS column_name,
       COALESCE(pk.kind, '其他') AS kind, i.content_id, i.url, i.title, i.publish_date,
       cap.sha256 AS capture_sha256
FROM core.items i
JOIN core.sites s ON s.site_id = i.site_id AND s.audited
LEFT JOIN core.orgs o ON o.site_id = i.site_id AND o.organ_id = i.organ_id
LEFT JOIN core.columns c ON c.site_id = i.site_id AND c.organ_id = i.organ_id AND c.type = i.type AND c.cat_id = i.cat_id
LEFT JOIN report.publication_kinds pk ON pk.column_name = c.name
LEFT JOIN core.captures cap ON cap.capture_id = i.detail_capture_id
WHERE i.removed_at IS NULL AND i.version > 0 AND i.publish_date IS NOT NULL;
COMMENT ON VIEW report.published_items IS
    '主动公开的信息：按发布日期的年度、月份及类别（report.publication_kinds）/ items published, with the year and '
    'month of their 发布日期 and their kind (report.publication_kinds; unlisted columns are 其他); items whose '
    'publish date is not shown are not counted here (see qa findings completeness.item_fields)';

CREATE VIEW report.published_by_kind AS
SELECT site_id, organ_id, org, year, kind, count(*)::int AS items
FROM report.published_items
GROUP BY site_id, organ_id, org, year, kind;
COMMENT ON VIEW report.published_by_kind IS '每年、每个机关、每类主动公开信息条数 / items published per year, organisation and kind';

-- On-time rates from the facts of the last check (qa.item_facts): what the timing rules judged.
CREATE VIEW report.ontime_rates AS
WITH params AS (
    SELECT (SELECT (params ->> 'max_workdays')::int FROM qa.rule_params WHERE rule_id = 'timing.publish_lag')
               AS max_workdays,
           (SELECT (params ->> 'max_days')::int FROM qa.rule_params WHERE rule_id = 'timing.interpretation_lag')
               AS max_days
),
judged AS (
    SELECT f.site_id, i.organ_id, f.org, date_part('year', i.publish_date)::int AS year,
           to_char(i.publish_date, 'YYYY-MM') AS month, 'timing.publish_lag' AS rule_id,
           f.publish_lag_workdays <= p.max_workdays AS on_time
    FROM qa.item_facts f JOIN core.items i ON i.item_id = f.item_id CROSS JOIN params p
    WHERE f.publish_lag_workdays IS NOT NULL
    UNION ALL
    SELECT f.site_id, i.organ_id, f.org, date_part('year', i.publish_date)::int, to_char(i.publish_date, 'YYYY-MM'),
           'timing.interpretation_lag', f.interpretation_lag_days <= p.max_days
    FROM qa.item_facts f JOIN core.items i ON i.item_id = f.item_id CROSS JOIN params p
    WHERE f.interpretation_lag_days IS NOT NULL
)
SELECT site_id, organ_id, org, year, month, rule_id,
       count(*)::int AS judged, count(*) FILTER (WHERE on_time)::int AS on_time,
       round(count(*) FILTER (WHERE on_time)::numeric / count(*), 4) AS rate
FROM judged
GROUP BY GROUPING SETS ((site_id, organ_id, org, year, rule_id), (site_id, organ_id, org, year, month, rule_id));
COMMENT ON VIEW report.ontime_rates IS
    '按时发布率（成文后20个工作日内发布；解读在文件发布后规定天数内发布），按年（month 为 NULL）及按月 / on-time '
    'rates of the timing rules from the last check''s facts, per year (month NULL) and per month; items the '
    'calendar cannot judge are not counted (timing.calendar_coverage)';

CREATE VIEW report.findings_summary AS
SELECT f.site_id, f.org, f.rule_id, r.title_zh AS rule_title, r.severity,
       count(*) FILTER (WHERE f.closed_at IS NULL)::int AS open,
       count(*) FILTER (WHERE f.closed_at IS NOT NULL)::int AS closed,
       min(f.opened_at) FILTER (WHERE f.closed_at IS NULL) AS oldest_open_since
FROM qa.findings f
JOIN qa.rules r ON r.rule_id = f.rule_id
GROUP BY f.site_id, f.org, f.rule_id, r.title_zh, r.severity;
COMMENT ON VIEW report.findings_summary IS
    '问题清单汇总：每个机关、每条规则未整改（open）和已整改（closed）的问题数 / open and closed findings per '
    'organisation and rule';

-- -------------------------------------------------------------------- frozen years
CREATE TABLE report.frozen_reports (
    site_id     int NOT NULL,
    organ_id    bigint NOT NULL,
    org         text NOT NULL,
    year        int NOT NULL CHECK (year BETWEEN 2008 AND 2100),
    frozen_at   timestamptz NOT NULL DEFAULT now(),
    frozen_by   text NOT NULL DEFAULT current_user,
    calendar_version text,
    rule_params jsonb NOT NULL,
    figures     jsonb NOT NULL,
    PRIMARY KEY (site_id, organ_id, year)
);
COMMENT ON TABLE report.frozen_reports IS
    '已定稿（冻结）的年报数字：冻结后不可修改或删除 / the figures of a frozen report year, with the calendar '
    'version and rule parameters they were computed with; a frozen year never changes (enforced by triggers)';
COMMENT ON COLUMN report.frozen_reports.figures IS '年报全部数字（JSON，结构见 disclosure_audit.report.format）/ the whole report';

CREATE TABLE report.frozen_figure_items (
    site_id     int NOT NULL,
    organ_id    bigint NOT NULL,
    year        int NOT NULL,
    row_label   text NOT NULL,
    figure      text NOT NULL,
    decision    text NOT NULL CHECK (decision IN ('counted', 'undetermined')),
    content_id  bigint NOT NULL,
    url         text,
    title       text,
    source      text,
    reason      text,
    capture_sha256 char(64),
    PRIMARY KEY (site_id, organ_id, year, row_label, figure, content_id),
    FOREIGN KEY (site_id, organ_id, year) REFERENCES report.frozen_reports
);
COMMENT ON TABLE report.frozen_figure_items IS
    '冻结年报每个数字所计的文件（谱系）/ the lineage of a frozen year''s figures, as frozen';

CREATE FUNCTION report.refuse_frozen_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '年报已冻结，不可修改 / report year is frozen: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
-- Lineage rows may only be added in the transaction that freezes their year.
CREATE FUNCTION report.lineage_only_while_freezing() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM report.frozen_reports r
                   WHERE r.site_id = NEW.site_id AND r.organ_id = NEW.organ_id AND r.year = NEW.year
                     AND r.xmin::text = pg_current_xact_id()::xid::text) THEN
        RAISE EXCEPTION '年报已冻结，不可补充谱系 / report year % is frozen: lineage can only be written when freezing',
            NEW.year USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER frozen_reports_immutable BEFORE UPDATE OR DELETE ON report.frozen_reports
    FOR EACH ROW EXECUTE FUNCTION report.refuse_frozen_change();
CREATE TRIGGER frozen_reports_no_truncate BEFORE TRUNCATE ON report.frozen_reports
    FOR EACH STATEMENT EXECUTE FUNCTION report.refuse_frozen_change();
CREATE TRIGGER frozen_items_immutable BEFORE UPDATE OR DELETE ON report.frozen_figure_items
    FOR EACH ROW EXECUTE FUNCTION report.refuse_frozen_change();
CREATE TRIGGER frozen_items_no_truncate BEFORE TRUNCATE ON report.frozen_figure_items
    FOR EACH STATEMENT EXECUTE FUNCTION report.refuse_frozen_change();
CREATE TRIGGER frozen_items_only_while_freezing BEFORE INSERT ON report.frozen_figure_items
    FOR EACH ROW EXECUTE FUNCTION report.lineage_only_while_freezing();

GRANT SELECT ON ALL TABLES IN SCHEMA report TO report_reader;

-- -------------------------------------------------------------------- what the last crawl could not read
CREATE VIEW report.unread_columns AS
SELECT DISTINCT ON (cr.site_id, cr.organ_id, cr.type, cr.cat_id)
       cr.site_id, cr.organ_id, o.name AS org, c.name AS column_name, cr.run_id, cr.outcome, cr.error,
       rr.row_label
FROM core.column_runs cr
JOIN core.columns c ON c.site_id = cr.site_id AND c.organ_id = cr.organ_id AND c.type = cr.type AND c.cat_id = cr.cat_id
LEFT JOIN core.orgs o ON o.site_id = cr.site_id AND o.organ_id = cr.organ_id
LEFT JOIN report.register_rows rr ON rr.column_name = c.name
ORDER BY cr.site_id, cr.organ_id, cr.type, cr.cat_id, cr.run_id DESC;
COMMENT ON VIEW report.unread_columns IS
    '每个栏目最近一次采集的结果；outcome = unreadable 的栏目不得据以计算年报数字 / the latest crawl outcome of '
    'every column; no report figure is computed from a column whose latest outcome is unreadable';

GRANT SELECT ON ALL TABLES IN SCHEMA report TO report_reader;
