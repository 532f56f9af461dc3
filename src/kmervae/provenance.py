"""What made an output: versions, command line, config and seed, recorded beside it."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata

from kmervae import __version__
from kmervae.npyio import atomic_path

#: Packages whose versions are recorded in every provenance file and log.
RECORDED_PACKAGES = (
    "numpy",
    "pandas",
    "keras",
    "tensorflow",
    "scikit-learn",
    "igraph",
    "pyrodigal",
    "pyhmmer",
    "snakemake",
)


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"kmervae": __version__, "python": platform.python_version()}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def provenance(**extra) -> dict:
    """A JSON-able record of what is making an output right now, plus ``extra`` fields."""
    return {
        "tool": "kmervae",
        "versions": package_versions(),
        "command": sys.argv,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        **extra,
    }


def write_json_atomic(path: str | os.PathLike, data: dict) -> None:
    """Write JSON to ``path`` through a temporary file, so no half-written file is left."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
