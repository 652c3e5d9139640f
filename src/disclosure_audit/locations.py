"""Where the project's files live on this machine: the project root and the data directory."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

PROJECT_NAME = "disclosure-audit"
ENV_HOME = "DISCLOSURE_HOME"
ENV_DATA_DIR = "DISCLOSURE_DATA_DIR"


def project_root(start: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The folder of this project's pyproject.toml above `start` (default: cwd).

    Else `DISCLOSURE_HOME`, else `start` itself. Private state (.local/) lives there.
    """
    env = os.environ if env is None else env
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                name = tomllib.loads(candidate.read_text(encoding="utf-8")).get("project", {}).get("name")
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                continue
            if name == PROJECT_NAME:
                return folder
    home = env.get(ENV_HOME)
    if home:
        return Path(home).expanduser().resolve()
    return here


def data_dir(root: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """Where captures and Data Docs live: DISCLOSURE_DATA_DIR, else .local/data under the project root."""
    env = os.environ if env is None else env
    configured = env.get(ENV_DATA_DIR)
    if configured:
        return Path(configured)
    return (root or project_root(env=env)) / ".local" / "data"
