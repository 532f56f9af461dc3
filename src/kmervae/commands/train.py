"""Train the three-branch VAE on feature matrices.

Reads the training samples' feature matrices (.npy, n_contigs x 8,362, from
``kmervae features``) row batch by row batch, holds out a seeded validation split,
and writes into --outdir: vae.keras, history.tsv, training.png, architecture.png and
provenance.json. A killed run resumes from --outdir/checkpoint when rerun.

Every setting has a default (the seed's "Final Architecture", about 10 M parameters);
--config FILE (JSON or YAML mapping of the keys below, with underscores) sets several
at once, and options given on the command line win over the file.

The user's original outline is:
  --encoder-widths 4096,2048 64,32 16,8 --shared-widths 1024,512

examples:
  kmervae train --features s1.npy s2.npy --views s1.views.npy s2.views.npy --outdir model/
  kmervae train --features s1.npy --outdir model/ --contrastive-weight 0 --beta 0.5
"""

from __future__ import annotations

import argparse
import dataclasses
import logging

from kmervae.errors import KmervaeError
from kmervae.vae.config import (
    KMER_TRANSFORMS,
    LENGTH_WEIGHTINGS,
    RECONSTRUCTION_LOSSES,
    VAEConfig,
    field_help,
)

log = logging.getLogger(__name__)

_CHOICES = {
    "loss": RECONSTRUCTION_LOSSES,
    "kmer_transform": KMER_TRANSFORMS,
    "length_weighting": LENGTH_WEIGHTINGS,
}


def _int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return values


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
    parser.add_argument("--outdir", required=True, help="output directory")
    parser.add_argument(
        "--config", metavar="FILE", help="JSON or YAML file of config keys (options win)"
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="ignore and delete an existing checkpoint instead of resuming from it",
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
    group = parser.add_argument_group("model and training settings")
    helps = field_help()
    defaults = VAEConfig()
    for f in dataclasses.fields(VAEConfig):
        name = f.name
        default = getattr(defaults, name)
        opt = "--" + name.replace("_", "-")
        text = helps.get(name, "")
        kwargs: dict = {"dest": name, "default": None}
        if name == "encoder_widths":
            shown = " ".join(",".join(map(str, b)) for b in default)
            kwargs.update(nargs=len(default), type=_int_list, metavar="W1,W2")
        elif isinstance(default, tuple):
            shown = ",".join(map(str, default))
            kwargs.update(type=_int_list, metavar="N,N")
        elif isinstance(default, bool):
            shown = str(default).lower()
            kwargs.update(action=argparse.BooleanOptionalAction)
        else:
            shown = str(default)
            kwargs.update(type=type(default))
            if name in _CHOICES:
                kwargs.update(choices=_CHOICES[name])
        kwargs["help"] = f"{text} (default: {shown})".replace("%", "%%")
        group.add_argument(opt, **kwargs)


def options_for(settings: dict) -> list[str]:
    """Command-line options that give ``settings`` (VAEConfig keys), for the workflow.

    The inverse of the parser above: ``config_from_args(parse(options_for(d)))`` equals
    ``VAEConfig.from_dict(d)``. Unknown keys raise the same error as ``from_dict``.
    """
    VAEConfig.from_dict(settings)  # validates keys and values
    options: list[str] = []
    for name, value in settings.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            options.append(flag if value else "--no-" + name.replace("_", "-"))
        elif name == "encoder_widths":
            options.append(flag)
            options.extend(",".join(str(w) for w in branch) for branch in value)
        elif isinstance(value, list | tuple):
            options.extend([flag, ",".join(str(v) for v in value)])
        else:
            options.extend([flag, str(value)])
    return options


def config_from_args(args: argparse.Namespace) -> VAEConfig:
    """The VAEConfig of the parsed options (config file first, then options)."""
    given = {k: getattr(args, k) for k in VAEConfig.keys() if getattr(args, k, None) is not None}
    if getattr(args, "config", None):
        return VAEConfig.from_file(args.config, **given)
    return VAEConfig.from_dict(given)


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
        restart=args.restart,
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
