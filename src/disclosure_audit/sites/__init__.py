"""Site profiles (站点配置): one module per platform on one shared crawl core.

A profile is a `SiteProfile` subclass with a `name`, in any module of this package: adding a
platform is adding one file here (see README, "Adding a site profile"). `make_profile` finds it by name.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.sites.base import (
    CATALOGUE,
    LIBRARY,
    REPORT,
    ColumnRef,
    DetailRead,
    Entry,
    Fetch,
    ListRequest,
    OrgRef,
    Page,
    Problem,
    SiteProfile,
    Unreadable,
)
from disclosure_audit.sites.settings import SiteFile, SiteFileError, SiteSettings, load_site_file

DEFAULT_PROFILE = "lonsun"


@cache
def profiles() -> dict[str, type[SiteProfile]]:
    """Every profile of this package, by name."""
    found: dict[str, type[SiteProfile]] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name in ("base", "settings"):
            continue
        importlib.import_module(f"{__name__}.{module.name}")
    stack = list(SiteProfile.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.name:
            found[cls.name] = cls
    return found


def make_profile(name: str, base_url: str, settings: SiteSettings | None = None) -> SiteProfile:
    """The profile called `name` for the site at `base_url`; a clear error listing the known ones."""
    known = profiles()
    if name not in known:
        raise DisclosureAuditError(f"unknown site profile {name!r}; the profiles are: {', '.join(sorted(known))}")
    try:
        return known[name](base_url, settings)
    except ValueError as exc:
        raise DisclosureAuditError(f"the settings of profile {name} are not usable: {exc}") from None


__all__ = [
    "CATALOGUE",
    "DEFAULT_PROFILE",
    "LIBRARY",
    "REPORT",
    "ColumnRef",
    "DetailRead",
    "Entry",
    "Fetch",
    "ListRequest",
    "OrgRef",
    "Page",
    "Problem",
    "SiteFile",
    "SiteFileError",
    "SiteProfile",
    "SiteSettings",
    "Unreadable",
    "load_site_file",
    "make_profile",
    "profiles",
]
