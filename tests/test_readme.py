"""Every command block of README.md does what README says: the commands are run (the
snakemake ones as dry runs in a scratch project), the Python example is executed in a fresh
interpreter, and the quick start is exactly what CI runs first."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, random_sequence, run_kmervae, write_fasta

from kmervae.cli import COMMANDS, main

README = (REPO / "README.md").read_text()
SNAKEMAKE = Path(sys.executable).with_name("snakemake")


def code_blocks(language: str) -> list[tuple[str, str]]:
    """(section heading, text) of every fenced block of ``language``, in order."""
    blocks, heading = [], ""
    for m in re.finditer(r"^(#+ [^\n]*)$|^```(\w*)\n(.*?)^```$", README, flags=re.M | re.S):
        if m.group(1):
            heading = m.group(1).lstrip("# ")
        elif m.group(2) == language:
            blocks.append((heading, m.group(3)))
    return blocks


def commands(block: str) -> list[str]:
    """The command lines of a shell block: continuations joined, comments dropped."""
    text = block.replace("\\\n", " ")
    lines = (line.split("  #")[0].split(" # ")[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def all_commands() -> list[str]:
    return [c for _, block in code_blocks("sh") for c in commands(block)]


def test_readme_has_the_blocks_this_file_checks():
    sections = {heading for heading, _ in code_blocks("sh")}
    assert {"Quick start", "Running on your data", "Development"} <= sections
    assert len(code_blocks("python")) == 1
    # every command line is of a kind checked below
    for command in all_commands():
        assert re.match(r"(make|kmervae|snakemake|\.venv/bin/snakemake|rm -r)\b", command), command


def test_quick_start_is_what_ci_runs_first_before_installing_anything():
    quick = commands(dict(code_blocks("sh"))["Quick start"])
    assert quick == ["make demo", "make test"]
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    positions = [ci.index(command) for command in quick]
    assert positions == sorted(positions)
    installs = [i for i, line in enumerate(ci) if re.search(r"apt-get|conda install|pip ", line)]
    assert not installs or min(installs) > max(positions)


def test_make_targets_exist():
    makefile = (REPO / "Makefile").read_text()
    for command in all_commands():
        if command.startswith("make "):
            target = command.split()[1]
            assert re.search(rf"^{target}:", makefile, flags=re.M), command


@pytest.fixture(scope="module")
def assembly(
    tmp_path_factory,
) -> Path:
    """A small assembly of two made-up genomes, named as README names it."""
    import random

    rng = random.Random(7)
    d = tmp_path_factory.mktemp("readme")
    records = [
        (f"c{i}", random_sequence(rng, rng.randint(1500, 4000), "GGGCCCAT" if i % 2 else "ACGT"))
        for i in range(40)
    ]
    write_fasta(d / "assembly.fna.gz", records)
    return d / "assembly.fna.gz"


#: added to README's `kmervae train` line so that the test trains in seconds
FAST_TRAINING = ["--epochs", "1", "--batch-size", "16"]


def help_of(name: str) -> subprocess.CompletedProcess:
    """``kmervae NAME --help`` through the command's own entry point, in this process (a
    new interpreter per subcommand would cost seconds each)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([name, "--help"])
        except SystemExit as exit_:
            code = exit_.code
    return subprocess.CompletedProcess(
        ["kmervae", name, "--help"], code, out.getvalue(), err.getvalue()
    )


@pytest.fixture(scope="module")
def steps_run(assembly) -> tuple[Path, list[tuple[str, subprocess.CompletedProcess]]]:
    """README's "each step without Snakemake" block, run line by line in the folder of
    ``assembly``: (that folder, [(command, its result)])."""
    block = next(b for _, b in code_blocks("sh") if "kmervae features" in b)
    workdir = assembly.parent
    results = []
    for command in commands(block):
        argv = shlex.split(command)[1:]
        if argv[0] == "COMMAND":  # one line for every subcommand, run in this process
            for name in COMMANDS:
                results.append((f"kmervae {name} --help", help_of(name)))
            continue
        if argv[0] == "train":
            argv += FAST_TRAINING
        results.append((command, run_kmervae(*argv, cwd=workdir)))
    return workdir, results


@pytest.mark.slow
def test_each_step_without_snakemake_runs_as_written(steps_run):
    import numpy as np

    workdir, results = steps_run
    for command, result in results:
        assert result.returncode == 0, f"{command}\n{result.stderr[-3000:]}"
        if command.endswith("--help") and command != "kmervae --help":
            assert result.stdout.startswith(f"usage: {command.removesuffix(' --help')}")
        # the commands that run TensorFlow log without its start-up lines
        assert "cpu_feature_guard" not in result.stderr and "cudart_stub" not in result.stderr
    assert len((workdir / "features/sample.contigs.tsv").read_text().splitlines()) == 1 + 40
    assert np.load(workdir / "sample.z.npy").shape == (40, 256)
    assert len((workdir / "sample.clusters.tsv").read_text().splitlines()) == 1 + 40
    header = (workdir / "sample.bins.tsv").read_text().splitlines()[0].split("\t")
    assert {"completeness", "contamination", "quality"} <= set(header)


@pytest.mark.slow
def test_python_example_loads_and_embeds_in_a_fresh_interpreter(steps_run):
    """README's Python block, run as written (paths pointed at the model and matrix made by
    README's own commands) by a new Python that has imported nothing before it."""
    workdir, _ = steps_run
    ((_, code),) = code_blocks("python")
    code = code.replace("results/model/vae.keras", str(workdir / "model/vae.keras"))
    code = code.replace("results/features/sample.npy", str(workdir / "features/sample.npy"))
    code += "\nprint(type(vae).__name__, z.shape)\n"
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=workdir, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-3:] == ["KmerVAE", "(40,", "256)"]


@pytest.fixture(scope="module")
def project(tmp_path_factory, assembly) -> Path:
    """A user's project as README describes it: the repository's config and profiles, and
    two assemblies in resources/fasta/ (samples s1 and s2)."""
    d = tmp_path_factory.mktemp("project")
    shutil.copytree(REPO / "config", d / "config")
    (d / "profiles").symlink_to(REPO / "profiles")
    (d / "resources" / "fasta").mkdir(parents=True)
    for name in ("s1", "s2"):
        shutil.copy(assembly, d / "resources" / "fasta" / f"{name}.fna.gz")
    return d


def snakemake_dry_run(project: Path, command: str) -> subprocess.CompletedProcess:
    """README's snakemake command as a dry run in ``project``. conda cannot be reached
    where kmervae is tested, so --use-conda is left out (the environments are checked by
    tests/test_envs.py)."""
    argv = [a for a in shlex.split(command)[1:] if a != "--use-conda"]
    cmd = [str(SNAKEMAKE), "--snakefile", str(REPO / "Snakefile"), *argv, "--dry-run"]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=project)


SNAKEMAKE_COMMANDS = [
    c.split("&& ", 1)[-1] for c in all_commands() if re.search(r"(^|&& )(\.venv/bin/)?snakemake", c)
]


@pytest.mark.slow
@pytest.mark.parametrize("command", SNAKEMAKE_COMMANDS)
def test_snakemake_commands_plan_the_documented_jobs(project, command):
    result = snakemake_dry_run(project, command)
    assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
    planned = result.stdout
    if "--report" in command:
        return
    for sample in ("s1", "s2"):
        assert f"sample={sample}" in planned
    assert "demo" not in re.findall(r"sample=(\S+)", planned)  # the demo is not a user sample
    assert "rule train_vae:" in planned or "localrule train_vae:" in planned
