"""Store the sequences of a training sample's contigs, for the substring views.

The training of the VAE pulls the embedding of a contig and of a random substring
("view") of it together (the contrastive term). Views are counted by the training when a
batch needs them, from the base codes this command writes (1 byte per base): those of the
contigs of --contigs (the index written beside a feature matrix) that train the model, at
most --max-train-contigs shared equally by --training-samples samples, drawn as
`kmervae train` draws them, so the two agree. The FASTA must be the one the index was
made from (checked). Written atomically.

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
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="base codes of the training contigs (.npy)"
    )
    parser.add_argument(
        "--training-samples",
        type=int,
        default=1,
        metavar="N",
        help="samples the model trains on, which share --max-train-contigs (default 1)",
    )
    add_options(parser, VAEConfig, VIEW_SETTINGS)


def run(args) -> int:
    from kmervae.errors import KmervaeError
    from kmervae.features.matrix import read_contig_index
    from kmervae.features.views import write_view_sequences
    from kmervae.vae.data import sample_training_rows

    if args.training_samples < 1:
        raise KmervaeError("--training-samples must be >= 1")
    # chosen as the training chooses them: the same defaults and checks
    settings = VAEConfig.from_dict(settings_from_args(VAEConfig, args, VIEW_SETTINGS))
    _, lengths = read_contig_index(args.contigs)
    rows = sample_training_rows(settings, lengths, args.training_samples)
    write_view_sequences(args.fasta, args.contigs, args.output, rows)
    return 0
