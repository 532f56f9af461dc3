"""Train the three-branch VAE on feature matrices.

Reads the training samples' feature matrices (.npy, n_contigs x 8,362, from
``kmervae features``) row batch by row batch, holds out a seeded validation split,
and writes into --outdir: vae.keras, history.tsv, training.png, architecture.png and
provenance.json. A killed run resumes from --outdir/checkpoint when rerun.

Every setting has a default (about 10 M parameters in all); --config FILE (JSON or YAML
mapping of the keys below, with underscores) sets several at once, and options given on
the command line win over the file.

A larger network, the project's first outline:
  --encoder-widths 4096,2048 64,32 16,8 --shared-widths 1024,512

examples:
  kmervae train --features s1.npy s2.npy --views s1.views.npy s2.views.npy --outdir model/
  kmervae train --features s1.npy --outdir model/ --contrastive-weight 0 --beta 0.5
  kmervae train --features s1.npy --views s1.views.npy --outdir model/ \
      --init-model base/vae.keras --epochs 20
"""

from __future__ import annotations

import argparse
import logging

from kmervae.commands.options import add_options, settings_from_args
from kmervae.errors import KmervaeError
from kmervae.vae.config import VAEConfig

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--features",
        nargs="+",
        required=True,
        metavar="NPY",
        help="feature matrices of the training samples (.npy)",
    )
    parser.add_argument(
        "--views",
        nargs="*",
        default=[],
        metavar="NPY",
        help="substring-view matrices of the same samples, in the same order (kmervae "
        "views); needed when --contrastive-weight > 0",
    )
    parser.add_argument(
        "--markers",
        nargs="*",
        default=[],
        metavar="TSV",
        help="marker tables of the same samples, in the same order (kmervae markers); "
        "needed when --cannot-link-weight > 0",
    )
    parser.add_argument(
        "--index",
        nargs="*",
        default=[],
        metavar="TSV",
        help="contig indexes of the same samples (kmervae features), naming the rows the "
        "marker tables and bins refer to; needed with --markers and --bins",
    )
    parser.add_argument(
        "--bins",
        nargs="*",
        default=[],
        metavar="TSV",
        help="clusters tables of the same samples from an earlier round (kmervae cluster); "
        "needed when --partner-share > 0 (self-training)",
    )
    parser.add_argument(
        "--bin-summaries",
        nargs="*",
        default=[],
        metavar="TSV",
        help="their bin summaries with marker quality (kmervae cluster --markers "
        "--summary); only bins of quality high or medium give partners",
    )
    parser.add_argument("--outdir", required=True, help="output directory")
    parser.add_argument(
        "--init-model",
        metavar="KERAS",
        help="start from the weights of this trained model (a base model pretrained "
        "elsewhere, e.g. on reference genomes) and fine-tune them on --features; its "
        "architecture must match these settings, the input standardisation is refitted "
        "to the training samples",
    )
    parser.add_argument(
        "--config", metavar="FILE", help="JSON or YAML file of config keys (options win)"
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="ignore and delete an existing checkpoint instead of resuming from it",
    )
    parser.add_argument(
        "--discard-stale-checkpoint",
        action="store_true",
        help="delete, with a warning, a checkpoint of other settings or data instead of "
        "stopping with an error (the workflow passes it: it reruns training only when "
        "those changed); a checkpoint of the same run is still resumed",
    )
    parser.add_argument(
        "--no-plots", action="store_true", help="do not draw training.png and architecture.png"
    )
    parser.add_argument(
        "--no-architecture",
        action="store_true",
        help="do not draw architecture.png (the workflow draws it in its own step, "
        "`kmervae architecture`)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for TensorFlow (default: all cores); the workflow passes the "
        "job's threads",
    )
    add_options(parser.add_argument_group("model and training settings"), VAEConfig)


def config_from_args(args: argparse.Namespace) -> VAEConfig:
    """The VAEConfig of the parsed options (config file first, then options)."""
    given = settings_from_args(VAEConfig, args)
    if getattr(args, "config", None):
        return VAEConfig.from_file(args.config, **given)
    return VAEConfig.from_dict(given)


def partner_bins(bins, summaries, indexes) -> list:
    """Per sample, the bin number of each contig of its index (-1: none), counting only
    bins of marker quality high or medium (:data:`kmervae.vae.data.PARTNER_QUALITIES`):
    what self-training draws partners from. ``bins``: clusters tables (kmervae
    cluster), ``summaries``: their bin summaries (with --markers), ``indexes``: the
    samples' contig indexes, all in the order of the feature matrices."""
    import numpy as np

    from kmervae.binning.clustering import read_clusters
    from kmervae.binning.plots import read_bin_quality
    from kmervae.features.matrix import read_contig_index
    from kmervae.vae.data import PARTNER_QUALITIES

    if not (len(bins) == len(summaries) == len(indexes)):
        raise KmervaeError(
            f"{len(bins)} clusters tables (--bins), {len(summaries)} bin summaries "
            f"(--bin-summaries) and {len(indexes)} contig indexes (--index): give one of "
            "each per feature matrix, in its order"
        )
    groups = []
    for table, summary, index in zip(bins, summaries, indexes, strict=True):
        names, _ = read_contig_index(index)
        quality = read_bin_quality(summary)
        good = sorted(b for b, q in quality.items() if q in PARTNER_QUALITIES)
        number = {b: i for i, b in enumerate(good)}
        groups.append(np.array([number.get(b, -1) for b in read_clusters(table, names)]))
    return groups


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    log.info("configuration: %s", cfg.to_dict())
    from kmervae.vae.training import set_threads, train  # imports TensorFlow

    set_threads(args.threads)
    result = train(
        args.features,
        args.outdir,
        cfg,
        views=args.views,
        markers=args.markers,
        indexes=args.index,
        bin_groups=partner_bins(args.bins, args.bin_summaries, args.index) if args.bins else (),
        bin_tables=[*args.bins, *args.bin_summaries],
        init_model=args.init_model,
        restart=args.restart,
        discard_stale=args.discard_stale_checkpoint,
        plots=not args.no_plots,
        architecture=not args.no_architecture,
    )
    if not result.history:
        raise KmervaeError("no epoch was trained")
    last = result.history[-1]
    log.info(
        "trained %d epochs, final loss %.6g%s; model in %s",
        len(result.history),
        last["loss"],
        f", val_loss {last['val_loss']:.6g}" if last.get("val_loss") is not None else "",
        result.outdir / "vae.keras",
    )
    return 0
