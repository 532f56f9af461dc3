"""The workflow with its options: scattered counting, and a model trained on chosen samples
that bins every sample."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import write_fasta
from workflow_project import jobs_of_dry_run, planned_jobs, snakemake, two_genome_contigs

pytestmark = pytest.mark.slow


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
    records, _ = two_genome_contigs(rng, "b", 12)
    write_fasta(workdir / "in" / "sec.ond.fa", records)
    (workdir / "config.yaml").write_text(
        "input_dir: in\nsamples: samples.tsv\ntrain_samples: [first]\n"
        "vae: {epochs: 1, batch_size: 8, seed: 3, encoder_widths: [[16, 8], [8, 4], [4, 4]],"
        " shared_widths: [16], latent_dim: 4}\nself_training: {epochs: 1}\n"
        "min_bin_size: 10000\nclustering: {min_cluster_size: 5}\n"
    )
    targets = [
        "results/model/provenance.json",
        *(f"results/clusters/{sample}.tsv" for sample in ("first", "sec.ond")),
    ]
    # substring views are counted for the training sample only; both are embedded
    jobs = planned_jobs(workdir)
    assert {("view_sequences", "first"), ("embed", "first"), ("embed", "sec.ond")} <= jobs
    assert ("view_sequences", "sec.ond") not in jobs
    # the second round learns from the first round's bins of the training sample only
    assert {("embed_first_round", "first"), ("cluster_first_round", "first")} <= jobs
    assert not {r for r, sample in jobs if sample == "sec.ond" and "first_round" in r}
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


def test_many_samples_train_one_model_within_one_budget(workdir, rng):
    """Twenty more FASTA files in the input folder: one training job over every sample's
    share of max_train_contigs (each view_sequences job told how many samples share it),
    and an embedding and clustering job per sample."""
    for i in range(20):
        records, _ = two_genome_contigs(rng, f"s{i}_", 3)
        write_fasta(workdir / "in" / f"s{i:02d}.fa", records)
    config = workdir / "config.yaml"
    config.write_text(config.read_text().replace("vae: {", "vae: {max_train_contigs: 2100, "))
    result = snakemake(workdir, "--dry-run", "--printshellcmds")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    commands = [
        line.removeprefix("Shell command: ")
        for line in result.stdout.splitlines()
        if line.startswith("Shell command: ")
    ]
    views = [c for c in commands if c.startswith("kmervae views ")]
    train = [c for c in commands if c.startswith("kmervae train ")]
    assert len(views) == 21 and len(train) == 2  # the first round and self-training
    for command in views:
        assert "--training-samples 21 " in command and "--max-train-contigs=2100" in command
    for command in train:
        assert command.count("results/views/") == 21 and "--max-train-contigs=2100" in command
    second = next(c for c in train if "--init-model" in c)
    assert second.count("results/first_round/clusters/") == 2 * 21  # tables and summaries
    jobs = jobs_of_dry_run(result.stdout)
    samples = {"first", *(f"s{i:02d}" for i in range(20))}
    for rule in ("embed", "cluster"):
        assert {sample for r, sample in jobs if r == rule} == samples, rule
