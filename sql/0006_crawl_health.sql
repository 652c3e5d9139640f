-- What a crawl could not read, and the crawl's health as data: errors per column and per entry, the
-- outcome of every column's listing, the degraded status, items that move between columns, every URL
-- an item is known by, the 行政规范性文件库 (type 6) listings, and the run-level availability facts.
-- depends: 0005_qa_checks
--
-- "Could not read" is never "nothing there": a list answer the crawler does not recognise is a row in
-- core.crawl_errors and a column outcome 'unreadable'; column rules then report the column as not
-- evaluable for that run instead of judging it empty.

-- -------------------------------------------------------------------- run status
ALTER TABLE core.crawl_runs DROP CONSTRAINT crawl_runs_status_check;
UPDATE core.crawl_runs SET status = 'degraded' WHERE status = 'partial';
ALTER TABLE core.crawl_runs ADD CONSTRAINT crawl_runs_status_check
    CHECK (status IN ('running', 'succeeded', 'degraded', 'failed'));
ALTER TABLE core.crawl_runs ADD COLUMN profile text NOT NULL DEFAULT 'lonsun';
COMMENT ON COLUMN core.crawl_runs.status IS
    'running; succeeded: everything asked for was read; degraded: the run finished but something could not be '
    'read (see core.crawl_errors); failed: the run stopped (see error)';
COMMENT ON COLUMN core.crawl_runs.profile IS '站点配置（平台类型）/ the site profile the run used (lonsun, legal_text ...)';

ALTER TABLE core.sites ADD COLUMN hosts text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN core.sites.hosts IS
    '站点的其他主机（部门子站）/ further hosts of the site (department subdomains) the crawl and the link checks may fetch';

-- -------------------------------------------------------------------- per-request timing
ALTER TABLE core.captures ADD COLUMN elapsed_ms int;
COMMENT ON COLUMN core.captures.elapsed_ms IS 'how long the request took, first byte sent to last byte read';

-- -------------------------------------------------------------------- errors
CREATE TABLE core.crawl_errors (
    error_id    bigserial PRIMARY KEY,
    run_id      bigint NOT NULL REFERENCES core.crawl_runs,
    site_id     int NOT NULL REFERENCES core.sites,
    scope       text NOT NULL CHECK (scope IN ('site', 'org', 'column', 'entry')),
    kind        text NOT NULL,
    severity    text NOT NULL DEFAULT 'error' CHECK (severity IN ('error', 'warning')),
    org         text,
    organ_id    bigint,
    type        int,
    cat_id      bigint,
    column_name text,
    content_id  bigint,
    url         text,
    capture_id  bigint REFERENCES core.captures,
    message     text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX crawl_errors_run ON core.crawl_errors (run_id);
CREATE INDEX crawl_errors_item ON core.crawl_errors (site_id, content_id) WHERE content_id IS NOT NULL;
COMMENT ON TABLE core.crawl_errors IS
    '采集中无法读取的内容（栏目列表、详情页、单个条目）及原因 / what a crawl could not read (a column''s list, a detail '
    'page, one list entry), why, and the capture that shows it';
COMMENT ON COLUMN core.crawl_errors.kind IS
    'unrecognised_list, parameter_unresolved, shell_unreadable, unreadable_detail, doubtful_decoding, off_site, '
    'disallowed, redirected_away, challenge_failed, fetch_failed, unexpected_status, count_drop';

-- -------------------------------------------------------------------- column outcomes
CREATE TABLE core.column_runs (
    run_id      bigint NOT NULL REFERENCES core.crawl_runs,
    site_id     int NOT NULL,
    organ_id    bigint NOT NULL,
    type        int NOT NULL,
    cat_id      bigint NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('complete', 'read', 'unreadable')),
    pages       int NOT NULL DEFAULT 0,
    entries     int NOT NULL DEFAULT 0,
    page_count  int,
    empty       boolean NOT NULL DEFAULT false,
    capture_id  bigint REFERENCES core.captures,
    error       text,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, site_id, organ_id, type, cat_id),
    FOREIGN KEY (site_id, organ_id, type, cat_id) REFERENCES core.columns
);
CREATE INDEX column_runs_latest ON core.column_runs (site_id, organ_id, type, cat_id, run_id DESC);
COMMENT ON TABLE core.column_runs IS
    '每次采集每个栏目列表的读取结果 / how each run read each column''s list: complete (paged to its end), read (an '
    'incremental run stopped at known entries), unreadable (an answer that is not a list or a known empty marker)';
COMMENT ON COLUMN core.column_runs.empty IS 'the list answered the platform''s empty marker (暂无相关信息 ...)';
COMMENT ON COLUMN core.column_runs.capture_id IS 'the list page that decided the outcome (the unrecognised answer)';

-- -------------------------------------------------------------------- moves and URLs
ALTER TABLE core.item_versions DROP CONSTRAINT item_versions_change_kind_check;
ALTER TABLE core.item_versions ADD CONSTRAINT item_versions_change_kind_check
    CHECK (change_kind IN ('new', 'metadata', 'content', 'removed', 'restored', 'moved'));
COMMENT ON COLUMN core.item_versions.change_kind IS
    'new, metadata, content, removed, restored, or moved (listed under another column; fields holds both columns)';

CREATE TABLE core.item_urls (
    site_id     int NOT NULL REFERENCES core.sites,
    url         text NOT NULL,
    content_id  bigint NOT NULL,
    first_seen_run bigint NOT NULL REFERENCES core.crawl_runs,
    last_seen_run bigint NOT NULL REFERENCES core.crawl_runs,
    PRIMARY KEY (site_id, url)
);
CREATE INDEX item_urls_content ON core.item_urls (site_id, content_id);
COMMENT ON TABLE core.item_urls IS
    '信息的所有已知网址（市政府主站与部门子站）/ every URL an item is known by (the city host and department subdomains '
    'serve the same content id)';

-- -------------------------------------------------------------------- the 行政规范性文件库 (type 6)
CREATE TABLE core.library_entries (
    site_id     int NOT NULL REFERENCES core.sites,
    content_id  bigint NOT NULL,
    organ_id    bigint NOT NULL,
    tab         text NOT NULL,
    url         text NOT NULL,
    title       text,
    first_seen_run bigint NOT NULL REFERENCES core.crawl_runs,
    last_seen_run bigint NOT NULL REFERENCES core.crawl_runs,
    PRIMARY KEY (site_id, content_id)
);
COMMENT ON TABLE core.library_entries IS
    '行政规范性文件库（type=6）中列出的文件及其所在标签（有效/失效）/ documents the normative-document library '
    '(type 6) lists, and the tab (有效 / 失效) that lists them';

INSERT INTO ref.column_kinds (name, kind, freshness) VALUES
    ('行政规范性文件库·有效', 'normative', 'none'),
    ('行政规范性文件库·失效', 'normative', 'none')
ON CONFLICT (name) DO NOTHING;

CREATE OR REPLACE FUNCTION qa.policy_column_kind(column_name text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT kind FROM ref.column_kinds WHERE name = column_name AND kind IN ('policy', 'normative')
$$;

CREATE OR REPLACE VIEW report.normative_register AS
SELECT i.site_id,
       i.content_id,
       i.organ_id,
       o.name AS org,
       c.name AS column_name,
       qa.policy_column_kind(c.name) AS kind,
       i.url,
       i.title,
       i.doc_number,
       i.validity,
       i.written_date,
       i.publish_date,
       i.effective_date,
       i.repeal_date,
       COALESCE(
           ARRAY(SELECT r.repealing_content_id FROM qa.repeals r
                 WHERE r.site_id = i.site_id AND r.repealed_content_id = i.content_id
                 ORDER BY r.repealing_content_id),
           '{}') AS repealed_by,
       (qa.raw_shown(i.raw, 'validity') AND qa.raw_shown(i.raw, 'effective_date')
        AND (COALESCE(i.validity, '') NOT IN ('失效', '废止') OR qa.raw_shown(i.raw, 'repeal_date')))
           AS status_complete,
       le.tab AS library_tab
FROM core.items i
JOIN core.columns c ON c.site_id = i.site_id AND c.organ_id = i.organ_id AND c.type = i.type AND c.cat_id = i.cat_id
LEFT JOIN core.orgs o ON o.site_id = i.site_id AND o.organ_id = i.organ_id
LEFT JOIN core.library_entries le ON le.site_id = i.site_id AND le.content_id = i.content_id
WHERE i.removed_at IS NULL AND i.version > 0 AND qa.policy_column_kind(c.name) IS NOT NULL;
COMMENT ON COLUMN report.normative_register.library_tab IS
    '行政规范性文件库中所在标签（有效/失效），未列入为 NULL / the tab of the normative-document library that lists the '
    'document (有效 / 失效); NULL when the library does not list it';

-- -------------------------------------------------------------------- crawl health (availability.site)
CREATE TABLE core.crawl_health (
    run_id      bigint PRIMARY KEY REFERENCES core.crawl_runs,
    site_id     int NOT NULL REFERENCES core.sites,
    requests    int NOT NULL DEFAULT 0,
    failed      int NOT NULL DEFAULT 0,
    pages_read  int NOT NULL DEFAULT 0,
    unrecognised int NOT NULL DEFAULT 0,
    challenge_failures int NOT NULL DEFAULT 0,
    columns     int NOT NULL DEFAULT 0,
    unreadable_columns int NOT NULL DEFAULT 0,
    unreadable_column_names text[] NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE core.crawl_health IS
    '每次采集的站点可用性计数 / per crawl run: requests sent, requests that failed (no answer, or a 5xx after '
    'retries), pages read and how many were unrecognised, challenge failures, columns that could not be read';

CREATE OR REPLACE VIEW qa.site_as_of AS
SELECT site_id,
       (max(COALESCE(server_date, finished_at)) AT TIME ZONE 'Asia/Shanghai')::date AS as_of
FROM core.crawl_runs
WHERE status IN ('succeeded', 'degraded')
GROUP BY site_id;

-- The latest finished crawl of each site, with its shares; slow requests are counted from the captures
-- with the rule's current slow_seconds setting.
CREATE VIEW qa.run_facts_live AS
WITH latest AS (
    SELECT DISTINCT ON (r.site_id) r.site_id, r.run_id, r.status, r.finished_at
    FROM core.crawl_runs r
    WHERE r.status IN ('succeeded', 'degraded')
    ORDER BY r.site_id, r.run_id DESC
),
slow AS (
    SELECT COALESCE((SELECT (params ->> 'slow_seconds')::numeric FROM qa.rule_params
                     WHERE rule_id = 'availability.site'), 15) AS seconds
)
SELECT l.site_id,
       qa.html_escape(s.base_url) AS subject,
       qa.html_escape('采集 crawl run ' || l.run_id) AS title,
       qa.html_escape(s.base_url) AS url,
       l.run_id,
       l.status,
       h.requests,
       h.failed,
       (SELECT count(*) FROM core.captures c, slow
        WHERE c.run_id = l.run_id AND c.elapsed_ms > slow.seconds * 1000) AS slow,
       h.pages_read,
       h.unrecognised,
       h.challenge_failures,
       h.columns,
       h.unreadable_columns,
       CASE WHEN h.requests > 0 THEN round(h.failed::numeric / h.requests, 4) END AS failed_share,
       CASE WHEN h.requests > 0 THEN round((SELECT count(*) FROM core.captures c, slow
                                            WHERE c.run_id = l.run_id AND c.elapsed_ms > slow.seconds * 1000)::numeric
                                           / h.requests, 4) END AS slow_share,
       CASE WHEN h.pages_read > 0 THEN round(h.unrecognised::numeric / h.pages_read, 4) END AS unrecognised_share
FROM latest l
JOIN core.sites s ON s.site_id = l.site_id
JOIN core.crawl_health h ON h.run_id = l.run_id;
COMMENT ON VIEW qa.run_facts_live IS
    '每个站点最近一次采集的可用性事实（实时）/ availability facts of each site''s latest crawl: failed, slow and '
    'unrecognised shares, challenge failures, unreadable columns';

CREATE MATERIALIZED VIEW qa.run_facts AS SELECT * FROM qa.run_facts_live;
COMMENT ON MATERIALIZED VIEW qa.run_facts IS
    '最近一次检查所依据的采集可用性事实 / the availability facts as the last check run judged them';

-- -------------------------------------------------------------------- columns that could not be read
-- The latest listing outcome of each column; a column whose latest listing was unreadable is not
-- evaluable: its facts are NULL, so the column rules neither open nor close a finding for it.
DROP MATERIALIZED VIEW qa.column_facts;
DROP VIEW qa.column_facts_live;
CREATE VIEW qa.column_facts_live AS
WITH latest AS (
    SELECT DISTINCT ON (cr.site_id, cr.organ_id, cr.type, cr.cat_id)
           cr.site_id, cr.organ_id, cr.type, cr.cat_id, cr.run_id, cr.outcome, cr.capture_id, cr.error
    FROM core.column_runs cr
    ORDER BY cr.site_id, cr.organ_id, cr.type, cr.cat_id, cr.run_id DESC
),
per_column AS (
    SELECT c.site_id, c.organ_id, c.type, c.cat_id,
           o.name AS org, c.name AS column_name, COALESCE(k.freshness, 'policy') AS freshness,
           a.as_of,
           count(i.item_id) AS item_count,
           max(COALESCE(i.publish_date, i.list_date)) AS newest_publish_date
    FROM core.columns c
    JOIN core.orgs o ON o.site_id = c.site_id AND o.organ_id = c.organ_id
    LEFT JOIN ref.column_kinds k ON k.name = c.name
    LEFT JOIN qa.site_as_of a ON a.site_id = c.site_id
    LEFT JOIN core.items i ON i.site_id = c.site_id AND i.organ_id = c.organ_id AND i.type = c.type
        AND i.cat_id = c.cat_id AND i.removed_at IS NULL
    WHERE c.type = 4 AND COALESCE(k.freshness, 'policy') <> 'none'
    GROUP BY c.site_id, c.organ_id, c.type, c.cat_id, o.name, c.name, k.freshness, a.as_of
)
SELECT p.site_id, qa.html_escape(p.org || '/' || p.column_name) AS subject, qa.html_escape(p.column_name) AS title,
       NULL::text AS url,
       p.org, p.column_name, p.freshness, p.as_of,
       CASE WHEN l.outcome = 'unreadable' THEN NULL ELSE p.item_count END AS item_count,
       CASE WHEN l.outcome = 'unreadable' THEN NULL ELSE p.newest_publish_date END AS newest_publish_date,
       CASE WHEN l.outcome IS DISTINCT FROM 'unreadable' AND p.freshness = 'news' AND p.item_count > 0
            THEN p.as_of - p.newest_publish_date END AS news_age_days,
       CASE WHEN l.outcome IS DISTINCT FROM 'unreadable' AND p.freshness = 'policy' AND p.item_count > 0
            THEN p.as_of - p.newest_publish_date END AS policy_age_days,
       l.outcome IS DISTINCT FROM 'unreadable' AS readable,
       l.run_id AS listed_run,
       l.capture_id AS list_capture_id,
       l.error AS list_error
FROM per_column p
LEFT JOIN latest l ON l.site_id = p.site_id AND l.organ_id = p.organ_id AND l.type = p.type AND l.cat_id = p.cat_id;
COMMENT ON VIEW qa.column_facts_live IS
    '每个栏目的检查事实（实时）/ per-column facts, live (emptiness, age); NULL when the latest listing of the column '
    'could not be read (readable = false): not evaluable, never "empty"';

CREATE MATERIALIZED VIEW qa.column_facts AS SELECT * FROM qa.column_facts_live;
COMMENT ON MATERIALIZED VIEW qa.column_facts IS
    '最近一次检查所依据的每个栏目的事实 / per-column facts as the last check run judged them';

-- -------------------------------------------------------------------- not evaluable, any subject
ALTER TABLE qa.not_evaluable ADD COLUMN subject text;
UPDATE qa.not_evaluable SET subject = content_id::text;
ALTER TABLE qa.not_evaluable ALTER COLUMN subject SET NOT NULL;
ALTER TABLE qa.not_evaluable DROP CONSTRAINT not_evaluable_pkey;
ALTER TABLE qa.not_evaluable ALTER COLUMN content_id DROP NOT NULL;
ALTER TABLE qa.not_evaluable ADD PRIMARY KEY (check_run_id, site_id, rule_id, subject);
COMMENT ON COLUMN qa.not_evaluable.subject IS 'the content id, org/column for column rules, the site for run rules';
