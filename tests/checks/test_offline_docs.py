"""Data Docs work without the internet: vendored assets, rewritten pages, rule ids and Chinese on the pages.

The site is built the way the nightly check builds it (crawl the replica, run_checks), once per module.
"""

from __future__ import annotations

import hashlib
import html
import re
import secrets
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from disclosure_audit import rules
from disclosure_audit.checks import offline
from disclosure_audit.checks.prepare import prepare_facts
from disclosure_audit.checks.run import run_checks
from disclosure_audit.checks.suites import CHECKS
from disclosure_audit.crawl import CrawlConfig, crawl
from disclosure_audit.replica.corpus import ORGS, Corpus
from disclosure_audit.replica.server import Knobs, ReplicaServer
from disclosure_audit.replica.site import ReplicaSite
from disclosure_audit.store import migrate, server

REPO = Path(__file__).resolve().parents[2]
CDN_HOSTS = ("jquery.com", "bootstrapcdn.com", "cdnjs.", "unpkg.com", "jsdelivr.net", "amazonaws.com")
_ATTR = re.compile(r"""\b(src|href)\s*=\s*(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<(\w+)\b[^>]*>", re.DOTALL)
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.IGNORECASE | re.DOTALL)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>|\sstyle\s*=\s*([\"'])(.*?)\2", re.IGNORECASE | re.DOTALL)
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)""", re.IGNORECASE)
_EXTERNAL = re.compile(r"^(?:https?:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def site(pg_server: server.Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A Data Docs site built by `run_checks` over a crawled replica (its own database, dropped after)."""
    name = f"disclosure_audit_test_{secrets.token_hex(6)}"  # the prefix conftest's databases use
    server.create_database(pg_server, name)
    try:
        db = pg_server.url_for(name)
        migrate.apply_migrations(db)
        data_dir = tmp_path_factory.mktemp("offline") / "data"
        srv = ReplicaServer(ReplicaSite(Corpus(300, 0, 0)), Knobs(), port=0)
        srv.start()
        try:
            crawl(CrawlConfig(
                site=f"http://127.0.0.1:{srv.port}", orgs=[o.name for o in ORGS], database_url=db, data_dir=data_dir,
                requests_per_second=500.0, max_in_flight_per_host=4, retry_wait_seconds=0.05, show_progress=False,
            ))  # fmt: skip
            prepare_facts(db, rate=500.0)
            summary = run_checks(db, data_dir, REPO / "expectations")
        finally:
            srv.stop()
        assert summary.data_docs and summary.data_docs.startswith("file://")
        yield Path(summary.data_docs.removeprefix("file://")).parent
    finally:
        server.drop_database(pg_server, name)


def _pages(site: Path) -> list[Path]:
    pages = [p for p in site.rglob("*.html") if (site / "static") not in p.parents]
    assert any("validations" in p.parts for p in pages) and any("expectations" in p.parts for p in pages)
    return pages


def _validation_page(site: Path) -> Path:
    return next(p for p in sorted(site.rglob("*.html")) if "validations" in p.parts and "disclosure_items" in p.parts)


def test_no_page_loads_anything_from_the_internet(site: Path) -> None:
    for page in _pages(site):
        text = page.read_text(encoding="utf-8")
        rel = page.relative_to(site)
        for tag in _TAG.finditer(text):
            for attr, _, value in _ATTR.findall(tag.group(0)):
                if tag.group(1).lower() == "a":
                    continue  # a link the reader may follow, nothing the page needs
                assert not _EXTERNAL.match(value.strip()), f"{rel}: <{tag.group(1)} {attr}={value}>"
        for block, _, attr_css in _STYLE.findall(text):
            for url in _CSS_URL.findall(block + attr_css):
                assert not _EXTERNAL.match(url.strip()), f"{rel}: url({url}) in CSS"
        for attrs, body in _SCRIPT.findall(text):
            assert not re.search(r"https?://", attrs + body), f"{rel}: a script refers to the internet"
        for host in CDN_HOSTS:
            assert host not in text, f"{rel} still names {host}"
        assert f'id="{offline.STYLE_ID}"' in text and "Noto Sans CJK SC" in text


def test_every_local_reference_resolves(site: Path) -> None:
    checked = 0
    for page in _pages(site):
        text = page.read_text(encoding="utf-8")
        refs = [v for _, _, v in _ATTR.findall(text)]
        refs += [u for block, _, css in _STYLE.findall(text) for u in _CSS_URL.findall(block + css)]
        for ref in refs:
            ref = html.unescape(ref.strip())
            if not ref or ref.startswith(("#", "data:", "javascript:", "mailto:")) or _EXTERNAL.match(ref):
                continue
            target = (page.parent / unquote(urlsplit(ref).path)).resolve()
            assert target.exists(), f"{page.relative_to(site)}: {ref} does not exist"
            checked += 1
    # the vendored stylesheets' own references (Font Awesome's webfonts)
    for css in (site / "static" / "vendor").rglob("*.css"):
        for url in _CSS_URL.findall(css.read_text(encoding="utf-8")):
            if url.startswith("data:") or url.startswith("#"):
                continue
            assert not _EXTERNAL.match(url), f"{css}: {url}"
            assert (css.parent / urlsplit(url).path).resolve().is_file(), f"{css}: {url}"
            checked += 1
    assert checked > 50


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_vendored_files_match_the_manifest_and_readme() -> None:
    manifest = offline.load_manifest()
    readme = (offline.VENDOR_DIR / "README.md").read_text(encoding="utf-8")
    recorded: set[str] = set()
    for pkg in manifest["packages"]:
        assert f"| {pkg['name']} | {pkg['version']} |" in readme, f"{pkg['name']} missing from vendor/README.md"
        assert "LICENSE" in pkg["files"], f"{pkg['name']}: no licence vendored"
        for name, digest in pkg["files"].items():
            path = offline.VENDOR_DIR / pkg["directory"] / name
            assert _sha256(path) == digest, f"{path} differs from manifest.json"
            recorded.add(path.relative_to(offline.VENDOR_DIR).as_posix())
    for name, digest in manifest["own"].items():
        assert _sha256(offline.VENDOR_DIR / name) == digest
        recorded.add(name)
    on_disk = {p.relative_to(offline.VENDOR_DIR).as_posix() for p in offline.VENDOR_DIR.rglob("*") if p.is_file()}
    assert on_disk - recorded == {"README.md", "manifest.json"}, "files in vendor/ that manifest.json does not record"
    # every CDN address the code maps has a vendored file, and the exact versions the pages ask for
    versions = {(p["name"], p["version"]) for p in manifest["packages"]}
    assert {("jquery", "3.7.1"), ("bootstrap", "4.3.1"), ("popper.js", "1.12.9"), ("bootstrap-table", "1.19.1"),
            ("@fortawesome/fontawesome-free", "6.6.0"), ("bootstrap-datepicker", "1.9.0"),
            ("@forevolve/bootstrap-dark", "1.1.0")} <= versions  # fmt: skip
    for target in offline.cdn_map().values():
        assert target in recorded, target


def test_site_copies_equal_the_vendored_files(site: Path) -> None:
    copied = site / "static" / "vendor"
    for rel in offline.vendored_files():
        assert _sha256(copied / rel) == _sha256(offline.VENDOR_DIR / rel), rel


def test_pages_show_rule_ids_and_chinese_titles(site: Path) -> None:
    suites = "\n".join(html.unescape(p.read_text("utf-8")) for p in (site / "expectations").glob("*.html"))
    validation = html.unescape(_validation_page(site).read_text("utf-8"))
    for check in CHECKS:
        rule = rules.get(check.rule_id)
        assert rule.id in suites and rule.title_zh in suites, f"{rule.id} not on the expectation pages"
        if check.suite == "disclosure_items":
            assert f"规则 rule {rule.id} · {rule.title_zh}" in validation, f"{rule.id} not on the validation page"
    assert "**规则 rule**" not in suites and "规则 rule" in suites  # the notes' markdown is rendered
    assert "disclosure-audit 数据文档" in validation  # our logo, not GX's


def test_unknown_cdn_addresses_are_reported_and_known_ones_rewritten(tmp_path: Path) -> None:
    page = tmp_path / "validations" / "x" / "page.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        "<html><head>"
        '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" '
        'integrity="sha384-x" crossorigin="anonymous"></script>'
        '<script src="https://cdn.example.net/lib@1/lib.min.js"></script>'
        "<style>.a{background:url('https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
        "full_logo_dark.png')}</style></head><body>合规</body></html>",
        encoding="utf-8",
    )
    with pytest.raises(offline.UnknownCdnError) as err:
        offline.make_offline(tmp_path)
    assert err.value.urls == {"https://cdn.example.net/lib@1/lib.min.js": ["validations/x/page.html"]}
    text = page.read_text(encoding="utf-8")
    assert '<script src="../../static/vendor/bootstrap-4.3.1/dist/js/bootstrap.min.js"></script>' in text
    assert "url('../../static/vendor/disclosure-audit/logo-dark.svg')" in text and "合规" in text
    assert (tmp_path / "static/vendor/bootstrap-4.3.1/dist/js/bootstrap.min.js").is_file()
    page.write_text(text.replace("https://cdn.example.net/lib@1/lib.min.js", "lib.js"), encoding="utf-8")
    assert offline.make_offline(tmp_path) == 0  # nothing left to change: a second run is a no-op


def _png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and raw rows of an 8-bit RGB/RGBA PNG (what Chromium writes); no image library needed."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos : pos + 4]), data[pos + 4 : pos + 8]
        chunk = data[pos + 8 : pos + 8 + length]
        header = chunk if kind == b"IHDR" else header
        idat += chunk if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6)
    bpp = 4 if color == 6 else 3
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r[i : i + 3]) for r in rows for i in range(0, stride, bpp)]


def test_validation_page_renders_offline_in_chromium(site: Path, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("Chromium is not installed: cannot render the page headless (apt-get install chromium)")
    page = _validation_page(site)
    # no network: every request that is not a file goes to a closed proxy port
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
             "--proxy-bypass-list=<-loopback>", "--window-size=1400,2000",
             f"--user-data-dir={tmp_path / 'profile'}"]  # fmt: skip
    dom = subprocess.run([*flags, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout  # fmt: skip
    assert 'class="bootstrap-table' in dom, "bootstrap-table did not run: jQuery/Bootstrap scripts did not load"
    assert "规则 rule timing.publish_lag" in dom
    shot = tmp_path / "validation.png"
    subprocess.run([*flags, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 50_000
    width, height, pixels = _png_pixels(shot)
    assert (width, height) == (1400, 2000)
    colours = set(pixels[::7])
    non_white = sum(1 for p in pixels[::7] if p != b"\xff\xff\xff") / len(pixels[::7])
    assert len(colours) > 200 and non_white > 0.05, (len(colours), non_white)
    # Bootstrap's colours are there only if bootstrap.min.css loaded: the grey section headers (.alert-secondary,
    # #e2e3e5), the light panels (.bg-light, #f8f9fa) and the blue filter buttons (.btn-primary, #007bff)
    sampled = Counter(pixels[::7])
    assert sampled[bytes.fromhex("e2e3e5")] > 10_000 and sampled[bytes.fromhex("f8f9fa")] > 10_000, sampled
    assert sampled[bytes.fromhex("007bff")] > 300
