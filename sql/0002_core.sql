-- Crawled items, their version history, captures and crawl runs (the extract-and-load path).
-- depends: 0001_schemas
--
-- A crawl works in two phases, each in its own transactions, so a crawl killed at any point
-- and run again ends with the same data as an uninterrupted one:
--   1. listing: every list entry seen is upserted into core.items; new or changed entries get
--      needs_detail = true;
--   2. details: items with needs_detail (or flagged for re-verification) are fetched, parsed and
--      merged in batches; a merge bumps the version only when the item really changed.

CREATE TABLE core.sites (
    site_id     serial PRIMARY KEY,
    base_url    text NOT NULL UNIQUE,
    platform_site_id text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE core.sites IS '被审计的站点 / audited sites (one per base URL)';

CREATE TABLE core.crawl_runs (
    run_id      bigserial PRIMARY KEY,
    site_id     int NOT NULL REFERENCES core.sites,
    mode        text NOT NULL CHECK (mode IN ('incremental', 'full')),
    orgs        text[] NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
    server_date timestamptz,
    counters    jsonb NOT NULL DEFAULT '{}',
    error       text
);
COMMENT ON TABLE core.crawl_runs IS '采集运行及其计数 / crawl runs with their counters';
COMMENT ON COLUMN core.crawl_runs.server_date IS
    'the Date header of the site at the start of the run: the as-of date of the checks';

CREATE TABLE core.orgs (
    site_id     int NOT NULL REFERENCES core.sites,
    organ_id    bigint NOT NULL,
    name        text NOT NULL,
    url         text NOT NULL,
    last_seen_run bigint REFERENCES core.crawl_runs,
    PRIMARY KEY (site_id, organ_id)
);
COMMENT ON TABLE core.orgs IS '机构 / organisations found on the /public/ index';

CREATE TABLE core.columns (
    site_id     int NOT NULL,
    organ_id    bigint NOT NULL,
    type        int NOT NULL,
    cat_id      bigint NOT NULL,
    name        text NOT NULL,
    fragment    jsonb NOT NULL DEFAULT '{}',
    listed_complete_run bigint REFERENCES core.crawl_runs,
    last_seen_run bigint REFERENCES core.crawl_runs,
    PRIMARY KEY (site_id, organ_id, type, cat_id),
    FOREIGN KEY (site_id, organ_id) REFERENCES core.orgs
);
COMMENT ON TABLE core.columns IS '目录栏目 / catalogue columns (type 4 nodes, type 3 annual reports)';
COMMENT ON COLUMN core.columns.listed_complete_run IS
    'the last run that paged this column to its end; until one has, incremental crawls page it all';

CREATE TABLE core.captures (
    capture_id  bigserial PRIMARY KEY,
    run_id      bigint NOT NULL REFERENCES core.crawl_runs,
    url         text NOT NULL,
    fetched_at  timestamptz NOT NULL,
    status      int NOT NULL,
    content_type text,
    sha256      char(64) NOT NULL,
    bytes       int NOT NULL,
    warc_file   text NOT NULL,
    warc_offset bigint NOT NULL,
    warc_length bigint NOT NULL,
    server_date timestamptz
);
CREATE INDEX captures_url ON core.captures (url, fetched_at DESC);
CREATE INDEX captures_run ON core.captures (run_id);
COMMENT ON TABLE core.captures IS '每次抓取的原始页面（WARC 存档位置与 sha256）/ every response fetched, archived in WARC';

CREATE TABLE core.items (
    item_id     bigserial PRIMARY KEY,
    site_id     int NOT NULL REFERENCES core.sites,
    content_id  bigint NOT NULL,
    organ_id    bigint NOT NULL,
    type        int NOT NULL,
    cat_id      bigint NOT NULL,
    url         text NOT NULL,
    -- what the list shows
    list_title  text,
    list_date   date,
    list_repealed boolean NOT NULL DEFAULT false,
    list_index_number text,
    list_links  text[] NOT NULL DEFAULT '{}',
    list_signature text NOT NULL,
    needs_detail boolean NOT NULL DEFAULT true,
    reverify    boolean NOT NULL DEFAULT false,
    -- what the detail page shows, normalized (raw values in raw)
    title       text,
    name        text,
    index_number text,
    doc_number  text,
    written_date date,
    publish_date date,
    validity    text,
    effective_date text,
    repeal_date text,
    issuer      text,
    topic       text,
    category    text,
    keywords    text[] NOT NULL DEFAULT '{}',
    summary     text,
    attachments text[] NOT NULL DEFAULT '{}',
    interpretation_urls text[] NOT NULL DEFAULT '{}',
    original_urls text[] NOT NULL DEFAULT '{}',
    raw         jsonb NOT NULL DEFAULT '{}',
    body_text   text,
    body_sha256 char(64),
    fingerprint char(64),
    etag        text,
    last_modified text,
    detail_capture_id bigint REFERENCES core.captures,
    version     int NOT NULL DEFAULT 0,
    first_seen_run bigint NOT NULL REFERENCES core.crawl_runs,
    last_seen_run bigint NOT NULL REFERENCES core.crawl_runs,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz,
    removed_at  timestamptz,
    removed_run bigint REFERENCES core.crawl_runs,
    UNIQUE (site_id, content_id)
);
CREATE INDEX items_needing_detail ON core.items (site_id) WHERE needs_detail OR reverify;
CREATE INDEX items_column ON core.items (site_id, organ_id, type, cat_id);
COMMENT ON TABLE core.items IS '信息的当前状态 / the current state of every item seen';
COMMENT ON COLUMN core.items.version IS '0 until the detail page was loaded; +1 on every real change';
COMMENT ON COLUMN core.items.fingerprint IS 'sha256 of every tracked field and the body: a change is a new version';

CREATE TABLE core.item_versions (
    item_id     bigint NOT NULL REFERENCES core.items,
    version     int NOT NULL,
    run_id      bigint NOT NULL REFERENCES core.crawl_runs,
    capture_id  bigint REFERENCES core.captures,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    change_kind text NOT NULL CHECK (change_kind IN ('new', 'metadata', 'content', 'removed', 'restored')),
    changed_fields text[] NOT NULL DEFAULT '{}',
    fields      jsonb NOT NULL,
    body_sha256 char(64),
    PRIMARY KEY (item_id, version)
);
COMMENT ON TABLE core.item_versions IS '信息的每个版本（发布后修改、撤下均留痕）/ every version of every item';

CREATE TABLE core.attachments (
    item_id     bigint NOT NULL REFERENCES core.items,
    position    int NOT NULL,
    url         text NOT NULL,
    PRIMARY KEY (item_id, position)
);
COMMENT ON TABLE core.attachments IS '附件链接 / attachment links of the current version';

CREATE TABLE core.links (
    item_id     bigint NOT NULL REFERENCES core.items,
    kind        text NOT NULL CHECK (kind IN ('interpretation', 'original')),
    position    int NOT NULL,
    url         text NOT NULL,
    target_content_id bigint,
    PRIMARY KEY (item_id, kind, position)
);
COMMENT ON TABLE core.links IS '文件与解读的关联 / document ⇄ interpretation links of the current version';
