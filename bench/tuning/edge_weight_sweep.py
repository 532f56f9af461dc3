"""Sharper edge weights for the Leiden graph: each link weighted by cos^p, not cos.

A lead found on 2026-11-27 (commit 3144568), not kept (it did not hold on held-out
communities): on the 12 kmervae runs of the binning benchmark (and the raw TNF / raw
feature matrices, clustered the same way) it prints, per power, the near-complete
genomes of every run and their sum (BENCHMARKS.md, "Choosing the clustering of the
embedding").

    .venv/bin/python bench/tuning/edge_weight_sweep.py 1 3 8 16
    .venv/bin/python bench/tuning/edge_weight_sweep.py 1 8 --communities g10_1M_s3 g10_1M_s4 \
        g30_1M_s3 g30_1M_s4 --train-seeds 42      # held-out communities (run.py --seeds 3 4)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "training"))
import numpy as np
from common import clustering_sweep

from kmervae.binning.clustering import leiden_partition, neighbour_graph

NEIGHBORS, RESOLUTION = 30, 2.0


def labels_by_power(x, powers):
    graph = neighbour_graph(x, NEIGHBORS)
    cosine = np.asarray(graph.es["weight"])
    for power in powers:
        graph.es["weight"] = (cosine**power).tolist()
        yield power, leiden_partition(graph, RESOLUTION)


if __name__ == "__main__":
    clustering_sweep(__doc__.split("\n")[0], "exponents p of cos^p", labels_by_power)
