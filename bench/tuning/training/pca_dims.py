"""Near-complete genomes and ARI of HDBSCAN + refine (the default clustering when this
was measured) at several ``pca_dims``, on saved embeddings of benchmark communities
(BENCHMARKS.md, "Choosing the training defaults", "Clustering dimensions").

    .venv/bin/python bench/tuning/training/pca_dims.py g10_1M_s1:EMB.npy g10_1M_s2:EMB.npy ...

Each argument names a community (its labels are read from ``--data``, the folder
``bench/quality/run.py`` wrote) and an embedding of its contigs.
"""

from __future__ import annotations

import argparse

import numpy as np
from common import add_data_option, load, score

DIMS = (8, 16, 24, 32, 64, 0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("embeddings", nargs="+", metavar="COMMUNITY:EMBEDDING.npy")
    add_data_option(p)
    args = p.parse_args()
    totals: dict[int, list] = {d: [] for d in DIMS}
    for arg in args.embeddings:
        name, sep, path = arg.partition(":")
        if not sep:
            p.error(f"{arg!r}: expected COMMUNITY:EMBEDDING.npy")
        _, names, lengths, genomes = load(args.data, name)
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
