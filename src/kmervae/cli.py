"""The ``kmervae`` command: one subcommand per workflow step.

Each step lives in its own module, which provides ``add_arguments(parser)`` and
``run(args) -> int``; this module only wires them together and turns the package's
``KmervaeError`` into a clear message and a non-zero exit.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import shlex
import signal
import sys

from kmervae import __version__
from kmervae.errors import KmervaeError

#: subcommand -> (module, one-line help). Modules are imported lazily so that
#: ``kmervae features`` does not pay for importing TensorFlow.
COMMANDS: dict[str, tuple[str, str]] = {
    "features": ("kmervae.commands.features", "count k-mers of a FASTA into a feature matrix"),
    "split": ("kmervae.commands.split", "split a FASTA into chunks for parallel counting"),
    "gather": ("kmervae.commands.gather", "join chunk feature matrices in order"),
    "views": ("kmervae.commands.views", "count substring views of contigs (contrastive training)"),
    "train": ("kmervae.commands.train", "train the three-branch VAE on feature matrices"),
    "architecture": ("kmervae.commands.architecture", "draw the network of a trained model"),
    "embed": ("kmervae.commands.embed", "embed contigs with a trained model"),
    "markers": ("kmervae.commands.markers", "find single-copy marker genes in a sample's contigs"),
    "gather-markers": (
        "kmervae.commands.gather_markers",
        "join chunk marker tables in order",
    ),
    "cluster": ("kmervae.commands.cluster", "cluster contig embeddings into bins (FASTA per bin)"),
    "evaluate": ("kmervae.commands.evaluate", "score bins against known contig origins (labels)"),
    "plot": ("kmervae.commands.plot", "draw the embedding map and bin sizes (PNG)"),
}
#: subcommands that run TensorFlow: imported quietly unless --verbose (kmervae.quiet)
TENSORFLOW_COMMANDS = frozenset({"train", "architecture", "embed"})


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the module of the subcommand named in ``argv`` is imported."""
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if a in COMMANDS), None)
    parser = argparse.ArgumentParser(
        prog="kmervae",
        description="Genome binning of metagenomic contigs by k-mer composition "
        "with a three-branch variational autoencoder.",
    )
    parser.add_argument("--version", action="version", version=f"kmervae {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log debug messages, and TensorFlow's start-up messages",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        if name != chosen:
            sub.add_parser(name, help=help_text)
            continue
        module = importlib.import_module(module_name)
        p = sub.add_parser(
            name,
            help=help_text,
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def peak_rss_mib() -> float:
    """The largest resident set of this process and of the children it waited for
    (forked Leiden runs), in MiB: the kernel's high-water marks, exact where a sampling
    monitor (Snakemake's benchmark) can miss a short peak."""
    import resource

    # ru_maxrss is in KiB on Linux (bytes on macOS)
    scale = 1 / 2**20 if sys.platform == "darwin" else 1 / 1024
    return (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        * scale
    )


def log_peak_memory(command: str) -> None:
    """One log line with the peak RSS, which bench/scale.py reads from the rules' logs."""
    logging.getLogger("kmervae").info("%s: peak RSS %.0f MiB", command, peak_rss_mib())


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
        stream=sys.stderr,
    )
    # every log (a workflow rule's log included) starts with what made the output
    from kmervae.provenance import package_versions

    versions = ", ".join(f"{k} {v}" for k, v in package_versions().items() if v)
    # the command as the user would type it (run as `python -m kmervae`, argv[0] is a path)
    command = shlex.join(["kmervae", *(sys.argv[1:] if argv is None else argv)])
    logging.getLogger("kmervae").info("%s; command: %s", versions, command)
    # SLURM and other schedulers stop jobs with SIGTERM: unwind like Ctrl-C, so that
    # temporary outputs are removed
    signal.signal(signal.SIGTERM, _terminate)
    if args.command in TENSORFLOW_COMMANDS and not args.verbose:
        from kmervae.quiet import quiet_tensorflow

        quiet_tensorflow()
    try:
        status = int(args._module.run(args) or 0)
        log_peak_memory(args.command)
        return status
    except (KmervaeError, OSError) as err:
        print(f"kmervae {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"kmervae {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
