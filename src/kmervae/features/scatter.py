"""Scatter and gather for big assemblies: split a FASTA into chunks of whole records,
count the chunks in parallel jobs, and join their matrices back in the original order.

The split keeps records contiguous and in order, balanced by bp, so gathering is a plain
row-wise concatenation; the gathered matrix is byte-identical to the one counted from the
whole file. Chunks are written as plain FASTA of base letters: ambiguity codes become N,
which counts exactly like them (never in a k-mer, not in GC, in the length).
"""

from __future__ import annotations

import os

from kmervae.errors import InputError
from kmervae.features.fasta import FastaReader
from kmervae.features.matrix import ContigIndexWriter, read_contig_index
from kmervae.npyio import AtomicOutput, MatrixReader, NpyRowWriter, atomic_outputs

_LETTERS = bytes.maketrans(bytes(range(5)), b"ACGTN")


class FastaChunkWriter(AtomicOutput):
    """A plain FASTA chunk; each record's sequence on one line (the counter does not care)."""

    def write_piece(self, name: str | None, codes: bytes) -> None:
        if name is not None:
            self._handle.write(b">" + name.encode() + b"\n")
        self._handle.write(codes.translate(_LETTERS))

    def end_record(self) -> None:
        self._handle.write(b"\n")


def split_fasta(fasta: str | os.PathLike, outputs: list[str | os.PathLike]) -> list[int]:
    """Write the records of ``fasta`` into ``len(outputs)`` chunks; return bp per chunk.

    Two passes: the first measures (and checks) every record, the second writes. Chunk i
    takes records in order until the bp written reach (i + 1) / n of the total.
    """
    lengths = []
    for pieces in FastaReader(fasta):
        for piece in pieces:
            if piece.first:
                lengths.append(0)
            lengths[-1] += len(piece.codes)
    total = sum(lengths)
    n = len(outputs)
    bounds = [total * (i + 1) / n for i in range(n)]
    writers = [FastaChunkWriter(path) for path in outputs]
    written = [0] * n
    with atomic_outputs(*writers):
        chunk, done = 0, 0
        record = -1
        for pieces in FastaReader(fasta):
            for piece in pieces:
                if piece.first:
                    record += 1
                    # move on once this chunk has its share (never leave a chunk past
                    # the last one, and let a big record stay whole)
                    while chunk < n - 1 and done >= bounds[chunk]:
                        chunk += 1
                writers[chunk].write_piece(piece.name if piece.first else None, piece.codes)
                if piece.last:
                    writers[chunk].end_record()
                    done += lengths[record]
                    written[chunk] += lengths[record]
    return written


def gather_features(
    matrices: list[str | os.PathLike],
    indexes: list[str | os.PathLike],
    matrix_path: str | os.PathLike,
    index_path: str | os.PathLike,
    batch_rows: int = 4096,
) -> int:
    """Concatenate chunk matrices and indexes row-wise, in the order given."""
    if len(matrices) != len(indexes):
        raise InputError(matrix_path, f"{len(matrices)} matrices but {len(indexes)} indexes")
    parts = [MatrixReader(m) for m in matrices]
    widths = {p.shape[1] for p in parts}
    if len(widths) != 1:
        raise InputError(matrix_path, f"chunk matrices differ in width: {sorted(widths)}")
    seen: set[str] = set()
    writer = NpyRowWriter(matrix_path, widths.pop())
    index = ContigIndexWriter(index_path)
    with atomic_outputs(writer, index):
        for part, index_file, matrix_file in zip(parts, indexes, matrices, strict=True):
            names, lengths = read_contig_index(index_file)
            if len(names) != part.shape[0]:
                raise InputError(
                    index_file, f"lists {len(names)} contigs, {matrix_file} has {part.shape[0]}"
                )
            duplicates = seen.intersection(names)
            if duplicates:
                raise InputError(index_file, "duplicate contig name", record=sorted(duplicates)[0])
            seen.update(names)
            for _, rows in part.batches(batch_rows):
                writer.write(rows)
            index.write(names, lengths)
        if not seen:
            raise InputError(matrix_path, "no contig in any chunk (all below min_contig_length?)")
    return len(seen)
