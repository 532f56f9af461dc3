"""Recall and time of the approximate neighbour search against the exact one, on real
embeddings stacked to 100 k and 300 k rows; prints a markdown table.

Each embedding of the benchmark runs (bench/.cache/quality-*/runs/**/embeddings/*.npy,
256 columns, one sample each) is centred and scaled to unit length, turned by a random
rotation of its own (so that the stacked blocks overlap as the genomes of one sample do,
instead of lying in separate corners of the space) and stacked until the rows are
enough; a block repeats an embedding under a new rotation once all are used. Recall@k:
the share of the exact k nearest neighbours that the approximate search finds, over all
rows where the exact search of all rows is run (--exact-max), else over --queries rows
drawn at random, whose exact neighbours are found against all rows.

    .venv/bin/python bench/neighbours.py --rows 100000 300000 --threads 2

faiss (not a kmervae dependency) is measured with --faiss from an environment that has
it, e.g. ``python3 -m venv /tmp/faissenv && /tmp/faissenv/bin/pip install faiss-cpu
threadpoolctl`` then ``PYTHONPATH=src /tmp/faissenv/bin/python bench/neighbours.py
--faiss``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from kmervae.binning.clustering import (  # noqa: E402
    ANN_CELLS_PER_SQRT,
    ANN_PROBES,
    approximate_nearest_neighbours,
    nearest_neighbours,
    normalize,
)

K = 30


def embedding_paths() -> list[Path]:
    paths = sorted((REPO / "bench/.cache").glob("quality-*/runs/*/*/results/embeddings/*.npy"))
    if not paths:
        sys.exit("no embeddings under bench/.cache/quality-*/runs: run the quality benchmark")
    # the trained (40-epoch) embeddings first, the 1-epoch ones (less structure) last
    return sorted(paths, key=lambda p: ("_e1_" in str(p), str(p)))


def stacked_embedding(rows: int, seed: int = 0) -> np.ndarray:
    """``rows`` unit-length rows: real embeddings, each under a random rotation."""
    rng = np.random.default_rng(seed)
    blocks, total, i = [], 0, 0
    paths = embedding_paths()
    while total < rows:
        x = normalize(np.load(paths[i % len(paths)]))
        rotation = np.linalg.qr(rng.normal(size=(x.shape[1], x.shape[1])))[0]
        blocks.append((x @ rotation.astype(np.float32))[: rows - total])
        total += len(blocks[-1])
        i += 1
    return normalize(np.concatenate(blocks))


def exact_of_rows(x: np.ndarray, rows: np.ndarray, threads: int) -> np.ndarray:
    """Exact k nearest neighbours (as sets: ties in any order) of ``x[rows]``."""
    out = np.empty((len(rows), K), dtype=np.int64)
    with threadpool_limits(threads):
        for a in range(0, len(rows), 32):
            r = rows[a : a + 32]
            s = x[r] @ x.T
            s[np.arange(len(r)), r] = -np.inf
            out[a : a + 32] = np.argpartition(-s, K - 1, axis=1)[:, :K]
    return out


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    hits = sum(len(np.intersect1d(f, t)) for f, t in zip(found, truth, strict=True))
    return hits / truth.size


def faiss_runs(x: np.ndarray):
    """(name, function of a number of threads returning the k + 1 neighbours of every
    row) of faiss indexes."""
    import faiss

    def hnsw(m: int, ef: int):
        def run(threads: int):
            faiss.omp_set_num_threads(threads)
            index = faiss.IndexHNSWFlat(x.shape[1], m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = ef
            index.add(x)
            return index.search(x, K + 1)[1]

        return f"faiss HNSW M={m} ef={ef}", run

    def ivf(cells: int, probes: int):
        def run(threads: int):
            faiss.omp_set_num_threads(threads)
            quantizer = faiss.IndexFlatIP(x.shape[1])
            index = faiss.IndexIVFFlat(quantizer, x.shape[1], cells, faiss.METRIC_INNER_PRODUCT)
            index.cp.seed = 1
            index.train(x[np.random.default_rng(0).choice(len(x), 40 * cells, replace=False)])
            index.add(x)
            index.nprobe = probes
            return index.search(x, K + 1)[1]

        return f"faiss IVFFlat cells={cells} nprobe={probes}", run

    cells = int(2 * np.sqrt(len(x)))
    return [hnsw(32, 64), hnsw(32, 128), ivf(cells, 16), ivf(cells, 32)]


def without_self(found: np.ndarray) -> np.ndarray:
    """faiss's k+1 results less the row itself (or its last one if absent)."""
    out = np.empty((len(found), K), dtype=np.int64)
    for i, f in enumerate(found):
        f = f[f != i]
        out[i] = f[:K]
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 300_000])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument(
        "--exact-max", type=int, default=100_000, help="run (and time) the whole exact search"
    )
    parser.add_argument(
        "--settings",
        nargs="+",
        default=[f"{ANN_CELLS_PER_SQRT}:{ANN_PROBES}"],
        help="approximate settings as CELLS_PER_SQRT:PROBES",
    )
    parser.add_argument("--faiss", action="store_true", help="measure faiss indexes too")
    parser.add_argument(
        "--repeat", action="store_true", help="check each setting's result on 1 thread"
    )
    args = parser.parse_args(argv)
    print("| rows | search | recall@30 | wall s | threads | bit-identical on 1 thread |")
    print("| ---: | --- | ---: | ---: | ---: | --- |")
    for n in args.rows:
        x = stacked_embedding(n)
        if n <= args.exact_max:
            start = time.perf_counter()
            truth, _ = nearest_neighbours(x, K, threads=args.threads)
            seconds = time.perf_counter() - start
            rows = np.arange(n)
            print(f"| {n:,} | exact | 1 | {seconds:.1f} | {args.threads} | |", flush=True)
        else:
            rows = np.sort(np.random.default_rng(1).choice(n, args.queries, replace=False))
            truth = exact_of_rows(x, rows, args.threads)
        for setting in args.settings:
            per_sqrt, probes = setting.split(":")
            cells = round(float(per_sqrt) * n**0.5)
            start = time.perf_counter()
            found, similarity = approximate_nearest_neighbours(
                x, K, seed=42, threads=args.threads, cells=cells, probes=int(probes)
            )
            seconds = time.perf_counter() - start
            same = ""
            if args.repeat:
                again = approximate_nearest_neighbours(
                    x, K, seed=42, threads=1, cells=cells, probes=int(probes)
                )
                same = str(np.array_equal(again[0], found) and np.array_equal(again[1], similarity))
            name = f"inverted file, {cells:,} cells ({per_sqrt} x sqrt n), {probes} probes"
            print(
                f"| {n:,} | {name} | {recall(found[rows], truth):.4f} | {seconds:.1f} "
                f"| {args.threads} | {same} |",
                flush=True,
            )
        if args.faiss:
            for name, run in faiss_runs(x):
                start = time.perf_counter()
                found = without_self(run(args.threads))
                seconds = time.perf_counter() - start
                same = ""
                if args.repeat:
                    same = str(np.array_equal(without_self(run(1)), found))
                print(
                    f"| {n:,} | {name} | {recall(found[rows], truth):.4f} | {seconds:.1f} "
                    f"| {args.threads} | {same} |",
                    flush=True,
                )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"\npeak RSS {peak:.2f} GiB", flush=True)


if __name__ == "__main__":
    main()
