"""Near-complete genomes and ARI of the default clustering at several ``pca_dims``, on
saved embeddings of benchmark communities (BENCHMARKS.md, "Choosing the training
defaults").

    .venv/bin/python bench/tuning/training/pca_dims.py g10_1M_s1:EMB.npy g10_1M_s2:EMB.npy ...
"""

from __future__ import annotations

import sys

import numpy as np
from common import load, score

DIMS = (8, 16, 24, 32, 64, 0)


def main() -> None:
    totals: dict[int, list] = {d: [] for d in DIMS}
    for arg in sys.argv[1:]:
        name, path = arg.split(":", 1)
        _, names, lengths, genomes = load(name)
        z = np.load(path)
        cells = []
        for d in DIMS:
            s = score(names, lengths, genomes, z, pca_dims=d)
            totals[d].append(s)
            cells.append(f"pca {d}: {s['nc']} / {s['ari']:.2f}")
        print(name, path, " | ".join(cells), flush=True)
    for d, rows in totals.items():
        print(
            f"pca_dims {d}: near-complete sum {sum(r['nc'] for r in rows)}, "
            f"min {min(r['nc'] for r in rows)}, mean ARI {np.mean([r['ari'] for r in rows]):.3f}"
        )


if __name__ == "__main__":
    main()
