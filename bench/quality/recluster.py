"""Re-cluster the cached kmervae embeddings of a binning-quality benchmark with other
``kmervae cluster`` options, and score the bins as the benchmark does.

``bench/quality/run.py`` trains kmervae once per community and training seed and keeps
each run's results (embedding, contig index, marker table) under
``OUT/runs/{community}/kmervae_e{epochs}_t{seed}/``. This script clusters every one of
those embeddings again, once per variant (``--cluster-options``, given once per variant;
an empty string is the current defaults; the first is the reference), optionally with
another marker table per community (``--markers-pattern``), scores the bins with run.py's
``score`` against the community's labels and prints a Markdown table per variant
(community, training seed, near-complete genomes, ARI, bins, wall seconds, agreement with
the first variant) with the mean over training seeds per community, then a comparison of
the variants.

    .venv/bin/python bench/quality/recluster.py --bench bench/.cache/quality-heldout \\
        --cluster-options '' --cluster-options '--exact-neighbors-max 0' \\
        --cluster-options=--no-marker-guided
    .venv/bin/python bench/quality/recluster.py \\
        --markers-pattern 'bench/.cache/fastcaller/{community}.tsv' --label fastcaller

Every clustering runs as its own ``kmervae cluster`` process (2 threads, the benchmark's
min_bin_size), timed by ``/usr/bin/time -v``, and is cached under ``--out`` (default
``bench/.cache/recluster/{bench folder name}``): a second call only fills the gaps
(``--rerun`` redoes them). The results go to ``OUT/results.tsv`` and ``OUT/table.md``.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import re
import shlex
import statistics
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as quality  # noqa: E402  (run.py puts bench/ and src/ on the path)

#: a cached kmervae run of run.py: runs/{community}/kmervae_e{epochs}_t{training seed}
RUN_DIR = re.compile(r"kmervae_e(\d+)_t(\d+)")


def cached_runs(bench: Path) -> list[dict]:
    """Every kmervae run of the benchmark folder ``bench`` that has an embedding, by
    community then training seed (as run.py listed them: its ``--train-seeds`` order is
    not kept, so seeds sort numerically)."""
    found = []
    for folder in sorted((bench / "runs").glob("*/kmervae_e*_t*")):
        m = RUN_DIR.fullmatch(folder.name)
        community = folder.parent.name
        results = folder / "results"
        embedding = results / "embeddings" / f"{community}.npy"
        if not (m and folder.is_dir() and embedding.exists()):
            continue
        found.append(
            {
                "community": community,
                "epochs": int(m.group(1)),
                "train_seed": int(m.group(2)),
                "embedding": embedding,
                "index": results / "features" / f"{community}.contigs.tsv",
                "markers": results / "markers" / f"{community}.tsv",
                "labels": bench / "communities" / community / "labels.tsv",
            }
        )
    found.sort(key=lambda r: (r["community"], r["epochs"], r["train_seed"]))
    if not found:
        raise SystemExit(f"no cached kmervae run with an embedding under {bench}/runs")
    return found


def variant_folder(options: str, markers_pattern: str | None) -> str:
    """A folder name for one variant: readable, and distinct for distinct settings."""
    words = shlex.split(options)
    readable = "_".join(w.lstrip("-") for w in words) or "defaults"
    readable = re.sub(r"[^A-Za-z0-9_.=-]+", "-", readable)[:60]
    digest = hashlib.sha1(f"{options}\0{markers_pattern}".encode()).hexdigest()[:8]
    return f"{readable}.{digest}"


def recluster(run: dict, options: str, markers: Path, folder: Path, logs: Path, rerun: bool):
    """``kmervae cluster`` of one cached embedding with the benchmark's settings plus
    ``options``; returns run.py's timing (wall_s, rss_mib) and the clusters table."""
    tag = f"{run['community']}.e{run['epochs']}_t{run['train_seed']}"
    clusters = folder / f"{tag}.clusters.tsv"

    def make():
        folder.mkdir(parents=True, exist_ok=True)
        return quality.timed(
            quality.cluster_command(
                run["embedding"],
                run["index"],
                markers,
                run["community"],
                clusters,
                folder / f"{tag}.summary.tsv",
                shlex.split(options),
            ),
            logs / f"{folder.name}.{tag}.log",
        )

    timing = quality.cached(folder / f"{tag}.time.json", rerun, make)
    return timing, clusters


def agreement(bins: np.ndarray, other: np.ndarray) -> float:
    """ARI of two binnings of the same contigs (unbinned contigs: singletons in both)."""
    from sklearn.metrics import adjusted_rand_score

    from kmervae.binning.evaluation import singleton_codes

    return float(adjusted_rand_score(singleton_codes(bins), singleton_codes(other)))


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def variant_table(rows: list[dict]) -> str:
    """One variant's rows, then each community's mean over training seeds."""
    lines = [
        "| community | training seed | nc | ARI | bins | wall s | ARI vs first variant |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['community']} | {r['train_seed']} | {r['near_complete']} | {r['ari']:.3f} "
            f"| {r['bins']} | {r['wall_s']:.0f} | {r['agreement']:.3f} |"
        )
    for community in dict.fromkeys(r["community"] for r in rows):
        mine = [r for r in rows if r["community"] == community]
        lines.append(
            f"| **{community} mean** | {len(mine)} seeds "
            f"| {mean([r['near_complete'] for r in mine]):.1f} "
            f"| {mean([r['ari'] for r in mine]):.3f} | {mean([r['bins'] for r in mine]):.1f} "
            f"| {mean([r['wall_s'] for r in mine]):.0f} "
            f"| {mean([r['agreement'] for r in mine]):.3f} |"
        )
    return "\n".join(lines) + "\n"


def comparison_table(rows: list[dict], variants: list[str]) -> str:
    """Every variant's totals over all runs: nc summed, ARI and wall time averaged."""
    lines = [
        "| variant | runs | nc (sum) | nc per run (range) | mean ARI | mean bins | mean wall s "
        "| mean ARI vs first variant |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for v in variants:
        mine = [r for r in rows if r["variant"] == v]
        nc = [r["near_complete"] for r in mine]
        lines.append(
            f"| {v} | {len(mine)} | {sum(nc)} | {mean(nc):.2f} ({min(nc)}{quality.DASH}{max(nc)}) "
            f"| {mean([r['ari'] for r in mine]):.3f} | {mean([r['bins'] for r in mine]):.1f} "
            f"| {mean([r['wall_s'] for r in mine]):.1f} "
            f"| {mean([r['agreement'] for r in mine]):.3f} |"
        )
    return "\n".join(lines) + "\n"


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--bench",
        type=Path,
        default=quality.BENCH / ".cache" / "quality-heldout",
        help="a run.py output folder (its --out) holding runs/ and communities/ "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--cluster-options",
        action="append",
        metavar="OPTIONS",
        help="a variant: extra `kmervae cluster` options as one string; repeat for more "
        "variants, the first is the one the others are compared with. A single option "
        "needs the = form: --cluster-options=--no-marker-guided; '' = the defaults "
        "(default: only that)",
    )
    p.add_argument(
        "--markers-pattern",
        help="another marker table per community, '{community}' replaced by its name "
        "(default: each run's own, from the workflow)",
    )
    p.add_argument("--label", default="", help="a word added to the variants' names")
    p.add_argument("--out", type=Path, help="work folder (default bench/.cache/recluster/BENCH)")
    p.add_argument("--rerun", action="store_true", help="ignore cached clusterings")
    args = p.parse_args(argv)
    args.cluster_options = args.cluster_options or [""]
    args.bench = args.bench.resolve()
    if args.out is None:
        args.out = quality.BENCH / ".cache" / "recluster" / args.bench.name
    args.out = args.out.resolve()
    return args


def main(argv=None) -> int:
    from kmervae.binning.clustering import read_clusters
    from kmervae.binning.evaluation import read_labels
    from kmervae.features.matrix import read_contig_index

    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    runs = cached_runs(args.bench)
    variants = [
        " ".join(filter(None, [args.label, options or "defaults"]))
        for options in args.cluster_options
    ]
    if len(set(variants)) != len(variants):
        raise SystemExit("--cluster-options lists the same variant twice")
    rows: list[dict] = []
    for run in runs:
        names, lengths = read_contig_index(run["index"])
        genomes, _ = read_labels(run["labels"], names)
        markers = run["markers"]
        if args.markers_pattern:
            markers = Path(args.markers_pattern.format(community=run["community"]))
            if not markers.exists():
                raise SystemExit(f"--markers-pattern: no marker table {markers}")
        first = None
        for variant, options in zip(variants, args.cluster_options, strict=True):
            folder = args.out / variant_folder(options, args.markers_pattern)
            timing, clusters = recluster(
                run, options, markers, folder, args.out / "logs", args.rerun
            )
            bins = read_clusters(clusters, names)
            first = bins if first is None else first
            metrics = quality.score(names, lengths, genomes, bins)
            rows.append(
                {
                    "method": "kmervae",
                    "variant": variant,
                    "community": run["community"],
                    "train_seed": run["train_seed"],
                    "epochs": run["epochs"],
                    "near_complete": metrics["near_complete"],
                    "ari": metrics["ari"],
                    "bins": metrics["bins"],
                    "wall_s": timing["wall_s"],
                    "rss_mib": timing["rss_mib"],
                    "agreement": agreement(bins, first),
                }
            )
            print(
                f"[{variant}] {run['community']} t{run['train_seed']}: "
                f"nc {metrics['near_complete']}, ARI {metrics['ari']:.3f}, "
                f"{metrics['bins']} bins, {timing['wall_s']:.0f} s",
                file=sys.stderr,
            )
    quality.write_rows(args.out / "results.tsv", rows)
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"{date}. `python bench/quality/recluster.py {shlex.join(argv)}` on the embeddings "
        f"of {args.bench}; marker tables: "
        f"{args.markers_pattern or 'each run its own'}.\n\n"
        + "".join(
            f"### {v}\n\n{variant_table([r for r in rows if r['variant'] == v])}\n"
            for v in variants
        )
        + "### All variants\n\n"
        + comparison_table(rows, variants)
        + "\nnc: genomes with a bin of recall ≥ 0.9 and precision ≥ 0.95 (run.py's `score`); "
        "ARI vs first variant: agreement of the bins with those of the first variant on "
        "the same embedding (unbinned contigs as singletons). Wall s: the whole `kmervae "
        "cluster` process on 2 threads; a machine shared with other jobs inflates it.\n"
    )
    (args.out / "table.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
