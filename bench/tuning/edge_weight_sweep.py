"""Sharper edge weights for the Leiden graph: each link weighted by cos^p, not cos.

A lead found at the end of session 4, not a default yet: on the 12 kmervae runs of the
binning benchmark (and the raw TNF / raw feature matrices, clustered the same way) it
prints, per power, the near-complete genomes of every run and their sum
(BENCHMARKS.md, "Choosing the clustering of the embedding").

    .venv/bin/python bench/tuning/edge_weight_sweep.py 1 3 8 16
    .venv/bin/python bench/tuning/edge_weight_sweep.py 1 8 --communities g10_1M_s3 g10_1M_s4 \
        g30_1M_s3 g30_1M_s4 --train-seeds 42      # held-out communities (run.py --seeds 3 4)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "training"))
import numpy as np
from common import COMMUNITIES, TRAIN_SEEDS, benchmark_matrices, load, score_labels

from kmervae.clustering import leiden_partition, neighbour_graph, normalize

NEIGHBORS, RESOLUTION = 30, 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("powers", type=float, nargs="+", help="exponents p of cos^p")
    parser.add_argument("--communities", nargs="+", default=list(COMMUNITIES))
    parser.add_argument("--train-seeds", type=int, nargs="+", default=list(TRAIN_SEEDS))
    args = parser.parse_args()
    powers = args.powers
    nc: dict[float, dict[tuple[str, str], int]] = {p: {} for p in powers}
    for name in args.communities:
        _, names, lengths, genomes = load(name)
        for matrix, path in benchmark_matrices(name, args.train_seeds).items():
            graph = neighbour_graph(normalize(np.load(path)), NEIGHBORS)
            cosine = np.asarray(graph.es["weight"])
            for power in powers:
                graph.es["weight"] = (cosine**power).tolist()
                m = score_labels(names, lengths, genomes, leiden_partition(graph, RESOLUTION))
                nc[power][(name, matrix)] = m["nc"]
                print(name, matrix, f"power {power}", f"nc {m['nc']}", f"ari {m['ari']}")
    for power, runs in nc.items():
        kmervae = [runs[(c, f"t{t}")] for c in args.communities for t in args.train_seeds]
        peers = {p: [runs[(c, p)] for c in args.communities] for p in ("tnf", "raw")}
        print(f"power {power}: kmervae {kmervae} (sum {sum(kmervae)}); {peers}")


if __name__ == "__main__":
    main()
