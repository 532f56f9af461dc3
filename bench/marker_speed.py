"""Marker step speed, memory and agreement: `kmervae markers` with each --gene-models.

Runs the command on one sample (FASTA and its contig index) several times per setting
(interleaved) as a child process under /usr/bin/time -v, and prints a Markdown table:
median wall time, Mbp/s, peak RSS, marker copies found, and how many of the copies that
all of Prodigal's models find (--gene-models 0, Prodigal's own metagenome mode) each
setting finds too (same contig, marker and set).

    .venv/bin/python bench/marker_speed.py FASTA --contigs INDEX --gene-models 0 3 --runs 3
"""

from __future__ import annotations

import argparse
import csv
import gzip
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path


def run_once(fasta: Path, index: Path, models: int, threads: int, out: Path) -> tuple[float, float]:
    kmervae = Path(sys.executable).with_name("kmervae")
    cmd = ["/usr/bin/time", "-v", str(kmervae), "markers", str(fasta), "--contigs", str(index)]
    cmd += ["-o", str(out), "--gene-models", str(models), "--threads", str(threads)]
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)[1])
    return wall, rss / 1024


def marker_copies(table: Path) -> Counter:
    """(contig, marker, set) of every row of a marker table, counted."""
    with open(table, encoding="utf-8") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")),
                              delimiter="\t")  # fmt: skip
        return Counter((r["contig"], r["marker"], r["set"]) for r in rows)


def index_mbp(index: Path) -> float:
    opener = gzip.open if index.suffix == ".gz" else open
    with opener(index, "rt", encoding="utf-8") as handle:
        return sum(int(r["length"]) for r in csv.DictReader(handle, delimiter="\t")) / 1e6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fasta", type=Path)
    parser.add_argument("--contigs", type=Path, required=True, help="the sample's contig index")
    parser.add_argument("--gene-models", type=int, nargs="+", default=[0, 3])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    mbp = index_mbp(args.contigs)
    settings = sorted(set(args.gene_models) | {0})
    print(f"{args.fasta}: {mbp:.1f} Mbp; {args.runs} runs each, {args.threads} threads\n")
    print("| --gene-models | median wall s (runs) | Mbp/s | peak RSS MiB | marker copies "
          "| of all models' copies found |")  # fmt: skip
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        tables = {m: Path(tmp) / f"markers_{m}.tsv" for m in settings}
        rows: dict[int, list] = {m: [] for m in settings}
        # settings interleaved run by run, so that a machine shared with other work slows
        # them alike
        for _ in range(args.runs):
            for models in settings:
                rows[models].append(
                    run_once(args.fasta, args.contigs, models, args.threads, tables[models])
                )
        reference = marker_copies(tables[0])
        for models in settings:
            walls = [w for w, _ in rows[models]]
            wall = statistics.median(walls)
            found = marker_copies(tables[models])
            shared = sum((found & reference).values())
            print(
                f"| {models} | {wall:.1f} ({', '.join(f'{w:.1f}' for w in walls)}) "
                f"| {mbp / wall:.2f} | {max(r for _, r in rows[models]):.0f} "
                f"| {sum(found.values())} | {shared / sum(reference.values()):.3f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
