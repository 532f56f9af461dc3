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
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kmervae.errors import InputError, KmervaeError
from kmervae.features.kmers import KmerCounter
from kmervae.features.layout import LAYOUT, N_FEATURES
from kmervae.features.views import (
    VIEW_MAX_CONTIG,
    ViewSpec,
    count_view_rows,
    view_lengths,
    view_spans,
)
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
        self._lengths: dict[int, np.ndarray] = {}
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

    def lengths(self, f: int) -> np.ndarray:
        """The length column of matrix ``f`` (float32, as stored; read once)."""
        if f not in self._lengths:
            self._lengths[f] = self._readers[f].column(LAYOUT.length_column)
        return self._lengths[f]

    def close(self) -> None:
        for reader in self._readers:
            reader.close()

    def describe(self) -> list[dict]:
        return [
            {"path": str(p.resolve()), "n_contigs": n, "bytes": p.stat().st_size}
            for p, n in zip(self.paths, self.n_rows_per_file, strict=True)
        ]


#: stream tag of the training subsample, so it shares no random numbers with other draws
_SUBSET_STREAM = 0x5B5E


def training_subset(
    lengths: np.ndarray, max_contigs: int, weight_cap: int, seed: int
) -> np.ndarray:
    """Ascending rows of the contigs (of ``lengths``) that train the model: all of them
    when there are at most ``max_contigs`` (0: no limit); otherwise ``max_contigs`` drawn
    without replacement, seeded, with a probability that grows with the length up to
    ``weight_cap`` bp, as the length-weighted loss weighs them (Efraimidis-Spirakis keys:
    the largest u ** (1 / weight) are a weighted sample)."""
    lengths = np.asarray(lengths)
    n = len(lengths)
    if max_contigs <= 0 or n <= max_contigs:
        return np.arange(n, dtype=np.int64)
    # capped within 2 ** 24 too: float32 lengths of a matrix are exact up to there
    cap = min(weight_cap, VIEW_MAX_CONTIG)
    weight = np.clip(np.minimum(lengths, cap).astype(np.float64), 1.0, None)
    u = 1.0 - np.random.default_rng([seed, _SUBSET_STREAM]).random(n)  # in (0, 1]
    keys = np.log(u) / weight
    return np.sort(np.argpartition(-keys, max_contigs - 1)[:max_contigs]).astype(np.int64)


def sample_training_rows(cfg, lengths: np.ndarray, n_samples: int) -> np.ndarray:
    """The rows (ascending) of one of ``n_samples`` training samples, whose contigs have
    ``lengths``, that train the model: its share of ``cfg.max_train_contigs``
    (:meth:`kmervae.vae.config.VAEConfig.contigs_per_sample`), drawn by
    :func:`training_subset`. `kmervae views` and the training both draw them here."""
    return training_subset(
        lengths, cfg.contigs_per_sample(n_samples), cfg.length_weight_cap, cfg.seed
    )


class ViewSource:
    """Substring views of the training contigs of a :class:`MatrixSource`, counted when
    a batch asks for them from the contigs' base codes: one file per feature matrix
    (:func:`kmervae.features.views.write_view_sequences` of the rows ``subsets[i]`` of
    matrix ``i``). View ``j`` of a contig is its ``j``-th span of
    :func:`kmervae.features.views.view_spans` (seeded by the contig's row in its own
    matrix), so a view is the same feature row whether counted here or by any other
    route."""

    def __init__(
        self,
        paths: Sequence[str | os.PathLike],
        features: MatrixSource,
        spec: ViewSpec,
        subsets: Sequence[np.ndarray],
    ):
        if len(paths) != len(features.paths):
            raise InputError(
                paths[0] if paths else "--views",
                f"{len(paths)} view-sequence files for {len(features.paths)} feature "
                "matrices; give one per feature matrix, in the same order",
            )
        self.spec = spec
        self.views = spec.views
        self.paths = [Path(p) for p in paths]
        self._readers: list[MatrixReader] = []
        rows, starts, stops = [], [], []
        for f, (path, subset) in enumerate(zip(self.paths, subsets, strict=True)):
            reader = MatrixReader(path)
            if reader.shape[1] != 1 or reader.dtype != np.dtype("u1"):
                raise InputError(
                    path, f"not a view-sequence file (kmervae views): shape {reader.shape}"
                )
            lengths = view_lengths(features.lengths(f)[subset])
            offsets = np.concatenate([[0], np.cumsum(lengths)])
            if len(reader) != offsets[-1]:
                raise InputError(
                    path,
                    f"holds {len(reader)} bases, expected {offsets[-1]} of the "
                    f"{len(subset)} training contigs of {features.paths[f]}: write the view "
                    "sequences again with these settings (kmervae views)",
                )
            self._readers.append(reader)
            spans = np.array(
                [
                    view_spans(int(n), int(r), spec)
                    for n, r in zip(lengths.tolist(), subset.tolist(), strict=True)
                ],
                dtype=np.int64,
            ).reshape(len(subset), spec.views, 2)
            rows.append(features.row_starts[f] + np.asarray(subset, dtype=np.int64))
            starts.append(offsets[:-1, None] + spans[:, :, 0])
            stops.append(offsets[:-1, None] + spans[:, :, 1])
        self.rows = np.concatenate(rows)
        self._file = np.repeat(np.arange(len(subsets)), [len(s) for s in subsets])
        self._starts = np.concatenate(starts)
        self._stops = np.concatenate(stops)
        self._local = threading.local()

    def read(self, rows: np.ndarray, picks: np.ndarray) -> np.ndarray:
        """View ``picks[i]`` of contig ``rows[i]`` (global rows with views)."""
        rows = np.asarray(rows, dtype=np.int64)
        at = np.searchsorted(self.rows, rows)
        if len(rows) and (at.max() >= len(self.rows) or (self.rows[at] != rows).any()):
            raise KmervaeError("asked for the views of a contig that has none")
        picks = np.asarray(picks, dtype=np.int64)
        codes = [
            self._readers[f].read(a, b).tobytes()
            for f, a, b in zip(
                self._file[at].tolist(),
                self._starts[at, picks].tolist(),
                self._stops[at, picks].tolist(),
                strict=True,
            )
        ]
        if not hasattr(self._local, "counter"):  # one counter per loader thread
            self._local.counter = KmerCounter()
        return count_view_rows(codes, self._local.counter)

    def close(self) -> None:
        for reader in self._readers:
            reader.close()

    def describe(self) -> list[dict]:
        return [
            {"path": str(p.resolve()), "bases": len(r), "bytes": p.stat().st_size}
            for p, r in zip(self.paths, self._readers, strict=True)
        ]


#: markers per batch of the cannot-link term, and contigs drawn per marker: 8 x 8 rows
#: beside a batch of 256, so the term costs a quarter more encoder passes and no decoding
CANNOT_LINK_GROUPS = 8
CANNOT_LINK_GROUP_SIZE = 8
#: stream tag of the cannot-link draws
_CANNOT_LINK_STREAM = 0xC1A5


class CannotLinks:
    """Groups of training contigs that carry the same single-copy marker gene.

    Two contigs with one marker come, almost surely, from different genomes: a signal of
    the sample itself that the k-mer frequencies do not hold. Each training batch draws
    :data:`CANNOT_LINK_GROUPS` markers and up to :data:`CANNOT_LINK_GROUP_SIZE` of the
    contigs of each, seeded by the seed, the epoch and the batch's index (as the batch's
    own rows are), so loader threads give the same draws.
    """

    def __init__(self, groups: Sequence[np.ndarray], seed: int):
        self.groups = [np.asarray(g, dtype=np.int64) for g in groups if len(g) >= 2]
        self.seed = seed

    @classmethod
    def from_marker_tables(
        cls,
        tables: Sequence[str | os.PathLike],
        indexes: Sequence[str | os.PathLike],
        source: MatrixSource,
        rows: np.ndarray,
        seed: int,
    ) -> CannotLinks:
        """The groups among the global ``rows`` of ``source``, from one marker table
        (``kmervae markers``) and one contig index per feature matrix, in its order."""
        from kmervae.features.matrix import read_contig_index
        from kmervae.markers.quality import read_marker_table

        for what, paths in (("marker tables", tables), ("contig indexes", indexes)):
            if len(paths) != len(source.paths):
                raise InputError(
                    paths[0] if paths else f"--{what.split()[0]}",
                    f"{len(paths)} {what} for {len(source.paths)} feature matrices; give "
                    "one per feature matrix, in the same order",
                )
        allowed = np.zeros(source.n_rows, dtype=bool)
        allowed[rows] = True
        carriers: dict[str, set[int]] = {}
        for f, (table_path, index_path) in enumerate(zip(tables, indexes, strict=True)):
            names, _ = read_contig_index(index_path)
            if len(names) != source.n_rows_per_file[f]:
                raise InputError(
                    index_path,
                    f"lists {len(names)} contigs, but {source.paths[f]} holds "
                    f"{source.n_rows_per_file[f]} rows",
                )
            # the index is walked once against the (small) table's contigs: no lookup of
            # every contig of a large sample is built
            hits_of = read_marker_table(table_path).hits
            found = 0
            for i, name in enumerate(names):
                hits = hits_of.get(name)
                if hits is None:
                    continue
                found += 1
                row = int(source.row_starts[f]) + i
                if allowed[row]:
                    for _, marker in hits:
                        carriers.setdefault(marker, set()).add(row)
            if found < len(hits_of):
                known = set(names)
                missing = next(c for c in hits_of if c not in known)
                raise InputError(table_path, f"contig not in {index_path}", missing)
        return cls([np.array(sorted(carriers[m])) for m in sorted(carriers)], seed)

    @property
    def n_pairs(self) -> int:
        return sum(len(g) * (len(g) - 1) // 2 for g in self.groups)

    def draw(self, epoch: int, idx: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows (ascending) and, for each, the index of its group in this draw."""
        rng = np.random.default_rng([self.seed, _CANNOT_LINK_STREAM, epoch, idx])
        picked = rng.choice(
            len(self.groups), min(CANNOT_LINK_GROUPS, len(self.groups)), replace=False
        )
        rows, labels = [], []
        for label, g in enumerate(picked.tolist()):
            group = self.groups[g]
            take = rng.choice(group, min(CANNOT_LINK_GROUP_SIZE, len(group)), replace=False)
            rows.append(take)
            labels.append(np.full(len(take), label, dtype=np.int32))
        rows, labels = np.concatenate(rows), np.concatenate(labels)
        # a contig with two drawn markers appears twice: both copies push apart their groups
        order = np.argsort(rows, kind="stable")
        return rows[order], labels[order]


#: bins whose contigs are partners in self-training: marker-estimated quality high or
#: medium (kmervae.markers.quality), bins that are mostly one genome
PARTNER_QUALITIES = ("high", "medium")
_PARTNER_STREAM = 0x9A27


class BinPartners:
    """Training contigs grouped by the bin an earlier round of training and clustering
    put them in, for self-training: the positive of a contig in the contrastive term is,
    with probability ``share``, the view of another training contig of its bin instead
    of its own view. Only bins of estimated quality high or medium count
    (:data:`PARTNER_QUALITIES`): they are mostly of one genome, so the term learns what
    the contigs of one genome share, which the contig's own substrings cannot teach.

    A batch's partners depend only on the seed, the epoch and the batch's index, as its
    rows do.
    """

    def __init__(self, group_of_row: np.ndarray, rows: np.ndarray, share: float, seed: int):
        """``group_of_row``: the bin number of every row of the source (-1: none);
        partners are drawn among ``rows`` (the training rows) only."""
        group_of_row = np.asarray(group_of_row, dtype=np.int64)
        grouped = np.unique(np.asarray(rows, dtype=np.int64))
        grouped = grouped[group_of_row[grouped] >= 0]
        self.group_of_row = np.full(len(group_of_row), -1, dtype=np.int64)
        self.group_of_row[grouped] = group_of_row[grouped]
        # the members of bin g are members[offsets[g] : offsets[g] + counts[g]]
        self.members = grouped[np.argsort(group_of_row[grouped], kind="stable")]
        n_groups = int(group_of_row.max(initial=-1)) + 1
        self.counts = np.bincount(group_of_row[grouped], minlength=n_groups)
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)[:-1]]).astype(np.int64)
        self.share = float(share)
        self.seed = seed

    @property
    def n_groups(self) -> int:
        return int((self.counts >= 2).sum())

    @property
    def n_contigs(self) -> int:
        return int(self.counts[self.counts >= 2].sum())

    @classmethod
    def from_groups(
        cls,
        groups: Sequence[np.ndarray],
        source: MatrixSource,
        rows: np.ndarray,
        share: float,
        seed: int,
    ) -> BinPartners:
        """The partners among the global ``rows`` of ``source``, from one array per
        feature matrix, in its order: the bin number of each of its rows (-1: none; from
        0 in each matrix, the bins of one sample are not those of another)."""
        if len(groups) != len(source.paths):
            raise KmervaeError(
                f"bins of {len(groups)} samples for {len(source.paths)} feature matrices; "
                "give one clusters table and bin summary per feature matrix, in its order"
            )
        group_of_row = np.full(source.n_rows, -1, dtype=np.int64)
        n_groups = 0
        for f, labels in enumerate(groups):
            labels = np.asarray(labels, dtype=np.int64)
            if len(labels) != source.n_rows_per_file[f]:
                raise KmervaeError(
                    f"bins of {len(labels)} contigs for {source.paths[f]}, which holds "
                    f"{source.n_rows_per_file[f]} rows"
                )
            start = int(source.row_starts[f])
            group_of_row[start : start + len(labels)] = np.where(labels >= 0, labels + n_groups, -1)
            n_groups += int(labels.max(initial=-1)) + 1
        return cls(group_of_row, rows, share, seed)

    def draw(self, rows: np.ndarray, epoch: int, idx: int) -> np.ndarray:
        """The contig whose view is the positive of each of ``rows``: itself, or with
        probability ``share`` a random training contig of its bin (possibly itself)."""
        rows = np.asarray(rows, dtype=np.int64)
        rng = np.random.default_rng([self.seed, _PARTNER_STREAM, epoch, idx])
        swap = rng.random(len(rows)) < self.share
        pick = rng.random(len(rows))
        groups = self.group_of_row[rows]
        swap &= groups >= 0
        g = groups[swap]
        at = self.offsets[g] + np.minimum((pick[swap] * self.counts[g]).astype(np.int64),
                                          self.counts[g] - 1)  # fmt: skip
        partners = rows.copy()
        partners[swap] = self.members[at]
        return partners


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

    def _init(
        self,
        source,
        rows,
        batch_size,
        shuffle,
        seed,
        drop_remainder,
        views=None,
        links=None,
        partners=None,
    ):
        self.source = source
        self.views = views
        self.links = links
        self.partners = partners
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
            # self-training: some contigs' positives are views of a contig of their bin
            view_rows = rows if self.partners is None else self.partners.draw(rows, self.epoch, idx)
            batch = (batch, self.views.read(view_rows, self._view_picks(view_rows)))
        if self.links is not None:
            link_rows, groups = self.links.draw(self.epoch, idx)
            parts = batch if isinstance(batch, tuple) else (batch,)
            batch = (*parts, self.source.read(link_rows), groups)
        self.load_seconds += time.perf_counter() - t0
        self.batches_loaded += 1
        return (batch,)

    def on_epoch_end(self):
        # Keras may call this more than once per epoch; the epoch is set explicitly
        # with set_epoch() by the training loop instead.
        pass


def make_batches(
    source,
    rows,
    batch_size,
    *,
    shuffle,
    seed,
    drop_remainder,
    workers=1,
    views=None,
    links=None,
    partners=None,
):
    """A ``keras.utils.PyDataset`` yielding ``(raw_rows,)`` batches of ``rows``, or
    ``((raw_rows, one_view_of_each),)`` with a :class:`ViewSource` (with
    :class:`BinPartners`, some views are of a partner of the contig); with
    :class:`CannotLinks`, the batch's tuple ends with the raw rows of a cannot-link draw
    and their group labels."""
    PyDataset = _import_pydataset()

    class RowBatches(_BatchesBase, PyDataset):
        def __init__(self):
            PyDataset.__init__(self, workers=workers, use_multiprocessing=False)
            self._init(
                source, rows, batch_size, shuffle, seed, drop_remainder, views, links, partners
            )

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
