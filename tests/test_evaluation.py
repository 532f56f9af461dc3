"""Evaluation metrics against hand-computed values, and the ``evaluate`` subcommand."""

from __future__ import annotations

import argparse
import logging
import math

import numpy as np
import pytest

from kmervae.binning.clustering import UNBINNED
from kmervae.binning.evaluation import (
    clustering_scores,
    evaluate,
    genome_bin_table,
    kmeans_ari,
    per_genome_rows,
    read_labels,
    recovered,
    singleton_codes,
    tnf_matrix,
    zscore,
)
from kmervae.commands import evaluate as evaluate_command
from kmervae.errors import InputError
from kmervae.features.layout import LAYOUT

U = UNBINNED


def test_ari_nmi_hand_computed():
    # truth A A A B B B, bins 1 1 2 2 3 3. Contingency: A: b1 2, b2 1; B: b2 1, b3 2.
    # sum C(n_ij, 2) = 1 + 0 + 0 + 1 = 2; rows C(3,2)+C(3,2) = 6; columns 3 * C(2,2) = 3;
    # C(6,2) = 15; expected = 6 * 3 / 15 = 1.2; max = (6 + 3) / 2 = 4.5
    # ARI = (2 - 1.2) / (4.5 - 1.2) = 0.8 / 3.3 = 8/33
    # MI = 2/6 ln(2) + 0 + 0 + 2/6 ln(2) = (2/3) ln 2 (cells of 1 have p_ij = p_i p_j);
    # H(truth) = ln 2, H(bins) = ln 3; NMI (arithmetic mean) = (2/3) ln 2 / (ln 6 / 2)
    truth = np.array(list("AAABBB"))
    bins = np.array(["b1", "b1", "b2", "b2", "b3", "b3"], dtype=object)
    s = clustering_scores(truth, bins)
    assert s["ari"] == pytest.approx(8 / 33)
    assert s["nmi"] == pytest.approx((4 / 3) * math.log(2) / math.log(6))
    assert 0 < s["ami"] < s["nmi"]


def test_perfect_clustering_scores_one():
    truth = np.array(list("AABBCC"))
    bins = np.array(["x", "x", "y", "y", "z", "z"], dtype=object)
    s = clustering_scores(truth, bins)
    assert s == pytest.approx({"ari": 1.0, "nmi": 1.0, "ami": 1.0})


def test_unbinned_are_singletons():
    # truth A A B B, bins b1 b1 unbinned unbinned -> b1 b1 s1 s2.
    # Contingency: A: b1 2; B: s1 1, s2 1. Index = C(2,2) = 1; rows 1 + 1 = 2;
    # columns C(2,2) + 0 + 0 = 1; C(4,2) = 6; expected = 2/6; max = 1.5
    # ARI = (1 - 1/3) / (1.5 - 1/3) = (2/3) / (7/6) = 4/7. (One shared "unbinned" cluster
    # would give a perfect 1.0: leaving contigs out must not be rewarded.)
    truth = np.array(list("AABB"))
    bins = np.array(["b1", "b1", U, U], dtype=object)
    codes = singleton_codes(bins)
    assert codes[0] == codes[1] and len(set(codes.tolist())) == 3
    assert clustering_scores(truth, bins)["ari"] == pytest.approx(4 / 7)


def _hand_case():
    # contig: genome, bp, bin
    rows = [
        ("c1", "A", 100, "bin1"),
        ("c2", "A", 300, "bin1"),
        ("c3", "A", 100, U),
        ("c4", "B", 400, "bin1"),
        ("c5", "B", 600, "bin2"),
        ("c6", None, 500, "bin2"),  # unlabelled: counts in bin2's bp
        ("c7", "C", 50, "bin3"),
        ("c8", "D", 950, "bin4"),
        ("c9", "D", 50, U),
        ("c10", None, 40, "bin4"),
    ]
    names = [r[0] for r in rows]
    genomes = np.array([r[1] for r in rows], dtype=object)
    lengths = np.array([r[2] for r in rows])
    bins = np.array([r[3] for r in rows], dtype=object)
    return names, genomes, lengths, bins


def test_recall_precision_hand_computed():
    # genome bp: A 500, B 1000, C 50, D 1000. bin bp: bin1 800, bin2 1100, bin3 50, bin4 990
    # A in bin1 400: recall 0.8, precision 0.5
    # B in bin1 400: recall 0.4, precision 0.5; in bin2 600: recall 0.6, precision 6/11
    # C in bin3: recall 1, precision 1
    # D in bin4 950: recall 0.95, precision 950/990
    _, genomes, lengths, bins = _hand_case()
    table = genome_bin_table(genomes, bins, lengths)
    assert table.genomes == ["A", "B", "C", "D"]
    assert table.bin_bp.tolist() == [800, 1100, 50, 990]
    rows = {r["genome"]: r for r in per_genome_rows(table)}
    assert rows["A"]["best_bin"] == "bin1"
    assert (rows["A"]["recall"], rows["A"]["precision"]) == pytest.approx((0.8, 0.5))
    assert rows["B"]["best_bin"] == "bin2"
    assert (rows["B"]["recall"], rows["B"]["precision"]) == pytest.approx((0.6, 6 / 11))
    assert (rows["C"]["recall"], rows["C"]["precision"]) == pytest.approx((1.0, 1.0))
    assert rows["D"]["genome_bp"] == 1000 and rows["D"]["contigs"] == 2
    assert (rows["D"]["recall"], rows["D"]["precision"]) == pytest.approx((0.95, 950 / 990))
    # recovered at (r, p): C always; D for r <= 0.95 (precision 0.9596 >= 0.95)
    assert recovered(table, 0.9, 0.95) == 2
    assert recovered(table, 0.95, 0.95) == 2
    assert recovered(table, 0.99, 0.9) == 1
    assert recovered(table, 0.5, 0.5) == 4  # A (0.8, 0.5), B (0.6, 0.545) too
    assert recovered(table, 0.5, 0.96) == 1


def test_evaluate_metrics_hand_case():
    names, genomes, lengths, bins = _hand_case()
    metrics = dict(evaluate(names, lengths, bins, genomes)[0])
    assert metrics["contigs"] == 10 and metrics["contigs_labelled"] == 8
    assert metrics["genomes"] == 4 and metrics["bins"] == 4
    # all bp: 100+300+100+400+600+500+50+950+50+40 = 3090; unbinned c3 + c9 = 150 bp
    # -> 2940 binned; labelled bp 3090 - 500 - 40 = 2550, of which 2400 binned
    assert metrics["bp"] == 3090
    assert metrics["fraction_bp_binned"] == pytest.approx(2940 / 3090)
    assert metrics["fraction_labelled_bp_binned"] == pytest.approx(2400 / 2550)
    assert metrics["near_complete"] == 2
    expected_grid = {0.5: 2, 0.7: 2, 0.9: 2, 0.95: 2, 0.99: 1}
    for p in (0.9, 0.95):
        for r, n in expected_grid.items():
            assert metrics[f"recovered_r{r:.2f}_p{p:.2f}"] == n
    assert "kmeans_k" not in metrics


def test_genome_without_any_bin():
    genomes = np.array(["A", "A", "B"], dtype=object)
    bins = np.array(["bin1", "bin1", U], dtype=object)
    rows = {r["genome"]: r for r in per_genome_rows(genome_bin_table(genomes, bins, [5, 5, 9]))}
    assert rows["B"]["best_bin"] == U and rows["B"]["recall"] == 0.0


def test_no_bins_at_all():
    genomes = np.array(["A", "B"], dtype=object)
    bins = np.array([U, U], dtype=object)
    metrics = dict(evaluate(["a", "b"], np.array([10, 10]), bins, genomes)[0])
    assert metrics["bins"] == 0 and metrics["near_complete"] == 0
    assert metrics["fraction_bp_binned"] == 0.0


def test_read_labels_warns_about_unknown_contigs(tmp_path, caplog):
    path = tmp_path / "labels.tsv"
    path.write_text("contig\tgenome\textra\nc1\tA\tx\nzzz\tB\ty\nc3\tB\tz\n")
    with caplog.at_level(logging.WARNING):
        genomes, unknown = read_labels(path, ["c1", "c2", "c3"])
    assert genomes.tolist() == ["A", None, "B"]
    assert unknown == 1
    assert "zzz" in caplog.text


def test_read_labels_conflict_is_an_error(tmp_path):
    path = tmp_path / "labels.tsv"
    path.write_text("contig\tgenome\nc1\tA\nc1\tB\n")
    with pytest.raises(InputError, match="labelled twice"):
        read_labels(path, ["c1"])


def test_kmeans_ari_and_tnf():
    rng = np.random.default_rng(0)
    truth = np.repeat([0, 1, 2], 20)
    x = np.eye(3, 8)[truth] * 10 + rng.normal(size=(60, 8))
    assert kmeans_ari(x, truth, 3) == pytest.approx(1.0)
    z = zscore(rng.normal(5, 3, size=(50, 4)))
    assert np.allclose(z.mean(axis=0), 0, atol=1e-5) and np.allclose(z.std(axis=0), 1, atol=1e-4)
    features = rng.random((10, LAYOUT.n_features)).astype(np.float32)
    assert tnf_matrix(features).shape == (10, 136)


def _run(module, argv):
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return module.run(parser.parse_args([str(a) for a in argv]))


def test_evaluate_command(tmp_path):
    rng = np.random.default_rng(1)
    names = [f"c{i}" for i in range(40)]
    genome = np.repeat(["G1", "G2"], 20)
    lengths = rng.integers(1000, 5000, 40)
    index = tmp_path / "index.tsv"
    index.write_text(
        "contig\tlength\n" + "".join(f"{n}\t{x}\n" for n, x in zip(names, lengths, strict=True))
    )
    clusters = tmp_path / "clusters.tsv"
    bins = [("s_bin0001" if g == "G1" else "s_bin0002") for g in genome]
    bins[0] = U
    clusters.write_text(
        "clustername\tcontigname\n"
        + "".join(f"{b}\t{n}\n" for b, n in zip(bins, names, strict=True))
    )
    labels = tmp_path / "labels.tsv"
    labels.write_text(
        "contig\tgenome\n"
        + "".join(f"{n}\t{g}\n" for n, g in zip(names[1:], genome[1:], strict=True))
    )
    emb = tmp_path / "emb.npy"
    np.save(emb, (np.eye(2, 16)[(genome == "G2").astype(int)] * 5).astype(np.float32))
    features = tmp_path / "features.npy"
    np.save(features, rng.random((40, LAYOUT.n_features)).astype(np.float32))
    out, per_genome = tmp_path / "eval" / "m.tsv", tmp_path / "eval" / "g.tsv"
    argv = ["--clusters", clusters, "--index", index, "--labels", labels, "--embedding", emb]
    argv += ["--features", features, "-o", out, "--per-genome", per_genome]
    assert _run(evaluate_command, argv) == 0
    metrics = dict(line.split("\t") for line in out.read_text().splitlines()[1:])
    assert metrics["contigs_labelled"] == "39"  # c0 is unlabelled
    assert float(metrics["ari"]) == pytest.approx(1.0)
    assert float(metrics["kmeans_ari_vae"]) == pytest.approx(1.0)
    assert metrics["kmeans_k"] == "2"
    assert {"kmeans_ari_tnf", "kmeans_ari_raw_pca", "kmeans_ari_vae_normalized"} <= set(metrics)
    lines = per_genome.read_text().splitlines()
    assert lines[0].split("\t") == ["genome", "contigs", "genome_bp", "best_bin", "recall",
                                    "precision"]  # fmt: skip
    assert len(lines) == 3


def test_evaluate_command_rejects_clusters_of_another_sample(tmp_path):
    index = tmp_path / "index.tsv"
    index.write_text("contig\tlength\na\t10\nb\t10\n")
    clusters = tmp_path / "clusters.tsv"
    clusters.write_text("clustername\tcontigname\nx\ta\nx\tzzz\n")
    labels = tmp_path / "labels.tsv"
    labels.write_text("contig\tgenome\na\tA\n")
    with pytest.raises(InputError, match="not in the contig index"):
        _run(evaluate_command, ["--clusters", clusters, "--index", index, "--labels", labels,
                                "-o", tmp_path / "m.tsv"])  # fmt: skip
    assert not (tmp_path / "m.tsv").exists()
