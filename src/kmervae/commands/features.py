"""Count the k-mers of a FASTA file into a feature matrix.

For every contig of at least --min-length bp, writes one row of 8,362 float32 columns:
length (bp), canonical 7-mer (8,192), 4-mer (136) and 3-mer (32) frequencies, and GC
content, in that order. Canonical k-mer = the lexicographically smaller of a k-mer and its
reverse complement; windows with any base other than A/C/G/T are not counted; each k-mer
group sums to 1. A contig index TSV (contig, length) lists the rows in order.

The FASTA may be gzipped. Output is written under a temporary name and renamed when
complete, so a failed run leaves nothing behind.

example:
  kmervae features assembly.fna.gz -o features/sample.npy --index features/sample.contigs.tsv
"""

from __future__ import annotations

from pathlib import Path

from kmervae.features.matrix import DEFAULT_MIN_LENGTH, featurize


def add_arguments(parser) -> None:
    parser.add_argument("fasta", type=Path, help="FASTA file (plain or gzipped)")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="feature matrix to write (.npy)"
    )
    parser.add_argument(
        "--index",
        type=Path,
        help="contig index to write (default: OUTPUT with .contigs.tsv instead of .npy)",
    )
    parser.add_argument(
        "--min-length",
        type=int,
        default=DEFAULT_MIN_LENGTH,
        help="skip contigs shorter than this many bp (default: %(default)s)",
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="accept a file with no (long enough) contig and write an empty matrix; for "
        "chunks of a split sample (`kmervae gather` checks the whole sample)",
    )


def default_index_path(matrix: Path) -> Path:
    return matrix.with_name(matrix.name.removesuffix(".npy") + ".contigs.tsv")


def run(args) -> int:
    index = args.index or default_index_path(args.output)
    featurize(
        args.fasta, args.output, index, min_length=args.min_length, allow_empty=args.allow_empty
    )
    return 0
