"""Vectorised canonical k-mer counting with NumPy.

How it is fast without compiled code:

* Bases are codes 0..3 (A, C, G, T) and 4 (anything else, and the padding put after every
  record). A window's *base-5 index* has a digit 4 exactly when the window must not be
  counted, so validity needs no separate mask: windows are counted into 5**k bins and only
  the all-valid bins are kept.
* The 3-, 4- and 7-mer base-5 indices of every position come from a doubling scheme
  (pairs, then 3/4-mers, then 7-mers): four multiply-adds over the whole batch.
* Many short records are counted in one ``np.bincount`` by offsetting each record's bins;
  7-mers go through a 5**7-entry lookup table to their canonical column first, so a record
  costs 8,193 bins, not 78,125.
* A record too long for one batch is streamed: its 7-mer windows are counted into 5**7 bins
  and the 4-mers, 3-mers and bases are read off those bins as marginals (a 4-mer starting at
  position i is the first four letters of the 7-mer window starting at i), because six
  padding codes after every record give every position its own 7-mer window.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from kmervae.features.fasta import AMBIGUOUS, SequencePiece
from kmervae.features.layout import BASES, KMER_SIZES, canonical_kmers

K_MAX = max(KMER_SIZES)
#: Codes after each record so that windows never cross records and every position starts
#: a full K_MAX window.
PAD = bytes([AMBIGUOUS]) * (K_MAX - 1)


@cache
def base5_codes(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Base-5 indices of each canonical k-mer and of its reverse complement (column order)."""
    kmers = canonical_kmers(k)
    # digits 0..3 of every letter, one row per k-mer (vectorised: 8,192 7-mers at start-up)
    table = bytearray(256)
    for i, b in enumerate(BASES):
        table[ord(b)] = i
    text = "".join(kmers).encode("ascii").translate(bytes(table))
    digits = np.frombuffer(text, dtype=np.uint8).reshape(len(kmers), k).astype(np.intp)
    powers = 5 ** np.arange(k - 1, -1, -1, dtype=np.intp)
    forward = digits @ powers
    # reverse complement: letters reversed, each complemented (A<->T, C<->G: 3 - digit)
    reverse = (len(BASES) - 1 - digits[:, ::-1]) @ powers
    return forward, reverse


@cache
def base5_to_column(k: int) -> np.ndarray:
    """Lookup table: base-5 window index -> canonical column, or n_columns if not countable."""
    forward, reverse = base5_codes(k)
    n_columns = len(forward)
    lut = np.full(5**k, n_columns, dtype=np.intp)
    lut[forward] = np.arange(n_columns)
    lut[reverse] = np.arange(n_columns)
    lut.flags.writeable = False
    return lut


def fold_canonical(base5_counts: np.ndarray, k: int) -> np.ndarray:
    """Sum counts in base-5 bins (last axis, 5**k) into canonical k-mer columns."""
    forward, reverse = base5_codes(k)
    folded = base5_counts[..., forward] + base5_counts[..., reverse]
    palindromes = forward == reverse
    if palindromes.any():
        folded[..., palindromes] //= 2
    return folded


@dataclass
class CountRows:
    """Raw counts for consecutive records: what one batch of the counter produces."""

    names: list[str]
    lengths: np.ndarray  # bp of the whole record, ambiguous bases included
    kmers: dict[int, np.ndarray]  # k -> (n, n_canonical(k)) window counts
    bases: np.ndarray  # (n, 4) counts of A, C, G, T
    #: k -> (n,) countable windows per record (row sums of ``kmers[k]``), filled on demand
    #: or by the counter, which knows them without summing 8,192 columns
    totals: dict[int, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.names)

    def total(self, k: int) -> np.ndarray:
        """Row sums of ``kmers[k]`` (countable k-mer windows of each record)."""
        totals = self.totals.get(k)
        if totals is None:
            totals = self.totals[k] = self.kmers[k].sum(axis=1)
        return totals

    def select(self, mask: np.ndarray) -> CountRows:
        return CountRows(
            [n for n, keep in zip(self.names, mask, strict=True) if keep],
            self.lengths[mask],
            {k: v[mask] for k, v in self.kmers.items()},
            self.bases[mask],
            {k: v[mask] for k, v in self.totals.items()},
        )

    @staticmethod
    def concatenate(parts: list[CountRows]) -> CountRows:
        return CountRows(
            [n for p in parts for n in p.names],
            np.concatenate([p.lengths for p in parts]),
            {k: np.concatenate([p.kmers[k] for p in parts]) for k in parts[0].kmers},
            np.concatenate([p.bases for p in parts]),
            {
                k: np.concatenate([p.totals[k] for p in parts])
                for k in parts[0].totals
                if all(k in p.totals for p in parts)
            },
        )


def _windows(codes: np.ndarray):
    """Base-5 indices of the 3-, 4- and 7-mer starting at each position that has a 7-mer."""
    n = len(codes) - (K_MAX - 1)
    five = np.uint8(5)
    p2 = codes[:-1] * five + codes[1:]  # <= 24, fits uint8
    p3 = p2[:-1] * five + codes[2:]  # <= 124
    p4 = p2[:-2].astype(np.uint16) * np.uint16(25) + p2[2:]  # <= 624
    p7 = np.multiply(p4[:n], 125, dtype=np.intp)
    p7 += p3[4 : 4 + n]
    return p3[:n], p4[:n], p7


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


@cache
def keep_freed_memory(limit_bytes: int = 32 * 1024 * 1024) -> bool:
    """Ask glibc to keep freed blocks up to ``limit_bytes`` instead of unmapping them.

    Each batch allocates a few MB of short-lived arrays; by default glibc returns them to
    the system and takes them back page fault by page fault, which cost a third of the
    run time on short contigs (155,000 faults per 50 Mbp). Process-wide and harmless
    elsewhere; a no-op where the C library is not glibc.
    """
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(
        mallopt(M_MMAP_THRESHOLD, limit_bytes) and mallopt(M_TRIM_THRESHOLD, 2 * limit_bytes)
    )


class KmerCounter:
    """Count canonical k-mers, bases and lengths of the records of one FASTA file.

    Feed it the batches of a :class:`kmervae.features.fasta.FastaReader`; each call returns the
    records that were completed in that batch, in file order.
    """

    def __init__(self, batch_bases: int = 64 * 1024, batch_records: int = 128):
        self.batch_bases = batch_bases
        # each record costs ~8,800 bins whatever its length: bound records too, or a chunk
        # of tiny records would make a bincount of gigabytes
        self.batch_records = batch_records
        keep_freed_memory()
        # uint16 (8,193 values): a quarter of the cache the intp table would take
        self._lut7 = base5_to_column(7).astype(np.uint16)
        self._n7 = len(canonical_kmers(7))
        self._n4, self._n3 = len(canonical_kmers(4)), len(canonical_kmers(3))
        index, self._group_starts = _base5_4mer_groups()
        self._group_index = index + self._n7 + 1  # the 4-mer bins follow the 7-mer bins
        # state of a record that is being streamed in pieces
        self._open_name: str | None = None
        self._open_bins: np.ndarray | None = None
        self._open_tail = b""
        self._open_length = 0

    def count(self, pieces: list[SequencePiece]) -> list[CountRows]:
        """Count a batch of pieces; return the completed records as consecutive parts.

        Parts are not concatenated: at 8,192 columns a copy costs as much as counting.
        """
        parts: list[CountRows] = []
        group: list[SequencePiece] = []
        group_bases = 0
        for piece in pieces:
            if piece.first and piece.last:
                group.append(piece)
                group_bases += len(piece.codes)
                if group_bases >= self.batch_bases or len(group) >= self.batch_records:
                    parts.append(self._count_whole(group))
                    group, group_bases = [], 0
            else:
                if group:
                    parts.append(self._count_whole(group))
                    group, group_bases = [], 0
                finished = self._stream(piece)
                if finished is not None:
                    parts.append(finished)
        if group:
            parts.append(self._count_whole(group))
        return parts

    # -- many whole records at once ---------------------------------------------------------
    def _count_whole(self, group: list[SequencePiece]) -> CountRows:
        lengths = np.fromiter((len(p.codes) for p in group), dtype=np.int64, count=len(group))
        spans = lengths + len(PAD)
        codes = np.frombuffer(PAD.join(p.codes for p in group) + PAD, dtype=np.uint8)
        n_rec = len(group)
        _p3, p4, p7 = _windows(codes)
        n = len(p7)
        # One bincount for everything: per record, WIDTH bins = canonical 7-mer columns,
        # one bin for uncountable 7-mers, then the 625 base-5 4-mer bins.
        n7 = self._n7
        width = n7 + 1 + 625
        # per-position record offsets in int32 (half the memory traffic of intp; a batch
        # is bounded by batch_records, so they fit) and the 7-mer lookup in uint16
        offset_type = np.int32 if n_rec * width < 2**31 else np.intp
        offsets = np.repeat(np.arange(0, n_rec * width, width, dtype=offset_type), spans)[:n]
        bins = np.empty(2 * n, dtype=np.intp)
        np.add(self._lut7.take(p7), offsets, out=bins[:n])
        offsets += n7 + 1
        np.add(p4, offsets, out=bins[n:])
        counts = np.bincount(bins, minlength=n_rec * width).reshape(n_rec, width)
        # canonical 4-mers, canonical 3-mers and bases: sums of groups of the 4-mer bins,
        # gathered group after group and summed in one reduceat
        marginals = np.add.reduceat(
            counts.take(self._group_index, axis=1), self._group_starts, axis=1
        )
        n4, n3 = self._n4, self._n3
        # every position of a record's span starts one 7-mer window, countable or in the
        # uncountable bin (the last record's padding starts none: n stops before it)
        total7 = spans - counts[:, n7]
        total7[-1] -= len(PAD)
        return CountRows(
            [p.name for p in group],
            lengths,
            {7: counts[:, :n7], 4: marginals[:, :n4], 3: marginals[:, n4 : n4 + n3]},
            marginals[:, n4 + n3 :],
            {7: total7},
        )

    # -- one long record in pieces ----------------------------------------------------------
    def _stream(self, piece: SequencePiece) -> CountRows | None:
        if piece.first:
            self._open_name = piece.name
            self._open_bins = np.zeros(5**K_MAX, dtype=np.int64)
            self._open_tail = b""
            self._open_length = 0
        self._open_length += len(piece.codes)
        data = self._open_tail + piece.codes
        if piece.last:
            data += PAD
        codes = np.frombuffer(data, dtype=np.uint8)
        if len(codes) >= K_MAX:
            _, _, p7 = _windows(codes)
            self._open_bins += np.bincount(p7, minlength=5**K_MAX)
        # the last K_MAX - 1 codes start windows that continue into the next piece
        self._open_tail = data[max(0, len(codes) - (K_MAX - 1)) :]
        if len(codes) < K_MAX:
            self._open_tail = data
        if not piece.last:
            return None
        bins = self._open_bins
        rows = CountRows(
            [self._open_name],
            np.array([self._open_length], dtype=np.int64),
            {
                7: fold_canonical(bins, 7)[None, :],
                **_from_base5_4mers(bins.reshape(625, 125).sum(axis=1)[None, :]),
            },
            bins.reshape(5, 5**6).sum(axis=1)[None, :4],
        )
        self._open_name = self._open_bins = None
        self._open_tail = b""
        return rows


@cache
def _base5_4mer_groups() -> tuple[np.ndarray, np.ndarray]:
    """(index, starts): base-5 4-mer bins grouped so that ``np.add.reduceat(bins[index],
    starts)`` gives the canonical 4-mer columns, the canonical 3-mer columns, then A, C, G, T.

    A canonical 4-mer is its forward and reverse bins (one bin for a palindrome); a
    canonical 3-mer is the 4-mer bins that start with it or with its reverse complement
    (any fourth code); a base is the 125 bins that start with it. Same sums as
    :func:`_from_base5_4mers` and the base marginal, in integers, so the same counts.
    """
    index: list[int] = []
    starts: list[int] = []
    for forward, reverse in zip(*base5_codes(4), strict=True):
        starts.append(len(index))
        index += [forward] if forward == reverse else [forward, reverse]
    for forward, reverse in zip(*base5_codes(3), strict=True):
        starts.append(len(index))
        index += [5 * forward + d for d in range(5)]
        if reverse != forward:  # always for odd k
            index += [5 * reverse + d for d in range(5)]
    for base in range(len(BASES)):
        starts.append(len(index))
        index += range(125 * base, 125 * (base + 1))
    return np.array(index, dtype=np.intp), np.array(starts, dtype=np.intp)


def _from_base5_4mers(raw4: np.ndarray) -> dict[int, np.ndarray]:
    """Canonical 4-mer and 3-mer counts from 4-mer windows counted in base-5 bins."""
    n = raw4.shape[0]
    return {
        4: fold_canonical(raw4, 4),
        3: fold_canonical(raw4.reshape(n, 125, 5).sum(axis=2), 3),
    }


__all__ = [
    "CountRows",
    "KmerCounter",
    "base5_to_column",
    "fold_canonical",
]
