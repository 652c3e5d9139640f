-- Link checks of attachments and document ⇄ interpretation links; repeals found in bodies; the normative register.
-- depends: 0002_core
--
-- Written by disclosure_audit.checks.links (qa.link_checks) and disclosure_audit.checks.validity
-- (qa.repeals); read by the facts views and the report.

-- -------------------------------------------------------------------- link checks
CREATE TABLE qa.link_checks (
    check_id     bigserial PRIMARY KEY,
    site_id      int NOT NULL REFERENCES core.sites,
    run_id       bigint NOT NULL REFERENCES core.crawl_runs,
    url          text NOT NULL,
    checked_at   timestamptz NOT NULL,
    method       text CHECK (method IN ('HEAD', 'GET', 'cache')),
    status       int,
    content_type text,
    bytes        bigint,
    is_pdf       boolean,
    resolves     boolean,
    error        text
);
CREATE INDEX link_checks_latest ON qa.link_checks (site_id, url, checked_at DESC);
CREATE INDEX link_checks_run ON qa.link_checks (run_id);
COMMENT ON TABLE qa.link_checks IS
    '附件与解读链接核验（每次核验一行）/ one row per URL per check of an attachment or a document ⇄ interpretation link';
COMMENT ON COLUMN qa.link_checks.method IS
    'HEAD or GET: the request that decided; cache: the outcome of a recent check in an earlier run, '
    'copied into this run (checked_at is that check''s); NULL: not fetched (off-site, robots.txt)';
COMMENT ON COLUMN qa.link_checks.resolves IS
    'the final answer (after redirects and the client''s retries) was HTTP 200; NULL: cannot be judged '
    '(an off-site link, a URL robots.txt disallows)';
COMMENT ON COLUMN qa.link_checks.is_pdf IS
    'the body starts with %PDF- (a GET reads only its first KiBs), or, when HEAD alone decided, '
    'Content-Type is application/pdf; NULL when the URL does not resolve';
COMMENT ON COLUMN qa.link_checks.bytes IS 'the size of the resource (Content-Length, or the body read whole)';

CREATE VIEW qa.link_status AS
SELECT DISTINCT ON (site_id, url)
       site_id, url, check_id, run_id, checked_at, method, status, content_type, bytes, is_pdf, resolves, error
FROM qa.link_checks
ORDER BY site_id, url, checked_at DESC, check_id DESC;
COMMENT ON VIEW qa.link_status IS '每个链接的最近一次核验结果 / the latest check of every URL of a site';

-- -------------------------------------------------------------------- repeals
CREATE TABLE qa.repeals (
    site_id     int NOT NULL REFERENCES core.sites,
    repealing_content_id bigint NOT NULL,
    repealed_content_id bigint NOT NULL,
    matched_by  text NOT NULL CHECK (matched_by IN ('doc_number', 'title')),
    clause      text NOT NULL,
    found_run   bigint REFERENCES core.crawl_runs,
    PRIMARY KEY (site_id, repealing_content_id, repealed_content_id),
    CHECK (repealing_content_id <> repealed_content_id)
);
CREATE INDEX repeals_repealed ON qa.repeals (site_id, repealed_content_id);
COMMENT ON TABLE qa.repeals IS
    '后发文件正文中的废止条款及其指向的在先文件 / a later document''s clause (同时废止, 不再执行 ...) '
    'and the earlier item it repeals, matched by 文号 or by 《title》';
COMMENT ON COLUMN qa.repeals.found_run IS 'the crawl run after which the repeal was first found';

-- What each column name holds: which rules apply to its items and which freshness limit. The one
-- list of column kinds; disclosure_audit.checks.validity.POLICY_COLUMN_NAMES must agree (a test holds it).
CREATE TABLE ref.column_kinds (
    name        text PRIMARY KEY,
    kind        text NOT NULL,
    freshness   text CHECK (freshness IN ('news', 'policy', 'none'))
);
COMMENT ON TABLE ref.column_kinds IS
    '栏目类别：决定适用哪些规则、更新时限 / what each column name holds: which rules apply, which freshness limit';
INSERT INTO ref.column_kinds (name, kind, freshness) VALUES
    ('政策文件', 'policy', 'policy'),
    ('规范性文件', 'normative', 'policy'),
    ('行政规范性文件', 'normative', 'policy'),
    ('政策解读', 'interpretation', 'policy'),
    ('工作动态', 'news', 'news'),
    ('通知公告', 'notice', 'news'),
    ('人事信息', 'personnel', 'policy'),
    ('财政信息', 'finance', 'policy'),
    ('规划计划', 'plan', 'policy'),
    ('重大建设项目', 'plan', 'policy'),
    ('年报', 'report', 'none');

CREATE FUNCTION qa.policy_column_kind(column_name text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT kind FROM ref.column_kinds WHERE name = column_name AND kind IN ('policy', 'normative')
$$;
COMMENT ON FUNCTION qa.policy_column_kind(text) IS
    '栏目名称对应的政策类别（policy / normative），其他栏目为 NULL / policy kind of a column name, else NULL';

-- -------------------------------------------------------------------- the normative register
CREATE FUNCTION qa.raw_shown(raw jsonb, key text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(btrim(raw ->> key, E' \t\n\r\f\v\u00a0\u3000') <> '', false)
$$;
COMMENT ON FUNCTION qa.raw_shown(jsonb, text) IS '页面显示了该字段且非空 / the page shows this field with a non-blank value';

CREATE VIEW report.normative_register AS
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
       -- "shown" is judged on the values as the page shows them (raw), blank counting as not shown
       (qa.raw_shown(i.raw, 'validity') AND qa.raw_shown(i.raw, 'effective_date')
        AND (COALESCE(i.validity, '') NOT IN ('失效', '废止') OR qa.raw_shown(i.raw, 'repeal_date')))
           AS status_complete
FROM core.items i
JOIN core.columns c ON c.site_id = i.site_id AND c.organ_id = i.organ_id AND c.type = i.type AND c.cat_id = i.cat_id
LEFT JOIN core.orgs o ON o.site_id = i.site_id AND o.organ_id = i.organ_id
WHERE i.removed_at IS NULL AND i.version > 0 AND qa.policy_column_kind(c.name) IS NOT NULL;
COMMENT ON VIEW report.normative_register IS
    '规章和规范性文件底数（摸清底数）：政策文件与规范性文件的文号、有效性、成文/发布/施行/废止日期，被哪些文件废止，'
    '状态是否完整（显示有效性、施行日期，失效或废止的还须显示废止日期）/ '
    'the register of policy and normative documents: 文号, validity, written/published/effective/repeal dates, '
    'the documents that repeal each one (qa.repeals), and whether its status is complete '
    '(validity and effective date shown, and a repeal date when 失效 or 废止)';
