"""Airflow plugin: the disclosure-audit pages (问题清单, 采集, 年报, 数据文档) in the Airflow UI.

Thin wiring: the app is `disclosure_audit.ui.app.create_app`, mounted by the API server at
``/disclosure-audit``. Every route of that app requires an Airflow login (the auth manager's JWT, as a
Bearer token or the ``_token`` cookie); without Airflow's auth dependencies it answers 503 everywhere.
The menu entries open the pages inside the Airflow UI (external views with a ``url_route``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from airflow.configuration import conf
from airflow.plugins_manager import AirflowPlugin

from disclosure_audit.ui.app import create_app

URL_PREFIX = "/disclosure-audit"
CATEGORY = "信息公开审计 Disclosure audit"


def _base_path() -> str:
    """The path of [api] base_url (empty when Airflow is served at the root)."""
    return urlsplit(conf.get("api", "base_url", fallback="") or "").path.rstrip("/")


def _view(name: str, path: str, route: str) -> dict[str, str]:
    return {
        "name": name,
        "href": f"{_base_path()}{URL_PREFIX}/{path}",
        "url_route": route,
        "destination": "nav",
        "category": CATEGORY,
    }


class DisclosureAuditPlugin(AirflowPlugin):
    """The disclosure-audit pages and their menu entries."""

    name = "disclosure_audit"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "disclosure-audit"}]
    external_views = [
        _view("问题清单 Findings", "findings", "disclosure-audit-findings"),
        _view("采集 Crawl health", "crawl", "disclosure-audit-crawl"),
        _view("年报 Annual report", "report", "disclosure-audit-report"),
        _view("数据文档 Data Docs", "docs/index.html", "disclosure-audit-docs"),
    ]
