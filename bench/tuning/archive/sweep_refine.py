"""Full HDBSCAN grid (as sweep.py) with noise -> nearest centroid (all) -> spherical k-means
refinement seeded by the HDBSCAN centroids (refine.py). Output rows have reassign=inf+km.

    .venv/bin/python bench/tuning/sweep_refine.py OUT.tsv REP COMMUNITY [COMMUNITY ...]
"""

import sys

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, "bench/tuning")
from refine import spherical_kmeans
from sweep import GRID, metrics, read_index, reassign_noise

from kmervae.binning.clustering import hdbscan_clustering, normalize, singletons_to_unbinned
from kmervae.binning.evaluation import read_labels, tnf_matrix

T = "/tmp/kv-tune"
out_path, rep, comms = sys.argv[1], sys.argv[2], sys.argv[3:]
first = True
with open(out_path, "w") as out:
    for c in comms:
        names, lengths = read_index(f"{T}/{c}.contigs.tsv")
        genomes, _ = read_labels(f"{T}/{c}.labels.tsv", names)
        z = (
            tnf_matrix(np.load(f"{T}/{c}.npy"))
            if rep == "tnf"
            else np.load(f"{T}/Z_{c}{rep[3:]}.npy")
        )
        x = normalize(z)
        for pca, mcs, ms, sel in GRID:
            if ms == 1:
                continue  # identical to ms 2 in scikit-learn's HDBSCAN (see report)
            with threadpool_limits(1):
                raw = hdbscan_clustering(x, mcs, ms, sel, pca, 42)
                lab = reassign_noise(x, raw, np.inf)
                if (lab >= 0).any():
                    lab = spherical_kmeans(x, lab)
            m = metrics(names, lengths, singletons_to_unbinned(lab, lengths, 200_000), genomes)
            row = {
                "community": c,
                "rep": rep,
                "pca": pca,
                "mcs": mcs,
                "ms": ms,
                "sel": sel,
                "reassign": "inf+km",
                **m,
            }
            if first:
                out.write("\t".join(row) + "\n")
                first = False
            out.write(
                "\t".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row.values())
                + "\n"
            )
            out.flush()
