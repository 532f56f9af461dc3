"""Marker-guided bins: per region of the sample, the clustering that its single-copy
marker genes judge best (``marker_guided`` in :class:`~kmervae.binning.clustering.ClusterParams`).

One fixed Leiden resolution cannot both keep a large genome whole and split close species
apart; the markers tell which one a bin needs (issue 14; COMEBin, LorBin and SemiBin2 use
them the same way). Two steps, both over the bins' marker-estimated quality:

1. **Bins chosen among resolutions.** Leiden runs over the same neighbour graph at the
   resolutions :data:`RESOLUTION_FACTORS` x ``resolution`` (each until stable, or for a
   few iterations above ``leiden_until_stable_max`` contigs); every bin of every run is a
   candidate (as DAS Tool chooses among binners, and COMEBin among resolutions). The
   candidate with the best score is chosen, its contigs leave every other candidate, the
   others are scored again without them, and so on while a candidate scores above 0.
   Partitions at different resolutions do not nest, so this choice needs no hierarchy
   between them. The contigs no chosen bin holds (regions without markers: phages,
   plasmids, fragments) are binned as plain Leiden at ``resolution`` bins them. Before
   scoring, a candidate loses up to :data:`MAX_TRIMMED_CONTIGS` contigs that hold only
   extra copies of at least two markers (the copy nearest the bin's centre counts as the
   bin's own), when that scores better: one stray contig with another genome's ribosomal
   protein operon would otherwise make a whole genome look 15 % contaminated, and a
   fragment of it without the stray contig would outscore it.
2. **Duplicated markers** (SemiBin2's re-clustering). A bin whose markers have a median
   copy number ``k >= 2`` is split by k-means on its embedding rows into ``k`` parts,
   seeded on the ``k`` contigs that carry the copies of one marker (of the markers with
   ``k`` copies on ``k`` contigs, the one whose carriers are least alike); the split is
   kept only if it scores better.

The score of a bin, from CheckM's completeness ``c`` and contamination ``k``
(fractions; kmervae.markers.quality, with the marker set that fits the bin best), is
``c**2 - 5 * k`` (a split version of a bin scores the sum over its parts). The square
rewards the same markers in one bin over their spread over several (halves of a genome
score 0.25 each against 1 for the whole), so that a genome is not cut into
complementary parts; ``5 * k`` is the weight of contamination in the usual quality score
``completeness - 5 x contamination``. A bin with no marker
scores 0. Every contig ends in exactly one bin; the result is deterministic for a seed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from kmervae.markers.quality import MarkerTable, bin_quality

log = logging.getLogger(__name__)

#: Resolutions tried, as multiples of the ``resolution`` setting (which is one of them).
RESOLUTION_FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0)
#: Weight of contamination against squared completeness in the score of a bin.
CONTAMINATION_WEIGHT = 5.0
#: A version of a region must score this much more to count as better (float noise).
MIN_GAIN = 1e-9
#: At most this many contigs are trimmed from a bin as contaminants (a stray contig that
#: carries a marker-dense stretch, e.g. a ribosomal protein operon, of another genome):
#: more would hide a real mixture of genomes behind a low contamination estimate.
MAX_TRIMMED_CONTIGS = 3


class _Scorer:
    """The score of bins (arrays of rows) of one sample, from its marker table."""

    def __init__(self, names: Sequence[str], table: MarkerTable):
        self.names = names
        self.table = table
        # a region that does not split at a finer resolution is the same rows again at
        # every level of the grid: each set of rows is scored once
        self._scores: dict[bytes, float] = {}

    def quality(self, rows: np.ndarray):
        return bin_quality((self.names[i] for i in rows), self.table)

    def score(self, rows: np.ndarray) -> float:
        key = np.asarray(rows, dtype=np.int64).tobytes()
        if key not in self._scores:
            q = self.quality(rows)
            completeness, contamination = q.completeness / 100, q.contamination / 100
            self._scores[key] = completeness**2 - CONTAMINATION_WEIGHT * contamination
        return self._scores[key]

    def total(self, bins: list[np.ndarray]) -> float:
        return sum(self.score(b) for b in bins)


def _groups(rows: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    """``rows`` split by their ``labels``, each group ascending, groups by first row."""
    keys = labels[rows]
    order = np.argsort(keys, kind="stable")  # ascending rows within each label
    starts = np.flatnonzero(np.diff(keys[order])) + 1
    groups = np.split(rows[order], starts)
    return sorted(groups, key=lambda g: int(g[0]))


def select_bins(
    partitions: list[np.ndarray], base_level: int, scorer: _Scorer, x: np.ndarray
) -> list[np.ndarray]:
    """Bins (arrays of rows) chosen among the bins of all ``partitions`` (labels per row,
    coarsest first): step 1 of the module doc. ``base_level``: the partition at the
    ``resolution`` setting, which bins the rows that no chosen bin holds. ``x``: the
    unit-length embedding rows (for trimming contaminant contigs)."""
    import heapq

    candidates: dict[bytes, tuple[np.ndarray, int]] = {}
    everything = np.arange(len(partitions[0]), dtype=np.int64)
    for level, labels in enumerate(partitions):
        for rows in _groups(everything, labels):
            rows = trim_contaminants(x, rows, scorer)
            candidates.setdefault(rows.tobytes(), (rows, level))
    heap = []  # (-score, tie-breaks..., unique number, rows size, rows)
    for number, (rows, level) in enumerate(candidates.values()):
        score = scorer.score(rows)
        if score > 0:
            # ties: the resolution nearest the setting, then the coarser, then row order
            key = (abs(level - base_level), level, int(rows[0]), number)
            heap.append((-score, key, len(rows), rows))
    heapq.heapify(heap)
    taken = np.zeros(len(everything), dtype=bool)
    chosen = []
    while heap:
        _, key, size, rows = heapq.heappop(heap)
        rest = rows[~taken[rows]]
        if len(rest) != size:  # another chosen bin took some of its rows: score the rest
            if len(rest) and scorer.score(rest) > 0:
                heapq.heappush(heap, (-scorer.score(rest), key, len(rest), rest))
            continue
        chosen.append(rows)
        taken[rows] = True
    left = everything[~taken]
    return chosen + (_groups(left, partitions[base_level]) if len(left) else [])


def trim_contaminants(x: np.ndarray, rows: np.ndarray, scorer: _Scorer) -> np.ndarray:
    """The bin ``rows`` without the few contigs that hold only extra copies of markers
    (step 1 of the module doc), if that scores better; else ``rows`` as they are."""
    quality = scorer.quality(rows)
    if not quality.marker_set or quality.contamination == 0:
        return rows
    carriers = _marker_copies(rows, scorer, quality.marker_set)
    centre = x[rows].mean(axis=0)
    extra: dict[int, int] = {}  # row -> markers of which it holds a copy that is not the best
    best: set[int] = set()  # rows holding the only or the best copy of some marker
    for copies in carriers.values():
        rows_of = sorted(set(copies))
        # the copy nearest the bin's centre is the bin's own; ties to the first row
        own = max(rows_of, key=lambda i: (float(x[i] @ centre), -i))
        best.add(own)
        for i in rows_of:
            if i != own:
                extra[i] = extra.get(i, 0) + 1
    suspects = [i for i, n in extra.items() if n >= 2 and i not in best]
    if not suspects or len(suspects) > MAX_TRIMMED_CONTIGS:
        return rows
    trimmed = np.setdiff1d(rows, suspects)
    return trimmed if scorer.score(trimmed) > scorer.score(rows) + MIN_GAIN else rows


def _marker_copies(rows: np.ndarray, scorer: _Scorer, marker_set: str) -> dict[str, list[int]]:
    """The rows that carry each marker of ``marker_set`` in the bin ``rows``, one entry
    per copy."""
    carriers: dict[str, list[int]] = {}
    for i in rows:
        for set_name, marker in scorer.table.hits.get(scorer.names[i], ()):
            if set_name == marker_set:
                carriers.setdefault(marker, []).append(int(i))
    return carriers


def split_duplicated(
    x: np.ndarray, rows: np.ndarray, scorer: _Scorer, seed: int
) -> list[np.ndarray]:
    """The bin ``rows`` split by seeded k-means if its markers are duplicated and the
    split scores better; else the bin as it is (step 2 of the module doc). ``x``: the
    unit-length embedding rows of the whole sample."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    quality = scorer.quality(rows)
    if not quality.marker_set:
        return [rows]
    carriers = _marker_copies(rows, scorer, quality.marker_set)
    k = int(np.median([len(c) for c in carriers.values()]))
    if k < 2 or k > len(rows):
        return [rows]
    candidates = []
    for marker in sorted(carriers):
        seeds = sorted(set(carriers[marker]))
        if len(carriers[marker]) == k and len(seeds) == k:
            similarity = x[seeds] @ x[seeds].T
            np.fill_diagonal(similarity, -np.inf)
            candidates.append((float(similarity.max()), marker, seeds))
    if not candidates:
        return [rows]
    _, _, seeds = min(candidates, key=lambda c: c[:2])
    with threadpool_limits(1):
        labels = KMeans(n_clusters=k, init=x[seeds], n_init=1, random_state=seed).fit_predict(
            x[rows]
        )
    parts = _groups(np.arange(len(rows)), labels)
    parts = [rows[p] for p in parts]
    if len(parts) > 1 and scorer.total(parts) > scorer.score(rows) + MIN_GAIN:
        return parts
    return [rows]


def marker_guided_labels(
    x: np.ndarray,
    graph,
    names: Sequence[str],
    table: MarkerTable,
    resolution: float,
    seed: int,
    processes: int = 1,
    iterations: int = -1,
    candidates: Sequence[np.ndarray] = (),
) -> np.ndarray:
    """Bin per row of the unit-length embedding ``x`` (ids 0, 1, ...), chosen by the
    markers of ``table`` among Leiden partitions of ``graph`` (the neighbour graph of
    ``x``) and split where markers are duplicated; see the module doc. ``names``: the
    contig of each row. Without any marker in these contigs: Leiden at ``resolution``,
    with a warning. ``processes``: Leiden runs at once (the result does not depend on
    it); ``iterations``: of each Leiden run (-1: until stable). ``candidates``: more
    partitions (a label per row) whose bins are candidates too, after the Leiden runs'
    on ties: the bins of another clustering of the same contigs, e.g. of an earlier
    round of training (as DAS Tool chooses among binners)."""
    from kmervae.binning.clustering import leiden_partition, leiden_partitions

    if len(names) != len(x):
        raise ValueError(f"{len(x)} embedding rows but {len(names)} contig names")
    if not any(name in table.hits for name in names):
        log.warning(
            "marker-guided clustering: no marker gene in the sample; plain Leiden at "
            "resolution %g", resolution,
        )  # fmt: skip
        return leiden_partition(graph, resolution, seed, iterations)
    resolutions = [resolution * f for f in RESOLUTION_FACTORS]
    partitions = [
        *leiden_partitions(graph, resolutions, seed, processes, iterations),
        *(np.asarray(labels, dtype=np.int64) for labels in candidates),
    ]
    scorer = _Scorer(names, table)
    bins = select_bins(partitions, RESOLUTION_FACTORS.index(1.0), scorer, x)
    before = len(bins)
    bins = [part for b in bins for part in split_duplicated(x, b, scorer, seed)]
    log.info(
        "marker-guided clustering: %d bins chosen over resolutions %s%s, %d more from "
        "splitting bins with duplicated markers",
        before, ", ".join(f"{r:g}" for r in resolutions),
        f" and {len(candidates)} other clustering(s)" if candidates else "",
        len(bins) - before,
    )  # fmt: skip
    labels = np.empty(len(x), dtype=np.int64)
    for number, rows in enumerate(bins):
        labels[rows] = number
    return labels
