"""After noise -> centroid + spherical k-means, unbin contigs farther than 1 - cos > T from
their final centroid (a guard against absorbing contigs of rare genomes).
    .venv/bin/python bench/tuning/km_cut.py RUN [RUN ...]    RUN = COMMUNITY:TAG (e.g. A:  R:)"""

import sys

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, "bench/tuning")
from refine import spherical_kmeans
from sweep import metrics, read_index, reassign_noise

from kmervae.binning.clustering import hdbscan_clustering, normalize, singletons_to_unbinned
from kmervae.binning.evaluation import read_labels

T = "/tmp/kv-tune"
RARE = ["mleprae_tn", "mthermautotrophicus_dh", "vcholerae_o395"]
print("run\tsetting\tcut\tnc\tari\tbp_binned\trare_bp_binned")
for run in sys.argv[1:]:
    c, tag = run.split(":")
    names, lengths = read_index(f"{T}/{c}.contigs.tsv")
    genomes, _ = read_labels(f"{T}/{c}.labels.tsv", names)
    rare = np.isin(np.asarray(genomes, dtype=str), RARE)
    x = normalize(np.load(f"{T}/Z_{c}{tag}.npy"))
    for s in [(16, 20, 2, "eom"), (16, 20, 5, "leaf")]:
        with threadpool_limits(1):
            lab0 = spherical_kmeans(
                x, reassign_noise(x, hdbscan_clustering(x, s[1], s[2], s[3], s[0], 42), np.inf)
            )
        ids = np.unique(lab0)
        cent = np.stack([x[lab0 == i].mean(axis=0) for i in ids])
        cent /= np.linalg.norm(cent, axis=1, keepdims=True)
        d = 1 - (x * cent[np.searchsorted(ids, lab0)]).sum(axis=1)
        for cut in [np.inf, 0.7, 0.5, 0.4, 0.3]:
            lab = np.where(d <= cut, lab0, -1)
            lab = singletons_to_unbinned(lab, lengths, 200_000)
            m = metrics(names, lengths, lab, genomes)
            rb = (
                lengths[rare & (lab >= 0)].sum() / max(1, lengths[rare].sum())
                if rare.any()
                else float("nan")
            )
            print(
                f"{run}\tp{s[0]} m{s[1]} ms{s[2]} {s[3]}\t{cut}\t{m['near_complete']}\t{m['ari']:.3f}\t"
                f"{m['fraction_bp_binned']:.2f}\t{rb:.2f}"
            )
