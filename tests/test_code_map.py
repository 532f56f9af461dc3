"""README's code map matches the package, and imports go the way it says."""

from __future__ import annotations

import ast
import re

import pytest
from conftest import REPO

PACKAGE = REPO / "src" / "kmervae"
README = (REPO / "README.md").read_text()
CODE_MAP = re.search(r"## Code map\n\n```text\n(.*?)```", README, flags=re.S).group(1)

#: stage -> the kmervae subpackages it may import (besides itself and the shared modules)
ALLOWED = {
    "features": set(),
    "vae": {"features", "markers"},
    "markers": {"features"},
    "binning": {"features", "markers"},
}
SHARED = {"errors", "npyio", "progress", "provenance", "samples", "quiet"}


def stage_modules():
    return sorted(PACKAGE.glob("*/*.py")) + sorted(PACKAGE.glob("*.py"))


def kmervae_imports(path):
    """Names of the kmervae modules ``path`` imports (at any depth of the file)."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kmervae"):
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("kmervae"))


def test_code_map_lists_every_subpackage_and_top_level_module():
    for sub in sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        assert re.search(rf"\b{sub}/", CODE_MAP), sub
    for module in sorted(p.stem for p in PACKAGE.glob("*.py")):
        if module not in {"__init__", "__main__"}:
            assert re.search(rf"\b{module}\b", CODE_MAP), module
    for stage in ALLOWED:
        for module in sorted(p.stem for p in (PACKAGE / stage).glob("*.py")):
            if module != "__init__":
                assert re.search(rf"\b{module}\b", CODE_MAP), f"{stage}/{module}"


@pytest.mark.parametrize("stage", sorted(ALLOWED))
def test_stages_import_only_downwards(stage):
    for path in sorted((PACKAGE / stage).glob("*.py")):
        for name in kmervae_imports(path):
            parts = name.split(".")
            if len(parts) < 2 or parts[1] in SHARED or parts[1] == stage:
                continue
            assert parts[1] in ALLOWED[stage], f"{path.relative_to(REPO)} imports {name}"


def test_shared_modules_import_no_stage():
    for module in sorted(SHARED):
        for name in kmervae_imports(PACKAGE / f"{module}.py"):
            parts = name.split(".")
            assert len(parts) == 1 or parts[1] in SHARED | {"__version__"}, f"{module}: {name}"


def test_binning_and_features_never_import_tensorflow():
    for stage in ("features", "binning"):
        for path in sorted((PACKAGE / stage).glob("*.py")):
            text = path.read_text()
            assert not re.search(r"^\s*(import|from) (tensorflow|keras)\b", text, flags=re.M), path


def test_rules_build_no_paths_inline():
    """Input functions and path constants live in common.smk; a rule holds no lambda and
    no path built with `+`."""
    for path in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#")[0]
            assert "lambda" not in code, f"{path.name}:{number}: {line.strip()}"
            assert not re.search(r"""["']\s*\+|\+\s*["']""", code), f"{path.name}:{number}"
