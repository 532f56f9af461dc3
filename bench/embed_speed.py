"""Embedding speed and memory: `kmervae embed` on 10 k and 100 k synthetic contigs.

Uses a trained model (default results/model/vae.keras: run `make demo` first) and the
synthetic matrices of bench/train_speed.py (written there if missing). Each size runs
several times as a child process under /usr/bin/time -v; prints the median wall time,
contigs/s (whole process, TensorFlow start-up included) and peak RSS. ``--tsv`` also
writes the gzipped text table, as the workflow's embed job does.

    .venv/bin/python bench/embed_speed.py --runs 3 [--tsv]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))  # vae_testdata: synthetic feature rows


def matrix_for(n: int, workdir: Path) -> tuple[Path, Path]:
    from vae_testdata import write_synthetic_matrix

    matrix = workdir / f"synthetic_{n}.npy"
    if not matrix.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        write_synthetic_matrix(matrix, n)
    index = workdir / f"synthetic_{n}.contigs.tsv"
    if not index.exists():
        lengths = np.load(matrix, mmap_mode="r")[:, 0]
        index.write_text(
            "contig\tlength\n" + "".join(f"c{i}\t{int(x)}\n" for i, x in enumerate(lengths))
        )
    return matrix, index


def run_once(
    model: Path, matrix: Path, index: Path, out: Path, table: Path | None
) -> tuple[float, float]:
    kmervae = Path(sys.executable).with_name("kmervae")
    cmd = ["/usr/bin/time", "-v", str(kmervae), "embed", str(model), str(matrix)]
    cmd += ["--index", str(index), "-o", str(out)]
    if table is not None:
        cmd += ["--tsv", str(table)]
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)[1])
    out.unlink()
    if table is not None:
        table.unlink()
    return wall, rss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("results/model/vae.keras"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/kmervae-bench"))
    parser.add_argument("--tsv", action="store_true", help="also write the text table")
    args = parser.parse_args(argv)
    print("| contigs | median wall s | contigs/s | peak RSS MiB |")
    print("| ---: | ---: | ---: | ---: |")
    for n in args.sizes:
        matrix, index = matrix_for(n, args.workdir)
        table = args.workdir / "z.tsv.gz" if args.tsv else None
        runs = [
            run_once(args.model, matrix, index, args.workdir / "z.npy", table)
            for _ in range(args.runs)
        ]
        wall = statistics.median(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        print(f"| {n:,} | {wall:.1f} | {n / wall:,.0f} | {rss:,.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
