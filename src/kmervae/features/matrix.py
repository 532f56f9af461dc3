"""From a FASTA file to feature matrices, streaming, in the layout of
:mod:`kmervae.features.layout`.

:func:`featurize` writes the whole 8,362-column matrix in one pass (``kmervae features``)
and a contig index TSV (``contig``, ``length``) whose rows match the matrix rows. (Per-group
tables joined in a second step were the workflow's route until 2026-11-29: the tables took
as much disk as the matrix they were joined into.)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kmervae.errors import InputError, open_input
from kmervae.features.fasta import FastaReader
from kmervae.features.kmers import CountRows, KmerCounter
from kmervae.features.layout import KMER_SIZES, LAYOUT
from kmervae.npyio import AtomicOutput, NpyRowWriter, atomic_outputs
from kmervae.progress import Progress

log = logging.getLogger(__name__)

#: Default minimum contig length in bp.
DEFAULT_MIN_LENGTH = 1000

INDEX_HEADER = "contig\tlength\n"


@dataclass
class CountSummary:
    """What a counting run saw, logged and returned to the caller."""

    records: int = 0
    bases: int = 0
    kept: int = 0
    kept_bases: int = 0
    short: int = 0
    short_bases: int = 0
    no_window: list[str] = field(default_factory=list)

    def log(self, path, min_length: int) -> None:
        log.info(
            "%s: %d records, %d bp; kept %d contigs (%d bp); filtered %d contigs < %d bp (%d bp)",
            path, self.records, self.bases, self.kept, self.kept_bases,
            self.short, min_length, self.short_bases,
        )  # fmt: skip
        if self.no_window:
            shown = ", ".join(self.no_window[:5])
            more = f" and {len(self.no_window) - 5} more" if len(self.no_window) > 5 else ""
            log.warning(
                "%s: %d contigs have no countable window for some k (only ambiguous bases "
                "there); their frequencies are zero: %s%s",
                path, len(self.no_window), shown, more,
            )  # fmt: skip


def count_contigs(
    fasta: str | os.PathLike,
    min_length: int = DEFAULT_MIN_LENGTH,
    summary: CountSummary | None = None,
    progress: Progress | None = None,
    allow_empty: bool = False,
    **reader_options,
) -> Iterator[CountRows]:
    """Count every record of ``fasta``; yield batches of the contigs >= ``min_length`` bp.

    ``allow_empty`` accepts a file without records or without a long enough contig (a
    chunk of a split sample; the gathering step checks the whole sample).
    ``reader_options`` go to :class:`FastaReader` (chunk sizes; tests use tiny ones).
    """
    summary = summary if summary is not None else CountSummary()
    counter = KmerCounter()
    for pieces in FastaReader(fasta, allow_empty=allow_empty, **reader_options):
        for rows in counter.count(pieces):
            summary.records += len(rows)
            summary.bases += int(rows.lengths.sum())
            keep = rows.lengths >= min_length
            if not keep.all():
                summary.short += int((~keep).sum())
                summary.short_bases += int(rows.lengths[~keep].sum())
                rows = rows.select(keep)
            if progress is not None:
                progress.update(len(rows), int(rows.lengths.sum()))
            if not len(rows):
                continue
            summary.kept += len(rows)
            summary.kept_bases += int(rows.lengths.sum())
            empty = np.zeros(len(rows), dtype=bool)
            for k in rows.kmers:
                empty |= rows.total(k) == 0
            if empty.any():
                summary.no_window.extend(n for n, e in zip(rows.names, empty, strict=True) if e)
            yield rows
    if summary.kept == 0 and not allow_empty:
        raise InputError(
            fasta,
            f"no contig of at least {min_length} bp (min_contig_length) among "
            f"{summary.records} records",
        )


def frequencies(counts: np.ndarray, out: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Counts divided by their row sums ``totals``, as float32 into ``out``; a row of zeros
    stays zeros.

    Dividing in float32 is several times faster than a float64 division cast down, which
    matters at 8,192 columns per contig, and gives the same correctly rounded result
    while counts stay below 2**24 (16.7 M windows); above that, float64 is used.
    """
    totals = totals.reshape(-1, 1)
    if len(totals) and totals.max() >= 2**24:
        np.divide(counts, np.maximum(totals, 1), out=out, casting="unsafe")
        return out
    out[...] = counts
    out /= np.maximum(totals, 1).astype(np.float32)
    return out


def gc_fraction(bases: np.ndarray) -> np.ndarray:
    """(G+C)/(A+C+G+T) per row of A, C, G, T counts; 0 where there is no unambiguous base."""
    acgt = bases.sum(axis=1)
    gc = bases[:, 1] + bases[:, 2]
    return np.divide(gc, acgt, out=np.zeros(len(bases)), where=acgt > 0)


def count_feature_rows(rows: CountRows) -> np.ndarray:
    """Rows of the feature matrix, in :data:`LAYOUT` order, from a batch of counted contigs."""
    out = np.empty((len(rows), LAYOUT.n_features), dtype=np.float32)
    out[:, LAYOUT.length_column] = rows.lengths
    for k in KMER_SIZES:
        frequencies(rows.kmers[k], out=out[:, LAYOUT.kmer_slice(k)], totals=rows.total(k))
    out[:, LAYOUT.gc_column] = gc_fraction(rows.bases)
    return out


class ContigIndexWriter(AtomicOutput):
    """The contig index (``contig``, ``length``) beside a matrix."""

    def _begin(self) -> None:
        self._handle.write(INDEX_HEADER.encode())

    def write(self, names: list[str], lengths: np.ndarray) -> None:
        text = "".join(f"{n}\t{int(length)}\n" for n, length in zip(names, lengths, strict=True))
        self._handle.write(text.encode("utf-8"))


def read_contig_index(path: str | os.PathLike) -> tuple[list[str], np.ndarray]:
    """Contig names and lengths of a contig index (``contig``, ``length``), in row order."""
    names, lengths = [], []
    with open_input(path, "contig index") as handle:
        header = handle.readline()
        if not header:
            raise InputError(
                path, f"empty file; expected a contig index with header {INDEX_HEADER!r}"
            )
        if header != INDEX_HEADER:
            raise InputError(path, f"not a contig index: expected header {INDEX_HEADER!r}")
        for line_no, line in enumerate(handle, start=2):
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 2:
                raise InputError(path, "expected 2 tab-separated columns", line=line_no)
            name, length = fields
            if not length.isdigit():
                raise InputError(path, f"length {length!r} is not a whole number", name, line_no)
            names.append(name)
            lengths.append(int(length))
    if len(set(names)) != len(names):
        seen: set[str] = set()
        duplicate = next(n for n in names if n in seen or seen.add(n))
        raise InputError(path, "contig listed twice", duplicate)
    return names, np.asarray(lengths, dtype=np.int64)


def featurize(
    fasta: str | os.PathLike,
    matrix_path: str | os.PathLike,
    index_path: str | os.PathLike,
    min_length: int = DEFAULT_MIN_LENGTH,
    allow_empty: bool = False,
) -> CountSummary:
    """Write the 8,362-column float32 feature matrix of ``fasta`` and its contig index
    (``allow_empty``: with no row when no contig is long enough, not an error)."""
    matrix = NpyRowWriter(matrix_path, LAYOUT.n_features)
    index = ContigIndexWriter(index_path)
    summary = CountSummary()
    with atomic_outputs(matrix, index):
        progress = Progress(f"counting {Path(fasta).name}")
        try:
            for rows in count_contigs(fasta, min_length, summary, progress, allow_empty):
                matrix.write(count_feature_rows(rows))
                index.write(rows.names, rows.lengths)
        finally:
            progress.close()
        summary.log(fasta, min_length)
    return summary
