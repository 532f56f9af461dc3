"""One line per method over the cuts of a genome set, from ``results.tsv`` of run.py.

For each method: near-complete genomes (recall >= 0.9, precision >= 0.95) on each cut,
as the mean over training seeds with the range when there are several, their sum over the
cuts, ARI of the bins, and the k-means ARI at the true number of genomes (normalised rows).
Methods without a training seed (raw inputs, MetaBAT2, VAMB) have one run per cut.

    .venv/bin/python bench/quality/summarize.py bench/.cache/quality-heldout
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
from pathlib import Path

DASH = "\u2013"


def spread(values: list[float], digits: int) -> str:
    if not values:
        return DASH
    mean = statistics.mean(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ({min(values):.{digits}f}{DASH}{max(values):.{digits}f})"


def summarize(rows: list[dict]) -> str:
    cuts = sorted({r["community"] for r in rows})
    methods = list(dict.fromkeys(r["method"] for r in rows))
    head = (
        "| method | seeds | "
        + " | ".join(f"nc, {c}" for c in cuts)
        + " | nc, all cuts | ARI | k-means ARI, true k |"
    )
    lines = [head, "| --- | ---: | " + " | ".join("---:" for _ in cuts) + " | ---: | ---: | ---: |"]
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        per_cut = {c: [int(r["near_complete"]) for r in mine if r["community"] == c] for c in cuts}
        seeds = max(len(v) for v in per_cut.values())
        # totals over cuts, per training seed (runs of one seed share their index per cut)
        totals = [sum(v[i] for v in per_cut.values() if i < len(v)) for i in range(seeds)]
        kmeans = [float(r["kmeans_ari_vae_normalized"]) for r in mine
                  if r.get("kmeans_ari_vae_normalized") not in (None, "", "nan")]  # fmt: skip
        cells = [spread(per_cut[c], 1) for c in cuts]
        lines.append(
            f"| {method} | {seeds} | " + " | ".join(cells)
            + f" | {spread(totals, 1)} | {spread([float(r['ari']) for r in mine], 3)}"
            + f" | {spread(kmeans, 3)} |"
        )  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path, help="the --out folder of bench/quality/run.py")
    args = p.parse_args(argv)
    with open(args.folder / "results.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    print(summarize(rows), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
