-- disclosure_writer: what the nightly job (crawl, check, reports, imports) needs, and nothing more.
-- depends: 0011_report_register 0012_campaign_ledger
--
-- Read and write the rows of core, qa, ref and the report tables the job writes; no DDL, no TRUNCATE,
-- no ownership. The check's refresh of the facts (ANALYZE + REFRESH MATERIALIZED VIEW, which only an
-- owner may run) goes through qa.refresh_facts(), a SECURITY DEFINER function of the schema's owner.
-- Migrations stay with the owner role (`disclosure-audit db migrate` with the owner's URL). Like
-- report_reader, the role is created without LOGIN or password: an operator makes a login role and
-- grants it (CREATE ROLE nightly LOGIN PASSWORD '…' IN ROLE disclosure_writer); no secret in the repo.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'disclosure_writer') THEN
        CREATE ROLE disclosure_writer NOLOGIN;
    END IF;
END
$$;
COMMENT ON ROLE disclosure_writer IS
    '每晚任务（采集、检查、年报核对、导入）使用的写入角色，无建表、删表权限 / the nightly job''s writer: rows of '
    'core, qa, ref and report, no DDL';

GRANT USAGE ON SCHEMA core, qa, ref, report TO disclosure_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA core, qa, ref TO disclosure_writer;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA core, qa, ref, report TO disclosure_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA report TO disclosure_writer;
-- what the job writes in report: imports of the registers, frozen years (insert only: triggers refuse
-- any change of a frozen year), configuration stays with the owner
GRANT INSERT, UPDATE, DELETE ON report.register_imports, report.register_scopes, report.applications,
    report.supplied_figures TO disclosure_writer;
GRANT INSERT ON report.frozen_reports, report.frozen_figure_items TO disclosure_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA core, qa, ref GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO disclosure_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA core, qa, ref, report GRANT USAGE, SELECT ON SEQUENCES TO disclosure_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA report GRANT SELECT ON TABLES TO disclosure_writer;

-- yoyo's ledger, read at the start of every command to see that nothing is pending
DO $$
BEGIN
    IF to_regclass('public._yoyo_migration') IS NOT NULL THEN
        GRANT SELECT ON public._yoyo_migration, public._yoyo_version, public._yoyo_log TO disclosure_writer;
        GRANT SELECT, INSERT, DELETE ON public.yoyo_lock TO disclosure_writer;
    END IF;
END
$$;

CREATE FUNCTION qa.refresh_facts() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    ANALYZE core.sites, core.orgs, core.columns, core.crawl_runs, core.items, core.links, core.attachments,
            core.item_versions, qa.link_checks, qa.repeals, ref.workdays, ref.column_kinds, core.column_runs,
            core.crawl_health;
    REFRESH MATERIALIZED VIEW qa.item_facts;
    REFRESH MATERIALIZED VIEW qa.column_facts;
    REFRESH MATERIALIZED VIEW qa.run_facts;
END
$$;
COMMENT ON FUNCTION qa.refresh_facts() IS
    '刷新检查事实（统计信息与物化视图），以所有者身份执行 / refresh the facts the check judges (ANALYZE and the '
    'materialized views) with the owner''s rights, so the writer role needs no ownership';
REVOKE ALL ON FUNCTION qa.refresh_facts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION qa.refresh_facts() TO disclosure_writer;
