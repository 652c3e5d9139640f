"""What the facts need besides the crawl: the working-day calendar, link checks and the repeal register."""

from __future__ import annotations

from disclosure_audit.store.server import connect


def prepare_facts(url: str, rate: float, links: bool = True) -> dict:
    """Load the working-day calendar, check links over HTTP (through the polite client, on the site's own
    hosts only) and refresh the repeal register, per site; returns what each step did."""
    from disclosure_audit.calendar.db import load_workdays
    from disclosure_audit.checks.links import check_links
    from disclosure_audit.checks.validity import refresh_repeals
    from disclosure_audit.http.client import PoliteClient

    done: dict = {"calendar": load_workdays(url)}
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT s.site_id, s.base_url, s.hosts, max(r.run_id) FROM core.sites s "
            "JOIN core.crawl_runs r USING (site_id) WHERE r.status IN ('succeeded', 'degraded') "
            "GROUP BY s.site_id, s.base_url, s.hosts ORDER BY s.site_id"
        )
        sites = cur.fetchall()
    conn.close()
    for site_id, base_url, hosts, run_id in sites:
        if links:
            client = PoliteClient([base_url, *(hosts or [])], requests_per_second=rate)
            done[base_url] = check_links(url, site_id, run_id, client)
        refresh_repeals(url, site_id, run_id)
    return done
