"""Community R (make_rare.py): near-complete genomes and where the rare genomes' contigs go,
without / with noise reassignment.   .venv/bin/python bench/tuning/rare_test.py [EMB_TAG]
EMB_TAG: suffix of Z_R{TAG}.npy (default _modelA: R embedded by community A's model)."""

import sys

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

sys.path.insert(0, "bench/tuning")
from make_rare import RARE
from refine import spherical_kmeans
from sweep import metrics, read_index, reassign_noise

from kmervae.binning.clustering import hdbscan_clustering, normalize, singletons_to_unbinned
from kmervae.binning.evaluation import read_labels, tnf_matrix

T = "/tmp/kv-tune"
tag = sys.argv[1] if len(sys.argv) > 1 else "_modelA"
names, lengths = read_index(f"{T}/R.contigs.tsv")
genomes, _ = read_labels(f"{T}/R.labels.tsv", names)
g = np.asarray(genomes, dtype=str)
rare = np.isin(g, RARE)
SETTINGS = [(16, 20, 2, "eom"), (16, 20, 5, "leaf"), (16, 50, 2, "leaf"), (8, 20, 2, "eom")]
rows = []
for rep in ["vae", "tnf"]:
    z = np.load(f"{T}/Z_R{tag}.npy") if rep == "vae" else tnf_matrix(np.load(f"{T}/R.npy"))
    x = normalize(z)
    for s in SETTINGS:
        with threadpool_limits(1):
            raw = hdbscan_clustering(x, s[1], s[2], s[3], s[0], 42)
        for post in ["none", "0.3", "0.5", "inf", "inf+km"]:
            if post == "none":
                lab = raw
            else:
                lab = reassign_noise(x, raw, np.inf if post.startswith("inf") else float(post))
                if post == "inf+km":
                    lab = spherical_kmeans(x, lab)
            lab = singletons_to_unbinned(lab, lengths, 200_000)
            m = metrics(names, lengths, lab, genomes)
            # rare bp in a bin whose majority (bp) genome is another genome
            contam = 0
            for b in np.unique(lab[lab >= 0]):
                inb = lab == b
                bp = pd.Series(lengths[inb]).groupby(g[inb]).sum()
                major = bp.idxmax()
                contam += int(bp[[k for k in bp.index if k in RARE and k != major]].sum())
            rows.append(
                {
                    "rep": rep,
                    "setting": "p%d m%d ms%d %s" % s,
                    "post": post,
                    "nc(15)": m["near_complete"],
                    "ari": round(m["ari"], 3),
                    "rare_bp_binned": round(
                        lengths[rare & (lab >= 0)].sum() / lengths[rare].sum(), 2
                    ),
                    "rare_bp_in_others_bins": round(contam / lengths[rare].sum(), 2),
                }
            )
pd.set_option("display.width", 200)
print(pd.DataFrame(rows).to_string(index=False))
