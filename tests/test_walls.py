"""The walls between the package's parts, read from the imports of every module (not a convention).

- site profiles (sites/) read pages and fetch through http; they never write to the store;
- the crawl core knows no platform: no LonSun path, parameter name or magic column type in crawl.py;
- the replica never imports a profile, the crawl or the checks (it must not learn from what it tests);
- library modules never import a face (the command line, the demo, the DAGs).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "disclosure_audit"
FACES = {"disclosure_audit.cli", "disclosure_audit.demo", "disclosure_audit.__main__"}
FACE_SUFFIX = re.compile(r"(^|\.)(cli|crawl_cli)$")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every disclosure_audit module the file imports, at top level or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    here = module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("disclosure_audit"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
            if base.startswith("disclosure_audit"):
                out.add(base)
                out.update(f"{base}.{a.name}" for a in node.names)
    return out


def modules(under: str = "") -> list[Path]:
    root = PACKAGE / under if under else PACKAGE
    return sorted(root.rglob("*.py"))


def test_the_walls_are_read_from_real_imports() -> None:
    # the reader itself: a profile imports parse and http, the crawl imports sites
    assert any(i.startswith("disclosure_audit.parse") for i in imports_of(PACKAGE / "sites" / "lonsun.py"))
    assert "disclosure_audit.sites" in imports_of(PACKAGE / "crawl.py")
    assert len(modules("sites")) >= 4


@pytest.mark.parametrize("path", modules("sites"), ids=lambda p: p.name)
def test_profiles_never_touch_the_store_the_checks_or_a_face(path: Path) -> None:
    banned = ("disclosure_audit.store", "disclosure_audit.checks", "disclosure_audit.crawl", "disclosure_audit.replica")
    found = sorted(i for i in imports_of(path) if i.startswith(banned))
    assert found == [], f"{path.name} imports {found}"


def test_the_crawl_core_names_no_platform() -> None:
    source = (PACKAGE / "crawl.py").read_text(encoding="utf-8")
    code = "\n".join(line.split("#", 1)[0] for line in source.splitlines())  # comments may name it
    for platform_word in ("/public/", "/site/label", "8888", "labelName", "pageSize", "pageIndex", "catId",
                          "organId", "type=4", "publicInfoList", "xxgk"):  # fmt: skip
        assert platform_word not in code, f"crawl.py names {platform_word!r}: that belongs to a site profile"


@pytest.mark.parametrize("path", modules("replica"), ids=lambda p: p.name)
def test_the_replica_never_learns_from_what_it_tests(path: Path) -> None:
    banned = (
        "disclosure_audit.sites",
        "disclosure_audit.crawl",
        "disclosure_audit.parse",
        "disclosure_audit.checks",
        "disclosure_audit.store",
        "disclosure_audit.report",
    )
    VOCABULARY = "disclosure_audit.report.format"
    # the report format's labels are vocabulary (data only, like the rule catalogue); its readers,
    # figures and identities are what the replica's published reports test
    found = sorted(i for i in imports_of(path) if i.startswith(banned) and not i.startswith(VOCABULARY))
    assert found == [], f"replica/{path.name} imports {found}"


@pytest.mark.parametrize(
    "path",
    [p for p in modules() if not FACE_SUFFIX.search(module_name(p)) and module_name(p) not in FACES],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_library_modules_never_import_a_face(path: Path) -> None:
    faces = sorted(i for i in imports_of(path) if FACE_SUFFIX.search(i) or i in FACES or i.startswith("dags"))
    assert faces == [], f"{path.relative_to(PACKAGE)} imports {faces}"
