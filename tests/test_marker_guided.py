"""Marker-guided clustering: bins chosen by their single-copy markers (fast; no TensorFlow).

The sample: four groups of 60 contigs in a 32-dimensional embedding. Two of them (the
"pair") lie close together, so that Leiden merges them at low resolutions and separates
them at high ones; the other two are far from everything. Whether the pair is two genomes
or one is said only by the hand-made marker table, so the same embedding must be split
or kept whole depending on the markers alone.
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
import pytest

from kmervae.binning import marker_guided
from kmervae.binning.clustering import ClusterParams, cluster_embedding, normalize
from kmervae.binning.marker_guided import _Scorer, split_duplicated, trim_contaminants
from kmervae.commands import cluster as cluster_command
from kmervae.errors import KmervaeError
from kmervae.markers.quality import MarkerTable, bin_quality, set_header
from kmervae.markers.search import HITS_HEADER

PER_GROUP = 60
N_MARKERS = 20
MARKERS = [f"m{j:02d}" for j in range(N_MARKERS)]
PAIR = (0, 1)  # the groups that lie close together
# base resolutions at which Leiden (30 neighbours) merges the pair, and at which it splits it
MERGING, SPLITTING = 0.125, 0.5


def sample(seed=0):
    """Embedding, group of each contig, contig names and lengths (see the module doc)."""
    rng = np.random.default_rng(seed)
    dim = 32
    axes = np.linalg.qr(rng.normal(size=(dim, dim)))[0] * 3
    centres = np.stack([axes[0], axes[0] + 0.3 * axes[1], axes[2], axes[3]])
    group = np.repeat(np.arange(4), PER_GROUP)
    z = centres[group] + 0.15 * rng.normal(size=(len(group), dim))
    order = rng.permutation(len(group))
    names = [f"contig{i}" for i in range(len(group))]
    lengths = np.full(len(group), 10_000)
    return z[order].astype(np.float32), group[order], names, lengths


def marker_table(names, group, markers_of_group):
    """One copy of each marker of ``markers_of_group[g]`` on the first contigs of group g."""
    hits = {}
    for g, markers in markers_of_group.items():
        carriers = np.flatnonzero(group == g)
        for contig, marker in zip(carriers, markers, strict=False):
            hits.setdefault(names[contig], []).append(("bacteria", marker))
    return MarkerTable({"bacteria": N_MARKERS}, hits)


def qualities(labels, names, table):
    """bin -> its quality, judged by kmervae.markers.quality independently of the clustering."""
    return {
        b: bin_quality((names[i] for i in np.flatnonzero(labels == b)), table)
        for b in np.unique(labels[labels >= 0])
    }


def guided(z, lengths, names, table, resolution, seed=42):
    params = ClusterParams(marker_guided=True, resolution=resolution, seed=seed)
    return cluster_embedding(z, lengths, params, markers=table, names=names)


def plain(z, lengths, resolution, seed=42):
    params = ClusterParams(marker_guided=False, resolution=resolution, seed=seed)
    return cluster_embedding(z, lengths, params)


def bins_of(labels, group, g):
    return set(labels[group == g].tolist())


def test_two_genomes_merged_at_the_base_resolution_are_split():
    z, group, names, lengths = sample()
    table = marker_table(names, group, {g: MARKERS for g in range(4)})  # four genomes
    before = plain(z, lengths, MERGING)
    assert bins_of(before, group, 0) == bins_of(before, group, 1)  # merged: the setup holds
    merged = qualities(before, names, table)[before[group == 0][0]]
    assert merged.contamination == 100.0

    labels = guided(z, lengths, names, table, MERGING)
    assert (labels >= 0).all()
    for g in range(4):
        assert len(bins_of(labels, group, g)) == 1, g
    assert len(np.unique(labels)) == 4
    for quality in qualities(labels, names, table).values():
        assert (quality.completeness, quality.contamination) == (100.0, 0.0)


def test_the_resolution_step_alone_splits_two_merged_genomes(monkeypatch):
    # without the k-means step, so that only the choice among resolutions can split them
    monkeypatch.setattr(marker_guided, "split_duplicated", lambda x, rows, scorer, seed: [rows])
    z, group, names, lengths = sample()
    table = marker_table(names, group, {g: MARKERS for g in range(4)})
    labels = guided(z, lengths, names, table, MERGING)
    assert bins_of(labels, group, 0).isdisjoint(bins_of(labels, group, 1))


def test_one_genome_in_complementary_halves_is_kept_whole():
    z, group, names, lengths = sample()
    halves = {0: MARKERS[:10], 1: MARKERS[10:], 2: MARKERS, 3: MARKERS}
    table = marker_table(names, group, halves)  # the pair is one genome
    finest = plain(z, lengths, 4 * MERGING)  # the finest resolution tried splits the pair
    assert bins_of(finest, group, 0).isdisjoint(bins_of(finest, group, 1))
    labels = guided(z, lengths, names, table, MERGING)
    assert bins_of(labels, group, 0) == bins_of(labels, group, 1)
    whole = qualities(labels, names, table)[labels[group == 0][0]]
    assert (whole.completeness, whole.contamination) == (100.0, 0.0)


def test_complementary_halves_split_at_the_base_resolution_are_merged_back():
    z, group, names, lengths = sample()
    before = plain(z, lengths, SPLITTING)
    assert bins_of(before, group, 0).isdisjoint(bins_of(before, group, 1))  # the setup holds
    halves = {0: MARKERS[:10], 1: MARKERS[10:], 2: MARKERS, 3: MARKERS}
    labels = guided(z, lengths, names, marker_table(names, group, halves), SPLITTING)
    assert bins_of(labels, group, 0) == bins_of(labels, group, 1)
    # the same embedding with two genomes in the pair stays split
    two = marker_table(names, group, {g: MARKERS for g in range(4)})
    labels = guided(z, lengths, names, two, SPLITTING)
    assert bins_of(labels, group, 0).isdisjoint(bins_of(labels, group, 1))


def test_bin_with_duplicated_markers_is_split_by_seeded_kmeans():
    z, group, names, _ = sample()
    x = normalize(z)
    rows = np.flatnonzero(np.isin(group, PAIR))
    two = _Scorer(names, marker_table(names, group, {0: MARKERS, 1: MARKERS}))
    parts = split_duplicated(x, rows, two, seed=42)
    assert sorted(map(tuple, parts)) == sorted(
        tuple(np.flatnonzero(group == g)) for g in PAIR
    )  # each genome exactly, every contig once
    # markers once each (median copy number 1): no split
    one = _Scorer(names, marker_table(names, group, {0: MARKERS[:10], 1: MARKERS[10:]}))
    assert [p.tolist() for p in split_duplicated(x, rows, one, seed=42)] == [rows.tolist()]


def test_stray_contigs_holding_only_extra_marker_copies_are_trimmed():
    """A genome's bin with one or a few contigs that carry a second copy of several
    markers each (another genome's ribosomal operon, say) loses those contigs, not half
    of the genome; many such contigs, or contigs with one extra copy, stay."""
    z, group, names, _ = sample()
    x = normalize(z)
    rows = np.flatnonzero(group == 2)
    centre = x[rows].mean(axis=0)
    far_first = rows[np.argsort(x[rows] @ centre)]  # farthest from the bin's centre first
    carriers = far_first[-N_MARKERS:]  # the genome's own copies: the contigs nearest the centre

    def scorer(extra_copies):
        hits = {names[c]: [("bacteria", m)] for c, m in zip(carriers, MARKERS, strict=True)}
        for contig, markers in extra_copies.items():
            hits[names[contig]] = [("bacteria", m) for m in markers]
        return _Scorer(names, MarkerTable({"bacteria": N_MARKERS}, hits))

    one_stray = {far_first[0]: MARKERS[:5]}
    assert scorer(one_stray).quality(rows).contamination == 25.0
    trimmed = trim_contaminants(x, rows, scorer(one_stray))
    assert trimmed.tolist() == sorted(set(rows.tolist()) - {far_first[0]})
    assert scorer(one_stray).quality(trimmed).contamination == 0.0
    three = {c: MARKERS[2 * i : 2 * i + 2] for i, c in enumerate(far_first[:3])}
    assert len(trim_contaminants(x, rows, scorer(three))) == len(rows) - 3
    four = {c: MARKERS[2 * i : 2 * i + 2] for i, c in enumerate(far_first[:4])}  # a mixture?
    assert trim_contaminants(x, rows, scorer(four)) is rows
    singles = {c: [m] for c, m in zip(far_first[:3], MARKERS, strict=False)}
    assert trim_contaminants(x, rows, scorer(singles)) is rows


def test_a_genome_with_a_stray_contig_stays_whole():
    z, group, names, lengths = sample()
    table = marker_table(names, group, {g: MARKERS for g in range(4)})
    x, rows = normalize(z), np.flatnonzero(group == 3)
    stray = rows[np.argmin(x[rows] @ x[rows].mean(axis=0))]  # the farthest from the centre
    assert names[stray] not in table.hits  # holds no marker of its own genome
    table.hits[names[stray]] = [("bacteria", m) for m in MARKERS[:6]]  # 30 % contamination
    labels = guided(z, lengths, names, table, SPLITTING)
    own = rows[rows != stray]
    assert len(set(labels[own].tolist())) == 1  # the genome is one bin
    assert labels[stray] != labels[own[0]]  # without the stray contig
    quality = qualities(labels, names, table)[labels[own[0]]]
    assert (quality.completeness, quality.contamination) == (100.0, 0.0)


def test_same_seed_same_bins():
    # no structure at all, so that Leiden and k-means depend on their seeds
    rng = np.random.default_rng(3)
    z = rng.normal(size=(300, 16)).astype(np.float32)
    names = [f"contig{i}" for i in range(len(z))]
    lengths = np.full(len(z), 10_000)
    hits = {}
    for marker in MARKERS:
        for contig in rng.choice(len(z), size=4, replace=False):
            hits.setdefault(names[contig], []).append(("bacteria", marker))
    table = MarkerTable({"bacteria": N_MARKERS}, hits)
    first = guided(z, lengths, names, table, 1.0, seed=1)
    assert np.array_equal(first, guided(z, lengths, names, table, 1.0, seed=1))
    params = ClusterParams(marker_guided=True, resolution=1.0, seed=1)
    threaded = cluster_embedding(z, lengths, params, threads=3, markers=table, names=names)
    assert np.array_equal(first, threaded)
    # Leiden capped at two iterations (above leiden_until_stable_max): other bins, the
    # same on any number of threads
    capped = ClusterParams(marker_guided=True, resolution=1.0, seed=1, leiden_until_stable_max=0)
    one = cluster_embedding(z, lengths, capped, threads=1, markers=table, names=names)
    assert not np.array_equal(first, one)
    three = cluster_embedding(z, lengths, capped, threads=3, markers=table, names=names)
    assert np.array_equal(one, three)
    assert not np.array_equal(first, guided(z, lengths, names, table, 1.0, seed=2))


def test_leiden_runs_in_forked_processes_equal_the_runs_one_by_one():
    from kmervae.binning.clustering import leiden_partition, leiden_partitions, neighbour_graph

    rng = np.random.default_rng(5)
    graph = neighbour_graph(normalize(rng.normal(size=(400, 16))), 30)
    resolutions = [0.25, 0.5, 1.0, 2.0, 4.0]
    for iterations in (-1, 2):
        one_by_one = [leiden_partition(graph, r, 7, iterations) for r in resolutions]
        assert len({len(np.unique(p)) for p in one_by_one}) > 2  # the resolutions differ
        for processes in (1, 3, 8):
            forked = leiden_partitions(graph, resolutions, 7, processes, iterations)
            assert all(map(np.array_equal, forked, one_by_one)), (processes, iterations)


def test_regions_without_markers_are_binned_as_at_the_base_resolution():
    z, group, names, lengths = sample()
    table = marker_table(names, group, {2: MARKERS, 3: MARKERS})  # the pair has no marker
    before = plain(z, lengths, SPLITTING)
    assert bins_of(before, group, 0).isdisjoint(bins_of(before, group, 1))
    labels = guided(z, lengths, names, table, SPLITTING)
    assert bins_of(labels, group, 0).isdisjoint(bins_of(labels, group, 1))
    before = plain(z, lengths, MERGING)
    assert bins_of(before, group, 0) == bins_of(before, group, 1)
    labels = guided(z, lengths, names, table, MERGING)
    assert bins_of(labels, group, 0) == bins_of(labels, group, 1)


def test_without_any_marker_gives_plain_leiden_and_a_warning(caplog):
    z, _, names, lengths = sample()
    empty = MarkerTable({"bacteria": N_MARKERS}, {})
    for resolution in (MERGING, SPLITTING):
        with caplog.at_level(logging.WARNING):
            labels = guided(z, lengths, names, empty, resolution, seed=7)
        assert np.array_equal(labels, plain(z, lengths, resolution, seed=7))
    assert "no marker gene in the sample" in caplog.text


def test_without_markers_or_for_other_algorithms_it_is_plain(caplog):
    # marker-guided is the default: an embedding with no marker table gets plain Leiden
    # (with a warning), and hdbscan / kmeans are unchanged by the setting
    z, _, _, lengths = sample()
    with caplog.at_level(logging.WARNING):
        labels = cluster_embedding(z, lengths, ClusterParams(marker_guided=True, seed=3))
    assert "plain Leiden" in caplog.text
    off = ClusterParams(marker_guided=False, seed=3)
    assert np.array_equal(labels, cluster_embedding(z, lengths, off))
    for other in ({"algorithm": "hdbscan"}, {"algorithm": "kmeans", "k": 4}):
        on = cluster_embedding(z, lengths, ClusterParams(marker_guided=True, **other))
        off = cluster_embedding(z, lengths, ClusterParams(marker_guided=False, **other))
        assert np.array_equal(on, off)


def run_cluster(argv):
    parser = argparse.ArgumentParser()
    cluster_command.add_arguments(parser)
    return cluster_command.run(parser.parse_args([str(a) for a in argv]))


def bin_of_contig(clusters_tsv) -> dict[str, str]:
    """contig -> bin of a clusters table (header, then bin<TAB>contig lines)."""
    lines = clusters_tsv.read_text().split("\n")[1:-1]
    return dict(line.split("\t")[::-1] for line in lines)


def test_cluster_command_with_marker_guided(tmp_path):
    z, group, names, lengths = sample()
    np.save(tmp_path / "emb.npy", z)
    (tmp_path / "idx.tsv").write_text(
        "contig\tlength\n" + "".join(f"{n}\t{x}\n" for n, x in zip(names, lengths, strict=True))
    )
    table = marker_table(names, group, {g: MARKERS for g in range(4)})
    (tmp_path / "markers.tsv").write_text(
        set_header([("bacteria", N_MARKERS)])
        + HITS_HEADER
        + "".join(
            f"{contig}\t{contig}_1\t{marker}\t100.0\t{set_name}\t1.0\n"
            for contig, hits in table.hits.items()
            for set_name, marker in hits
        )
    )
    args = [tmp_path / "emb.npy", "--index", tmp_path / "idx.tsv", "--resolution", MERGING]
    args += ["--clusters", tmp_path / "c.tsv", "--marker-guided"]
    with pytest.raises(KmervaeError, match="--marker-guided needs --markers"):
        run_cluster(args)
    assert run_cluster([*args, "--markers", tmp_path / "markers.tsv"]) == 0
    bin_of = bin_of_contig(tmp_path / "c.tsv")
    by_group = [{bin_of[names[i]] for i in np.flatnonzero(group == g)} for g in range(4)]
    assert all(len(bins) == 1 for bins in by_group)
    assert len(set.union(*by_group)) == 4  # the pair is split into its two genomes
    # marker-guided is the default once --markers is given; --no-marker-guided keeps
    # the one Leiden run, which merges the pair at this resolution
    default = [a for a in args if a != "--marker-guided"] + ["--markers", tmp_path / "markers.tsv"]
    guided_text = (tmp_path / "c.tsv").read_text()
    assert run_cluster(default) == 0
    assert (tmp_path / "c.tsv").read_text() == guided_text
    assert run_cluster([*default, "--no-marker-guided"]) == 0
    plain_bins = bin_of_contig(tmp_path / "c.tsv")
    assert len({plain_bins[n] for n in names}) == 3


def test_a_bin_of_another_clustering_is_chosen_when_its_markers_say_it_is_better(tmp_path):
    """Groups 2 and 3 lie far apart, so no Leiden run joins them; the markers say they are
    halves of one genome, and another clustering (say, of an earlier round of training)
    that holds them in one bin is chosen over the embedding's own two halves."""
    from kmervae.binning.clustering import candidate_partition

    z, group, names, lengths = sample()
    halves = {0: MARKERS, 1: MARKERS, 2: MARKERS[:10], 3: MARKERS[10:]}
    table = marker_table(names, group, halves)
    alone = guided(z, lengths, names, table, SPLITTING)
    assert bins_of(alone, group, 2).isdisjoint(bins_of(alone, group, 3))  # the setup holds
    # the other clustering: groups 2 and 3 together, 0 and 1 merged, one contig unbinned
    other = tmp_path / "other.tsv"
    bin_names = np.array(["x", "x", "whole", "whole"])[group].astype(object)
    bin_names[0] = "unbinned"
    other.write_text(
        "clustername\tcontigname\n"
        + "".join(f"{b}\t{n}\n" for b, n in zip(bin_names, names, strict=True))
    )
    partition = candidate_partition(other, names)
    assert len(set(partition[1:][group[1:] >= 2].tolist())) == 1
    assert partition[0] not in set(partition[1:].tolist())  # the unbinned contig: alone
    params = ClusterParams(marker_guided=True, resolution=SPLITTING, seed=42)
    labels = cluster_embedding(
        z, lengths, params, markers=table, names=names, candidates=[partition]
    )
    assert bins_of(labels, group, 2) == bins_of(labels, group, 3)
    whole = qualities(labels, names, table)[labels[group == 2][0]]
    assert (whole.completeness, whole.contamination) == (100.0, 0.0)
    # the other clustering's merged pair (contamination 100 %) is not chosen
    assert bins_of(labels, group, 0).isdisjoint(bins_of(labels, group, 1))
