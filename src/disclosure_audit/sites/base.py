"""The site-profile interface: what the crawl core asks of a platform, and the plain records it gets back.

A profile (站点配置) owns everything platform-specific: where the organisation index is, how
organisations and catalogue columns are discovered, how a list request is built and paged, how a list
answer and a detail page are read (skins, labels, the empty marker), and which hosts belong to the
site. The crawl core (crawl.py) only fetches what a profile names and stores what it reads. Profiles
import parse and http, never store: they return data, the core writes it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urlencode

from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.parse.decode import decode_page
from disclosure_audit.parse.listing import UNRECOGNISED, ListPage
from disclosure_audit.sites.settings import SiteSettings

# Column roles: what a column's list is for.
CATALOGUE = "catalogue"  # 主动公开目录 (type 4): items with their own home column
REPORT = "report"  # 年报 (type 3)
LIBRARY = "library"  # 行政规范性文件库 (type 6): lists documents homed elsewhere, by validity tab


@dataclass(frozen=True)
class Page:
    """A fetched page as a profile reads it: the answer, and the capture that archives it."""

    url: str
    final_url: str
    status: int
    body: bytes
    content_type: str | None
    capture_id: int | None
    headers: Mapping[str, str] = field(default_factory=dict)


# Fetches a URL of the site through the polite client and archives it; raises the client's errors.
Fetch = Callable[[str], Page]


@dataclass(frozen=True)
class Problem:
    """Something the crawl could not read, said so a person can act on it: what was expected, what was
    found, where (URL and capture id)."""

    kind: str  # see core.crawl_errors.kind
    message: str
    url: str | None = None
    capture_id: int | None = None


class Unreadable(DisclosureAuditError):
    """A page a profile needs (an organisation's catalogue, a shell) could not be read."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        where = f" ({problem.url}, capture {problem.capture_id})" if problem.url else ""
        super().__init__(problem.message + where)


@dataclass(frozen=True)
class OrgRef:
    """An organisation (机构) on the platform's index, and the URL of its catalogue."""

    name: str
    organ_id: int
    url: str


@dataclass(frozen=True)
class ListRequest:
    """How to ask for one page of a column's list: the one place a list query is built (`url`)."""

    path: str  # absolute URL of the list endpoint, without query
    params: Mapping[str, str]
    page_param: str = "pageIndex"
    size_param: str = "pageSize"
    page_size: int = 15
    first_page_index: int | None = None  # 0 or 1 when the page's script says so; None: unknown
    method: str = "GET"
    how: str = "static"  # how the parameters were read: static, sandbox, stored

    def url(self, page_index: int) -> str:
        query = dict(self.params)
        query[self.page_param] = str(page_index)
        query[self.size_param] = str(self.page_size)
        return f"{self.path}?{urlencode(query)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "params": dict(self.params),
            "page_param": self.page_param,
            "size_param": self.size_param,
            "page_size": self.page_size,
            "first_page_index": self.first_page_index,
            "method": self.method,
            "how": self.how,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ListRequest | None:
        """A request stored by an earlier run (core.columns.fragment), or None if it is not one."""
        if not isinstance(doc, Mapping) or not isinstance(doc.get("path"), str) or not isinstance(
            doc.get("params"), Mapping
        ):
            return None
        first = doc.get("first_page_index")
        return cls(
            path=doc["path"],
            params={str(k): str(v) for k, v in doc["params"].items()},
            page_param=str(doc.get("page_param") or "pageIndex"),
            size_param=str(doc.get("size_param") or "pageSize"),
            page_size=int(doc.get("page_size") or 15),
            first_page_index=first if isinstance(first, int) else None,
            method=str(doc.get("method") or "GET"),
            how="stored",
        )


@dataclass(frozen=True)
class ColumnRef:
    """A column (栏目) of an organisation and how to list it; `problem` says why it cannot be listed."""

    org: OrgRef
    type: int
    cat_id: int
    name: str
    role: str = CATALOGUE
    request: ListRequest | None = None
    shell_url: str | None = None
    shell_capture_id: int | None = None
    problem: Problem | None = None
    tab: str | None = None  # the library tab (有效 / 失效) this list shows

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.org.organ_id, self.type, self.cat_id)

    @property
    def label(self) -> str:
        return f"{self.org.name}/{self.name}"


@dataclass(frozen=True)
class Entry:
    """One row of a list as the crawl saw it."""

    content_id: int
    url: str
    title: str
    list_date: date | None
    repealed: bool
    index_number: str | None
    links: tuple[str, ...] = ()


@dataclass
class DetailRead:
    """A detail page read by a profile: the normalized record and body, or the problem that made the
    page unreadable (then nothing of it may become a version of the item)."""

    record: dict[str, Any] | None
    body_text: str = ""
    problem: Problem | None = None
    # labels the page prints in its metadata that name no field the profile reads (a field not read)
    unknown_labels: tuple[str, ...] = ()


class SiteProfile(ABC):
    """One platform's way of publishing. Subclasses set `name` and implement the abstract methods;
    a module under disclosure_audit/sites/ that defines one is found by name (see sites.profile)."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    # a disclosure platform the rules judge; False for a source kept to compare with (a legal database)
    audited: ClassVar[bool] = True

    def __init__(self, base_url: str, settings: SiteSettings | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.settings = settings or SiteSettings()

    # ---------------------------------------------------------------- the site
    def hosts(self) -> list[str]:
        """The hosts the crawl may fetch: the base URL's, plus the settings' further hosts."""
        return [self.base, *self.settings.hosts]

    def url(self, path: str) -> str:
        """An absolute URL of the site for a path the profile builds itself (the path prefix applied)."""
        if path.startswith(("http://", "https://")):
            return path
        path = path if path.startswith("/") else "/" + path
        prefix = self.settings.path_prefix.rstrip("/")
        if prefix and not path.startswith(prefix + "/"):
            path = prefix + path
        return self.base + path

    @abstractmethod
    def index_url(self) -> str:
        """Where the organisations are listed."""

    @abstractmethod
    def discover(self, fetch: Fetch, names: list[str]) -> list[OrgRef]:
        """The organisations named, from the index; DisclosureAuditError naming what the index has when
        one is missing, Unreadable when the index cannot be read."""

    @abstractmethod
    def columns(self, fetch: Fetch, org: OrgRef, stored: Mapping[tuple[int, int], ListRequest]) -> list[ColumnRef]:
        """The organisation's columns with their list requests (`stored`: requests earlier runs read,
        reusable without fetching the column's shell again). Unreadable when the catalogue cannot be
        read; a column whose request cannot be built carries its `problem`."""

    @abstractmethod
    def reread(self, fetch: Fetch, column: ColumnRef) -> ColumnRef:
        """The column with its list request read afresh from its shell (after a stored one failed)."""

    @abstractmethod
    def read_list(self, page: Page, column: ColumnRef) -> ListPage:
        """One list answer, classified (list / empty / unrecognised)."""

    @abstractmethod
    def read_detail(self, page: Page) -> DetailRead:
        """One detail page (status 200), read into the item record, or the problem that stops it."""

    @abstractmethod
    def content_id(self, url: str) -> int | None:
        """The content id a detail URL names."""

    # ------------------------------------------------ what every profile checks before it parses
    @staticmethod
    def list_text(page: Page) -> str | ListPage:
        """A list answer's text, or the unrecognised ListPage that says why it has none to read
        (a status other than 200, a doubtful decoding)."""
        if page.status != 200:
            return ListPage([], None, kind=UNRECOGNISED, reason=f"HTTP {page.status} instead of a list")
        decoded = decode_page(page.body, page.content_type)
        if decoded.doubt:
            return ListPage([], None, kind=UNRECOGNISED, reason=f"doubtful decoding: {decoded.doubt}")
        return decoded.text

    @staticmethod
    def detail_text(page: Page) -> str | DetailRead:
        """A detail page's text, or the unreadable DetailRead that says why it has none to read
        (an empty answer, a doubtful decoding)."""
        if not page.body.strip():
            return DetailRead(None, problem=Problem("unreadable_detail", "an empty answer (HTTP 200, no content)"))
        decoded = decode_page(page.body, page.content_type)
        if decoded.doubt:
            return DetailRead(None, problem=Problem("doubtful_decoding", f"doubtful decoding: {decoded.doubt}"))
        return decoded.text

    def landed_elsewhere(self, page: Page, what: str) -> DetailRead | None:
        """The unreadable DetailRead of a page that redirected to another item than the one asked for."""
        asked, landed = self.content_id(page.url), self.content_id(page.final_url)
        if asked is not None and landed != asked:
            moved = Problem("redirected_away", f"the {what} {asked} redirected to {page.final_url}")
            return DetailRead(None, problem=moved)
        return None

    def entries(self, listing: ListPage) -> list[Entry]:
        """The entries of a list answer as the core records them."""
        return [
            Entry(
                content_id=e.content_id,
                url=e.url,
                title=e.title,
                list_date=e.date,
                repealed=e.repealed,
                index_number=e.index_number,
                links=tuple(e.link_urls),
            )
            for e in listing.entries
        ]

    def canonical_url(self, url: str) -> str | None:
        """The same item's URL on the base host, when the profile knows the hosts serve the same paths."""
        return None
