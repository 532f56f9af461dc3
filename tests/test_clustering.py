"""Clustering of embeddings: algorithms, bin names, the clusters table, input checks."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
import yaml
from conftest import REPO
from sklearn.metrics import adjusted_rand_score

from kmervae.binning.clustering import (
    DEFAULT_MIN_BIN_SIZE,
    NEIGHBOUR_BLOCK_ELEMENTS,
    UNBINNED,
    ClusterParams,
    cluster_embedding,
    load_embedding,
    name_bins,
    nearest_neighbours,
    neighbour_block_bytes,
    neighbour_block_rows,
    normalize,
    read_clusters,
    singletons_to_unbinned,
)
from kmervae.commands import cluster as cluster_command
from kmervae.commands.options import command_options, settings_from_args
from kmervae.errors import InputError, KmervaeError


def blobs(n_blobs=4, per_blob=40, dim=32, noise=0.15, seed=0):
    """Well-separated clusters: orthogonal directions plus a little noise."""
    rng = np.random.default_rng(seed)
    centres = np.linalg.qr(rng.normal(size=(dim, dim)))[0][:n_blobs] * 3
    truth = np.repeat(np.arange(n_blobs), per_blob)
    z = centres[truth] + noise * rng.normal(size=(len(truth), dim))
    order = rng.permutation(len(truth))
    lengths = rng.integers(1000, 20000, len(truth))
    return z[order].astype(np.float32), truth[order], lengths


@pytest.mark.parametrize(
    "params",
    [
        ClusterParams(),  # default: leiden
        ClusterParams(algorithm="leiden", neighbors=15, resolution=1.0),
        ClusterParams(algorithm="hdbscan"),
        ClusterParams(algorithm="hdbscan", pca_dims=0),
        ClusterParams(algorithm="kmeans", k=4),
    ],
    ids=["default", "leiden-15nn", "hdbscan", "hdbscan-no-pca", "kmeans"],
)
def test_separates_blobs(params):
    z, truth, lengths = blobs()
    labels = cluster_embedding(z, lengths, params)
    assert (labels >= 0).mean() > 0.95
    assert adjusted_rand_score(truth, labels) > 0.95
    again = cluster_embedding(z, lengths, params)
    assert np.array_equal(labels, again)  # deterministic


@pytest.mark.parametrize(("block", "threads"), [(1, 1), (7, 1), (1024, 1), (7, 3), (1, 4)])
def test_nearest_neighbours_match_a_brute_force_ranking(block, threads):
    rng = np.random.default_rng(5)
    x = normalize(rng.normal(size=(60, 8)))
    index, similarity = nearest_neighbours(x, 6, block=block, threads=threads)
    exact = x.astype(np.float64) @ x.astype(np.float64).T
    for i in range(len(x)):
        ranked = sorted((j for j in range(len(x)) if j != i), key=lambda j: -exact[i, j])
        assert list(index[i]) == ranked[:6]
        assert np.allclose(similarity[i], exact[i, ranked[:6]], atol=1e-5)


def test_neighbour_search_is_bit_identical_on_any_number_of_threads():
    rng = np.random.default_rng(11)
    x = normalize(rng.normal(size=(1500, 32)).astype(np.float32))
    one = nearest_neighbours(x, 30, block=64, threads=1)
    for threads in (2, 5):
        many = nearest_neighbours(x, 30, block=64, threads=threads)
        assert np.array_equal(one[0], many[0]) and np.array_equal(one[1], many[1])
    z, _, lengths = blobs()
    labels = cluster_embedding(z, lengths, ClusterParams(), threads=1)
    assert np.array_equal(labels, cluster_embedding(z, lengths, ClusterParams(), threads=3))


def test_neighbour_blocks_shrink_on_large_inputs_to_bound_memory():
    assert neighbour_block_rows(10) == 256
    assert neighbour_block_rows(65_536) == 256
    assert neighbour_block_rows(100_000) == 167  # 2**24 // 100_000
    assert neighbour_block_rows(10_000_000) == 16  # floor: keeps products efficient
    for n in (100_000, 1_000_000):
        assert neighbour_block_rows(n) * n <= NEIGHBOUR_BLOCK_ELEMENTS
        assert neighbour_block_bytes(n) <= 256 * 2**20  # what the workflow reserves per thread


def test_nearest_neighbours_of_tiny_inputs():
    x = normalize(np.eye(3, dtype=np.float32))
    index, _ = nearest_neighbours(x, 10)  # more neighbours asked than there are rows
    assert index.shape == (3, 2)
    assert all(i not in row for i, row in enumerate(index))
    assert nearest_neighbours(x[:1], 5)[0].shape == (1, 0)


def test_leiden_higher_resolution_gives_more_smaller_bins():
    z, truth, lengths = blobs(n_blobs=4, per_blob=50, dim=8)
    counts = []
    for resolution in (0.5, 1.0, 4.0, 16.0):
        params = ClusterParams(algorithm="leiden", resolution=resolution, neighbors=15)
        labels = cluster_embedding(z, lengths, params)
        if resolution <= 1:  # the four blobs, not linked in the 15-NN graph
            assert adjusted_rand_score(truth, labels) == 1.0
        counts.append(len(np.unique(labels)))
    assert counts[1] < counts[2] < counts[3]


def test_leiden_stops_after_three_iterations_above_leiden_until_stable_max():
    import random

    import igraph

    from kmervae.binning.clustering import CAPPED_LEIDEN_ITERATIONS, neighbour_graph

    # no structure at all: Leiden needs more than three iterations to settle (on this
    # draw; on some others igraph's Leiden settles within three)
    rng = np.random.default_rng(4)
    z = rng.normal(size=(300, 16)).astype(np.float32)
    lengths = np.full(len(z), 10_000)
    graph = neighbour_graph(normalize(z), 30)

    def igraph_labels(iterations):
        # igraph's Leiden called directly, its generator seeded as the docs describe
        igraph.set_random_number_generator(random.Random(42))
        partition = graph.community_leiden(
            objective_function="modularity",
            weights="weight",
            resolution=2.0,
            n_iterations=iterations,
        )
        igraph.set_random_number_generator(random)
        return singletons_to_unbinned(partition.membership, lengths, DEFAULT_MIN_BIN_SIZE)

    stable, capped = igraph_labels(-1), igraph_labels(CAPPED_LEIDEN_ITERATIONS)
    assert CAPPED_LEIDEN_ITERATIONS == 3
    assert not np.array_equal(stable, capped)  # so that the switch is seen
    for until_stable_max, expected in ((300, stable), (299, capped)):
        params = ClusterParams(
            marker_guided=False, resolution=2.0, leiden_until_stable_max=until_stable_max
        )
        for threads in (1, 2):
            labels = cluster_embedding(z, lengths, params, threads=threads)
            assert np.array_equal(labels, expected), (until_stable_max, threads)


def test_leiden_depends_on_its_seed_only_not_on_the_random_module():
    import random

    from kmervae.binning.clustering import leiden_partition, neighbour_graph

    rng = np.random.default_rng(4)
    graph = neighbour_graph(normalize(rng.normal(size=(300, 16))), 30)
    random.seed(1)
    first = leiden_partition(graph, 2.0, seed=7)
    state = random.getstate()
    random.seed(2)  # another state of Python's generator: the same communities
    assert np.array_equal(first, leiden_partition(graph, 2.0, seed=7))
    random.setstate(state)
    leiden_partition(graph, 2.0, seed=7)
    assert random.getstate() == state  # and the run leaves the generator as it was
    assert not np.array_equal(first, leiden_partition(graph, 2.0, seed=8))
    # Leiden's objective: at the same resolution, a seed's communities are as good as any
    q = graph.modularity(first, weights="weight", resolution=2.0)
    assert q > graph.modularity(np.zeros(300, dtype=int), weights="weight", resolution=2.0)


def test_kmeans_needs_k():
    z, _, lengths = blobs()
    with pytest.raises(KmervaeError, match="--k"):
        cluster_embedding(z, lengths, ClusterParams(algorithm="kmeans"))


def test_kmeans_with_k_gives_k_clusters():
    z, _, lengths = blobs(n_blobs=3, per_blob=20)
    labels = cluster_embedding(z, lengths, ClusterParams(algorithm="kmeans", k=5))
    assert len(np.unique(labels)) == 5


def test_normalize_centres_and_scales():
    z = np.array([[3.0, 4.0], [1.0, 0.0], [2.0, 2.0]], dtype=np.float32)
    x = normalize(z)
    # column means (2, 2) are subtracted: rows (1, 2), (-1, -2), (0, 0); then unit length,
    # except the zero row, which stays zero
    assert x.dtype == np.float32
    assert np.allclose(x[0], np.array([1, 2]) / np.sqrt(5))
    assert np.allclose(x[1], -x[0])
    assert np.array_equal(x[2], [0, 0])


def test_singletons_to_unbinned():
    labels = np.array([0, 0, 1, 2, -1, -1, 3, 3])
    lengths = np.array([10, 10, 10, 500, 10, 600, 10, 10])
    out = singletons_to_unbinned(labels, lengths, min_bin_size=500)
    # cluster 1 (one contig of 10 bp) and noise of 10 bp: unbinned; cluster 2 (one contig of
    # 500 bp) and noise of 600 bp: bins of their own
    assert out[2] == -1 and out[4] == -1
    assert out[3] >= 0 and out[5] >= 0 and out[3] != out[5]
    assert out[0] == out[1] and out[6] == out[7] and len(set(out[out >= 0].tolist())) == 4


def test_name_bins_sorted_by_bp():
    labels = np.array([5, 5, 7, 9, 9, 9, -1, 7])
    lengths = np.array([100, 100, 300, 50, 50, 50, 999, 100])
    bins, assignment = name_bins(labels, lengths, "s")
    # bp: cluster 7 -> 400, cluster 5 -> 200, cluster 9 -> 150
    assert [b.name for b in bins] == ["s_bin0001", "s_bin0002", "s_bin0003"]
    assert [b.bp for b in bins] == [400, 200, 150]
    assert bins[0].members.tolist() == [2, 7]
    assert assignment.tolist() == [1, 1, 0, 2, 2, 2, -1, 0]


def test_name_bins_ties_are_deterministic():
    # equal bp: more contigs first; then the bin whose first contig comes first
    labels = np.array([1, 0, 0, 2, 3])
    lengths = np.array([200, 100, 100, 200, 200])
    bins, _ = name_bins(labels, lengths, "s")
    assert [b.members.tolist() for b in bins] == [[1, 2], [0], [3], [4]]


def write_index(path, names, lengths):
    path.write_text(
        "contig\tlength\n" + "".join(f"{n}\t{x}\n" for n, x in zip(names, lengths, strict=True))
    )
    return path


def run_cluster(argv):
    parser = argparse.ArgumentParser()
    cluster_command.add_arguments(parser)
    return cluster_command.run(parser.parse_args([str(a) for a in argv]))


def test_clusters_table_every_contig_once(tmp_path):
    z, _, lengths = blobs()
    lengths[0] = 100  # still clustered
    names = [f"contig_{i}" for i in range(len(z))]
    z[5] = 50.0  # an outlier far from everything: unbinned
    index = write_index(tmp_path / "idx.tsv", names, lengths)
    np.save(tmp_path / "emb.npy", z)
    out = tmp_path / "out" / "clusters.tsv"
    base = [tmp_path / "emb.npy", "--index", index, "--sample", "S1"]
    run_cluster([*base, "--clusters", out, "--no-refine"])
    lines = out.read_text().splitlines()
    assert lines[0] == "clustername\tcontigname"
    rows = [line.split("\t") for line in lines[1:]]
    assert sorted(r[1] for r in rows) == sorted(names)
    assert dict((c, b) for b, c in rows)["contig_5"] == UNBINNED
    bp = {}
    for b, c in rows:
        if b != UNBINNED:
            bp[b] = bp.get(b, 0) + int(lengths[names.index(c)])
    assert sorted(bp) == [f"S1_bin{i:04d}" for i in range(1, 5)]
    sizes = [bp[f"S1_bin{i:04d}"] for i in range(1, 5)]
    assert sizes == sorted(sizes, reverse=True)
    assert read_clusters(out, names)[5] == UNBINNED


def test_cli_threads_change_nothing_but_must_be_positive(tmp_path):
    z, _, lengths = blobs()
    names = [f"contig_{i}" for i in range(len(z))]
    index = write_index(tmp_path / "idx.tsv", names, lengths)
    np.save(tmp_path / "emb.npy", z)
    base = [tmp_path / "emb.npy", "--index", index]
    run_cluster([*base, "--clusters", tmp_path / "one.tsv"])
    run_cluster([*base, "--clusters", tmp_path / "three.tsv", "--threads", 3])
    assert (tmp_path / "one.tsv").read_bytes() == (tmp_path / "three.tsv").read_bytes()
    with pytest.raises(KmervaeError, match="--threads must be at least 1"):
        run_cluster([*base, "--clusters", tmp_path / "zero.tsv", "--threads", 0])
    assert not (tmp_path / "zero.tsv").exists()


def test_row_count_mismatch_is_a_clear_error(tmp_path):
    names = ["a", "b", "c"]
    index = write_index(tmp_path / "idx.tsv", names, [1000] * 3)
    np.save(tmp_path / "emb.npy", np.zeros((4, 8), dtype=np.float32))
    with pytest.raises(InputError, match="4 rows but the contig index"):
        load_embedding(tmp_path / "emb.npy", 3, index)
    with pytest.raises(InputError, match="4 rows"):
        run_cluster([tmp_path / "emb.npy", "--index", index, "--clusters", tmp_path / "c.tsv"])
    assert not (tmp_path / "c.tsv").exists()


def test_non_finite_embedding_is_an_error(tmp_path):
    z = np.zeros((3, 4), dtype=np.float32)
    z[1, 2] = np.nan
    np.save(tmp_path / "emb.npy", z)
    with pytest.raises(InputError, match="row 1"):
        load_embedding(tmp_path / "emb.npy", 3)


def test_read_clusters_checks_every_contig(tmp_path):
    path = tmp_path / "c.tsv"
    path.write_text("clustername\tcontigname\nb1\ta\n")
    with pytest.raises(InputError, match="missing"):
        read_clusters(path, ["a", "b"])
    path.write_text("clustername\tcontigname\nb1\ta\nb1\ta\n")
    with pytest.raises(InputError, match="twice"):
        read_clusters(path, ["a"])


def test_many_rows_single_blas_thread_no_crash():
    # OpenBLAS was seen to crash on large multi-threaded products; 25k x 256 must run
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(50, 256)).astype(np.float32)
    truth = rng.integers(0, 50, 25_000)
    z = centres[truth] + 0.3 * rng.normal(size=(25_000, 256)).astype(np.float32)
    lengths = rng.integers(1000, 10000, len(z))
    labels = cluster_embedding(z, lengths, ClusterParams())
    assert adjusted_rand_score(truth, labels) > 0.95


def test_through_the_cli(tmp_path, monkeypatch, capsys):
    from kmervae import cli

    monkeypatch.setitem(cli.COMMANDS, "cluster", ("kmervae.commands.cluster", "bins"))
    index = write_index(tmp_path / "idx.tsv", ["a", "b"], [1000, 1000])
    np.save(tmp_path / "emb.npy", np.zeros((3, 4), dtype=np.float32))
    argv = ["cluster", str(tmp_path / "emb.npy"), "--index", str(index)]
    assert cli.main([*argv, "--clusters", str(tmp_path / "c.tsv")]) == 2
    assert "3 rows but the contig index" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["cluster", "--help"])
    assert "--min-bin-size" in capsys.readouterr().out


def test_min_bin_size_default_is_the_workflow_schema_default():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    assert schema["properties"]["min_bin_size"]["default"] == DEFAULT_MIN_BIN_SIZE
    assert ClusterParams().min_bin_size == DEFAULT_MIN_BIN_SIZE


def test_cami_binning_lists_every_binned_contig_once_with_its_bin(tmp_path):
    z, _, lengths = blobs()
    names = [f"contig_{i}" for i in range(len(z))]
    z[5] = 50.0  # an outlier far from everything: unbinned
    index = write_index(tmp_path / "idx.tsv", names, lengths)
    np.save(tmp_path / "emb.npy", z)
    clusters, cami = tmp_path / "clusters.tsv", tmp_path / "S1.binning"
    run_cluster([tmp_path / "emb.npy", "--index", index, "--clusters", clusters,
                 "--cami", cami, "--sample", "S1"])  # fmt: skip
    bin_of = dict(line.split("\t")[::-1] for line in clusters.read_text().splitlines()[1:])
    assert bin_of["contig_5"] == UNBINNED
    text = cami.read_text()
    assert text.endswith("\n")
    lines = text.splitlines()
    assert lines[:2] == ["@Version:0.9.1", "@SampleID:S1"]
    body = [line for line in lines[2:] if line]  # CAMI readers skip blank lines
    assert body[0] == "@@SEQUENCEID\tBINID"
    rows = [line.split("\t") for line in body[1:]]
    assert all(len(row) == 2 for row in rows)
    contigs = [contig for contig, _ in rows]
    assert len(contigs) == len(set(contigs))
    assert dict(rows) == {c: b for c, b in bin_of.items() if b != UNBINNED}


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"algorithm": "kmeans", "k": 7, "seed": 3},
        {"algorithm": "hdbscan", "pca_dims": 8, "selection": "eom", "min_samples": 3},
        {"algorithm": "hdbscan", "refine": False, "refine_steps": 0},
        {"algorithm": "leiden", "neighbors": 10, "resolution": 1},
        {"algorithm": "leiden", "exact_neighbors_max": 0},
        {"algorithm": "leiden", "leiden_until_stable_max": 0},
        {"min_bin_size": 0},
    ],
)
def test_workflow_options_round_trip_through_the_parser(settings):
    parser = argparse.ArgumentParser()
    cluster_command.add_arguments(parser)
    options = command_options(ClusterParams, settings)
    args = parser.parse_args(["e.npy", "--index", "i", "--clusters", "c", *options])
    assert ClusterParams(**settings_from_args(ClusterParams, args)) == ClusterParams(**settings)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"algo": "kmeans"}, r"unknown clustering settings \['algo'\]"),
        ({"radius": 0.06}, r"unknown clustering settings \['radius'\]"),
        ({"algorithm": "medoid"}, "invalid choice: 'medoid'"),
        ({"algorithm": "kmeans"}, "needs --k"),
        ({"algorithm": "leiden", "neighbors": 0}, "--neighbors"),
        ({"neighbors": 1.5}, "--neighbors: invalid int value"),
        ({"exact_neighbors_max": -1}, "--exact-neighbors-max must be >= 0"),
        ({"leiden_until_stable_max": -1}, "--leiden-until-stable-max must be >= 0"),
        ({"refine_steps": -1}, "--refine-steps must be >= 0"),
        ({"n_init": 0}, "--n-init >= 1"),
        ({"pca_dims": -1}, "--pca-dims must be >= 0"),
        ({"refine": "no"}, "refine must be true or false"),
        ({"min_samples": None}, "min_samples must be set"),
    ],
)
def test_workflow_options_reject_unknown_and_invalid_settings(settings, message):
    with pytest.raises(KmervaeError, match=message):
        command_options(ClusterParams, settings, what="clustering settings")


def test_refine_gives_noise_to_the_nearest_cluster_and_moves_centroids():
    from kmervae.binning.clustering import refine_clusters

    # two clusters on the unit circle around 0 and 90 degrees; noise at 10 and 80 degrees;
    # one contig at 60 degrees wrongly labelled 0 is moved to cluster 1 by a k-means step
    angles = np.radians([0, 5, -5, 90, 95, 85, 10, 80, 60])
    x = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    labels = np.array([0, 0, 0, 1, 1, 1, -1, -1, 0])
    refined = refine_clusters(x, labels, steps=20)
    assert refined.tolist() == [0, 0, 0, 1, 1, 1, 0, 1, 1]
    assert refine_clusters(x, np.full(9, -1), steps=20).tolist() == [-1] * 9  # no clusters


@pytest.mark.parametrize("algorithm", ["hdbscan", "leiden"])
def test_an_outlier_is_binned_by_hdbscan_refine_and_left_alone_by_leiden(tmp_path, algorithm):
    z, _, lengths = blobs()
    names = [f"contig_{i}" for i in range(len(z))]
    z[5] = 50.0  # after centring: a direction no other contig shares (cosine < 0 to all)
    index = write_index(tmp_path / "idx.tsv", names, lengths)
    np.save(tmp_path / "emb.npy", z)
    out = tmp_path / "clusters.tsv"
    argv = [tmp_path / "emb.npy", "--index", index, "--clusters", out, "--sample", "S1"]
    run_cluster([*argv, "--algorithm", algorithm])
    rows = dict(line.split("\t")[::-1] for line in out.read_text().splitlines()[1:])
    if algorithm == "hdbscan":  # refine: noise goes to the nearest cluster
        assert UNBINNED not in rows.values()
    else:  # its graph edges all weigh 0: a community of its own, so unbinned
        assert [n for n, b in rows.items() if b == UNBINNED] == ["contig_5"]
