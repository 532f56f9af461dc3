"""The approximate neighbour search (inverted file) against a brute-force ranking, the
switch between exact and approximate search, and the neighbour graph built from them."""

from __future__ import annotations

import numpy as np
import pytest

from kmervae.binning import clustering
from kmervae.binning.clustering import (
    ClusterParams,
    approximate_nearest_neighbours,
    cluster_embedding,
    nearest_neighbours,
    neighbour_graph,
    neighbour_search,
    normalize,
)
from kmervae.markers.quality import MarkerTable


def clustered_rows(n=3000, clusters=40, dim=32, spread=0.5, seed=0):
    """Unit-length rows around ``clusters`` random centres, like genomes in an embedding
    (the spread makes neighbours cross between nearby clusters)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    z = centres[rng.integers(0, clusters, n)] + spread * rng.normal(size=(n, dim))
    return normalize(z)


def brute_force(x, k):
    """Neighbour sets and the k-th similarity of each row, from the full similarity
    matrix (an independent truth for the searches)."""
    s = x.astype(np.float64) @ x.T.astype(np.float64)
    np.fill_diagonal(s, -np.inf)
    order = np.argsort(-s, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(s, order, axis=1)


def recall(found, truth):
    return np.mean([len(np.intersect1d(f, t)) / len(t) for f, t in zip(found, truth, strict=True)])


def test_approximate_search_finds_most_of_the_exact_neighbours():
    x = clustered_rows()
    truth, truth_similarity = brute_force(x, 30)
    index, similarity = approximate_nearest_neighbours(x, 30, seed=1)
    assert index.shape == similarity.shape == (len(x), 30)
    assert recall(index, truth) >= 0.95
    # what it returns is right: real similarities, best first, never the row itself,
    # never better than the exact k-th neighbour allows
    rows = np.arange(len(x))[:, None]
    assert np.allclose(similarity, np.einsum("ij,ikj->ik", x, x[index]), atol=1e-5)
    assert (np.diff(similarity, axis=1) <= 0).all()
    assert not (index == rows).any()
    assert all(len(set(r)) == 30 for r in index)
    assert (similarity[:, -1] <= truth_similarity[:, -1] + 1e-5).all()


def test_fewer_probes_find_fewer_neighbours():
    # the probes are what the recall is bought with: one probe sees only the row's cell
    x = clustered_rows(n=2000, spread=0.8)
    truth, _ = brute_force(x, 30)
    one = recall(approximate_nearest_neighbours(x, 30, seed=1, cells=100, probes=1)[0], truth)
    many = recall(approximate_nearest_neighbours(x, 30, seed=1, cells=100, probes=30)[0], truth)
    assert one < 0.9 < 0.97 < many


def test_approximate_search_is_bit_identical_for_a_seed_on_any_number_of_threads():
    x = clustered_rows(n=2500)
    one = approximate_nearest_neighbours(x, 30, seed=7, threads=1)
    for threads in (1, 2, 3):
        again = approximate_nearest_neighbours(x, 30, seed=7, threads=threads)
        assert np.array_equal(one[0], again[0]) and np.array_equal(one[1], again[1])
    other = approximate_nearest_neighbours(x, 30, seed=8, cells=150, probes=4)
    assert not np.array_equal(one[0], other[0])  # the seed is used


def test_duplicate_rows_are_each_others_nearest_neighbours():
    rng = np.random.default_rng(3)
    distinct = normalize(rng.normal(size=(60, 16)))
    x = np.repeat(distinct, 5, axis=0)  # every row 5 times: 4 copies besides itself
    index, similarity = approximate_nearest_neighbours(x, 10, seed=0, cells=20, probes=3)
    rows = np.arange(len(x))
    copies = index[:, :4] // 5 == rows[:, None] // 5
    assert copies.all()
    assert np.allclose(similarity[:, :4], 1, atol=1e-5)
    assert not (index == rows[:, None]).any()
    # all rows the same: every other row is a neighbour, the search does not fail
    same = np.repeat(distinct[:1], 50, axis=0)
    index, similarity = approximate_nearest_neighbours(same, 30, seed=0)
    assert all(len(set(r)) == 30 and i not in r for i, r in enumerate(index))
    assert np.allclose(similarity, 1, atol=1e-5)


@pytest.mark.parametrize(("n", "cells"), [(1, None), (2, None), (5, None), (31, 4), (12, 50)])
def test_approximate_search_of_tiny_inputs_returns_all_other_rows(n, cells):
    # n <= k + 1: every other row is a neighbour, even with more cells than rows or
    # cells too small to hold k rows (the search probes more cells then)
    x = clustered_rows(n=n, clusters=3)
    index, similarity = approximate_nearest_neighbours(x, 30, seed=0, cells=cells, probes=1)
    assert index.shape == similarity.shape == (n, n - 1)
    for i, row in enumerate(index):
        assert sorted(row) == [j for j in range(n) if j != i]


def test_cells_too_small_for_k_probe_more_cells():
    # 200 cells of ~5 rows and one probe: each cell reaches k = 30 only by probing more
    x = clustered_rows(n=1000)
    truth, _ = brute_force(x, 30)
    index, _ = approximate_nearest_neighbours(x, 30, seed=0, cells=200, probes=1)
    assert all(len(set(r)) == 30 for r in index)
    assert recall(index, truth) > 0.5


def test_search_switches_to_approximate_above_the_threshold(monkeypatch):
    x = clustered_rows(n=400)
    exact = nearest_neighbours(x, 30)
    below = neighbour_search(x, 30, seed=5, exact_max=400)
    assert all(np.array_equal(a, b) for a, b in zip(exact, below, strict=True))
    above = neighbour_search(x, 30, seed=5, exact_max=399)
    approximate = approximate_nearest_neighbours(x, 30, seed=5)
    assert all(np.array_equal(a, b) for a, b in zip(approximate, above, strict=True))
    # the clustering setting reaches the search, with the clustering seed
    calls = []

    def spy(x, k, seed, threads=1):
        calls.append((len(x), k, seed))
        return approximate_nearest_neighbours(x, k, seed, threads)

    monkeypatch.setattr(clustering, "approximate_nearest_neighbours", spy)
    lengths = np.full(len(x), 5000)
    names = [f"c{i}" for i in range(len(x))]
    markers = MarkerTable({"bacteria": 1}, {"c0": [("bacteria", "m0")]})
    for guided in (False, True):
        params = ClusterParams(exact_neighbors_max=399, seed=9, marker_guided=guided)
        cluster_embedding(x, lengths, params, markers=markers, names=names)
    cluster_embedding(x, lengths, ClusterParams(exact_neighbors_max=400))
    assert calls == [(400, 30, 9), (400, 30, 9)]  # plain and marker-guided Leiden
    assert ClusterParams().exact_neighbors_max == 100_000


def test_neighbour_graph_links_each_listed_pair_once_with_its_similarity():
    x = clustered_rows(n=300, dim=8)
    k = 6
    graph = neighbour_graph(x, k)
    index, similarity = nearest_neighbours(x, k)
    # expected: every (row, neighbour) pair once, ordered by (smaller, larger) row,
    # weight the similarity clipped at 0
    expected = {}
    for i in range(len(x)):
        for j, s in zip(index[i], similarity[i], strict=True):
            expected.setdefault((min(i, j), max(i, j)), max(float(s), 0.0))
    pairs = sorted(expected)
    assert graph.vcount() == len(x)
    assert graph.get_edgelist() == pairs
    assert graph.es["weight"] == [expected[p] for p in pairs]
    assert all(type(w) is float for w in graph.es["weight"])
