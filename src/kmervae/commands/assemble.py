"""Join per-group tables (from `kmervae count`) into the 8,362-column feature matrix.

Columns come out as [length, 7-mers, 4-mers, 3-mers, GC]; rows stay in table order. The
tables are read memory-mapped in row batches, so memory does not grow with the sample.
"""

from __future__ import annotations

from pathlib import Path

from kmervae.commands.count import add_table_arguments, table_paths
from kmervae.features.matrix import assemble_tables


def add_arguments(parser) -> None:
    add_table_arguments(parser, "read the")
    parser.add_argument("-o", "--output", type=Path, required=True, help="matrix to write")


def run(args) -> int:
    assemble_tables(table_paths(args), args.output)
    return 0
