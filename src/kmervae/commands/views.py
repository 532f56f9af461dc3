"""Count random substring views of the contigs of a feature matrix.

For each contig listed in --contigs (the index written beside a feature matrix), draws
--views-per-contig substrings of between --view-min-fraction and --view-max-fraction of
its length (at least --view-min-length bp, or the whole contig) and writes their
8,362-column feature rows, contig-major, to --output. The training of the VAE pulls the
embedding of a contig and of one of its views together (the contrastive term).

Spans are seeded by --seed and the contig's row, so the matrix is the same whatever the
run; the FASTA must be the one the index was made from. Written atomically.

example:
  kmervae views sample.fna.gz --contigs features/sample.contigs.tsv -o views/sample.npy
"""

from __future__ import annotations

from pathlib import Path

from kmervae.commands.options import add_options, settings_from_args
from kmervae.vae.config import VIEW_SETTINGS, VAEConfig


def add_arguments(parser) -> None:
    parser.add_argument("fasta", type=Path, help="FASTA file (plain or gzipped)")
    parser.add_argument(
        "--contigs", type=Path, required=True, help="contig index of the feature matrix"
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="views matrix (.npy)")
    add_options(parser, VAEConfig, VIEW_SETTINGS)


def run(args) -> int:
    from kmervae.features.views import count_views

    # built as the training builds them: the same defaults and checks
    settings = VAEConfig.from_dict(settings_from_args(VAEConfig, args, VIEW_SETTINGS))
    count_views(args.fasta, args.contigs, args.output, settings.view_spec())
    return 0
