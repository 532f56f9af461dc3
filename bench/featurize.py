"""Benchmark of `kmervae features`: throughput (Mbp/s) and peak RSS, whole process.

Builds four inputs from the real genomes of bench/genomes.tsv (Debian example packages):
complete genomes and metagenome-like contigs (log-normal lengths, median 3 kb, min 1 kb),
each at about 50 and 200 Mbp. Genomes are reused with renamed records to reach the size.
Runs each input several times as a separate process under /usr/bin/time -v, one core, and
prints the median wall time, Mbp/s and the largest peak RSS as a Markdown table.

    .venv/bin/python bench/featurize.py              # 3 runs each
    .venv/bin/python bench/featurize.py --runs 5 --sizes 50
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from genomes import genome_paths  # noqa: E402
from synthetic import cut_into_contigs, read_fasta_simple  # noqa: E402

CACHE = HERE / ".cache" / "featurize"


def _write_records(handle, records, width=80) -> int:
    total = 0
    for name, seq in records:
        handle.write(f">{name}\n")
        for i in range(0, len(seq), width):
            handle.write(seq[i : i + width])
            handle.write("\n")
        total += len(seq)
    return total


def build_input(kind: str, mbp: int) -> tuple[Path, int]:
    """A plain FASTA of about ``mbp`` Mbp of complete genomes or contigs; (path, bp)."""
    path = CACHE / f"{kind}_{mbp}mbp.fa"
    stamp = path.with_suffix(".bp")
    if path.exists() and stamp.exists():
        return path, int(stamp.read_text())
    CACHE.mkdir(parents=True, exist_ok=True)
    genomes = genome_paths()
    target = mbp * 1_000_000
    total, round_ = 0, 0
    tmp = path.with_suffix(".partial")
    with open(tmp, "w") as handle:
        while total < target:
            for genome, fasta in sorted(genomes.items()):
                records = read_fasta_simple(fasta)
                if kind == "genomes":
                    renamed = [(f"{name}_r{round_}", seq) for name, seq in records]
                else:
                    rng = np.random.default_rng([round_, len(genome)])
                    contigs = cut_into_contigs(f"{genome}_r{round_}", records, rng)
                    renamed = [(c.name, c.seq) for c in contigs]
                total += _write_records(handle, renamed)
                if total >= target:
                    break
            round_ += 1
    os.replace(tmp, path)
    stamp.write_text(str(total))
    return path, total


def run_once(fasta: Path, outdir: Path) -> tuple[float, int, float]:
    """(wall seconds, peak RSS KiB, counting Mbp/s from the log) of one process."""
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir(parents=True)
    kmervae = Path(sys.executable).with_name("kmervae")
    cmd = ["/usr/bin/time", "-v", "taskset", "-c", "0", str(kmervae), "features"]
    cmd += [str(fasta), "-o", str(outdir / "x.npy")]
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    rate = float(re.search(r"\(([\d.,]+) Mbp/s\)", result.stderr).group(1).replace(",", ""))
    shutil.rmtree(outdir, ignore_errors=True)
    return wall, rss, rate


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200], help="Mbp")
    parser.add_argument("--kinds", nargs="+", default=["genomes", "contigs"])
    parser.add_argument("--outdir", type=Path, default=CACHE / "out", help="matrix goes here")
    args = parser.parse_args(argv)
    print(
        "| input | Mbp | contigs | median wall s | Mbp/s (process) | Mbp/s (counting loop)"
        " | peak RSS MiB |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind in args.kinds:
        for mbp in args.sizes:
            fasta, bp = build_input(kind, mbp)
            with open(fasta, "rb") as handle:
                n_contigs = sum(line.startswith(b">") for line in handle)
            runs = [run_once(fasta, args.outdir) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs) / 1024
            loop = statistics.median(r[2] for r in runs)
            print(
                f"| {kind} | {bp / 1e6:.1f} | {n_contigs:,} | {wall:.2f} | {bp / 1e6 / wall:.0f}"
                f" | {loop:.0f} | {rss:.0f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
