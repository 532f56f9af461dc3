"""The Snakemake workflow itself, run for real on tiny inputs in a scratch directory."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, random_sequence, write_fasta

pytestmark = pytest.mark.slow

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
    jobs, rule = set(), None
    for line in result.stdout.splitlines():
        if m := re.match(r"^(?:local)?rule (\w+):", line.strip()):
            rule = m.group(1)
        elif m := re.match(r"^wildcards: sample=(\S+)", line.strip()):
            jobs.add((rule, m.group(1)))
    return jobs


def _two_genome_contigs(rng, prefix: str, n: int):
    """Contigs of two made-up genomes of very different GC, and their labels."""
    records, labels = [], []
    for i in range(n):
        genome = "gc_rich" if i % 2 else "at_rich"
        alphabet = "GGGCCCAT" if genome == "gc_rich" else "AAATTTGC"
        name = f"{prefix}{i}"
        records.append((name, random_sequence(rng, rng.randint(800, 5000), alphabet)))
        labels.append((name, genome))
    return records, labels


@pytest.fixture
def workdir(tmp_path, rng):
    """A project with a sample 'first' listed (with labels) in a samples table, and an
    empty input folder."""
    (tmp_path / "in").mkdir()
    records, labels = _two_genome_contigs(rng, "a", 40)
    write_fasta(tmp_path / "first.fna.gz", records)
    (tmp_path / "first.labels.tsv").write_text(
        "contig\tgenome\n" + "".join(f"{c}\t{g}\n" for c, g in labels)
    )
    (tmp_path / "samples.tsv").write_text(
        "sample\tfasta\tlabels\nfirst\tfirst.fna.gz\tfirst.labels.tsv\n"
    )
    (tmp_path / "config.yaml").write_text(
        "input_dir: in\nsamples: samples.tsv\nvae: {epochs: 2, batch_size: 8, seed: 3}\n"
        "min_bin_size: 10000\nclustering: {min_cluster_size: 5}\n"
    )
    return tmp_path


def test_workflow_trains_and_adding_a_sample_runs_only_that_sample(workdir, rng):
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    model_dir = workdir / "results/model"
    for name in ("vae.keras", "history.tsv", "training.png", "provenance.json", "architecture.png"):
        assert (model_dir / name).stat().st_size > 0, name
    assert (model_dir / "history.tsv").read_text().count("\n") == 3  # header + 2 epochs
    provenance = json.loads((model_dir / "provenance.json").read_text())
    assert provenance["seed"] == 3 and provenance["config"]["epochs"] == 2
    assert [Path(s["path"]).name for s in provenance["training_samples"]] == ["first.npy"]
    matrix = np.load(workdir / "results/features/first.npy", mmap_mode="r")
    index = (workdir / "results/features/first.contigs.tsv").read_text().splitlines()
    assert matrix.shape == (len(index) - 1, 8362)
    assert (matrix[:, 0] >= 1000).all()
    # every rule leaves a log and a benchmark; temporary tables are gone
    for rule in ("count_kmers", "assemble_features", "find_markers"):
        assert (workdir / f"results/logs/{rule}/first.log").exists()
        assert (workdir / f"results/benchmarks/{rule}/first.tsv").exists()
    assert "trained 2 epochs" in (workdir / "results/logs/train_vae.log").read_text()
    assert not list((workdir / "results").glob("tables/*.npy"))
    assert "kept" in (workdir / "results/logs/count_kmers/first.log").read_text()
    # embedding, bins, evaluation, pictures
    embedding = np.load(workdir / "results/embeddings/first.npy")
    assert embedding.shape == (matrix.shape[0], 256)
    clusters = (workdir / "results/clusters/first.tsv").read_text().splitlines()
    assert clusters[0] == "clustername\tcontigname" and len(clusters) == len(index)
    metrics = dict(
        line.split("\t")
        for line in (workdir / "results/evaluation/first.tsv").read_text().splitlines()[1:]
    )
    assert metrics["genomes"] == "2" and 0 <= float(metrics["kmeans_ari_tnf"]) <= 1
    for picture in ("map", "bins"):
        assert (workdir / f"results/plots/first.{picture}.png").read_bytes()[:4] == b"\x89PNG"
    written = sorted((workdir / "results/bins/first").glob("*.fna"))
    summary = (workdir / "results/bins/first.summary.tsv").read_text()
    assert len(written) == summary.count("\tyes")
    # made-up genomes hold no marker gene: every bin 0 % complete, said in the logs
    assert summary.splitlines()[0].endswith("\tcompleteness\tcontamination\tquality\tmarker_set")
    assert all(
        row.split("\t")[-4:] == ["0.0", "0.0", "low", ""] for row in summary.splitlines()[1:]
    )
    assert "no marker gene" in (workdir / "results/logs/find_markers/first.log").read_text()
    assert "no marker gene" in (workdir / "results/logs/cluster/first.log").read_text()
    report = snakemake(workdir, "--report", "report.html")
    assert report.returncode == 0, report.stderr[-2000:]
    assert (workdir / "report.html").stat().st_size > 100_000

    assert planned_jobs(workdir) == set()  # up to date
    first_mtime = (workdir / "results/features/first.npy").stat().st_mtime_ns
    model_mtime = (model_dir / "vae.keras").stat().st_mtime_ns

    records, _ = _two_genome_contigs(rng, "b", 12)
    write_fasta(workdir / "in" / "second.fa", records)
    # the new sample is counted, embedded with the existing model, binned and drawn;
    # nothing else runs, the model is not retrained
    assert planned_jobs(workdir) == {
        (rule, "second")
        for rule in ("count_kmers", "assemble_features", "find_markers", "embed", "cluster", "plot")
    }
    assert snakemake(workdir).returncode == 0
    assert (workdir / "results/features/second.npy").exists()
    assert (workdir / "results/clusters/second.tsv").exists()
    assert (workdir / "results/features/first.npy").stat().st_mtime_ns == first_mtime
    # the model is not retrained for a new sample
    assert (model_dir / "vae.keras").stat().st_mtime_ns == model_mtime

    # another project that embeds with this model (config model:) trains nothing
    other = workdir / "other"
    (other / "in").mkdir(parents=True)
    write_fasta(other / "in" / "third.fa", records)
    (other / "config.yaml").write_text(
        f"input_dir: in\nsamples: null\nmodel: {model_dir / 'vae.keras'}\n"
    )
    planned = snakemake(other, "--dry-run")
    assert planned.returncode == 0, planned.stderr[-2000:]
    assert "embed" in planned.stdout
    assert "train_vae" not in planned.stdout and "draw_architecture" not in planned.stdout


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


def test_local_profile_dry_run(workdir):
    result = snakemake(workdir, "--workflow-profile", str(REPO / "profiles" / "local"), "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def test_scattered_counting_gives_the_same_matrix_and_markers(workdir):
    target, markers = "results/features/first.npy", "results/markers/first.tsv"
    assert snakemake(workdir, target, markers).returncode == 0
    whole = (workdir / target).read_bytes()
    whole_index = (workdir / "results/features/first.contigs.tsv").read_bytes()
    whole_markers = (workdir / markers).read_text()
    result = snakemake(workdir, target, markers, "--forceall", "--config", "feature_chunks=4")
    assert result.returncode == 0, result.stderr[-3000:]
    for rule in ("split_fasta", "gather_features", "gather_markers"):
        assert rule in result.stderr, rule
    assert (workdir / target).read_bytes() == whole
    assert (workdir / "results/features/first.contigs.tsv").read_bytes() == whole_index
    assert (workdir / markers).read_text() == whole_markers
    assert len(list((workdir / "results/logs/find_markers/first").glob("*.log"))) == 4
    chunks = workdir / "results" / "chunks"
    assert not list(chunks.glob("**/*.npy")) + list(chunks.glob("**/*.markers.tsv"))  # temporary


def test_train_samples_trains_on_those_only_and_bins_every_sample(workdir, rng):
    """train_samples: [first] with a second sample (whose name holds a '.'): the model is
    trained on first alone, and both samples are embedded and binned with it."""
    records, _ = _two_genome_contigs(rng, "b", 12)
    write_fasta(workdir / "in" / "sec.ond.fa", records)
    (workdir / "config.yaml").write_text(
        "input_dir: in\nsamples: samples.tsv\ntrain_samples: [first]\n"
        "vae: {epochs: 1, batch_size: 8, seed: 3, encoder_widths: [[16, 8], [8, 4], [4, 4]],"
        " shared_widths: [16], latent_dim: 4}\n"
        "min_bin_size: 10000\nclustering: {min_cluster_size: 5}\n"
    )
    targets = [
        "results/model/provenance.json",
        *(f"results/clusters/{sample}.tsv" for sample in ("first", "sec.ond")),
    ]
    # substring views are counted for the training sample only; both are embedded
    jobs = planned_jobs(workdir)
    assert {("count_views", "first"), ("embed", "first"), ("embed", "sec.ond")} <= jobs
    assert ("count_views", "sec.ond") not in jobs
    result = snakemake(workdir, *targets)
    assert result.returncode == 0, result.stderr[-3000:]
    provenance = json.loads((workdir / "results/model/provenance.json").read_text())
    assert [Path(s["path"]).name for s in provenance["training_samples"]] == ["first.npy"]
    for sample in ("first", "sec.ond"):
        index = (workdir / f"results/features/{sample}.contigs.tsv").read_text().splitlines()
        embedding = np.load(workdir / f"results/embeddings/{sample}.npy")
        assert embedding.shape == (len(index) - 1, 4), sample
        clusters = (workdir / f"results/clusters/{sample}.tsv").read_text().splitlines()
        assert clusters[0] == "clustername\tcontigname" and len(clusters) == len(index)
