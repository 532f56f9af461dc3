"""Leiden resolution against near-complete genomes, kmervae against raw TNF / features.

The check (2026-11-27, commit 2ffd8a7) of how the default resolution (2) fares on the 30-genome communities,
where kmervae merges *M. tuberculosis* with *M. leprae*, and how each matrix holds up when
the resolution rises (BENCHMARKS.md, "Choosing the clustering of the embedding").

    .venv/bin/python bench/tuning/resolution_sweep.py 2 3 4 6 --communities g30_1M_s1 g30_1M_s2
    .venv/bin/python bench/tuning/resolution_sweep.py 2 3 4 --communities g10_1M_s1 g10_1M_s2
    .venv/bin/python bench/tuning/resolution_sweep.py 2 3 4 6 --communities g30_1M_s3 \
        g30_1M_s4 --train-seeds 42                 # held-out communities (run.py --seeds 3 4)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "training"))
from common import clustering_sweep

from kmervae.binning.clustering import leiden_partition, neighbour_graph

NEIGHBORS = 30


def labels_by_resolution(x, resolutions):
    graph = neighbour_graph(x, NEIGHBORS)
    for resolution in resolutions:
        yield resolution, leiden_partition(graph, resolution)


if __name__ == "__main__":
    clustering_sweep(__doc__.split("\n")[0], "Leiden resolutions", labels_by_resolution)
