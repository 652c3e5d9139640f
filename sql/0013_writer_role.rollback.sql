-- The role is shared by the cluster's databases: only this database's grants and objects go.
DROP FUNCTION IF EXISTS qa.refresh_facts();
ALTER DEFAULT PRIVILEGES IN SCHEMA report REVOKE SELECT ON TABLES FROM disclosure_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA core, qa, ref, report REVOKE USAGE, SELECT ON SEQUENCES FROM disclosure_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA core, qa, ref REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM disclosure_writer;
DO $$
BEGIN
    IF to_regclass('public._yoyo_migration') IS NOT NULL THEN
        REVOKE ALL ON public._yoyo_migration, public._yoyo_version, public._yoyo_log, public.yoyo_lock
            FROM disclosure_writer;
    END IF;
END
$$;
REVOKE ALL ON ALL TABLES IN SCHEMA core, qa, ref, report FROM disclosure_writer;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA core, qa, ref, report FROM disclosure_writer;
REVOKE USAGE ON SCHEMA core, qa, ref, report FROM disclosure_writer;
