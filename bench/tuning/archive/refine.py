"""Prototype: HDBSCAN (kmervae.binning.clustering path) -> every noise contig to the nearest centroid
-> spherical k-means refinement seeded by those centroids (k = HDBSCAN's cluster count, so
no number of genomes is given). Also, for reference only, k-means with the TRUE number of
genomes (an oracle; not a usable binner).

    .venv/bin/python bench/tuning/refine.py OUT.tsv REP[,REP] COMMUNITY [COMMUNITY ...]
REP: vae | tnf | vae_<tag>
"""

import sys

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, "bench/tuning")
from sweep import metrics, read_index, reassign_noise

from kmervae.binning.clustering import (
    hdbscan_clustering,
    kmeans_clustering,
    normalize,
    singletons_to_unbinned,
)
from kmervae.binning.evaluation import read_labels, tnf_matrix

T = "/tmp/kv-tune"
SETTINGS = [
    (16, 20, 2, "eom"),
    (8, 20, 2, "eom"),
    (0, 50, 2, "eom"),
    (0, 50, 2, "leaf"),
    (16, 50, 2, "leaf"),
]


def spherical_kmeans(x, labels, iters=20):
    lab = labels.copy()
    for _ in range(iters):
        ids = np.unique(lab[lab >= 0])
        cent = np.stack([x[lab == i].mean(axis=0) for i in ids])
        cent /= np.linalg.norm(cent, axis=1, keepdims=True)
        new = ids[(x @ cent.T).argmax(axis=1)]
        if (new == lab).all():
            break
        lab = new
    return lab


def main():
    out_path, reps, comms = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
    with open(out_path, "w") as out:
        out.write(
            "community\trep\tsetting\tmethod\tgenomes\tbins\tfraction_bp_binned\tari\tnmi\t"
            "near_complete\tr50p90\tr90p90\tr50p95\n"
        )
        for c in comms:
            names, lengths = read_index(f"{T}/{c}.contigs.tsv")
            genomes, _ = read_labels(f"{T}/{c}.labels.tsv", names)
            k_true = len(set(genomes))
            for rep in reps:
                z = (
                    tnf_matrix(np.load(f"{T}/{c}.npy"))
                    if rep == "tnf"
                    else np.load(f"{T}/Z_{c}{rep[3:]}.npy")
                )
                x = normalize(z)
                rows = []
                with threadpool_limits(1):
                    for s in SETTINGS:
                        raw = hdbscan_clustering(x, s[1], s[2], s[3], s[0], 42)
                        allin = reassign_noise(x, raw, np.inf)
                        rows.append((s, "hdbscan", raw))
                        rows.append((s, "hdbscan+assign_all", allin))
                        if (allin >= 0).any():
                            rows.append((s, "hdbscan+assign+kmeans", spherical_kmeans(x, allin)))
                    rows.append(("k=true", "kmeans_oracle", kmeans_clustering(x, k_true, 42, 10)))
                for s, meth, lab in rows:
                    m = metrics(
                        names, lengths, singletons_to_unbinned(lab, lengths, 200_000), genomes
                    )
                    out.write(
                        "\t".join(
                            [
                                c,
                                rep,
                                "p{} m{} ms{} {}".format(*s) if isinstance(s, tuple) else s,
                                meth,
                            ]
                            + [f"{v:.3f}" if isinstance(v, float) else str(v) for v in m.values()]
                        )
                        + "\n"
                    )
                out.flush()


if __name__ == "__main__":
    main()
