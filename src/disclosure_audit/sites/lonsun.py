"""The LonSun "EX" platform (安徽省政府网站集约化平台; Hefei and most of Anhui): the first site profile.

Layout: an organisation index at /public/ linking each catalogue /public/column/<organId>?type=4;
catalogue shells whose inline script asks an AJAX endpoint (/site/label/8888, prefixed on some sites)
for an HTML list fragment; detail pages /public/<organId>/<contentId>.html with a labelled metadata
table; the 年报 list (type 3) and the 行政规范性文件库 (type 6, one list per validity tab).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import parse_qsl, urljoin, urlsplit

from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.parse import dom, urls
from disclosure_audit.parse.decode import decode_page
from disclosure_audit.parse.detail import DetailLayout, Selector, parse_detail
from disclosure_audit.parse.labels import DEFAULT_LABELS
from disclosure_audit.parse.listing import ListPage, parse_fragment, parse_index, parse_shell
from disclosure_audit.parse.normalize import normalize_item
from disclosure_audit.parse.script import PAGING_PARAMETERS, ListCall, read_list_call
from disclosure_audit.sandbox import SandboxError, extract_scripts, record_requests
from disclosure_audit.sites.base import (
    LIBRARY,
    REPORT,
    ColumnRef,
    DetailRead,
    Fetch,
    ListRequest,
    OrgRef,
    Page,
    Problem,
    SiteProfile,
    Unreadable,
)

INDEX_PATH = "/public/"
FRAGMENT_PATH = "/site/label/8888"
LIST_MARKER = "labelName"  # every list request of the platform names its label
DEFAULT_PAGE_SIZE = 15
CATALOGUE_TYPE, REPORT_TYPE, LIBRARY_TYPE = 4, 3, 6
LIBRARY_NAME = "行政规范性文件库"
# The library's tabs by the vendor's validity flags (0 not marked, 1 失效, 2 废止, 3 修改): a tab
# whose request asks for flag 0 lists documents in force.
_IN_FORCE_FLAGS = frozenset({"0", "3", "5"})
_DOC_END = re.compile(rb"</html\s*>\s*$", re.I)


class LonsunProfile(SiteProfile):
    """The LonSun platform: organisations by name from /public/, lists through the label endpoint."""

    name = "lonsun"
    description = "LonSun EX 政府信息公开平台（安徽省政府网站集约化平台）/ the LonSun EX disclosure platform"

    def __init__(self, base_url: str, settings=None) -> None:
        super().__init__(base_url, settings)
        s = self.settings
        self.layout = DetailLayout(
            labels=DEFAULT_LABELS.with_synonyms(s.labels),
            body=tuple(Selector.parse(x) for x in s.body_selectors),
            title=tuple(Selector.parse(x) for x in s.title_selectors),
        )

    # ---------------------------------------------------------------- discovery
    def index_url(self) -> str:
        return self.url(INDEX_PATH)

    def discover(self, fetch: Fetch, names: list[str]) -> list[OrgRef]:
        page = fetch(self.index_url())
        text = self._readable(page, "the organisation index", "site_unreadable")
        orgs = parse_index(text, page.final_url)
        if not orgs:
            raise Unreadable(
                Problem(
                    "site_unreadable",
                    "expected the organisation index to link catalogues (/public/column/<organId>?type=4), "
                    "found none: it is not the index page the profile knows",
                    page.final_url,
                    page.capture_id,
                )
            )
        by_name = {o.name: o for o in orgs}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise DisclosureAuditError(
                f"organisation(s) {', '.join(missing)} not found on {page.final_url}; it lists "
                f"{len(orgs)}: {', '.join(sorted(by_name))}"
            )
        return [OrgRef(name=n, organ_id=by_name[n].organ_id, url=by_name[n].url) for n in names]

    def columns(self, fetch: Fetch, org: OrgRef, stored: Mapping[tuple[int, int], ListRequest]) -> list[ColumnRef]:
        page = fetch(org.url)
        text = self._readable(page, f"the catalogue of {org.name}", "shell_unreadable")
        root = parse_shell(text, page.final_url)
        catalogue = [c for c in root.columns if c.type == CATALOGUE_TYPE]
        if not catalogue:
            raise Unreadable(
                Problem(
                    "shell_unreadable",
                    f"expected the catalogue page of {org.name} to list its columns "
                    "(/public/column/<organId>?type=4&catId=…), found none",
                    page.final_url,
                    page.capture_id,
                )
            )
        out: list[ColumnRef] = []
        for col in catalogue:
            ref = ColumnRef(org=org, type=CATALOGUE_TYPE, cat_id=col.cat_id, name=col.name, shell_url=col.url)
            out.append(self._with_request(fetch, ref, stored.get((CATALOGUE_TYPE, col.cat_id))))
        reports = [c for c in root.columns if c.type == REPORT_TYPE]
        report_url = reports[0].url if reports else root.sections.get(REPORT_TYPE)
        if report_url:
            name = reports[0].name if reports else "年报"
            cat = reports[0].cat_id if reports else 0
            ref = ColumnRef(org=org, type=REPORT_TYPE, cat_id=cat, name=name, role=REPORT, shell_url=report_url)
            out.append(self._with_request(fetch, ref, stored.get((REPORT_TYPE, cat))))
        library_url = root.sections.get(LIBRARY_TYPE)
        if library_url and self.settings.library:
            out.extend(self._library(fetch, org, library_url, stored))
        return out

    def reread(self, fetch: Fetch, column: ColumnRef) -> ColumnRef:
        if column.role == LIBRARY and column.shell_url:
            for tab in self._library(fetch, column.org, column.shell_url, {}):
                if tab.cat_id == column.cat_id:
                    return tab
            return _problem(column, "parameter_unresolved", "the library page no longer shows this tab", None)
        return self._with_request(fetch, column, None)

    def _with_request(self, fetch: Fetch, ref: ColumnRef, stored: ListRequest | None) -> ColumnRef:
        if stored is not None:
            return replace(ref, request=stored)
        if not ref.shell_url:
            return _problem(ref, "parameter_unresolved", "no shell page to read the list parameters from", None)
        try:
            page = fetch(ref.shell_url)
        except DisclosureAuditError as exc:
            return _problem(ref, "shell_unreadable", f"its shell page could not be fetched: {exc}", ref.shell_url)
        if page.status != 200:
            return _problem(
                ref, "shell_unreadable", f"its shell page answered HTTP {page.status}", page.final_url, page.capture_id
            )
        text = decode_page(page.body, page.content_type).text
        calls, why = self._list_calls(text, page.final_url, many=False)
        ref = replace(ref, shell_capture_id=page.capture_id)
        wanted = str(ref.cat_id)
        call = next((c for c in calls if c.params.get("catId") == wanted), calls[0] if calls else None)
        if call is None:
            return _problem(
                ref,
                "parameter_unresolved",
                f"no list request ({LIST_MARKER}=…) found in the script of its shell page{why}",
                page.final_url,
                page.capture_id,
            )
        if call.unresolved:
            gaps = "; ".join(f"{k}: {v}" for k, v in call.unresolved.items())
            return _problem(
                ref,
                "parameter_unresolved",
                f"the list parameter(s) {', '.join(call.unresolved)} could not be resolved from the script of its "
                f"shell page ({gaps}){why}",
                page.final_url,
                page.capture_id,
            )
        return replace(ref, request=self._request(call, page.final_url))

    def _library(
        self, fetch: Fetch, org: OrgRef, url: str, stored: Mapping[tuple[int, int], ListRequest]
    ) -> list[ColumnRef]:
        """One column per tab of the 行政规范性文件库 (有效 / 失效), each its own list request."""
        known = sorted((k, v) for k, v in stored.items() if k[0] == LIBRARY_TYPE)
        if known:
            return [
                ColumnRef(
                    org=org,
                    type=LIBRARY_TYPE,
                    cat_id=cat,
                    name=_tab_name(_tab_of(req.params)),
                    role=LIBRARY,
                    request=req,
                    shell_url=url,
                    tab=_tab_of(req.params),
                )
                for (_, cat), req in known
            ]
        base = ColumnRef(org=org, type=LIBRARY_TYPE, cat_id=0, name=LIBRARY_NAME, role=LIBRARY, shell_url=url)
        try:
            page = fetch(url)
        except DisclosureAuditError as exc:
            return [_problem(base, "shell_unreadable", f"the library page could not be fetched: {exc}", url)]
        if page.status != 200:
            what = f"the library page answered HTTP {page.status}"
            return [_problem(base, "shell_unreadable", what, url, page.capture_id)]
        text = decode_page(page.body, page.content_type).text
        calls, why = self._list_calls(text, page.final_url, many=True)
        good = [c for c in calls if not c.unresolved]
        if not good:
            gaps = "; ".join(f"{k}: {v}" for c in calls for k, v in c.unresolved.items())
            gaps = f": {gaps}" if gaps else ""
            return [
                _problem(
                    replace(base, shell_capture_id=page.capture_id),
                    "parameter_unresolved",
                    f"no complete list request found in the script of the library page{gaps}{why}",
                    page.final_url,
                    page.capture_id,
                )
            ]
        out = []
        for n, call in enumerate(good):
            tab = _tab_of(call.params)
            out.append(
                ColumnRef(
                    org=org,
                    type=LIBRARY_TYPE,
                    cat_id=n,
                    name=_tab_name(tab),
                    role=LIBRARY,
                    request=self._request(call, page.final_url),
                    shell_url=url,
                    shell_capture_id=page.capture_id,
                    tab=tab,
                )
            )
        return out

    def _list_calls(self, html: str, url: str, many: bool) -> tuple[list[ListCall], str]:
        """The list requests of a shell: read statically, else by running its script in the sandbox.
        Returns them with a note on why the sandbox did not help (empty when it was not needed)."""
        root = dom.parse_html(html, url)
        metas, fields = _page_values(root)
        static = read_list_call(extract_scripts(html), metas, fields, LIST_MARKER)
        if static is not None and not static.unresolved and not many:
            return [static], ""
        if not self.settings.sandbox:
            return ([static] if static else []), ""
        try:
            recorded, _errors = record_requests(html, url, metas, fields)
        except SandboxError as exc:
            return ([static] if static else []), f"; running its script failed: {exc.reason}"
        calls = []
        for r in recorded:
            call = _call_of(r.url, r.data, r.method)
            if call is not None:
                calls.append(call)
        if calls:
            return calls, ""
        return ([static] if static else []), "; running its script sent no list request either"

    def _request(self, call: ListCall, shell_url: str) -> ListRequest:
        path = urljoin(shell_url, call.path) if call.path else self.url(FRAGMENT_PATH)
        params = {k: v for k, v in call.params.items() if k not in PAGING_PARAMETERS and k != "pageSize"}
        size = self.settings.page_size
        if size is None:
            given = call.params.get("pageSize", "")
            size = int(given) if given.isdigit() and 0 < int(given) <= 1000 else DEFAULT_PAGE_SIZE
        return ListRequest(
            path=path.split("?", 1)[0],
            params=params,
            page_size=size,
            first_page_index=call.first_page_index,
            method=call.method,
            how=call.how,
        )

    # ---------------------------------------------------------------- reading
    def read_list(self, page: Page, column: ColumnRef) -> ListPage:
        text = self.list_text(page)
        if isinstance(text, ListPage):
            return text
        markers = list(self.settings.empty_markers)
        if column.request is not None and column.request.params.get("result"):
            markers.append(column.request.params["result"])  # the template prints it for an empty list
        return parse_fragment(text, page.final_url, tuple(markers))

    def read_detail(self, page: Page) -> DetailRead:
        text = self.detail_text(page)
        if isinstance(text, DetailRead):
            return text
        if self.settings.require_document_end and not _DOC_END.search(page.body[-2048:]):
            return DetailRead(
                None,
                problem=Problem(
                    "unreadable_detail",
                    f"the page stops before </html> ({len(page.body)} bytes): it was cut short, so its "
                    "metadata may be incomplete",
                ),
            )
        parsed = parse_detail(text, page.final_url, self.layout)
        if not parsed.fields:
            return DetailRead(
                None,
                problem=Problem(
                    "unreadable_detail",
                    "no recognisable metadata block: no label such as 索引号, 发布日期 or 文号 was found "
                    "(another layout, an error page, or markup the parser could not follow)",
                ),
            )
        elsewhere = self.landed_elsewhere(page, "page of item")
        if elsewhere is not None:
            return elsewhere
        return DetailRead(normalize_item(parsed), parsed.body_text, unknown_labels=tuple(parsed.unknown_labels))

    def content_id(self, url: str) -> int | None:
        return urls.content_id_of(url)

    def _readable(self, page: Page, what: str, kind: str) -> str:
        if page.status != 200:
            raise Unreadable(
                Problem(kind, f"expected {what} to answer HTTP 200, it answered {page.status}", page.final_url,
                        page.capture_id)  # fmt: skip
            )
        decoded = decode_page(page.body, page.content_type)
        if decoded.doubt:
            doubt = f"{what}: doubtful decoding: {decoded.doubt}"
            raise Unreadable(Problem(kind, doubt, page.final_url, page.capture_id))
        return decoded.text


def _page_values(root) -> tuple[dict[str, str], dict[str, str]]:
    """The page's <meta name=…> contents and its form fields (id or name -> value), as scripts read them."""
    metas: dict[str, str] = {}
    fields: dict[str, str] = {}
    if root is None:
        return metas, fields
    for m in root.iter("meta"):
        name = m.get("name")
        if name and name not in metas:
            metas[name] = m.get("content") or ""
    for el in root.iter("input"):
        value = el.get("value")
        if value is None:
            continue
        for key in (el.get("id"), el.get("name")):
            if key and key not in fields:
                fields[key] = value
    return metas, fields


def _call_of(url: str | None, data: object, method: str) -> ListCall | None:
    """A request the sandbox recorded, as a ListCall; None when it is not a list request."""
    params: dict[str, str] = {}
    path = None
    if url:
        parts = urlsplit(url)
        path = url.split("?", 1)[0] if (parts.path or parts.netloc) else None
        params.update(parse_qsl(parts.query, keep_blank_values=True))
    if isinstance(data, str):
        params.update(parse_qsl(data.lstrip("?"), keep_blank_values=True))
    elif isinstance(data, dict):
        for k, v in data.items():
            if v is None:
                continue
            if isinstance(v, bool):
                params[str(k)] = "true" if v else "false"
            elif isinstance(v, float) and v.is_integer():
                params[str(k)] = str(int(v))
            elif isinstance(v, list):
                params[str(k)] = ",".join(str(x) for x in v)
            elif isinstance(v, (str, int, float)):
                params[str(k)] = str(v)
    if LIST_MARKER not in params:
        return None
    first = next((int(params[k]) for k in PAGING_PARAMETERS if params.get(k, "").isdigit()), None)
    return ListCall(path=path, params=params, first_page_index=first, method=method.upper(), how="sandbox")


def _tab_of(params: Mapping[str, str]) -> str:
    flags = {f.strip() for f in params.get("isInvalid", "").split(",") if f.strip()}
    if not flags:
        return "有效"
    return "有效" if flags & _IN_FORCE_FLAGS else "失效"


def _tab_name(tab: str) -> str:
    return f"{LIBRARY_NAME}·{tab}"


def _problem(ref: ColumnRef, kind: str, what: str, url: str | None, capture_id: int | None = None) -> ColumnRef:
    message = f"{ref.org.name}/{ref.name}: {what}"
    return replace(ref, problem=Problem(kind, message, url, capture_id), request=None)
