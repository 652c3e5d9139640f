"""The legal-database profile: documents published as text with a header of `label value` lines.

A legal database republishes an issuer's normative and policy documents as plain text: 标题, 发文机关,
发文日期, 时效性, 发文字号, 施行日期, 效力级别 on lines of their own (no separator; the text may have
been through a traditional-script converter that left pinyin behind), then the body. Its pages:

    /law/                   the issuers, each linked as /law/org/<id>
    /law/org/<id>?page=N    an issuer's documents, newest first, /law/doc/<docId>.txt with a date;
                            the pager's data-pages gives the page count; 暂无记录 when there is none
    /law/doc/<docId>.txt    one document's text

It is a source to compare the platform with, not a disclosure platform: its sites are not audited
(`audited = False`), so the platform's rules never judge what it lists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.fields import DETAIL_FIELDS
from disclosure_audit.parse.decode import decode_page
from disclosure_audit.parse.legal_text import (
    law_doc_id,
    normalize_legal_text,
    parse_law_index,
    parse_law_list,
    parse_legal_text,
)
from disclosure_audit.parse.listing import ListPage
from disclosure_audit.parse.normalize import normalize_text
from disclosure_audit.sites.base import (
    CATALOGUE,
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

INDEX_PATH = "/law/"
COLUMN_NAME = "法规库"
COLUMN_TYPE = 0  # one list per issuer; the type only keeps its key apart from a platform's columns
DEFAULT_PAGE_SIZE = 20
# header fields the text carries, as the record keeps them (level has no column of its own: raw only)
_HEADER_FIELDS = ("issuer", "written_date", "validity", "doc_number", "effective_date")
_ORG_PATH = re.compile(r"/law/org/(\d{1,10})$")


class LegalTextProfile(SiteProfile):
    """A legal database: issuers from /law/, their documents as header-and-body text."""

    name = "legaltext"
    description = "法规数据库文本（发文机关、发文日期、时效性……逐行标注）/ a legal database's header-and-body texts"
    audited = False

    def index_url(self) -> str:
        return self.url(INDEX_PATH)

    def discover(self, fetch: Fetch, names: list[str]) -> list[OrgRef]:
        page = fetch(self.index_url())
        if page.status != 200:
            raise Unreadable(Problem("site_unreadable", f"expected the issuers' index to answer HTTP 200, it "
                                     f"answered {page.status}", page.final_url, page.capture_id))  # fmt: skip
        found = parse_law_index(decode_page(page.body, page.content_type).text, page.final_url)
        if not found:
            raise Unreadable(Problem("site_unreadable", "expected the index to link issuers (/law/org/<id>), "
                                     "found none", page.final_url, page.capture_id))  # fmt: skip
        by_name = {name: (org_id, url) for name, org_id, url in found}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise DisclosureAuditError(
                f"issuer(s) {', '.join(missing)} not found on {page.final_url}; it lists {len(found)}: "
                f"{', '.join(sorted(by_name))}"
            )
        return [OrgRef(name=n, organ_id=by_name[n][0], url=by_name[n][1]) for n in names]

    def columns(self, fetch: Fetch, org: OrgRef, stored: Mapping[tuple[int, int], ListRequest]) -> list[ColumnRef]:
        return [self._column(org)]

    def reread(self, fetch: Fetch, column: ColumnRef) -> ColumnRef:
        return self._column(column.org)

    def _column(self, org: OrgRef) -> ColumnRef:
        m = _ORG_PATH.search(urlsplit(org.url).path)
        path = org.url if m else self.url(f"/law/org/{org.organ_id}")
        request = ListRequest(
            path=path,
            params={},
            page_param="page",
            size_param="size",
            page_size=self.settings.page_size or DEFAULT_PAGE_SIZE,
            first_page_index=1,
        )
        return ColumnRef(org=org, type=COLUMN_TYPE, cat_id=org.organ_id, name=COLUMN_NAME, role=CATALOGUE,
                         request=request, shell_url=org.url)  # fmt: skip

    def read_list(self, page: Page, column: ColumnRef) -> ListPage:
        text = self.list_text(page)
        return text if isinstance(text, ListPage) else parse_law_list(text, page.final_url)

    def read_detail(self, page: Page) -> DetailRead:
        text = self.detail_text(page)
        if isinstance(text, DetailRead):
            return text
        parsed = parse_legal_text(text)
        header = {k: v for k, v in parsed.items() if k != "body"}
        if not any(k in header for k in _HEADER_FIELDS):
            return DetailRead(
                None,
                problem=Problem(
                    "unreadable_detail",
                    "no legal-database header: no line starting with 发文机关, 发文日期, 时效性 or 发文字号 "
                    "(another format, or an error page)",
                ),
            )
        elsewhere = self.landed_elsewhere(page, "text of document")
        if elsewhere is not None:
            return elsewhere
        normalized = normalize_legal_text(parsed)
        record: dict = {key: None for key in DETAIL_FIELDS}
        record.update({k: normalized.get(k) for k in _HEADER_FIELDS})
        record["title"] = normalize_text(header.get("name") or "") or None
        record["keywords"] = []
        record["attachments"], record["interpretation_urls"], record["original_urls"] = [], [], []
        record["raw"] = {"title": header.get("name"), **header}
        return DetailRead(record, normalized.get("body", ""))

    def content_id(self, url: str) -> int | None:
        return law_doc_id(url)
