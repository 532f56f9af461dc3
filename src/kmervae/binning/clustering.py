"""Clustering of contig embeddings into bins.

Embeddings are centred (column means subtracted) and scaled to unit length, so that every
algorithm works on cosine similarity. Three algorithms:

* ``leiden`` (default): Leiden communities (igraph's, RB configuration model at
  ``resolution``) of the graph that links every contig to its ``neighbors`` nearest
  contigs by cosine similarity in the whole embedding, as SemiBin2 and COMEBin cluster.
  Every contig gets a community; no number of bins is needed. On the binning benchmark
  it recovered 87 genomes near-complete over 12 runs where HDBSCAN recovered 70: HDBSCAN
  merged close genomes (*M. tuberculosis* and *M. leprae*) in strain-rich communities.
* ``hdbscan``: scikit-learn's HDBSCAN on the normalised embedding reduced by PCA to
  ``pca_dims`` components (much faster on large samples), then (``refine``) every noise
  contig to the nearest cluster and spherical k-means steps.
* ``kmeans``: k-means with a given number of clusters ``k``.

With ``marker_guided``, leiden runs at several resolutions over the same graph and the
sample's single-copy marker genes choose each bin among them (kmervae.binning.marker_guided).

Contigs that cluster with nothing (a community of one contig, or HDBSCAN noise) are
*unbinned* (label -1), except a contig of at least ``min_bin_size`` bp, which is a bin of
its own (a complete genome in one contig).

The settings of every algorithm, with their defaults, are the fields of
:class:`ClusterParams`; the functions below take them as arguments without defaults of
their own.

All matrix products run in float32 on one BLAS thread (``threadpool_limits(1)``):
NumPy's OpenBLAS was seen to crash on large multi-threaded products on some machines. The
heavy step, leiden's neighbour search (exact and quadratic up to ``exact_neighbors_max``
contigs, an approximate inverted-file search above), spreads its row blocks over Python
threads instead (``threads``), each block a single-threaded product.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from kmervae.binning.marker_guided import marker_guided_labels
from kmervae.errors import InputError, KmervaeError, open_input
from kmervae.markers.quality import MarkerTable
from kmervae.npyio import MatrixReader

log = logging.getLogger(__name__)

ALGORITHMS = ("leiden", "hdbscan", "kmeans")
HDBSCAN_SELECTIONS = ("leaf", "eom")
#: Bins smaller than this many bp are not written as FASTA (they stay in the tables).
DEFAULT_MIN_BIN_SIZE = 200_000
#: Label of contigs in no bin, in the clusters table.
UNBINNED = "unbinned"
CLUSTERS_HEADER = "clustername\tcontigname\n"
#: Iterations of each Leiden run above ``leiden_until_stable_max`` contigs. Until stable
#: took 3-31 iterations per run (most at the highest resolutions, moving few contigs) and
#: grows faster than the contigs: on the neighbour graph of 1,000,000 contigs one run took
#: 583 s until stable and 78 s for 3 iterations. Capped at 3, the marker-guided bins of
#: the ten held-out benchmark matrices agreed with those until stable at ARI 0.996, with
#: the same near-complete genomes (at 2, leidenalg lost one genome once; BENCHMARKS.md).
CAPPED_LEIDEN_ITERATIONS = 3


@dataclass(frozen=True)
class ClusterParams:
    """Settings of :func:`cluster_embedding`: the options of ``kmervae cluster`` and the
    keys of the workflow's ``clustering:`` config section. Field docs are the help texts;
    invalid values raise :class:`KmervaeError` when the settings are made."""

    algorithm: str = field(default="leiden", metadata={"choices": ALGORITHMS})
    """Clustering algorithm: leiden (communities of the nearest-neighbour graph; needs no
    number of bins), hdbscan (density clustering, then refine) or kmeans (needs k)."""
    seed: int = 42
    """Seed of Leiden, PCA and k-means: the same seed gives the same bins."""
    min_bin_size: int = DEFAULT_MIN_BIN_SIZE
    """Bins of at least this many bp are written as FASTA; a contig this long that clusters
    with nothing is a bin of its own."""
    neighbors: int = 30
    """leiden: nearest neighbours (cosine) linked to each contig in the graph."""
    resolution: float = 2.0
    """leiden: resolution of the RB configuration model; higher gives more, smaller bins."""
    exact_neighbors_max: int = 100_000
    """leiden: the nearest neighbours of samples of up to this many contigs are exact; of
    larger ones approximate (an inverted-file search: 0.99 of the exact 30 found on real
    embeddings of 300,000 contigs in about a minute, where the exact search, which grows
    with the square of the contigs, takes 20 minutes or more on 2 cores)."""
    leiden_until_stable_max: int = 50_000
    """leiden: on samples of up to this many contigs Leiden iterates until no move
    improves the partition; on larger ones it stops after 3 iterations, nearly the same
    bins in a fraction of the time (at 1,000,000 contigs 78 s a run instead of 583 s)."""
    min_cluster_size: int = 20
    """hdbscan: fewest contigs of a cluster."""
    min_samples: int = 5
    """hdbscan: neighbours of a core point; higher leaves more contigs as noise."""
    selection: str = field(default="leaf", metadata={"choices": HDBSCAN_SELECTIONS})
    """hdbscan: cluster selection method, leaf (smaller, purer clusters) or eom (excess of
    mass)."""
    pca_dims: int = 16
    """hdbscan: cluster the embedding's first this many principal components (0: all
    dimensions, no PCA)."""
    refine: bool = True
    """hdbscan: give every noise contig to the nearest cluster, then move the centroids by
    spherical k-means steps (bins far more genomes completely; contigs of genomes too rare
    to form a cluster land in other bins, where --no-refine leaves them unbinned)."""
    refine_steps: int = 20
    """hdbscan with refine: most spherical k-means steps."""
    k: int | None = None
    """kmeans: number of bins (required by kmeans)."""
    n_init: int = 10
    """kmeans: restarts from new k-means++ starts; the best is kept."""
    marker_guided: bool = True
    """leiden: choose each bin by its marker genes (the sample's marker table; without
    one, plain Leiden with a warning): the bins of best marker-estimated quality among
    those of Leiden at 0.25, 0.5, 1, 2 and 4 x resolution, then bins with duplicated
    markers split by seeded k-means. hdbscan and kmeans ignore it."""

    def __post_init__(self):
        self.check()

    def check(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise KmervaeError(f"unknown clustering algorithm {self.algorithm!r}; use {ALGORITHMS}")
        if self.algorithm == "kmeans" and (self.k is None or self.k < 1):
            raise KmervaeError("--algorithm kmeans needs --k, a number of clusters >= 1")
        if self.min_cluster_size < 2:
            raise KmervaeError("--min-cluster-size must be at least 2")
        if self.min_samples < 1:
            raise KmervaeError("--min-samples must be at least 1")
        if self.selection not in HDBSCAN_SELECTIONS:
            raise KmervaeError(
                f"--selection must be one of {HDBSCAN_SELECTIONS}, got {self.selection!r}"
            )
        if self.neighbors < 1 or not self.resolution > 0:
            raise KmervaeError("--neighbors must be >= 1 and --resolution > 0")
        if self.exact_neighbors_max < 0:
            raise KmervaeError("--exact-neighbors-max must be >= 0")
        if self.leiden_until_stable_max < 0:
            raise KmervaeError("--leiden-until-stable-max must be >= 0")
        if self.refine_steps < 0:
            raise KmervaeError("--refine-steps must be >= 0")
        if self.min_bin_size < 0 or self.pca_dims < 0 or self.n_init < 1:
            raise KmervaeError("--min-bin-size and --pca-dims must be >= 0, --n-init >= 1")

    def leiden_iterations(self, n_contigs: int) -> int:
        """Iterations of each Leiden run on a sample of ``n_contigs``: -1 (until stable)
        up to ``leiden_until_stable_max`` contigs, else :data:`CAPPED_LEIDEN_ITERATIONS`."""
        if n_contigs <= self.leiden_until_stable_max:
            return -1
        return CAPPED_LEIDEN_ITERATIONS

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- inputs


def load_embedding(path: str | os.PathLike, n_contigs: int, index_path=None) -> np.ndarray:
    """The embedding as float32 in memory; checks its shape against the contig index."""
    matrix = MatrixReader(path)
    if not np.issubdtype(matrix.dtype, np.floating):
        raise InputError(path, f"expected floating-point values, found {matrix.dtype}")
    if matrix.shape[0] != n_contigs:
        where = f" of {index_path}" if index_path is not None else ""
        raise InputError(
            path,
            f"has {matrix.shape[0]} rows but the contig index{where} lists {n_contigs} "
            "contigs; the embedding must have one row per contig, in index order",
        )
    z = matrix.read(0, n_contigs).astype(np.float32, copy=False)
    matrix.close()
    if not np.isfinite(z).all():
        bad = int(np.flatnonzero(~np.isfinite(z).all(axis=1))[0])
        raise InputError(path, f"row {bad} holds NaN or infinite values")
    return z


def normalize(z: np.ndarray) -> np.ndarray:
    """Centred, unit-length rows (float32); an all-zero row stays zero."""
    x = np.array(z, dtype=np.float32)
    x -= x.mean(axis=0, dtype=np.float64).astype(np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.divide(x, norms, out=x, where=norms > 0)
    return x


# ---------------------------------------------------------------- algorithms


def pca_reduce(x: np.ndarray, dims: int, seed: int) -> np.ndarray:
    """``x`` projected on its first ``dims`` principal components (float32)."""
    from sklearn.decomposition import PCA

    dims = min(dims, x.shape[1], max(1, x.shape[0] - 1))
    with threadpool_limits(1):
        return (
            PCA(n_components=dims, svd_solver="randomized", random_state=seed)
            .fit_transform(x)
            .astype(np.float32)
        )


def hdbscan_clustering(
    x: np.ndarray,
    min_cluster_size: int,
    min_samples: int,
    selection: str,
    pca_dims: int,
    seed: int,
) -> np.ndarray:
    """HDBSCAN labels of unit-length rows ``x`` (-1: noise), after PCA if ``pca_dims``."""
    from sklearn.cluster import HDBSCAN

    if len(x) < 2:
        return np.full(len(x), -1, dtype=np.int64)
    if pca_dims and pca_dims < x.shape[1]:
        x = pca_reduce(x, pca_dims, seed)
    min_cluster_size = min(min_cluster_size, len(x))
    min_samples = min(min_samples, len(x))
    with threadpool_limits(1):
        model = HDBSCAN(
            min_cluster_size=min_cluster_size,
            min_samples=min_samples,
            cluster_selection_method=selection,
            copy=True,
        )
        labels = model.fit_predict(x)
    return np.where(labels >= 0, labels, -1).astype(np.int64)


def refine_clusters(x: np.ndarray, labels: np.ndarray, steps: int) -> np.ndarray:
    """Every contig to its nearest cluster (cosine), then spherical k-means steps.

    HDBSCAN finds the cores of genome clusters but leaves their broad fringes as noise
    and splits some; assigning all noise to the nearest centroid and letting centroids
    move (``steps`` iterations at most, seeded by the HDBSCAN clusters) recovered three
    times more near-complete genomes on the tuning communities (bench/tuning/). The price:
    contigs of a genome too rare to form a cluster end up in other genomes' bins.
    ``x`` has unit-length rows; labels -1 are noise. Deterministic.
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    if not (labels >= 0).any():
        return labels
    x = np.asarray(x, dtype=np.float32)
    for step in range(max(steps, 1)):
        ids = np.unique(labels[labels >= 0])
        members = labels >= 0
        order = np.argsort(labels[members], kind="stable")
        rows = x[members][order]
        starts = np.searchsorted(labels[members][order], ids)
        centroids = np.add.reduceat(rows, starts, axis=0)
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
        with threadpool_limits(1):
            nearest = ids[np.argmax(x @ centroids.T, axis=1)]
        if np.array_equal(nearest, labels) or step + 1 >= steps:
            return nearest
        labels = nearest
    return labels


#: Similarities a thread of the neighbour search holds at a time (256 MiB per thread).
NEIGHBOUR_BLOCK_ELEMENTS = 1 << 24
#: Bytes per similarity of a block: the float32 similarities, their negation and the
#: partial sort's int64 indices.
NEIGHBOUR_BYTES_PER_ELEMENT = 16


def neighbour_block_rows(n: int) -> int:
    """Rows per block of the neighbour search of ``n`` rows: 256, fewer beyond 65,536
    rows so that a block stays within NEIGHBOUR_BLOCK_ELEMENTS (at least 16)."""
    return int(min(256, max(16, NEIGHBOUR_BLOCK_ELEMENTS // max(n, 1))))


def neighbour_block_bytes(n: int) -> int:
    """Memory one thread of the neighbour search of ``n`` rows holds at a time."""
    return neighbour_block_rows(n) * n * NEIGHBOUR_BYTES_PER_ELEMENT


def _run_blocks(work, items, threads: int) -> None:
    """``work(item)`` for every item, on up to ``threads`` Python threads, each
    single-threaded BLAS (the caller's ``threadpool_limits``)."""
    items = list(items)
    with threadpool_limits(1):
        if threads <= 1 or len(items) <= 1:
            for item in items:
                work(item)
        else:
            with ThreadPoolExecutor(min(threads, len(items))) as pool:
                # list(): re-raise the first exception of any block
                list(pool.map(work, items))


def _top_k(s: np.ndarray, k: int, ids: np.ndarray | None = None):
    """The ``k`` largest similarities of each row of ``s`` and their columns' ids
    (``ids[column]``, or the column itself): (ids, similarities), each row ordered by
    decreasing similarity, ties by lower id -- the order both searches promise."""
    part = np.argpartition(-s, k - 1, axis=1)[:, :k]
    sim = np.take_along_axis(s, part, axis=1)
    found = part if ids is None else ids[part]
    ranked = np.lexsort((found, -sim))
    return np.take_along_axis(found, ranked, axis=1), np.take_along_axis(sim, ranked, axis=1)


def nearest_neighbours(x: np.ndarray, k: int, block: int | None = None, threads: int = 1):
    """Exact ``k`` nearest neighbours of every unit-length row of ``x`` by cosine
    similarity, itself excluded: (index, similarity), both (n, k), each row ordered by
    decreasing similarity (ties: lower row first).

    The search is quadratic in n, so blocks of rows (``block``, default
    ``neighbour_block_rows(n)``; memory ``neighbour_block_bytes(n)`` per thread) run on
    ``threads`` threads. Each block is one single-threaded BLAS product and a partial
    sort (both release the GIL), computed the same way whatever the number of threads:
    the result is bit-identical for any ``threads``.
    """
    x = np.asarray(x, dtype=np.float32)
    n = len(x)
    k = max(0, min(k, n - 1))
    block = block or neighbour_block_rows(n)
    index = np.empty((n, k), dtype=np.int64)
    similarity = np.empty((n, k), dtype=np.float32)
    if k == 0:
        return index, similarity

    def search(start: int) -> None:
        stop = min(start + block, n)
        s = x[start:stop] @ x.T
        s[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        index[start:stop], similarity[start:stop] = _top_k(s, k)

    _run_blocks(search, range(0, n, block), threads)
    return index, similarity


# ---------------------------------------------------------------- approximate neighbours

# Defaults chosen by bench/neighbours.py on real embeddings stacked to 100 k and 300 k
# rows (2 threads of a shared machine): 4 x sqrt(n) cells and 64 probes found 0.993 and
# 0.990 of the exact 30 neighbours in 17 and 64 s (exact: 305 s at 100 k); 32 probes
# 0.986 and 0.987 in 13 and 43 s; 2 x sqrt(n) cells and 16 probes, the same share of the
# rows searched as 4 and 32, 0.975 and 0.980. 64 probes for the bins: on one benchmark
# embedding (22 k contigs) Leiden's communities of the approximate graph agreed with
# those of the exact graph with an ARI of 0.987 at 64 probes (recall 0.991) and 0.959 at
# 32 (recall 0.975); another Leiden seed on the exact graph: 0.998.
#: Cells of the approximate neighbour search per square root of the number of rows.
ANN_CELLS_PER_SQRT = 4.0
#: Cells whose rows every cell's rows are compared with (the cell itself and the nearest
#: others by centroid).
ANN_PROBES = 64
#: Rows per cell of the seeded subsample the cells' centroids are fitted on.
ANN_TRAIN_ROWS_PER_CELL = 32
#: Spherical k-means steps that fit the cells' centroids.
ANN_KMEANS_STEPS = 10


def _blocked_argmax(x: np.ndarray, centroids: np.ndarray, threads: int) -> np.ndarray:
    """Index of the centroid of highest dot product for each row of ``x`` (ties: the
    first), in row blocks of at most NEIGHBOUR_BLOCK_ELEMENTS products, on ``threads``
    threads; the blocks do not depend on ``threads``, so neither does the result."""
    n = len(x)
    out = np.empty(n, dtype=np.int64)
    block = int(max(16, NEIGHBOUR_BLOCK_ELEMENTS // max(len(centroids), 1)))

    def assign(start: int) -> None:
        out[start : start + block] = np.argmax(x[start : start + block] @ centroids.T, axis=1)

    _run_blocks(assign, range(0, n, block), threads)
    return out


def spherical_kmeans(
    x: np.ndarray, cells: int, seed: int, steps: int = ANN_KMEANS_STEPS, threads: int = 1
) -> np.ndarray:
    """Unit-length centroids (``cells``, dims) of spherical k-means on the unit-length
    rows ``x``, started from ``cells`` rows drawn with ``seed``; a cell that loses all
    its rows keeps its centroid. Deterministic for a seed, whatever ``threads``."""
    rng = np.random.default_rng(seed)
    centroids = x[np.sort(rng.choice(len(x), size=cells, replace=False))].copy()
    labels = None
    for _ in range(steps):
        nearest = _blocked_argmax(x, centroids, threads)
        if labels is not None and np.array_equal(nearest, labels):
            break
        labels = nearest
        order = np.argsort(labels, kind="stable")
        ids, starts = np.unique(labels[order], return_index=True)
        sums = np.add.reduceat(x[order], starts, axis=0, dtype=np.float64)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        moved = norms[:, 0] > 0
        centroids[ids[moved]] = (sums[moved] / norms[moved]).astype(np.float32)
    return centroids


def approximate_nearest_neighbours(
    x: np.ndarray,
    k: int,
    seed: int,
    threads: int = 1,
    cells: int | None = None,
    probes: int = ANN_PROBES,
):
    """Approximate ``k`` nearest neighbours of every unit-length row of ``x`` by cosine
    similarity, itself excluded, as :func:`nearest_neighbours` returns them (same shapes
    and order within a row), by an inverted-file search.

    The rows are split into ``cells`` cells (default ``ANN_CELLS_PER_SQRT * sqrt(n)``)
    around centroids fitted by spherical k-means on a seeded subsample; the rows of each
    cell are compared exactly with the rows of the ``probes`` cells whose centroids are
    nearest that cell's centroid (itself first; more cells while they hold fewer than
    ``k`` other rows). Cost: about ``probes / cells`` of the exact search's; neighbours in
    cells not probed are missed (recall of the exact 30 neighbours on real embeddings:
    bench/neighbours.py). A cell's rows are searched in blocks of at most
    NEIGHBOUR_BLOCK_ELEMENTS similarities, spread over ``threads`` threads; every block
    is computed the same way whatever ``threads``: the result is bit-identical for any
    ``threads`` and deterministic for a ``seed``.
    """
    x = np.asarray(x, dtype=np.float32)
    n = len(x)
    k = max(0, min(k, n - 1))
    index = np.empty((n, k), dtype=np.int64)
    similarity = np.empty((n, k), dtype=np.float32)
    if k == 0:
        return index, similarity
    if cells is None:
        cells = round(ANN_CELLS_PER_SQRT * n**0.5)
    cells = int(min(max(cells, 1), n))
    rng = np.random.default_rng(seed)
    train_rows = min(n, cells * ANN_TRAIN_ROWS_PER_CELL)
    train = x[np.sort(rng.choice(n, size=train_rows, replace=False))]
    centroids = spherical_kmeans(train, cells, int(rng.integers(2**63)), threads=threads)
    del train
    cell = _blocked_argmax(x, centroids, threads)
    # rows sorted by cell: each cell is a contiguous slice of ``xs`` (rows ``order``)
    order = np.argsort(cell, kind="stable")
    xs = x[order]
    filled, starts, sizes = np.unique(cell[order], return_index=True, return_counts=True)
    ends = starts + sizes
    closeness = centroids[filled] @ centroids[filled].T
    np.fill_diagonal(closeness, np.inf)  # a cell probes itself first

    def probed(c: int) -> np.ndarray:
        """Positions (in ``filled``) of the cells cell ``c`` is compared with."""
        ranked = np.argsort(-closeness[c], kind="stable")
        enough = np.searchsorted(np.cumsum(sizes[ranked]), k + 1) + 1
        return ranked[: max(min(probes, len(ranked)), enough)]

    tasks = []
    for c in range(len(filled)):
        cand = probed(c)
        width = int(sizes[cand].sum())
        rows = int(max(16, NEIGHBOUR_BLOCK_ELEMENTS // width))
        for start in range(starts[c], ends[c], rows):
            tasks.append((c, cand, width, start, min(start + rows, ends[c])))

    def search(task) -> None:
        c, cand, width, start, stop = task
        queries = xs[start:stop]
        s = np.empty((stop - start, width), dtype=np.float32)
        offset = 0
        for p in cand:
            a, b = starts[p], ends[p]
            np.matmul(queries, xs[a:b].T, out=s[:, offset : offset + b - a])
            offset += b - a
        # the cell itself comes first: its row ``start + i`` is column ``start - a + i``
        own = np.arange(stop - start)
        s[own, start - starts[c] + own] = -np.inf
        ids = order[np.concatenate([np.arange(starts[p], ends[p]) for p in cand])]
        rows = order[start:stop]
        index[rows], similarity[rows] = _top_k(s, k, ids)

    _run_blocks(search, tasks, threads)
    return index, similarity


def neighbour_search(
    x: np.ndarray,
    k: int,
    threads: int = 1,
    seed: int = ClusterParams.seed,
    exact_max: int = ClusterParams.exact_neighbors_max,
):
    """The ``k`` nearest neighbours of every unit-length row of ``x`` as
    :func:`nearest_neighbours` returns them: exact for up to ``exact_max`` rows, else
    :func:`approximate_nearest_neighbours` with ``seed``."""
    if len(x) <= exact_max:
        return nearest_neighbours(x, k, threads=threads)
    log.info("approximate nearest neighbours of %s contigs (over %s)", f"{len(x):,}", exact_max)
    return approximate_nearest_neighbours(x, k, seed, threads=threads)


def neighbour_graph(
    x: np.ndarray,
    neighbors: int,
    threads: int = 1,
    seed: int = ClusterParams.seed,
    exact_max: int = ClusterParams.exact_neighbors_max,
):
    """The igraph graph linking each unit-length row of ``x`` to its ``neighbors``
    nearest rows (cosine; :func:`neighbour_search`), one undirected edge per linked pair,
    weighted by the cosine similarity (negative: 0). ``threads``: of the neighbour
    search."""
    import igraph

    n = len(x)
    index, similarity = neighbour_search(x, neighbors, threads, seed, exact_max)
    source = np.repeat(np.arange(n, dtype=np.int64), index.shape[1])
    target = index.ravel()
    # one undirected edge per linked pair, whichever of the two listed the other
    key = np.minimum(source, target) * n + np.maximum(source, target)
    # each array freed once used: at a million contigs each is hundreds of MB
    del source, target, index
    key, first = np.unique(key, return_index=True)
    weight = np.maximum(similarity.ravel()[first], 0.0).astype(np.float64)
    del similarity, first
    edges = np.stack([key // n, key % n], axis=1)
    del key
    # an int64 array goes to igraph as it is (a list of pairs: ~100 bytes an edge more)
    graph = igraph.Graph(n=n, edges=edges)
    del edges
    # igraph keeps attributes as a list of Python objects: floats are the smallest
    graph.es["weight"] = weight.tolist()
    return graph


def leiden_partition(
    graph, resolution: float, seed: int = ClusterParams.seed, iterations: int = -1
) -> np.ndarray:
    """Community per vertex of a weighted igraph graph: Leiden on the RB configuration
    model at ``resolution`` (modularity with a resolution parameter), ``iterations`` times
    (-1: until no iteration improves it). Deterministic for a seed.

    igraph's own Leiden, in C: on the neighbour graph of 300,000 contigs it ran until
    stable in 24 s, where leidenalg took 92 s for one iteration, to the same modularity
    (BENCHMARKS.md). igraph draws its random numbers from a Python generator; a private
    one seeded with ``seed`` makes each run independent of any other use of ``random``."""
    import random

    import igraph

    igraph.set_random_number_generator(random.Random(seed))
    try:
        partition = graph.community_leiden(
            objective_function="modularity",
            weights="weight",
            resolution=resolution,
            n_iterations=iterations,
        )
    finally:
        # igraph's default generator is the random module itself
        igraph.set_random_number_generator(random)
    return np.asarray(partition.membership, dtype=np.int64)


#: The graph the forked processes of :func:`leiden_partitions` read (set only while they
#: run: a fork inherits it, so it is never pickled).
_FORKED_GRAPH = None


def _leiden_in_fork(resolution: float, seed: int, iterations: int) -> np.ndarray:
    return leiden_partition(_FORKED_GRAPH, resolution, seed, iterations)


def leiden_partitions(
    graph,
    resolutions: Sequence[float],
    seed: int = ClusterParams.seed,
    processes: int = 1,
    iterations: int = -1,
) -> list[np.ndarray]:
    """:func:`leiden_partition` of ``graph`` at each of ``resolutions`` (in that order),
    in up to ``processes`` forked processes at once (Leiden holds the GIL, so threads
    would not help; where fork is unavailable they run one after another). Each run is
    seeded and independent of the others: the result does not depend on ``processes``."""
    import multiprocessing

    global _FORKED_GRAPH
    processes = min(processes, len(resolutions))
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [leiden_partition(graph, r, seed, iterations) for r in resolutions]
    from concurrent.futures import ProcessPoolExecutor

    # the highest resolutions iterate longest (on a benchmark embedding 18 iterations at
    # 8, 3 at 0.5): started first, they end with the others rather than after them
    order = sorted(range(len(resolutions)), key=lambda i: -resolutions[i])
    _FORKED_GRAPH = graph
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            runs = pool.map(
                _leiden_in_fork,
                [resolutions[i] for i in order],
                [seed] * len(order),
                [iterations] * len(order),
            )
            partitions = dict(zip(order, runs, strict=True))
    finally:
        _FORKED_GRAPH = None
    return [partitions[i] for i in range(len(resolutions))]


def leiden_clustering(
    x: np.ndarray,
    neighbors: int,
    resolution: float,
    seed: int,
    threads: int = 1,
    exact_max: int = ClusterParams.exact_neighbors_max,
    iterations: int = -1,
) -> np.ndarray:
    """Leiden communities (RB configuration model at ``resolution``, ``iterations`` as
    :func:`leiden_partition` takes them) of the graph that links each unit-length row of
    ``x`` to its ``neighbors`` nearest rows (cosine; approximate above ``exact_max``
    rows), weighted by their cosine similarity (negative: 0). Deterministic for a seed,
    whatever the ``threads`` of the neighbour search."""
    n = len(x)
    if n < 3:
        return np.arange(n, dtype=np.int64)
    graph = neighbour_graph(x, neighbors, threads, seed, exact_max)
    return leiden_partition(graph, resolution, seed, iterations)


def kmeans_clustering(x: np.ndarray, k: int, seed: int, n_init: int) -> np.ndarray:
    """k-means labels (k-means++ starts, ``n_init`` restarts, seeded)."""
    from sklearn.cluster import KMeans

    if k > len(x):
        raise KmervaeError(f"--k {k} is more than the {len(x)} contigs")
    with threadpool_limits(1):
        model = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
        return model.fit_predict(np.asarray(x, dtype=np.float32)).astype(np.int64)


def is_marker_guided(params: ClusterParams, markers, names=()) -> bool:
    """Whether :func:`cluster_embedding` clusters marker-guided with these settings and
    inputs: leiden with ``marker_guided`` and a marker table (and contig names)."""
    return (
        params.algorithm == "leiden"
        and params.marker_guided
        and markers is not None
        and names is not None
    )


def cluster_embedding(
    z: np.ndarray,
    lengths: np.ndarray,
    params: ClusterParams,
    threads: int = 1,
    markers: MarkerTable | None = None,
    names: Sequence[str] | None = None,
    candidates: Sequence[np.ndarray] = (),
) -> np.ndarray:
    """Cluster ids per contig (-1: unbinned), by ``params.algorithm``; see the module doc.
    ``threads``: of the neighbour search of ``leiden`` and the processes of the
    marker-guided Leiden runs (the rest runs on one); the result does not depend on it.
    ``params.marker_guided`` uses ``markers``, the sample's marker table, and ``names``,
    the contig of each row (kmervae.binning.marker_guided); without them leiden runs
    plain, with a warning. ``candidates``: more partitions (a label per row, see
    :func:`candidate_partition`) whose bins marker-guided clustering chooses among too."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if len(z) != len(lengths):
        raise KmervaeError(f"{len(z)} embedding rows but {len(lengths)} contig lengths")
    guided = is_marker_guided(params, markers, names)
    if params.algorithm == "leiden" and params.marker_guided and not guided:
        # the default is marker-guided, and an embedding clustered outside the workflow
        # may have no marker table: its bins are still the plain Leiden ones
        log.warning(
            "no marker table (--markers, from kmervae markers): plain Leiden clustering, "
            "not marker-guided"
        )
    if len(z) == 0:
        return np.zeros(0, dtype=np.int64)
    x = normalize(z)
    with threadpool_limits(1):
        if params.algorithm == "hdbscan":
            labels = hdbscan_clustering(
                x,
                params.min_cluster_size,
                params.min_samples,
                params.selection,
                params.pca_dims,
                params.seed,
            )
            if params.refine:
                labels = refine_clusters(x, labels, params.refine_steps)
        elif guided and len(x) >= 3:
            graph = neighbour_graph(
                x, params.neighbors, threads, params.seed, params.exact_neighbors_max
            )
            labels = marker_guided_labels(
                x,
                graph,
                names,
                markers,
                params.resolution,
                params.seed,
                threads,
                params.leiden_iterations(len(x)),
                candidates,
            )
        elif params.algorithm == "leiden":
            labels = leiden_clustering(
                x,
                params.neighbors,
                params.resolution,
                params.seed,
                threads,
                params.exact_neighbors_max,
                params.leiden_iterations(len(x)),
            )
        else:
            labels = kmeans_clustering(x, params.k, params.seed, params.n_init)
    return singletons_to_unbinned(labels, lengths, params.min_bin_size)


def singletons_to_unbinned(labels: np.ndarray, lengths: np.ndarray, min_bin_size: int):
    """Clusters of one contig become unbinned (-1); unbinned contigs of at least
    ``min_bin_size`` bp become bins of their own. Ids are renumbered 0, 1, ..."""
    labels = np.asarray(labels, dtype=np.int64).copy()
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    single = (counts[inverse] == 1) | (labels < 0)
    labels[single] = -1
    own = single & (lengths >= min_bin_size) & (min_bin_size > 0)
    top = labels.max(initial=-1) + 1
    labels[own] = top + np.arange(int(own.sum()))
    keep = labels >= 0
    if keep.any():
        _, labels[keep] = np.unique(labels[keep], return_inverse=True)
    return labels


# ---------------------------------------------------------------- bins and names


@dataclass
class Bin:
    name: str
    members: np.ndarray  # row numbers in the contig index, ascending
    bp: int


def name_bins(labels: np.ndarray, lengths: np.ndarray, sample: str) -> tuple[list[Bin], np.ndarray]:
    """Bins named ``{sample}_bin{N:04d}``, N = 1, 2, ... by bp descending (ties: more
    contigs first, then the bin whose first contig comes first in the index).

    Returns the bins in that order and, per contig, its bin number in that list (-1:
    unbinned).
    """
    labels = np.asarray(labels, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    clustered = np.flatnonzero(labels >= 0)
    groups: dict[int, list[int]] = {}
    for i in clustered:
        groups.setdefault(int(labels[i]), []).append(int(i))
    keyed = []
    for members in groups.values():
        m = np.asarray(members, dtype=np.int64)
        keyed.append((-int(lengths[m].sum()), -len(m), int(m[0]), m))
    keyed.sort(key=lambda t: t[:3])
    width = max(4, len(str(len(keyed))))
    bins = []
    order = np.full(len(labels), -1, dtype=np.int64)
    for number, (neg_bp, _, _, m) in enumerate(keyed):
        bins.append(Bin(f"{sample}_bin{number + 1:0{width}d}", m, -neg_bp))
        order[m] = number
    return bins, order


def clusters_table_rows(bins: list[Bin], names: list[str], assignment: np.ndarray):
    """Lines of the clusters TSV (after the header): bins in order, then unbinned."""
    for b in bins:
        for i in b.members:
            yield f"{b.name}\t{names[i]}\n"
    for i in np.flatnonzero(assignment < 0):
        yield f"{UNBINNED}\t{names[i]}\n"


#: Version of the CAMI binning format written by :func:`cami_binning_text`.
CAMI_VERSION = "0.9.1"


def cami_binning_text(bins: list[Bin], names: list[str], sample: str) -> str:
    """The bins in the CAMI binning format, which AMBER and other CAMI tools read: a
    header (``@Version``, ``@SampleID``, then the column names ``@@SEQUENCEID  BINID``)
    and one ``contig  bin`` line per binned contig, bins in order. Unbinned contigs are
    left out: that is how the format marks a sequence in no bin."""
    lines = [f"@Version:{CAMI_VERSION}\n", f"@SampleID:{sample}\n", "\n", "@@SEQUENCEID\tBINID\n"]
    lines.extend(f"{names[i]}\t{b.name}\n" for b in bins for i in b.members)
    return "".join(lines)


def candidate_partition(path: str | os.PathLike, names) -> np.ndarray:
    """A clusters table as a partition of the contigs ``names`` for marker-guided
    clustering to choose bins from: a label per contig, each unbinned contig a label of
    its own."""
    bins = read_clusters(path, names)
    _, labels = np.unique(bins.astype(str), return_inverse=True)
    labels = labels.astype(np.int64)
    unbinned = bins == UNBINNED
    labels[unbinned] = labels.max(initial=-1) + 1 + np.arange(int(unbinned.sum()))
    return labels


def read_clusters(path: str | os.PathLike, names) -> np.ndarray:
    """Bin name per contig of ``names`` from a clusters TSV (``UNBINNED`` if so marked).

    Every contig of the index must appear exactly once; contigs not in the index are an
    error (the table was made for another sample).
    """
    position = {n: i for i, n in enumerate(names)}
    out = np.full(len(names), None, dtype=object)
    unknown: list[str] = []
    path = Path(path)
    with open_input(path, "clusters table") as handle:
        header = handle.readline()
        if header != CLUSTERS_HEADER:
            raise InputError(
                path,
                f"not a clusters table: header lacks column(s) {CLUSTERS_HEADER.split()} "
                f"(found {header.split()})",
            )
        for line_no, line in enumerate(handle, start=2):
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 2:
                raise InputError(path, "expected 2 tab-separated columns", line=line_no)
            cluster, contig = fields
            if not cluster:
                raise InputError(path, "empty clustername", contig, line_no)
            i = position.get(contig)
            if i is None:
                unknown.append(contig)
                continue
            if out[i] is not None:
                raise InputError(path, "contig assigned twice", contig, line_no)
            out[i] = cluster
    if unknown:
        raise InputError(
            path,
            f"{len(unknown):,} contig(s) not in the contig index (first: {unknown[0]!r}); "
            "the clusters and the embedding must come from the same sample and run",
        )
    missing = [names[i] for i in range(len(names)) if out[i] is None]
    if missing:
        raise InputError(
            path,
            f"{len(missing):,} contig(s) of the contig index have no row (missing, first: "
            f"{missing[0]!r}); every contig needs one, with clustername {UNBINNED!r} if it "
            "is not in a bin",
        )
    return out
