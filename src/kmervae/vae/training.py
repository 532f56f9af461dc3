"""Training the VAE on feature matrices: streaming, deterministic, resumable.

:func:`train` reads the training samples' matrices row batch by row batch (never a
whole matrix), holds out a seeded validation split, computes the standardisation
statistics streaming in float64, fits the model with a checkpoint after every epoch
and writes, each atomically, into the output directory:

``vae.keras``          the model (``kmervae.vae.model.load_vae`` / ``keras.saving.load_model``)
``history.tsv``        one row per epoch: losses, per-group MSEs, KL, KL weight, LR
``training.png``       total loss, per-group reconstruction, KL and LR against epoch
``architecture.png``   the network picture (kmervae.vae.architecture; a warning if not drawn)
``provenance.json``    seed, config, versions, training samples, feature layout

A run that is killed resumes from ``checkpoint/`` when rerun with the same
configuration and data; with the same seed, a resumed run gives the same weights as
an uninterrupted one. A loss that is not finite stops the run with an error, and no
model is written.

The steps of :func:`train`, in order: :func:`open_training_data` (matrices, views,
split), :func:`read_checkpoint`, :func:`prepare_model` (new or restored),
:func:`fit_epochs` (callbacks, checkpoints) and :func:`write_outputs`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import keras
import numpy as np

from kmervae.errors import InputError, KmervaeError
from kmervae.features.layout import LAYOUT, N_FEATURES
from kmervae.npyio import atomic_path
from kmervae.provenance import provenance, write_json_atomic
from kmervae.vae.config import VAEConfig
from kmervae.vae.data import (
    PARTNER_QUALITIES,
    BinPartners,
    CannotLinks,
    MatrixSource,
    RunningMoments,
    ViewSource,
    iter_row_chunks,
    make_batches,
    sample_training_rows,
    split_rows,
)
from kmervae.vae.model import GROUP_NAMES, KmerVAE, build_vae, load_vae

log = logging.getLogger(__name__)

CHECKPOINT_DIR = "checkpoint"
METRICS = (
    "loss",
    "reconstruction",
    "kl",
    "cosine",
    "contrastive",
    *(f"mse_{g}" for g in GROUP_NAMES),
)
HISTORY_COLUMNS = (
    "epoch",
    *METRICS,
    "cannot_link",  # training batches only: validation batches draw no cannot-links
    *(f"val_{m}" for m in METRICS),
    "kl_weight",
    "learning_rate",
    "seconds",
    "load_seconds",
)


@dataclass
class TrainResult:
    model: KmerVAE
    history: list[dict]
    outdir: Path
    initial_epoch: int
    stopped_early: bool


# ---------------------------------------------------------------------------------
def set_determinism(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and the backend; make TensorFlow ops deterministic."""
    keras.utils.set_random_seed(seed)
    if deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def set_threads(threads: int | None) -> None:
    """Use at most ``threads`` CPU threads for the backend's ops (None: the backend's choice).

    Must run before the first TensorFlow op; a scheduler's job gets exactly its cores.
    """
    if not threads or keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))


def feature_statistics(model: KmerVAE, source: MatrixSource, rows: np.ndarray, chunk=2048):
    """Mean and standard deviation of the transformed features over ``rows`` (float64)."""
    moments = RunningMoments(N_FEATURES)
    for r, raw in iter_row_chunks(source, rows, chunk):
        x = keras.ops.convert_to_numpy(model.preprocessor.transform(raw))
        bad = ~np.isfinite(x).all(axis=1)
        if bad.any():
            row = int(r[np.flatnonzero(bad)[0]])
            f = int(np.searchsorted(source.row_starts, row, side="right") - 1)
            raise KmervaeError(
                f"file {source.paths[f]}, row {row - int(source.row_starts[f])}: "
                "non-finite value after the input transform (negative or NaN feature?)"
            )
        moments.update(x)
    return moments.mean, moments.std


def kl_weight_at(cfg: VAEConfig, epoch: int) -> float:
    """KL weight of (0-based) ``epoch``: beta, ramped linearly from 0 if warm-up is on."""
    if cfg.kl_warmup_epochs <= 0:
        return float(cfg.beta)
    return float(cfg.beta) * min(1.0, epoch / cfg.kl_warmup_epochs)


def _fingerprint(cfg: VAEConfig, data: TrainingData) -> str:
    d = cfg.to_dict()
    d.pop("epochs")  # more epochs may be asked for when resuming
    inputs = {
        "data": data.source.describe(),
        "views": data.views.describe() if data.views else None,
        "markers": [_file_digest(p) for p in (*data.marker_tables, *data.contig_indexes)],
        "init_model": _file_digest(data.init_model) if data.init_model else None,
        # the bin of every training contig that has partners
        "bins": (
            hashlib.sha256(data.partners.group_of_row.tobytes()).hexdigest()
            if data.partners
            else None
        ),
    }
    blob = json.dumps({"config": d, **inputs}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _export_copy(model: KmerVAE) -> KmerVAE:
    """An uncompiled copy with the same weights (no optimizer state in vae.keras)."""
    copy = KmerVAE(model.vae_config)
    for dst, src in zip(copy.variables, model.variables, strict=True):
        dst.assign(src)
    return copy


def write_history(path: Path, rows: Sequence[dict]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        f.write("\t".join(HISTORY_COLUMNS) + "\n")
        for row in rows:
            f.write("\t".join(_fmt(row.get(c)) for c in HISTORY_COLUMNS) + "\n")


def _fmt(v) -> str:
    if v is None:
        return "NA"
    if isinstance(v, int):
        return str(v)
    return f"{float(v):.8g}"


def read_history(path: Path) -> list[dict]:
    """Rows of a ``history.tsv`` as dicts of floats (epoch as int)."""
    lines = Path(path).read_text().splitlines()
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        vals = line.split("\t")
        row = {h: (None if v == "NA" else float(v)) for h, v in zip(header, vals, strict=True)}
        row["epoch"] = int(row["epoch"])
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------
class EpochSetup(keras.callbacks.Callback):
    """At the start of every epoch: data order and KL weight of that epoch."""

    def __init__(self, cfg: VAEConfig, train_batches):
        super().__init__()
        self.cfg = cfg
        self.train_batches = train_batches

    def on_epoch_begin(self, epoch, logs=None):
        self.train_batches.set_epoch(epoch)
        self.model.kl_weight.assign(kl_weight_at(self.cfg, epoch))


class CheckpointAndRecord(keras.callbacks.Callback):
    """Records each epoch (history.tsv, log) and checkpoints the whole training state.

    Must come last in the callback list: it saves the state of ReduceLROnPlateau and
    EarlyStopping after they have seen the epoch, and restores it on resume.
    """

    STATEFUL: ClassVar[dict[str, tuple[str, ...]]] = {
        "ReduceLROnPlateau": ("wait", "best", "cooldown_counter"),
        "EarlyStopping": ("wait", "best", "best_epoch", "stopped_epoch"),
    }

    def __init__(
        self, outdir, fingerprint, cfg, train_batches, history, stateful, restored_state=None
    ):
        super().__init__()
        self.outdir = Path(outdir)
        self.ckpt_dir = self.outdir / CHECKPOINT_DIR
        self.fingerprint = fingerprint
        self.cfg = cfg
        self.train_batches = train_batches
        self.history = list(history)
        self.restored_state = restored_state
        #: the callbacks whose state is checkpointed (ReduceLROnPlateau, EarlyStopping)
        self.stateful: list[keras.callbacks.Callback] = [
            cb for cb in stateful if type(cb).__name__ in self.STATEFUL
        ]
        self.diverged_epoch: int | None = None

    def on_train_begin(self, logs=None):
        if self.restored_state:
            saved = self.restored_state.get("callbacks", {})
            for cb in self.stateful:
                for attr, value in saved.get(type(cb).__name__, {}).items():
                    setattr(cb, attr, value)

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()
        self._load0 = self.train_batches.load_seconds
        self._lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        row = {"epoch": epoch + 1}
        for c in HISTORY_COLUMNS[1:]:
            if c in logs:
                row[c] = float(logs[c])
        row["kl_weight"] = float(keras.ops.convert_to_numpy(self.model.kl_weight))
        row["learning_rate"] = self._lr
        row["seconds"] = time.perf_counter() - self._t0
        row["load_seconds"] = self.train_batches.load_seconds - self._load0
        if not all(math.isfinite(row.get(k, 0.0)) for k in ("loss", "val_loss")):
            self.model.stop_training = True
            self.diverged_epoch = epoch + 1
            return  # never checkpoint a diverged model
        self.history.append(row)
        write_history(self.outdir / "history.tsv", self.history)
        v = "val_" if "val_loss" in row else ""
        log.info(
            "epoch %d/%d: loss %.6g, %sloss %.6g; %sMSE 7-mers %.4g, 4-mers %.4g, "
            "3-mers %.4g, GC %.4g; KL %.4g (weight %.3g)%s; lr %.3g; %.1f s (%.1f s loading)",
            epoch + 1,
            self.cfg.epochs,
            row["loss"],
            v,
            row[f"{v}loss"],
            v,
            row[f"{v}mse_k7"],
            row[f"{v}mse_k4"],
            row[f"{v}mse_k3"],
            row[f"{v}mse_gc"],
            row[f"{v}kl"],
            row["kl_weight"],
            (f"; InfoNCE {row[f'{v}contrastive']:.4g}" if f"{v}contrastive" in row else "")
            + (f"; cannot-link {row['cannot_link']:.4g}" if "cannot_link" in row else ""),
            row["learning_rate"],
            row["seconds"],
            row["load_seconds"],
        )
        self.save(epoch + 1)

    def save(self, epochs_done: int) -> None:
        self.ckpt_dir.mkdir(parents=True, exist_ok=True)
        name = f"epoch{epochs_done:05d}.weights.h5"
        with atomic_path(self.ckpt_dir / name) as tmp:
            self.model.save_weights(tmp)
        state = {
            "fingerprint": self.fingerprint,
            "epoch": epochs_done,
            "weights": name,
            "stopped": bool(self.model.stop_training),
            "history": self.history,
            "seed_states": [
                keras.ops.convert_to_numpy(v).tolist() for v in _seed_states(self.model)
            ],
            "callbacks": {
                type(cb).__name__: {
                    a: (None if getattr(cb, a) is None else float(getattr(cb, a)))
                    for a in self.STATEFUL[type(cb).__name__]
                }
                for cb in self.stateful
            },
        }
        write_json_atomic(self.ckpt_dir / "state.json", state)
        for old in self.ckpt_dir.glob("epoch*.weights.h5"):
            if old.name != name:
                old.unlink()


def _seed_states(model: keras.Model) -> list:
    """The state variables of the model's SeedGenerators (not part of save_weights)."""
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


def _restore_ints(state: dict) -> None:
    """The callbacks' counters back to ints (the checkpoint stores every value as a float)."""
    for saved in state.get("callbacks", {}).values():
        for key in ("wait", "cooldown_counter", "best_epoch", "stopped_epoch"):
            if saved.get(key) is not None:
                saved[key] = int(saved[key])


# ---------------------------------------------------------------------------------
@dataclass
class TrainingData:
    """The training samples' matrices, their substring views and the seeded split."""

    source: MatrixSource
    views: ViewSource | None
    train_rows: np.ndarray
    val_rows: np.ndarray
    links: CannotLinks | None = None
    marker_tables: tuple[Path, ...] = ()  # with the cannot-link term only
    contig_indexes: tuple[Path, ...] = ()
    #: a trained model whose weights training starts from (fine-tuning a base model)
    init_model: Path | None = None
    partners: BinPartners | None = None
    bin_tables: tuple[Path, ...] = ()  # where the partners' bins came from (provenance)

    def close(self) -> None:
        self.source.close()
        if self.views is not None:
            self.views.close()


def open_training_data(
    features: Sequence[str | os.PathLike],
    views: Sequence[str | os.PathLike],
    cfg: VAEConfig,
    markers: Sequence[str | os.PathLike] = (),
    indexes: Sequence[str | os.PathLike] = (),
    bin_groups: Sequence[np.ndarray] = (),
) -> TrainingData:
    """Open the matrices (and the views, if the contrastive term needs them); choose the
    training contigs (at most ``cfg.contigs_per_sample`` of each matrix) and split them;
    with the cannot-link term, group the training contigs by the markers they carry
    (``markers`` and ``indexes``: a marker table and a contig index per matrix); with
    self-training (``cfg.partner_share``), group them by their bins of an earlier round
    (``bin_groups``: per matrix, the bin number of each row, -1 for none;
    :func:`kmervae.commands.train.partner_bins` reads them)."""
    source = MatrixSource(features)
    subsets = [
        sample_training_rows(cfg, source.lengths(f), len(source.paths))
        for f in range(len(source.paths))
    ]
    view_source = None
    if cfg.uses_views:
        if not views:
            raise KmervaeError(
                "contrastive_weight > 0 needs the sequences of the training contigs "
                "(kmervae views; --views), or set contrastive_weight to 0"
            )
        view_source = ViewSource(views, source, cfg.view_spec(), subsets)
    rows = np.concatenate(
        [start + subset for start, subset in zip(source.row_starts[:-1], subsets, strict=True)]
    )
    train_at, val_at = split_rows(len(rows), cfg.val_fraction, cfg.seed)
    log.info(
        "%d contigs in %d matrices, %d of them train the model (max_train_contigs %d): "
        "%d for training, %d for validation",
        source.n_rows,
        len(source.paths),
        len(rows),
        cfg.max_train_contigs,
        len(train_at),
        len(val_at),
    )
    data = TrainingData(source, view_source, rows[train_at], rows[val_at])
    if cfg.uses_markers:
        if not markers:
            raise KmervaeError(
                "cannot_link_weight > 0 needs the marker tables of the training samples "
                "and their contig indexes (kmervae markers; --markers, --index), or set "
                "cannot_link_weight to 0"
            )
        data.links = CannotLinks.from_marker_tables(
            markers, indexes, source, data.train_rows, cfg.seed
        )
        data.marker_tables = tuple(Path(p) for p in markers)
        data.contig_indexes = tuple(Path(p) for p in indexes)
        if not data.links.groups:
            log.warning("no marker is carried by two training contigs: no cannot-links")
            data.links = None
        else:
            log.info(
                "cannot-links: %d markers carried by 2 or more training contigs, %d pairs",
                len(data.links.groups),
                data.links.n_pairs,
            )
    if cfg.uses_partners:
        if not bin_groups:
            raise KmervaeError(
                "partner_share > 0 needs the bins of an earlier round of the training "
                "samples, their bin summaries and their contig indexes (kmervae cluster "
                "--markers; --bins, --bin-summaries, --index), or set partner_share to 0"
            )
        data.partners = BinPartners.from_groups(
            bin_groups, source, data.train_rows, cfg.partner_share, cfg.seed
        )
        log.info(
            "self-training: %d bins of quality %s hold %d training contigs; %.0f %% of "
            "the positives are a view of a contig of the same bin",
            data.partners.n_groups,
            " or ".join(PARTNER_QUALITIES),
            data.partners.n_contigs,
            100 * cfg.partner_share,
        )
        if not data.partners.n_groups:
            log.warning("no bin of the earlier round holds two training contigs")
    return data


def read_checkpoint(
    ckpt_dir: Path, fingerprint: str, restart: bool, discard_stale: bool = False
) -> dict | None:
    """The saved training state in ``ckpt_dir`` (None: start from scratch).

    ``restart`` deletes the checkpoint first. A checkpoint of another configuration or
    other data is an error, never silently continued; with ``discard_stale`` it is
    deleted with a warning instead (the workflow's choice: Snakemake reruns training
    because its settings or inputs changed, so such a checkpoint can never be resumed).
    """
    if restart and ckpt_dir.exists():
        shutil.rmtree(ckpt_dir)
    if not (ckpt_dir / "state.json").exists():
        return None
    state = json.loads((ckpt_dir / "state.json").read_text())
    if state.get("fingerprint") != fingerprint:
        if discard_stale:
            log.warning(
                "%s: the checkpoint is of a different configuration or different feature "
                "matrices (after epoch %s); deleted, training starts from scratch",
                ckpt_dir, state.get("epoch"),
            )  # fmt: skip
            shutil.rmtree(ckpt_dir)
            return None
        raise KmervaeError(
            f"directory {ckpt_dir}: holds a checkpoint of a different configuration or "
            "different feature matrices; delete it or rerun with --restart"
        )
    _restore_ints(state)
    return state


def prepare_model(
    cfg: VAEConfig, data: TrainingData, state: dict | None, ckpt_dir: Path
) -> tuple[KmerVAE, int, list[dict]]:
    """A compiled model and the epochs it has done: a new one standardised by the training
    rows' statistics (with the weights of ``data.init_model`` if given), or the
    checkpoint's (weights, optimizer, sampling seeds)."""
    model = build_vae(cfg)
    optimizer = keras.optimizers.Adam(learning_rate=cfg.learning_rate)
    model.compile(optimizer=optimizer, jit_compile=False)
    if state is None:
        if data.init_model is not None:
            copy_trained_weights(data.init_model, model)
        t0 = time.perf_counter()
        mean, std = feature_statistics(model, data.source, data.train_rows)
        model.preprocessor.set_statistics(mean, std)
        log.info(
            "feature statistics of %d rows in %.1f s",
            len(data.train_rows),
            time.perf_counter() - t0,
        )
        return model, 0, []
    optimizer.build(model.trainable_variables)
    model.load_weights(ckpt_dir / state["weights"])
    for var, value in zip(_seed_states(model), state["seed_states"], strict=True):
        var.assign(np.asarray(value, dtype=var.dtype))
    log.info("resuming from the checkpoint after epoch %d", state["epoch"])
    return model, int(state["epoch"]), state["history"]


#: settings that decide the shapes of a model's weights: a base model to fine-tune must
#: have the same
WEIGHT_SHAPE_SETTINGS = (
    "encoder_widths",
    "shared_widths",
    "latent_dim",
    "hierarchical_latent",
    "hierarchical_split",
)


def copy_trained_weights(path: Path, model: KmerVAE) -> None:
    """Set the weights of ``model`` (its layers' kernels, biases and batch-normalisation
    statistics) to those of the trained model at ``path``, a base model to fine-tune.
    Its input standardisation, KL weight and sampling seeds are not copied: the model
    keeps its own, fitted to its training samples and seeded by its settings."""
    base = load_vae(path)
    ours, theirs = model.vae_config.to_dict(), base.vae_config.to_dict()
    differ = [k for k in WEIGHT_SHAPE_SETTINGS if ours[k] != theirs[k]]
    if differ:
        raise InputError(
            path,
            "has another architecture than these settings, so its weights cannot start "
            "this training: "
            + "; ".join(f"{k} {theirs[k]} (these settings: {ours[k]})" for k in differ),
        )
    own = {id(v) for v in (model.preprocessor.mean, model.preprocessor.std, model.kl_weight)}
    own |= {id(v) for v in _seed_states(model)}
    # layers are named (enc_k7_1, dec_shared_1_bn, ...), so a weight's path names it in
    # both models
    trained = {v.path: v for v in base.variables}
    for var in model.variables:
        if id(var) in own:
            continue
        source = trained.get(var.path)
        if source is None or tuple(source.shape) != tuple(var.shape):
            raise InputError(path, f"has no weight {var.path} of shape {tuple(var.shape)}")
        var.assign(source)
    log.info("weights of %s copied: fine-tuning a trained model", path)


def training_batches(cfg: VAEConfig, data: TrainingData):
    """Training batches (a new seeded order every epoch, whole batches only) and
    validation batches (fixed order; None without validation rows)."""
    train_batches = make_batches(
        data.source,
        data.train_rows,
        cfg.batch_size,
        shuffle=True,
        seed=cfg.seed,
        drop_remainder=True,
        workers=cfg.loader_workers,
        views=data.views,
        links=data.links,
        partners=data.partners,
    )
    if not len(data.val_rows):
        return train_batches, None
    val_batches = make_batches(
        data.source,
        data.val_rows,
        max(cfg.batch_size, 1024),
        shuffle=False,
        seed=cfg.seed,
        drop_remainder=False,
        workers=cfg.loader_workers,
        views=data.views,
    )
    return train_batches, val_batches


def plateau_callbacks(cfg: VAEConfig, monitor: str) -> list[keras.callbacks.Callback]:
    """ReduceLROnPlateau and EarlyStopping on ``monitor``, as far as ``cfg`` turns them on."""
    callbacks: list[keras.callbacks.Callback] = []
    if cfg.reduce_lr:
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor,
                factor=cfg.lr_factor,
                patience=cfg.lr_patience,
                min_lr=cfg.min_lr,
                verbose=0,
            )
        )
    if cfg.early_stopping_patience > 0:
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor=monitor, patience=cfg.early_stopping_patience)
        )
    return callbacks


def fit_epochs(
    model: KmerVAE,
    cfg: VAEConfig,
    data: TrainingData,
    outdir: Path,
    fingerprint: str,
    state: dict | None,
    initial_epoch: int,
    history: list[dict],
    extra_callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int = 0,
) -> tuple[list[dict], bool]:
    """Fit from ``initial_epoch`` to ``cfg.epochs``, checkpointing after every epoch;
    return the history of all epochs and whether training stopped early.

    A loss that is not finite stops training with an error; the checkpoint of the last
    good epoch stays, and no model is written.
    """
    stopped = bool(state and state.get("stopped"))
    if initial_epoch >= cfg.epochs or stopped:
        return history, stopped
    train_batches, val_batches = training_batches(cfg, data)
    monitor = "val_loss" if val_batches is not None else "loss"
    plateau = plateau_callbacks(cfg, monitor)
    recorder = CheckpointAndRecord(outdir, fingerprint, cfg, train_batches, history, plateau, state)
    model.fit(
        train_batches,
        validation_data=val_batches,
        epochs=cfg.epochs,
        initial_epoch=initial_epoch,
        callbacks=[
            EpochSetup(cfg, train_batches),
            keras.callbacks.TerminateOnNaN(),
            *plateau,
            *extra_callbacks,
            recorder,  # last: it saves the others' state after they have seen the epoch
        ],
        shuffle=False,
        verbose=verbose,
    )
    if recorder.diverged_epoch is not None:
        kept = (
            f"; the checkpoint of epoch {len(recorder.history)} is kept in {recorder.ckpt_dir}"
            if recorder.history
            else ""
        )
        raise KmervaeError(
            f"training diverged (loss not finite) in epoch {recorder.diverged_epoch}; "
            f"no model written; try a lower --learning-rate{kept}"
        )
    stopped = len(recorder.history) < cfg.epochs
    if stopped:
        log.info("early stopping after epoch %d", len(recorder.history))
    return recorder.history, stopped


def train(
    features: Sequence[str | os.PathLike],
    outdir: str | os.PathLike,
    config: VAEConfig | None = None,
    *,
    views: Sequence[str | os.PathLike] = (),
    markers: Sequence[str | os.PathLike] = (),
    indexes: Sequence[str | os.PathLike] = (),
    bin_groups: Sequence[np.ndarray] = (),
    bin_tables: Sequence[str | os.PathLike] = (),
    init_model: str | os.PathLike | None = None,
    restart: bool = False,
    discard_stale: bool = False,
    extra_callbacks: Sequence[keras.callbacks.Callback] = (),
    plots: bool = True,
    architecture: bool = True,
    verbose: int = 0,
) -> TrainResult:
    """Train a VAE on the feature matrices ``features``; write outputs to ``outdir``.

    ``views`` are the substring-view matrices of the same contigs (kmervae.features.views), one
    per feature matrix; the contrastive term needs them. ``markers`` and ``indexes``
    are the marker tables (kmervae markers) and contig indexes of the same samples; the
    cannot-link term needs them; ``bin_groups`` are the bins of an earlier round that
    self-training (``partner_share``) draws partners from (per matrix, the bin of each
    row; ``bin_tables``: the files they were read from, for the provenance).
    ``init_model`` is a trained model (vae.keras) of the same architecture whose weights
    training starts from.

    Resumes from ``outdir/checkpoint`` when it holds a checkpoint of the same config and
    data (unless ``restart``); one of another config or data is an error, or deleted with
    ``discard_stale``. ``extra_callbacks`` run before the checkpointing one.
    """
    cfg = config or VAEConfig()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    ckpt_dir = outdir / CHECKPOINT_DIR
    # first: the model's initial weights come from this seed
    set_determinism(cfg.seed, cfg.deterministic)
    data = open_training_data(features, views, cfg, markers, indexes, bin_groups)
    data.bin_tables = tuple(Path(p) for p in bin_tables) if data.partners else ()
    try:
        if init_model is not None:
            data.init_model = Path(init_model)
            if not data.init_model.is_file():
                raise InputError(init_model, "no such model file (--init-model)")
        fingerprint = _fingerprint(cfg, data)
        state = read_checkpoint(ckpt_dir, fingerprint, restart, discard_stale)
        model, initial_epoch, history = prepare_model(cfg, data, state, ckpt_dir)
        history, stopped = fit_epochs(
            model,
            cfg,
            data,
            outdir,
            fingerprint,
            state,
            initial_epoch,
            history,
            extra_callbacks,
            verbose,
        )
        write_outputs(
            model, outdir, cfg, data, history, initial_epoch, stopped, plots, architecture
        )
    finally:
        data.close()
    if ckpt_dir.exists():
        shutil.rmtree(ckpt_dir)
    return TrainResult(model, history, outdir, initial_epoch, stopped)


def write_outputs(
    model: KmerVAE,
    outdir: Path,
    cfg: VAEConfig,
    data: TrainingData,
    history: Sequence[dict],
    initial_epoch: int,
    stopped: bool,
    plots: bool = True,
    architecture: bool = True,
) -> None:
    """vae.keras, history.tsv, training.png, architecture.png and provenance.json."""
    outdir = Path(outdir)
    with atomic_path(outdir / "vae.keras") as tmp:
        _export_copy(model).save(tmp)
    write_history(outdir / "history.tsv", history)
    if plots:
        plot_history(history, outdir / "training.png")
    if plots and architecture:
        plot_architecture(model, outdir / "architecture.png")
    write_json_atomic(
        outdir / "provenance.json",
        provenance(
            seed=cfg.seed,
            config=cfg.to_dict(),
            training_samples=data.source.describe(),
            n_contigs=data.source.n_rows,
            n_train=len(data.train_rows),
            n_val=len(data.val_rows),
            marker_tables=[str(p.resolve()) for p in data.marker_tables] or None,
            init_model=(
                {"path": str(data.init_model.resolve()), "sha256": _file_digest(data.init_model)}
                if data.init_model
                else None
            ),
            cannot_link_pairs=data.links.n_pairs if data.links else None,
            partner_bins=([str(p.resolve()) for p in data.bin_tables] if data.partners else None),
            epochs_completed=len(history),
            resumed_from_epoch=initial_epoch or None,
            stopped_early=stopped,
            parameters=int(model.count_params()),
            layout=LAYOUT.describe(),
            backend=keras.backend.backend(),
        ),
    )


def plot_history(history: Sequence[dict], path: Path) -> None:
    """Total loss, per-group reconstruction MSE, KL and learning rate against epoch."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(11, 8), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2)
    ep = [r["epoch"] for r in history]

    def series(key):
        return [r.get(key, np.nan) if r.get(key) is not None else np.nan for r in history]

    ax = axes[0, 0]
    ax.plot(ep, series("loss"), label="train")
    if any("val_loss" in r for r in history):
        ax.plot(ep, series("val_loss"), label="validation")
    ax.set(title="total loss", xlabel="epoch", yscale="log")
    ax.legend()
    ax = axes[0, 1]
    for g, label in zip(GROUP_NAMES, ("7-mers", "4-mers", "3-mers", "GC"), strict=True):
        (line,) = ax.plot(ep, series(f"val_mse_{g}"), label=f"{label} (val)")
        ax.plot(ep, series(f"mse_{g}"), ls="--", color=line.get_color(), alpha=0.6)
    ax.set(title="reconstruction MSE per group (dashed: train)", xlabel="epoch", yscale="log")
    ax.legend()
    ax = axes[1, 0]
    ax.plot(ep, series("kl"), label="train")
    ax.plot(ep, series("val_kl"), label="validation")
    # log scale: an early validation spike (BatchNorm statistics still settling) would
    # flatten a linear axis
    kl_values = [v for v in series("kl") + series("val_kl") if np.isfinite(v)]
    ax.set(
        title="KL divergence",
        xlabel="epoch",
        yscale="log" if kl_values and min(kl_values) > 0 else "linear",
    )
    ax.legend()
    ax = axes[1, 1]
    ax.plot(ep, series("learning_rate"))
    ax.set(title="learning rate", xlabel="epoch", yscale="log")
    for ax in axes.flat:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100)


def plot_architecture(model: KmerVAE, path: Path) -> bool:
    """The picture of the network (:func:`kmervae.vae.architecture.draw_architecture`);
    warns and skips when it cannot be drawn: a picture must never fail a training run."""
    from kmervae.vae.architecture import draw_architecture

    try:
        draw_architecture(model, path)
    except KmervaeError as err:
        log.warning("%s not drawn: %s", path.name, err)
        return False
    return True
