"""Tried on 2026-11-27 (commit a549ccc), not kept: split a Leiden bin where Leiden, run again inside it,
finds a part that is weakly linked to the rest (low conductance).

On the 12 kmervae runs of the binning benchmark (and the raw TNF / raw feature matrices)
the default clustering (30 NN, resolution 2) merged *M. tuberculosis* with *M. leprae* on
g30_1M_s2. ``phi`` prints every candidate part of every bin with its conductance inside
the bin and the genomes on both sides; that split had conductance 0.39, within the
0.18-0.43 of splits between strains of one species, so no threshold tells them apart
(BENCHMARKS.md, "Choosing the clustering of the embedding"). ``score`` scores the split
at given thresholds.

    .venv/bin/python bench/tuning/split_conductance.py phi
    .venv/bin/python bench/tuning/split_conductance.py score 0.1 0.2 0.3
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "training"))
import numpy as np
from common import (
    COMMUNITIES,
    TRAIN_SEEDS,
    add_data_option,
    benchmark_matrices,
    load,
    score_labels,
)

from kmervae.binning.clustering import leiden_partition, neighbour_graph, normalize

MIN_BIN_BP = 200_000
RESOLUTION = 2.0


def candidates(graph, labels, lengths):
    """(bin, its vertices, mask of one Leiden part inside it, conductance, part bp)."""
    out = []
    for c in np.unique(labels):
        vertices = np.flatnonzero(labels == c)
        if lengths[vertices].sum() < 2 * MIN_BIN_BP:
            continue
        sub = graph.induced_subgraph(vertices.tolist())
        parts = leiden_partition(sub, RESOLUTION)
        weight = np.asarray(sub.es["weight"])
        edges = np.asarray(sub.get_edgelist())
        strength = np.asarray(sub.strength(weights="weight"))
        for part in np.unique(parts):
            inside = parts == part
            volume = strength[inside].sum()
            cut = weight[inside[edges[:, 0]] != inside[edges[:, 1]]].sum()
            phi = cut / max(min(volume, strength.sum() - volume), 1e-12)
            out.append((c, vertices, inside, phi, lengths[vertices][inside].sum()))
    return out


def split(graph, labels, lengths, tau: float, rounds: int = 3) -> np.ndarray:
    labels = labels.copy()
    for _ in range(rounds):
        changed = False
        new = labels.max() + 1
        for c, vertices, inside, phi, bp in candidates(graph, labels, lengths):
            rest = lengths[vertices].sum() - bp
            if phi < tau and min(bp, rest) >= MIN_BIN_BP and (labels[vertices] == c).all():
                labels[vertices[inside]] = new
                new += 1
                changed = True
        if not changed:
            break
    return labels


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=("phi", "score"), help="list candidate parts, or score splits")
    p.add_argument("taus", type=float, nargs="*", help="score: conductance thresholds")
    p.add_argument("--communities", nargs="+", default=list(COMMUNITIES))
    p.add_argument("--train-seeds", type=int, nargs="+", default=list(TRAIN_SEEDS))
    add_data_option(p)
    args = p.parse_args()
    mode, taus = args.mode, args.taus
    for name in args.communities:
        _, names, lengths, genomes = load(args.data, name)
        lengths, genomes = np.asarray(lengths), np.asarray(genomes)
        for matrix, path in benchmark_matrices(args.data, name, args.train_seeds).items():
            graph = neighbour_graph(normalize(np.load(path)), 30)
            base = leiden_partition(graph, RESOLUTION)
            if mode == "phi":
                for c, vertices, inside, phi, bp in candidates(graph, base, lengths):
                    side, rest = genomes[vertices[inside]], genomes[vertices[~inside]]
                    top = max(set(side), key=list(side).count)
                    other = max(set(rest), key=list(rest).count) if len(rest) else "-"
                    share = round(float((side == top).mean()), 2)
                    print(name, matrix, c, f"phi={phi:.3f}", f"bp={bp}", top, share, other)
            else:
                row = {"community": name, "matrix": matrix}
                row["leiden"] = score_labels(names, lengths, genomes, base)["nc"]
                for tau in taus:
                    m = score_labels(names, lengths, genomes, split(graph, base, lengths, tau))
                    row[f"split<{tau}"] = [m["nc"], m["ari"], m["bins"]]
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
