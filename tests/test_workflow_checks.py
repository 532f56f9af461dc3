"""Quick checks of the workflow: bad and duplicate samples, lint, and the profiles' plans."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import REPO
from workflow_project import (
    SNAKEMAKE,
    snakemake,
)

from kmervae.binning.clustering import ClusterParams
from kmervae.vae.config import VAEConfig

pytestmark = pytest.mark.slow


def test_bad_sample_fails_its_job_without_output(workdir):
    (workdir / "in" / "broken.fa").write_text(">x\nACGTZ\n")
    result = snakemake(workdir, "--keep-going")
    assert result.returncode != 0
    assert (workdir / "results/features/first.npy").exists()
    assert not (workdir / "results/features/broken.npy").exists()
    assert not (workdir / "results/features/broken.contigs.tsv").exists()
    log = (workdir / "results/logs/count_kmers/broken.log").read_text()
    assert "record 'x'" in log and "'Z' is not IUPAC DNA" in log


def test_duplicate_sample_names_stop_the_workflow(workdir):
    (workdir / "in" / "first.fa").write_text(">x\nACGT\n")
    result = snakemake(workdir, "--dry-run")
    assert result.returncode != 0
    assert "two files map to sample 'first'" in result.stdout + result.stderr


def test_lint_is_clean():
    result = subprocess.run(
        [str(SNAKEMAKE), "--lint", "--snakefile", str(REPO / "Snakefile")],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lints for" not in result.stdout + result.stderr


def _first_round_training(dry_run_output: str) -> str:
    """The shell command of train_vae in a dry run with --printshellcmds (self_train's
    also runs kmervae train, with the first round's bins)."""
    return next(
        line
        for line in dry_run_output.splitlines()
        if "kmervae train" in line and "--bins" not in line
    )


def _job_field(dry_run_output: str, rule: str, field: str) -> str:
    """The ``field:`` line (input, output, ...) of the first job of ``rule`` in a dry run."""
    current = None
    for line in dry_run_output.splitlines():
        if m := re.match(r"^(?:local)?rule (\w+):", line.strip()):
            current = m.group(1)
        elif current == rule and line.strip().startswith(f"{field}:"):
            return line.strip()[len(field) + 2 :]
    raise AssertionError(f"no {field} of rule {rule} in the dry run")


def _job_resources(dry_run_output: str) -> dict[str, dict[str, str]]:
    """rule -> resources line of its first job in a dry run."""
    found, rule = {}, None
    for line in dry_run_output.splitlines():
        if m := re.match(r"^(?:local)?rule (\w+):", line.strip()):
            rule = m.group(1)
        elif line.strip().startswith("resources:") and rule and rule not in found:
            found[rule] = dict(
                item.split("=", 1) for item in line.strip()[len("resources: ") :].split(", ")
            )
    return found


def test_slurm_profile_dry_run_sets_account_partition_and_resources(workdir):
    result = snakemake(workdir, "--workflow-profile", str(REPO / "profiles" / "slurm"), "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    resources = _job_resources(result.stdout)
    count = resources["count_kmers"]
    assert count["slurm_account"] == "your_account"
    assert count["slurm_partition"] == "your_cpu_partition"
    assert int(count["mem_mb"]) >= 500 and count["runtime"] != "<TBD>"
    train = resources["train_vae"]
    assert train["gpu"] == "1" and train["cpus_per_gpu"] == "8"
    assert train["slurm_partition"] == "your_gpu_partition"
    assert train["slurm_account"] == "your_account"
    assert int(train["mem_mb"]) >= 3000
    # the project's config turns self-training on: its second round is a GPU job too
    second = resources["self_train"]
    assert second["gpu"] == "1" and second["slurm_partition"] == "your_gpu_partition"


def test_local_profile_dry_run_spells_out_every_setting(workdir):
    result = snakemake(
        workdir, "--workflow-profile", str(REPO / "profiles" / "local"), "--dry-run",
        "--printshellcmds",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    # settings left at the package's defaults are on the command line too, so a job whose
    # default changes reruns: clustering's resolution and training's learning rate are not
    # in this project's config.yaml
    cluster = next(line for line in result.stdout.splitlines() if "kmervae cluster" in line)
    assert f"--resolution={ClusterParams().resolution}" in cluster
    assert "--min-cluster-size=5" in cluster  # the one the config sets
    train = _first_round_training(result.stdout)
    assert f"--learning-rate={VAEConfig().learning_rate}" in train


def test_training_waits_for_the_marker_tables_only_with_cannot_links(workdir):
    def train_command(config: str) -> str:
        (workdir / "config.yaml").write_text(config)
        result = snakemake(workdir, "--dry-run", "--printshellcmds", "--forceall")
        assert result.returncode == 0, result.stdout + result.stderr
        return " ".join(_first_round_training(result.stdout).split())

    base = (workdir / "config.yaml").read_text()
    plain = train_command(base)
    assert "--markers --index --outdir" in plain
    linked = train_command(base.replace("seed: 3}", "seed: 3, cannot_link_weight: 50}"))
    assert "--cannot-link-weight=50" in linked
    assert (
        "--markers results/markers/first.tsv --index results/features/first.contigs.tsv" in linked
    )


def test_a_pretrained_model_starts_the_training_and_is_its_input(workdir):
    def dry_run(config: str) -> subprocess.CompletedProcess:
        (workdir / "config.yaml").write_text(config)
        return snakemake(workdir, "--dry-run", "--printshellcmds", "--forceall")

    base = (workdir / "config.yaml").read_text()
    missing = dry_run(base + "pretrained_model: base/nothing.keras\n")
    assert missing.returncode != 0
    said = missing.stdout + missing.stderr
    assert "config pretrained_model: base/nothing.keras does not exist" in said
    (workdir / "base").mkdir()
    (workdir / "base" / "vae.keras").write_bytes(b"stands for a model in a dry run")
    both = dry_run(base + "pretrained_model: base/vae.keras\nmodel: base/vae.keras\n")
    assert both.returncode != 0
    assert "model: and pretrained_model: exclude each other" in both.stdout + both.stderr
    result = dry_run(base + "pretrained_model: base/vae.keras\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "--init-model base/vae.keras" in _first_round_training(result.stdout)
    assert "--init-model" not in _first_round_training(dry_run(base).stdout)
    # a new base model retrains: it is an input of the training job
    inputs = _job_field(result.stdout, "train_vae", "input")
    assert "base/vae.keras" in inputs.split(", ")


def test_self_training_plans_two_rounds_and_offers_the_first_round_bins(workdir):
    result = snakemake(workdir, "--dry-run", "--printshellcmds", "--forceall")
    assert result.returncode == 0, result.stdout + result.stderr
    commands = [line.strip() for line in result.stdout.splitlines() if "kmervae " in line]
    final = next(c for c in commands if "kmervae cluster results/embeddings/first" in c)
    assert "--candidate-bins results/first_round/clusters/first.tsv" in final
    first = next(c for c in commands if "kmervae cluster results/first_round/" in c)
    assert "--candidate-bins" not in first and "--bins-dir" not in first
    second = next(c for c in commands if "kmervae train" in c and "--bins" in c)
    assert "--init-model results/first_round/model/vae.keras" in second
    assert "--epochs=1" in second and "--partner-share=0.5" in second
    # off (the default): one round, no first-round bins anywhere
    config = workdir / "config.yaml"
    config.write_text(config.read_text().replace("self_training: {epochs: 1}\n", ""))
    plain = snakemake(workdir, "--dry-run", "--printshellcmds", "--forceall")
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "first_round" not in plain.stdout and "--candidate-bins" not in plain.stdout
    assert plain.stdout.count("kmervae train") == 1
    # partners need a first round: in vae: (the first round's settings) they are refused
    config.write_text(config.read_text().replace("seed: 3}", "seed: 3, partner_share: 0.5}"))
    refused = snakemake(workdir, "--dry-run")
    assert refused.returncode != 0
    assert "set self_training: partner_share" in refused.stdout + refused.stderr
