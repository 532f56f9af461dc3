"""Question 4 table: VAE training variants on one community (default A).
    .venv/bin/python bench/tuning/variants_table.py [COMMUNITY] [TAG ...]
TAG: '' (default model), _gb, _b05w10, _l64, _s1 ... (needs sweep_C_vae{TAG}.tsv or
sweep_C{TAG}.tsv from sweep.py and sweepR_C{TAG}.tsv from sweep_refine.py; for '' the files of
the main runs)."""

import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, "bench/tuning")
from sweep import metrics, read_index

from kmervae.binning.clustering import kmeans_clustering, normalize, singletons_to_unbinned
from kmervae.binning.evaluation import read_labels

T = "/tmp/kv-tune"
c = sys.argv[1] if len(sys.argv) > 1 else "A"
tags = sys.argv[2:] or ["", "_gb", "_b05w10", "_l64"]
SET = {
    "default p16 m20 ms2 eom": (16, 20, 2, "eom"),
    "p16 m50 ms2 leaf": (16, 50, 2, "leaf"),
    "p32 m50 ms2 leaf": (32, 50, 2, "leaf"),
}
names, lengths = read_index(f"{T}/{c}.contigs.tsv")
genomes, _ = read_labels(f"{T}/{c}.labels.tsv", names)
rows = []
for tag in tags:
    files = [
        f
        for f in (
            f"{T}/sweep_{c}_vae{tag}.tsv",
            f"{T}/sweep_{c}{tag}.tsv",
            f"{T}/sweepR_{c}{tag}.tsv",
        )
        if os.path.exists(f)
    ]
    if not tag:
        files = [
            f"{T}/sweep_{c}.tsv" if c == "demo" else f"{T}/sweep_{c}_vae.tsv",
            f"{T}/sweepR_vae.tsv",
        ]
    d = pd.concat([pd.read_csv(f, sep="\t", dtype={"reassign": str}) for f in files])
    d = d[(d.community == c) & (d.ms != 1) & (d.rep == "vae" + tag)]
    row = {"model": tag or "default"}
    for post in ["none", "inf", "inf+km"]:
        s = d[d.reassign == post]
        for name, k in SET.items():
            r = s[(s.pca == k[0]) & (s.mcs == k[1]) & (s.ms == k[2]) & (s.sel == k[3])].iloc[0]
            row[f"{name} | {post}"] = f"{int(r.near_complete)} ({r.ari:.2f})"
        b = s.sort_values(["near_complete", "ari"], ascending=False).iloc[0]
        row[f"grid best | {post}"] = f"{int(b.near_complete)} ({b.ari:.2f})"
    z = np.load(f"{T}/Z_{c}{tag}.npy")
    lab = kmeans_clustering(normalize(z), len(set(genomes)), 42, 10)
    m = metrics(names, lengths, singletons_to_unbinned(lab, lengths, 200_000), genomes)
    row["kmeans oracle k"] = f"{m['near_complete']} ({m['ari']:.2f})"
    rows.append(row)
t = pd.DataFrame(rows).set_index("model").T
pd.set_option("display.width", 250, "display.max_rows", 100)
print(f"community {c}: near-complete genomes (ARI)")
print(t.to_string())
