"""The three-branch VAE: input transform, encoder, decoder, losses and embedding.

Network (defaults, the seed's "Final Architecture"): the 8,362 raw columns are
transformed (length -> log10, k-mer frequencies -> CLR or unchanged) and standardised
by :class:`FeaturePreprocessor`, whose statistics are weights saved inside the model.
They are split into one block per k-mer group, each with its own copy of GC and
length (8,194 / 138 / 34); each block passes its own Dense+BN+LeakyReLU stack
(512-128 / 128-64 / 64-32), the outputs are concatenated (224) and pass the shared
stack (512) to ``z_mean`` and ``z_log_var``. The decoder mirrors it: z -> 512 -> 224
-> per-branch projections 128 / 64 / 32 -> 512 / 128 / 64 -> linear outputs with the
k-mers of the branch plus a GC prediction (8,193 / 137 / 33); the output GC is the
mean of the three predictions. The reconstruction target is the transformed,
standardised matrix without its length column (8,361 features).

All model code uses ``keras.ops``; custom layers are registered for
``keras.saving.load_model``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from kmervae.errors import InputError
from kmervae.features.layout import LAYOUT, N_FEATURES
from kmervae.vae.config import KEYS_ADDED_LATER, VAEConfig

PACKAGE = "kmervae"
KMER_SIZES = LAYOUT.kmer_sizes
N_TARGET = LAYOUT.n_target
#: names of the reconstruction groups, in target order
GROUP_NAMES: tuple[str, ...] = (*(f"k{k}" for k in KMER_SIZES), "gc")


def _group_slices() -> dict[str, slice]:
    s = {f"k{k}": LAYOUT.target_slice(k) for k in KMER_SIZES}
    s["gc"] = slice(LAYOUT.target_gc_column, LAYOUT.target_gc_column + 1)
    return s


def _check_layout() -> None:
    # The merge of branch outputs relies on the target being [k-mer groups..., GC].
    stops = 0
    for k in KMER_SIZES:
        sl = LAYOUT.target_slice(k)
        assert sl.start == stops, "k-mer groups must be contiguous in layout order"
        stops = sl.stop
    assert LAYOUT.target_gc_column == stops == N_TARGET - 1
    assert LAYOUT.length_column == 0


_check_layout()


# ---------------------------------------------------------------------------------
# Input transform
# ---------------------------------------------------------------------------------
def transform_features(x, kmer_transform: str, pseudocount: float):
    """Raw 8,362 columns -> transformed 8,362 columns (before standardisation).

    length -> log10(max(length, 1)); each k-mer group -> CLR of the frequencies plus a
    pseudocount of ``pseudocount`` counts, i.e. ``pseudocount / max(length - k + 1, 1)``
    in frequency units (``"clr"``) or unchanged (``"none"``); GC unchanged.
    """
    x = ops.convert_to_tensor(x, dtype="float32")
    length = ops.maximum(x[:, LAYOUT.length_column : LAYOUT.length_column + 1], 1.0)
    pieces = [ops.log(length) / np.log(10.0)]
    for k in KMER_SIZES:
        sl = LAYOUT.kmer_slice(k)
        f = x[:, sl.start : sl.stop]
        if kmer_transform == "clr":
            windows = ops.maximum(length - (k - 1), 1.0)
            logf = ops.log(f + pseudocount / windows)
            f = logf - ops.mean(logf, axis=1, keepdims=True)
        elif kmer_transform != "none":
            raise ValueError(f"unknown kmer_transform {kmer_transform!r}")
        pieces.append(f)
    pieces.append(x[:, LAYOUT.gc_column : LAYOUT.gc_column + 1])
    return ops.concatenate(pieces, axis=1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class FeaturePreprocessor(layers.Layer):
    """Transform + per-feature standardisation; the statistics are non-trainable weights."""

    def __init__(self, kmer_transform="none", pseudocount=0.5, n_features=N_FEATURES, **kwargs):
        super().__init__(**kwargs)
        self.kmer_transform = kmer_transform
        self.pseudocount = float(pseudocount)
        self.n_features = int(n_features)
        if self.n_features != N_FEATURES:
            raise ValueError(
                f"model expects {self.n_features} features, this layout has {N_FEATURES}"
            )

    def build(self, input_shape=None):
        self.mean = self.add_weight(
            shape=(self.n_features,), initializer="zeros", trainable=False, name="mean"
        )
        self.std = self.add_weight(
            shape=(self.n_features,), initializer="ones", trainable=False, name="std"
        )
        self.built = True

    def transform(self, x):
        return transform_features(x, self.kmer_transform, self.pseudocount)

    def set_statistics(self, mean, std) -> None:
        std = np.where(np.asarray(std) > 1e-6, std, 1.0)
        self.mean.assign(np.asarray(mean, dtype="float32"))
        self.std.assign(np.asarray(std, dtype="float32"))

    def call(self, x):
        return (self.transform(x) - self.mean) / self.std

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_features)

    def get_config(self):
        return {
            **super().get_config(),
            "kmer_transform": self.kmer_transform,
            "pseudocount": self.pseudocount,
            "n_features": self.n_features,
        }


def target_from_features(h):
    """The reconstruction target: standardised features without the length column."""
    return h[:, LAYOUT.length_column + 1 :]


# ---------------------------------------------------------------------------------
# Structural layers
# ---------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package=PACKAGE)
class SplitBranches(layers.Layer):
    """8,362 features -> one block per k-mer group: [k-mers, GC, length]."""

    def call(self, h):
        gc = h[:, LAYOUT.gc_column : LAYOUT.gc_column + 1]
        length = h[:, LAYOUT.length_column : LAYOUT.length_column + 1]
        out = []
        for k in KMER_SIZES:
            sl = LAYOUT.kmer_slice(k)
            out.append(ops.concatenate([h[:, sl.start : sl.stop], gc, length], axis=1))
        return out

    def compute_output_shape(self, input_shape):
        return [
            (input_shape[0], LAYOUT.kmer_slice(k).stop - LAYOUT.kmer_slice(k).start + 2)
            for k in KMER_SIZES
        ]


@keras.saving.register_keras_serializable(package=PACKAGE)
class MergeBranchOutputs(layers.Layer):
    """Branch outputs [k-mers + GC] -> [7-mers, 4-mers, 3-mers, mean GC] (8,361)."""

    def call(self, outputs):
        kmers = [o[:, :-1] for o in outputs]
        gc = ops.mean(ops.stack([o[:, -1] for o in outputs], axis=1), axis=1, keepdims=True)
        return ops.concatenate([*kmers, gc], axis=1)

    def compute_output_shape(self, input_shapes):
        return (input_shapes[0][0], sum(s[1] - 1 for s in input_shapes) + 1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SplitLatent(layers.Layer):
    """z -> its parts (hierarchical latent: 7-mer, 4-mer, 3-mer, shared)."""

    def __init__(self, parts: Sequence[int], **kwargs):
        super().__init__(**kwargs)
        self.parts = [int(p) for p in parts]

    def call(self, z):
        bounds = np.cumsum([0, *self.parts]).tolist()
        return [z[:, a:b] for a, b in itertools.pairwise(bounds)]

    def compute_output_shape(self, input_shape):
        return [(input_shape[0], p) for p in self.parts]

    def get_config(self):
        return {**super().get_config(), "parts": self.parts}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Sampling(layers.Layer):
    """z = z_mean + exp(z_log_var / 2) * eps while training; z_mean otherwise.

    Randomness comes from a ``keras.random.SeedGenerator`` owned by the layer, whose
    state is saved with the model (so a resumed run continues the same stream).
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        z_mean, z_log_var = inputs
        if not training:
            return z_mean
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


# ---------------------------------------------------------------------------------
# Losses: each defined once, imported where used
# ---------------------------------------------------------------------------------
def group_row_mse(target, reconstruction):
    """(batch, 4): each row's mean squared error over the features of each group, in
    ``GROUP_NAMES`` order (k7, k4, k3, gc)."""
    square = ops.square(target - reconstruction)
    return ops.stack([ops.mean(square[:, sl], axis=1) for sl in _group_slices().values()], axis=1)


def group_mse(target, reconstruction) -> dict:
    """Mean squared error of each group (k7, k4, k3, gc) over batch and features."""
    means = ops.mean(group_row_mse(target, reconstruction), axis=0)
    return {name: means[i] for i, name in enumerate(GROUP_NAMES)}


def weighted_row_mean(values, weights=None):
    """Mean of per-row ``values``; with per-row ``weights``, their weighted mean (so the
    loss keeps the scale of the unweighted one whatever the weights' scale)."""
    if weights is None:
        return ops.mean(values)
    return ops.sum(values * weights) / ops.sum(weights)


def reconstruction_sum(target, reconstruction, weights=None):
    """Squared error summed over the 8,361 features, averaged over the batch (weighted by
    ``weights`` per row, if given)."""
    return weighted_row_mean(ops.sum(ops.square(target - reconstruction), axis=1), weights)


def reconstruction_group_balanced(target, reconstruction, weights=None):
    """Mean of the four per-group MSEs, times 8,361 (same scale as ``sum``)."""
    per_row = ops.mean(group_row_mse(target, reconstruction), axis=1)
    return weighted_row_mean(per_row, weights) * float(N_TARGET)


def length_weights(length, weighting: str, cap: float):
    """Per-row weights of the reconstruction loss from the contig lengths (bp).

    ``none``: no weights. ``log``: log(length), as VAMB weights its loss. ``linear``:
    min(length, cap), the inverse of the sampling variance of a k-mer frequency, so a
    short contig's noisy frequencies count as little as their information warrants.
    """
    if weighting == "none":
        return None
    if length is None:
        raise ValueError(f"length weighting {weighting!r} needs the contig lengths")
    length = ops.maximum(ops.convert_to_tensor(length, dtype="float32"), 2.0)
    if weighting == "log":
        return ops.log(length)
    if weighting == "linear":
        return ops.minimum(length, float(cap))
    raise ValueError(f"unknown length weighting {weighting!r}")


RECONSTRUCTION_LOSS = {"sum": reconstruction_sum, "group_balanced": reconstruction_group_balanced}


def cosine_loss(target, reconstruction, eps: float = 1e-8):
    """1 - cosine similarity of target and reconstruction rows, averaged over the batch."""
    dot = ops.sum(target * reconstruction, axis=1)
    norms = ops.norm(target, axis=1) * ops.norm(reconstruction, axis=1)
    return ops.mean(1.0 - dot / (norms + eps))


def unit_rows(x):
    """Rows scaled to unit length (a zero row stays zero)."""
    return x / ops.sqrt(ops.sum(ops.square(x), axis=1, keepdims=True) + 1e-12)


def nearest_mask(x, k: int):
    """1.0 where row j is one of the ``k`` rows nearest to row i by cosine (i != j), or
    row i one of row j's: symmetric, 0.0 on the diagonal. A batch of ``k`` rows or
    fewer (the last validation batch) has every other row as a neighbour."""
    u = unit_rows(x)
    n = ops.shape(x)[0]
    eye = ops.eye(n, dtype=x.dtype)
    similarity = ops.matmul(u, ops.transpose(u)) - 3.0 * eye  # never its own neighbour
    _, nearest = ops.top_k(similarity, k=ops.minimum(k, n - 1))
    mask = ops.sum(ops.one_hot(nearest, n, dtype=x.dtype), axis=1)
    return ops.maximum(mask, ops.transpose(mask))


def info_nce(z_a, z_b, temperature: float, skip=None, debias: float = 0.0):
    """Symmetric InfoNCE of paired rows: row i of ``z_a`` and row i of ``z_b`` are two
    views of one contig, every other row of the batch a negative, except where
    ``skip[i, j]`` is 1 (a symmetric 0/1 matrix, 0 on the diagonal).

    Rows are compared by cosine similarity divided by ``temperature``; the loss is the
    cross-entropy of finding the partner, averaged over both directions and the batch.

    ``debias`` > 0 is the debiased contrastive loss of Chuang et al. (2020): ``debias``
    is the expected share of a row's negatives that are of its own genome, and their
    expected part of the negatives' sum (that share of the positive's) is taken out,
    with the sum kept above its value at cosine -1 for every negative.
    """
    a = unit_rows(z_a)
    b = unit_rows(z_b)
    logits = ops.matmul(a, ops.transpose(b)) / temperature
    if debias > 0:
        return 0.5 * (
            debiased_nce(logits, temperature, skip, debias)
            + debiased_nce(ops.transpose(logits), temperature, skip, debias)
        )
    if skip is not None:
        logits = logits - 1e9 * skip
    diagonal = ops.diagonal(logits)
    a_to_b = ops.logsumexp(logits, axis=1) - diagonal
    b_to_a = ops.logsumexp(logits, axis=0) - diagonal
    return 0.5 * (ops.mean(a_to_b) + ops.mean(b_to_a))


def debiased_nce(logits, temperature: float, skip, debias: float):
    """One direction of the debiased InfoNCE (rows find their partner on the diagonal)."""
    n = ops.shape(logits)[0]
    negatives = 1.0 - ops.eye(n, dtype=logits.dtype)
    if skip is not None:
        negatives = negatives * (1.0 - skip)
    top = 1.0 / temperature  # cosine <= 1: shifting by the largest logit keeps exp <= 1
    positive = ops.exp(ops.diagonal(logits) - top)
    count = ops.sum(negatives, axis=1)
    negative_sum = ops.sum(ops.exp(logits - top) * negatives, axis=1)
    corrected = (negative_sum - debias * count * positive) / (1.0 - debias)
    floor = count * math.exp(-2.0 * top)  # every negative at cosine -1
    negative_sum = ops.maximum(corrected, floor)
    return ops.mean(ops.log(positive + negative_sum) - ops.log(positive))


def cannot_link_loss(z, groups, center, margin: float):
    """How far the cosine similarities of rows of ``z`` with the same label in
    ``groups`` (contigs that carry one single-copy marker gene) exceed ``margin``: summed
    over each row's partners, averaged over the rows, so a pair that is too close is
    pushed apart as strongly however many pairs are already apart. Rows are compared
    after subtracting ``center``, as the clustering compares centred embeddings."""
    z = unit_rows(z - center)
    similarity = ops.matmul(z, ops.transpose(z))
    same = ops.cast(ops.equal(groups[:, None], groups[None, :]), z.dtype)
    same = same - ops.eye(ops.shape(z)[0], dtype=z.dtype)
    excess = ops.relu(similarity - margin)
    return ops.sum(same * excess) / ops.cast(ops.shape(z)[0], z.dtype)


def kl_divergence(z_mean, z_log_var):
    """KL(q(z|x) || N(0, I)) summed over latent dimensions, averaged over the batch."""
    kl = -0.5 * (1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
    return ops.mean(ops.sum(kl, axis=1))


# ---------------------------------------------------------------------------------
# Encoder and decoder
# ---------------------------------------------------------------------------------
def _dense_block(x, units: int, name: str, slope: float):
    x = layers.Dense(units, name=f"{name}_dense")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.LeakyReLU(negative_slope=slope, name=f"{name}_act")(x)


def build_encoder(cfg: VAEConfig) -> keras.Model:
    """Standardised 8,362 features -> [z_mean, z_log_var]."""
    slope = cfg.negative_slope
    inp = keras.Input(shape=(N_FEATURES,), name="features")
    blocks = SplitBranches(name="split_branches")(inp)
    branch_out = []
    for k, widths, x in zip(KMER_SIZES, cfg.encoder_widths, blocks, strict=True):
        for i, w in enumerate(widths, 1):
            x = _dense_block(x, w, f"enc_k{k}_{i}", slope)
        branch_out.append(x)
    x = layers.Concatenate(name="enc_concat")(branch_out)
    for i, w in enumerate(cfg.shared_widths, 1):
        x = _dense_block(x, w, f"enc_shared_{i}", slope)
    if not cfg.hierarchical_latent:
        z_mean = layers.Dense(cfg.latent_dim, name="z_mean")(x)
        z_log_var = layers.Dense(cfg.latent_dim, name="z_log_var")(x)
    else:
        sources = [*branch_out, x]
        names = [*(f"k{k}" for k in KMER_SIZES), "shared"]
        means = [
            layers.Dense(p, name=f"z_mean_{n}")(s)
            for p, n, s in zip(cfg.latent_parts, names, sources, strict=True)
        ]
        logvars = [
            layers.Dense(p, name=f"z_log_var_{n}")(s)
            for p, n, s in zip(cfg.latent_parts, names, sources, strict=True)
        ]
        z_mean = layers.Concatenate(name="z_mean")(means)
        z_log_var = layers.Concatenate(name="z_log_var")(logvars)
    return keras.Model(inp, [z_mean, z_log_var], name="encoder")


def build_decoder(cfg: VAEConfig) -> keras.Model:
    """z -> reconstruction of the 8,361 target features."""
    slope = cfg.negative_slope
    z = keras.Input(shape=(cfg.latent_dim,), name="z")
    if cfg.hierarchical_latent:
        *z_branch, x = SplitLatent(cfg.latent_parts, name="split_latent")(z)
    else:
        z_branch, x = [None] * len(KMER_SIZES), z
    trunk = [*reversed(cfg.shared_widths), sum(b[-1] for b in cfg.encoder_widths)]
    for i, w in enumerate(trunk, 1):
        x = _dense_block(x, w, f"dec_shared_{i}", slope)
    outputs = []
    for k, widths, zk in zip(KMER_SIZES, cfg.encoder_widths, z_branch, strict=True):
        y = x if zk is None else layers.Concatenate(name=f"dec_k{k}_in")([x, zk])
        for i, w in enumerate(reversed(widths), 1):
            y = _dense_block(y, w, f"dec_k{k}_{i}", slope)
        sl = LAYOUT.kmer_slice(k)
        outputs.append(layers.Dense(sl.stop - sl.start + 1, name=f"dec_k{k}_out")(y))
    recon = MergeBranchOutputs(name="merge_outputs")(outputs)
    return keras.Model(z, recon, name="decoder")


# ---------------------------------------------------------------------------------
# The VAE
# ---------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package=PACKAGE)
class KmerVAE(keras.Model):
    """Raw feature rows in; ``call`` returns a dict with ``reconstruction``, ``target``,
    ``z_mean`` and ``z_log_var``. The loss is computed in :meth:`compute_loss`."""

    def __init__(
        self, config: VAEConfig | dict | None = None, layout: dict | None = None, **kwargs
    ):
        super().__init__(**kwargs)
        # the feature layout the model was built for; load_vae compares it with ours
        self.layout = layout if layout is not None else LAYOUT.describe()
        if config is None:
            config = VAEConfig()
        elif isinstance(config, dict):
            config = VAEConfig.from_dict(config)
        self.vae_config = config
        cfg = config
        self.preprocessor = FeaturePreprocessor(
            cfg.kmer_transform, cfg.pseudocount, name="preprocessor"
        )
        self.input_dropout = (
            layers.Dropout(cfg.input_dropout, seed=cfg.seed + 1, name="input_dropout")
            if cfg.input_dropout > 0
            else None
        )
        self.encoder = build_encoder(cfg)
        self.decoder = build_decoder(cfg)
        self.sampler = Sampling(seed=cfg.seed + 2, name="sampling")
        self.kl_weight = keras.Variable(
            float(cfg.beta if cfg.kl_warmup_epochs == 0 else 0.0),
            trainable=False,
            name="kl_weight",
        )
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in (
                "reconstruction",
                "kl",
                "cosine",
                *(["contrastive"] if cfg.contrastive_weight > 0 else []),
                *(["cannot_link"] if cfg.cannot_link_weight > 0 else []),
                *(f"mse_{g}" for g in GROUP_NAMES),
            )
        }
        self.build((None, N_FEATURES))

    def build(self, input_shape=None):
        if not self.preprocessor.built:
            self.preprocessor.build((None, N_FEATURES))
        self.built = True

    def call(self, x, training=False):
        # training: x is (contigs, one substring view of each) with the contrastive
        # term, followed by (contigs of shared markers, their group labels) with the
        # cannot-link term
        view = links = None
        if isinstance(x, (tuple, list)):
            x, *rest = x
            if len(rest) % 2:
                view, *rest = rest
            links = rest
        h = self.preprocessor(x)
        target = target_from_features(h)
        if self.input_dropout is not None:
            h = self.input_dropout(h, training=training)
        z_mean, z_log_var = self.encoder(h, training=training)
        z = self.sampler([z_mean, z_log_var], training=training)
        recon = self.decoder(z, training=training)
        out = {
            "reconstruction": recon,
            "target": target,
            "z_mean": z_mean,
            "z_log_var": z_log_var,
            "length": x[:, LAYOUT.length_column],
        }
        if view is not None:
            out["z_view"] = self.encoder(self.preprocessor(view), training=training)[0]
        if links:
            link_x, out["link_groups"] = links
            out["z_link"] = self.encoder(self.preprocessor(link_x), training=training)[0]
        return out

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        cfg = self.vae_config
        target, recon = y_pred["target"], y_pred["reconstruction"]
        weights = length_weights(y_pred.get("length"), cfg.length_weighting, cfg.length_weight_cap)
        rec = RECONSTRUCTION_LOSS[cfg.loss](target, recon, weights)
        kl = kl_divergence(y_pred["z_mean"], y_pred["z_log_var"])
        cos = cosine_loss(target, recon)
        total = rec + ops.cast(self.kl_weight, rec.dtype) * kl
        if cfg.cosine_weight > 0:
            total = total + cfg.cosine_weight * cos
        if "z_view" in y_pred:
            skip = None
            if cfg.contrastive_skip_nearest > 0:
                tnf = ops.stop_gradient(target[:, LAYOUT.target_slice(4)])
                skip = nearest_mask(tnf, cfg.contrastive_skip_nearest)
            nce = info_nce(
                y_pred["z_mean"],
                y_pred["z_view"],
                cfg.contrastive_temperature,
                skip,
                cfg.contrastive_debias,
            )
            total = total + cfg.contrastive_weight * nce
            self.trackers["contrastive"].update_state(nce)
        if "z_link" in y_pred:
            center = ops.stop_gradient(ops.mean(y_pred["z_mean"], axis=0))
            links = cannot_link_loss(
                y_pred["z_link"], y_pred["link_groups"], center, cfg.cannot_link_margin
            )
            total = total + cfg.cannot_link_weight * links
            self.trackers["cannot_link"].update_state(links)
        for loss in self.losses:
            total = total + loss
        self.trackers["reconstruction"].update_state(rec)
        self.trackers["kl"].update_state(kl)
        self.trackers["cosine"].update_state(cos)
        for name, value in group_mse(target, recon).items():
            self.trackers[f"mse_{name}"].update_state(value)
        return total

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "config": self.vae_config.to_dict(),
            "layout": self.layout,
        }

    @classmethod
    def from_config(cls, config):
        # a model saved before a key existed was trained with that key's old default
        config = {**config, "config": {**KEYS_ADDED_LATER, **config["config"]}}
        return cls(**config)


def build_vae(config: VAEConfig | None = None) -> KmerVAE:
    """A new, built, untrained VAE (statistics of the preprocessor: identity)."""
    return KmerVAE(config or VAEConfig())


def load_vae(path) -> KmerVAE:
    """Load a ``vae.keras`` written by :func:`kmervae.vae.training.train`.

    Checks that it is a kmervae model made for this feature layout; anything else is a
    clear error rather than wrong embeddings.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such model file")
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as err:  # keras raises many kinds; all mean "not a usable model"
        raise InputError(path, f"cannot be loaded as a kmervae model ({err})") from None
    if not isinstance(model, KmerVAE):
        raise InputError(path, f"is a {type(model).__name__}, not a kmervae VAE")
    expected = LAYOUT.describe()
    if model.layout != expected:
        raise InputError(
            path,
            "was trained on another feature layout "
            f"(model: layout version {model.layout.get('layout_version')}, "
            f"{model.layout.get('n_features')} features; this kmervae: version "
            f"{expected['layout_version']}, {expected['n_features']} features); "
            "retrain it with this version",
        )
    return model


def embedding_model(model: KmerVAE) -> keras.Model:
    """A functional model: raw 8,362 columns -> z_mean (shares the VAE's layers)."""
    inp = keras.Input(shape=(N_FEATURES,), name="raw_features")
    z_mean, _ = model.encoder(model.preprocessor(inp))
    return keras.Model(inp, z_mean, name="embedding")


def architecture_view(model: KmerVAE) -> keras.Model:
    """A functional view of the whole VAE (for ``keras.utils.plot_model``)."""
    inp = keras.Input(shape=(N_FEATURES,), name="raw_features")
    z_mean, z_log_var = model.encoder(model.preprocessor(inp))
    z = model.sampler([z_mean, z_log_var])
    return keras.Model(inp, model.decoder(z), name="kmervae")
