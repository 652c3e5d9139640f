"""How the replica may render the platform where real sites differ, and how a hostile copy misbehaves.

Each field is a knob the tests turn to exercise what the site profile claims to handle: shell scripts
that pass the list parameters as literals, variables, concatenations, page values or only at run
time; the vendor's empty marker or a bare list template; a path prefix the whole platform is served
under; metadata labels the platform's synonym table does not know; and, for the never-silent tests, list
answers that are not lists and list entries or detail pages that cannot be read. The truth never
changes with them: it says what the pages mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

SHELL_STYLES = ("literal", "variable", "concat", "meta", "runtime")
EMPTY_STYLES = ("marker", "bare")
BROKEN_LISTS = ("param_error", "login", "waf", "json")
LIBRARY_NAME = "行政规范性文件库"
DEPARTMENT_ORG = 6705  # 合肥市科学技术局: with department_host set, its lists link its items on that host
# the vendor's validity flags of the library (isInvalid): 0 not marked, 1 失效, 2 废止, 3 修改
LIBRARY_FLAGS = {"有效": "0", "失效": "1", "废止": "2", "修改": "3", "部分失效": "3"}
HOSTILE_ENTRIES = ("off_site_href", "disallowed", "redirect_away", "empty", "truncated", "mislabelled", "deep")


@dataclass(frozen=True)
class Variants:
    """The replica's rendering choices; the defaults are the platform as Hefei serves it."""

    # how the shell's script passes the list parameters: literal values; variables declared elsewhere
    # in the page; string concatenation; the SiteId read from <meta>; or computed only when it runs
    shell_params: str = "literal"
    # an empty column: the vendor's marker (the `result` text, 暂无相关信息) or the list template with no row
    empty_list: str = "marker"
    # every page served under this prefix (e.g. /chuzhou): /chuzhou/public/, /chuzhou/site/label/8888 ...
    path_prefix: str = ""
    # field -> the label its detail pages show instead of the organisation's (e.g. {"doc_number": "文件编号："})
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # organisations whose catalogue links a 行政规范性文件库 (type 6: their normative documents in two tabs,
    # 有效 and 失效, each its own list request with the vendor's validity flags)
    library_orgs: tuple[int, ...] = ()
    # a department host (e.g. "http://localhost:PORT") on which DEPARTMENT_ORG's lists link its items; the
    # same pages answer on both hosts
    department_host: str | None = None
    # column cat_id -> what its list endpoint answers instead of a list (BROKEN_LISTS)
    broken_lists: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))
    # column cat_id -> how many entries its list shows at most (a CMS that suddenly lists far fewer)
    short_lists: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    # content id -> how its list entry or detail page misbehaves (HOSTILE_ENTRIES)
    hostile: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))
    # answer a missing or wrong list parameter with 参数错误, as the platform does (else the old lenience)
    strict_parameters: bool = True

    def __post_init__(self) -> None:
        if self.shell_params not in SHELL_STYLES:
            raise ValueError(f"shell_params must be one of {SHELL_STYLES}, got {self.shell_params!r}")
        if self.empty_list not in EMPTY_STYLES:
            raise ValueError(f"empty_list must be one of {EMPTY_STYLES}, got {self.empty_list!r}")
        if self.path_prefix and (not self.path_prefix.startswith("/") or self.path_prefix.endswith("/")):
            raise ValueError(f"path_prefix must look like /name, got {self.path_prefix!r}")
        if self.department_host and not self.department_host.startswith(("http://", "https://")):
            raise ValueError(f"department_host must be an origin like http://host:port, got {self.department_host!r}")
        bad = sorted(set(self.broken_lists.values()) - set(BROKEN_LISTS))
        if bad:
            raise ValueError(f"broken_lists kinds must be among {BROKEN_LISTS}, got {bad}")
        bad = sorted(set(self.hostile.values()) - set(HOSTILE_ENTRIES))
        if bad:
            raise ValueError(f"hostile kinds must be among {HOSTILE_ENTRIES}, got {bad}")


DEFAULT_VARIANTS = Variants()


def library_flag(validity: str | None) -> str:
    """The library's validity flag of a document (0 when its validity is not marked)."""
    return LIBRARY_FLAGS.get(validity or "", "0")


def library_tab(validity: str | None) -> str:
    """The tab of the library that lists a document: 有效 (flags 0 and 3) or 失效 (1 and 2)."""
    return "有效" if library_flag(validity) in ("0", "3") else "失效"
