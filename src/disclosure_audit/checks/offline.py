"""Data Docs that work without the internet (离线数据文档).

Great Expectations writes Data Docs pages that load jQuery, Bootstrap, Font Awesome, Vega and more
from public CDNs, and a logo from GX's S3 bucket. In an office network without internet the
validation pages then have no styling and no tables. `make_offline` runs after every Data Docs build:
it copies the vendored copies of those files (src/disclosure_audit/checks/data/vendor/, listed in
vendor/manifest.json and vendor/README.md) into `<site>/static/vendor/`, points every script,
stylesheet and image at the local copy, replaces GX's logo with ours and declares a CJK-capable
font stack so Chinese text never renders as boxes.

A CDN address this module does not know is never left in a page silently: `make_offline` rewrites
everything it knows and then raises `UnknownCdnError` listing the rest (a GX upgrade that adds a
library shows up at the first nightly run). The caller logs it.

`python -m disclosure_audit.checks.offline download` re-downloads the vendored files from the npm
registry (tarballs checked against the registry's sha512), rewrites manifest.json and prints the
table for vendor/README.md. Tests never download anything.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent / "data" / "vendor"
MANIFEST = VENDOR_DIR / "manifest.json"
SITE_VENDOR = Path("static") / "vendor"  # inside the Data Docs site
OWN_ASSETS_DIR = "disclosure-audit"  # our own files (the logo), not a vendored package
LOGO = f"{OWN_ASSETS_DIR}/logo.svg"
LOGO_DARK = f"{OWN_ASSETS_DIR}/logo-dark.svg"
LOGO_ALT = "disclosure-audit 数据文档"
STYLE_ID = "disclosure-audit-offline"
CJK_FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
REGISTRY = "https://registry.npmjs.org"
# GX's logo on S3 (with a tracking query): replaced by our own logo, never vendored
GX_ASSETS_HOST = "great-expectations-web-assets.s3.us-east-2.amazonaws.com"
GX_LOGOS = {"logo-long.png": LOGO, "full_logo_dark.png": LOGO_DARK}


@dataclass(frozen=True)
class VendorPackage:
    """One npm package: which of its files the pages load, and from which CDN addresses."""

    name: str  # npm name
    version: str  # exact; the CDN address may name only a major version (vega@5)
    directory: str  # under vendor/
    license: str  # SPDX id, from the package's package.json
    license_file: str  # path inside the package; "" if the package ships none (one is written)
    cdn: tuple[tuple[str, str], ...]  # (CDN address, file inside the package)
    extra: tuple[str, ...] = ()  # further files the loaded ones need (Font Awesome's webfonts)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([path for _, path in self.cdn] + list(self.extra)))

    @property
    def tarball(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name.rsplit('/', 1)[-1]}-{self.version}.tgz"


_FA_FONTS = tuple(
    f"webfonts/fa-{face}.{ext}"
    for face in ("brands-400", "regular-400", "solid-900", "v4compatibility")
    for ext in ("woff2", "ttf")
)

PACKAGES: tuple[VendorPackage, ...] = (
    VendorPackage("jquery", "3.7.1", "jquery-3.7.1", "MIT", "LICENSE.txt",
                  (("https://code.jquery.com/jquery-3.7.1.min.js", "dist/jquery.min.js"),)),
    VendorPackage("bootstrap", "4.3.1", "bootstrap-4.3.1", "MIT", "LICENSE", (
        ("https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css", "dist/css/bootstrap.min.css"),
        ("https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css", "dist/css/bootstrap.min.css"),
        ("https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js", "dist/js/bootstrap.min.js"),
        ("https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js", "dist/js/bootstrap.min.js"),
    )),
    VendorPackage("popper.js", "1.12.9", "popper.js-1.12.9", "MIT", "",
                  (("https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js",
                    "dist/umd/popper.min.js"),)),
    VendorPackage("@fortawesome/fontawesome-free", "6.6.0", "fontawesome-free-6.6.0",
                  "(CC-BY-4.0 AND OFL-1.1 AND MIT)", "LICENSE.txt",
                  (("https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css", "css/all.min.css"),),
                  extra=_FA_FONTS),
    VendorPackage("bootstrap-datepicker", "1.9.0", "bootstrap-datepicker-1.9.0", "Apache-2.0", "LICENSE", (
        ("https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js",
         "dist/js/bootstrap-datepicker.min.js"),
        ("https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css",
         "dist/css/bootstrap-datepicker.min.css"),
    )),
    VendorPackage("bootstrap-table", "1.19.1", "bootstrap-table-1.19.1", "MIT", "LICENSE", (
        ("https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js", "dist/bootstrap-table.min.js"),
        ("https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css", "dist/bootstrap-table.min.css"),
        ("https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
         "bootstrap-table-filter-control.min.js",
         "dist/extensions/filter-control/bootstrap-table-filter-control.min.js"),
    )),
    # GX's templates load the filter-control stylesheet from the previous release
    VendorPackage("bootstrap-table", "1.19.0", "bootstrap-table-1.19.0", "MIT", "LICENSE", (
        ("https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css",
         "dist/extensions/filter-control/bootstrap-table-filter-control.css"),
        ("https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
         "bootstrap-table-filter-control.min.css",
         "dist/extensions/filter-control/bootstrap-table-filter-control.min.css"),
    )),
    VendorPackage("vega", "5.33.1", "vega-5.33.1", "BSD-3-Clause", "",
                  (("https://cdn.jsdelivr.net/npm/vega@5", "build/vega.min.js"),)),
    VendorPackage("vega-lite", "5.23.0", "vega-lite-5.23.0", "BSD-3-Clause", "LICENSE",
                  (("https://cdn.jsdelivr.net/npm/vega-lite@5", "build/vega-lite.min.js"),)),
    VendorPackage("vega-embed", "6.29.0", "vega-embed-6.29.0", "BSD-3-Clause", "LICENSE",
                  (("https://cdn.jsdelivr.net/npm/vega-embed@6", "build/vega-embed.min.js"),)),
    VendorPackage("@forevolve/bootstrap-dark", "1.1.0", "bootstrap-dark-1.1.0", "MIT", "LICENSE",
                  (("https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css",
                    "dist/css/bootstrap-prefers-dark.css"),)),
)  # fmt: skip

# Licence texts for the two packages whose npm tarball ships none (same licence as their repositories).
_MISSING_LICENSES = {
    "popper.js": (
        "The MIT License (MIT)\n\nCopyright (c) 2016 Federico Zivolo and contributors\n\n"
        "Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated "
        'documentation files (the "Software"), to deal in the Software without restriction, including without '
        "limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the "
        "Software, and to permit persons to whom the Software is furnished to do so, subject to the following "
        "conditions:\n\nThe above copyright notice and this permission notice shall be included in all copies or "
        'substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, '
        "EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR "
        "PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, "
        "DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN "
        "CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.\n"
    ),
    "vega": "vega-lite",  # the same BSD-3-Clause text and holder (UW Interactive Data Lab): copied from vega-lite
}


class UnknownCdnError(Exception):
    """Pages still load files from addresses `make_offline` has no local copy of."""

    def __init__(self, urls: dict[str, list[str]]) -> None:
        self.urls = urls  # address -> pages (relative to the site) that load it
        listing = "; ".join(f"{url} ({', '.join(pages[:3])})" for url, pages in sorted(urls.items()))
        super().__init__(
            f"数据文档仍引用 {len(urls)} 个未离线化的外部地址 / Data Docs still load {len(urls)} unknown external "
            f"address(es): {listing}. Add them to disclosure_audit.checks.offline.PACKAGES."
        )


def cdn_map() -> dict[str, str]:
    """Every known CDN address -> the local file, relative to the site's static/vendor/."""
    return {url: f"{p.directory}/{path}" for p in PACKAGES for url, path in p.cdn}


def load_manifest() -> dict:
    """vendor/manifest.json: per package its version, licence, source and each file's sha256."""
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def vendored_files() -> list[str]:
    """Every file to copy into a site, relative to vendor/ (vendored packages and our own assets)."""
    manifest = load_manifest()
    out = [f"{pkg['directory']}/{name}" for pkg in manifest["packages"] for name in pkg["files"]]
    return out + list(manifest["own"])


# ---------------------------------------------------------------- rewriting a site
_EXTERNAL = re.compile(r"^(?:https?:)?//", re.IGNORECASE)
_TAG = re.compile(r"<(script|link|img|source|iframe|embed|video|audio)\b[^>]*>", re.IGNORECASE)
_RESOURCE_ATTR = re.compile(r"""(\s)(src|href)(\s*=\s*)(["'])(.*?)\4""", re.IGNORECASE | re.DOTALL)
_DROP_ATTR = re.compile(r"""\s+(?:integrity|crossorigin)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?""", re.IGNORECASE)
_ALT = re.compile(r"""(\salt\s*=\s*)(["'])Great Expectations\2""", re.IGNORECASE)
_STYLE_BLOCK = re.compile(r"(<style\b[^>]*>)(.*?)(</style>)", re.IGNORECASE | re.DOTALL)
_STYLE_ATTR = re.compile(r"""(\sstyle\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]*?)\1\s*\)""", re.IGNORECASE)
_SITE_STATIC = re.compile(r"^(?:\.\.?/)*static/([^?#]+)$")
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)

OFFLINE_STYLE = (
    f'<style id="{STYLE_ID}">\n'
    "/* disclosure-audit: 中文字体（离线） / CJK-capable fonts, no web fonts needed */\n"
    "body, .table, .navbar, .card, .popover, .tooltip, .btn, .nav-link, .dropdown-menu, .alert,\n"
    "h1, h2, h3, h4, h5, h6, p, li, td, th, input, select, textarea, button {\n"
    f"  font-family: {CJK_FONTS};\n"
    "}\n"
    "</style>\n"
)


def _local_target(url: str, known: dict[str, str]) -> str | None:
    """The file under static/vendor/ that replaces `url`, or None if there is none."""
    full = "https:" + url if url.startswith("//") else url
    if full in known:
        return known[full]
    if full.startswith("http://") and "https://" + full[len("http://") :] in known:
        return known["https://" + full[len("http://") :]]
    m = re.match(rf"^https?://{re.escape(GX_ASSETS_HOST)}/([^?#]+)", full, re.IGNORECASE)
    if m and m.group(1) in GX_LOGOS:
        return GX_LOGOS[m.group(1)]
    return None


def rewrite_html(text: str, site_prefix: str, known: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """Point the page's CDN scripts, stylesheets and images at the site's static/vendor/ copies.

    `site_prefix` is the relative path from the page's folder to the site root ("." for index.html).
    Returns the new text and the external addresses of resources it has no local copy for. Links
    in `<a href>` (to GX's website) are not resources and stay. GX writes some `static/` references
    with one `../` too few (the favicon of validation pages); those are re-anchored at the site root.
    Running it twice changes nothing.
    """
    known = cdn_map() if known is None else known
    prefix = f"{site_prefix}/{SITE_VENDOR.as_posix()}"
    unknown: list[str] = []

    def tag(m: re.Match) -> str:
        original = m.group(0)
        rewritten = False

        def attr(a: re.Match) -> str:
            nonlocal rewritten
            url = a.group(5).strip()
            lead, quote = f"{a.group(1)}{a.group(2)}{a.group(3)}", a.group(4)
            if not _EXTERNAL.match(url):
                local = _SITE_STATIC.match(url)
                if local is None:
                    return a.group(0)
                return f"{lead}{quote}{site_prefix}/static/{local.group(1)}{quote}"
            target = _local_target(url, known)
            if target is None:
                unknown.append(url)
                return a.group(0)
            rewritten = True
            return f"{lead}{quote}{prefix}/{target}{quote}"

        out = _RESOURCE_ATTR.sub(attr, original)
        if rewritten:
            out = _DROP_ATTR.sub("", out)
            out = _ALT.sub(lambda a: f"{a.group(1)}{a.group(2)}{LOGO_ALT}{a.group(2)}", out)
        return out

    def css(block: str) -> str:
        def url(u: re.Match) -> str:
            address = u.group(2).strip()
            if not _EXTERNAL.match(address):
                return u.group(0)
            target = _local_target(address, known)
            if target is None:
                unknown.append(address)
                return u.group(0)
            return f"url('{prefix}/{target}')"

        return _CSS_URL.sub(url, block)

    text = _TAG.sub(tag, text)
    text = _STYLE_BLOCK.sub(lambda m: m.group(1) + css(m.group(2)) + m.group(3), text)
    text = _STYLE_ATTR.sub(lambda m: m.group(1) + m.group(2) + css(m.group(3)) + m.group(2), text)
    if f'id="{STYLE_ID}"' not in text:
        head_end = _HEAD_END.search(text)
        at = head_end.start() if head_end else 0
        text = text[:at] + OFFLINE_STYLE + text[at:]
    return text, unknown


def copy_vendor(data_docs_dir: Path) -> Path:
    """Copy the vendored files (those in manifest.json) into `<site>/static/vendor/`; return that folder."""
    target = data_docs_dir / SITE_VENDOR
    for rel in vendored_files():
        source, dest = VENDOR_DIR / rel, target / rel
        if dest.is_file() and dest.stat().st_size == source.stat().st_size:
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
    return target


def make_offline(data_docs_dir: Path) -> int:
    """Make a built Data Docs site work without the internet; return how many HTML files changed.

    Copies the vendored files into `<data_docs_dir>/static/vendor/`, rewrites every HTML file of the
    site to load them by relative path (dropping `integrity`/`crossorigin`), swaps GX's logo for ours
    and injects the CJK font stack. Raises `UnknownCdnError` after rewriting if any page still loads
    an external address this module has no copy of.
    """
    data_docs_dir = Path(data_docs_dir)
    vendor = copy_vendor(data_docs_dir)
    known = cdn_map()
    changed = 0
    unknown: dict[str, list[str]] = {}
    for page in sorted(data_docs_dir.rglob("*.html")):
        if vendor in page.parents:
            continue
        site_prefix = Path(os.path.relpath(data_docs_dir, page.parent)).as_posix()
        text = page.read_text(encoding="utf-8")
        new, missing = rewrite_html(text, site_prefix, known)
        for url in missing:
            unknown.setdefault(url, []).append(page.relative_to(data_docs_dir).as_posix())
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed += 1
    if unknown:
        raise UnknownCdnError(unknown)
    return changed


# ---------------------------------------------------------------- re-downloading the vendored files
def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_vendor(dest: Path = VENDOR_DIR) -> dict:
    """Download every package's tarball from the npm registry, check it against the registry's sha512,
    extract the files the pages load and the licence into `dest`, and write `dest/manifest.json`.

    Not run by tests (it needs the internet). Own assets (the logo) are kept and recorded as they are.
    """
    import requests

    packages = []
    licenses: dict[str, bytes] = {}
    for pkg in PACKAGES:
        meta = requests.get(f"{REGISTRY}/{pkg.name}/{pkg.version}", timeout=60)
        meta.raise_for_status()
        dist = meta.json()["dist"]
        tgz = requests.get(dist["tarball"], timeout=300)
        tgz.raise_for_status()
        algo, _, expected = dist["integrity"].partition("-")
        if base64.b64encode(hashlib.new(algo, tgz.content).digest()).decode() != expected:
            raise ValueError(f"{pkg.name}@{pkg.version}: tarball does not match the registry's {algo}")
        out = dest / pkg.directory
        shutil.rmtree(out, ignore_errors=True)
        files: dict[str, str] = {}
        with tarfile.open(fileobj=io.BytesIO(tgz.content), mode="r:gz") as tar:
            members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if m.isfile() and "/" in m.name}
            wanted = list(pkg.files) + ([pkg.license_file] if pkg.license_file else [])
            for name in wanted:
                data = tar.extractfile(members[name]).read()
                if name == pkg.license_file:
                    licenses[pkg.name] = data
                    name = "LICENSE"
                (out / name).parent.mkdir(parents=True, exist_ok=True)
                (out / name).write_bytes(data)
                files[name] = _sha256(data)
        packages.append({
            "name": pkg.name, "version": pkg.version, "directory": pkg.directory, "license": pkg.license,
            "license_file": pkg.license_file or "(none in the package; LICENSE written from the repository's)",
            "source": dist["tarball"], "integrity": dist["integrity"],
            "cdn": {url: path for url, path in pkg.cdn}, "files": files,
        })  # fmt: skip
    for record in packages:
        if record["license_file"].startswith("(none"):
            text = _MISSING_LICENSES[record["name"]]
            data = licenses[text] if text in licenses else text.encode("utf-8")
            (dest / record["directory"] / "LICENSE").write_bytes(data)
            record["files"]["LICENSE"] = _sha256(data)
    own = {
        p.relative_to(dest).as_posix(): _sha256(p.read_bytes())
        for p in sorted((dest / OWN_ASSETS_DIR).rglob("*"))
        if p.is_file()
    }
    manifest = {"packages": packages, "own": own}
    (dest / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def readme_table(manifest: dict) -> str:
    """The package table of vendor/README.md, from a manifest."""
    rows = ["| 包 package | 版本 version | 许可 license | 目录 directory | 来源 source |", "|---|---|---|---|---|"]
    for p in manifest["packages"]:
        rows.append(f"| {p['name']} | {p['version']} | {p['license']} | `{p['directory']}/` | {p['source']} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """`python -m disclosure_audit.checks.offline download [DEST]` or `... rewrite DATA_DOCS_DIR`."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["download"]:
        manifest = download_vendor(Path(args[1]) if len(args) > 1 else VENDOR_DIR)
        print(readme_table(manifest))
        return 0
    if args[:1] == ["rewrite"] and len(args) == 2:
        print(f"已改写 rewrote {make_offline(Path(args[1]))} HTML file(s)")
        return 0
    print("usage: python -m disclosure_audit.checks.offline download [DEST] | rewrite DATA_DOCS_DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
