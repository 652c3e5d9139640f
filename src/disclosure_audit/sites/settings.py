"""A profile's settings a user can change without code, and the site file (TOML or YAML) that holds them.

A site file names the profile, the site and its organisations, and overrides settings:

    profile = "lonsun"
    site = "https://www.hefei.gov.cn"
    orgs = ["合肥市地震局"]
    rate = 1.0                      # requests per second per host
    path_prefix = "/chuzhou"        # the platform is served under a path
    page_size = 15
    hosts = ["kjj.hefei.gov.cn"]    # department subdomains that serve the same items
    empty_markers = ["本栏目暂无信息"]

    [labels]                        # extra label synonyms, per field
    doc_number = ["文件编号"]

    [selectors]                     # a body or title variant the defaults do not know
    body = ["div.article-body"]
    title = ["h2.art-title"]
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from disclosure_audit.errors import DisclosureAuditError


@dataclass(frozen=True)
class SiteSettings:
    """What a user may set per site. Defaults fit the LonSun platform as Hefei runs it."""

    path_prefix: str = ""  # prepended to the paths a profile builds itself (/public/, the list endpoint)
    page_size: int | None = None  # list page size; None: what the shell's script asks for (else 15)
    rate: float | None = None  # requests per second per host; None: the command's --rate
    hosts: tuple[str, ...] = ()  # further hosts of the site (department subdomains, *.example.gov.cn)
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    body_selectors: tuple[str, ...] = ()
    title_selectors: tuple[str, ...] = ()
    empty_markers: tuple[str, ...] = ()  # more wordings of an empty list
    require_document_end: bool = True  # a detail page must end with </html>; one that does not was cut short
    max_count_drop: float = 0.5  # a column listing this share fewer entries than last time is a warning
    library: bool = True  # also read the 行政规范性文件库 (type 6) when the catalogue links it
    sandbox: bool = True  # run a shell's script when reading it statically is not enough

    def __post_init__(self) -> None:
        if self.page_size is not None and not 1 <= self.page_size <= 1000:
            raise ValueError(f"page_size must be between 1 and 1000, got {self.page_size}")
        if self.rate is not None and self.rate <= 0:
            raise ValueError(f"rate must be a positive number of requests per second, got {self.rate}")
        if not 0 < self.max_count_drop <= 1:
            raise ValueError(f"max_count_drop must be a share in (0, 1], got {self.max_count_drop}")
        if self.path_prefix and not self.path_prefix.startswith("/"):
            raise ValueError(f"path_prefix must start with /, got {self.path_prefix!r}")


@dataclass(frozen=True)
class SiteFile:
    """A site file's contents: which profile, site and organisations (any may be None), and settings."""

    path: Path | None
    profile: str | None = None
    site: str | None = None
    orgs: tuple[str, ...] = ()
    settings: SiteSettings = field(default_factory=SiteSettings)


_TOP_LEVEL = {"profile", "site", "orgs"}
_SETTING_KEYS = {f.name for f in fields(SiteSettings)} - {"labels", "body_selectors", "title_selectors"}
_TABLES = {"labels", "selectors"}


class SiteFileError(DisclosureAuditError):
    """A site file that cannot be used: says which file, which key, what was expected and found."""


def load_site_file(path: Path) -> SiteFile:
    """Read a TOML (.toml) or YAML (.yaml/.yml) site file; SiteFileError on anything unexpected."""
    try:
        raw_text = path.read_bytes()
    except OSError as exc:
        raise SiteFileError(f"cannot read the site file {path}: {exc.strerror or exc}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:  # pragma: no cover - pyyaml comes with Airflow
            raise SiteFileError(f"{path}: reading YAML needs pyyaml; use a .toml site file instead") from None
        try:
            doc = yaml.safe_load(raw_text.decode("utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise SiteFileError(f"{path} is not valid YAML: {exc}") from None
    else:
        try:
            doc = tomllib.loads(raw_text.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SiteFileError(f"{path} is not valid TOML: {exc}") from None
    if not isinstance(doc, dict):
        raise SiteFileError(f"{path}: expected a table of settings at the top, found {type(doc).__name__}")
    return site_file_from_mapping(doc, path)


def site_file_from_mapping(doc: Mapping[str, Any], path: Path | None = None) -> SiteFile:
    where = str(path) if path else "the site settings"
    known = _TOP_LEVEL | _SETTING_KEYS | _TABLES
    unknown = sorted(set(doc) - known)
    if unknown:
        raise SiteFileError(
            f"{where}: unknown key(s) {', '.join(unknown)}; expected some of {', '.join(sorted(known))}"
        )
    values: dict[str, Any] = {}
    for key in _SETTING_KEYS & set(doc):
        values[key] = _setting(where, key, doc[key])
    labels = doc.get("labels", {})
    if not isinstance(labels, Mapping) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in labels.values()
    ):
        raise SiteFileError(
            f"{where}: [labels] must map a field to a list of label texts, e.g. doc_number = [\"文件编号\"]"
        )
    if labels:
        from disclosure_audit.parse.labels import DEFAULT_LABELS

        try:
            DEFAULT_LABELS.with_synonyms(labels)
        except ValueError as exc:
            raise SiteFileError(f"{where}: [labels]: {exc}") from None
        values["labels"] = MappingProxyType({k: tuple(v) for k, v in labels.items()})
    selectors = doc.get("selectors", {})
    if not isinstance(selectors, Mapping) or set(selectors) - {"body", "title"}:
        raise SiteFileError(f"{where}: [selectors] takes body = [...] and title = [...] only")
    for kind in ("body", "title"):
        chosen = selectors.get(kind, [])
        if not isinstance(chosen, list) or not all(isinstance(x, str) for x in chosen):
            raise SiteFileError(f"{where}: selectors.{kind} must be a list of selectors like \"div.article-body\"")
        from disclosure_audit.parse.detail import Selector

        for sel in chosen:
            try:
                Selector.parse(sel)
            except ValueError as exc:
                raise SiteFileError(f"{where}: selectors.{kind}: {exc}") from None
        if chosen:
            values[f"{kind}_selectors"] = tuple(chosen)
    try:
        settings = SiteSettings(**values)
    except (TypeError, ValueError) as exc:
        raise SiteFileError(f"{where}: {exc}") from None
    orgs = doc.get("orgs", [])
    if isinstance(orgs, str):
        orgs = [orgs]
    if not isinstance(orgs, list) or not all(isinstance(o, str) and o.strip() for o in orgs):
        raise SiteFileError(f"{where}: orgs must be a list of organisation names as the index shows them")
    for key in ("profile", "site"):
        if key in doc and not (isinstance(doc[key], str) and doc[key].strip()):
            raise SiteFileError(f"{where}: {key} must be a non-empty string, found {doc[key]!r}")
    return SiteFile(
        path=path,
        profile=doc.get("profile"),
        site=doc.get("site"),
        orgs=tuple(o.strip() for o in orgs),
        settings=settings,
    )


def _setting(where: str, key: str, value: Any) -> Any:
    expected = {f.name: f.type for f in fields(SiteSettings)}[key]
    if key in ("hosts", "empty_markers"):
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise SiteFileError(f"{where}: {key} must be a list of strings, found {value!r}")
        return tuple(v.strip() for v in value)
    if key in ("require_document_end", "library", "sandbox"):
        if not isinstance(value, bool):
            raise SiteFileError(f"{where}: {key} must be true or false, found {value!r}")
        return value
    if key in ("page_size",):
        if not isinstance(value, int) or isinstance(value, bool):
            raise SiteFileError(f"{where}: {key} must be a whole number, found {value!r}")
        return value
    if key in ("rate", "max_count_drop"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise SiteFileError(f"{where}: {key} must be a number, found {value!r}")
        return float(value)
    if key == "path_prefix":
        if not isinstance(value, str):
            raise SiteFileError(f"{where}: {key} must be a string like \"/chuzhou\", found {value!r}")
        return value.rstrip("/")
    raise SiteFileError(f"{where}: {key} ({expected}) cannot be set here")  # pragma: no cover


def merged(settings: SiteSettings, **overrides: Any) -> SiteSettings:
    """Settings with some values replaced (None leaves a value as it is)."""
    return replace(settings, **{k: v for k, v in overrides.items() if v is not None})
