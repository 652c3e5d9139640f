-- The application register (申请登记) and the supplied figures (其他数据) a reporting office imports for the
-- annual report: what table 三 is computed from, and the table-二 / table-四 cells no crawl can see.
-- depends: 0010_report
--
-- No personal data: an application is stored only with what the report format counts (applicant type,
-- dates, outcome, fee); the importer (disclosure_audit.report.register) refuses files that carry names,
-- ID numbers, phone numbers, addresses or e-mail addresses.
--
-- An import is one transaction. register_scopes says which import currently holds each org+year of each
-- kind; a later import of the same org+year is refused unless it is an explicit replacement, which deletes
-- that org+year's rows and inserts the new ones in the same transaction. register_imports keeps every
-- import (also replaced ones) as the log.

CREATE TABLE report.register_imports (
    import_id   bigserial PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('applications', 'figures')),
    file_name   text        NOT NULL,
    sha256      text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    rows        integer     NOT NULL CHECK (rows >= 0),
    covers      jsonb       NOT NULL DEFAULT '[]',
    replaces    bigint[]    NOT NULL DEFAULT '{}',
    imported_at timestamptz NOT NULL DEFAULT now(),
    imported_by text        NOT NULL DEFAULT current_user
);
CREATE INDEX register_imports_sha256 ON report.register_imports (kind, sha256);
COMMENT ON TABLE report.register_imports IS
    '申请登记和其他数据的导入记录（含已被替换的导入）/ every import of an application register or a figures file, '
    'replaced ones included';
COMMENT ON COLUMN report.register_imports.import_id IS '导入编号 / import id';
COMMENT ON COLUMN report.register_imports.kind IS
    '类型：applications 申请登记，figures 其他数据 / kind: applications (register) or figures';
COMMENT ON COLUMN report.register_imports.file_name IS '导入的文件名 / name of the imported file';
COMMENT ON COLUMN report.register_imports.sha256 IS '文件内容的 SHA-256 / SHA-256 of the file''s bytes';
COMMENT ON COLUMN report.register_imports.rows IS '数据行数（不含表头）/ data rows (header not counted)';
COMMENT ON COLUMN report.register_imports.covers IS
    '本次导入涵盖的 [机关, 年度] / the [org, year] pairs this import holds';
COMMENT ON COLUMN report.register_imports.replaces IS
    '被本次导入替换的导入编号 / import ids whose org+years this import replaced';
COMMENT ON COLUMN report.register_imports.imported_at IS '导入时间 / when imported';
COMMENT ON COLUMN report.register_imports.imported_by IS '导入人（账号）/ who imported (account)';

CREATE TABLE report.register_scopes (
    kind      text    NOT NULL CHECK (kind IN ('applications', 'figures')),
    org       text    NOT NULL,
    year      integer NOT NULL,
    import_id bigint  NOT NULL REFERENCES report.register_imports (import_id),
    PRIMARY KEY (kind, org, year)
);
COMMENT ON TABLE report.register_scopes IS
    '每个机关、年度当前有效的导入；有记录即表示该年度已导入（申请登记为空则各项为 0）/ the import that currently '
    'holds each org+year of each kind; a row means the year was imported (an empty register means zeros)';
COMMENT ON COLUMN report.register_scopes.kind IS '类型 / kind: applications, figures';
COMMENT ON COLUMN report.register_scopes.org IS '机关名称 / organisation';
COMMENT ON COLUMN report.register_scopes.year IS
    '年度（申请登记：收到日期所在年度；其他数据：报告年度）/ year (register: year received; figures: report year)';
COMMENT ON COLUMN report.register_scopes.import_id IS '当前有效的导入 / the current import';

CREATE TABLE report.applications (
    import_id       bigint  NOT NULL REFERENCES report.register_imports (import_id),
    org             text    NOT NULL,
    application_ref text    NOT NULL,
    received_on     date    NOT NULL,
    received_year   integer GENERATED ALWAYS AS (EXTRACT(YEAR FROM received_on)::integer) STORED,
    applicant_type  text    NOT NULL
        CHECK (applicant_type IN ('自然人', '商业企业', '科研机构', '社会公益组织', '法律服务机构', '其他')),
    outcome         text    CHECK (outcome LIKE '三、%'),
    decided_on      date,
    fee_yuan        numeric(14, 2) CHECK (fee_yuan >= 0),
    source_row      integer NOT NULL CHECK (source_row >= 2),
    PRIMARY KEY (org, received_year, application_ref),
    CHECK (decided_on IS NULL OR decided_on >= received_on),
    CHECK ((outcome IS NULL) = (decided_on IS NULL))
);
CREATE INDEX applications_org_received ON report.applications (org, received_on);
CREATE INDEX applications_import ON report.applications (import_id);
COMMENT ON TABLE report.applications IS
    '政府信息公开申请登记：每件申请一行，只含年报统计所需的项目，不含个人信息 / the application register: one row '
    'per application, only what the report counts, no personal data';
COMMENT ON COLUMN report.applications.import_id IS '来自哪次导入 / the import the row came from';
COMMENT ON COLUMN report.applications.org IS '机关名称 / organisation';
COMMENT ON COLUMN report.applications.application_ref IS
    '申请编号（机关自编，每个机关每年唯一）/ application id the office assigned, unique per organisation and year';
COMMENT ON COLUMN report.applications.received_on IS '收到申请的日期 / date the application was received';
COMMENT ON COLUMN report.applications.received_year IS '收到年度 / year received';
COMMENT ON COLUMN report.applications.applicant_type IS
    '申请人类型（表三的六列之一）/ applicant type (one of the six columns of table 三)';
COMMENT ON COLUMN report.applications.outcome IS
    '办理结果（表三第三项的行，格式原文）；未办结为空 / outcome: a row of table 三 item 三 (the format''s label); '
    'empty while open';
COMMENT ON COLUMN report.applications.decided_on IS
    '办结日期：结果计入该日期所在年度；为空表示尚未办结 / date decided: the outcome counts in that year; empty = open';
COMMENT ON COLUMN report.applications.fee_yuan IS
    '收取的信息处理费（元），计入办结年度 / fee charged in yuan, counted in the year decided';
COMMENT ON COLUMN report.applications.source_row IS
    '在导入文件中的行号（表头为第 1 行）/ row number in the imported file (header = row 1)';

CREATE TABLE report.supplied_figures (
    import_id    bigint  NOT NULL REFERENCES report.register_imports (import_id),
    org          text    NOT NULL,
    year         integer NOT NULL CHECK (year >= 2019),
    tbl          text    NOT NULL CHECK (tbl IN ('二', '四')),
    row_label    text    NOT NULL,
    column_label text    NOT NULL,
    value        numeric NOT NULL,
    source       text    NOT NULL CHECK (btrim(source) <> ''),
    source_row   integer NOT NULL CHECK (source_row >= 2),
    PRIMARY KEY (org, year, tbl, row_label, column_label)
);
CREATE INDEX supplied_figures_import ON report.supplied_figures (import_id);
COMMENT ON TABLE report.supplied_figures IS
    '机关提供的年报数据：表二的许可、处罚、强制、收费（及 2019 版的其他项目）和表四的复议诉讼 / figures an office '
    'supplies: table 二 licensing, penalties, coercion, fees (and the 2019 format''s other rows) and table 四';
COMMENT ON COLUMN report.supplied_figures.import_id IS '来自哪次导入 / the import the row came from';
COMMENT ON COLUMN report.supplied_figures.org IS '机关名称 / organisation';
COMMENT ON COLUMN report.supplied_figures.year IS '报告年度 / report year';
COMMENT ON COLUMN report.supplied_figures.tbl IS '表：二 或 四 / table: 二 or 四';
COMMENT ON COLUMN report.supplied_figures.row_label IS '行（格式原文）/ row label as the format prints it';
COMMENT ON COLUMN report.supplied_figures.column_label IS '列（格式原文）/ column label as the format prints it';
COMMENT ON COLUMN report.supplied_figures.value IS
    '数值：件数为整数，金额为万元小数，本年增/减可为负 / value: counts are integers, money in 万元 (decimal), '
    '本年增/减 may be negative';
COMMENT ON COLUMN report.supplied_figures.source IS
    '数据来源（必填），如“行政许可系统导出 2025-01-10” / where the figure comes from (required)';
COMMENT ON COLUMN report.supplied_figures.source_row IS
    '在导入文件中的行号（表头为第 1 行）/ row number in the imported file (header = row 1)';

-- 0010 grants SELECT on later tables by default privileges; granted here too, so the tables are readable
-- whoever runs this migration. report_reader never writes.
GRANT SELECT ON report.register_imports, report.register_scopes, report.applications, report.supplied_figures
    TO report_reader;
