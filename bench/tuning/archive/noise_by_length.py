"""Which contigs does HDBSCAN (default settings) leave unbinned, by contig length?
.venv/bin/python bench/tuning/noise_by_length.py COMMUNITY
"""

import sys

import numpy as np

from kmervae.binning.clustering import ClusterParams, cluster_embedding
from kmervae.binning.evaluation import tnf_matrix

sys.path.insert(0, "bench/tuning")
import itertools

from sweep import read_index

T = "/tmp/kv-tune"
c = sys.argv[1]
names, lengths = read_index(f"{T}/{c}.contigs.tsv")
reps = {"vae": np.load(f"{T}/Z_{c}.npy"), "tnf": tnf_matrix(np.load(f"{T}/{c}.npy"))}
edges = [1000, 2000, 3000, 5000, 10000, 10**9]
print("rep", *[f"{a // 1000}-{b // 1000}k" for a, b in itertools.pairwise(edges)], sep="\t")
for rep, z in reps.items():
    lab = cluster_embedding(z, lengths, ClusterParams())
    row = []
    for a, b in itertools.pairwise(edges):
        m = (lengths >= a) & (lengths < b)
        row.append(f"{(lab[m] < 0).mean():.2f} (n={m.sum()})")
    print(rep, *row, sep="\t")
