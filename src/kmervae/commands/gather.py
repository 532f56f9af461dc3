"""Join the feature matrices of a sample's chunks row-wise, in order (gather).

Checks that every chunk's index matches its matrix and that no contig name appears in
two chunks. The result is identical to `kmervae features` on the whole file.

example:
  kmervae gather --matrices c1.npy c2.npy --indexes c1.tsv c2.tsv \
      -o features/s.npy --index features/s.contigs.tsv
"""

from __future__ import annotations

from pathlib import Path

from kmervae.features.scatter import gather_features


def add_arguments(parser) -> None:
    parser.add_argument("--matrices", type=Path, nargs="+", required=True, help="in order")
    parser.add_argument("--indexes", type=Path, nargs="+", required=True, help="in order")
    parser.add_argument("-o", "--output", type=Path, required=True, help="matrix to write")
    parser.add_argument("--index", type=Path, required=True, help="contig index to write")


def run(args) -> int:
    gather_features(args.matrices, args.indexes, args.output, args.index)
    return 0
