"""How far apart each input puts the contigs of two species of one genus (issues 14 and 15).

Marker-guided clustering splits a bin whose markers are duplicated by k-means (seeded on
the marker carriers); it can only split what the matrix it clusters separates. This script
measures that directly, bin-free, on the runs of ``bench/quality/run.py``: for every pair
of genomes of one genus in a community (the genus is the species' first word, after
*Candidatus*; phages are left out), take all contigs of the two genomes and

* **k-means ARI**: two-means on the rows as ``kmervae cluster`` sees them (centred over
  the whole sample, unit length: ``kmervae.binning.clustering.normalize``), ten k-means++
  starts, scored against the two genomes by the adjusted Rand index
  (1: the split is the species; 0: chance). What an unsupervised split can get.
* **linear accuracy**: balanced accuracy of a logistic regression between the two genomes
  in 5-fold cross-validation (0.5: chance; 1: linearly separable). What any split along
  one direction could get at best, with the truth known.

Each figure is given over all contigs and over contigs of at least 5 kb (composition is
noisier on short contigs; empty where either genome has fewer than 10 such contigs).
Inputs: the VAE embedding of every training run (the table averages a run's training
seeds), raw TNF and the raw 8,362 features (z-scored, PCA 256), the same matrices the
bench clusters.

    .venv/bin/python bench/quality/separability.py bench/.cache/quality-heldout \\
        bench/.cache/quality-tune39 --markdown
"""

from __future__ import annotations

import argparse
import statistics
import sys
from itertools import combinations
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "src"))

from genomes import read_catalog  # noqa: E402

MIN_LONG = 5000


def genus(species: str) -> str:
    words = species.split()
    if words and words[0] == "Candidatus":
        words = words[1:]
    return words[0] if words else species


def same_genus_pairs(genome_ids: set[str]) -> list[tuple[str, str]]:
    """Pairs of the given genomes whose species share a genus (phages left out)."""
    rows = {r["genome"]: r for r in read_catalog() if r["genome"] in genome_ids}
    by_genus: dict[str, list[str]] = {}
    for gid, row in rows.items():
        if row["phylum"] == "Uroviricota":
            continue
        by_genus.setdefault(genus(row["species"]), []).append(gid)
    return [p for ids in by_genus.values() for p in combinations(sorted(ids), 2)]


#: fewest contigs of each genome for the scores (5-fold cross-validation needs 5)
MIN_CONTIGS = 10
EMPTY = "\u2013"  # en dash: no score


def pair_scores(x: np.ndarray, truth: np.ndarray, seed: int = 42) -> tuple[float, float]:
    """(k-means ARI, cross-validated balanced accuracy) of two genomes' rows ``x``; NaN
    for both where either genome has fewer than :data:`MIN_CONTIGS` rows."""
    from sklearn.cluster import KMeans
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import adjusted_rand_score
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from threadpoolctl import threadpool_limits

    if min(np.bincount(truth, minlength=2)) < MIN_CONTIGS:
        return float("nan"), float("nan")
    with threadpool_limits(1):
        labels = KMeans(2, n_init=10, random_state=seed).fit_predict(x)
        folds = StratifiedKFold(5, shuffle=True, random_state=seed)
        accuracy = cross_val_score(
            LogisticRegression(max_iter=2000), x, truth, cv=folds, scoring="balanced_accuracy"
        )
    return adjusted_rand_score(truth, labels), float(np.mean(accuracy))


def community_matrices(run: Path, comm: str) -> list[tuple[str, str, Path]]:
    """(input, training seed or "", matrix file) of one community's bench runs."""
    out = []
    for km in sorted(run.glob("kmervae_e*_t*")):
        emb = km / "results" / "embeddings" / f"{comm}.npy"
        if km.is_dir() and emb.exists():
            epochs, seed = km.name.removeprefix("kmervae_e").split("_t")
            out.append((f"VAE embedding ({epochs} ep.)", seed, emb))
    for peer, name in (("tnf", "raw TNF (136, z)"), ("raw", "raw 8,362 (z, PCA 256)")):
        if (run / peer / "matrix.npy").exists():
            out.append((name, "", run / peer / "matrix.npy"))
    return out


def measure(folder: Path) -> list[dict]:
    from kmervae.binning.clustering import normalize
    from kmervae.binning.evaluation import read_labels
    from kmervae.features.matrix import read_contig_index

    rows = []
    for run in sorted((folder / "runs").iterdir()):
        comm = run.name
        matrices = community_matrices(run, comm)
        index = next(run.glob(f"kmervae_e*_t*/results/features/{comm}.contigs.tsv"), None)
        if not matrices or index is None:
            continue
        names, lengths = read_contig_index(index)
        lengths = np.asarray(lengths)
        genomes, _ = read_labels(folder / "communities" / comm / "labels.tsv", names)
        genomes = np.asarray(genomes, dtype=object)
        pairs = same_genus_pairs({g for g in genomes if g})
        for name, seed, path in matrices:
            rows_as_clustered = normalize(np.load(path))
            for a, b in pairs:
                both = np.flatnonzero((genomes == a) | (genomes == b))
                truth = (genomes[both] == b).astype(int)
                long = lengths[both] >= MIN_LONG
                x = rows_as_clustered[both]
                k_all, acc_all = pair_scores(x, truth)
                k_long, acc_long = pair_scores(x[long], truth[long])
                rows.append({
                    "community": comm, "pair": f"{a} / {b}", "input": name, "train_seed": seed,
                    "contigs": len(both), "long": int(long.sum()),
                    "kmeans_ari": k_all, "kmeans_ari_long": k_long,
                    "accuracy": acc_all, "accuracy_long": acc_long,
                })  # fmt: skip
    return rows


def markdown(rows: list[dict]) -> str:
    """Per pair and input: mean over cuts (and training seeds) of the four figures."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in sorted(rows, key=lambda r: r["pair"]):  # stable: inputs keep their order
        groups.setdefault((r["pair"], r["input"]), []).append(r)
    lines = [
        "| pair | input | runs | k-means ARI | k-means ARI, ≥ 5 kb | linear acc."
        " | linear acc., ≥ 5 kb |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (pair, kind), rs in groups.items():
        cells = []
        for key in ("kmeans_ari", "kmeans_ari_long", "accuracy", "accuracy_long"):
            values = [r[key] for r in rs if not np.isnan(r[key])]
            cells.append(f"{statistics.mean(values):.2f}" if values else EMPTY)
        lines.append(f"| {pair} | {kind} | {len(rs)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folders", nargs="+", type=Path, help="bench/quality/run.py --out folders")
    p.add_argument("--markdown", action="store_true", help="print a table, not TSV rows")
    args = p.parse_args(argv)
    rows = [r for folder in args.folders for r in measure(folder)]
    if args.markdown:
        print(markdown(rows), end="")
        return
    keys = list(rows[0]) if rows else []
    print("\t".join(keys))
    for r in rows:
        print("\t".join(f"{r[k]:.4f}" if isinstance(r[k], float) else str(r[k]) for k in keys))


if __name__ == "__main__":
    main()
