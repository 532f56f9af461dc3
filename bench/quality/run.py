"""Binning-quality benchmark (issue 6): kmervae against its peers on synthetic communities.

Builds simulated assemblies from the real genomes of ``bench/genomes.tsv`` (cut by
``synthetic.make_community``), runs kmervae through the Snakemake workflow on each,
runs the peers on the same contigs, scores every method's bins with the same
``kmervae.binning.evaluation.evaluate`` call and prints a Markdown table (also written to
``bench/.cache/quality/table.md``, or ``OUT/table.md`` with ``--out``).

    .venv/bin/python bench/quality/run.py --install-peers       # 10 genomes x 1 Mbp, seed 1
    .venv/bin/python bench/quality/run.py --genomes 10 30 --seeds 1 2 --train-seeds 42 1 2
    .venv/bin/python bench/quality/run.py --tiny    # 3 committed demo genomes, about 1 min

Methods (``--methods``):

* ``kmervae``: the workflow (``snakemake --snakefile Snakefile --directory RUN``) with
  ``vae: {epochs, seed}``; one run per training seed; wall time and peak RSS are those of
  the whole workflow (features, training, embedding, clustering, bins, plots, evaluation).
* ``tnf``: z-scored 136 canonical 4-mer frequencies of the workflow's feature matrix,
  clustered by ``cluster_embedding`` with the workflow's clustering settings.
* ``raw``: all 8,362 features z-scored, PCA to 256 dimensions, same clustering.
* ``metabat2``: MetaBAT2 without a depth file (composition only), ``-m 1500`` (its
  smallest allowed minimum contig length; shorter contigs stay unbinned), ``-s`` = the
  workflow's min_bin_size, ``--seed 1``.
* ``vamb``: VAMB (separate venv ``bench/.cache/quality/vamb-venv``) with a flat abundance
  (every contig depth 1 in a single sample), see ``run_vamb``.

Peers ``tnf``/``raw`` reuse the features of the first kmervae run; their wall time is
that of their own step (loading, matrix, clustering), not of counting the k-mers.
Every run's results are cached under the output folder: a second call only fills the
gaps (``--rerun`` redoes them).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BENCH = REPO / "bench"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO / "src"))

from genomes import ADDED_TO_TUNE  # noqa: E402
from vae_options import vae_settings  # noqa: E402

DEFAULT_OUT = BENCH / ".cache" / "quality"
SNAKEMAKE = REPO / ".venv" / "bin" / "snakemake"
PYTHON = sys.executable
VAMB_VENV = DEFAULT_OUT / "vamb-venv"
MIN_BIN_SIZE = 200_000
DASH = "\u2013"  # en dash, for ranges and empty cells
METHODS = ("kmervae", "tnf", "raw", "metabat2", "vamb")


# ---------------------------------------------------------------- communities


def catalog() -> list[dict]:
    with open(BENCH / "genomes.tsv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def choose_genomes(n: int) -> list[str]:
    """``n`` genomes: first one strain per species, taken round-robin over the phyla (so a
    small community spans all five), then the further strains in catalog order. The genomes
    added to the tune set later (``genomes.ADDED_TO_TUNE``) are left out, so ``--genomes N``
    stays the community it was."""
    rows = [row for row in catalog() if row["genome"] not in ADDED_TO_TUNE]
    if not 1 <= n <= len(rows):
        raise SystemExit(f"--genomes must be between 1 and {len(rows)}, got {n}")
    phyla: dict[str, list[dict]] = {}
    seen_species = set()
    extra = []
    for row in rows:
        if row["species"] in seen_species:
            extra.append(row["genome"])
            continue
        seen_species.add(row["species"])
        phyla.setdefault(row["phylum"], []).append(row)
    first = []
    queues = list(phyla.values())
    while any(queues):
        for q in queues:
            if q:
                first.append(q.pop(0)["genome"])
    return (first + extra)[:n]


def choose_set(name: str) -> list[str]:
    """The genomes of one of the catalog's disjoint sets (column ``set``: ``tune`` or
    ``heldout``), in catalog order."""
    rows = catalog()
    chosen = [row["genome"] for row in rows if row.get("set") == name]
    if not chosen:
        known = sorted({row.get("set") or "" for row in rows} - {""})
        raise SystemExit(f"no genome of set {name!r} in genomes.tsv (sets: {known or 'none'})")
    return chosen


def community_name(n: int | str, bp: int, seed: int) -> str:
    size = "all" if not bp else (f"{bp // 1000}k" if bp < 1_000_000 else f"{bp / 1e6:g}M")
    prefix = n if isinstance(n, str) else f"g{n}"
    return f"{prefix}_{size}_s{seed}"


def build_community(out: Path, n: int | str, bp: int, seed: int) -> dict:
    """The community of ``n`` genomes (``choose_genomes``) or of the genome set named ``n``,
    cut with ``seed``."""
    from genomes import genome_paths
    from synthetic import make_community

    name = community_name(n, bp, seed)
    folder = out / "communities" / name
    fasta, labels = folder / f"{name}.fna.gz", folder / "labels.tsv"
    chosen = choose_set(n) if isinstance(n, str) else choose_genomes(n)
    listed = folder / "genomes.txt"
    if listed.exists() and listed.read_text().split() != chosen:
        # the catalog's set changed since this community was cut: its runs are stale
        raise SystemExit(
            f"{folder} was cut from other genomes than genomes.tsv now lists for {n!r}; "
            "move it (and runs/{name}) away, or use another --out"
        )
    if not (fasta.exists() and labels.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        listed.write_text("\n".join(chosen) + "\n")
        paths = genome_paths(chosen)
        contigs = make_community(
            {g: paths[g] for g in chosen}, fasta, labels, seed, bp_per_genome=bp or None
        )
        print(f"[{name}] {len(contigs):,} contigs from {len(chosen)} genomes", file=sys.stderr)
    return {
        "name": name,
        "fasta": fasta,
        "labels": labels,
        "genomes": chosen,
        "n": len(chosen),
        "bp": bp,
        "seed": seed,
        "folder": folder,
    }


DEMO = REPO / "resources" / "demo"
TINY_GENOMES = ("ecoli_k12_mg1655", "mtuberculosis_h37rv", "saureus_n315")


def build_demo_community(out: Path, bp: int = 150_000) -> dict:
    """The ``--tiny`` community, from the committed demo contigs (no download): the
    contigs of three demo genomes of three phyla, in file order, up to ``bp`` each."""
    from synthetic import Contig, write_fasta_gz, write_labels

    from kmervae.features.fasta import iter_fasta_records

    name = f"demo{len(TINY_GENOMES)}_{bp // 1000}k"
    folder = out / "communities" / name
    fasta, labels = folder / f"{name}.fna.gz", folder / "labels.tsv"
    if not (fasta.exists() and labels.exists()):
        with open(DEMO / "labels.tsv", encoding="utf-8") as handle:
            origin = {row["contig"]: row for row in csv.DictReader(handle, delimiter="\t")}
        kept, taken = [], dict.fromkeys(TINY_GENOMES, 0)
        for record in iter_fasta_records(DEMO / "demo.fna.gz"):
            row = origin[record.name]
            if row["genome"] in taken and taken[row["genome"]] < bp:
                seq = record.bases().decode()
                start, end = int(row["start"]), int(row["end"])
                kept.append(Contig(record.name, row["genome"], row["record"], start, end, seq))
                taken[row["genome"]] += len(seq)
        write_fasta_gz(kept, fasta)
        write_labels(kept, labels)
        print(f"[{name}] {len(kept):,} demo contigs", file=sys.stderr)
    return {
        "name": name,
        "fasta": fasta,
        "labels": labels,
        "genomes": list(TINY_GENOMES),
        "n": len(TINY_GENOMES),
        "bp": bp,
        "seed": 0,
        "folder": folder,
    }


# ---------------------------------------------------------------- timing


def timed(cmd: list[str], log: Path, cwd: Path | None = None, env=None) -> dict:
    """Run ``cmd`` under ``/usr/bin/time -v``; wall seconds and peak RSS (MiB, largest
    process of the tree)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    tfile = log.with_suffix(".time")
    full = ["/usr/bin/time", "-v", "-o", str(tfile), *map(str, cmd)]
    start = time.monotonic()
    with open(log, "w") as handle:
        handle.write("$ " + shlex.join(map(str, cmd)) + "\n")
        handle.flush()
        rc = subprocess.call(full, stdout=handle, stderr=subprocess.STDOUT, cwd=cwd, env=env)
    wall = time.monotonic() - start
    text = tfile.read_text() if tfile.exists() else ""
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if rc != 0:
        tail = "".join(open(log, errors="replace").readlines()[-25:])
        raise RuntimeError(f"command failed (rc {rc}), log {log}:\n{tail}")
    return {"wall_s": wall, "rss_mib": int(rss.group(1)) / 1024 if rss else float("nan")}


def cached(path: Path, rerun: bool, make) -> dict:
    if path.exists() and not rerun:
        return json.loads(path.read_text())
    result = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1))
    return result


# ---------------------------------------------------------------- methods


KMERVAE = REPO / ".venv" / "bin" / "kmervae"
#: what the workflow computes once per community whatever the training seed: later seeds'
#: runs start from copies of the first run's (mtimes kept, so Snakemake sees them as done)
SEED_INDEPENDENT = (
    "features",
    "markers",
    "benchmarks/count_kmers",
    "benchmarks/find_markers",
)


def kmervae_tag(
    epochs: int,
    train_seed: int,
    max_train_contigs: int | None = None,
    vae_settings: dict | None = None,
    pretrained: bool = False,
    self_training_epochs: int | None = None,
) -> str:
    """A kmervae run's folder name; the training budget and other settings appear only
    when given, so runs cached before ``--max-train-contigs``, ``--vae``,
    ``--pretrained-model`` and ``--self-training-epochs`` keep their names."""
    budget = "" if max_train_contigs is None else f"_b{max_train_contigs}"
    others = "".join(f"_{k}-{v}" for k, v in sorted((vae_settings or {}).items()))
    base = "_pretrained" if pretrained else ""
    second = "" if self_training_epochs is None else f"_st{self_training_epochs}"
    return f"kmervae_e{epochs}{budget}{others}{base}{second}_t{train_seed}"


def run_kmervae(
    comm: dict,
    out: Path,
    epochs: int,
    train_seed: int,
    rerun: bool,
    first: dict | None = None,
    max_train_contigs: int | None = None,
    vae_settings: dict | None = None,
    pretrained: str | None = None,
    self_training_epochs: int | None = None,
) -> dict:
    """The whole workflow on the community with ``vae: {epochs, seed: train_seed}`` (and
    ``max_train_contigs`` and ``vae_settings`` when given; otherwise the VAE defaults;
    with ``pretrained``, a model path in which ``{seed}`` stands for the training seed,
    training starts from that model: config ``pretrained_model``; with
    ``self_training_epochs``, config ``self_training: epochs``).
    With ``first`` (the result of the first training seed's run) the features and marker
    genes are copied from that run instead of being computed again: its wall time is then
    the rest of the workflow (training, embedding, clustering, bins, plots, evaluation)."""
    tag = kmervae_tag(
        epochs, train_seed, max_train_contigs, vae_settings, bool(pretrained), self_training_epochs
    )
    run = out / "runs" / comm["name"] / tag
    sample = comm["name"]

    def make():
        if run.exists():
            shutil.rmtree(run)
        (run / "empty").mkdir(parents=True)
        (run / "samples.tsv").write_text(
            f"sample\tfasta\tlabels\n{sample}\t{comm['fasta']}\t{comm['labels']}\n"
        )
        (run / "config.yaml").write_text(
            f"input_dir: {run / 'empty'}\n"
            f"samples: {run / 'samples.tsv'}\n"
            f"min_bin_size: {MIN_BIN_SIZE}\n"
            + (
                ""
                if pretrained is None
                else f"pretrained_model: {Path(pretrained.format(seed=train_seed)).resolve()}\n"
            )
            + (
                ""
                if self_training_epochs is None
                else f"self_training:\n  epochs: {self_training_epochs}\n"
            )
            + f"vae:\n  epochs: {epochs}\n  seed: {train_seed}\n"
            + ("" if max_train_contigs is None else f"  max_train_contigs: {max_train_contigs}\n")
            + "".join(f"  {k}: {v}\n" for k, v in sorted((vae_settings or {}).items()))
        )
        reused = []
        if first is not None:
            for part in SEED_INDEPENDENT:
                source = Path(first["run"]) / "results" / part
                if source.is_dir():
                    shutil.copytree(source, run / "results" / part, copy_function=shutil.copy2)
                    reused.append(part)
        t = timed(
            [
                SNAKEMAKE,
                "--snakefile",
                REPO / "Snakefile",
                "--directory",
                run,
                "--configfile",
                run / "config.yaml",
                "--cores",
                "2",
                "--quiet",
                *(["--rerun-triggers", "mtime"] if reused else []),
            ],
            out / "logs" / comm["name"] / f"{tag}.log",
        )
        return {**t, "run": str(run), "reused": reused}

    res = cached(run.parent / f"{tag}.json", rerun, make)
    res["results"] = Path(res["run"]) / "results"
    res["clusters"] = res["results"] / "clusters" / f"{sample}.tsv"
    res["summary"] = res["results"] / "bins" / f"{sample}.summary.tsv"
    res["embedding"] = res["results"] / "embeddings" / f"{sample}.npy"
    res["features"] = res["results"] / "features" / f"{sample}.npy"
    res["index"] = res["results"] / "features" / f"{sample}.contigs.tsv"
    res["markers"] = res["results"] / "markers" / f"{sample}.tsv"
    res["workflow_eval"] = res["results"] / "evaluation" / f"{sample}.tsv"
    return res


def kmervae_label(
    epochs: int,
    max_train_contigs: int | None,
    vae_settings: dict | None = None,
    pretrained: bool = False,
    self_training_epochs: int | None = None,
) -> str:
    """kmervae's label in the tables; the training budget and other settings only when
    given."""
    budget = "" if max_train_contigs is None else f", {max_train_contigs:,} training contigs"
    others = "".join(f", {k} {v}" for k, v in sorted((vae_settings or {}).items()))
    base = ", pretrained" if pretrained else ""
    second = (
        ""
        if self_training_epochs is None
        else f", self-training {self_training_epochs} ep."
        if self_training_epochs
        else ", no self-training"
    )
    return f"kmervae ({epochs} ep.{budget}{others}{base}{second})"


def variant_label(label: str, marker_guided: bool) -> str:
    """A method's label in the tables for one of the two clusterings."""
    return label + (" + marker-guided" if marker_guided else "")


def workflow_marker_guided(km: dict) -> bool:
    """Whether the workflow clustered marker-guided (its default since marker-guided
    bins were chosen; runs cached from before clustered plain), as its log says."""
    log = km["results"] / "logs" / "cluster" / f"{km['clusters'].stem}.log"
    return "marker-guided leiden clustering of" in log.read_text(encoding="utf-8")


def cluster_command(
    matrix: Path,
    index: Path,
    markers: Path,
    sample: str,
    clusters: Path,
    summary: Path,
    options=(),
) -> list:
    """``kmervae cluster`` of a matrix as the benchmark runs it: the workflow's settings
    (its min_bin_size), the community's marker table, 2 threads, plus ``options``."""
    return [KMERVAE, "cluster", matrix, "--index", index, "--markers", markers,
            "--min-bin-size", str(MIN_BIN_SIZE), "--sample", sample, "--threads", "2",
            *options, "--clusters", clusters, "--summary", summary]  # fmt: skip


def run_cluster(
    comm: dict, km: dict, matrix: Path, folder: Path, marker_guided: bool, out: Path, rerun: bool
) -> dict:
    """``kmervae cluster`` on any matrix (an embedding, or a peer's raw matrix) with the
    workflow's clustering settings and the community's marker table: every input is
    clustered exactly as the workflow clusters its embedding. Writes ``clusters.tsv`` and
    ``summary.tsv`` (with completeness and contamination) in ``folder``."""
    name = "marker_guided" if marker_guided else "leiden"

    def make():
        folder.mkdir(parents=True, exist_ok=True)
        return timed(
            cluster_command(
                matrix,
                km["index"],
                km["markers"],
                comm["name"],
                folder / f"{name}.clusters.tsv",
                folder / f"{name}.summary.tsv",
                ["--marker-guided" if marker_guided else "--no-marker-guided"],
            ),
            out / "logs" / comm["name"] / f"{folder.name}.{name}.log",
        )

    res = cached(folder / f"{name}.time.json", rerun, make)
    res["clusters"] = folder / f"{name}.clusters.tsv"
    res["summary"] = folder / f"{name}.summary.tsv"
    return res


def run_matrix_peer(method: str, comm: dict, km: dict, out: Path, rerun: bool) -> dict:
    """``tnf`` / ``raw``: this script's ``_peer`` subcommand (the matrix), timed in its own
    process; clustered by ``run_cluster``."""
    folder = out / "runs" / comm["name"] / method

    def make():
        folder.mkdir(parents=True, exist_ok=True)
        t = timed(
            [PYTHON, __file__, "_peer", method, km["features"], folder],
            out / "logs" / comm["name"] / f"{method}.log",
        )
        return t

    res = cached(folder / "time.json", rerun, make)
    res["folder"] = folder
    res["matrix"] = folder / "matrix.npy"
    return res


def peer_main(method: str, features: str, folder: str) -> None:
    """The ``tnf``/``raw`` peers' matrix from the feature matrix (z-scored TNF, or all
    features z-scored and reduced by PCA to 256 dimensions)."""
    from kmervae.binning.evaluation import raw_pca_matrix, tnf_matrix

    f = np.load(features, mmap_mode="r")
    x = tnf_matrix(f) if method == "tnf" else raw_pca_matrix(np.asarray(f), 256, seed=42)
    np.save(Path(folder) / "matrix.npy", np.asarray(x, dtype=np.float32))


def write_bins(path: Path, names, bins) -> None:
    with open(path, "w") as handle:
        handle.write("contig\tbin\n")
        for n, b in zip(names, bins, strict=True):
            handle.write(f"{n}\t{b}\n")


def read_bins(path: Path, names: list[str]) -> np.ndarray:
    """Bin per contig of ``names`` from ``contig\\tbin`` rows; absent contigs unbinned."""
    from kmervae.binning.clustering import UNBINNED

    out = np.full(len(names), UNBINNED, dtype=object)
    pos = {n: i for i, n in enumerate(names)}
    with open(path) as handle:
        next(handle)
        for line in handle:
            contig, b = line.rstrip("\n").split("\t")
            out[pos[contig]] = b
    return out


def run_metabat2(comm: dict, out: Path, rerun: bool) -> dict:
    folder = out / "runs" / comm["name"] / "metabat2"

    def make():
        if shutil.which("metabat2") is None:
            raise RuntimeError("metabat2 not installed (run with --install-peers)")
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        t = timed(
            [
                "metabat2",
                "-i",
                comm["fasta"],
                "-o",
                folder / "bin",
                "-m",
                "1500",
                "-s",
                str(MIN_BIN_SIZE),
                "--seed",
                "1",
                "-t",
                "2",
                "-l",
            ],
            out / "logs" / comm["name"] / "metabat2.log",
        )
        rows = []
        for f in sorted(folder.glob("bin.*")):
            if not re.fullmatch(r"bin\.\d+", f.name):
                continue
            rows += [(line.split()[0], f.name) for line in f.read_text().splitlines() if line]
        with open(folder / "bins.tsv", "w") as handle:
            handle.write("contig\tbin\n")
            handle.writelines(f"{c}\t{b}\n" for c, b in rows)
        return t

    res = cached(folder / "time.json", rerun, make)
    res["bins_tsv"] = folder / "bins.tsv"
    return res


def run_vamb(comm: dict, km: dict, out: Path, rerun: bool) -> dict:
    """VAMB 5 ``bin default`` on the FASTA with a flat abundance TSV (depth 1 everywhere);
    minimum contig length 1000 (the communities' own minimum); clusters.tsv -> bins."""
    folder = out / "runs" / comm["name"] / "vamb"
    vamb = VAMB_VENV / "bin" / "vamb"

    def make():
        if not vamb.exists():
            raise RuntimeError(f"{vamb} not installed (run with --install-peers)")
        from kmervae.features.matrix import read_contig_index

        names, _ = read_contig_index(km["index"])
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        ab = folder / "abundance.tsv"
        ab.write_text("contigname\tsample1\n" + "".join(f"{n}\t1.0\n" for n in names))
        env = {**os.environ, "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
        t = timed(
            [
                vamb,
                "bin",
                "default",
                "--outdir",
                folder / "out",
                "--fasta",
                comm["fasta"],
                "--abundance_tsv",
                ab,
                "-m",
                "1000",
                "-p",
                "2",
                "--seed",
                "1",
            ],
            out / "logs" / comm["name"] / "vamb.log",
            env=env,
        )
        clusters = sorted((folder / "out").glob("vae_clusters*.tsv"))
        unsplit = [c for c in clusters if "unsplit" in c.name] or clusters
        rows = []
        with open(unsplit[0]) as handle:
            next(handle)
            rows = [line.rstrip("\n").split("\t") for line in handle if line.strip()]
        # VAMB lists every clustered contig; singletons are "bins" of one contig there
        with open(folder / "bins.tsv", "w") as handle:
            handle.write("contig\tbin\n")
            handle.writelines(f"{c}\tvamb{b}\n" for b, c in rows)
        t["clusters_file"] = unsplit[0].name
        return t

    res = cached(folder / "time.json", rerun, make)
    res["bins_tsv"] = folder / "bins.tsv"
    latent = folder / "out" / "latent.npz"
    if latent.exists():
        res["latent"] = latent
    return res


VAMB_VERSION = "5.0.4"


def install_peers(methods, out: Path) -> None:
    """Install what the chosen peers need and is missing: MetaBAT2 from Debian
    (``apt-get install metabat``, as root or through sudo) and VAMB in its own venv
    (``pip install vamb==VAMB_VERSION``); logs in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    if "metabat2" in methods and shutil.which("metabat2") is None:
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        with open(out / "apt.log", "a") as log:
            for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "metabat"]):
                subprocess.run([*sudo, *cmd], stdout=log, stderr=subprocess.STDOUT, check=True)
    if "vamb" in methods and not (VAMB_VENV / "bin" / "vamb").exists():
        with open(out / "pip.log", "a") as log:
            subprocess.run(
                [sys.executable, "-m", "venv", "--clear", VAMB_VENV],
                stdout=log, stderr=subprocess.STDOUT, check=True,
            )  # fmt: skip
            subprocess.run(
                [VAMB_VENV / "bin" / "pip", "install", f"vamb=={VAMB_VERSION}"],
                stdout=log, stderr=subprocess.STDOUT, check=True,
            )  # fmt: skip


def rule_seconds(results: Path) -> dict[str, float]:
    """Wall seconds per workflow rule (its ``benchmark:`` files), summed over jobs."""
    out: dict[str, float] = {}
    for f in sorted((results / "benchmarks").rglob("*.tsv")):
        rule = f.parent.name if f.parent.name != "benchmarks" else f.stem
        with open(f) as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        out[rule] = out.get(rule, 0.0) + sum(float(r["s"]) for r in rows)
    return out


# ---------------------------------------------------------------- scoring


def score(names, lengths, genomes, bins: np.ndarray, matrix=None) -> dict:
    """``evaluate``'s metrics of ``bins``; with ``matrix`` also its k-means ARI."""
    from kmervae.binning.evaluation import evaluate

    metrics, _ = evaluate(names, lengths, bins, genomes, embedding=matrix)
    return dict(metrics)


def singleton_bins_to_unbinned(bins: np.ndarray) -> np.ndarray:
    """Bins of a single contig count as unbinned (as kmervae's own clustering does)."""
    from kmervae.binning.clustering import UNBINNED

    bins = np.asarray(bins, dtype=object).copy()
    _, inverse, counts = np.unique(bins.astype(str), return_inverse=True, return_counts=True)
    bins[(counts[inverse] == 1)] = UNBINNED
    return bins


def vamb_latent_matrix(latent: Path, names: list[str]) -> np.ndarray | None:
    data = np.load(latent, allow_pickle=True)
    keys = list(data.keys())
    z = data[keys[0]] if len(keys) == 1 else data["arr_0"]
    return z if len(z) == len(names) else None


def calibration_rows(summary: Path, names, lengths, genomes, bins) -> list[dict]:
    """Per written bin (>= min_bin_size): the workflow's estimated completeness and
    contamination (bin summary, from marker genes) beside the truth: recall and precision
    of the bin's main genome (the genome with the most bp in it), in percent."""
    from kmervae.binning.evaluation import genome_bin_table

    table = genome_bin_table(genomes, bins, lengths)
    col = {b: j for j, b in enumerate(table.bins)}
    out = []
    with open(summary, encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["written"] != "yes":
                continue
            j = col[row["bin"]]
            g = int(np.argmax(table.shared[:, j]))
            out.append(
                {
                    "bin": row["bin"],
                    "bp": int(row["bp"]),
                    "completeness": float(row["completeness"]),
                    "contamination": float(row["contamination"]),
                    "quality": row["quality"],
                    "marker_set": row["marker_set"],
                    "genome": table.genomes[g],
                    "recall": round(100 * float(table.recall[g, j]), 2),
                    "precision": round(100 * float(table.precision[g, j]), 2),
                }
            )
    return out


def write_rows(path: Path, rows: list[dict]) -> None:
    keys = sorted({k for r in rows for k in r})
    keys = ["community", "method"] + [k for k in keys if k not in ("community", "method")]
    with open(path, "w") as handle:
        handle.write("\t".join(keys) + "\n")
        for r in rows:
            handle.write("\t".join(str(r.get(k, "")) for k in keys) + "\n")


# ---------------------------------------------------------------- table


def fmt(values: list, digits: int = 3) -> str:
    vals = [v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
    if not vals:
        return DASH
    if all(isinstance(v, (int, np.integer)) for v in vals):
        if len(vals) == 1:
            return f"{vals[0]}"
        return f"{statistics.mean(vals):.1f} ({min(vals)}{DASH}{max(vals)})"
    m = statistics.mean(vals)
    if len(vals) == 1:
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} ± {statistics.stdev(vals):.{digits}f}"


COLUMNS = [
    ("k-means ARI, true k (normalised / as is)", None),
    ("ARI", "ari"),
    ("NMI", "nmi"),
    ("nc (r ≥ 0.9, p ≥ 0.95)", "near_complete"),
    ("r ≥ 0.5, p ≥ 0.9", "recovered_r0.50_p0.90"),
    ("bins", "bins"),
    ("bp binned", "fraction_bp_binned"),
    ("wall s", "wall_s"),
    ("peak RSS MiB", "rss_mib"),
]


def table(rows: list[dict]) -> str:
    head = "| community | method | runs | " + " | ".join(c for c, _ in COLUMNS) + " |"
    sep = "| --- | --- | ---: | " + " | ".join("---:" for _ in COLUMNS) + " |"
    lines = [head, sep]
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["community"], r["method"]), []).append(r)
    for (community, method), rs in groups.items():
        cells = []
        for _, key in COLUMNS:
            if key is None:
                a = fmt([r.get("kmeans_ari_vae_normalized") for r in rs])
                b = fmt([r.get("kmeans_ari_vae") for r in rs])
                cells.append(DASH if a == b == DASH else f"{a} / {b}")
            elif key == "fraction_bp_binned":
                cells.append(fmt([100 * r[key] for r in rs], 1) + " %")
            elif key in ("wall_s", "rss_mib"):
                cells.append(fmt([float(r[key]) for r in rs], 0))
            else:
                cells.append(fmt([r[key] for r in rs]))
        lines.append(f"| {community} | {method} | {len(rs)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def bench_community(args, out: Path, comm: dict, rows, calibration, skipped, configs) -> None:
    """Run and score every method on one community; appends to the lists given."""
    from kmervae.binning.clustering import read_clusters
    from kmervae.binning.evaluation import read_labels
    from kmervae.features.matrix import read_contig_index

    t0 = time.monotonic()
    base = {"community": comm["name"]}
    kms: list[dict] = []
    for ts in args.train_seeds:
        first = kms[0] if kms else None
        kms.append(
            run_kmervae(
                comm,
                out,
                args.epochs,
                ts,
                args.rerun,
                first,
                args.max_train_contigs,
                args.vae,
                args.pretrained_model,
                args.self_training_epochs,
            )
        )
    km0 = kms[0]
    names, lengths = read_contig_index(km0["index"])
    genomes, _ = read_labels(comm["labels"], names)

    def add(method, bins, matrix, timing, summary=None, kmeans=None, **extra) -> dict:
        """Score ``bins`` into a row; ``kmeans``: the k-means ARI fields of the same matrix,
        already computed (they do not depend on the bins)."""
        m = score(names, lengths, genomes, bins, None if kmeans else matrix)
        m.update(kmeans or {})
        rows.append({**base, "method": method, **extra, **m,
                     "wall_s": timing["wall_s"], "rss_mib": timing["rss_mib"]})  # fmt: skip
        if summary is not None:
            for r in calibration_rows(summary, names, lengths, genomes, bins):
                calibration.append({**base, "method": method, **extra, **r})
        return m

    for ts, km in zip(args.train_seeds, kms, strict=True):
        z = np.load(km["embedding"])
        label = kmervae_label(
            args.epochs,
            args.max_train_contigs,
            args.vae,
            bool(args.pretrained_model),
            args.self_training_epochs,
        )
        kmeans = None  # the embedding's k-means ARI, computed with its first clustering
        # the workflow's own bins are one of the clusterings (its default); the other is
        # kmervae cluster on the same embedding, as for the peers' matrices
        workflow_guided = workflow_marker_guided(km)
        for variant in ["leiden", "marker-guided"]:
            guided = variant == "marker-guided"
            if guided == workflow_guided:
                res = km
            elif variant in args.clusterings:
                folder = Path(km["run"]) / "bench"
                res = run_cluster(comm, km, km["embedding"], folder, guided, out, args.rerun)
            else:
                continue
            bins = read_clusters(res["clusters"], names)
            m = add(variant_label(label, guided), bins, z, res, res["summary"], kmeans,
                    train_seed=ts)  # fmt: skip
            if res is km:
                with open(km["workflow_eval"], encoding="utf-8") as handle:
                    wf = dict(line.rstrip("\n").split("\t") for line in handle)
                assert abs(float(wf["ari"]) - m["ari"]) < 1e-4, "rescoring differs from workflow"
            kmeans = {k: v for k, v in m.items() if k.startswith("kmeans_")}
    for method in [m for m in args.methods if m != "kmervae"]:
        try:
            if method in ("tnf", "raw"):
                res = run_matrix_peer(method, comm, km0, out, args.rerun)
                matrix = np.load(res["matrix"])
                label = "raw TNF (136, z)" if method == "tnf" else "raw 8,362 (z, PCA 256)"
                kmeans = None  # the matrix's k-means ARI, computed with its first clustering
                for variant in args.clusterings:
                    guided = variant == "marker-guided"
                    cl = run_cluster(comm, km0, res["matrix"], res["folder"], guided, out,
                                     args.rerun)  # fmt: skip
                    timing = {"wall_s": res["wall_s"] + cl["wall_s"],
                              "rss_mib": max(res["rss_mib"], cl["rss_mib"])}  # fmt: skip
                    bins = read_clusters(cl["clusters"], names)
                    m = add(variant_label(label, guided), bins, matrix, timing, cl["summary"],
                            kmeans)  # fmt: skip
                    kmeans = {k: v for k, v in m.items() if k.startswith("kmeans_")}
                continue
            matrix = None
            if method == "metabat2":
                res = run_metabat2(comm, out, args.rerun)
                label = "MetaBAT2 (TNF only, ≥ 1.5 kb)"
            else:
                res = run_vamb(comm, km0, out, args.rerun)
                if "latent" in res:
                    matrix = vamb_latent_matrix(res["latent"], names)
                label = "VAMB (flat depth)"
            bins = read_bins(res["bins_tsv"], names)
            if method == "vamb":
                bins = singleton_bins_to_unbinned(bins)
            add(label, bins, matrix, res)
        except Exception as err:
            if not args.keep_going:
                raise
            first = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
            skipped.append(f"{method} on {comm['name']}: {first}")
    steps = rule_seconds(km0["results"])
    configs.append(
        f"{comm['name']}: {len(comm['genomes'])} genomes "
        f"({', '.join(comm['genomes'])}), {len(names):,} contigs, "
        f"{sum(lengths) / 1e6:.1f} Mbp, "
        f"{time.monotonic() - t0:.0f} s for this community in this call; kmervae "
        f"workflow steps (s, training seed {args.train_seeds[0]}): "
        + ", ".join(f"{k} {v:.0f}" for k, v in sorted(steps.items(), key=lambda kv: -kv[1]))
    )


# ---------------------------------------------------------------- main


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--genomes",
        type=int,
        nargs="+",
        default=[10],
        help="community sizes (genomes per community; default 10; 30 = all)",
    )
    p.add_argument(
        "--bp-per-genome",
        type=int,
        default=1_000_000,
        help="bp of contigs kept per genome (0 = whole genomes; default 1 Mbp)",
    )
    p.add_argument(
        "--set",
        nargs="+",
        choices=("tune", "heldout"),
        help="communities of the catalog's disjoint genome sets (genomes.tsv column set) "
        "instead of --genomes",
    )
    p.add_argument("--seeds", type=int, nargs="+", default=[1], help="community seeds")
    p.add_argument(
        "--clusterings",
        nargs="+",
        choices=("leiden", "marker-guided"),
        default=["leiden", "marker-guided"],
        help="clusterings of every embedding and raw matrix, all by `kmervae cluster` with "
        "the workflow's settings (default: both); the workflow's own bins are always scored",
    )
    p.add_argument(
        "--train-seeds",
        type=int,
        nargs="+",
        default=[42],
        help="kmervae training seeds (vae: seed), one workflow run each",
    )
    from kmervae.vae.config import VAEConfig

    p.add_argument(
        "--epochs",
        type=int,
        default=VAEConfig().epochs,
        help="kmervae epochs (vae: epochs; default: the VAE default, %(default)s)",
    )
    p.add_argument(
        "--max-train-contigs",
        type=int,
        default=None,
        metavar="N",
        help="kmervae training budget (vae: max_train_contigs; 0 = every contig; default: "
        f"the VAE default, {VAEConfig().max_train_contigs:,}); in the run's folder name "
        "(kmervae_e40_b6000_t42) and the table's label",
    )
    p.add_argument(
        "--vae",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="other kmervae VAE settings (vae: KEY: VALUE, e.g. cannot_link_weight=100); "
        "in the run's folder name and the table's label",
    )
    p.add_argument(
        "--pretrained-model",
        default=None,
        metavar="KERAS",
        help="kmervae training starts from this trained model (config pretrained_model; "
        "{seed} in the path stands for the training seed, e.g. a model of a tune-set run "
        "of the same seed); '_pretrained' in the run's folder name and the table's label",
    )
    p.add_argument(
        "--self-training-epochs",
        type=int,
        default=None,
        metavar="N",
        help="epochs of kmervae's second round of training (config self_training: epochs; "
        "0 = none; default: the workflow's default); in the run's folder name and the "
        "table's label",
    )
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"work folder (default {DEFAULT_OUT}, or its tiny/ with --tiny)",
    )
    p.add_argument("--rerun", action="store_true", help="ignore cached runs")
    p.add_argument(
        "--install-peers",
        action="store_true",
        help="install a missing MetaBAT2 (apt-get, root or sudo) and VAMB "
        f"{VAMB_VERSION} (its own venv under bench/.cache/quality) first",
    )
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="report a failing peer in the table instead of stopping",
    )
    p.add_argument(
        "--tiny",
        action="store_true",
        help="3 demo genomes x 150 kbp (committed data, no download), 2 epochs, kmervae + tnf, "
        "both clusterings (the smoke test of tests/test_quality_bench.py)",
    )
    args = p.parse_args(argv)
    if args.max_train_contigs is not None and args.max_train_contigs < 0:
        p.error(
            f"--max-train-contigs must be >= 0 (0 = every contig), got {args.max_train_contigs}"
        )
    args.vae = vae_settings(p, args.vae, ("epochs", "seed", "max_train_contigs"))
    if args.tiny:
        args.genomes, args.bp_per_genome, args.seeds = [3], 150_000, [1]
        args.train_seeds, args.epochs = [42], 2
        args.methods = ["kmervae", "tnf"]
        args.set = None
        args.clusterings = ["leiden", "marker-guided"]
    if args.out is None:
        args.out = DEFAULT_OUT / "tiny" if args.tiny else DEFAULT_OUT
    args.out = args.out.resolve()
    return args


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_peer":
        peer_main(*argv[1:])
        return 0
    args = parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    if args.install_peers:
        install_peers(args.methods, out)
    started = time.monotonic()
    rows: list[dict] = []
    skipped: list[str] = []
    configs: list[str] = []

    calibration: list[dict] = []
    communities = [(n, seed) for n in (args.set or args.genomes) for seed in args.seeds]
    for n, seed in communities:
        comm = (
            build_demo_community(out)
            if args.tiny
            else build_community(out, n, args.bp_per_genome, seed)
        )
        bench_community(args, out, comm, rows, calibration, skipped, configs)

    write_rows(out / "calibration.tsv", calibration)
    write_rows(out / "results.tsv", rows)

    cmd = "python bench/quality/run.py " + shlex.join(argv)
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"{date}. `{cmd.strip()}` ({time.monotonic() - started:.0f} s; "
        f"{os.cpu_count()} CPUs, {platform.machine()}, CPU only).\n"
        f"Communities: {args.bp_per_genome or 'whole'} bp per genome, "
        f"contigs log-normal (median 3 kb, min 1 kb); kmervae {args.epochs} epochs, "
        + (
            ""
            if args.max_train_contigs is None
            else f"at most {args.max_train_contigs:,} training contigs, "
        )
        + f"training seeds {', '.join(map(str, args.train_seeds))}.\n\n"
        + "".join(f"- {c}\n" for c in configs)
        + "\n"
        + table(rows)
        + "\n"
        "k-means ARI at the true number of genomes (DNABERT-S protocol) on each method's\n"
        "matrix: rows normalised as `kmervae cluster` does / as they are (kmervae: the\n"
        "embedding; TNF/raw: their z-scored matrices; VAMB: its latent space). Other columns\n"
        "score each method's own bins with `kmervae.binning.evaluation` (unbinned contigs are\n"
        "singletons for ARI/NMI). nc: genomes with a bin of recall ≥ 0.9 and precision ≥\n"
        "0.95. Wall time / peak RSS from `/usr/bin/time -v`: kmervae = the whole workflow\n"
        "(k-mer counting, training, embedding, clustering, bins, plots, evaluation); TNF/raw\n"
        "= their own step on kmervae's feature matrix (counting not included); MetaBAT2 and\n"
        "VAMB = their whole run from the FASTA. A machine shared with other jobs inflates them.\n"
        + ("".join(f"\nNot run: {s}" for s in skipped) + "\n" if skipped else "")
    )
    (out / "table.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
