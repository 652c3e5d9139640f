"""Web pages of the Airflow UI plugin (问题清单, 采集, 年报, 数据文档): see `disclosure_audit.ui.app`."""

from __future__ import annotations

from disclosure_audit.ui.app import create_app

__all__ = ["create_app"]
