"""Count the k-mers of a FASTA file into one table per feature group.

Writes float32 frequency tables with one row per contig of at least --min-length bp:
--k7 (8,192 columns), --k4 (136), --k3 (32) and --length-gc (length in bp, GC fraction),
and --index (contig, length) listing the rows. `kmervae assemble` joins the tables into the
8,362-column feature matrix; `kmervae features` does both in one go.
"""

from __future__ import annotations

from pathlib import Path

from kmervae.features.matrix import DEFAULT_MIN_LENGTH, GROUP_TABLES, count_tables


def add_table_arguments(parser, help_prefix: str) -> None:
    """One required path option per group table (shared with `kmervae assemble`)."""
    for name in GROUP_TABLES:
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=Path, required=True, help=f"{help_prefix} {name} table")


def table_paths(args) -> dict[str, Path]:
    return {name: getattr(args, name) for name in GROUP_TABLES}


def add_arguments(parser) -> None:
    parser.add_argument("fasta", type=Path, help="FASTA file (plain or gzipped)")
    add_table_arguments(parser, "write the")
    parser.add_argument("--index", type=Path, required=True, help="write the contig index TSV")
    parser.add_argument(
        "--min-length",
        type=int,
        default=DEFAULT_MIN_LENGTH,
        help="skip contigs shorter than this many bp (default: %(default)s)",
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="accept a file with no (long enough) contig and write empty tables; for "
        "chunks of a split sample (`kmervae gather` checks the whole sample)",
    )


def run(args) -> int:
    count_tables(
        args.fasta,
        table_paths(args),
        args.index,
        min_length=args.min_length,
        allow_empty=args.allow_empty,
    )
    return 0
