"""Calibration of the bins' marker-gene estimates against the truth (issue 14).

Reads the per-bin table ``calibration.tsv`` that ``bench/quality/run.py`` writes (one row
per written bin of every kmervae clustering: estimated completeness and contamination from
the bin summary, true recall and precision of the bin's main genome) and draws, per bin,
estimated completeness against true recall and estimated contamination against true
contamination (100 - precision, in percent of the bin's bp), with the summary figures a
user acts on: over the bins kmervae labels high or medium quality, the median of
estimated completeness minus true recall, and how many of them are truly good.

    .venv/bin/python bench/quality/calibration.py bench/.cache/quality-heldout \\
        --png docs/calibration.png --methods "kmervae (40 ep.)"
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
from pathlib import Path


def read_rows(folder: Path, methods: list[str] | None) -> list[dict]:
    with open(folder / "calibration.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    if methods:
        rows = [r for r in rows if r["method"] in methods]
    for r in rows:
        for key in ("completeness", "contamination", "recall", "precision"):
            r[key] = float(r[key])
        r["true_contamination"] = 100.0 - r["precision"]
    return rows


def summary(rows: list[dict]) -> dict:
    """Figures over the bins kmervae calls high or medium quality (the ones a user keeps)."""
    kept = [r for r in rows if r["quality"] in ("high", "medium")]
    out = {"bins": len(rows), "kept (high or medium)": len(kept)}
    if kept:
        completeness_error = [r["completeness"] - r["recall"] for r in kept]
        contamination_error = [r["contamination"] - r["true_contamination"] for r in kept]
        out["median completeness - recall (kept)"] = statistics.median(completeness_error)
        out["median |completeness - recall| (kept)"] = statistics.median(
            abs(e) for e in completeness_error
        )
        out["median contamination - true contamination (kept)"] = statistics.median(
            contamination_error
        )
        out["kept that are truly recall >= 50, precision >= 90"] = sum(
            r["recall"] >= 50 and r["precision"] >= 90 for r in kept
        )
        high = [r for r in kept if r["quality"] == "high"]
        out["high"] = len(high)
        out["high that are truly recall >= 90, precision >= 95"] = sum(
            r["recall"] >= 90 and r["precision"] >= 95 for r in high
        )
    return out


def plot(rows: list[dict], png: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"high": "#1b9e77", "medium": "#d95f02", "low": "#7570b3"}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.8), constrained_layout=True)
    panels = (
        ("recall", "completeness", "true recall of the main genome (%)",
         "estimated completeness (%)", 100),
        ("true_contamination", "contamination", "true contamination: 100 - precision (%)",
         "estimated contamination (%)", None),
    )  # fmt: skip
    for ax, (x_key, y_key, x_label, y_label, limit) in zip(axes, panels, strict=True):
        top = limit or max([5.0] + [max(r[x_key], r[y_key]) for r in rows]) * 1.05
        ax.plot([0, top], [0, top], color="grey", lw=0.8, ls="--", zorder=0)
        for quality, colour in colours.items():
            sel = [r for r in rows if r["quality"] == quality]
            if sel:
                ax.scatter(
                    [r[x_key] for r in sel], [r[y_key] for r in sel], s=14, alpha=0.7,
                    color=colour, label=f"{quality} ({len(sel)})", edgecolors="none",
                )  # fmt: skip
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.set_aspect("equal")
    axes[0].legend(title="kmervae's label", loc="lower right", fontsize=8)
    fig.suptitle(title, fontsize=10)
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path, help="the --out folder of bench/quality/run.py")
    p.add_argument("--methods", nargs="+", help="methods (as in the table) to include")
    p.add_argument("--png", type=Path, help="scatter plot to write")
    p.add_argument("--title", default="Marker-gene estimates against the truth, per bin")
    args = p.parse_args(argv)
    rows = read_rows(args.folder, args.methods)
    if not rows:
        raise SystemExit(f"no bin of {args.methods or 'any method'} in {args.folder}")
    for method in sorted({r["method"] for r in rows}):
        print(f"## {method}")
        for key, value in summary([r for r in rows if r["method"] == method]).items():
            print(f"- {key}: {value:.1f}" if isinstance(value, float) else f"- {key}: {value}")
    if args.png:
        plot(rows, args.png, args.title)
        print(f"wrote {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
