"""Score saved embeddings of a benchmark community: bp-weighted kNN purity (share of a
contig's 15 nearest neighbours, by cosine, from its own genome), k-means ARI at the true k,
and near-complete genomes / ARI of HDBSCAN + refine and of Leiden settings (30 neighbours
at resolutions 1-4, 15 at 2).

    .venv/bin/python bench/tuning/training/score_embeddings.py g10_1M_s1 EMB.npy [EMB.npy ...]
    .venv/bin/python bench/tuning/training/score_embeddings.py g10_1M_s1 --inputs

The community's labels and features are read from ``--data`` (the folder
``bench/quality/run.py`` wrote).

``--inputs`` scores the raw feature matrix as the model sees it, under each k-mer
transform (z-scored; all columns, and PCA to 16), and by contig length. ``--pair A B``
adds how much two genomes mix among each other's 30 nearest neighbours (e.g.
``--pair mtuberculosis_h37rv mleprae_tn``; the raw TNF / raw feature matrices that
``bench/quality/run.py`` leaves are scored the same way).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

from common import add_data_option, load

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def purity(x, genome_ids, lengths, k: int = 15) -> tuple[float, list[float]]:
    """bp-weighted share of same-genome neighbours; and means by length (1-2, 2-4, 4-8,
    8+ kb)."""
    import numpy as np

    from kmervae.binning.clustering import nearest_neighbours, normalize

    idx, _ = nearest_neighbours(normalize(np.asarray(x, dtype=np.float32)), k)
    p = (genome_ids[idx] == genome_ids[:, None]).mean(1)
    edges = [0, 2000, 4000, 8000, np.inf]
    by_length = [
        float(p[(lengths >= a) & (lengths < b)].mean()) for a, b in itertools.pairwise(edges)
    ]
    return float(np.average(p, weights=lengths)), by_length


def cross_share(x, genomes, a: str, b: str, k: int = 30) -> float:
    """Mean, over the contigs of genomes ``a`` and ``b``, of the share of a contig's ``k``
    nearest neighbours (cosine) that come from the other of the two: how much the two
    genomes mix in a neighbour graph."""
    import numpy as np

    from kmervae.binning.clustering import nearest_neighbours, normalize

    idx, _ = nearest_neighbours(normalize(np.asarray(x, dtype=np.float32)), k)
    genomes = np.asarray(genomes, dtype=object)
    shares = [(genomes[idx[genomes == own]] == other).mean() for own, other in ((a, b), (b, a))]
    return float(np.mean(shares))


def score_inputs(data: Path, name: str) -> None:
    import numpy as np

    from kmervae.binning.clustering import normalize, pca_reduce
    from kmervae.binning.evaluation import zscore
    from kmervae.vae.model import transform_features

    c, _, lengths, genomes = load(data, name)
    g = np.unique(genomes, return_inverse=True)[1]
    features = np.load(c["features"])
    for transform in ("clr", "none"):
        h = zscore(np.asarray(transform_features(features, transform, 0.5)))
        for dims in (0, 16):
            x = pca_reduce(normalize(h), dims, 42) if dims else h
            bpw, by_length = purity(x, g, lengths)
            row = {"input": transform, "pca": dims, "purity": round(bpw, 3)}
            row["by_length_1_2_4_8kb"] = [round(v, 3) for v in by_length]
            print(json.dumps(row), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("community")
    p.add_argument("embeddings", nargs="*", type=Path)
    p.add_argument("--inputs", action="store_true", help="score the raw inputs instead")
    p.add_argument(
        "--pair", nargs=2, metavar="GENOME", help="also: how much two genomes mix (cross_share)"
    )
    add_data_option(p)
    args = p.parse_args()
    if args.inputs:
        return score_inputs(args.data, args.community)

    import numpy as np
    from common import score, score_labels
    from graph_sweep import leiden

    _, names, lengths, genomes = load(args.data, args.community)
    g = np.unique(genomes, return_inverse=True)[1]
    for path in args.embeddings:
        z = np.load(path)
        bpw, by_length = purity(z, g, lengths)
        row = {"embedding": path.name, "purity": round(bpw, 3)}
        row["by_length_1_2_4_8kb"] = [round(v, 3) for v in by_length]
        row |= score(names, lengths, genomes, z)
        for k, res in ((15, 2.0), (30, 1.0), (30, 2.0), (30, 3.0), (30, 4.0)):
            labels = leiden(z, k, res)
            m = score_labels(names, lengths, genomes, labels)
            row[f"leiden_k{k}_r{res}"] = [m["nc"], m["ari"]]
        if args.pair:
            row["cross_share_30nn"] = round(cross_share(z, genomes, *args.pair), 3)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
