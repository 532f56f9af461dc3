"""Evaluate the bins of one sample against known contig origins (a labels TSV).

Writes --output, a TSV ``metric  value`` (one metric a line), and optionally
--per-genome, a TSV ``genome contigs genome_bp best_bin recall precision``; a one-line
summary goes to the log.

Metrics: contigs, contigs_labelled, genomes, bins, bp, fraction_bp_binned (all contigs),
fraction_labelled_bp_binned; ari, nmi, ami over labelled contigs with every unbinned
contig a cluster of its own; ari_binned (labelled, binned contigs only); near_complete
(genomes with a bin of recall >= 0.9 and precision >= 0.95); recovered_r{R}_p{P}: genomes
with a bin of recall >= R and precision >= P for R in 0.5, 0.7, 0.9, 0.95, 0.99 and P in
0.9, 0.95. Recall = bp of the genome in the bin / bp of the genome in the sample;
precision = bp of the genome in the bin / bp of the bin (unlabelled contigs included).
With --embedding and/or --features: kmeans_k (the number of genomes), kmeans_contigs and
the ARI of k-means with k clusters on the VAE embedding (kmeans_ari_vae; and centred and
scaled to unit length as kmervae cluster uses it: kmeans_ari_vae_normalized), on z-scored
tetranucleotide frequencies (kmeans_ari_tnf) and on all features z-scored and reduced by
PCA to the embedding's width (kmeans_ari_raw_pca), to show whether the VAE beats TNF.

The labels TSV has a header line and columns contig, genome (more columns are ignored).
Contigs missing from it are unlabelled: out of the label-based metrics, but counted in
the bp of their bins. Labels of contigs not in the index are ignored with a warning.

example:
  kmervae evaluate --clusters results/bins/demo.clusters.tsv \\
      --index results/features/demo.contigs.tsv --labels resources/demo/labels.tsv \\
      --embedding results/embeddings/demo.npy --features results/features/demo.npy \\
      -o results/evaluation/demo.tsv --per-genome results/evaluation/demo.genomes.tsv
"""

from __future__ import annotations

import logging
from pathlib import Path

from kmervae.binning.clustering import read_clusters
from kmervae.binning.evaluation import (
    evaluate,
    human_summary,
    metrics_text,
    per_genome_text,
    read_labels,
)
from kmervae.errors import InputError
from kmervae.features.layout import LAYOUT
from kmervae.features.matrix import read_contig_index
from kmervae.npyio import MatrixReader, TextOutput, atomic_outputs

log = logging.getLogger(__name__)


def add_arguments(parser) -> None:
    parser.add_argument("--clusters", type=Path, required=True, help="clusters TSV to evaluate")
    parser.add_argument("--index", type=Path, required=True, help="contig index TSV")
    parser.add_argument("--labels", type=Path, required=True, help="labels TSV (contig, genome)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="metrics TSV to write")
    parser.add_argument("--per-genome", type=Path, help="per-genome TSV to write")
    parser.add_argument("--embedding", type=Path, help="embedding (.npy) for the k-means baseline")
    parser.add_argument(
        "--features", type=Path, help="feature matrix (.npy) for the TNF and raw-feature baselines"
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="seed of k-means and PCA (default: %(default)s)"
    )
    parser.add_argument(
        "--n-init", type=int, default=10, help="k-means restarts (default: %(default)s)"
    )
    parser.add_argument(
        "--baseline-max-contigs",
        type=int,
        default=10_000,
        help="k-means baselines on a seeded random subset of at most this many labelled "
        "contigs (default: %(default)s)",
    )


def _matrix(path: Path, n: int, columns: int | None = None) -> MatrixReader:
    """The matrix's rows, read only where the k-means baselines' subsample needs them
    (not memory-mapped: the 300 k scale sample's evaluate peaked at 6 GB resident that
    way, the pages read ahead around 10,000 scattered feature rows)."""
    matrix = MatrixReader(path)
    if matrix.shape[0] != n or (columns is not None and matrix.shape[1] != columns):
        want = f"{n} rows" + (f" x {columns} columns" if columns else "")
        raise InputError(path, f"expected {want} (one row per contig of the index), found "
                         f"{matrix.shape}")  # fmt: skip
    return matrix


def run(args) -> int:
    names, lengths = read_contig_index(args.index)
    bins = read_clusters(args.clusters, names)
    genomes, _ = read_labels(args.labels, names)
    embedding = _matrix(args.embedding, len(names)) if args.embedding else None
    features = _matrix(args.features, len(names), LAYOUT.n_features) if args.features else None
    metrics, per_genome = evaluate(
        names,
        lengths,
        bins,
        genomes,
        embedding=embedding,
        features=features,
        seed=args.seed,
        n_init=args.n_init,
        baseline_max_contigs=args.baseline_max_contigs,
    )
    outputs = [TextOutput(args.output, metrics_text(metrics))]
    if args.per_genome is not None:
        outputs.append(TextOutput(args.per_genome, per_genome_text(per_genome)))
    with atomic_outputs(*outputs):
        pass
    log.info("%s: %s", args.clusters.name, human_summary(metrics))
    return 0
