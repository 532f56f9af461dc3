"""Draw a sample's embedding map and bin sizes (PNG).

The map puts PCA of all contigs and t-SNE of a seeded random subsample side by side,
coloured by bin: the largest bins by bp in distinct colours, the other bins in light
grey, unbinned contigs in dark grey; point area grows with contig length. With --labels
(TSV with columns contig and genome) a second row colours the same points by true
genome. The bin picture shows every bin's bp, largest first, on a log scale, with the
minimum bin size as a line; with --summary (a bin summary made with --markers) a dot
above each bar is coloured by the bin's quality (high, medium, low).

The same inputs and seed give byte-identical pictures.

example:
  kmervae plot --embedding results/embeddings/demo.npy \\
      --index results/features/demo.contigs.tsv --clusters results/clusters/demo.tsv \\
      --labels resources/demo/labels.tsv \\
      --map results/plots/demo.map.png --bins results/plots/demo.bins.png
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from kmervae.binning import plots
from kmervae.errors import KmervaeError

log = logging.getLogger(__name__)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def add_arguments(parser) -> None:
    inputs = parser.add_argument_group("inputs")
    inputs.add_argument(
        "--embedding", type=Path, required=True, help="embedding (.npy, contigs x latent)"
    )
    inputs.add_argument(
        "--index",
        type=Path,
        required=True,
        help="contig index of the embedding's rows (TSV: contig, length)",
    )
    inputs.add_argument(
        "--clusters",
        type=Path,
        required=True,
        help=f"bins (TSV: clustername, contigname; {plots.UNBINNED!r} for unbinned contigs)",
    )
    inputs.add_argument(
        "--labels",
        type=Path,
        help="true genome of contigs (TSV with columns contig and genome): adds a row "
        "coloured by genome to the map",
    )
    inputs.add_argument(
        "--summary",
        type=Path,
        help="bin summary with quality columns (kmervae cluster --summary --markers): a dot "
        "above each bin's bar shows its quality",
    )
    outputs = parser.add_argument_group("outputs")
    outputs.add_argument("--map", type=Path, required=True, help="embedding map (.png)")
    outputs.add_argument("--bins", type=Path, required=True, help="bin sizes (.png)")
    options = parser.add_argument_group("options")
    options.add_argument(
        "--min-bin-size",
        type=_non_negative_int,
        default=plots.DEFAULT_MIN_BIN_SIZE,
        metavar="BP",
        help="line drawn on the bin sizes (default: %(default)s)",
    )
    options.add_argument(
        "--seed",
        type=_non_negative_int,
        default=plots.DEFAULT_SEED,
        help="seed of the t-SNE subsample and of t-SNE (default: %(default)s)",
    )
    options.add_argument(
        "--max-tsne-points",
        type=_positive_int,
        default=plots.DEFAULT_MAX_TSNE_POINTS,
        metavar="N",
        help="t-SNE runs on a random subsample of at most N contigs (default: %(default)s)",
    )
    options.add_argument(
        "--top",
        type=_positive_int,
        default=plots.DEFAULT_TOP,
        metavar="N",
        help=f"the N largest bins (and genomes) get their own colour, at most {plots.MAX_TOP} "
        "(default: %(default)s)",
    )
    options.add_argument(
        "--sample",
        help="sample name in the titles (default: the embedding's file name without .npy)",
    )


def run(args) -> int:
    if args.top > plots.MAX_TOP:
        raise KmervaeError(f"--top: at most {plots.MAX_TOP} distinct colours, got {args.top}")
    for option in ("map", "bins"):
        path = getattr(args, option)
        if path.suffix.lower() != ".png":
            raise KmervaeError(f"--{option} {path}: the picture is written as PNG; name it .png")
    if args.map.resolve() == args.bins.resolve():
        raise KmervaeError(f"--map and --bins name the same file {args.map}")
    sample = args.sample or args.embedding.name.removesuffix(".npy")

    contigs, lengths = plots.read_index(args.index)
    embedding = plots.read_embedding(args.embedding, len(contigs), args.index)
    bins = plots.read_clusters(args.clusters, contigs)
    genomes = plots.read_labels(args.labels, contigs) if args.labels else None
    quality = plots.read_bin_quality(args.summary) if args.summary else None
    log.info(
        "%s: %d contigs, %d latent dimensions, %d bins; t-SNE on at most %d contigs",
        sample,
        len(contigs),
        embedding.shape[1],
        len(set(bins) - {plots.UNBINNED}),
        args.max_tsne_points,
    )
    map_fig, _ = plots.map_figure(
        embedding,
        lengths,
        bins,
        genomes,
        sample=sample,
        seed=args.seed,
        max_tsne_points=args.max_tsne_points,
        top=args.top,
    )
    bins_fig = plots.bins_figure(
        bins, lengths, min_bin_size=args.min_bin_size, sample=sample, top=args.top,
        quality=quality,
    )  # fmt: skip
    plots.write_pngs({args.map: map_fig, args.bins: bins_fig})
    log.info("wrote %s and %s", args.map, args.bins)
    return 0
