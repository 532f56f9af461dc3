"""Join the marker tables of a sample's chunks, in order (gather, with feature_chunks > 1).

Each chunk's table comes from ``kmervae markers`` on that chunk. A contig's genes and
marker hits depend only on the contig, so the joined table is the one ``kmervae markers``
writes for the whole sample. Every table must name the same marker sets.

example:
  kmervae gather-markers --tables c1.markers.tsv c2.markers.tsv -o markers/s.tsv
"""

from __future__ import annotations

import logging
from pathlib import Path

from kmervae.markers.quality import join_marker_tables

log = logging.getLogger(__name__)


def add_arguments(parser) -> None:
    parser.add_argument(
        "--tables", type=Path, nargs="+", required=True, help="marker tables, in chunk order"
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="marker table to write")


def run(args) -> int:
    n_hits = join_marker_tables(args.tables, args.output)
    log.info("%d marker hits from %d chunk tables", n_hits, len(args.tables))
    return 0
