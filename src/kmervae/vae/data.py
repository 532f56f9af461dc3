"""Streaming rows of feature matrices (.npy) into training batches.

A matrix is opened with ``np.load(mmap_mode="r")`` only to read its header (shape,
dtype, data offset); rows are then read with ``os.preadv`` straight into a batch
buffer. Pages of a memory map that has been read stay in the process's resident set,
so reading a large matrix through one memory map makes RSS grow with the matrix;
positional reads go through the page cache instead and keep RSS flat, whatever the
number of contigs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kmervae.errors import InputError
from kmervae.features.layout import N_FEATURES
from kmervae.npyio import MatrixReader


class MatrixSource:
    """Row access to one or more feature matrices, addressed by a global row index.

    Rows are read with plain file reads (:class:`kmervae.npyio.MatrixReader`), never
    through a memory map, so resident memory does not grow with the matrices.
    """

    def __init__(self, paths: Sequence[str | os.PathLike]):
        if not paths:
            raise InputError("--features", "no feature matrix given")
        self.paths = [Path(p) for p in paths]
        self._readers: list[MatrixReader] = []
        for path in self.paths:
            try:
                reader = MatrixReader(path)
            except InputError as err:
                raise InputError(path, f"cannot open as a .npy matrix: {err.problem}") from err
            if reader.shape[1] != N_FEATURES:
                raise InputError(
                    path,
                    f"expected a 2-D matrix with {N_FEATURES} columns, got shape {reader.shape}",
                )
            if reader.dtype != np.dtype("<f4"):
                raise InputError(
                    path, f"expected little-endian float32 in C order, got {reader.dtype.str}"
                )
            self._readers.append(reader)
        self.n_rows_per_file = [len(r) for r in self._readers]
        self.row_starts = np.concatenate([[0], np.cumsum(self.n_rows_per_file)]).astype(np.int64)
        self.n_rows = int(self.row_starts[-1])
        if self.n_rows == 0:
            raise InputError(self.paths[0], "the feature matrices hold no contigs")

    def read(self, rows: np.ndarray) -> np.ndarray:
        """Rows ``rows`` (global indices, ascending) as a new float32 array."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), N_FEATURES), dtype=np.float32)
        if len(rows) == 0:
            return out
        file_of = np.searchsorted(self.row_starts, rows, side="right") - 1
        # runs of consecutive rows within one file are read with one call
        breaks = np.flatnonzero((np.diff(rows) != 1) | (np.diff(file_of) != 0)) + 1
        starts = np.concatenate([[0], breaks])
        stops = np.concatenate([breaks, [len(rows)]])
        for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
            f = int(file_of[a])
            self._readers[f].read_into(int(rows[a] - self.row_starts[f]), out[a:b])
        return out

    def close(self) -> None:
        for reader in self._readers:
            reader.close()

    def describe(self) -> list[dict]:
        return [
            {"path": str(p.resolve()), "n_contigs": n, "bytes": p.stat().st_size}
            for p, n in zip(self.paths, self.n_rows_per_file, strict=True)
        ]


class ViewSource:
    """The substring views of the contigs of a :class:`MatrixSource` (one views matrix
    per feature matrix, ``views`` rows per contig, contig-major; see kmervae.features.views)."""

    def __init__(self, paths: Sequence[str | os.PathLike], features: MatrixSource, views: int):
        if len(paths) != len(features.paths):
            raise InputError(
                paths[0] if paths else "--views",
                f"{len(paths)} views matrices for {len(features.paths)} feature matrices; "
                "give one per feature matrix, in the same order",
            )
        self.source = MatrixSource(paths)
        self.views = int(views)
        for path, n_views, n_contigs in zip(
            self.source.paths,
            self.source.n_rows_per_file,
            features.n_rows_per_file,
            strict=True,
        ):
            if n_views != n_contigs * self.views:
                raise InputError(
                    path,
                    f"holds {n_views} rows, expected {self.views} views x {n_contigs} "
                    "contigs of its feature matrix: count the views again with these settings",
                )

    def read(self, rows: np.ndarray, picks: np.ndarray) -> np.ndarray:
        """View ``picks[i]`` of contig ``rows[i]`` (global rows, ascending)."""
        rows = np.asarray(rows, dtype=np.int64)
        return self.source.read(rows * self.views + np.asarray(picks, dtype=np.int64))

    def close(self) -> None:
        self.source.close()

    def describe(self) -> list[dict]:
        return self.source.describe()


def split_rows(n_rows: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded split of ``range(n_rows)`` into ascending train and validation indices."""
    n_val = round(n_rows * val_fraction)
    if val_fraction > 0 and n_rows >= 2:
        n_val = min(max(n_val, 1), n_rows - 1)
    perm = np.random.default_rng([seed, 0x5EED]).permutation(n_rows)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def _import_pydataset():
    import keras

    return keras.utils.PyDataset


class _BatchesBase:
    """Batches of raw feature rows; for training, a new seeded order every epoch.

    The rows of a batch depend only on the seed, the epoch and the batch's index, not on
    which batches were read before: loader threads (``workers`` > 1) that read batches
    out of order and at the same time give the same batches, and so the same model.
    """

    def _init(self, source, rows, batch_size, shuffle, seed, drop_remainder, views=None):
        self.source = source
        self.views = views
        self._picks = None
        self._picks_epoch = None
        self.rows = np.asarray(rows, dtype=np.int64)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = seed
        self.epoch = 0
        n = len(self.rows)
        if drop_remainder and n > self.batch_size:
            self._n_batches = n // self.batch_size
        else:
            self._n_batches = max(1, math.ceil(n / self.batch_size))
        self._order = None
        self._order_epoch = None
        self.load_seconds = 0.0
        self.batches_loaded = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _rows_of_batch(self, idx: int) -> np.ndarray:
        if self.shuffle:
            if self._order_epoch != self.epoch:
                rng = np.random.default_rng([self.seed, 0xBA7C, self.epoch])
                self._order = rng.permutation(self.rows)
                self._order_epoch = self.epoch
            rows = self._order[idx * self.batch_size : (idx + 1) * self.batch_size]
            return np.sort(rows)
        return self.rows[idx * self.batch_size : (idx + 1) * self.batch_size]

    def _view_picks(self, rows: np.ndarray) -> np.ndarray:
        # one view per contig and epoch; validation (no shuffling) always sees epoch 0's
        epoch = self.epoch if self.shuffle else 0
        if self._picks_epoch != epoch:
            rng = np.random.default_rng([self.seed, 0x71E5, epoch])
            self._picks = rng.integers(0, self.views.views, self.source.n_rows)
            self._picks_epoch = epoch
        return self._picks[rows]

    def __len__(self):
        return self._n_batches

    def __getitem__(self, idx):
        import time

        if idx >= self._n_batches:
            raise IndexError(idx)
        t0 = time.perf_counter()
        rows = self._rows_of_batch(idx)
        batch = self.source.read(rows)
        if self.views is not None:
            batch = (batch, self.views.read(rows, self._view_picks(rows)))
        self.load_seconds += time.perf_counter() - t0
        self.batches_loaded += 1
        return (batch,)

    def on_epoch_end(self):
        # Keras may call this more than once per epoch; the epoch is set explicitly
        # with set_epoch() by the training loop instead.
        pass


def make_batches(source, rows, batch_size, *, shuffle, seed, drop_remainder, workers=1, views=None):
    """A ``keras.utils.PyDataset`` yielding ``(raw_rows,)`` batches of ``rows``, or
    ``((raw_rows, one_view_of_each),)`` with a :class:`ViewSource`."""
    PyDataset = _import_pydataset()

    class RowBatches(_BatchesBase, PyDataset):
        def __init__(self):
            PyDataset.__init__(self, workers=workers, use_multiprocessing=False)
            self._init(source, rows, batch_size, shuffle, seed, drop_remainder, views)

    return RowBatches()


def iter_row_chunks(source: MatrixSource, rows: np.ndarray, chunk: int = 2048):
    """Yield ``(rows_chunk, matrix_chunk)`` over ascending ``rows``."""
    for a in range(0, len(rows), chunk):
        r = rows[a : a + chunk]
        yield r, source.read(r)


class RunningMoments:
    """Per-column mean and variance, merged chunk by chunk in float64 (Chan et al.)."""

    def __init__(self, n_columns: int):
        self.n = 0
        self.mean = np.zeros(n_columns, dtype=np.float64)
        self.m2 = np.zeros(n_columns, dtype=np.float64)

    def update(self, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=np.float64)
        nb = x.shape[0]
        if nb == 0:
            return
        mb = x.mean(axis=0)
        m2b = ((x - mb) ** 2).sum(axis=0)
        n = self.n + nb
        delta = mb - self.mean
        self.mean = self.mean + delta * (nb / n)
        self.m2 = self.m2 + m2b + delta**2 * (self.n * nb / n)
        self.n = n

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.m2 / max(self.n, 1))
