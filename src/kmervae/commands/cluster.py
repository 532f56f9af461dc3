"""Cluster the contig embeddings of one sample into bins.

Reads the embedding (one row per contig, in the order of the contig index) and writes:

* --clusters: TSV ``clustername  contigname``, every contig of the index exactly once;
  bins are named {sample}_bin0001, ... by size in bp, largest first; contigs in no bin
  are marked ``unbinned``;
* --bins-dir: one FASTA ``{bin}.fna`` per bin of at least --min-bin-size bp, holding its
  contigs' records exactly as in the input FASTA;
* --summary: TSV ``bin contigs bp gc n50 written``, one row per bin, small ones too
  (gc: bp-weighted mean contig GC; written: whether the bin has a FASTA file).

Algorithms (--algorithm): ``leiden`` (default; Leiden communities of the --neighbors
nearest-neighbour graph, as in SemiBin2 and COMEBin; needs no number of clusters),
``hdbscan`` (then, by default, its noise contigs go to the nearest cluster and centroids
are refined by spherical k-means, --refine), ``medoid`` (VAMB-style iterative medoid
clustering on cosine distance; experimental, its distance thresholds suit tightly
clustered embeddings) and ``kmeans`` (needs --k). Embeddings are centred and scaled to unit
length first. A contig that clusters with nothing is unbinned, unless it has at least
--min-bin-size bp: then it is a bin of its own. Results are deterministic for the same
inputs and --seed.

All outputs are written under temporary names and renamed together at the end, so a
failed run leaves none of them behind.

example:
  kmervae cluster results/embeddings/demo.npy --index results/features/demo.contigs.tsv \\
      --fasta resources/demo/demo.fna.gz --clusters results/bins/demo.clusters.tsv \\
      --bins-dir results/bins/demo --summary results/bins/demo.summary.tsv
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np

from kmervae.binning.bins import AtomicDirectory, scan_fasta, summary_rows, summary_text
from kmervae.binning.clustering import (
    ALGORITHMS,
    CLUSTERS_HEADER,
    DEFAULT_MIN_BIN_SIZE,
    ClusterParams,
    cluster_embedding,
    clusters_table_rows,
    load_embedding,
    name_bins,
)
from kmervae.errors import InputError, KmervaeError
from kmervae.features.layout import LAYOUT
from kmervae.features.matrix import read_contig_index
from kmervae.npyio import MatrixReader, TextOutput, atomic_outputs

log = logging.getLogger(__name__)
_DEFAULTS = ClusterParams()
#: ClusterParams fields that are options of this command (and keys of the workflow's
#: clustering: config section)
SETTINGS = (
    "algorithm",
    "seed",
    "min_bin_size",
    "radius",
    "max_steps",
    "min_cluster_size",
    "min_samples",
    "selection",
    "pca_dims",
    "refine",
    "refine_steps",
    "neighbors",
    "resolution",
    "k",
    "n_init",
)


def add_arguments(parser) -> None:
    parser.add_argument("embedding", type=Path, help="embedding matrix (.npy, float32)")
    parser.add_argument(
        "--index", type=Path, required=True, help="contig index TSV (contig, length) of the rows"
    )
    parser.add_argument("--clusters", type=Path, required=True, help="clusters TSV to write")
    parser.add_argument("--summary", type=Path, help="bin summary TSV to write")
    parser.add_argument("--bins-dir", type=Path, help="folder of bin FASTA files to write")
    parser.add_argument("--fasta", type=Path, help="FASTA of the sample (needed by --bins-dir)")
    parser.add_argument(
        "--features", type=Path, help="feature matrix of the sample (GC for the summary)"
    )
    parser.add_argument(
        "--sample", help="sample name in the bin names (default: the embedding's file name)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads of leiden's nearest-neighbour search, which grows with the square of "
        "the number of contigs; results do not depend on it (default: %(default)s)",
    )
    g = parser.add_argument_group("clustering")
    g.add_argument(
        "--algorithm",
        choices=ALGORITHMS,
        default=_DEFAULTS.algorithm,
        help="clustering algorithm (default: %(default)s)",
    )
    g.add_argument(
        "--min-bin-size",
        type=int,
        default=DEFAULT_MIN_BIN_SIZE,
        help="bp a bin needs to be written as FASTA (default: %(default)s)",
    )
    g.add_argument("--seed", type=int, default=_DEFAULTS.seed, help="(default: %(default)s)")
    g.add_argument(
        "--min-cluster-size",
        type=int,
        default=_DEFAULTS.min_cluster_size,
        help="hdbscan: fewest contigs of a cluster (default: %(default)s)",
    )
    g.add_argument(
        "--min-samples",
        type=int,
        default=_DEFAULTS.min_samples,
        help="hdbscan: neighbours of a core point; higher = more noise (default: %(default)s)",
    )
    g.add_argument(
        "--selection",
        choices=("eom", "leaf"),
        default=_DEFAULTS.selection,
        help="hdbscan: cluster selection method (default: %(default)s)",
    )
    g.add_argument(
        "--pca-dims",
        type=int,
        default=_DEFAULTS.pca_dims,
        help="hdbscan: reduce the embedding to this many principal components first; "
        "0: no PCA (default: %(default)s)",
    )
    g.add_argument(
        "--refine",
        action=argparse.BooleanOptionalAction,
        default=_DEFAULTS.refine,
        help="hdbscan: give every noise contig to the nearest cluster, then move centroids "
        "by spherical k-means steps (bins far more genomes completely; contigs of genomes "
        "too rare to form a cluster land in other bins; --no-refine leaves them unbinned) "
        "(default: %(default)s)",
    )
    g.add_argument(
        "--refine-steps",
        type=int,
        default=_DEFAULTS.refine_steps,
        help="hdbscan --refine: most spherical k-means steps (default: %(default)s)",
    )
    g.add_argument(
        "--radius",
        type=float,
        default=_DEFAULTS.radius,
        help="medoid: search radius, distance (1 - cosine)/2 (default: %(default)s)",
    )
    g.add_argument(
        "--max-steps",
        type=int,
        default=_DEFAULTS.max_steps,
        help="medoid: steps of the medoid search (default: %(default)s)",
    )
    g.add_argument(
        "--neighbors",
        type=int,
        default=_DEFAULTS.neighbors,
        help="leiden: nearest neighbours linked to each contig (default: %(default)s)",
    )
    g.add_argument(
        "--resolution",
        type=float,
        default=_DEFAULTS.resolution,
        help="leiden: resolution; higher = more, smaller bins (default: %(default)s)",
    )
    g.add_argument("--k", type=int, help="kmeans: number of clusters")
    g.add_argument(
        "--n-init",
        type=int,
        default=_DEFAULTS.n_init,
        help="kmeans: restarts (default: %(default)s)",
    )


def _gc_from_features(path: Path, n: int) -> np.ndarray:
    matrix = MatrixReader(path)
    if matrix.shape != (n, LAYOUT.n_features):
        raise InputError(
            path, f"expected a feature matrix of {n} rows x {LAYOUT.n_features} columns, "
            f"found {matrix.shape}"
        )  # fmt: skip
    return matrix.column(LAYOUT.gc_column).astype(np.float64)


def options_for(settings: dict) -> list[str]:
    """Command-line options that give ``settings`` (ClusterParams keys), for the workflow.

    Unknown keys and invalid values raise the same errors as the command.
    """
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise KmervaeError(f"unknown clustering settings {unknown}; known: {list(SETTINGS)}")
    ClusterParams(**settings).check()
    options: list[str] = []
    for name, value in settings.items():
        flag = name.replace("_", "-")
        if isinstance(value, bool):
            options.append(f"--{flag}" if value else f"--no-{flag}")
        elif value is not None:
            options.extend([f"--{flag}", str(value)])
    return options


def run(args) -> int:
    if args.bins_dir is not None and args.fasta is None:
        raise KmervaeError("--bins-dir needs --fasta, the FASTA file the contigs come from")
    if args.threads < 1:
        raise KmervaeError(f"--threads must be at least 1, got {args.threads}")
    params = ClusterParams(**{name: getattr(args, name) for name in SETTINGS})
    params.check()
    sample = args.sample or args.embedding.name.removesuffix(".npy")
    names, lengths = read_contig_index(args.index)
    z = load_embedding(args.embedding, len(names), args.index)
    gc = _gc_from_features(args.features, len(names)) if args.features else None

    log.debug("clustering settings: %s", params.as_dict())
    start = time.perf_counter()
    labels = cluster_embedding(z, lengths, params, threads=args.threads)
    bins, assignment = name_bins(labels, lengths, sample)
    binned_bp = int(lengths[assignment >= 0].sum())
    written = [b for b in bins if b.bp >= params.min_bin_size]
    log.info(
        "%s: %s clustering of %d contigs in %.1f s: %d bins (%d of >= %d bp), %d contigs "
        "unbinned; %.1f%% of %d bp binned",
        sample, params.algorithm, len(names), time.perf_counter() - start, len(bins),
        len(written), params.min_bin_size, int((assignment < 0).sum()),
        100 * binned_bp / max(1, int(lengths.sum())), int(lengths.sum()),
    )  # fmt: skip

    outputs = [
        TextOutput(
            args.clusters,
            lambda: CLUSTERS_HEADER + "".join(clusters_table_rows(bins, names, assignment)),
        )
    ]
    summary_holder: dict = {}
    if args.summary is not None:
        outputs.append(TextOutput(args.summary, lambda: summary_holder["text"]))
    bins_dir = AtomicDirectory(args.bins_dir) if args.bins_dir is not None else None
    if bins_dir is not None:
        outputs.append(bins_dir)
    with atomic_outputs(*outputs):
        if args.fasta is not None:
            bin_of = {names[i]: b.name for b in written for i in b.members}
            fasta_gc = scan_fasta(args.fasta, names, bin_of, bins_dir)
            if gc is None:
                gc = fasta_gc
        if args.summary is not None:
            summary_holder["text"] = summary_text(
                summary_rows(bins, lengths, gc, params.min_bin_size)
            )
    if bins_dir is not None:
        log.info("wrote %d bin FASTA files to %s", len(written), args.bins_dir)
    return 0
