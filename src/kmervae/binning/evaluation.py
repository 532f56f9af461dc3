"""Evaluation of bins against known contig origins (a labels TSV).

Definitions (``bp`` = contig lengths from the contig index):

* Labelled contigs: contigs of the index named in the labels file. Contigs missing from
  the labels are *unlabelled*: left out of every label-based metric, but their bp still
  count in the size of the bins they are in. Labels naming contigs that are not in the
  index are ignored with a warning (e.g. contigs shorter than the length cut-off).
* ARI, NMI, AMI: over labelled contigs, true genome vs bin, where every unbinned contig is
  a cluster of its own (a singleton), so leaving contigs unbinned is not rewarded.
  ``ari_binned`` is the ARI over the labelled contigs that are binned only.
* Recall of genome g in bin b = bp of g in b / bp of g in the sample (labelled contigs);
  precision = bp of g in b / bp of b (all its contigs, unlabelled too).
* Genomes recovered at (r, p): genomes for which some bin has recall >= r and precision
  >= p (the VAMB / AMBER benchmark count). ``near_complete`` is (0.9, 0.95). Every bin of
  the clusters table counts, including bins too small to be written as FASTA.
* Per-genome table: the best bin of a genome is the bin holding most of its bp (largest
  recall; ties: higher precision, then bin name), with that recall and precision.
* k-means baselines, as in the DNABERT-S benchmark: k-means (k = number of genomes, fixed
  seed, n_init restarts) on the labelled contigs, ARI against the genomes, for (a) the VAE
  embedding as it is, and centred and scaled to unit length as ``kmervae cluster`` sees
  it (``kmeans_ari_vae_normalized``), (b) tetranucleotide frequencies (the 136 canonical
  4-mer columns, each z-scored) and (c) all 8,362 features z-scored and reduced by PCA to
  the embedding's width. Above ``baseline_max_contigs`` labelled contigs, a seeded random
  subset of that many is used for all of them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from kmervae.binning.clustering import UNBINNED, normalize
from kmervae.errors import InputError, KmervaeError, open_input

log = logging.getLogger(__name__)

RECALL_GRID = (0.5, 0.7, 0.9, 0.95, 0.99)
PRECISION_GRID = (0.9, 0.95)
PER_GENOME_COLUMNS = ("genome", "contigs", "genome_bp", "best_bin", "recall", "precision")


def read_labels(path: str | os.PathLike, names: list[str]) -> tuple[np.ndarray, int]:
    """Genome per contig of ``names`` (None: unlabelled) and the number of label rows
    naming contigs not in ``names`` (warned about, not an error).

    The file is a TSV with a header line whose first two columns are contig and genome;
    further columns are ignored.
    """
    position = {n: i for i, n in enumerate(names)}
    genomes = np.full(len(names), None, dtype=object)
    unknown: list[str] = []
    with open_input(path, "labels table") as handle:
        header = handle.readline().rstrip("\r\n").split("\t")
        if len(header) < 2:
            raise InputError(path, "expected a header line 'contig<TAB>genome[<TAB>...]'")
        for line_no, line in enumerate(handle, start=2):
            if not line.strip():
                continue
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) < 2 or not fields[1]:
                raise InputError(path, "expected contig and genome columns", line=line_no)
            contig, genome = fields[0], fields[1]
            i = position.get(contig)
            if i is None:
                unknown.append(contig)
                continue
            if genomes[i] is not None and genomes[i] != genome:
                raise InputError(
                    path, "contig labelled twice, with two different genomes", contig, line_no
                )
            genomes[i] = genome
    if unknown:
        log.warning(
            "%s: %d labelled contigs are not in the contig index (ignored), e.g. %s",
            path, len(unknown), ", ".join(unknown[:3]),
        )  # fmt: skip
    return genomes, len(unknown)


def singleton_codes(bins: np.ndarray) -> np.ndarray:
    """Integer cluster codes of bin names, every ``UNBINNED`` contig its own cluster."""
    bins = np.asarray(bins, dtype=object)
    unbinned = bins == UNBINNED
    _, codes = np.unique(np.where(unbinned, "", bins).astype(str), return_inverse=True)
    codes = codes.astype(np.int64)
    codes[unbinned] = codes.max(initial=-1) + 1 + np.arange(int(unbinned.sum()))
    return codes


def clustering_scores(genomes: np.ndarray, bins: np.ndarray) -> dict[str, float]:
    """ARI, NMI, AMI of ``bins`` (names, ``UNBINNED`` = singletons) vs ``genomes``."""
    from sklearn.metrics import (
        adjusted_mutual_info_score,
        adjusted_rand_score,
        normalized_mutual_info_score,
    )

    truth = np.unique(np.asarray(genomes).astype(str), return_inverse=True)[1]
    pred = singleton_codes(bins)
    if len(truth) == 0:
        return {"ari": float("nan"), "nmi": float("nan"), "ami": float("nan")}
    return {
        "ari": float(adjusted_rand_score(truth, pred)),
        "nmi": float(normalized_mutual_info_score(truth, pred)),
        "ami": float(adjusted_mutual_info_score(truth, pred)),
    }


@dataclass
class GenomeBinTable:
    """bp of each genome in each bin, and the derived recall and precision."""

    genomes: list[str]
    bins: list[str]
    genome_bp: np.ndarray  # (G,)
    genome_contigs: np.ndarray  # (G,)
    bin_bp: np.ndarray  # (B,) all contigs of the bin, unlabelled too
    shared: np.ndarray  # (G, B)
    recall: np.ndarray = field(init=False)
    precision: np.ndarray = field(init=False)

    def __post_init__(self):
        with np.errstate(divide="ignore", invalid="ignore"):
            self.recall = np.nan_to_num(self.shared / self.genome_bp[:, None])
            self.precision = np.nan_to_num(self.shared / self.bin_bp[None, :])


def genome_bin_table(genomes: np.ndarray, bins: np.ndarray, lengths: np.ndarray):
    """The genome x bin bp table of all contigs (``genomes`` None: unlabelled)."""
    genomes = np.asarray(genomes, dtype=object)
    bins = np.asarray(bins, dtype=object)
    lengths = np.asarray(lengths, dtype=np.int64)
    labelled = np.array([g is not None for g in genomes], dtype=bool)
    binned = bins != UNBINNED
    genome_names, g_code = np.unique(genomes[labelled].astype(str), return_inverse=True)
    bin_names, b_code = np.unique(bins[binned].astype(str), return_inverse=True)
    genome_bp = np.zeros(len(genome_names), dtype=np.int64)
    np.add.at(genome_bp, g_code, lengths[labelled])
    genome_contigs = np.bincount(g_code, minlength=len(genome_names))
    bin_bp = np.zeros(len(bin_names), dtype=np.int64)
    np.add.at(bin_bp, b_code, lengths[binned])
    shared = np.zeros((len(genome_names), len(bin_names)), dtype=np.int64)
    both = labelled & binned
    g_of = {g: i for i, g in enumerate(genome_names)}
    b_of = {b: i for i, b in enumerate(bin_names)}
    gi = np.array([g_of[g] for g in genomes[both]], dtype=np.int64)
    bi = np.array([b_of[b] for b in bins[both]], dtype=np.int64)
    np.add.at(shared, (gi, bi), lengths[both])
    return GenomeBinTable(
        list(genome_names), list(bin_names), genome_bp, genome_contigs, bin_bp, shared
    )


def recovered(table: GenomeBinTable, min_recall: float, min_precision: float) -> int:
    """Genomes with some bin of recall >= ``min_recall`` and precision >= ``min_precision``."""
    if not table.bins:
        return 0
    ok = (table.recall >= min_recall) & (table.precision >= min_precision)
    return int(ok.any(axis=1).sum())


def per_genome_rows(table: GenomeBinTable) -> list[dict]:
    rows = []
    for g, genome in enumerate(table.genomes):
        best, recall, precision = "", 0.0, 0.0
        if table.bins:
            # largest recall, then precision; np.lexsort sorts by the last key first
            order = np.lexsort((-table.precision[g], -table.recall[g]))
            j = int(order[0])
            if table.shared[g, j] > 0:
                best = table.bins[j]
                recall, precision = float(table.recall[g, j]), float(table.precision[g, j])
        rows.append(
            {
                "genome": genome,
                "contigs": int(table.genome_contigs[g]),
                "genome_bp": int(table.genome_bp[g]),
                "best_bin": best or UNBINNED,
                "recall": recall,
                "precision": precision,
            }
        )
    return rows


# ---------------------------------------------------------------- k-means baselines


def kmeans_ari(x: np.ndarray, truth: np.ndarray, k: int, seed: int = 42, n_init: int = 10):
    """ARI of k-means (k clusters) on rows ``x`` against integer labels ``truth``."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    if k < 2 or len(x) <= k:
        return float("nan")
    with threadpool_limits(1):
        pred = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(
            np.asarray(x, dtype=np.float32)
        )
    return float(adjusted_rand_score(truth, pred))


def zscore(x: np.ndarray) -> np.ndarray:
    """Columns scaled to mean 0, sd 1 (float32); constant columns become 0."""
    x = np.array(x, dtype=np.float32)
    mean = x.mean(axis=0, dtype=np.float64)
    sd = x.std(axis=0, dtype=np.float64)
    x -= mean.astype(np.float32)
    x /= np.where(sd > 0, sd, 1.0).astype(np.float32)
    return x


def tnf_matrix(features: np.ndarray) -> np.ndarray:
    """z-scored 136 canonical tetranucleotide frequencies of feature-matrix rows."""
    from kmervae.features.layout import LAYOUT

    return zscore(features[:, LAYOUT.kmer_slice(4)])


def raw_pca_matrix(features: np.ndarray, dims: int, seed: int = 42) -> np.ndarray:
    """All feature columns z-scored, reduced to ``dims`` principal components."""
    from sklearn.decomposition import PCA

    x = zscore(features)
    dims = min(dims, x.shape[1], x.shape[0] - 1)
    with threadpool_limits(1):
        return PCA(n_components=dims, svd_solver="randomized", random_state=seed).fit_transform(x)


# ---------------------------------------------------------------- all together


def evaluate(
    names: list[str],
    lengths: np.ndarray,
    bins: np.ndarray,
    genomes: np.ndarray,
    embedding: np.ndarray | None = None,
    features: np.ndarray | None = None,
    seed: int = 42,
    n_init: int = 10,
    baseline_max_contigs: int = 10_000,
) -> tuple[list[tuple[str, object]], list[dict]]:
    """Metrics (name, value) in report order, and the per-genome rows."""
    lengths = np.asarray(lengths, dtype=np.int64)
    bins = np.asarray(bins, dtype=object)
    genomes = np.asarray(genomes, dtype=object)
    labelled = np.array([g is not None for g in genomes], dtype=bool)
    if not labelled.any():
        raise KmervaeError("no contig of the index is in the labels file: nothing to evaluate")
    binned = bins != UNBINNED
    table = genome_bin_table(genomes, bins, lengths)
    scores = clustering_scores(genomes[labelled], bins[labelled])
    in_bins = labelled & binned
    ari_binned = (
        clustering_scores(genomes[in_bins], bins[in_bins])["ari"] if in_bins.any() else float("nan")
    )
    total_bp = int(lengths.sum())
    metrics: list[tuple[str, object]] = [
        ("contigs", len(names)),
        ("contigs_labelled", int(labelled.sum())),
        ("genomes", len(table.genomes)),
        ("bins", len(table.bins)),
        ("bp", total_bp),
        ("fraction_bp_binned", int(lengths[binned].sum()) / max(1, total_bp)),
        (
            "fraction_labelled_bp_binned",
            int(lengths[in_bins].sum()) / max(1, int(lengths[labelled].sum())),
        ),
        ("ari", scores["ari"]),
        ("nmi", scores["nmi"]),
        ("ami", scores["ami"]),
        ("ari_binned", ari_binned),
        ("near_complete", recovered(table, 0.9, 0.95)),
    ]
    for p in PRECISION_GRID:
        for r in RECALL_GRID:
            metrics.append((f"recovered_r{r:.2f}_p{p:.2f}", recovered(table, r, p)))

    if embedding is not None or features is not None:
        rows = np.flatnonzero(labelled)
        if len(rows) > baseline_max_contigs:
            rng = np.random.default_rng(seed)
            rows = np.sort(rng.choice(rows, baseline_max_contigs, replace=False))
        truth = np.unique(genomes[rows].astype(str), return_inverse=True)[1]
        k = int(truth.max()) + 1
        metrics += [("kmeans_k", k), ("kmeans_contigs", len(rows))]
        if embedding is not None:
            z = np.asarray(embedding[rows], dtype=np.float32)
            metrics.append(("kmeans_ari_vae", kmeans_ari(z, truth, k, seed, n_init)))
            zn = normalize(z)
            metrics.append(("kmeans_ari_vae_normalized", kmeans_ari(zn, truth, k, seed, n_init)))
        if features is not None:
            f = np.asarray(features[rows], dtype=np.float32)
            metrics.append(("kmeans_ari_tnf", kmeans_ari(tnf_matrix(f), truth, k, seed, n_init)))
            dims = embedding.shape[1] if embedding is not None else 256
            x = raw_pca_matrix(f, dims, seed)
            metrics.append(("kmeans_ari_raw_pca", kmeans_ari(x, truth, k, seed, n_init)))
    return metrics, per_genome_rows(table)


def format_value(value) -> str:
    if isinstance(value, float):
        return "nan" if np.isnan(value) else f"{value:.6g}"
    return str(value)


def metrics_text(metrics) -> str:
    return "metric\tvalue\n" + "".join(f"{n}\t{format_value(v)}\n" for n, v in metrics)


def per_genome_text(rows) -> str:
    lines = ["\t".join(PER_GENOME_COLUMNS)]
    for r in rows:
        lines.append("\t".join(format_value(r[c]) for c in PER_GENOME_COLUMNS))
    return "\n".join(lines) + "\n"


def human_summary(metrics) -> str:
    m = dict(metrics)
    text = (
        f"{m['genomes']} genomes, {m['bins']} bins, {100 * m['fraction_bp_binned']:.1f}% of bp "
        f"binned; ARI {m['ari']:.3f}, NMI {m['nmi']:.3f}, AMI {m['ami']:.3f}; "
        f"near-complete genomes (recall >= 0.9, precision >= 0.95): {m['near_complete']}"
    )
    if "kmeans_k" in m:
        parts = [
            f"{label} {m[key]:.3f}"
            for key, label in (
                ("kmeans_ari_vae", "VAE"),
                ("kmeans_ari_vae_normalized", "VAE normalised"),
                ("kmeans_ari_tnf", "TNF"),
                ("kmeans_ari_raw_pca", "raw features+PCA"),
            )
            if key in m
        ]
        text += f"; k-means ARI (k={m['kmeans_k']}): " + ", ".join(parts)
    return text
