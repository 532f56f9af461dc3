"""Split a FASTA into chunks of whole records, in order and balanced by bp (scatter).

Each chunk is counted by its own job; `kmervae gather` joins their feature matrices back
in the original contig order, identical to counting the whole file. The input is checked
as `kmervae count` checks it. Ambiguity codes are written as N (they count the same).

example:
  kmervae split big.fna.gz -o chunks/1.fa chunks/2.fa chunks/3.fa chunks/4.fa
"""

from __future__ import annotations

import logging
from pathlib import Path

from kmervae.features.scatter import split_fasta

log = logging.getLogger(__name__)


def add_arguments(parser) -> None:
    parser.add_argument("fasta", type=Path, help="FASTA file (plain or gzipped)")
    parser.add_argument(
        "-o", "--outputs", type=Path, nargs="+", required=True, help="chunk files, in order"
    )


def run(args) -> int:
    sizes = split_fasta(args.fasta, args.outputs)
    log.info("split %s into %d chunks of %s bp", args.fasta, len(sizes), sizes)
    return 0
