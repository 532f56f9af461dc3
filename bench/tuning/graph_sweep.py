"""Graph clustering (kNN graph + Leiden) against HDBSCAN on the benchmark's embeddings.

For each community of ``bench/quality/run.py`` and each matrix in its output folder
(``--data``: the kmervae embeddings of every training seed, raw TNF, raw 8,362 + PCA),
scores HDBSCAN + refine (the default clustering until 2026-11-26, commit 6a96beb) and a grid
of Leiden settings; writes one JSON line per (matrix, setting) to ``--out`` and prints, at
the end, the settings ranked by near-complete genomes summed over kmervae runs.

    .venv/bin/python bench/tuning/graph_sweep.py --communities g10_1M_s1 g10_1M_s2 \
        g30_1M_s1 g30_1M_s2 --out bench/.cache/quality/graph_sweep.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "training"))
import numpy as np
from common import add_data_option, load, score_labels


def matrices(data: Path, name: str, runs: str) -> dict[str, np.ndarray]:
    folder = data / "runs" / name
    out = {}
    for run in sorted(folder.glob(runs)):
        z = run / "results" / "embeddings" / f"{name}.npy"
        if z.exists():
            out[run.name] = np.load(z)
    for peer in ("tnf", "raw"):
        m = folder / peer / "matrix.npy"
        if m.exists():
            out[peer] = np.load(m)
    return out


def leiden(z, k: int, resolution: float, pca_dims: int = 0, small: str = "keep"):
    """``kmervae cluster --algorithm leiden`` labels of ``z`` (first reduced to
    ``pca_dims`` principal components of its normalised rows, if set), with communities
    under 20 contigs kept, unbinned, or unbinned then refined (to the nearest cluster)."""
    from kmervae.binning.clustering import (
        ClusterParams,
        cluster_embedding,
        normalize,
        pca_reduce,
        refine_clusters,
    )

    x = pca_reduce(normalize(z), pca_dims, 42) if pca_dims else z
    params = ClusterParams(algorithm="leiden", neighbors=k, resolution=resolution, min_bin_size=0)
    labels = cluster_embedding(x, np.zeros(len(z), dtype=np.int64), params)
    if small != "keep":
        _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
        labels = np.where(counts[inverse] < 20, -1, labels)
        if small == "refine":
            labels = refine_clusters(normalize(z), labels, 20)
    return labels


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--communities", nargs="+", required=True)
    p.add_argument("--runs", default="kmervae_e40_t*[0-9]", help="glob of kmervae runs")
    p.add_argument("--k", type=int, nargs="+", default=[15, 30])
    p.add_argument("--resolution", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    p.add_argument("--pca-dims", type=int, nargs="+", default=[0])
    p.add_argument(
        "--small",
        nargs="+",
        default=["keep"],
        help="communities under 20 contigs: keep, unbin or refine (to the nearest cluster)",
    )
    p.add_argument("--out", type=Path, required=True)
    add_data_option(p)
    args = p.parse_args(argv)

    from kmervae.binning.clustering import ClusterParams, cluster_embedding

    grid = [None, *itertools.product(args.k, args.resolution, args.pca_dims, args.small)]
    rows = []
    with open(args.out, "w", encoding="utf-8") as out:
        for name in args.communities:
            _, names, lengths, genomes = load(args.data, name)
            for run, z in matrices(args.data, name, args.runs).items():
                for leiden_setting in grid:  # None: the default clustering (HDBSCAN)
                    t = time.perf_counter()
                    if leiden_setting is None:
                        setting = "hdbscan"
                        params = ClusterParams(algorithm="hdbscan", min_bin_size=0)
                        labels = cluster_embedding(z, lengths, params)
                    else:
                        setting = "leiden k{} r{} pca{} {}".format(*leiden_setting)
                        labels = leiden(z, *leiden_setting)
                    row = {"community": name, "matrix": run, "setting": setting}
                    row |= score_labels(names, lengths, genomes, labels)
                    row["s"] = round(time.perf_counter() - t, 1)
                    rows.append(row)
                    out.write(json.dumps(row) + "\n")
                    out.flush()
                    print(row, flush=True)
    totals: dict[tuple, list] = {}
    for r in rows:
        kind = "kmervae" if r["matrix"].startswith("kmervae") else r["matrix"]
        totals.setdefault((r["setting"], kind), []).append(r)
    print("\nsetting\tmatrix\truns\tnc_sum\tari_mean")
    for (setting, kind), rs in sorted(totals.items(), key=lambda kv: -sum(r["nc"] for r in kv[1])):
        nc = sum(r["nc"] for r in rs)
        ari = np.mean([r["ari"] for r in rs])
        print(f"{setting}\t{kind}\t{len(rs)}\t{nc}\t{ari:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
