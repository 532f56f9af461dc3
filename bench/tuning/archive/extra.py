"""Prototype variants of the HDBSCAN path that `kmervae cluster` does not offer (yet):
whitened PCA, no centring/normalising, cluster_selection_epsilon, larger min_cluster_size,
each without and with noise -> nearest centroid (T = inf).

    .venv/bin/python bench/tuning/extra.py OUT.tsv REP COMMUNITY [COMMUNITY ...]
REP: vae | tnf | vae_<tag> (Z_C_<tag>.npy)
"""

import sys

import numpy as np
from sklearn.cluster import HDBSCAN
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_limits

sys.path.insert(0, "bench/tuning")
from sweep import metrics, read_index, reassign_noise

from kmervae.binning.clustering import normalize, singletons_to_unbinned
from kmervae.binning.evaluation import read_labels, tnf_matrix

T = "/tmp/kv-tune"
out_path, rep, comms = sys.argv[1], sys.argv[2], sys.argv[3:]
# name: (prep, pca, whiten, mcs, ms, sel, eps)
VARIANTS = {
    "default p16 m20": ("norm", 16, False, 20, 2, "eom", 0.0),
    "p8 m20": ("norm", 8, False, 20, 2, "eom", 0.0),
    "p0 m50": ("norm", 0, False, 50, 2, "eom", 0.0),
    "p16 m100": ("norm", 16, False, 100, 2, "eom", 0.0),
    "p0 m100": ("norm", 0, False, 100, 2, "eom", 0.0),
    "p16 whiten m20": ("norm", 16, True, 20, 2, "eom", 0.0),
    "p8 whiten m20": ("norm", 8, True, 20, 2, "eom", 0.0),
    "raw-z p16 m20": ("none", 16, False, 20, 2, "eom", 0.0),
    "p16 m20 eps0.1": ("norm", 16, False, 20, 2, "eom", 0.1),
    "p16 m20 eps0.2": ("norm", 16, False, 20, 2, "eom", 0.2),
}
with open(out_path, "w") as out:
    out.write(
        "community\trep\tvariant\treassign\tgenomes\tbins\tfraction_bp_binned\tari\tnmi\t"
        "near_complete\tr50p90\tr90p90\tr50p95\n"
    )
    for c in comms:
        names, lengths = read_index(f"{T}/{c}.contigs.tsv")
        genomes, _ = read_labels(f"{T}/{c}.labels.tsv", names)
        if rep == "tnf":
            z = tnf_matrix(np.load(f"{T}/{c}.npy"))
        else:
            z = np.load(f"{T}/Z_{c}{rep[3:]}.npy")
        xn = normalize(z)
        for name, (prep, pca, whiten, mcs, ms, sel, eps) in VARIANTS.items():
            x = xn if prep == "norm" else z - z.mean(axis=0)
            with threadpool_limits(1):
                y = (
                    x
                    if not pca
                    else PCA(
                        pca, whiten=whiten, svd_solver="randomized", random_state=42
                    ).fit_transform(x)
                )
                raw = HDBSCAN(
                    min_cluster_size=mcs,
                    min_samples=ms,
                    cluster_selection_method=sel,
                    cluster_selection_epsilon=eps,
                ).fit_predict(y)
            for thr in ["none", "inf"]:
                lab = raw if thr == "none" else reassign_noise(xn, raw, np.inf)
                m = metrics(names, lengths, singletons_to_unbinned(lab, lengths, 200_000), genomes)
                out.write(
                    "\t".join(
                        [c, rep, name, thr]
                        + [f"{v:.3f}" if isinstance(v, float) else str(v) for v in m.values()]
                    )
                    + "\n"
                )
            out.flush()
