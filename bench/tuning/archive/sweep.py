"""Grid of HDBSCAN settings x representations x communities, plus noise reassignment.

For each community C in /tmp/kv-tune (files C.npy, C.contigs.tsv, C.labels.tsv, Z_C.npy),
representations:
  vae : the VAE embedding Z_C.npy (as `kmervae cluster` sees it)
  tnf : z-scored 136 canonical 4-mer frequencies from the feature matrix
  raw : all 8,362 features z-scored, PCA to 256 (kmervae.binning.evaluation.raw_pca_matrix)
each then goes through exactly the `kmervae cluster` HDBSCAN path (centre + unit length,
PCA to --pca-dims, HDBSCAN, singletons -> unbinned), for every setting of the grid
pca {0,8,16,32} x mcs {10,20,50} x ms {1,2,5} x selection {eom,leaf}.
Noise reassignment (question 2): HDBSCAN noise contigs go to the cluster whose centroid
(mean of the unit-length members, in the normalised full-width space) is nearest, if the
cosine distance 1 - cos is below a threshold T in {0.1, 0.2, 0.3, 0.5, inf}.
Metrics from kmervae.binning.evaluation.evaluate (same code as `kmervae evaluate`).

    .venv/bin/python bench/tuning/sweep.py OUT.tsv COMMUNITY [COMMUNITY ...] [--reps vae,tnf,raw]
"""

import argparse
import itertools
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from kmervae.binning.clustering import (
    UNBINNED,
    hdbscan_clustering,
    normalize,
    singletons_to_unbinned,
)
from kmervae.binning.evaluation import evaluate, raw_pca_matrix, read_labels, tnf_matrix

T = "/tmp/kv-tune"
GRID = list(itertools.product([0, 8, 16, 32], [10, 20, 50], [1, 2, 5], ["eom", "leaf"]))
THRESHOLDS = [0.1, 0.2, 0.3, 0.5, np.inf]
KEEP = [
    "genomes",
    "bins",
    "fraction_bp_binned",
    "ari",
    "nmi",
    "near_complete",
    "recovered_r0.50_p0.90",
    "recovered_r0.90_p0.90",
    "recovered_r0.50_p0.95",
]


def read_index(path):
    names, lengths = [], []
    with open(path) as h:
        h.readline()
        for line in h:
            n, l = line.rstrip("\n").split("\t")[:2]
            names.append(n)
            lengths.append(int(l))
    return names, np.array(lengths, dtype=np.int64)


def reassign_noise(x, raw, threshold):
    """Noise (-1) rows of ``raw`` labels to the nearest centroid if 1 - cos < threshold."""
    labels = raw.copy()
    ids = np.unique(raw[raw >= 0])
    noise = np.flatnonzero(raw < 0)
    if len(ids) == 0 or len(noise) == 0:
        return labels
    cent = np.stack([x[raw == i].mean(axis=0) for i in ids])
    cent /= np.linalg.norm(cent, axis=1, keepdims=True)
    sim = x[noise] @ cent.T
    best = sim.argmax(axis=1)
    ok = (1.0 - sim[np.arange(len(noise)), best]) < threshold
    labels[noise[ok]] = ids[best[ok]]
    return labels


def metrics(names, lengths, labels, genomes):
    bins = np.array([UNBINNED if l < 0 else f"b{l}" for l in labels], dtype=object)
    m = dict(evaluate(names, lengths, bins, genomes)[0])
    return {k: m[k] for k in KEEP}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("communities", nargs="+")
    ap.add_argument("--reps", default="vae,tnf,raw")
    ap.add_argument("--tag", default="", help="suffix of the embedding file: Z_C{tag}.npy")
    args = ap.parse_args()
    first = True
    with open(args.out, "w") as out:
        for c in args.communities:
            names, lengths = read_index(f"{T}/{c}.contigs.tsv")
            genomes, _ = read_labels(f"{T}/{c}.labels.tsv", names)
            feats = None
            for rep in args.reps.split(","):
                if rep == "vae":
                    z = np.load(f"{T}/Z_{c}{args.tag}.npy")
                else:
                    if feats is None:
                        feats = np.load(f"{T}/{c}.npy", mmap_mode="r")
                        feats = np.asarray(feats, dtype=np.float32)
                    with threadpool_limits(1):
                        z = tnf_matrix(feats) if rep == "tnf" else raw_pca_matrix(feats, 256, 42)
                x = normalize(z)
                t0 = time.time()
                for pca, mcs, ms, sel in GRID:
                    with threadpool_limits(1):
                        raw = hdbscan_clustering(x, mcs, ms, sel, pca, 42)
                    for thr in [None, *THRESHOLDS]:
                        lab = raw if thr is None else reassign_noise(x, raw, thr)
                        lab = singletons_to_unbinned(lab, lengths, 200_000)
                        m = metrics(names, lengths, lab, genomes)
                        row = {
                            "community": c,
                            "rep": args.reps and rep + args.tag,
                            "pca": pca,
                            "mcs": mcs,
                            "ms": ms,
                            "sel": sel,
                            "reassign": "none" if thr is None else str(thr),
                            **m,
                        }
                        if first:
                            out.write("\t".join(row) + "\n")
                            first = False
                        out.write(
                            "\t".join(
                                f"{v:.4f}" if isinstance(v, float) else str(v) for v in row.values()
                            )
                            + "\n"
                        )
                    out.flush()
                print(c, rep, f"{time.time() - t0:.0f} s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
