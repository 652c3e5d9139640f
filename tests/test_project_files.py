"""Checks of files that no other test runs: the pins, docker-compose.yml and the Dockerfile."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
SECRET_REF = re.compile(r"^\$\{[A-Z_]+:\?[^}]+\}$")  # ${VAR:?message}: required, never a default


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = version
    return pins


def test_every_dependency_is_pinned_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = _pins()
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not pinned in requirements/constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} not in {spec}"


def test_compose_has_postgres_and_app_and_no_literal_password():
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    compose = yaml.safe_load(text)
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:15"
    assert services["app"]["build"] == "."
    app_env = services["app"]["environment"]
    url = app_env["DISCLOSURE_DATABASE_URL"]
    assert url.startswith("postgresql://") and "@postgres:5432/" in url
    userinfo = re.sub(r"\$\{[^}]*\}", "VAR", url.split("://", 1)[1].split("@", 1)[0])
    assert ":" not in userinfo, "the URL must not carry a password"

    for service in services.values():
        for key, value in (service.get("environment") or {}).items():
            if "PASSWORD" in key.upper():
                assert SECRET_REF.match(str(value)), f"{key} must be a required ${{VAR:?...}} reference"
    for line in text.splitlines():
        bare = re.sub(r"\$\{[^}]*\}", "", line)  # variable references are fine
        if not line.lstrip().startswith("#"):
            assert not re.search(r"(?i)password\w*\s*[:=]\s*\S", bare), f"literal secret? {line!r}"


def test_the_dockerfile_installs_with_the_pins_and_runs_the_demo():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert "-c requirements/constraints.txt" in text
    assert 'CMD ["make", "demo"]' in text
