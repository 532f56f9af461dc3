"""Embed every contig of a sample with a trained model (z_mean of the encoder).

Writes a float32 .npy (n_contigs x latent size) whose rows follow the contig index, and
optionally a gzipped TSV (contig, z0, z1, ...). The model must be a kmervae model made
for this feature layout; anything else is refused with the reason. Rows are streamed,
so memory does not grow with the number of contigs.

example:
  kmervae embed results/model/vae.keras results/features/s1.npy \
      --index results/features/s1.contigs.tsv -o results/embeddings/s1.npy \
      --tsv results/embeddings/s1.tsv.gz
"""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("model", type=Path, help="trained model (.keras from kmervae train)")
    parser.add_argument("features", type=Path, help="feature matrix (.npy)")
    parser.add_argument("--index", type=Path, required=True, help="contig index of the matrix")
    parser.add_argument("-o", "--output", type=Path, required=True, help="embedding (.npy)")
    parser.add_argument("--tsv", type=Path, help="also write contig + coordinates (.tsv.gz)")
    parser.add_argument(
        "--batch-size", type=int, default=4096, help="rows per batch (default: %(default)s)"
    )
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for TensorFlow")


def run(args) -> int:
    from kmervae.vae.embedding import embed_matrix
    from kmervae.vae.training import set_threads

    set_threads(args.threads)
    embed_matrix(args.model, args.features, args.index, args.output, args.tsv, args.batch_size)
    return 0
