"""Bin FASTA files and the bin summary table.

Bin files hold the contigs' records exactly as they are in the input FASTA: the header
line and the sequence lines byte for byte (only a missing final line end is added),
gzipped by default (``{bin}.fna.gz``; a bin costs about 35 % of its plain size, and the
bins of a sample are as large as its assembly). The input is read once, streaming, one
record at a time; plain or gzipped.

The bins folder is written under a temporary name beside it and renamed into place only
when every file is complete, so a failed run leaves no partial bins (see
:class:`AtomicDirectory`).
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
from collections import OrderedDict

import numpy as np

from kmervae.errors import InputError
from kmervae.features.fasta import iter_fasta_records
from kmervae.npyio import GZIP_LEVEL, AtomicOutput

log = logging.getLogger(__name__)

SUMMARY_COLUMNS = ("bin", "contigs", "bp", "gc", "n50", "written")
#: suffix of a bin's FASTA file (``.gz`` follows when the bins are compressed)
BIN_SUFFIX = ".fna"


def gc_content(sequence: bytes) -> float:
    """(G+C) / (A+C+G+T) of raw sequence bytes, either case; 0.0 without such bases."""
    s = sequence.upper()
    gc = s.count(b"G") + s.count(b"C")
    acgt = gc + s.count(b"A") + s.count(b"T")
    return gc / acgt if acgt else 0.0


def n50(lengths) -> int:
    """Length L such that contigs of at least L bp hold at least half the bases."""
    lengths = np.sort(np.asarray(lengths, dtype=np.int64))[::-1]
    if len(lengths) == 0:
        return 0
    cumulative = np.cumsum(lengths)
    return int(lengths[np.searchsorted(cumulative, cumulative[-1] / 2)])


class AtomicDirectory(AtomicOutput):
    """A folder of files written under a temporary name, renamed into place on success.

    Works with :func:`kmervae.npyio.atomic_outputs` like a file. ``write(file, data)``
    appends to a file in the folder; at most ``max_open`` files are kept open at once.
    With ``compress`` every file is gzipped and named ``{file}.gz``. An existing folder at
    the path is replaced as a whole at commit.
    """

    def __init__(self, path: str | os.PathLike, max_open: int = 64, compress: bool = False):
        super().__init__(path)  # the temporary folder: npyio.temporary_path, as for files
        self._old = self.path.with_name(f".{self.path.name}.old")
        self.max_open = max_open
        self.compress = compress
        self._open: OrderedDict[str, object] = OrderedDict()
        self._created: set[str] = set()

    def open(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)
        self._tmp.mkdir(parents=True)

    def write(self, filename: str, data: bytes) -> None:
        handle = self._open.get(filename)
        if handle is None:
            if len(self._open) >= self.max_open:
                _, oldest = self._open.popitem(last=False)
                oldest.close()
            mode = "ab" if filename in self._created else "wb"
            handle = self._open_file(filename, mode)
            self._created.add(filename)
            self._open[filename] = handle
        else:
            self._open.move_to_end(filename)
        handle.write(data)

    def _open_file(self, filename: str, mode: str):
        if not self.compress:
            return open(self._tmp / filename, mode)
        # mtime 0: the same bins are the same bytes on every run. A file opened again
        # after more than max_open others gets a second gzip member, which every gzip
        # reader joins (bgzip files are made of such members too).
        return gzip.GzipFile(self._tmp / f"{filename}.gz", mode, GZIP_LEVEL, mtime=0)

    def _close_all(self) -> None:
        while self._open:
            _, handle = self._open.popitem()
            handle.close()

    def finish(self) -> None:
        self._close_all()

    def commit(self) -> None:
        if self.path.exists():
            shutil.rmtree(self._old, ignore_errors=True)
            os.replace(self.path, self._old)
            os.replace(self._tmp, self.path)
            shutil.rmtree(self._old, ignore_errors=True)
        else:
            os.replace(self._tmp, self.path)

    def abort(self) -> None:
        try:
            self._close_all()
        except OSError:
            pass
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)


def scan_fasta(
    fasta: str | os.PathLike,
    names: list[str],
    bin_of: dict[str, str],
    out: AtomicDirectory | None,
) -> np.ndarray:
    """One pass over ``fasta``: write each record named in ``bin_of`` to ``{bin}.fna`` in
    ``out`` (``.fna.gz`` if it compresses), and return the GC content of every contig of
    ``names`` (NaN if absent).

    Raises :class:`InputError` if a contig of ``bin_of`` is not in the file, since then a
    bin would be incomplete.
    """
    position = {n: i for i, n in enumerate(names)}
    gc = np.full(len(names), np.nan)
    written: set[str] = set()
    for record in iter_fasta_records(fasta):
        i = position.get(record.name)
        if i is None:
            continue
        gc[i] = gc_content(record.sequence)
        target = bin_of.get(record.name)
        if target is None or out is None:
            continue
        if record.name in written:
            raise InputError(fasta, "duplicate contig name", record=record.name)
        data = record.header if record.header.endswith(b"\n") else record.header + b"\n"
        seq = record.sequence
        if seq and not seq.endswith(b"\n"):
            seq += b"\n"
        out.write(f"{target}{BIN_SUFFIX}", data + seq)
        written.add(record.name)
    if out is not None and len(written) != len(bin_of):
        missing = sorted(set(bin_of) - written)
        raise InputError(
            fasta,
            f"{len(missing)} binned contigs are not in this FASTA file (e.g. "
            f"{missing[:3]}); is it the FASTA of this sample?",
        )
    return gc


def summary_rows(bins, lengths: np.ndarray, gc: np.ndarray | None, min_bin_size: int):
    """Rows (dicts) of the bin summary: bp-weighted mean GC, N50, written yes/no."""
    rows = []
    for b in bins:
        lens = lengths[b.members]
        if gc is None or np.isnan(gc[b.members]).any():
            gc_value = ""
        else:
            gc_value = f"{float(np.average(gc[b.members], weights=lens)):.4f}"
        rows.append(
            {
                "bin": b.name,
                "contigs": len(b.members),
                "bp": int(lens.sum()),
                "gc": gc_value,
                "n50": n50(lens),
                "written": "yes" if b.bp >= min_bin_size else "no",
            }
        )
    return rows


def summary_text(rows, columns=SUMMARY_COLUMNS) -> str:
    """The bin summary TSV of ``rows``: ``columns`` (the summary's own, and any others the
    rows hold, such as the marker quality of kmervae.markers.quality)."""
    lines = ["\t".join(columns)]
    lines.extend("\t".join(str(r[c]) for c in columns) for r in rows)
    return "\n".join(lines) + "\n"
