"""Brute-force pure-Python reference for the counter: slow, obvious, independent.

It shares nothing with the package but the definition of the column order, which it
recomputes itself from itertools.
"""

from __future__ import annotations

import gzip
import itertools
from collections import Counter

COMPLEMENT = str.maketrans("ACGT", "TGCA")


def reference_columns(k: int) -> list[str]:
    kmers = ("".join(p) for p in itertools.product("ACGT", repeat=k))
    return sorted({min(m, m.translate(COMPLEMENT)[::-1]) for m in kmers})


def parse_fasta(path) -> list[tuple[str, str]]:
    """Records as (first word of header, sequence with all whitespace removed)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as handle:
        text = handle.read().decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    records: list[tuple[str, list[str]]] = []
    for line in text.split("\n"):
        if line.startswith(">"):
            records.append((line[1:].split()[0], []))
        elif records:
            records[-1][1].append("".join(line.split()))
    return [(name, "".join(parts)) for name, parts in records]


def count_canonical(seq: str, k: int) -> Counter:
    seq = seq.upper()
    counts: Counter = Counter()
    for i in range(len(seq) - k + 1):
        window = seq[i : i + k]
        if all(b in "ACGT" for b in window):
            counts[min(window, window.translate(COMPLEMENT)[::-1])] += 1
    return counts


def count_vector(seq: str, k: int) -> list[int]:
    counts = count_canonical(seq, k)
    return [counts[m] for m in reference_columns(k)]


def gc(seq: str) -> float:
    seq = seq.upper()
    acgt = sum(seq.count(b) for b in "ACGT")
    return (seq.count("G") + seq.count("C")) / acgt if acgt else 0.0
