"""The feature layout: which column of a feature matrix holds what.

This module is the single definition of the 8,362-column layout the user specified,
``[length, 7-mers, 4-mers, 3-mers, GC]``, and of the canonical k-mer order inside each
k-mer group. Everything else (counter, model, evaluation) imports it from here.

Canonical k-mer: the lexicographically smaller of a k-mer and its reverse complement.
Columns within a group are ordered lexicographically by canonical k-mer.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache

import numpy as np

BASES = "ACGT"
_COMPLEMENT = str.maketrans("ACGT", "TGCA")

#: k-mer sizes in the order their groups appear in the matrix.
KMER_SIZES: tuple[int, ...] = (7, 4, 3)

#: Version of the layout; stored with every model so a mismatch is detected.
LAYOUT_VERSION = 1


def reverse_complement(kmer: str) -> str:
    return kmer.translate(_COMPLEMENT)[::-1]


@cache
def canonical_kmers(k: int) -> tuple[str, ...]:
    """All canonical k-mers of size ``k``, sorted lexicographically."""
    canon = set()
    for letters in itertools.product(BASES, repeat=k):
        kmer = "".join(letters)
        canon.add(min(kmer, reverse_complement(kmer)))
    return tuple(sorted(canon))


@cache
def canonical_column_lut(k: int) -> np.ndarray:
    """Map every forward k-mer code to the column of its canonical k-mer.

    A k-mer's code is its 2-bit encoding, A=0 C=1 G=2 T=3, first base most significant.
    Returned array has ``4**k`` entries; it is read-only because it is shared.
    """
    column_of = {kmer: i for i, kmer in enumerate(canonical_kmers(k))}
    lut = np.empty(4**k, dtype=np.int32)
    for code, letters in enumerate(itertools.product(BASES, repeat=k)):
        kmer = "".join(letters)
        lut[code] = column_of[min(kmer, reverse_complement(kmer))]
    lut.flags.writeable = False
    return lut


def n_canonical(k: int) -> int:
    return len(canonical_kmers(k))


@dataclass(frozen=True)
class FeatureLayout:
    """Column positions of the feature matrix and of the reconstruction target.

    The reconstruction target is the matrix without its length column (8,361 features):
    ``[7-mers, 4-mers, 3-mers, GC]``.
    """

    kmer_sizes: tuple[int, ...] = KMER_SIZES

    @property
    def n_features(self) -> int:
        return 2 + sum(n_canonical(k) for k in self.kmer_sizes)

    @property
    def length_column(self) -> int:
        return 0

    @property
    def gc_column(self) -> int:
        return self.n_features - 1

    def kmer_slice(self, k: int) -> slice:
        """Columns of the k-mer group ``k`` in the feature matrix."""
        start = 1
        for size in self.kmer_sizes:
            if size == k:
                return slice(start, start + n_canonical(size))
            start += n_canonical(size)
        raise KeyError(f"no {k}-mer group in layout {self.kmer_sizes}")

    @property
    def n_target(self) -> int:
        return self.n_features - 1

    def target_slice(self, k: int) -> slice:
        """Columns of the k-mer group ``k`` in the reconstruction target (no length)."""
        s = self.kmer_slice(k)
        return slice(s.start - 1, s.stop - 1)

    @property
    def target_gc_column(self) -> int:
        return self.n_target - 1

    @property
    def column_names(self) -> list[str]:
        names = ["length"]
        for k in self.kmer_sizes:
            names.extend(f"k{k}_{kmer}" for kmer in canonical_kmers(k))
        names.append("gc")
        return names

    def describe(self) -> dict:
        """A JSON-able description, stored as provenance with models and matrices."""
        return {
            "layout_version": LAYOUT_VERSION,
            "kmer_sizes": list(self.kmer_sizes),
            "n_features": self.n_features,
            "columns": {
                "length": self.length_column,
                **{
                    f"k{k}": [self.kmer_slice(k).start, self.kmer_slice(k).stop]
                    for k in self.kmer_sizes
                },
                "gc": self.gc_column,
            },
        }


#: The layout every kmervae matrix uses: 1 + 8,192 + 136 + 32 + 1 = 8,362 columns.
LAYOUT = FeatureLayout()
N_FEATURES = LAYOUT.n_features
