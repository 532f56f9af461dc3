"""Unbin contigs whose neighbours sit in other bins: a precision step tried in session 5.

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

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "training"))
import numpy as np
from common import COMMUNITIES, TRAIN_SEEDS, benchmark_matrices, load, score_labels

from kmervae.clustering import leiden_partition, nearest_neighbours, neighbour_graph, normalize

NEIGHBORS, RESOLUTION = 30, 2.0


def own_bin_share(labels: np.ndarray, index: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """Per contig: the share of its neighbours' (non-negative) cosine similarity that
    falls on neighbours with its own label."""
    weight = np.maximum(similarity, 0.0)
    same = labels[index] == labels[:, None]
    return (same * weight).sum(1) / np.maximum(weight.sum(1), 1e-12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("thresholds", type=float, nargs="+", help="0 = no trimming")
    parser.add_argument("--communities", nargs="+", default=list(COMMUNITIES))
    parser.add_argument("--train-seeds", type=int, nargs="+", default=list(TRAIN_SEEDS))
    args = parser.parse_args()
    nc: dict[float, dict[tuple[str, str], int]] = {t: {} for t in args.thresholds}
    for name in args.communities:
        _, names, lengths, genomes = load(name)
        for matrix, path in benchmark_matrices(name, args.train_seeds).items():
            x = normalize(np.load(path))
            labels = leiden_partition(neighbour_graph(x, NEIGHBORS), RESOLUTION)
            share = own_bin_share(labels, *nearest_neighbours(x, NEIGHBORS))
            for threshold in args.thresholds:
                trimmed = np.where(share < threshold, -1, labels)
                m = score_labels(names, lengths, genomes, trimmed)
                binned = lengths[trimmed >= 0].sum() / lengths.sum()
                nc[threshold][(name, matrix)] = m["nc"]
                print(
                    name,
                    matrix,
                    f"threshold {threshold}",
                    f"nc {m['nc']}",
                    f"ari {m['ari']}",
                    f"bp binned {binned:.3f}",
                )
    for threshold, runs in nc.items():
        kmervae = [runs[(c, f"t{t}")] for c in args.communities for t in args.train_seeds]
        peers = {p: [runs[(c, p)] for c in args.communities] for p in ("tnf", "raw")}
        print(f"threshold {threshold}: kmervae {kmervae} (sum {sum(kmervae)}); {peers}")


if __name__ == "__main__":
    main()
