"""A scratch Snakemake project for the workflow tests: running snakemake on it and reading
its plan."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO, random_sequence, write_fasta

SNAKEMAKE = Path(sys.executable).with_name("snakemake")


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        str(SNAKEMAKE),
        "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir),
        "--configfile", str(workdir / "config.yaml"),
        "--cores", "2",
        *args,
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True)


def planned_jobs(workdir: Path) -> set[tuple[str, str]]:
    """(rule, sample) of every job a dry run would run."""
    result = snakemake(workdir, "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    return jobs_of_dry_run(result.stdout)


def jobs_of_dry_run(stdout: str) -> set[tuple[str, str]]:
    """(rule, sample) of every job listed in a dry run's output."""
    jobs, rule = set(), None
    for line in stdout.splitlines():
        if m := re.match(r"^(?:local)?rule (\w+):", line.strip()):
            rule = m.group(1)
        elif m := re.match(r"^wildcards: sample=(\S+)", line.strip()):
            jobs.add((rule, m.group(1)))
    return jobs


def two_genome_contigs(rng, prefix: str, n: int):
    """Contigs of two made-up genomes of very different GC, and their labels."""
    records, labels = [], []
    for i in range(n):
        genome = "gc_rich" if i % 2 else "at_rich"
        alphabet = "GGGCCCAT" if genome == "gc_rich" else "AAATTTGC"
        name = f"{prefix}{i}"
        records.append((name, random_sequence(rng, rng.randint(800, 5000), alphabet)))
        labels.append((name, genome))
    return records, labels


def make_project(tmp_path: Path, rng) -> Path:
    """A project with a sample 'first' listed (with labels) in a samples table, and an
    empty input folder."""
    (tmp_path / "in").mkdir()
    records, labels = two_genome_contigs(rng, "a", 40)
    write_fasta(tmp_path / "first.fna.gz", records)
    (tmp_path / "first.labels.tsv").write_text(
        "contig\tgenome\n" + "".join(f"{c}\t{g}\n" for c, g in labels)
    )
    (tmp_path / "samples.tsv").write_text(
        "sample\tfasta\tlabels\nfirst\tfirst.fna.gz\tfirst.labels.tsv\n"
    )
    (tmp_path / "config.yaml").write_text(
        "input_dir: in\nsamples: samples.tsv\nvae: {epochs: 2, batch_size: 8, seed: 3}\n"
        "self_training: {epochs: 1}\nmin_bin_size: 10000\nclustering: {min_cluster_size: 5}\n"
    )
    return tmp_path
