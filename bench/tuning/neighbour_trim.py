"""Unbin contigs whose neighbours sit in other bins: a precision step tried on 2026-11-27 (commit 9791114).

On the 30-genome communities kmervae's misses are bins of single-strain species at
precision 0.92-0.94 (recall 0.97-0.99), polluted by a few contigs of the many-strain
species. A contig whose 30 nearest neighbours (cosine) mostly lie in other Leiden bins
is a likely stray; this script unbins every contig whose similarity-weighted share of
neighbours in its own bin is below a threshold, then scores near-complete genomes on
the kmervae runs and on raw TNF / raw features clustered the same way
(BENCHMARKS.md, "Choosing the clustering of the embedding").

    .venv/bin/python bench/tuning/neighbour_trim.py 0 0.4 0.5 0.6
    .venv/bin/python bench/tuning/neighbour_trim.py 0 0.5 --communities g10_1M_s3 g10_1M_s4 \
        g30_1M_s3 g30_1M_s4 --train-seeds 42      # held-out communities (run.py --seeds 3 4)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "training"))
import numpy as np
from common import clustering_sweep

from kmervae.binning.clustering import leiden_partition, nearest_neighbours, neighbour_graph

NEIGHBORS, RESOLUTION = 30, 2.0


def own_bin_share(labels: np.ndarray, index: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """Per contig: the share of its neighbours' (non-negative) cosine similarity that
    falls on neighbours with its own label."""
    weight = np.maximum(similarity, 0.0)
    same = labels[index] == labels[:, None]
    return (same * weight).sum(1) / np.maximum(weight.sum(1), 1e-12)


def labels_by_threshold(x, thresholds):
    labels = leiden_partition(neighbour_graph(x, NEIGHBORS), RESOLUTION)
    share = own_bin_share(labels, *nearest_neighbours(x, NEIGHBORS))
    for threshold in thresholds:
        yield threshold, np.where(share < threshold, -1, labels)


if __name__ == "__main__":
    clustering_sweep(__doc__.split("\n")[0], "thresholds (0: no trimming)", labels_by_threshold)
