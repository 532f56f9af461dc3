"""Synthetic but realistic feature matrices, for tests and benchmarks.

A few random "genomes" each get a GC content and a k-mer profile per group (GC-biased
weights times gamma noise, so genomes differ); a contig of length L from a genome gets
multinomial counts of L - k + 1 windows per group, turned into frequencies, and a GC
fraction drawn binomially. Short contigs are therefore sparse and noisy, as real ones.
"""

from __future__ import annotations

import os

import numpy as np

from kmervae.features.layout import LAYOUT, N_FEATURES, canonical_kmers
from kmervae.npyio import NpyRowWriter


def _genome_profiles(rng: np.random.Generator, n_genomes: int):
    gcs = rng.uniform(0.3, 0.7, size=n_genomes)
    profiles = []
    for gc in gcs:
        prof = {}
        for k in LAYOUT.kmer_sizes:
            kmers = canonical_kmers(k)
            n_gc = np.array([sum(b in "GC" for b in km) for km in kmers])
            base = (gc / 2) ** n_gc * ((1 - gc) / 2) ** (k - n_gc)
            w = base * rng.gamma(shape=2.0 if k == 7 else 8.0, size=len(kmers))
            prof[k] = w / w.sum()
        profiles.append(prof)
    return gcs, profiles


def synthetic_features(
    n_contigs: int,
    n_genomes: int = 5,
    seed: int = 0,
    min_length: int = 1000,
    max_length: int = 50_000,
    _profiles=None,
) -> tuple[np.ndarray, np.ndarray]:
    """A float32 (n_contigs, 8,362) matrix and the genome label of every row."""
    rng = np.random.default_rng(seed)
    gcs, profiles = _profiles or _genome_profiles(rng, n_genomes)
    labels = rng.integers(0, len(gcs), size=n_contigs)
    lengths = np.exp(rng.uniform(np.log(min_length), np.log(max_length), size=n_contigs))
    lengths = np.floor(lengths).astype(np.int64)
    x = np.zeros((n_contigs, N_FEATURES), dtype=np.float32)
    x[:, LAYOUT.length_column] = lengths
    for g in range(len(gcs)):
        rows = np.flatnonzero(labels == g)
        if len(rows) == 0:
            continue
        for k in LAYOUT.kmer_sizes:
            n = np.maximum(lengths[rows] - k + 1, 1)
            counts = rng.multinomial(n, profiles[g][k])
            x[rows, LAYOUT.kmer_slice(k)] = counts / n[:, None]
        x[rows, LAYOUT.gc_column] = rng.binomial(lengths[rows], gcs[g]) / lengths[rows]
    return x, labels


def write_synthetic_matrix(
    path: str | os.PathLike,
    n_contigs: int,
    n_genomes: int = 20,
    seed: int = 0,
    chunk: int = 2000,
    **kwargs,
) -> np.ndarray:
    """Write a synthetic matrix to ``path`` chunk by chunk (bounded memory).

    Returns the genome label of every row.
    """
    rng = np.random.default_rng(seed)
    profiles = _genome_profiles(rng, n_genomes)
    labels = []
    with NpyRowWriter(path, N_FEATURES) as writer:
        for i, a in enumerate(range(0, n_contigs, chunk)):
            b = min(a + chunk, n_contigs)
            x, lab = synthetic_features(
                b - a, seed=seed * 100_003 + i + 1, _profiles=profiles, **kwargs
            )
            writer.write(x)
            labels.append(lab)
    return np.concatenate(labels)


def z_mean(model, rows: np.ndarray) -> np.ndarray:
    """``z_mean`` of every row through the VAE's own forward pass, all rows in one batch:
    the reference that the package's embedding (``kmervae.vae.embedding``) is checked
    against, and a way to compare two models' embeddings."""
    out = model(np.asarray(rows, dtype=np.float32), training=False)
    return np.asarray(out["z_mean"])
