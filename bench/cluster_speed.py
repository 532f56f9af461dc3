"""Wall time and peak memory of ``kmervae cluster`` on synthetic embeddings.

For each size (default 10,000 and 100,000 contigs) a synthetic float32 embedding of
Gaussian blobs (one blob per genome: 50 for 10 k contigs, 500 for 100 k by default; 256
dimensions) and its contig index are written to a work folder (reused when present), and
``kmervae cluster`` runs on it in a child process under ``/usr/bin/time -v``. Reported per
size: wall seconds, peak RSS, number of bins, fraction of contigs binned and the ARI of
the bins against the blobs (unbinned contigs as singletons). Target of the issue: 100 k
contigs in under 5 minutes with a peak RSS under 4 GB on 2 cores.

No FASTA is written, so bin files are not part of the timing (writing them is one
streaming pass over the FASTA).

    .venv/bin/python bench/cluster_speed.py                    # 10 k and 100 k
    .venv/bin/python bench/cluster_speed.py --sizes 10000 -- --algorithm hdbscan
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def make_data(workdir: Path, n: int, n_genomes: int, dim: int, seed: int):
    """Blobs with genome-specific spread, like contigs of genomes of different sizes."""
    emb, index, truth = (workdir / f"emb_{n}.npy", workdir / f"idx_{n}.tsv",
                         workdir / f"truth_{n}.npy")  # fmt: skip
    if emb.exists() and index.exists() and truth.exists():
        return emb, index, np.load(truth)
    rng = np.random.default_rng(seed)
    weights = rng.lognormal(0, 1, n_genomes)
    labels = rng.choice(n_genomes, n, p=weights / weights.sum())
    centres = rng.normal(size=(n_genomes, dim)).astype(np.float32)
    spread = rng.uniform(0.3, 0.7, n_genomes).astype(np.float32)
    z = centres[labels] + spread[labels, None] * rng.normal(size=(n, dim)).astype(np.float32)
    lengths = np.maximum(1000, rng.lognormal(np.log(3000), 0.8, n)).astype(np.int64)
    workdir.mkdir(parents=True, exist_ok=True)
    np.save(emb, z.astype(np.float32))
    np.save(truth, labels)
    with open(index, "w") as handle:
        handle.write("contig\tlength\n")
        handle.writelines(f"c{i}\t{x}\n" for i, x in enumerate(lengths))
    return emb, index, labels


def run_one(workdir: Path, n: int, n_genomes: int, extra: list[str], args) -> dict:
    from sklearn.metrics import adjusted_rand_score

    emb, index, truth = make_data(workdir, n, n_genomes, args.dim, args.seed)
    clusters = workdir / f"clusters_{n}.tsv"
    summary = workdir / f"summary_{n}.tsv"
    kmervae = Path(sys.executable).with_name("kmervae")
    cmd = ["/usr/bin/time", "-v", str(kmervae), "cluster", str(emb), "--index", str(index),
           "--clusters", str(clusters), "--summary", str(summary), *extra]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"kmervae cluster failed on {n} contigs")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)[1])
    bins = {}
    for line in clusters.read_text().splitlines()[1:]:
        b, c = line.split("\t")
        bins[int(c[1:])] = b
    pred = np.array([bins[i] for i in range(n)], dtype=object)
    unbinned = pred == "unbinned"
    codes = np.unique(pred.astype(str), return_inverse=True)[1]
    codes[unbinned] = codes.max() + 1 + np.arange(unbinned.sum())
    return {
        "contigs": n,
        "genomes": n_genomes,
        "options": " ".join(extra),
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(rss_kb / 1024),
        "bins": len(set(pred[~unbinned])),
        "fraction_binned": round(float((~unbinned).mean()), 4),
        "ari": round(float(adjusted_rand_score(truth, codes)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--contigs-per-genome", type=int, default=200)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/kmervae-bench-cluster"))
    parser.add_argument("extra", nargs="*", help="options for kmervae cluster (after --)")
    args = parser.parse_args()
    for n in args.sizes:
        n_genomes = max(2, n // args.contigs_per_genome)
        print(json.dumps(run_one(args.workdir, n, n_genomes, args.extra, args)), flush=True)


if __name__ == "__main__":
    main()
