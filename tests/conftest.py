"""Shared test helpers: writing FASTA files and running the kmervae command."""

from __future__ import annotations

import gzip
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))


def write_fasta(path: Path, records, width: int | None = 60, newline: str = "\n") -> Path:
    """Write (name, sequence) records; ``width`` None writes each sequence on one line."""
    lines = []
    for name, seq in records:
        lines.append(f">{name}")
        if width is None:
            lines.append(seq)
        else:
            lines.extend(seq[i : i + width] for i in range(0, len(seq), width))
    data = (newline.join(lines) + newline).encode()
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def random_sequence(rng: random.Random, length: int, alphabet: str = "ACGT") -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def run_kmervae(*args, check: bool = False, cwd=None) -> subprocess.CompletedProcess:
    """Run the installed ``kmervae`` command as a user would."""
    exe = Path(sys.executable).with_name("kmervae")
    cmd = [
        str(exe) if exe.exists() else sys.executable,
        *([] if exe.exists() else ["-m", "kmervae"]),
    ]
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    return subprocess.run(
        [*cmd, *map(str, args)], capture_output=True, text=True, check=check, cwd=cwd, env=env
    )


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20261126)


@pytest.fixture
def workdir(tmp_path, rng) -> Path:
    """A workflow project with a sample 'first' listed (with labels) in a samples table,
    and an empty input folder (tests/workflow_project.py)."""
    from workflow_project import make_project

    return make_project(tmp_path, rng)


#: the test files that take longest (minutes: they train models or run the workflow), in
#: that order; `make test` hands whole files to its workers in collection order, so these
#: go first and the short ones fill in beside them (5:52 in file-name order on 2 cores, 5:23 so).
#: The workflow tests are three files so that one worker does not run them all.
LONGEST_FILES = (
    "test_training.py",
    "test_workflow.py",
    "test_workflow_chunks.py",
    "test_readme.py",
    "test_quality_bench.py",
    "test_workflow_checks.py",
    "test_embedding.py",
)


def pytest_collection_modifyitems(session, config, items):
    def rank(item):
        name = item.path.name
        return LONGEST_FILES.index(name) if name in LONGEST_FILES else len(LONGEST_FILES)

    items.sort(key=rank)  # stable: the order within a file is kept
