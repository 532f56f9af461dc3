"""The Snakemake workflow run for real on tiny inputs in a scratch directory: a whole run,
then a sample added to it, then another project that embeds with its model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import write_fasta
from workflow_project import planned_jobs, snakemake, two_genome_contigs

pytestmark = pytest.mark.slow


def test_workflow_trains_and_adding_a_sample_runs_only_that_sample(workdir, rng):
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    model_dir = workdir / "results/model"
    for name in ("vae.keras", "history.tsv", "training.png", "provenance.json", "architecture.png"):
        assert (model_dir / name).stat().st_size > 0, name
    # two rounds: the first (vae: epochs) in results/first_round, the second (self_training:
    # epochs) fine-tunes it with partners from its bins and is the model that embeds
    first_round = workdir / "results/first_round/model"
    assert (first_round / "history.tsv").read_text().count("\n") == 3  # header + 2 epochs
    assert (model_dir / "history.tsv").read_text().count("\n") == 2  # header + 1 epoch
    provenance = json.loads((model_dir / "provenance.json").read_text())
    assert provenance["seed"] == 3 and provenance["config"]["epochs"] == 1
    assert provenance["config"]["partner_share"] == 0.5
    assert provenance["config"]["learning_rate"] == 0.0003
    assert provenance["init_model"]["path"] == str((first_round / "vae.keras").resolve())
    assert provenance["partner_bins"] == [
        str((workdir / f"results/first_round/clusters/first{suffix}").resolve())
        for suffix in (".tsv", ".summary.tsv")
    ]
    assert json.loads((first_round / "provenance.json").read_text())["config"]["epochs"] == 2
    assert [Path(s["path"]).name for s in provenance["training_samples"]] == ["first.npy"]
    matrix = np.load(workdir / "results/features/first.npy", mmap_mode="r")
    index = (workdir / "results/features/first.contigs.tsv").read_text().splitlines()
    assert matrix.shape == (len(index) - 1, 8362)
    assert (matrix[:, 0] >= 1000).all()
    # every rule leaves a log and a benchmark; counting leaves no table beside the matrix
    for rule in ("count_kmers", "find_markers"):
        assert (workdir / f"results/logs/{rule}/first.log").exists()
        assert (workdir / f"results/benchmarks/{rule}/first.tsv").exists()
    assert "trained 2 epochs" in (workdir / "results/logs/train_vae.log").read_text()
    second_log = (workdir / "results/logs/self_train.log").read_text()
    # made-up genomes hold no marker gene, so no bin is of good quality: no partners
    assert "trained 1 epochs" in second_log and "no bin of the earlier round" in second_log
    assert not (workdir / "results/first_round/embeddings").exists()  # temporary
    assert not (workdir / "results/tables").exists()
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
    written = sorted((workdir / "results/bins/first").glob("*.fna.gz"))
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

    records, _ = two_genome_contigs(rng, "b", 12)
    write_fasta(workdir / "in" / "second.fa", records)
    # the new sample is counted, embedded with the existing model, binned and drawn;
    # nothing else runs, the model is not retrained
    assert planned_jobs(workdir) == {
        (rule, "second") for rule in ("count_kmers", "find_markers", "embed", "cluster", "plot")
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
    assert "self_train" not in planned.stdout and "first_round" not in planned.stdout
