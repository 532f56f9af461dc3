"""Conda environments and pyproject.toml pin the same versions of every shared package."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml
from conftest import REPO

ENV_FILES = sorted((REPO / "envs").glob("*.yaml"))
# conda-forge name -> PyPI name, where they differ
CONDA_TO_PYPI = {"python-igraph": "igraph"}
# conda-only packages with no PyPI pin: the interpreter and its installer. No system tool:
# what a job needs comes from PyPI too (graphviz-pure in place of Graphviz's dot).
CONDA_ONLY = {"python", "pip"}


def _pyproject_pins() -> dict[str, str]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    project = data["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs.extend(extra)
    pins = {}
    for spec in specs:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^;\s]+)", spec.strip())
        assert m, f"pyproject.toml: {spec!r} is not pinned with =="
        pins[m.group(1).lower()] = m.group(2)
    return pins


def _env_pins(path) -> dict[str, str]:
    env = yaml.safe_load(path.read_text())
    assert env["channels"] == ["conda-forge", "bioconda", "nodefaults"], path.name
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # a pip: section
            for spec in dep.get("pip", []):
                name, _, version = spec.partition("==")
                pins[name.lower()] = version
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*=+\s*([^=\s]+)", dep)
        assert m, f"{path.name}: {dep!r} has no pinned version"
        pins[CONDA_TO_PYPI.get(m.group(1), m.group(1)).lower()] = m.group(2)
    return pins


def test_there_are_env_files():
    assert ENV_FILES, "envs/*.yaml missing"


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_env_versions_match_pyproject(path):
    pyproject = _pyproject_pins()
    env = _env_pins(path)
    for name, version in env.items():
        if name in CONDA_ONLY:
            continue
        assert name in pyproject, f"{path.name}: {name} is not pinned in pyproject.toml"
        assert version == pyproject[name], (
            f"{path.name}: {name}={version} but pyproject.toml pins {pyproject[name]}"
        )


def test_env_python_matches_requires_python():
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    minimum = data["project"]["requires-python"].removeprefix(">=")
    for path in ENV_FILES:
        assert _env_pins(path)["python"] == minimum, path.name


def test_every_rule_names_an_existing_env():
    rules = "".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    n_rules = len(re.findall(r"^\s*rule \w+:", rules, flags=re.M))
    named = re.findall(r'conda:\s*\n\s*"([^"]+)"', rules)
    assert len(named) == n_rules, "every rule needs a conda: directive"
    for rel in named:
        assert (REPO / "workflow" / "rules" / rel).resolve().exists(), rel
