"""Nightly crawl and check of the disclosure platform (每晚采集并检查政府信息公开平台).

Thin wiring only: the work lives in `disclosure_audit.pipeline`. Settings come from Airflow
Variables or the environment (DISCLOSURE_SITE, DISCLOSURE_ORGS, DISCLOSURE_RATE, DISCLOSURE_PROFILE,
DISCLOSURE_SITE_CONFIG, DISCLOSURE_DATABASE_URL, DISCLOSURE_DATA_DIR). A crawl that could not read
everything (a `degraded` run) fails its task visibly, without retrying; `check` still runs on what was
read, and reports the unread columns as not evaluable; `watcher` then fails the DAG run (it is skipped
when nothing failed). Each organisation is one mapped task; the pool
`disclosure_site` keeps the crawls of one site from running at once, so the per-host rate limit
holds. Create it once per Airflow installation:

    airflow pools set disclosure_site 1 "one crawl of the disclosure site at a time"

Without it the scheduler never starts `crawl` ("Tasks using non-existent pool ... will not be
scheduled"); `airflow dags test` / `dag.test()` ignore pools and run without it.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Variable, dag, task

SETTING_NAMES = (
    "DISCLOSURE_SITE",
    "DISCLOSURE_ORGS",
    "DISCLOSURE_RATE",
    "DISCLOSURE_FULL",
    "DISCLOSURE_PROFILE",
    "DISCLOSURE_SITE_CONFIG",
    "DISCLOSURE_DATABASE_URL",
    "DISCLOSURE_DATA_DIR",
)


def _settings_env() -> dict[str, str]:
    """Variables override the environment; read at run time, never at DAG parse time."""
    import os

    env = {k: v for k, v in os.environ.items() if k.startswith("DISCLOSURE_")}
    for name in SETTING_NAMES:
        value = Variable.get(name, default=None)
        if value is not None:
            env[name] = value
    return env


@dag(
    dag_id="disclosure_nightly",
    schedule="0 1 * * *",
    start_date=pendulum.datetime(2026, 11, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["disclosure-audit"],
    doc_md=__doc__,
)
def disclosure_nightly():
    @task
    def organisations() -> list[str]:
        from disclosure_audit.pipeline import Settings, database_url

        settings = Settings.from_mapping(_settings_env()).resolved()
        database_url(settings)  # migrate once, before the mapped crawls
        return list(settings.orgs or ())

    @task(pool="disclosure_site", max_active_tis_per_dag=1)
    def crawl(org: str) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from disclosure_audit.pipeline import Settings, run_crawl

        result = run_crawl(Settings.from_mapping(_settings_env()), org=org)
        print(result["text"])
        if result["status"] != "succeeded":
            # Could-not-read is a failure someone must see; a retry would read the same answers.
            raise AirflowFailException(f"crawl run {result['run_id']} is {result['status']}: see its summary above")
        return {k: v for k, v in result.items() if k != "text"}

    @task(trigger_rule="all_done")
    def check() -> dict:
        """Every rule over what the crawls stored; findings and Data Docs. Runs even if one crawl failed."""
        from disclosure_audit.pipeline import Settings, run_check

        result = run_check(Settings.from_mapping(_settings_env()))
        print(result.pop("text"))
        return result

    @task(trigger_rule="all_done")
    def reports() -> dict:
        """The annual reports the platform publishes, read back from their captures and checked (C1–C8)."""
        from airflow.sdk.exceptions import AirflowFailException

        from disclosure_audit.pipeline import Settings, run_reports

        result = run_reports(Settings.from_mapping(_settings_env()))
        print(result.pop("text"))
        if result["unreadable"]:
            raise AirflowFailException(f"{result['unreadable']} published report(s) could not be read: see above")
        return result

    @task(trigger_rule="one_failed", retries=0)
    def watcher() -> None:
        """Fails the run when a crawl (or the check) failed: check succeeding must not paint it green."""
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException("a crawl or the check failed: see that task's log for what could not be read")

    crawls = crawl.expand(org=organisations())
    checked = check()
    reported = reports()
    crawls >> checked >> reported
    [crawls, checked, reported] >> watcher()


nightly = disclosure_nightly()
