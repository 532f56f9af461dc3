"""Substring "views" of contigs: the training data of the contrastive term.

A view is a random substring of a contig, counted into an ordinary 8,362-column
feature row. Two views of one contig come from the same genome by construction, so
pulling their embeddings together (and pushing other contigs' away) teaches the encoder
which differences between feature rows are sampling noise of a short sequence and which
are genome signal -- the idea behind COMEBin's and SemiBin2's contrastive training.

Each contig has ``views`` fixed spans, drawn from a generator seeded by (seed, row), so
a contig's views do not depend on how the FASTA was split or on the other contigs. The
views are counted when a training batch needs them (:func:`count_view_rows`), from the
base codes of the training contigs that :func:`write_view_sequences` stores, 1 byte per
base: stored as feature rows they took 4 x 33 KB per contig, more disk than the feature
matrix itself.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from kmervae.errors import InputError
from kmervae.features.fasta import MAX_PIECE, FastaReader, SequencePiece
from kmervae.features.kmers import KmerCounter
from kmervae.features.layout import LAYOUT
from kmervae.features.matrix import count_feature_rows, read_contig_index
from kmervae.npyio import NpyRowWriter
from kmervae.progress import Progress

log = logging.getLogger(__name__)

#: a stream tag, so view spans never share random numbers with other seeded draws
_VIEW_STREAM = 0x7615
#: the longest stretch of a contig that its views come from (see :func:`view_lengths`)
VIEW_MAX_CONTIG = 1 << 24


@dataclass(frozen=True)
class ViewSpec:
    """How views are drawn: ``views`` per contig, each ``fraction`` of the contig's
    length, uniform in [min_fraction, max_fraction], but at least ``min_length`` bp (or
    the whole contig, if shorter).

    No defaults here: they are the training's settings
    (:meth:`kmervae.vae.config.VAEConfig.view_spec`)."""

    views: int
    min_fraction: float
    max_fraction: float
    min_length: int
    seed: int

    def check(self) -> None:
        if self.views < 1:
            raise ValueError(f"views must be >= 1, got {self.views}")
        if not 0 < self.min_fraction <= self.max_fraction <= 1:
            raise ValueError(
                "view fractions need 0 < min_fraction <= max_fraction <= 1, got "
                f"{self.min_fraction}, {self.max_fraction}"
            )
        if self.min_length < 1:
            raise ValueError(f"view min_length must be >= 1, got {self.min_length}")


def view_spans(length: int, row: int, spec: ViewSpec) -> list[tuple[int, int]]:
    """``spec.views`` (start, stop) spans in a contig of ``length`` bp at matrix ``row``."""
    rng = np.random.default_rng([spec.seed, _VIEW_STREAM, row])
    fractions = rng.uniform(spec.min_fraction, spec.max_fraction, spec.views)
    draws = rng.random(spec.views)
    spans = []
    for fraction, draw in zip(fractions.tolist(), draws.tolist(), strict=True):
        size = max(min(length, spec.min_length), round(length * fraction))
        start = int(draw * (length - size + 1))
        spans.append((start, start + size))
    return spans


def view_lengths(lengths: np.ndarray) -> np.ndarray:
    """Contig lengths as the views see them: exact integers also from the float32 length
    column of a feature matrix, whose integers are exact up to 2 ** 24; longer contigs
    (16.8 Mbp, rare) have their views drawn and stored within their first 2 ** 24 bp."""
    return np.minimum(np.asarray(lengths, dtype=np.float64), VIEW_MAX_CONTIG).astype(np.int64)


def _whole_records(fasta) -> Iterator[tuple[str, bytes]]:
    """(name, base codes) of every record, joining the pieces of long ones."""
    parts: list[bytes] = []
    for pieces in FastaReader(fasta):
        for piece in pieces:
            parts.append(piece.codes)
            if piece.last:
                yield piece.name, b"".join(parts)
                parts = []


def write_view_sequences(
    fasta: str | os.PathLike,
    index_path: str | os.PathLike,
    out_path: str | os.PathLike,
    rows: np.ndarray | None = None,
) -> int:
    """Write the base codes of the contigs in ``rows`` (ascending rows of the feature
    matrix whose contig index is ``index_path``; None: all) from ``fasta``, one after
    the other in row order, as a (bases, 1) uint8 ``.npy`` that
    :class:`kmervae.npyio.MatrixReader` reads span by span. Return the number of
    contigs written. The FASTA must be the one the index was made from (checked).
    Written atomically."""
    names, lengths = read_contig_index(index_path)
    wanted = {name: row for row, name in enumerate(names)}
    keep = np.zeros(len(names), dtype=bool)
    keep[np.arange(len(names)) if rows is None else np.asarray(rows, dtype=np.int64)] = True
    progress = Progress(f"view sequences of {os.fspath(fasta)}")
    row = 0
    with NpyRowWriter(out_path, 1, np.uint8) as writer:
        for name, codes in _whole_records(fasta):
            if name not in wanted:
                continue  # shorter than the minimum contig length: not in the matrix
            if wanted[name] != row:
                raise InputError(
                    fasta,
                    f"contig is in row {wanted[name]} of {index_path} but comes after "
                    f"{row} indexed contigs in the FASTA: the index was made from another file",
                    record=name,
                )
            if len(codes) != lengths[row]:
                raise InputError(
                    fasta,
                    f"contig has {len(codes)} bp but {lengths[row]} in {index_path}",
                    record=name,
                )
            if keep[row]:
                stored = codes[:VIEW_MAX_CONTIG]
                writer.write(np.frombuffer(stored, dtype=np.uint8).reshape(-1, 1))
            row += 1
            progress.update(1, len(codes))
        if row != len(names):
            progress.close()
            raise InputError(
                fasta, f"contig {names[row]!r} of {index_path} is not in this FASTA file"
            )
    progress.close()
    n = int(keep.sum())
    log.info("%s: base codes of %d of %d contigs -> %s", fasta, n, row, out_path)
    return n


def count_view_rows(views: list[bytes], counter: KmerCounter | None = None) -> np.ndarray:
    """The feature rows of ``views`` (base codes of substrings), one per view. Long views
    reach the counter in pieces, as FastaReader passes long records, so memory stays
    bounded whatever the contig length."""
    counter = counter or KmerCounter()
    pieces: list[SequencePiece] = []
    for j, codes in enumerate(views):
        cuts = [*range(0, len(codes), MAX_PIECE), len(codes)]
        for a, b in itertools.pairwise(cuts):
            pieces.append(SequencePiece(f"view{j}", codes[a:b], a == 0, b == len(codes)))
    rows = [count_feature_rows(part) for part in counter.count(pieces)]
    if not rows:
        return np.zeros((0, LAYOUT.n_features), dtype=np.float32)
    out = np.concatenate(rows)
    if len(out) != len(views):  # a counter that dropped a record would misalign views
        raise AssertionError(f"{len(views)} views counted into {len(out)} rows")
    return out
