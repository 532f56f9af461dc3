"""Shared by the tuning scripts: where a benchmark community's data is, how a
clustering is scored, and the command line of a clustering sweep.

Every script reads the folder that ``bench/quality/run.py`` writes (its ``--out``), given
by ``--data`` (:func:`add_data_option`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "src"))
#: the folder ``bench/quality/run.py`` writes by default (its ``--out``)
DEFAULT_DATA = REPO / "bench" / ".cache" / "quality"
#: the communities and training seeds of the binning benchmark's first table (BENCHMARKS.md)
COMMUNITIES = ("g10_1M_s1", "g10_1M_s2", "g30_1M_s1", "g30_1M_s2")
TRAIN_SEEDS = (42, 1, 2)


def add_data_option(parser: argparse.ArgumentParser) -> None:
    """``--data DIR``: the folder ``bench/quality/run.py`` wrote."""
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        metavar="DIR",
        help="the folder bench/quality/run.py wrote (its --out; default: %(default)s)",
    )


def community_folder(data: Path, name: str) -> Path:
    """``DATA/communities/NAME``: the FASTA ``NAME.fna.gz`` and ``labels.tsv`` of a
    community that ``bench/quality/run.py`` built."""
    folder = Path(data) / "communities" / name
    if not (folder / f"{name}.fna.gz").is_file() or not (folder / "labels.tsv").is_file():
        raise SystemExit(
            f"{folder}: no {name}.fna.gz and labels.tsv; first run bench/quality/run.py with "
            f"--out {data} and the --genomes / --seeds that build community {name}"
        )
    return folder


def community(data: Path, name: str) -> dict:
    """FASTA, labels, feature matrix and contig index of a community that
    ``bench/quality/run.py`` has built and run kmervae on (any kmervae run's features:
    they do not depend on the training)."""
    folder = community_folder(data, name)
    runs = sorted((Path(data) / "runs" / name).glob(f"kmervae_*/results/features/{name}.npy"))
    if not runs:
        raise SystemExit(
            f"{Path(data) / 'runs' / name}: no kmervae run with features; first run "
            f"bench/quality/run.py with --out {data} and the --genomes / --seeds that build "
            f"community {name}"
        )
    matrix = runs[0]
    return {
        "name": name,
        "fasta": folder / f"{name}.fna.gz",
        "labels": folder / "labels.tsv",
        "features": matrix,
        "index": matrix.with_name(f"{name}.contigs.tsv"),
    }


def benchmark_matrices(data: Path, name: str, train_seeds=TRAIN_SEEDS) -> dict[str, Path]:
    """Paths of a community's kmervae embeddings (``t{seed}``, 40-epoch runs) and of the
    raw TNF / raw feature matrices (``tnf``, ``raw``) that ``bench/quality/run.py`` left."""
    folder = Path(data) / "runs" / name
    paths = {
        f"t{t}": folder / f"kmervae_e40_t{t}" / "results" / "embeddings" / f"{name}.npy"
        for t in train_seeds
    }
    return paths | {peer: folder / peer / "matrix.npy" for peer in ("tnf", "raw")}


def load(data: Path, name: str):
    """(community dict, contig names, lengths, genome per contig)."""
    from kmervae.binning.evaluation import read_labels
    from kmervae.features.matrix import read_contig_index

    c = community(data, name)
    names, lengths = read_contig_index(c["index"])
    genomes, _ = read_labels(c["labels"], names)
    return c, names, lengths, genomes


def score_labels(names, lengths, genomes, labels, z=None) -> dict:
    """Near-complete genomes, ARI and bins of cluster labels (-1: unbinned; one-contig
    clusters unbinned too) and, given the embedding ``z``, k-means ARI at the true k of
    its normalised rows."""
    import numpy as np

    from kmervae.binning.clustering import UNBINNED, singletons_to_unbinned
    from kmervae.binning.evaluation import evaluate

    labels = singletons_to_unbinned(labels, lengths, 200_000)
    bins = np.array([f"b{i}" for i in labels], dtype=object)
    bins[labels < 0] = UNBINNED
    m = dict(evaluate(names, lengths, bins, genomes, embedding=z)[0])
    out = {"nc": m["near_complete"], "ari": round(m["ari"], 3), "bins": m["bins"]}
    if z is not None:
        out["kmeans_ari"] = round(m["kmeans_ari_vae_normalized"], 3)
    return out


def score(names, lengths, genomes, z, kmeans: bool = True, **cluster_settings) -> dict:
    """``score_labels`` of HDBSCAN + refine (with overrides), the clustering the training
    defaults were chosen with (BENCHMARKS.md); ``kmeans``: also k-means ARI."""
    from kmervae.binning.clustering import ClusterParams, cluster_embedding

    params = ClusterParams(algorithm="hdbscan", min_bin_size=200_000, **cluster_settings)
    labels = cluster_embedding(z, lengths, params)
    return score_labels(names, lengths, genomes, labels, z if kmeans else None)


def clustering_sweep(description: str, value_help: str, labels_by_value) -> None:
    """The command line of a clustering sweep over the benchmark's saved matrices:
    positional values, ``--communities``, ``--train-seeds``, ``--data``. For each community and
    matrix (kmervae runs ``t{seed}``, raw ``tnf`` and ``raw``), ``labels_by_value(x,
    values)`` gets the unit-length rows and yields (value, cluster labels); near-complete
    genomes and ARI are printed per run, then per value the kmervae runs, their sum and
    the peers."""
    import numpy as np

    from kmervae.binning.clustering import normalize

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("values", type=float, nargs="+", help=value_help)
    parser.add_argument("--communities", nargs="+", default=list(COMMUNITIES))
    parser.add_argument("--train-seeds", type=int, nargs="+", default=list(TRAIN_SEEDS))
    add_data_option(parser)
    args = parser.parse_args()
    nc: dict[float, dict[tuple[str, str], int]] = {v: {} for v in args.values}
    for name in args.communities:
        _, names, lengths, genomes = load(args.data, name)
        for matrix, path in benchmark_matrices(args.data, name, args.train_seeds).items():
            x = normalize(np.load(path))
            for value, labels in labels_by_value(x, args.values):
                m = score_labels(names, lengths, genomes, labels)
                binned = lengths[labels >= 0].sum() / lengths.sum()
                nc[value][(name, matrix)] = m["nc"]
                print(name, matrix, f"value {value}", f"nc {m['nc']}", f"ari {m['ari']}",
                      f"bp in clusters {binned:.3f}", flush=True)  # fmt: skip
    for value, runs in nc.items():
        kmervae = [runs[(c, f"t{t}")] for c in args.communities for t in args.train_seeds]
        peers = {p: [runs[(c, p)] for c in args.communities] for p in ("tnf", "raw")}
        print(f"value {value}: kmervae {kmervae} (sum {sum(kmervae)}); {peers}")
