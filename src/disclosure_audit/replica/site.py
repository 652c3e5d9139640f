"""The replica site: routes every URL of the platform to the corpus and its renderers."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from disclosure_audit.replica import pages
from disclosure_audit.replica.corpus import Corpus, Item, now_in_site
from disclosure_audit.replica.http_types import Response
from disclosure_audit.replica.model import SITE_ID, Column, Org
from disclosure_audit.replica.variants import DEFAULT_VARIANTS, DEPARTMENT_ORG, Variants, library_flag

_DETAIL = re.compile(r"^/public/(\d{1,10})/(\d{1,10})\.html$")
_LAW_ORG = re.compile(r"^/law/org/(\d{1,10})$")
_LAW_DOC = re.compile(r"^/law/doc/(\d{1,18})\.txt$")
_SHELL = re.compile(r"^/public/column/(\d{1,10})$")
ATTACHMENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "wps": "application/kswps",
    "xls": "application/vnd.ms-excel",
}
MAX_PAGE_SIZE = 100
OFF_SITE = "http://other-host.invalid"  # where hostile entries point or redirect: never reachable
# What a list endpoint answers instead of a list (Variants.broken_lists): status, body, content type.
_BROKEN = {
    "param_error": (200, "<p>参数错误</p>", "text/html; charset=utf-8"),
    "login": (
        200,
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>用户登录</title></head><body>'
        '<form action="/login" method="post"><p>用户名：<input name="u"></p><p>密码：<input type="password" name="p">'
        "</p><p>验证码：<input name=\"c\"></p><button>登录</button></form></body></html>",
        "text/html; charset=utf-8",
    ),
    "waf": (
        200,
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>访问被拦截</title></head><body>'
        "<h1>您的请求被网站防火墙拦截</h1><p>如您是正常访问，请稍后重试。</p></body></html>",
        "text/html; charset=utf-8",
    ),
    "json": (200, '{"status":1,"data":{"list":[],"total":0}}', "application/json; charset=utf-8"),
}


class ReplicaSite:
    """Answers GET requests for the platform's pages on one simulated day."""

    def __init__(
        self, corpus: Corpus, crawl_delay: float | None = None, variants: Variants = DEFAULT_VARIANTS
    ) -> None:
        self.corpus = corpus
        self.crawl_delay = crawl_delay
        self.variants = variants
        self._started = time.monotonic()
        self._start_clock = now_in_site(corpus.day)
        self._lock = threading.Lock()

    def clock(self) -> datetime:
        """21:00 Beijing time on the simulated day, running on from when the site started."""
        return self._start_clock + timedelta(seconds=time.monotonic() - self._started)

    # ------------------------------------------------------------------ routing
    def handle(self, path: str, query: dict[str, list[str]]) -> Response:
        prefix = self.variants.path_prefix
        if not prefix or path == "/robots.txt":
            return self._route(path, query)
        if path != prefix and not path.startswith(prefix + "/"):
            return self.not_found()
        resp = self._route(path[len(prefix) :] or "/", query)
        if resp.content_type.startswith("text/html") and resp.body:
            resp.body = _prefixed(resp.body, prefix.encode("ascii"))
        if "Location" in resp.headers and resp.headers["Location"].startswith("/"):
            resp.headers["Location"] = prefix + resp.headers["Location"]
        return resp

    def _route(self, path: str, query: dict[str, list[str]]) -> Response:
        q = {k: v[-1] for k, v in query.items()}
        if path == "/robots.txt":
            return _text(pages.robots_txt(self.crawl_delay), "text/plain; charset=utf-8")
        if path in ("/", "/public", "/public/"):
            return self._html(pages.render_index(self.corpus.orgs, self.corpus.as_of), None)
        if path == "/site/label/8888":
            return self._fragment(q)
        if path.startswith("/law/"):
            return self._law(path, q)
        m = _SHELL.match(path)
        if m:
            return self._shell(int(m.group(1)), q)
        m = _DETAIL.match(path)
        if m:
            return self._detail(int(m.group(1)), int(m.group(2)))
        if path.startswith("/group1/"):
            return self._attachment(path)
        if path == "/static/pdfjs/web/viewer.html":
            return self._html(
                '<!DOCTYPE html><html><head><meta charset="utf-8"><title>PDF</title></head>'
                '<body><div id="viewer"></div></body></html>',
                None,
            )
        return self.not_found()

    def not_found(self) -> Response:
        return Response(404, pages.render_not_found().encode("utf-8"), "text/html; charset=utf-8")

    # ------------------------------------------------------------------ pages
    def _shell(self, organ_id: int, q: dict[str, str]) -> Response:
        org = self.corpus.org(organ_id)
        type_ = _int(q.get("type"), 4)
        library = org is not None and org.organ_id in self.variants.library_orgs
        if type_ == 6 and library:
            return self._html(pages.render_library(org), org)  # type: ignore[arg-type]
        if org is None or type_ not in (1, 2, 3, 4, 5):
            return self.not_found()
        column: Column | None = None
        if type_ == 4 and q.get("catId"):
            column = org.column(_int(q.get("catId"), -1))
            if column is None or column.type != 4:
                return self.not_found()
        return self._html(pages.render_shell(org, type_, column, self.variants.shell_params, library), org)

    def _fragment(self, q: dict[str, str]) -> Response:
        """The list endpoint behind every catalogue shell: an HTML fragment of one page of items.

        As the platform does, a request missing a parameter or naming no known organisation or site
        gets 参数错误 (unless Variants.strict_parameters is off: then only a wrong value does)."""
        strict = self.variants.strict_parameters
        org = self.corpus.org(_int(q.get("organId"), -1))
        if strict and (
            org is None
            or q.get("labelName") != pages.FRAGMENT_LABEL
            or q.get("siteId") != str(SITE_ID)
            or not q.get("file")
            or q.get("type") in (None, "")
        ):
            return _text("<p>参数错误</p>", "text/html; charset=utf-8")
        if q.get("labelName") != pages.FRAGMENT_LABEL or org is None:
            return self.not_found()
        if q.get("siteId") not in (str(SITE_ID), None, ""):
            return self._fragment_error("站点不存在")
        if q.get("file") != org.template:
            return self._fragment_error("模板文件不存在")
        type_ = _int(q.get("type"), 4)
        if type_ == 6 and org.organ_id in self.variants.library_orgs:
            return self._library_fragment(org, q)
        if type_ == 3:
            column = next((c for c in org.columns if c.type == 3), None)
        elif type_ == 4:
            column = org.column(_int(q.get("catId"), -1))
        else:
            column = None
        if column is None or column.type != type_:
            return self._fragment_error("栏目不存在")
        broken = self.variants.broken_lists.get(column.cat_id)
        if broken is not None:
            status, text, content_type = _BROKEN[broken]
            return _text(text, content_type)
        size = _int(q.get("pageSize"), 15)
        if not 1 <= size <= MAX_PAGE_SIZE:
            size = 15
        # the vendor counts pages from 0; most sites' pagers send 1-based indexes
        page = max(_int(q.get("pageIndex"), org.page_base) - org.page_base, 0)
        total = self.corpus.column_size(column)
        items = self.corpus.list_page(column, page, size)
        shown = self.variants.short_lists.get(column.cat_id)
        if shown is not None:  # the list claims and shows only its first `shown` entries
            total = min(total, shown)
            items = items[: max(0, shown - page * size)]
        body = pages.render_fragment(
            org, column, items, total, page, size, self.corpus.item, self.variants.empty_list, q.get("result")
        )
        body = self._hostile_hrefs(body, items)
        body = self._department_hrefs(body, org)
        charset = "GB18030" if org.encoding == "gb18030" else "utf-8"
        return _text(body, f"text/html; charset={charset}", org.encoding)

    def _library_fragment(self, org: Org, q: dict[str, str]) -> Response:
        """One page of a library tab: the documents of its columns whose validity flag it asks for."""
        columns = [org.column(_int(c, -1)) for c in (q.get("catIds") or "").split(",") if c.strip()]
        flags = {f.strip() for f in (q.get("isInvalid") or "").split(",") if f.strip()}
        if not columns or any(c is None or c.type != 4 for c in columns) or not flags:
            return _text("<p>参数错误</p>", "text/html; charset=utf-8")
        listed: list[Item] = []
        for col in columns:
            listed += [
                i
                for i in self.corpus.list_page(col, 0, max(1, self.corpus.column_size(col)))  # type: ignore[arg-type]
                if library_flag(i.truth.get("validity")) in flags
            ]
        listed.sort(key=lambda i: (i.publish_at, i.content_id), reverse=True)
        size = _int(q.get("pageSize"), 15)
        if not 1 <= size <= MAX_PAGE_SIZE:
            size = 15
        page = max(_int(q.get("pageIndex"), org.page_base) - org.page_base, 0)
        shown = listed[page * size : (page + 1) * size]
        body = pages.render_fragment(
            org, columns[0], shown, len(listed), page, size, self.corpus.item, self.variants.empty_list, q.get("result")
        )
        body = self._department_hrefs(body, org)
        charset = "GB18030" if org.encoding == "gb18030" else "utf-8"
        return _text(body, f"text/html; charset={charset}", org.encoding)

    def _department_hrefs(self, body: str, org: Org) -> str:
        """The department's lists link its items on its own host (Variants.department_host)."""
        host = self.variants.department_host
        if not host or org.organ_id != DEPARTMENT_ORG:
            return body
        return body.replace(f'href="/public/{org.organ_id}/', f'href="{host}/public/{org.organ_id}/')

    def _law(self, path: str, q: dict[str, str]) -> Response:
        """The legal database: /law/, /law/org/<id>?page=N (1-based), /law/doc/<id>.txt."""
        if path == "/law/":
            return self._html(pages.render_law_index(self.corpus.orgs), None)
        m = _LAW_ORG.match(path)
        if m:
            org = self.corpus.org(int(m.group(1)))
            if org is None:
                return self.not_found()
            docs = law_documents(self.corpus, org)
            size = _int(q.get("size"), pages.LAW_PAGE_SIZE)
            size = size if 1 <= size <= MAX_PAGE_SIZE else pages.LAW_PAGE_SIZE
            count = max(1, -(-len(docs) // size))
            page = min(max(_int(q.get("page"), 1), 1), count)
            return self._html(pages.render_law_list(org, docs[(page - 1) * size : page * size], page, count), None)
        m = _LAW_DOC.match(path)
        if m:
            item = self.corpus.item(int(m.group(1)))
            if item is None or item.column.name not in pages.LAW_COLUMNS:
                return self.not_found()
            return _text(pages.render_law_text(item), "text/plain; charset=utf-8")
        return self.not_found()

    def _fragment_error(self, message: str) -> Response:
        return _text(f'<div class="error">{message}</div>', "text/html; charset=utf-8")

    def _hostile_hrefs(self, body: str, items: Sequence[Item]) -> str:
        """List entries that point where a crawler must not go (Variants.hostile): another host, or a
        path robots.txt disallows."""
        for item in items:
            how = self.variants.hostile.get(item.content_id)
            href = pages.item_url(item.org.organ_id, item.content_id)
            if how == "off_site_href":
                body = body.replace(f'href="{href}"', f'href="{OFF_SITE}{href}"')
            elif how == "disallowed":
                body = body.replace(f'href="{href}"', f'href="/private{href}"')
        return body

    def _detail(self, organ_id: int, cid: int) -> Response:
        item = self.corpus.item(cid)
        if item is None or item.org.organ_id != organ_id:
            return self.not_found()
        how = self.variants.hostile.get(cid)
        if how == "redirect_away":
            return Response(302, b"", headers={"Location": f"{OFF_SITE}/public/{organ_id}/{cid}.html"})
        if how == "empty":
            return Response(200, b"", "text/html; charset=utf-8", etag=_etag(b""))
        page = pages.render_detail(item, self.corpus.item)
        for key, label in self.variants.labels.items():
            shown = item.org.style.labels.get(key)
            if shown:
                page = page.replace(f">{shown}<", f">{label}<")
        if how == "deep":
            depth = 3000
            page = page.replace("<body>", "<body>" + "<div>" * depth, 1)
            page = page.replace("</body>", "</div>" * depth + "</body>", 1)
        resp = self._html(page, item.org)
        if how == "truncated":
            # cut inside the metadata table, as a connection dropped mid-page leaves it
            start, end = resp.body.find(b"<table"), resp.body.find(b"</table>")
            cut = (start + end) // 2 if 0 <= start < end else len(resp.body) // 3
            resp = Response(200, resp.body[:cut], resp.content_type, etag=_etag(resp.body[:cut]))
        elif how == "mislabelled":
            # GB18030 bytes under a page and header that say UTF-8
            data = page.replace("charset=gb18030", "charset=utf-8").encode("gb18030")
            resp = Response(200, data, "text/html; charset=utf-8", etag=_etag(data))
        resp.last_modified = item.last_modified
        return resp

    def _attachment(self, path: str) -> Response:
        found = self.corpus.attachment(path)
        if found is None:
            return self.not_found()
        item, att = found
        if att.served == "missing":
            return self.not_found()
        if att.served == "html":
            return self._html(pages.render_not_a_pdf(item, att), item.org)
        data = pages.render_pdf(item, att) if att.served == "pdf" else pages.render_doc(item, att)
        return Response(200, data, ATTACHMENT_TYPES[att.served], etag=_etag(data), last_modified=item.publish_at)

    def _html(self, page: str, org: Org | None) -> Response:
        encoding = org.encoding if org else "utf-8"
        data = page.encode(encoding)
        # GB18030 organisations declare their charset only in the page's <meta>, as many such sites do
        content_type = "text/html" if encoding != "utf-8" else "text/html; charset=utf-8"
        return Response(200, data, content_type, etag=_etag(data))


# Site-absolute paths in the replica's pages (links, sources, the list script's endpoint, the viewer's
# file); ASCII, so replaced on the bytes of UTF-8 and GB18030 pages alike.
_ABSOLUTE = re.compile(rb"""((?:href|src|action)=["']|url:\s*["']|\$\.get\(\s*'|file=|var pdf=')/(?!/)""")


def _prefixed(body: bytes, prefix: bytes) -> bytes:
    """A page of the platform as served under `prefix`: every site-absolute path it names carries it."""
    return _ABSOLUTE.sub(lambda m: m.group(1) + prefix + b"/", body)


def _text(body: str, content_type: str, encoding: str = "utf-8") -> Response:
    data = body.encode(encoding)
    return Response(200, data, content_type, etag=_etag(data))


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:24] + '"'


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default  # type: ignore[arg-type]
    except ValueError:
        return default


def law_documents(corpus: Corpus, org: Org) -> list[Item]:
    """The documents the legal database republishes of an issuer: its policy and normative columns,
    newest first."""
    out: list[Item] = []
    for col in org.columns:
        if col.type == 4 and col.name in pages.LAW_COLUMNS:
            out += corpus.list_page(col, 0, max(1, corpus.column_size(col)))
    return sorted(out, key=lambda i: (i.publish_at, i.content_id), reverse=True)
