"""Cluster the contig embeddings of one sample into bins.

Reads the embedding (one row per contig, in the order of the contig index) and writes:

* --clusters: TSV ``clustername  contigname``, every contig of the index exactly once;
  bins are named {sample}_bin0001, ... by size in bp, largest first; contigs in no bin
  are marked ``unbinned``;
* --bins-dir: one FASTA ``{bin}.fna.gz`` per bin of at least --min-bin-size bp, holding
  its contigs' records exactly as in the input FASTA (``{bin}.fna`` with
  --no-compress-bins);
* --summary: TSV ``bin contigs bp gc n50 written``, one row per bin, small ones too
  (gc: bp-weighted mean contig GC; written: whether the bin has a FASTA file); with
  --markers (the sample's table from ``kmervae markers``) also ``completeness
  contamination quality marker_set``: CheckM's estimates in percent from the single-copy
  markers of the set that fits the bin best, and the MIMAG-like label high / medium / low
  (kmervae.markers.quality says how); a bin with no marker gets 0, 0, low and no set;
* --cami: the bins in the CAMI binning format (``@Version:0.9.1``, ``@SampleID:{sample}``,
  ``@@SEQUENCEID BINID``), which AMBER reads as it is; unbinned contigs are left out.

Algorithms (--algorithm): ``leiden`` (default; Leiden communities of the --neighbors
nearest-neighbour graph, as in SemiBin2 and COMEBin; needs no number of clusters),
``hdbscan`` (then, by default, its noise contigs go to the nearest cluster and centroids
are refined by spherical k-means, --refine) and ``kmeans`` (needs --k). Embeddings are
centred and scaled to unit length first. With --markers, leiden is marker-guided by
default: it chooses each bin among Leiden runs at several resolutions by its markers'
completeness and contamination, and splits bins with duplicated markers
(kmervae.binning.marker_guided); --no-marker-guided, or no --markers, keeps one run.
A contig that clusters with nothing is unbinned, unless it has at least --min-bin-size
bp: then it is a bin of its own. Results are deterministic for the same inputs and
--seed.

All outputs are written under temporary names and renamed together at the end, so a
failed run leaves none of them behind.

example:
  kmervae cluster results/embeddings/demo.npy --index results/features/demo.contigs.tsv \\
      --fasta resources/demo/demo.fna.gz --clusters results/clusters/demo.tsv \\
      --bins-dir results/bins/demo --summary results/bins/demo.summary.tsv \\
      --cami results/clusters/demo.binning
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np

from kmervae.binning.bins import (
    SUMMARY_COLUMNS,
    AtomicDirectory,
    scan_fasta,
    summary_rows,
    summary_text,
)
from kmervae.binning.clustering import (
    CLUSTERS_HEADER,
    ClusterParams,
    cami_binning_text,
    candidate_partition,
    cluster_embedding,
    clusters_table_rows,
    is_marker_guided,
    load_embedding,
    name_bins,
)
from kmervae.commands.options import add_options, settings_from_args
from kmervae.errors import InputError, KmervaeError
from kmervae.features.layout import LAYOUT
from kmervae.features.matrix import read_contig_index
from kmervae.markers.quality import QUALITY_COLUMNS, bin_quality, read_marker_table
from kmervae.npyio import MatrixReader, TextOutput, atomic_outputs

log = logging.getLogger(__name__)


def add_arguments(parser) -> None:
    parser.add_argument("embedding", type=Path, help="embedding matrix (.npy, float32)")
    parser.add_argument(
        "--index", type=Path, required=True, help="contig index TSV (contig, length) of the rows"
    )
    parser.add_argument("--clusters", type=Path, required=True, help="clusters TSV to write")
    parser.add_argument("--summary", type=Path, help="bin summary TSV to write")
    parser.add_argument(
        "--cami", type=Path, help="the bins in the CAMI binning format (for AMBER), to write"
    )
    parser.add_argument("--bins-dir", type=Path, help="folder of bin FASTA files to write")
    parser.add_argument("--fasta", type=Path, help="FASTA of the sample (needed by --bins-dir)")
    parser.add_argument(
        "--compress-bins",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="gzip the bin FASTA files ({bin}.fna.gz; default), or write them plain ({bin}.fna)",
    )
    parser.add_argument(
        "--features",
        type=Path,
        help="feature matrix of the sample: GC for the summary when there is no --fasta "
        "(with --fasta, the GC comes from the sequences and this is not needed)",
    )
    parser.add_argument(
        "--markers",
        type=Path,
        help="marker table of the sample (kmervae markers): completeness, contamination and "
        "quality of each bin in the summary",
    )
    parser.add_argument(
        "--candidate-bins",
        type=Path,
        nargs="*",
        default=[],
        metavar="TSV",
        help="clusters tables of the same sample made otherwise (e.g. by an earlier round "
        "of training; kmervae cluster): marker-guided clustering chooses each bin among "
        "their bins too, as among its own Leiden runs",
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
    add_options(parser.add_argument_group("clustering"), ClusterParams)


def _feature_matrix(path: Path, n: int) -> MatrixReader:
    """The sample's feature matrix, checked to have a row per contig of the index."""
    matrix = MatrixReader(path)
    if matrix.shape != (n, LAYOUT.n_features):
        raise InputError(
            path, f"expected a feature matrix of {n} rows x {LAYOUT.n_features} columns, "
            f"found {matrix.shape}"
        )  # fmt: skip
    return matrix


def _read_markers(path: Path, names: list[str]):
    """The sample's marker table, checked to be of the same contigs as the index."""
    table = read_marker_table(path)
    known = set(names)
    stranger = next((c for c in table.hits if c not in known), None)
    if stranger is not None:
        raise InputError(path, "contig not in the contig index: the marker table of another "
                         "sample?", record=stranger)  # fmt: skip
    if not table.hits:
        log.warning("%s: no marker gene in the sample: every bin has completeness 0", path)
    return table


def _quality_columns(rows, bins, names, table) -> None:
    """Add each bin's completeness, contamination and quality to its summary row."""
    without = 0
    for row, b in zip(rows, bins, strict=True):
        quality = bin_quality((names[i] for i in b.members), table)
        without += not quality.marker_set
        row.update(quality.columns())
    if without and table.hits:
        log.warning(
            "%d of %d bins hold no marker gene (phages, plasmids or small fragments?): "
            "completeness 0", without, len(bins),
        )  # fmt: skip


def run(args) -> int:
    if args.bins_dir is not None and args.fasta is None:
        raise KmervaeError("--bins-dir needs --fasta, the FASTA file the contigs come from")
    if args.threads < 1:
        raise KmervaeError(f"--threads must be at least 1, got {args.threads}")
    params = ClusterParams(**settings_from_args(ClusterParams, args))
    # asked for on the command line, marker-guided clustering without markers is an
    # error; as the default, it falls back to plain Leiden (cluster_embedding warns)
    if args.marker_guided and args.markers is None:
        raise KmervaeError(
            "--marker-guided needs --markers, the sample's marker table from kmervae markers"
        )
    sample = args.sample or args.embedding.name.removesuffix(".npy")
    names, lengths = read_contig_index(args.index)
    z = load_embedding(args.embedding, len(names), args.index)
    matrix = _feature_matrix(args.features, len(names)) if args.features else None
    # the summary's GC comes from the FASTA, read anyway for the bins; the matrix's GC
    # column is one small read per row (minutes of a cold disk at a million contigs)
    gc = None
    if matrix is not None and args.fasta is None:
        gc = matrix.column(LAYOUT.gc_column).astype(np.float64)
    markers = _read_markers(args.markers, names) if args.markers is not None else None
    candidates = [candidate_partition(path, names) for path in args.candidate_bins]

    log.debug("clustering settings: %s", params.as_dict())
    guided = is_marker_guided(params, markers, names)
    if candidates and not guided:
        raise KmervaeError(
            "--candidate-bins needs marker-guided leiden clustering (and --markers): "
            "only the markers can choose between bins"
        )
    method = "marker-guided leiden" if guided else params.algorithm
    start = time.perf_counter()
    labels = cluster_embedding(
        z, lengths, params, threads=args.threads, markers=markers, names=names,
        candidates=candidates,
    )  # fmt: skip
    bins, assignment = name_bins(labels, lengths, sample)
    binned_bp = int(lengths[assignment >= 0].sum())
    written = [b for b in bins if b.bp >= params.min_bin_size]
    log.info(
        "%s: %s clustering of %d contigs in %.1f s: %d bins (%d of >= %d bp), %d contigs "
        "unbinned; %.1f%% of %d bp binned",
        sample, method, len(names), time.perf_counter() - start, len(bins),
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
    if args.cami is not None:
        outputs.append(TextOutput(args.cami, cami_binning_text(bins, names, sample)))
    bins_dir = None
    if args.bins_dir is not None:
        bins_dir = AtomicDirectory(args.bins_dir, compress=args.compress_bins)
        outputs.append(bins_dir)
    with atomic_outputs(*outputs):
        if args.fasta is not None:
            bin_of = {names[i]: b.name for b in written for i in b.members}
            gc = scan_fasta(args.fasta, names, bin_of, bins_dir)
        if args.summary is not None:
            rows = summary_rows(bins, lengths, gc, params.min_bin_size)
            columns = SUMMARY_COLUMNS
            if markers is not None:
                _quality_columns(rows, bins, names, markers)
                columns += QUALITY_COLUMNS
            summary_holder["text"] = summary_text(rows, columns)
    if bins_dir is not None:
        log.info("wrote %d bin FASTA files to %s", len(written), args.bins_dir)
    return 0
