"""The FastAPI app of the Airflow UI plugin (plugins/disclosure_audit_plugin.py mounts it at /disclosure-audit).

Airflow 3 mounts a plugin's app with ``app.mount()``; a mounted app inherits none of the API server's
authentication. So this app declares Airflow's own auth-manager dependency on every route
(``requires_access_view(AccessView.WEBSITE)`` of ``airflow.api_fastapi.core_api.security``, which
resolves the user with ``get_user``: the ``Authorization: Bearer`` JWT or the ``_token`` cookie, checked
by the configured auth manager, revoked tokens refused). When that dependency cannot be imported, the
app FAILS CLOSED: every path answers 503 with a message, never a page.

Pages (all GET, all read-only):
- ``/findings``: 问题清单, filtered by org, rule, status (open/closed) and campaign phase, paginated;
- ``/captures/{capture_id}``: the archived body of a capture as ``text/plain`` under a sandbox CSP,
  so crawled HTML never runs in the Airflow origin;
- ``/crawl``: the latest runs, columns that could not be read, availability per run;
- ``/report?org=&year=``: the annual report (report.export.render_html of report.figures.compute_report);
- ``/docs/...``: the Great Expectations Data Docs site under DISCLOSURE_DATA_DIR/gx/data_docs.

An unreachable database gives a 503 page in Chinese and English.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import logging
import mimetypes
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg2
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from disclosure_audit import locations
from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.ui import pages, queries

log = logging.getLogger(__name__)

SECURITY_MODULE = "airflow.api_fastapi.core_api.security"
RESOURCE_DETAILS_MODULE = "airflow.api_fastapi.auth.managers.models.resource_details"
MAX_LIMIT = 500
CONNECT_TIMEOUT = 5  # seconds

# Our own pages: nothing but inline CSS, images from here, forms to here; the Airflow UI may frame them.
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'self'"
)
# A crawled body: no script, no style, no request, no same origin, whatever it contains.
CAPTURE_CSP = "sandbox; default-src 'none'"
# The Data Docs site: its vendored scripts, styles, fonts and images, all from here. GX fills its tables from
# inline scripts of its own pages: the inline scripts of the page served (by hash, see `docs_csp`) may run,
# nothing else inline, nothing from elsewhere. (A sandbox would cut the pages off their own assets: a
# sandboxed page's requests carry no Airflow cookie.) Crawled text reaches these pages HTML-escaped by the
# facts views (qa.html_escape), so it cannot add a script of its own.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'{hashes}; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
_INLINE_SCRIPT = re.compile(rb"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


class DatabaseUnavailable(DisclosureAuditError):
    """The project database could not be reached (or found)."""


class AuthUnavailable(DisclosureAuditError):
    """Airflow's auth-manager dependencies could not be imported: the app serves nothing."""


# ------------------------------------------------------------------------------------------ settings


class Settings:
    """Where the app reads from: the database URL and the data directory (resolved at request time)."""

    def __init__(self, database_url: str | None = None, data_dir: Path | None = None) -> None:
        self._database_url = database_url
        self._data_dir = data_dir

    def database_url(self) -> str:
        """DISCLOSURE_DATABASE_URL, else the project database found like the CLI finds it (then remembered)."""
        if self._database_url:
            return self._database_url
        from disclosure_audit.store import server

        configured = os.environ.get(server.ENV_URL)
        if configured:
            return configured
        try:
            _, url = server.project_database()
        except (DisclosureAuditError, psycopg2.Error, OSError) as exc:
            raise DatabaseUnavailable(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
        self._database_url = url
        return url

    def data_dir(self) -> Path:
        """DISCLOSURE_DATA_DIR (else .local/data of the project), where captures and Data Docs are."""
        return self._data_dir or locations.data_dir()

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """A cursor of a read-only transaction, rolled back and closed afterwards."""
        url = self.database_url()
        try:
            conn = psycopg2.connect(url, connect_timeout=CONNECT_TIMEOUT, application_name="disclosure-audit-ui")
        except psycopg2.Error as exc:
            raise DatabaseUnavailable(_first_line(exc)) from exc
        try:
            conn.set_session(readonly=True)
            with conn.cursor() as cur:
                yield cur
        finally:
            try:
                conn.rollback()
            finally:
                conn.close()

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A read-only connection (for code that opens its own cursors, like compute_report)."""
        with self.cursor() as cur:
            yield cur.connection


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# ------------------------------------------------------------------------------------------ auth


def airflow_auth_dependencies() -> list[Any]:
    """Airflow's auth dependency for every route: an authenticated user allowed to see the Airflow website.

    Raises AuthUnavailable when Airflow's security module (or what we use of it) cannot be imported.
    """
    try:
        security = importlib.import_module(SECURITY_MODULE)
        details = importlib.import_module(RESOURCE_DETAILS_MODULE)
        get_user: Callable[..., Any] = security.get_user
        requires_access_view: Callable[..., Any] = security.requires_access_view
        website = details.AccessView.WEBSITE
    except Exception as exc:  # ImportError, AttributeError, a config error raised while importing …
        raise AuthUnavailable(f"{type(exc).__name__}: {_first_line(exc)}") from exc
    return [Depends(get_user), Depends(requires_access_view(website))]


def _login_url(request: Request) -> str | None:
    """The auth manager's login page, back to this request afterwards (None outside Airflow)."""
    try:
        from airflow.api_fastapi.app import get_auth_manager

        return get_auth_manager().get_url_login(next_url=str(request.url))
    except Exception:  # noqa: BLE001 - only a convenience link
        return None


# ------------------------------------------------------------------------------------------ responses


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _html(content: str, status_code: int = 200, csp: str = PAGE_CSP) -> HTMLResponse:
    return HTMLResponse(content, status_code=status_code, headers={**COMMON_HEADERS, "Content-Security-Policy": csp})


def _message(
    request: Request, status_code: int, zh: str, en: str, text_zh: str, text_en: str, detail: str = ""
) -> HTMLResponse:
    return _html(pages.message_page(_root(request), zh, en, text_zh, text_en, detail), status_code)


def _unavailable_app(reason: str) -> FastAPI:
    """The fail-closed app: every method on every path answers 503, whatever the credentials."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, title="disclosure-audit UI (disabled)")
    text_zh = (
        "信息公开审计页面已停用：无法加载 Airflow 的身份验证组件，为安全起见不提供任何页面。请检查 Airflow 版本与插件。"
    )
    text_en = (
        "The disclosure-audit pages are disabled: Airflow's authentication dependencies could not be imported, "
        "so nothing is served (fail closed). Check the Airflow version and the plugin."
    )

    async def closed(request: Request, path: str = "") -> HTMLResponse:
        return _message(request, 503, "服务不可用", "Service unavailable", text_zh, text_en, reason)

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    app.add_api_route("/", closed, methods=methods, include_in_schema=False)
    app.add_api_route("/{path:path}", closed, methods=methods, include_in_schema=False)
    return app


# ------------------------------------------------------------------------------------------ the app


def create_app(
    *,
    database_url: str | None = None,
    data_dir: Path | None = None,
    auth_dependencies: Sequence[Any] | None = None,
) -> FastAPI:
    """The plugin's FastAPI app.

    `auth_dependencies` defaults to Airflow's (`airflow_auth_dependencies`); when those cannot be
    imported the returned app answers 503 everywhere. Tests of the pages alone pass their own.
    """
    if auth_dependencies is None:
        try:
            auth_dependencies = airflow_auth_dependencies()
        except AuthUnavailable as exc:
            log.error("disclosure-audit UI disabled (fail closed): %s", exc)
            return _unavailable_app(str(exc))
    settings = Settings(database_url, data_dir)
    app = FastAPI(
        title="disclosure-audit UI",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=list(auth_dependencies),
    )
    app.state.settings = settings
    _add_handlers(app)
    _add_routes(app, settings)
    return app


def _add_handlers(app: FastAPI) -> None:
    @app.exception_handler(DatabaseUnavailable)
    async def db_unavailable(request: Request, exc: DatabaseUnavailable) -> HTMLResponse:
        return _message(
            request,
            503,
            "数据库暂不可用",
            "Database unavailable",
            "无法连接项目数据库，请稍后再试，或检查 DISCLOSURE_DATABASE_URL 与数据库服务器。",
            "The project database cannot be reached. Try again later, or check DISCLOSURE_DATABASE_URL and the server.",
            str(exc),
        )

    @app.exception_handler(psycopg2.Error)
    async def db_error(request: Request, exc: psycopg2.Error) -> HTMLResponse:
        log.warning("disclosure-audit UI: database error: %s", _first_line(exc))
        return _message(
            request,
            503,
            "数据库暂不可用",
            "Database unavailable",
            "读取数据库时出错（数据库是否已迁移？请运行 disclosure-audit db migrate）。",
            "Reading the database failed (is it migrated? run disclosure-audit db migrate).",
            _first_line(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code in (401, 403):
            login = _login_url(request)
            page = pages.message_page(
                _root(request),
                "需要登录" if exc.status_code == 401 else "无权访问",
                "Sign in required" if exc.status_code == 401 else "Forbidden",
                "请先登录 Airflow，再打开本页。" if exc.status_code == 401 else "当前用户无权查看本页。",
                "Sign in to Airflow first." if exc.status_code == 401 else "This user may not see this page.",
                str(exc.detail or ""),
            )
            if login and exc.status_code == 401:
                link = f'<p><a href="{pages.esc(login)}">登录 Sign in</a></p></div>'
                page = page.replace("</div>\n</main>", link + "\n</main>", 1)
            response = _html(page, exc.status_code)
        else:
            response = _message(
                request, exc.status_code, "无法显示", "Not available", "请求的页面不存在或无法显示。",
                "The page asked for does not exist or cannot be shown.", str(exc.detail or ""),
            )  # fmt: skip
        response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> HTMLResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return _message(
            request, 422, "参数有误", "Invalid parameters", "查询参数有误。", "A query parameter is invalid.", problems
        )


def _blank(value: str | None) -> str | None:
    return value if value not in (None, "") else None


def _default_year() -> int:
    return datetime.now(pages.SHANGHAI).year - 1


def _add_routes(app: FastAPI, settings: Settings) -> None:
    @app.get("/", include_in_schema=False)
    def index(request: Request) -> RedirectResponse:
        return RedirectResponse(f"{_root(request)}/findings", status_code=307)

    @app.get("/findings", response_class=HTMLResponse)
    def findings(
        request: Request,
        org: str | None = None,
        rule: str | None = None,
        status: str | None = Query(None, pattern="^(open|closed|)$"),
        phase: str | None = Query(None, pattern="^[0-9]{0,9}$"),
        limit: int = Query(50, ge=1, le=MAX_LIMIT),
        offset: int = Query(0, ge=0),
    ) -> HTMLResponse:
        """问题清单 Findings."""
        filters = queries.FindingFilters(
            org=_blank(org), rule=_blank(rule), status=_blank(status), phase=int(phase) if phase else None
        )
        with settings.cursor() as cur:
            rows, total = queries.findings(cur, filters, limit, offset)
            options = queries.finding_options(cur)
        return _html(pages.findings_page(_root(request), rows, total, filters.params(), options, limit, offset))

    @app.get("/captures/{capture_id}")
    def capture(request: Request, capture_id: int) -> Response:
        """The archived body of one capture, as text/plain, sandboxed."""
        from disclosure_audit.http.capture import read_capture

        with settings.cursor() as cur:
            ref = queries.capture(cur, capture_id)
        if ref is None:
            return _message(request, 404, "没有该存档", "No such capture", f"没有编号为 {capture_id} 的存档。",
                            f"There is no capture {capture_id}.")  # fmt: skip
        root = settings.data_dir().resolve()
        target = (root / ref.warc_file).resolve()
        if not target.is_relative_to(root):
            return _message(request, 404, "无法读取存档", "Capture unreadable", "存档路径不在数据目录内。",
                            "The capture's file is outside the data directory.", ref.warc_file)  # fmt: skip
        try:
            archived = read_capture(root, ref.warc_file, ref.warc_offset)
        except (OSError, ValueError) as exc:
            return _message(request, 404, "无法读取存档", "Capture unreadable",
                            "存档文件缺失或无法读取（如已移动，请设置 DISCLOSURE_DATA_DIR）。",
                            "The archive file is missing or unreadable (set DISCLOSURE_DATA_DIR if it moved).",
                            _first_line(exc))  # fmt: skip
        headers = {
            **COMMON_HEADERS,
            "Content-Security-Policy": CAPTURE_CSP,
            "Content-Disposition": "inline",
            "X-Archived-Content-Type": _header_safe(ref.content_type or ""),
        }
        return Response(archived.body, media_type=plain_text_type(ref.content_type), headers=headers)

    @app.get("/crawl", response_class=HTMLResponse)
    def crawl(request: Request) -> HTMLResponse:
        """采集 Crawl health."""
        with settings.cursor() as cur:
            runs = queries.crawl_runs(cur)
            unreadable = queries.unreadable_columns(cur)
            health = queries.crawl_health(cur)
        return _html(pages.crawl_page(_root(request), runs, unreadable, health))

    @app.get("/report", response_class=HTMLResponse)
    def report(
        request: Request, org: str | None = None, year: int | None = Query(None, ge=2000, le=2100)
    ) -> HTMLResponse:
        """年报 Annual report of one organisation and year."""
        from disclosure_audit.report.export import render_html
        from disclosure_audit.report.figures import ReportError, compute_report

        org = _blank(org)
        year = year or _default_year()
        root = _root(request)
        with settings.connection() as conn:
            with conn.cursor() as cur:
                orgs = queries.report_orgs(cur)
            if org is None:
                return _html(pages.report_chooser_page(root, orgs, None, year))
            try:
                report = compute_report(conn, org, year)
            except ReportError as exc:
                return _html(pages.report_chooser_page(root, orgs, org, year, str(exc)), 400)
        return _html(pages.report_page(root, render_html(report), pages.report_form(root, orgs, org, year)))

    @app.get("/docs", include_in_schema=False)
    def docs_root(request: Request) -> RedirectResponse:
        return RedirectResponse(f"{_root(request)}/docs/index.html", status_code=307)

    @app.get("/docs/{path:path}")
    def docs(request: Request, path: str) -> Response:
        """The Data Docs site, file by file, never outside DISCLOSURE_DATA_DIR/gx/data_docs."""
        site = (settings.data_dir() / "gx" / "data_docs").resolve()
        parts = path.replace("\\", "/").split("/")
        if any(p in ("..", ".") for p in parts) or "\x00" in path or path.startswith("/"):
            return _message(request, 404, "拒绝访问", "Refused", "路径不允许。", "This path is not allowed.", path)
        target = (site / (path or "index.html")).resolve()
        if not target.is_relative_to(site):
            return _message(request, 404, "拒绝访问", "Refused", "路径不允许。", "This path is not allowed.", path)
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            if not site.is_dir():
                return _message(request, 404, "尚无数据文档", "No Data Docs yet",
                                "尚未生成数据文档：运行 disclosure-audit check 后再试。",
                                "No Data Docs have been built yet: run disclosure-audit check first.")  # fmt: skip
            return _message(request, 404, "文件不存在", "Not found", "数据文档中没有该文件。",
                            "The Data Docs site has no such file.", path)  # fmt: skip
        media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if media_type.startswith("text/") or media_type in ("application/javascript", "image/svg+xml"):
            media_type += "; charset=utf-8"
        content = target.read_bytes()
        headers = {
            **COMMON_HEADERS,
            "Content-Security-Policy": docs_csp(content if media_type.startswith("text/html") else b""),
        }
        return Response(content, media_type=media_type, headers=headers)


def docs_csp(page: bytes) -> str:
    """The Data Docs CSP for one page: self only, plus the hashes of the page's own inline scripts."""
    hashes = sorted(
        {base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() for m in _INLINE_SCRIPT.finditer(page)}
    )
    return DOCS_CSP.format(hashes="".join(f" 'sha256-{h}'" for h in hashes))


def _header_safe(value: str) -> str:
    """`value` with only printable ASCII (a header must not carry anything else)."""
    return "".join(ch for ch in value if 32 <= ord(ch) < 127)[:200]


def plain_text_type(content_type: str | None) -> str:
    """The stored content type downgraded to text/plain, keeping a sane charset parameter."""
    charset = None
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            value = value.strip().strip('"').strip("'")
            if value and all(ch.isalnum() or ch in "-_.:" for ch in value) and len(value) <= 40:
                charset = value
    return f"text/plain; charset={charset}" if charset else "text/plain"
