"""Matrices on disk: ``.npy`` files written row batch by row batch, read memory-mapped.

The number of contigs is known only at the end of a FASTA file, so a matrix is written with
a fixed-size header that is rewritten with the final shape when the writer closes. Files
are written under a temporary name and renamed on success: an interrupted or failed step
never leaves a half-written matrix under the real name.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

#: Header bytes reserved in front of the data. NumPy's own writer pads to a multiple of 64;
#: 128 bytes hold any 2-D shape we can write.
HEADER_BYTES = 128
_MAGIC = b"\x93NUMPY\x01\x00"


def _header(shape: tuple[int, ...], dtype: np.dtype) -> bytes:
    descr = np.lib.format.dtype_to_descr(np.dtype(dtype))
    text = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {shape!r}, }}"
    room = HEADER_BYTES - len(_MAGIC) - 2
    if len(text) + 1 > room:
        raise ValueError(f"shape {shape} does not fit in a {HEADER_BYTES}-byte header")
    text = text.ljust(room - 1) + "\n"
    return _MAGIC + len(text).to_bytes(2, "little") + text.encode("latin-1")


def temporary_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


class NpyRowWriter:
    """Append row batches to a 2-D ``.npy`` file of ``n_columns`` columns.

    Use as a context manager: on a clean exit the file is completed and renamed into
    place; on an exception the partial file is removed.
    """

    def __init__(self, path: str | os.PathLike, n_columns: int, dtype=np.float32):
        self.path = Path(path)
        self.n_columns = n_columns
        self.dtype = np.dtype(dtype)
        self.n_rows = 0
        self._tmp = temporary_path(self.path)
        self._handle = None

    def __enter__(self) -> NpyRowWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self._tmp, "wb")
        self._handle.write(_header((0, self.n_columns), self.dtype))
        return self

    def write(self, rows: np.ndarray) -> None:
        rows = np.ascontiguousarray(rows, dtype=self.dtype)
        if rows.ndim != 2 or rows.shape[1] != self.n_columns:
            raise ValueError(f"expected rows of {self.n_columns} columns, got {rows.shape}")
        self._handle.write(rows.data)
        self.n_rows += rows.shape[0]

    def __exit__(self, exc_type, exc, tb) -> None:
        handle, self._handle = self._handle, None
        if exc_type is not None:
            handle.close()
            self._tmp.unlink(missing_ok=True)
            return
        handle.seek(0)
        handle.write(_header((self.n_rows, self.n_columns), self.dtype))
        handle.close()
        os.replace(self._tmp, self.path)


def open_matrix(path: str | os.PathLike) -> np.ndarray:
    """Open a 2-D ``.npy`` matrix read-only and memory-mapped (no rows are read yet)."""
    matrix = np.load(path, mmap_mode="r")
    if matrix.ndim != 2:
        raise ValueError(f"{path}: expected a 2-D matrix, found shape {matrix.shape}")
    return matrix


def iter_row_batches(matrix: np.ndarray, batch_rows: int):
    """Yield ``(start, rows)`` over a (memory-mapped) matrix, ``batch_rows`` at a time."""
    for start in range(0, matrix.shape[0], batch_rows):
        yield start, np.asarray(matrix[start : start + batch_rows])
