"""Score saved embeddings of a benchmark community: bp-weighted kNN purity (share of a
contig's 15 nearest neighbours, by cosine, from its own genome), k-means ARI at the true k,
and near-complete genomes / ARI of the default clustering and of Leiden settings.

    .venv/bin/python bench/tuning/training/score_embeddings.py g10_1M_s1 EMB.npy [EMB.npy ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from common import load

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("community")
    p.add_argument("embeddings", nargs="+", type=Path)
    args = p.parse_args()

    import numpy as np
    from common import score
    from graph_sweep import evaluate_labels, leiden

    from kmervae.clustering import nearest_neighbours, normalize

    _, names, lengths, genomes = load(args.community)
    g = np.unique(genomes, return_inverse=True)[1]
    for path in args.embeddings:
        z = np.load(path)
        idx, _ = nearest_neighbours(normalize(z), 15)
        purity = float(np.average((g[idx] == g[:, None]).mean(1), weights=lengths))
        row = {"embedding": path.name, "purity": round(purity, 3)}
        row |= score(names, lengths, genomes, z)
        for k, res in ((15, 2.0), (30, 2.0), (30, 1.0)):
            labels = leiden(z, k, res)
            m = evaluate_labels(names, lengths, genomes, labels)
            row[f"leiden_k{k}_r{res}"] = [m["nc"], m["ari"]]
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
