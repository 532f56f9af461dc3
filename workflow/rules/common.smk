"""Config validation, the sample list and input functions shared by all rules."""

import math
import os
import shlex
import sys
from pathlib import Path

from snakemake.utils import validate

# The rules run the kmervae package of this checkout through workflow/bin/kmervae, also in
# conda environments that do not install it. Without --use-conda the jobs use the Python
# that runs Snakemake (the .venv of `make demo`), so no environment needs activating.
_BIN = Path(workflow.basedir) / "workflow" / "bin"
_USES_CONDA = any(
    m.name == "CONDA" for m in workflow.deployment_settings.deployment_method
)
_PYTHON = (
    "" if _USES_CONDA else f"export KMERVAE_PYTHON={shlex.quote(sys.executable)}; "
)
shell.prefix(
    f"set -euo pipefail; export PATH={shlex.quote(str(_BIN))}:$PATH; {_PYTHON}"
)
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from kmervae.binning.clustering import (  # noqa: E402
    ClusterParams,
    neighbour_block_bytes,
)
from kmervae.commands.options import command_options, settings_from_config  # noqa: E402
from kmervae.vae.config import VIEW_SETTINGS, VAEConfig  # noqa: E402
from kmervae.samples import (  # noqa: E402
    choose_training_samples,
    discover_samples,
    no_samples_message,
    name_pattern,
)

validate(config, workflow.source_path("../schemas/config.schema.yaml"))

SAMPLES = discover_samples(config["input_dir"], config["samples"])
if not SAMPLES:
    logger.warning(no_samples_message(config["input_dir"], config["samples"]))
FEATURE_CHUNKS = config["feature_chunks"]


scattergather:
    features=FEATURE_CHUNKS,


MODEL_DIR = "results/model"
# the model that embeds every sample: one trained elsewhere, or the one trained here
MODEL = config["model"] or f"{MODEL_DIR}/vae.keras"
TRAINS_MODEL = not config["model"]
if not TRAINS_MODEL and not Path(MODEL).exists():
    raise WorkflowError(f"config model: {MODEL} does not exist")
# a base model (kmervae train, .keras) whose weights training starts from, fine-tuned
# on this run's samples
PRETRAINED_MODEL = config["pretrained_model"]
if PRETRAINED_MODEL and not TRAINS_MODEL:
    raise WorkflowError(
        "config model: and pretrained_model: exclude each other: model: embeds with a "
        "finished model and trains none; pretrained_model: starts the training of one"
    )
if PRETRAINED_MODEL and not Path(PRETRAINED_MODEL).exists():
    raise WorkflowError(f"config pretrained_model: {PRETRAINED_MODEL} does not exist")
PRETRAINED_OPTION = (
    f"--init-model {shlex.quote(PRETRAINED_MODEL)}" if PRETRAINED_MODEL else ""
)
TRAIN_SAMPLES = choose_training_samples(
    SAMPLES, config["train_samples"], f"{MODEL_DIR}/provenance.json"
)


def shell_options(cls, settings, names=None, what=None):
    """The options of a kmervae command that give ``settings`` (of the settings
    dataclass ``cls``), quoted for the shell. Checked here, with the command's own
    errors, so that a typo in config.yaml stops the workflow before any job runs.
    Every setting is spelled out, defaults included: a job reruns when a default of
    the package changes, not only when config.yaml does."""
    options = command_options(cls, settings, names, what, complete=True)
    return " ".join(shlex.quote(o) for o in options)


# `kmervae train` options from the vae: section
TRAIN_OPTIONS = shell_options(VAEConfig, config["vae"], what="vae settings")
# the contrastive term trains on substring views of the training contigs
VAE_SETTINGS = settings_from_config(VAEConfig, config["vae"], what="vae settings")
# self-training: a second round fine-tunes the first round's model, with partners from
# its bins; the model that embeds every sample (MODEL) is then the second round's
if VAE_SETTINGS.partner_share > 0:
    raise WorkflowError(
        "config vae: partner_share is for the second round of self-training only; set "
        "self_training: partner_share (and self_training: epochs > 0) instead"
    )
SELF_TRAINING = TRAINS_MODEL and config["self_training"]["epochs"] > 0
SELF_TRAINING_VAE = {
    **config["vae"],
    "epochs": config["self_training"]["epochs"],
    "learning_rate": config["self_training"]["learning_rate"],
    "partner_share": config["self_training"]["partner_share"],
}
if SELF_TRAINING:
    SELF_TRAIN_OPTIONS = shell_options(
        VAEConfig, SELF_TRAINING_VAE, what="vae and self_training settings"
    )
    SELF_TRAIN_SETTINGS = settings_from_config(
        VAEConfig, SELF_TRAINING_VAE, what="vae and self_training settings"
    )
FIRST_ROUND_DIR = "results/first_round"
# where train_vae writes its model, and the report's name for its curves
TRAIN_DIR = f"{FIRST_ROUND_DIR}/model" if SELF_TRAINING else MODEL_DIR
TRAIN_FIGURE = "training curves, first round" if SELF_TRAINING else "training curves"
VIEW_OPTIONS = shell_options(VAEConfig, VAE_SETTINGS, VIEW_SETTINGS)
CLUSTER_OPTIONS = shell_options(
    ClusterParams,
    {**config["clustering"], "min_bin_size": config["min_bin_size"]},
    what="clustering settings",
)
# bin FASTA files gzipped ({bin}.fna.gz) or plain ({bin}.fna)
BIN_FILES = "--compress-bins" if config["compress_bins"] else "--no-compress-bins"
CLUSTER_SETTINGS = settings_from_config(
    ClusterParams, config["clustering"], what="clustering settings"
)
LABELLED = [name for name, sample in SAMPLES.items() if sample.labels]


wildcard_constraints:
    sample=name_pattern(SAMPLES),


def fasta_of(wildcards):
    """The FASTA file of a sample."""
    return SAMPLES[wildcards.sample].fasta


# count_kmers runs once per counting unit: a whole sample, or with feature_chunks > 1
# each chunk of it, whose matrices and indexes gather_features joins. COUNT_UNIT names a
# unit's logs and benchmarks, COUNTED its matrix and contig index.
if FEATURE_CHUNKS == 1:
    COUNT_UNIT = "{sample}"
    COUNT_FASTA = fasta_of
    COUNTED = "results/features/{sample}"
else:
    COUNT_UNIT = "{sample}/{scatteritem}"
    COUNT_FASTA = "results/chunks/{sample}/{scatteritem}.fa"
    COUNTED = "results/chunks/{sample}/{scatteritem}"
# a chunk may hold no contig long enough; gather_features checks the whole sample
COUNT_ALLOW_EMPTY = "--allow-empty" if FEATURE_CHUNKS > 1 else ""


# find_markers runs once per counting unit too; a chunk's table is temporary once
# gather_markers has joined the chunks' tables into the sample's, which is in the report
MARKER_TABLE = report(
    "results/markers/{sample}.tsv",
    caption="../report/markers.rst",
    category="Bins",
    subcategory="{sample}",
    labels={"sample": "{sample}", "table": "marker genes"},
)
MARKERS_OF_UNIT = (
    MARKER_TABLE
    if FEATURE_CHUNKS == 1
    else temp("results/chunks/{sample}/{scatteritem}.markers.tsv")
)


def counted(suffix):
    """The matrix (".npy") or contig index (".contigs.tsv") of a counting unit: the
    sample's own file, or a chunk's, which is temporary once gathered."""
    path = f"{COUNTED}{suffix}"
    return temp(path) if FEATURE_CHUNKS > 1 else path


def fasta_mb(wildcards, input):
    """Size of the input FASTA in MB (compressed size for .gz files)."""
    return max(1, math.ceil(os.path.getsize(input.fasta) / 1e6))


def count_mem_mb(wildcards, attempt):
    """Counting peaks at 42-49 MiB whatever the input size (BENCHMARKS.md): 500 MB is
    ample headroom, doubled on each retry."""
    return 500 * 2 ** (attempt - 1)


def count_runtime(wildcards, input, attempt):
    """Minutes for counting: measured 30-100 Mbp/s on one core (BENCHMARKS.md); gzip
    files hold about 3.5 bp per byte. Generous, and longer on each retry."""
    mbp = fasta_mb(wildcards, input) * (3.5 if str(input.fasta).endswith(".gz") else 1)
    return int(10 + attempt * mbp / 10 / 60 * 3)


def gather_runtime(wildcards, input, attempt):
    """Minutes for joining chunk matrices: a copy, about 1 GB/s."""
    gb = sum(os.path.getsize(p) for p in input.matrices) / 1e9
    return int(5 + attempt * gb * 3)


def training_matrices(wildcards):
    """Feature matrices of the training samples."""
    return expand("results/features/{sample}.npy", sample=TRAIN_SAMPLES)


def training_views(wildcards):
    """Sequences of the training samples' training contigs, for their substring views
    (none without the contrastive term)."""
    if not VAE_SETTINGS.uses_views:
        return []
    return expand("results/views/{sample}.npy", sample=TRAIN_SAMPLES)


def pretrained_model(wildcards):
    """The base model training starts from (none unless config pretrained_model:)."""
    return [PRETRAINED_MODEL] if PRETRAINED_MODEL else []


def training_markers(wildcards):
    """Marker tables and contig indexes of the training samples, for the cannot-link
    term (none without it)."""
    if not VAE_SETTINGS.uses_markers:
        return {"markers": [], "index": []}
    return {
        "markers": expand("results/markers/{sample}.tsv", sample=TRAIN_SAMPLES),
        "index": expand("results/features/{sample}.contigs.tsv", sample=TRAIN_SAMPLES),
    }


def first_round_bins(wildcards):
    """With self-training, a training sample's first-round bins: candidates of its
    marker-guided clustering beside the Leiden runs of the second round's embedding."""
    if SELF_TRAINING and wildcards.sample in TRAIN_SAMPLES:
        return [f"{FIRST_ROUND_DIR}/clusters/{wildcards.sample}.tsv"]
    return []


def candidate_bins_option(wildcards):
    """``--candidate-bins TABLE`` for kmervae cluster (the first-round bins), or nothing."""
    bins = first_round_bins(wildcards)
    return f"--candidate-bins {shlex.quote(bins[0])}" if bins else ""


def self_training_inputs(wildcards):
    """The first round's bins of the training samples, their summaries and contig
    indexes, and the marker tables if the cannot-link term is on."""
    return {
        "bins": expand(
            f"{FIRST_ROUND_DIR}/clusters/{{sample}}.tsv", sample=TRAIN_SAMPLES
        ),
        "summaries": expand(
            f"{FIRST_ROUND_DIR}/clusters/{{sample}}.summary.tsv", sample=TRAIN_SAMPLES
        ),
        "index": expand("results/features/{sample}.contigs.tsv", sample=TRAIN_SAMPLES),
        "markers": training_markers(wildcards)["markers"],
    }


def matrix_contigs(paths):
    """Contigs in .npy feature matrices, from their sizes (8,362 float32 per row)."""
    return sum(os.path.getsize(p) for p in paths) // (8362 * 4)


def tensorflow_mem_mb(wildcards, attempt):
    """Training and embedding peak at ~1.5-1.6 GB RSS, flat in the number of contigs
    (BENCHMARKS.md); doubled for headroom, more on each retry."""
    return 3000 * attempt


def training_minutes(settings, input, attempt):
    """Minutes: on real features about 600 contigs/s per epoch on 2 CPU cores, 400 with
    the contrastive term (a second encoder pass and the views counted on the fly;
    BENCHMARKS.md, "Real-size samples"), up to the configured epochs; a GPU is much
    faster. At most max_train_contigs train. Twice that, longer on each retry."""
    rate = 400 if settings.uses_views else 600
    contigs = matrix_contigs(input.features)
    if settings.max_train_contigs:
        contigs = min(contigs, settings.max_train_contigs)
    seconds = settings.epochs * contigs / rate
    return int(15 + attempt * seconds / 60 * 2)


def train_runtime(wildcards, input, attempt):
    """Minutes of the (first round of) training."""
    return training_minutes(VAE_SETTINGS, input, attempt)


def self_train_runtime(wildcards, input, attempt):
    """Minutes of the second round of training."""
    return training_minutes(SELF_TRAIN_SETTINGS, input, attempt)


def embed_runtime(wildcards, input, attempt):
    """Minutes: embedding runs at thousands of contigs per second on 2 cores."""
    return int(10 + attempt * matrix_contigs([input.features]) / 1000 / 60 * 3)


def cluster_mem_mb(wildcards, input, threads, attempt):
    """MB: Leiden on 100 k contigs peaked at 0.9 GB on 2 threads (BENCHMARKS.md). 1 GB,
    the neighbour-search block of each thread (at most 256 MiB), and 8 kB per contig for
    the embedding and the neighbour graph; doubled per retry."""
    n = index_contigs(input.index)
    block_mb = neighbour_block_bytes(n) / 2**20
    return int((1000 + threads * block_mb + n * 8192 / 1e6) * 2 ** (attempt - 1))


def index_contigs(path):
    """Contigs listed in a contig index TSV (lines after the header)."""
    with open(path) as handle:
        return sum(1 for _ in handle) - 1


def cluster_runtime(wildcards, input, threads, attempt):
    """Minutes (BENCHMARKS.md): the exact neighbour search took 3.5 minutes of one thread
    at 100 k contigs and grows with their square; above exact_neighbors_max the
    approximate one took about 2 minutes of one thread per 300 k. Each of the five Leiden
    runs of the marker-guided clustering took about 0.13 CPU-minutes per 100 k contigs
    (24 s until stable at 300 k, 78 s capped at 1 M); 0.25 is counted. The search and the
    runs are spread over the job's threads; three times that, longer on each retry."""
    n = index_contigs(input.index)
    if n <= CLUSTER_SETTINGS.exact_neighbors_max:
        search = (n / 100_000) ** 2 * 3.5
    else:
        search = n / 300_000 * 2
    leiden = 5 * 0.25 * n / 100_000
    return int(10 + attempt * 3 * (search + leiden) / max(1, threads))


# evaluate and plot run on one thread. Their figures were measured with `/usr/bin/time -v`
# on synthetic samples of 25 genomes with a 256-wide embedding.


def evaluate_mem_mb(wildcards, input, attempt):
    """MB: the k-means baselines read the feature rows of at most 10,000 labelled contigs
    (335 MB of float32) and copy them to z-score and reduce them: peaks of 1.8 GB on 10,000
    contigs and 2.8 GB on 40,000, where the memory-mapped rows count with their read-ahead;
    larger samples still read 10,000 rows. 3 GB, and 2 kB per contig for the names, labels
    and bins; doubled per retry."""
    contigs = index_contigs(input.index)
    return int((3000 + contigs * 2048 / 1e6) * 2 ** (attempt - 1))


def evaluate_runtime(wildcards, input, attempt):
    """Minutes: k-means at k = the number of genomes on at most 10,000 contigs took 22 s
    of CPU with 25 genomes, whether the sample had 10,000 or 40,000 contigs; it grows with
    the number of genomes, so 15 minutes cover several hundred. Longer on each retry."""
    return int(attempt * (15 + index_contigs(input.index) / 1_000_000))


def plot_mem_mb(wildcards, input, attempt):
    """MB: peaks of 0.25 GB on 10,000 contigs and 0.70 GB on 200,000 (the embedding is read
    whole: 1 kB of the 2.3 kB per contig). 1 GB, twice the embedding and 1.5 kB per contig;
    doubled per retry."""
    embedding_mb = os.path.getsize(input.embedding) / 1e6
    contigs = index_contigs(input.index)
    return int((1000 + 2 * embedding_mb + contigs * 1500 / 1e6) * 2 ** (attempt - 1))


def plot_runtime(wildcards, input, attempt):
    """Minutes: t-SNE of at most 5,000 contigs took about 40 s of CPU, the PCA and drawing
    of every contig about 4 s per 100,000 (49 s in all on 200,000 contigs); generous,
    and longer on each retry."""
    return int(attempt * (10 + index_contigs(input.index) / 500_000))


# the marker sets shipped with kmervae: every HMM file of resources/markers/ is searched
MARKER_DIR = Path(workflow.basedir) / "resources" / "markers"
MARKER_HMMS = sorted(
    str(p) for pattern in ("*.hmm.gz", "*.hmm") for p in MARKER_DIR.glob(pattern)
)


def markers_mem_mb(wildcards, attempt):
    """MB: 120 MB peak RSS on the 4.2 Mbp demo (BENCHMARKS.md); flat in the sample's size,
    since the FASTA is streamed and proteins are searched 20,000 at a time. 1 GB, doubled
    per retry."""
    return 1000 * 2 ** (attempt - 1)


def markers_runtime(wildcards, input, attempt):
    """Minutes: gene calling and the search ran at 0.5 Mbp/s on 2 threads on the demo
    (BENCHMARKS.md); counted at 0.1 Mbp/s for headroom. gzip files hold about 3.5 bp per
    byte. Longer on each retry."""
    mbp = fasta_mb(wildcards, input) * (3.5 if str(input.fasta).endswith(".gz") else 1)
    return int(10 + attempt * mbp / 0.1 / 60)


def gather_markers_runtime(wildcards, attempt):
    """Minutes for joining chunk marker tables: a few lines per contig, seconds."""
    return 5 * attempt


def labels_of(wildcards):
    """The labels TSV (contig, genome) of a sample that has one."""
    return SAMPLES[wildcards.sample].labels


def optional_labels(wildcards):
    """The labels of a sample as a list: empty when it has none."""
    labels = SAMPLES[wildcards.sample].labels
    return [labels] if labels else []


def labels_option(wildcards, input):
    """`--labels FILE` for samples with labels, nothing otherwise."""
    return f"--labels {shlex.quote(str(input.labels[0]))}" if input.labels else ""


def final_outputs():
    """What `snakemake` with no target builds: every sample's features, embedding, bins
    and pictures, the evaluation of samples with labels, and the trained model with its
    pictures (unless config model: names one)."""
    return [
        *expand(
            ["results/features/{sample}.npy", "results/features/{sample}.contigs.tsv"],
            sample=SAMPLES,
        ),
        *expand(
            [
                "results/embeddings/{sample}.npy",
                "results/embeddings/{sample}.tsv.gz",
                "results/clusters/{sample}.tsv",
                "results/clusters/{sample}.binning",
                "results/markers/{sample}.tsv",
                "results/bins/{sample}.summary.tsv",
                "results/plots/{sample}.map.png",
                "results/plots/{sample}.bins.png",
            ],
            sample=SAMPLES,
        ),
        *expand("results/evaluation/{sample}.tsv", sample=LABELLED),
        *expand(
            f"{TRAIN_DIR}/{{name}}",
            name=(
                ["vae.keras", "history.tsv", "training.png", "provenance.json"]
                if SELF_TRAINING and SAMPLES
                else []
            ),
        ),
        *expand(
            "{model_dir}/{name}",
            model_dir=MODEL_DIR,
            name=(
                [
                    "vae.keras",
                    "history.tsv",
                    "training.png",
                    "provenance.json",
                    "architecture.png",
                ]
                if TRAINS_MODEL and SAMPLES
                else []
            ),
        ),
    ]
