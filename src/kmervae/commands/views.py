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

from kmervae.vae.config import VAEConfig, field_help

#: the VAEConfig settings that decide the views (also options of this command)
VIEW_SETTINGS = (
    "views_per_contig",
    "view_min_fraction",
    "view_max_fraction",
    "view_min_length",
    "seed",
)


def add_arguments(parser) -> None:
    parser.add_argument("fasta", type=Path, help="FASTA file (plain or gzipped)")
    parser.add_argument(
        "--contigs", type=Path, required=True, help="contig index of the feature matrix"
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="views matrix (.npy)")
    defaults = VAEConfig()
    helps = field_help()
    for name in VIEW_SETTINGS:
        default = getattr(defaults, name)
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=type(default),
            default=default,
            help=f"{helps[name]} (default: %(default)s)",
        )


def options_for(settings: VAEConfig) -> list[str]:
    """The options of this command that count the views ``settings`` train on (for the
    workflow)."""
    return [f"--{name.replace('_', '-')}={getattr(settings, name)}" for name in VIEW_SETTINGS]


def run(args) -> int:
    from kmervae.features.views import count_views

    settings = {name: getattr(args, name) for name in VIEW_SETTINGS}
    spec = VAEConfig.from_dict(settings).view_spec()  # validates like the training does
    count_views(args.fasta, args.contigs, args.output, spec)
    return 0
