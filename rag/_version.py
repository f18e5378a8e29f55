"""The package version, written once: in pyproject.toml.

A checkout (an editable install, or PYTHONPATH pointing at it) reads its own
pyproject.toml, so a version bump shows at once; an installed wheel has no
pyproject.toml beside it and reads the version pip recorded from it."""
from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "rag-chongqing"


def _read() -> str:
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if pyproject.is_file():
        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        except (OSError, tomllib.TOMLDecodeError):
            project = {}
        if project.get("name") == DISTRIBUTION and "version" in project:
            return str(project["version"])
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"  # the package files copied somewhere without their metadata


version = _read()
