"""Matrices on disk: ``.npy`` files written row batch by row batch, read memory-mapped.

The number of contigs is known only at the end of a FASTA file, so a matrix is written with
a fixed-size header that is rewritten with the final shape when the writer closes. Files
are written under a temporary name and renamed on success: an interrupted or failed step
never leaves a half-written matrix under the real name. :func:`atomic_path` does the same
for any single file (a model, a picture, a JSON record), :func:`atomic_outputs` for several
files that must appear together.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from kmervae.errors import InputError, KmervaeError

#: Header bytes reserved in front of the data. NumPy's own writer pads to a multiple of 64;
#: 128 bytes hold any 2-D shape we can write.
HEADER_BYTES = 128
_MAGIC = b"\x93NUMPY\x01\x00"
#: gzip level of the gzipped outputs (bins, the embedding table): level 1 makes a bin 35 %
#: of its plain size at about 40 MB/s; gzip's default, 6, makes it 31 % at a ninth of the
#: speed (a bin of the 100 k scale sample, 13.7 MB); the embedding table of 10 k contigs
#: (26 MB of text) takes 4.2 s at level 9, the gzip module's default, and 0.26 s at level 1,
#: for a file 12 % larger
GZIP_LEVEL = 1


def _header(shape: tuple[int, ...], dtype: np.dtype) -> bytes:
    shape = tuple(int(n) for n in shape)  # numpy integers would print as np.int64(...)
    descr = np.lib.format.dtype_to_descr(np.dtype(dtype))
    text = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {shape!r}, }}"
    room = HEADER_BYTES - len(_MAGIC) - 2
    if len(text) + 1 > room:
        raise ValueError(f"shape {shape} does not fit in a {HEADER_BYTES}-byte header")
    text = text.ljust(room - 1) + "\n"
    return _MAGIC + len(text).to_bytes(2, "little") + text.encode("latin-1")


def temporary_path(path: str | os.PathLike) -> Path:
    """The hidden sibling of ``path`` that an output is written to before it is renamed.

    The real name stays at the end, so writers that choose the format by the file's
    extension (Keras, Matplotlib) write the same format to it.
    """
    path = Path(path)
    return path.with_name(f".partial.{path.name}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to write; rename it to ``path`` if the block
    succeeds, remove it if the block fails. Readers of ``path`` never see a half-written
    file, and a failed step leaves no file behind under the real name.

    For several files that must appear together use :func:`atomic_outputs`.
    """
    tmp = temporary_path(path)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


class AtomicOutput:
    """An output file written under a temporary name, renamed into place only on success.

    Phases: ``open()``, writes, ``finish()`` (complete and close the temporary file),
    ``commit()`` (rename). ``abort()`` removes the temporary file whatever happened. Use
    :func:`atomic_outputs` to handle several files that must appear together.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._tmp = temporary_path(self.path)
        self._handle = None

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self._tmp, "wb")
        self._begin()

    def _begin(self) -> None:
        """Write what comes before the data (a header)."""

    def _end(self) -> None:
        """Complete the file before it is closed."""

    def finish(self) -> None:
        self._end()
        handle, self._handle = self._handle, None
        handle.close()

    def commit(self) -> None:
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        handle, self._handle = self._handle, None
        try:
            if handle is not None:
                handle.close()
        except OSError:
            pass  # the write that failed is already being reported
        finally:
            self._tmp.unlink(missing_ok=True)

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
            return
        try:
            self.finish()
        except BaseException:
            self.abort()
            raise
        self.commit()


class TextOutput(AtomicOutput):
    """A text file whose content is known only when every output is complete: ``text``
    is a string or a function returning one, called when the file is finished."""

    def __init__(self, path: str | os.PathLike, text):
        super().__init__(path)
        self.text = text

    def _end(self) -> None:
        text = self.text() if callable(self.text) else self.text
        self._handle.write(text.encode("utf-8"))


@contextlib.contextmanager
def atomic_outputs(*outputs: AtomicOutput):
    """Open several outputs; on success finish all, then rename all; on failure remove all.

    Renaming only after every file is complete keeps a matrix and its index from being
    replaced one without the other.
    """
    paths = [o.path.resolve() for o in outputs]
    if len(set(paths)) != len(paths):
        raise KmervaeError(f"the same path is given for two outputs: {[str(p) for p in paths]}")
    opened: list[AtomicOutput] = []
    try:
        for output in outputs:
            output.open()
            opened.append(output)
        yield outputs
        for output in outputs:
            output.finish()
    except BaseException:
        for output in opened:
            output.abort()
        raise
    for output in outputs:
        output.commit()


class NpyRowWriter(AtomicOutput):
    """Append row batches to a 2-D ``.npy`` file of ``n_columns`` columns.

    Use as a context manager, or through :func:`atomic_outputs` with other outputs.
    """

    def __init__(self, path: str | os.PathLike, n_columns: int, dtype=np.float32):
        super().__init__(path)
        self.n_columns = int(n_columns)
        self.dtype = np.dtype(dtype)
        self.n_rows = 0

    def _begin(self) -> None:
        self._handle.write(_header((0, self.n_columns), self.dtype))

    def write(self, rows: np.ndarray) -> None:
        rows = np.ascontiguousarray(rows, dtype=self.dtype)
        if rows.ndim != 2 or rows.shape[1] != self.n_columns:
            raise ValueError(f"expected rows of {self.n_columns} columns, got {rows.shape}")
        self._handle.write(rows.data)
        self.n_rows += rows.shape[0]

    def _end(self) -> None:
        self._handle.seek(0)
        self._handle.write(_header((self.n_rows, self.n_columns), self.dtype))


def open_matrix(path: str | os.PathLike) -> np.ndarray:
    """Open a 2-D ``.npy`` matrix read-only and memory-mapped (no rows are read yet)."""
    try:
        matrix = np.load(path, mmap_mode="r")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except (ValueError, OSError) as err:
        raise InputError(path, f"not a .npy matrix ({err})") from None
    if matrix.ndim != 2:
        raise InputError(path, f"expected a 2-D matrix, found shape {matrix.shape}")
    return matrix


class MatrixReader:
    """Row batches of a 2-D ``.npy`` matrix read with plain file reads.

    Pages of a memory map that were read stay in the process's resident memory until the
    map is dropped, so streaming a 33 GB matrix through ``np.load(mmap_mode="r")`` shows
    a resident size of 33 GB (and counts against a scheduler's memory limit). Reading row
    batches into a fresh buffer keeps memory flat.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        header = open_matrix(path)  # checks the file and parses the header
        if not header.flags.c_contiguous:
            raise InputError(path, "matrix is not in C order")
        self.shape = header.shape
        self.dtype = header.dtype
        self._offset = int(header.offset)
        self._row_bytes = int(header.shape[1] * header.dtype.itemsize)
        self._fd: int | None = None  # opened on the first read, kept for the next ones
        del header

    def __len__(self) -> int:
        return self.shape[0]

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start`` to ``stop`` (exclusive) as a new array."""
        stop = min(stop, self.shape[0])
        out = np.empty((max(0, stop - start), self.shape[1]), dtype=self.dtype)
        self.read_into(start, out)
        return out

    def read_into(self, start: int, out: np.ndarray) -> None:
        """Fill ``out`` (C-contiguous, ``len(out)`` rows of this matrix's width and dtype)
        with the rows from ``start`` on."""
        if not out.size:
            return
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        got = os.preadv(
            self._fd, [memoryview(out).cast("B")], self._offset + start * self._row_bytes
        )
        if got != out.nbytes:
            raise InputError(self.path, f"file is truncated (rows {start}-{start + len(out)})")

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def batches(self, batch_rows: int):
        """Yield ``(start, rows)`` over the whole matrix, ``batch_rows`` at a time."""
        for start in range(0, self.shape[0], batch_rows):
            yield start, self.read(start, start + batch_rows)

    def __getitem__(self, rows) -> np.ndarray:
        """The rows at the integer indices ``rows`` (1-D), in that order, as a new array:
        one positional read per row, so a subsample of a large matrix costs its own rows
        and not the file pages that a memory map would read ahead around each one."""
        rows = np.asarray(rows)
        if rows.ndim != 1 or not np.issubdtype(rows.dtype, np.integer):
            raise TypeError("MatrixReader rows are selected by a 1-D array of row indices")
        out = np.empty((len(rows), self.shape[1]), dtype=self.dtype)
        for i, row in enumerate(rows):
            if not 0 <= row < self.shape[0]:
                raise IndexError(f"row {row} of a matrix of {self.shape[0]} rows")
            self.read_into(int(row), out[i : i + 1])
        return out

    def column(self, j: int) -> np.ndarray:
        """One column of every row: one small positional read per row, so a column of a
        33 GB matrix costs a second, not a read of the whole file."""
        if not 0 <= j < self.shape[1]:
            raise IndexError(f"column {j} of a matrix of {self.shape[1]} columns")
        size = self.dtype.itemsize
        out = np.empty(self.shape[0], dtype=self.dtype)
        buffer = memoryview(out).cast("B")
        if self._fd is None and len(out):
            self._fd = os.open(self.path, os.O_RDONLY)
        start = self._offset + j * size
        for row in range(self.shape[0]):
            got = os.preadv(self._fd, [buffer[row * size : (row + 1) * size]], start)
            if got != size:
                raise InputError(self.path, f"file is truncated (row {row})")
            start += self._row_bytes
        return out
