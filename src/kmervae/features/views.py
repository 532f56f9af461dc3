"""Substring "views" of contigs: the training data of the contrastive term.

A view is a random substring of a contig, counted into an ordinary 8,362-column
feature row. Two views of one contig come from the same genome by construction, so
pulling their embeddings together (and pushing other contigs' away) teaches the encoder
which differences between feature rows are sampling noise of a short sequence and which
are genome signal -- the idea behind COMEBin's and SemiBin2's contrastive training.

The views matrix of a sample has ``views`` rows per contig, contig-major: row
``contig * views + j`` is view ``j`` of the contig in row ``contig`` of the feature
matrix. Spans are drawn from a generator seeded by (seed, row), so a contig's views do
not depend on how the FASTA was split or on the other contigs.
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


def _whole_records(fasta) -> Iterator[tuple[str, bytes]]:
    """(name, base codes) of every record, joining the pieces of long ones."""
    parts: list[bytes] = []
    for pieces in FastaReader(fasta):
        for piece in pieces:
            parts.append(piece.codes)
            if piece.last:
                yield piece.name, b"".join(parts)
                parts = []


def count_views(
    fasta: str | os.PathLike,
    index_path: str | os.PathLike,
    out_path: str | os.PathLike,
    spec: ViewSpec,
    batch_contigs: int = 64,
) -> int:
    """Write the views matrix of the contigs of ``index_path`` (a feature matrix's contig
    index) from ``fasta``; return the number of contigs. Written atomically."""
    spec.check()
    names, lengths = read_contig_index(index_path)
    wanted = {name: row for row, name in enumerate(names)}
    counter = KmerCounter()
    progress = Progress(f"views of {os.fspath(fasta)}")
    row = 0
    with NpyRowWriter(out_path, LAYOUT.n_features) as writer:
        batch: list[SequencePiece] = []

        def flush() -> None:
            rows = [count_feature_rows(part) for part in counter.count(batch)]
            if rows:
                writer.write(np.concatenate(rows))
            batch.clear()

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
            for j, (start, stop) in enumerate(view_spans(len(codes), row, spec)):
                # long views go to the counter in pieces, as FastaReader passes long
                # records, so memory stays bounded whatever the contig length
                cuts = [*range(start, stop, MAX_PIECE), stop]
                for a, b in itertools.pairwise(cuts):
                    batch.append(
                        SequencePiece(f"{name}#view{j}", codes[a:b], a == start, b == stop)
                    )
            row += 1
            progress.update(1, len(codes))
            if len(batch) >= batch_contigs * spec.views and batch[-1].last:
                flush()
        flush()
        if row != len(names):
            progress.close()
            raise InputError(
                fasta, f"contig {names[row]!r} of {index_path} is not in this FASTA file"
            )
    progress.close()
    log.info("%s: %d views of %d contigs -> %s", fasta, row * spec.views, row, out_path)
    return row
