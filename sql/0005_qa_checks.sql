-- The checks: rules, per-item and per-column facts, check runs, results and findings.
-- depends: 0002_core 0003_ref_workdays 0004_qa_link_checks
-- (ref.column_kinds and qa.raw_shown come from 0004)
--
-- Facts that need SQL (working-day lags, link status, repeals, versions) are computed here, per
-- item and per column; the Great Expectations suites in expectations/ state the rules over these
-- views. A fact is NULL where its rule does not apply (or cannot be judged yet), so
-- column-value expectations skip it.

-- -------------------------------------------------------------------- rules and their parameters
CREATE TABLE qa.rules (
    rule_id     text PRIMARY KEY,
    area        text NOT NULL,
    severity    text NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
    level       text NOT NULL CHECK (level IN ('item', 'column', 'run', 'event')),
    title_zh    text NOT NULL,
    title_en    text NOT NULL,
    description_zh text NOT NULL,
    scope       text NOT NULL,
    source      text NOT NULL,
    params      jsonb NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE qa.rules IS '规则目录（由代码中的规则目录同步）/ the rule catalogue, mirrored from disclosure_audit.rules';

CREATE TABLE qa.rule_overrides (
    rule_id     text PRIMARY KEY REFERENCES qa.rules,
    params      jsonb NOT NULL,
    note        text,
    set_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE qa.rule_overrides IS
    '规则参数的本地调整（无需改代码）/ local parameter settings that override the catalogue defaults';

CREATE VIEW qa.rule_params AS
SELECT r.rule_id, r.params || COALESCE(o.params, '{}') AS params
FROM qa.rules r LEFT JOIN qa.rule_overrides o USING (rule_id);
COMMENT ON VIEW qa.rule_params IS '生效的规则参数 / effective rule parameters (defaults, then overrides)';

-- -------------------------------------------------------------------- the as-of date of each site
CREATE VIEW qa.site_as_of AS
SELECT site_id,
       (max(COALESCE(server_date, finished_at)) AT TIME ZONE 'Asia/Shanghai')::date AS as_of
FROM core.crawl_runs
WHERE status IN ('succeeded', 'partial')
GROUP BY site_id;
COMMENT ON VIEW qa.site_as_of IS
    '检查基准日：最近一次采集时站点的日期（北京时间）/ the day checks judge "now" by: the site''s date at the last crawl';

-- -------------------------------------------------------------------- helpers
CREATE FUNCTION qa.stray_whitespace(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT value IS NOT NULL AND (
        value <> btrim(value, E' \t\n\r\f\v\u00a0\u3000')
        OR value ~ E'[ \\t\\n\\r\\f\\v\\u00a0\\u3000]{2,}'
        OR position(E'\u3000' IN value) > 0)
$$;
COMMENT ON FUNCTION qa.stray_whitespace(text) IS 'leading/trailing, doubled or full-width whitespace';

-- Great Expectations writes the values it shows into its Data Docs HTML without escaping them, and
-- these values are crawled text: every text column the suites expose goes through this first.
-- (None of & < > " ' is allowed by the format rules' patterns, so escaping never changes a verdict.)
CREATE FUNCTION qa.html_escape(value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT replace(replace(replace(replace(replace(value, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
                           '"', '&quot;'), chr(39), '&#39;')
$$;
COMMENT ON FUNCTION qa.html_escape(text) IS 'HTML-escape crawled text before Data Docs show it';

-- -------------------------------------------------------------------- per-item facts
CREATE VIEW qa.item_facts_live AS
WITH unit AS (
    SELECT COALESCE((SELECT params ->> 'unit' FROM qa.rule_params WHERE rule_id = 'timing.interpretation_lag'),
                    'calendar') AS interpretation_lag_unit
),
cur AS (
    SELECT i.*, o.name AS org, c.name AS column_name, COALESCE(k.kind, 'other') AS kind, a.as_of
    FROM core.items i
    JOIN core.orgs o ON o.site_id = i.site_id AND o.organ_id = i.organ_id
    LEFT JOIN core.columns c
        ON c.site_id = i.site_id AND c.organ_id = i.organ_id AND c.type = i.type AND c.cat_id = i.cat_id
    LEFT JOIN ref.column_kinds k ON k.name = c.name
    LEFT JOIN qa.site_as_of a ON a.site_id = i.site_id
    WHERE i.removed_at IS NULL AND i.version > 0
),
link_state AS (
    SELECT l.item_id, l.kind,
           count(*) AS links,
           count(*) FILTER (WHERE s.resolves IS FALSE) AS broken,
           count(*) FILTER (WHERE s.resolves IS NULL) AS unknown
    FROM core.links l
    JOIN cur ON cur.item_id = l.item_id
    LEFT JOIN qa.link_status s ON s.site_id = cur.site_id AND s.url = l.url
    GROUP BY l.item_id, l.kind
),
pdf_state AS (
    SELECT a.item_id,
           bool_or(s.resolves AND s.is_pdf) AS has_pdf,
           bool_or(s.url IS NULL) AS unchecked
    FROM core.attachments a
    JOIN cur ON cur.item_id = a.item_id
    LEFT JOIN qa.link_status s ON s.site_id = cur.site_id AND s.url = a.url
    GROUP BY a.item_id
),
first_version AS (
    SELECT DISTINCT ON (v.item_id) v.item_id, v.fields
    FROM core.item_versions v
    WHERE v.change_kind = 'new'
    ORDER BY v.item_id, v.version
)
SELECT
    cur.site_id, cur.content_id::text AS subject, cur.content_id, cur.item_id,
    qa.html_escape(cur.url) AS url, qa.html_escape(cur.title) AS title, cur.org, cur.column_name, cur.kind, cur.as_of,
    cur.detail_capture_id AS capture_id,
    -- completeness
    CASE WHEN cur.kind IN ('policy', 'normative') THEN
        qa.raw_shown(cur.raw, 'doc_number') AND qa.raw_shown(cur.raw, 'written_date')
        AND qa.raw_shown(cur.raw, 'publish_date') AND qa.raw_shown(cur.raw, 'validity') END AS policy_fields_ok,
    qa.raw_shown(cur.raw, 'index_number') AND qa.raw_shown(cur.raw, 'name') AND qa.raw_shown(cur.raw, 'issuer')
        AND qa.raw_shown(cur.raw, 'publish_date') AND qa.raw_shown(cur.raw, 'category') AS item_fields_ok,
    CASE WHEN qa.raw_shown(cur.raw, 'issuer') THEN
        cur.org = ANY (SELECT btrim(p) FROM unnest(string_to_array(cur.raw ->> 'issuer', '、')) AS p)
        END AS issuer_full_name_ok,
    -- format
    CASE WHEN qa.raw_shown(cur.raw, 'doc_number') THEN
        qa.html_escape(regexp_replace(cur.raw ->> 'doc_number', E'[ \\t\\n\\r\\f\\v\\u00a0\\u3000]', '', 'g'))
        END AS doc_number_compact,
    CASE WHEN qa.raw_shown(cur.raw, 'written_date') OR qa.raw_shown(cur.raw, 'publish_date') THEN
        (NOT qa.raw_shown(cur.raw, 'written_date') OR cur.written_date IS NOT NULL)
        AND (NOT qa.raw_shown(cur.raw, 'publish_date') OR cur.publish_date IS NOT NULL) END AS dates_parseable,
    NOT (qa.stray_whitespace(cur.raw ->> 'title') OR qa.stray_whitespace(cur.raw ->> 'name')
         OR qa.stray_whitespace(cur.raw ->> 'issuer')
         OR COALESCE(cur.raw ->> 'doc_number', '') ~ E'[ \\t\\n\\r\\f\\v\\u00a0\\u3000]') AS whitespace_ok,
    CASE WHEN qa.raw_shown(cur.raw, 'name') THEN cur.name = cur.title END AS name_matches_title,
    CASE WHEN qa.raw_shown(cur.raw, 'index_number') THEN qa.html_escape(btrim(cur.raw ->> 'index_number')) END
        AS index_number_shown,
    CASE WHEN qa.raw_shown(cur.raw, 'index_number') THEN
        count(*) OVER (PARTITION BY cur.site_id, btrim(cur.raw ->> 'index_number')) = 1 END AS index_number_unique,
    -- attachments and links
    CASE WHEN cur.kind IN ('policy', 'normative') THEN
        CASE WHEN p.has_pdf THEN true WHEN p.unchecked THEN NULL ELSE false END END AS pdf_attachment_ok,
    CASE WHEN cur.kind = 'normative' THEN
        CASE WHEN COALESCE(li.links, 0) = 0 OR li.broken > 0 THEN false WHEN li.unknown > 0 THEN NULL ELSE true END
        END AS interpretation_link_ok,
    CASE WHEN cur.kind = 'interpretation' THEN
        CASE WHEN COALESCE(lo.links, 0) = 0 OR lo.broken > 0 THEN false WHEN lo.unknown > 0 THEN NULL ELSE true END
        END AS original_link_ok,
    -- timing
    CASE WHEN cur.written_date IS NOT NULL AND cur.publish_date >= cur.written_date THEN
        ref.workday_lag(cur.written_date, cur.publish_date) END AS publish_lag_workdays,
    CASE WHEN cur.written_date IS NOT NULL AND cur.publish_date >= cur.written_date THEN
        ref.workday_lag(cur.written_date, cur.publish_date) IS NOT NULL END AS publish_lag_evaluable,
    -- in calendar days, or in working days when timing.interpretation_lag's setting `unit` is 'workdays'
    CASE WHEN cur.kind = 'interpretation' THEN (
        SELECT max(CASE WHEN unit.interpretation_lag_unit = 'workdays'
                        THEN ref.workday_lag(o.publish_date, cur.publish_date)
                        ELSE cur.publish_date - o.publish_date END)
        FROM core.links l
        JOIN core.items o ON o.site_id = cur.site_id AND o.content_id = l.target_content_id
            AND o.removed_at IS NULL AND o.version > 0
        WHERE l.item_id = cur.item_id AND l.kind = 'original') END AS interpretation_lag_days,
    cur.publish_date - cur.written_date AS publish_minus_written_days,
    CASE WHEN cur.effective_date ~ '^\d{4}-\d{2}-\d{2}$' THEN cur.effective_date::date - cur.written_date END
        AS effective_minus_written_days,
    GREATEST(cur.written_date, cur.publish_date) - cur.as_of AS days_after_as_of,
    -- validity
    CASE WHEN cur.kind IN ('policy', 'normative') AND cur.validity IN ('有效', '修改', '部分失效') THEN NOT EXISTS (
        SELECT 1 FROM qa.repeals r
        JOIN core.items ri ON ri.site_id = r.site_id AND ri.content_id = r.repealing_content_id
            AND ri.removed_at IS NULL AND ri.version > 0
        WHERE r.site_id = cur.site_id AND r.repealed_content_id = cur.content_id) END AS not_repealed_while_valid,
    CASE WHEN cur.kind = 'normative' THEN
        qa.raw_shown(cur.raw, 'validity') AND qa.raw_shown(cur.raw, 'effective_date')
        AND (COALESCE(cur.validity, '') NOT IN ('失效', '废止') OR qa.raw_shown(cur.raw, 'repeal_date')) END
        AS register_complete,
    -- stability: 文号 and dates as first published (both values present and different = changed)
    NOT COALESCE(
        (fv.fields ->> 'doc_number' IS NOT NULL AND cur.doc_number IS NOT NULL
            AND fv.fields ->> 'doc_number' <> cur.doc_number)
        OR (fv.fields ->> 'written_date' IS NOT NULL AND cur.written_date IS NOT NULL
            AND fv.fields ->> 'written_date' <> cur.written_date::text)
        OR (fv.fields ->> 'publish_date' IS NOT NULL AND cur.publish_date IS NOT NULL
            AND fv.fields ->> 'publish_date' <> cur.publish_date::text), false) AS key_fields_unchanged
FROM cur
CROSS JOIN unit
LEFT JOIN pdf_state p ON p.item_id = cur.item_id
LEFT JOIN link_state li ON li.item_id = cur.item_id AND li.kind = 'interpretation'
LEFT JOIN link_state lo ON lo.item_id = cur.item_id AND lo.kind = 'original'
LEFT JOIN first_version fv ON fv.item_id = cur.item_id;
COMMENT ON VIEW qa.item_facts_live IS
    '每条信息的检查事实（实时）/ per-item facts, live (NULL: the rule does not apply or cannot be judged yet)';

-- What each check run judges: a snapshot, refreshed at the start of the run, so every expectation
-- sees the same data and the view's joins run once instead of once per expectation.
CREATE MATERIALIZED VIEW qa.item_facts AS SELECT * FROM qa.item_facts_live;
CREATE UNIQUE INDEX item_facts_key ON qa.item_facts (site_id, content_id);
COMMENT ON MATERIALIZED VIEW qa.item_facts IS
    '最近一次检查所依据的每条信息的事实 / per-item facts as the last check run judged them (refreshed each run)';

-- -------------------------------------------------------------------- per-column facts
CREATE VIEW qa.column_facts_live AS
SELECT c.site_id, qa.html_escape(o.name || '/' || c.name) AS subject, qa.html_escape(c.name) AS title,
       NULL::text AS url,
       o.name AS org, c.name AS column_name, COALESCE(k.freshness, 'policy') AS freshness,
       a.as_of,
       count(i.item_id) AS item_count,
       max(COALESCE(i.publish_date, i.list_date)) AS newest_publish_date,
       CASE WHEN COALESCE(k.freshness, 'policy') = 'news' AND count(i.item_id) > 0
            THEN a.as_of - max(COALESCE(i.publish_date, i.list_date)) END AS news_age_days,
       CASE WHEN COALESCE(k.freshness, 'policy') = 'policy' AND count(i.item_id) > 0
            THEN a.as_of - max(COALESCE(i.publish_date, i.list_date)) END AS policy_age_days
FROM core.columns c
JOIN core.orgs o ON o.site_id = c.site_id AND o.organ_id = c.organ_id
LEFT JOIN ref.column_kinds k ON k.name = c.name
LEFT JOIN qa.site_as_of a ON a.site_id = c.site_id
LEFT JOIN core.items i ON i.site_id = c.site_id AND i.organ_id = c.organ_id AND i.type = c.type
    AND i.cat_id = c.cat_id AND i.removed_at IS NULL
WHERE c.type = 4 AND COALESCE(k.freshness, 'policy') <> 'none'
GROUP BY c.site_id, o.name, c.name, k.freshness, a.as_of;
COMMENT ON VIEW qa.column_facts_live IS '每个栏目的检查事实（实时）/ per-column facts, live (emptiness, age)';

CREATE MATERIALIZED VIEW qa.column_facts AS SELECT * FROM qa.column_facts_live;
COMMENT ON MATERIALIZED VIEW qa.column_facts IS
    '最近一次检查所依据的每个栏目的事实 / per-column facts as the last check run judged them';

-- -------------------------------------------------------------------- runs, results, findings
CREATE TABLE qa.check_runs (
    check_run_id bigserial PRIMARY KEY,
    site_id     int REFERENCES core.sites,
    crawl_run_id bigint REFERENCES core.crawl_runs,
    as_of       date,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    gx_success  boolean,
    data_docs   text,
    error       text
);
COMMENT ON TABLE qa.check_runs IS '检查运行 / check runs (one Great Expectations checkpoint run each)';

CREATE TABLE qa.results (
    check_run_id bigint NOT NULL REFERENCES qa.check_runs,
    rule_id     text NOT NULL REFERENCES qa.rules,
    checked     int NOT NULL,
    failed      int NOT NULL,
    not_evaluable int NOT NULL DEFAULT 0,
    exception   text,
    PRIMARY KEY (check_run_id, rule_id)
);
COMMENT ON TABLE qa.results IS '每次检查每条规则的结果 / per rule per run: checked, failed, not evaluable, exception';

CREATE TABLE qa.findings (
    finding_id  bigserial PRIMARY KEY,
    site_id     int NOT NULL REFERENCES core.sites,
    rule_id     text NOT NULL REFERENCES qa.rules,
    subject     text NOT NULL,
    content_id  bigint,
    org         text,
    column_name text,
    opened_run  bigint NOT NULL REFERENCES qa.check_runs,
    opened_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_run bigint NOT NULL REFERENCES qa.check_runs,
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    closed_run  bigint REFERENCES qa.check_runs,
    closed_at   timestamptz,
    close_reason text CHECK (close_reason IN ('passed', 'removed')),
    evidence    jsonb NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX findings_one_open ON qa.findings (site_id, rule_id, subject) WHERE closed_at IS NULL;
CREATE INDEX findings_content ON qa.findings (site_id, content_id);
COMMENT ON TABLE qa.findings IS
    '问题清单：规则×信息（或栏目），首次发现时打开，后续检查通过时关闭 / findings: open until a later run sees them pass';
COMMENT ON COLUMN qa.findings.subject IS 'the content id, or org/column for column rules';

CREATE TABLE qa.finding_observations (
    finding_id  bigint NOT NULL REFERENCES qa.findings,
    check_run_id bigint NOT NULL REFERENCES qa.check_runs,
    evidence    jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (finding_id, check_run_id)
);
COMMENT ON TABLE qa.finding_observations IS '每次检查看到的问题 / every run that saw a finding, with its evidence';

CREATE TABLE qa.not_evaluable (
    check_run_id bigint NOT NULL REFERENCES qa.check_runs,
    site_id     int NOT NULL,
    rule_id     text NOT NULL,
    content_id  bigint NOT NULL,
    reason      text NOT NULL,
    PRIMARY KEY (check_run_id, site_id, rule_id, content_id)
);
COMMENT ON TABLE qa.not_evaluable IS '无法评估的条目（如该年度节假日安排未公布）/ items a rule could not judge, and why';

CREATE TABLE qa.campaigns (
    campaign_id serial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    starts_on   date NOT NULL,
    ends_on     date NOT NULL CHECK (ends_on >= starts_on),
    description text
);
COMMENT ON TABLE qa.campaigns IS '专项行动（可配置的日期区间）/ campaigns: named date ranges to track rectification';
INSERT INTO qa.campaigns (name, starts_on, ends_on, description) VALUES
    ('六提六促 第一阶段 问题整改', '2020-06-10', '2020-07-10', '合震〔2020〕24号：落实问题整改'),
    ('六提六促 第二阶段 全面提升', '2020-07-10', '2020-12-31', '合震〔2020〕24号：落实全面提升');
