"""The VAE network: shapes, parameter counts, input transform, losses, save/load."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import math

import keras
import numpy as np
import pytest
from vae_testdata import synthetic_features, z_mean

from kmervae.features.layout import LAYOUT, N_FEATURES
from kmervae.vae.config import VAEConfig
from kmervae.vae.model import (
    GROUP_NAMES,
    MergeBranchOutputs,
    build_vae,
    cannot_link_loss,
    cosine_loss,
    group_mse,
    info_nce,
    kl_divergence,
    length_weights,
    load_vae,
    nearest_mask,
    reconstruction_group_balanced,
    reconstruction_sum,
    transform_features,
)

N_TARGET = N_FEATURES - 1
TINY = VAEConfig(
    encoder_widths=((16, 8), (8, 4), (4, 4)), shared_widths=(16,), latent_dim=4, seed=3
)


def tiny_config(**changes) -> VAEConfig:
    """TINY with ``changes`` (checked as any VAEConfig is)."""
    return dataclasses.replace(TINY, **changes)


ORIGINAL = VAEConfig(encoder_widths=((4096, 2048), (64, 32), (16, 8)), shared_widths=(1024, 512))


# --------------------------------------------------------------------------- shapes
def expected_dense_kernels(cfg: VAEConfig):
    """(encoder, decoder) lists of (name, (in, out)) of every Dense layer, by hand."""
    n_kmers = {7: 8192, 4: 136, 3: 32}
    enc, dec = [], []
    ends = []
    for k, widths in zip((7, 4, 3), cfg.encoder_widths, strict=True):
        prev = n_kmers[k] + 2  # + GC + length
        for i, w in enumerate(widths, 1):
            enc.append((f"enc_k{k}_{i}_dense", (prev, w)))
            prev = w
        ends.append(prev)
    prev = sum(ends)
    for i, w in enumerate(cfg.shared_widths, 1):
        enc.append((f"enc_shared_{i}_dense", (prev, w)))
        prev = w
    if cfg.hierarchical_latent:
        for part, src, name in zip(
            cfg.latent_parts, [*ends, prev], ["k7", "k4", "k3", "shared"], strict=True
        ):
            enc += [(f"z_mean_{name}", (src, part)), (f"z_log_var_{name}", (src, part))]
        z_shared, z_branch = cfg.latent_parts[-1], cfg.latent_parts[:-1]
    else:
        enc += [("z_mean", (prev, cfg.latent_dim)), ("z_log_var", (prev, cfg.latent_dim))]
        z_shared, z_branch = cfg.latent_dim, (0, 0, 0)
    prev = z_shared
    for i, w in enumerate([*reversed(cfg.shared_widths), sum(ends)], 1):
        dec.append((f"dec_shared_{i}_dense", (prev, w)))
        prev = w
    trunk = prev
    for k, widths, zk in zip((7, 4, 3), cfg.encoder_widths, z_branch, strict=True):
        p = trunk + zk
        for i, w in enumerate(reversed(widths), 1):
            dec.append((f"dec_k{k}_{i}_dense", (p, w)))
            p = w
        dec.append((f"dec_k{k}_out", (p, n_kmers[k] + 1)))  # + GC prediction
    return enc, dec


def expected_counts(kernels):
    """(trainable, non-trainable) parameters: Dense in*out+out; BN 2 + 2 per unit."""
    trainable = non_trainable = 0
    for name, (i, o) in kernels:
        trainable += i * o + o
        if name.endswith("_dense"):  # followed by BatchNormalization
            trainable += 2 * o
            non_trainable += 2 * o
    return trainable, non_trainable


def n_params(weights):
    return sum(math.prod(w.shape) for w in weights)


@pytest.mark.parametrize(
    "cfg",
    [VAEConfig(), ORIGINAL, VAEConfig(hierarchical_latent=True), TINY],
    ids=["final", "original", "hierarchical", "tiny"],
)
def test_layer_shapes_and_parameter_counts(cfg):
    model = build_vae(cfg)
    for sub, kernels in zip(
        (model.encoder, model.decoder), expected_dense_kernels(cfg), strict=True
    ):
        dense = {
            layer.name: tuple(layer.kernel.shape)
            for layer in sub.layers
            if isinstance(layer, keras.layers.Dense)
        }
        assert dense == dict(kernels)
        for layer in sub.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                units = dense[layer.name.replace("_bn", "_dense")][1]
                assert tuple(layer.gamma.shape) == (units,)
        trainable, non_trainable = expected_counts(kernels)
        assert n_params(sub.trainable_weights) == trainable
        assert n_params(sub.non_trainable_weights) == non_trainable
    assert [tuple(t.shape) for t in model.encoder.outputs] == [(None, cfg.latent_dim)] * 2
    assert tuple(model.encoder.inputs[0].shape) == (None, N_FEATURES)
    assert tuple(model.decoder.outputs[0].shape) == (None, N_TARGET)
    # preprocessing statistics travel as weights: mean and std per input feature
    assert n_params(model.preprocessor.weights) == 2 * N_FEATURES


def test_default_model_has_the_hand_counted_parameters():
    """The default widths counted by hand (Dense: in x out + out), not by this file's
    expected_dense_kernels, so the figure config/README.md quotes (9.3 M) is checked."""
    # encoder Dense: k7 8,194x512, 512x128; k4 138x128, 128x64; k3 34x64, 64x32 (each
    # branch sees its k-mers + GC + length); shared 224x512; z_mean, z_log_var 512x256
    encoder_dense = 4_669_728
    # decoder Dense: shared 256x512, 512x224; k7 224x128, 128x512, out 512x8,193;
    # k4 224x64, 64x128, out 128x137; k3 224x32, 32x64, out 64x33 (k-mers + GC)
    decoder_dense = 4_596_203
    # batch normalisation after every hidden Dense: 512+128+128+64+64+32+512 units in the
    # encoder, 512+224+128+512+64+128+32+64 in the decoder; gamma and beta train, the
    # moving mean and variance do not
    bn_units = 1_440 + 1_664
    model = build_vae(VAEConfig())
    assert n_params(model.trainable_weights) == encoder_dense + decoder_dense + 2 * bn_units
    # also fixed: the input standardisation's mean and std per feature, and the KL weight
    assert n_params(model.non_trainable_weights) == 2 * bn_units + 2 * N_FEATURES + 1
    assert model.count_params() == 9_295_072


def test_forward_pass_shapes():
    model = build_vae(TINY)
    x, _ = synthetic_features(5, seed=1)
    out = model(x, training=True)
    assert tuple(out["reconstruction"].shape) == (5, N_TARGET)
    assert tuple(out["target"].shape) == (5, N_TARGET)
    assert tuple(out["z_mean"].shape) == (5, TINY.latent_dim)


def test_gc_output_is_mean_of_branch_predictions():
    outs = [np.full((2, n + 1), float(i)) for i, n in enumerate((8192, 136, 32))]
    outs[0][:, -1], outs[1][:, -1], outs[2][:, -1] = 0.3, 0.6, 1.5
    merged = np.asarray(MergeBranchOutputs()([o.astype("float32") for o in outs]))
    assert merged.shape == (2, N_TARGET)
    assert np.all(merged[:, LAYOUT.target_slice(7)] == 0)
    assert np.all(merged[:, LAYOUT.target_slice(4)] == 1)
    assert np.all(merged[:, LAYOUT.target_slice(3)] == 2)
    np.testing.assert_allclose(merged[:, -1], 0.8, rtol=1e-6)


# --------------------------------------------------------------------------- transform
def test_transform_clr_by_hand():
    x, _ = synthetic_features(1, seed=2, min_length=1500, max_length=1500)
    out = np.asarray(transform_features(x, "clr", 0.5), dtype=np.float64)
    assert out.shape == (1, N_FEATURES)
    np.testing.assert_allclose(out[0, 0], math.log10(1500), rtol=1e-6)
    for k in (7, 4, 3):
        f = x[0, LAYOUT.kmer_slice(k)].astype(np.float64)
        logf = np.log(f + 0.5 / (1500 - k + 1))
        np.testing.assert_allclose(out[0, LAYOUT.kmer_slice(k)], logf - logf.mean(), atol=2e-5)
    assert out[0, -1] == pytest.approx(x[0, -1])
    none = np.asarray(transform_features(x, "none", 0.5))
    np.testing.assert_array_equal(none[0, 1:], x[0, 1:])


def test_preprocessor_standardises():
    model = build_vae(TINY)
    x, _ = synthetic_features(50, seed=4)
    t = np.asarray(model.preprocessor.transform(x), dtype=np.float64)
    model.preprocessor.set_statistics(t.mean(0), t.std(0))
    h = np.asarray(model.preprocessor(x), dtype=np.float64)
    varying = t.std(0) > 1e-6
    np.testing.assert_allclose(h.mean(0)[varying], 0, atol=1e-3)
    np.testing.assert_allclose(h.std(0)[varying], 1, atol=1e-3)


# --------------------------------------------------------------------------- losses
def _group_errors():
    """Target 0; reconstruction errors 1, 2, 3, 4 in the 7-mer, 4-mer, 3-mer, GC groups."""
    target = np.zeros((2, N_TARGET), dtype="float32")
    recon = np.zeros_like(target)
    for value, k in zip((1, 2, 3), (7, 4, 3), strict=True):
        recon[:, LAYOUT.target_slice(k)] = value
    recon[:, -1] = 4
    return target, recon


def _orthogonal_pair(cfg):
    """The model of ``cfg``, the prediction of two contigs with the errors of
    ``_group_errors`` and orthogonal embeddings, and its loss with no extra term."""
    model = build_vae(cfg)
    target, recon = _group_errors()
    z = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]], dtype="float32")
    y_pred = {"target": target, "reconstruction": recon, "z_mean": z, "z_log_var": 0 * z}
    return model, y_pred, float(model.compute_loss(y_pred=y_pred))


def test_group_mse_and_reconstruction_losses_by_hand():
    target, recon = _group_errors()
    mses = {k: float(v) for k, v in group_mse(target, recon).items()}
    assert mses == {"k7": 1.0, "k4": 4.0, "k3": 9.0, "gc": 16.0}
    assert list(mses) == list(GROUP_NAMES)
    # sum: 8192 * 1 + 136 * 4 + 32 * 9 + 1 * 16 per row, averaged over rows
    assert float(reconstruction_sum(target, recon)) == pytest.approx(9040.0)
    # group_balanced: mean of (1, 4, 9, 16) times 8,361
    assert float(reconstruction_group_balanced(target, recon)) == pytest.approx(7.5 * 8361)


def test_length_weighted_reconstruction_by_hand():
    target, recon = _group_errors()
    recon[1] *= 2  # row 2's errors are 2, 4, 6, 8: four times row 1's squared errors
    row_sums = np.array([9040.0, 4 * 9040.0])
    weights = np.array([1.0, 3.0], dtype="float32")
    expected = float((row_sums * weights).sum() / weights.sum())
    assert float(reconstruction_sum(target, recon, weights)) == pytest.approx(expected)
    assert float(reconstruction_sum(target, recon, 10 * weights)) == pytest.approx(expected)
    assert float(reconstruction_sum(target, recon)) == pytest.approx(row_sums.mean())
    balanced = (1.0 * 7.5 + 3.0 * 4 * 7.5) / 4.0 * 8361
    assert float(reconstruction_group_balanced(target, recon, weights)) == pytest.approx(balanced)


def test_length_weights_by_hand():
    lengths = np.array([1000.0, 5000.0, 20000.0], dtype="float32")
    assert length_weights(lengths, "none", 10000) is None
    np.testing.assert_allclose(length_weights(lengths, "linear", 10000), [1000, 5000, 10000])
    np.testing.assert_allclose(length_weights(lengths, "log", 10000), np.log(lengths), rtol=1e-6)
    with pytest.raises(ValueError, match="unknown length weighting"):
        length_weights(lengths, "sqrt", 10000)
    with pytest.raises(ValueError, match="needs the contig lengths"):
        length_weights(None, "linear", 10000)


def test_cosine_loss_by_hand():
    t = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 2.0, 3.0]], dtype="float32")
    r = np.array([[2.0, 0.0, 0.0], [1.0, -1.0, 0.0], [-1.0, -2.0, -3.0]], dtype="float32")
    # 1 - cos per row: 0, 1, 2
    assert float(cosine_loss(t, r)) == pytest.approx(1.0, abs=1e-6)


def test_kl_by_hand():
    z_mean = np.array([[1.0, 0.0], [0.0, 0.0]], dtype="float32")
    z_log_var = np.array([[0.0, math.log(2.0)], [0.0, 0.0]], dtype="float32")
    # row 1: -0.5 * [(1 + 0 - 1 - 1) + (1 + log 2 - 0 - 2)] = 1 - log(2) / 2; row 2: 0
    assert float(kl_divergence(z_mean, z_log_var)) == pytest.approx((1 - math.log(2) / 2) / 2)


def _cosine_logits(x, y, temperature):
    """numpy: cosine similarities of the rows of ``x`` and ``y``, over ``temperature``."""
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    yn = y / np.linalg.norm(y, axis=1, keepdims=True)
    return xn @ yn.T / temperature


def test_info_nce_by_hand():
    a = np.array([[1.0, 0.0], [0.0, 1.0]], dtype="float32")
    # cosine similarities are the identity; each row: logsumexp([1/t, 0]) - 1/t
    for t in (1.0, 0.5):
        expected = math.log(math.exp(1 / t) + 1) - 1 / t
        assert float(info_nce(a, 3.0 * a, t)) == pytest.approx(expected, rel=1e-6)
    # partners swapped: the loss of picking the wrong row, log(e^(1/t) + 1) - 0
    assert float(info_nce(a, a[::-1], 1.0)) == pytest.approx(math.log(math.e + 1), rel=1e-6)
    # asymmetric batch: mean of both directions, against numpy
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    logits = _cosine_logits(x, y, 0.3)
    rows = np.log(np.exp(logits).sum(1)) - np.diag(logits)
    cols = np.log(np.exp(logits).sum(0)) - np.diag(logits)
    assert float(info_nce(x.astype("float32"), y.astype("float32"), 0.3)) == pytest.approx(
        (rows.mean() + cols.mean()) / 2, rel=1e-5
    )


def test_nearest_mask_against_brute_force():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(9, 5)).astype("float32")
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    similarity = u @ u.T
    np.fill_diagonal(similarity, -np.inf)
    for k in (1, 3):
        expected = np.zeros((9, 9))
        for i, row in enumerate(similarity):
            expected[i, np.argsort(-row)[:k]] = 1
        expected = np.maximum(expected, expected.T)
        np.testing.assert_array_equal(np.asarray(nearest_mask(x, k)), expected)
    # a batch of k rows or fewer: every other row is a neighbour
    np.testing.assert_array_equal(np.asarray(nearest_mask(x[:3], 8)), 1 - np.eye(3))


def test_info_nce_skips_the_masked_negatives():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(5, 3)).astype("float32")
    skip = np.zeros((5, 5), dtype="float32")
    skip[0, 3] = skip[3, 0] = skip[1, 2] = skip[2, 1] = 1
    logits = _cosine_logits(x, y, 0.4)
    kept = np.exp(logits) * (1 - skip)  # skipped pairs leave both directions' sums
    rows = np.log(kept.sum(1)) - np.diag(logits)
    cols = np.log(kept.sum(0)) - np.diag(logits)
    got = info_nce(x, y, 0.4, skip)
    assert float(got) == pytest.approx((rows.mean() + cols.mean()) / 2, rel=1e-5)
    # nothing skipped: the plain loss
    plain = info_nce(x, y, 0.4)
    assert float(info_nce(x, y, 0.4, 0 * skip)) == pytest.approx(float(plain), rel=1e-6)


def test_skip_nearest_leaves_the_tnf_neighbours_out_of_the_contrastive_term():
    cfg = tiny_config(
        contrastive_weight=1.0,
        contrastive_temperature=1.0,
        contrastive_skip_nearest=1,
        length_weighting="none",
    )
    model = build_vae(cfg)
    rng = np.random.default_rng(6)
    target = np.zeros((3, N_TARGET), dtype="float32")
    recon = np.ones_like(target)
    # contigs 0 and 1 share their tetranucleotide profile (0 is the only neighbour of 1
    # and 1 of 0); contig 2's nearest is 0 (cosine 0.6 against -0.8)
    profile = rng.normal(size=136)
    other = rng.normal(size=136)
    other -= profile * (other @ profile) / (profile @ profile)
    other *= np.linalg.norm(profile) / np.linalg.norm(other)
    target[0, LAYOUT.target_slice(4)] = profile
    target[1, LAYOUT.target_slice(4)] = 2.0 * profile
    target[2, LAYOUT.target_slice(4)] = 0.6 * profile + 0.8 * other
    z = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 0]], dtype="float32")
    y_pred = {"target": target, "reconstruction": recon, "z_mean": z, "z_log_var": 0 * z}
    plain = float(model.compute_loss(y_pred=y_pred))
    with_views = float(model.compute_loss(y_pred={**y_pred, "z_view": z}))
    # skipped pairs: 0-1 and 0-2, so contig 0 has no negative left (its term is 0) and
    # contigs 1 and 2 each keep the other: logsumexp([1, 0]) - 1 in both directions
    expected = 2 * (math.log(math.e + 1) - 1) / 3
    assert with_views - plain == pytest.approx(expected, abs=2e-3)


def test_contrastive_term_enters_the_loss_with_its_weight():
    cfg = tiny_config(
        contrastive_weight=3.0,
        contrastive_temperature=1.0,
        length_weighting="none",  # rows weighted alike: the by-hand sums below
    )
    model, y_pred, plain = _orthogonal_pair(cfg)
    with_views = float(model.compute_loss(y_pred={**y_pred, "z_view": y_pred["z_mean"]}))
    # float32 totals near 9,000: the difference is good to about 1e-3
    assert with_views - plain == pytest.approx(3.0 * (math.log(math.e + 1) - 1), abs=2e-3)
    # the model returns the view's embedding when called with (contigs, views)
    x, _ = synthetic_features(6, seed=2)
    out = model((x, x[::-1]), training=False)
    np.testing.assert_allclose(out["z_view"], out["z_mean"][::-1], rtol=1e-5, atol=1e-6)


def test_cannot_link_loss_by_hand():
    # rows 0-1 carry one marker, rows 2-4 another; row 5 alone in its group
    z = np.array(
        [[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 0, 2], [0, 1, 1], [5, 5, 5]], dtype="float32"
    )
    groups = np.array([0, 0, 1, 1, 1, 2], dtype="int32")
    c = 1 / math.sqrt(2)
    # cosines of the pairs: (0,1) c, (2,3) 1, (2,4) c, (3,4) c; each counted from both
    # rows, summed, over 6 rows
    for margin in (0.0, 0.5, 0.8):
        excess = [max(0.0, s - margin) for s in (c, 1.0, c, c)]
        expected = 2 * sum(excess) / 6
        got = float(cannot_link_loss(z, groups, np.zeros(3, "float32"), margin))
        assert got == pytest.approx(expected, rel=1e-6)
    # compared after centring: about (1, 1, 1), rows 2 and 3 point opposite ways
    center = np.array([0, 0, 1.5], dtype="float32")
    zc = z - center
    zc /= np.linalg.norm(zc, axis=1, keepdims=True)
    sims = zc @ zc.T
    same = (groups[:, None] == groups[None, :]) & ~np.eye(6, dtype=bool)
    expected = np.maximum(sims - 0.1, 0)[same].sum() / 6
    got = float(cannot_link_loss(z, groups, center, 0.1))
    assert got == pytest.approx(expected, rel=1e-5)
    assert sims[2, 3] < 0


def test_cannot_link_term_enters_the_loss_with_its_weight():
    cfg = tiny_config(
        contrastive_weight=1.0,
        cannot_link_weight=4.0,
        cannot_link_margin=0.0,
        length_weighting="none",
    )
    model, y_pred, plain = _orthogonal_pair(cfg)
    # two contigs of one marker at cosine 1 (about the batch's centre, (0.5, 0.5, 0, 0))
    link = np.array([[1.5, 1.5, 0, 0], [2.5, 2.5, 0, 0]], dtype="float32")
    links = {"z_link": link, "link_groups": np.array([0, 0], dtype="int32")}
    with_links = float(model.compute_loss(y_pred={**y_pred, **links}))
    # (1 - 0) from each of the 2 rows, over 2 rows, times the weight
    assert with_links - plain == pytest.approx(4.0, abs=2e-3)
    # the model embeds the cannot-link rows when called with them, after the views or,
    # without the contrastive term, right after the contigs
    x, _ = synthetic_features(6, seed=2)
    out = model((x, x, x[::-1], np.zeros(6, "int32")), training=False)
    np.testing.assert_allclose(out["z_link"], out["z_mean"][::-1], rtol=1e-5, atol=1e-6)
    assert "z_view" in out
    out = model((x, x[::-1], np.zeros(6, "int32")), training=False)
    np.testing.assert_allclose(out["z_link"], out["z_mean"][::-1], rtol=1e-5, atol=1e-6)
    assert "z_view" not in out


@pytest.mark.parametrize("loss", ["sum", "group_balanced"])
def test_total_loss_combines_terms(loss):
    cfg = tiny_config(
        loss=loss,
        beta=0.5,
        cosine_weight=2.0,
        length_weighting="none",  # rows weighted alike: the by-hand sums below
    )
    model = build_vae(cfg)
    target, recon = _group_errors()
    z_mean = np.array([[1.0, 0, 0, 0], [0, 0, 0, 0]], dtype="float32")
    y_pred = {
        "target": target,
        "reconstruction": recon,
        "z_mean": z_mean,
        "z_log_var": np.zeros_like(z_mean),
    }
    rec = 9040.0 if loss == "sum" else 7.5 * 8361
    cos = 1.0  # target 0: dot product 0, so 1 - cosine = 1 in every row
    kl = 0.25  # row 1: 0.5 * 1^2, row 2: 0; mean 0.25
    total = float(model.compute_loss(y_pred=y_pred))
    assert total == pytest.approx(rec + 0.5 * kl + 2.0 * cos, rel=1e-6)
    assert float(model.trackers["mse_gc"].result()) == pytest.approx(16.0)


def test_length_weighting_enters_the_total_loss():
    cfg = tiny_config(length_weighting="linear", length_weight_cap=4000)
    model = build_vae(cfg)
    target, recon = _group_errors()
    recon[1] *= 2  # row sums of squares 9,040 and 36,160
    z = np.zeros((2, 4), dtype="float32")
    y_pred = {"target": target, "reconstruction": recon, "z_mean": z, "z_log_var": z}
    lengths = np.array([1000.0, 50000.0], dtype="float32")  # weights 1,000 and 4,000 (cap)
    total = float(model.compute_loss(y_pred={**y_pred, "length": lengths}))
    assert total == pytest.approx((1000 * 9040.0 + 4000 * 36160.0) / 5000, rel=1e-6)
    # the model hands the raw length column to the loss
    x, _ = synthetic_features(3, seed=4)
    np.testing.assert_allclose(model(x)["length"], x[:, LAYOUT.length_column])


# --------------------------------------------------------------------------- save / load
def test_model_saved_before_length_weighting_loads_as_unweighted():
    model = build_vae(TINY)
    assert model.vae_config.length_weighting == "linear"
    saved = model.get_config()
    del saved["config"]["length_weighting"]  # as in a model saved by an earlier kmervae
    assert type(model).from_config(saved).vae_config.length_weighting == "none"
    assert type(model).from_config(model.get_config()).vae_config.length_weighting == "linear"


@pytest.mark.parametrize(
    "cfg",
    [
        TINY,
        tiny_config(
            hierarchical_latent=True,
            latent_dim=8,
            input_dropout=0.1,
            kmer_transform="none",
        ),
    ],
    ids=["tiny", "hierarchical-dropout-none"],
)
def test_save_load_round_trip(tmp_path, cfg):
    model = build_vae(cfg)
    x, _ = synthetic_features(30, seed=5)
    t = np.asarray(model.preprocessor.transform(x), dtype=np.float64)
    model.preprocessor.set_statistics(t.mean(0), t.std(0))
    model(x, training=True)  # move BN statistics and seed state away from initial values
    path = tmp_path / "vae.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.vae_config == cfg
    for a, b in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(z_mean(model, x), z_mean(loaded, x))
    np.testing.assert_array_equal(z_mean(model, x), z_mean(load_vae(path), x))


def test_debiased_info_nce_against_numpy():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(6, 4)).astype("float32"), rng.normal(size=(6, 4)).astype("float32")
    skip = np.zeros((6, 6), dtype="float32")
    skip[0, 4] = skip[4, 0] = 1
    t, tau = 0.5, 0.2

    def one_direction(logits):
        # Chuang et al. (2020), eq. 6, with a mask of the negatives
        negatives = (1 - np.eye(6)) * (1 - skip)
        pos = np.exp(np.diag(logits))
        n = negatives.sum(1)
        g = (np.sum(np.exp(logits) * negatives, 1) - tau * n * pos) / (1 - tau)
        g = np.maximum(g, n * np.exp(-1 / t))
        return np.mean(-np.log(pos / (pos + g)))

    logits = _cosine_logits(x, y, t)
    expected = (one_direction(logits) + one_direction(logits.T)) / 2
    assert float(info_nce(x, y, t, skip, tau)) == pytest.approx(expected, rel=1e-5)
    # debias 0 is the plain loss, and a partner far ahead of the negatives reaches the
    # floor: every negative's part taken out, only the cosine -1 floor left
    assert float(info_nce(x, y, t, skip, 0.0)) == pytest.approx(
        float(info_nce(x, y, t, skip)), rel=1e-6
    )
    a = np.eye(3, dtype="float32")
    floor = math.log(1 + 2 * math.exp(-1 / t) / math.exp(1 / t))  # 2 negatives, 1 partner
    assert float(info_nce(a, a, t, None, 0.9)) == pytest.approx(floor, rel=1e-5)


def test_contrastive_debias_enters_the_loss():
    cfg = tiny_config(
        contrastive_weight=1.0,
        contrastive_temperature=1.0,
        contrastive_debias=0.5,
        length_weighting="none",
    )
    model, y_pred, plain = _orthogonal_pair(cfg)
    with_views = float(model.compute_loss(y_pred={**y_pred, "z_view": y_pred["z_mean"]}))
    # one negative at cosine 0 against a partner at 1: (e^0 - 0.5 e^1) / 0.5 < 0, so the
    # floor e^-1 (a negative at cosine -1) stands in: log(e + 1/e) - 1 each way
    assert with_views - plain == pytest.approx(math.log(math.e + 1 / math.e) - 1, abs=2e-3)
