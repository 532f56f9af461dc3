"""Training: streaming reader, split, outputs, determinism, resume, loss going down."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse
import hashlib
import itertools
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keras
import numpy as np
import pytest
from vae_testdata import write_synthetic_matrix, z_mean

from kmervae.errors import InputError, KmervaeError
from kmervae.features.layout import N_FEATURES
from kmervae.vae.config import VAEConfig
from kmervae.vae.data import (
    MatrixSource,
    RunningMoments,
    ViewSource,
    make_batches,
    split_rows,
    training_subset,
)
from kmervae.vae.model import load_vae
from kmervae.vae.training import kl_weight_at, read_checkpoint, read_history, train

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo" / "demo.fna.gz"

TINY = VAEConfig(
    encoder_widths=((16, 8), (8, 4), (4, 4)),
    shared_widths=(16,),
    latent_dim=4,
    epochs=4,
    batch_size=64,
    val_fraction=0.2,
    kl_warmup_epochs=2,
    beta=0.5,
    seed=7,
    contrastive_weight=0.0,
)


def _tiny(**changes) -> VAEConfig:
    return VAEConfig.from_dict({**TINY.to_dict(), **changes})


@pytest.fixture(scope="module")
def matrices(tmp_path_factory):
    d = tmp_path_factory.mktemp("features")
    write_synthetic_matrix(d / "a.npy", 250, n_genomes=4, seed=1, chunk=100)
    write_synthetic_matrix(d / "b.npy", 150, n_genomes=4, seed=2, chunk=100)
    return [d / "a.npy", d / "b.npy"]


@pytest.fixture(scope="module")
def reference_run(matrices, tmp_path_factory):
    """An uninterrupted 4-epoch run, shared by several tests."""
    return train(matrices, tmp_path_factory.mktemp("ref"), TINY)


def _weights(model):
    return [keras.ops.convert_to_numpy(v) for v in model.weights]


# --------------------------------------------------------------------------- data
def test_matrix_source_reads_rows_across_files(matrices):
    full = np.concatenate([np.load(p) for p in matrices])
    source = MatrixSource(matrices)
    assert source.n_rows == 400
    rows = np.array([0, 1, 2, 7, 249, 250, 251, 399])
    np.testing.assert_array_equal(source.read(rows), full[rows])
    source.close()


def test_matrix_source_rejects_bad_matrices(tmp_path):
    np.save(tmp_path / "cols.npy", np.zeros((3, 10), dtype=np.float32))
    np.save(tmp_path / "f64.npy", np.zeros((3, N_FEATURES)))
    (tmp_path / "junk.npy").write_text("not a matrix")
    for name, words in [("cols", "8362 columns"), ("f64", "float32"), ("junk", "cannot open")]:
        with pytest.raises(InputError, match=words) as err:
            MatrixSource([tmp_path / f"{name}.npy"])
        assert f"{name}.npy" in str(err.value)


def test_split_is_seeded_and_disjoint():
    tr, va = split_rows(1000, 0.1, seed=3)
    assert len(va) == 100 and len(tr) == 900
    assert not set(tr) & set(va)
    np.testing.assert_array_equal(va, split_rows(1000, 0.1, seed=3)[1])
    assert not np.array_equal(va, split_rows(1000, 0.1, seed=4)[1])


def test_each_batch_depends_only_on_seed_epoch_and_index(matrices):
    """What lets loader_workers > 1 give the same model: threads read batches in any
    order and at the same time, and each batch still holds the same rows."""
    source = MatrixSource(matrices)
    train_rows, _ = split_rows(source.n_rows, 0.2, seed=7)
    full = np.concatenate([np.load(p) for p in matrices])
    row_of = {row.tobytes(): r for r, row in enumerate(full)}

    def batches():
        return make_batches(source, train_rows, 64, shuffle=True, seed=7, drop_remainder=True)

    reference, threaded = batches(), batches()
    n = len(reference)
    assert n == len(train_rows) // 64
    rows_by_epoch = []
    for epoch in (0, 1):
        reference.set_epoch(epoch)
        threaded.set_epoch(epoch)
        in_order = [reference[i][0] for i in range(n)]
        with ThreadPoolExecutor(3) as pool:
            backwards = list(pool.map(lambda i: threaded[i][0], reversed(range(n))))
        for a, b in zip(in_order, backwards[::-1], strict=True):
            np.testing.assert_array_equal(a, b)
        rows = [row_of[row.tobytes()] for batch in in_order for row in batch]
        # whole batches of distinct training rows
        assert len(set(rows)) == len(rows) == n * 64
        assert set(rows) <= set(train_rows.tolist())
        rows_by_epoch.append(rows)
    assert rows_by_epoch[0] != rows_by_epoch[1]  # a new order every epoch
    source.close()


def test_running_moments_match_numpy():
    x = np.random.default_rng(0).normal(5, 3, size=(1000, 7))
    m = RunningMoments(7)
    for a in range(0, 1000, 123):
        m.update(x[a : a + 123])
    np.testing.assert_allclose(m.mean, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(m.std, x.std(0), rtol=1e-10)


def test_kl_warmup_schedule():
    cfg = _tiny(beta=2.0, kl_warmup_epochs=4)
    assert [kl_weight_at(cfg, e) for e in range(6)] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.0]
    assert kl_weight_at(_tiny(kl_warmup_epochs=0), 0) == 0.5


# --------------------------------------------------------------------------- training
@pytest.mark.slow
def test_training_writes_outputs(reference_run, matrices):
    out = reference_run.outdir
    for name in ("vae.keras", "history.tsv", "training.png", "provenance.json"):
        assert (out / name).stat().st_size > 0, name
    assert not (out / "checkpoint").exists()
    assert not [p for p in out.iterdir() if "tmp" in p.name]
    history = read_history(out / "history.tsv")
    assert [r["epoch"] for r in history] == [1, 2, 3, 4]
    assert [r["kl_weight"] for r in history] == [0.0, 0.25, 0.5, 0.5]
    for col in ("val_mse_k7", "val_mse_k4", "val_mse_k3", "val_mse_gc", "val_kl"):
        assert all(np.isfinite(r[col]) for r in history), col
    assert history[0]["learning_rate"] == pytest.approx(1e-3)
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["seed"] == 7 and prov["config"] == TINY.to_dict()
    assert [s["n_contigs"] for s in prov["training_samples"]] == [250, 150]
    assert prov["layout"]["n_features"] == N_FEATURES
    assert prov["versions"]["keras"]
    loaded = keras.saving.load_model(out / "vae.keras")
    rows = np.load(matrices[1])
    np.testing.assert_array_equal(z_mean(loaded, rows), z_mean(reference_run.model, rows))


@pytest.mark.slow
def test_architecture_png_or_clear_skip(reference_run, tmp_path, monkeypatch, caplog):
    from kmervae.vae import architecture, training

    if architecture.find_renderer():
        assert (reference_run.outdir / "architecture.png").stat().st_size > 0
    monkeypatch.setattr(architecture, "find_renderer", lambda: None)
    assert not training.plot_architecture(reference_run.model, tmp_path / "a.png")
    assert not (tmp_path / "a.png").exists()
    assert "a.png not drawn: no Graphviz renderer found" in caplog.text


@pytest.mark.slow
def test_same_seed_gives_identical_weights_whatever_the_loader_threads(
    reference_run, matrices, tmp_path
):
    """Each batch is a function of the seed, the epoch and its index only, so threads
    that read batches in any order give the same model as one thread."""
    again = train(matrices, tmp_path / "again", _tiny(loader_workers=3), plots=False)
    assert _without_timings(again.history) == _without_timings(reference_run.history)
    for a, b in zip(_weights(reference_run.model), _weights(again.model), strict=True):
        assert np.array_equal(a, b)
    rows = np.load(matrices[0])
    assert np.array_equal(z_mean(reference_run.model, rows), z_mean(again.model, rows))


class Interrupt(keras.callbacks.Callback):
    """Kills the run (as Ctrl-C would) when epoch ``at_epoch`` (0-based) begins."""

    def __init__(self, at_epoch: int):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise KeyboardInterrupt("killed")


# the learning rate is high enough that val_loss worsens from epoch 3 on: ReduceLROnPlateau
# lowers the rate after epochs 3 and 4, EarlyStopping ends the run after epoch 5 of 6
PLATEAU = _tiny(
    epochs=6, learning_rate=0.03, lr_patience=1, early_stopping_patience=3, kl_warmup_epochs=0
)


def _without_timings(history):
    return [{k: v for k, v in row.items() if not k.endswith("seconds")} for row in history]


@pytest.fixture(scope="module")
def killed_plateau_run(matrices, tmp_path_factory):
    """A PLATEAU run killed after epoch 3, while both plateau callbacks hold state."""
    out = tmp_path_factory.mktemp("killed") / "out"
    with pytest.raises(KeyboardInterrupt):
        train(matrices, out, PLATEAU, extra_callbacks=[Interrupt(at_epoch=3)], plots=False)
    return out


@pytest.mark.slow
def test_killed_run_resumes_with_early_stopping_and_learning_rate_state(
    matrices, killed_plateau_run, tmp_path
):
    whole = train(matrices, tmp_path / "whole", PLATEAU, plots=False)
    rates = [row["learning_rate"] for row in whole.history]
    # the scenario this test is about: both callbacks act after the kill
    assert whole.stopped_early and len(whole.history) < PLATEAU.epochs
    assert rates[4] < rates[3] < rates[0], rates
    out = shutil.copytree(killed_plateau_run, tmp_path / "resumed")
    assert not (out / "vae.keras").exists()
    assert [r["epoch"] for r in read_history(out / "history.tsv")] == [1, 2, 3]
    assert json.loads((out / "checkpoint" / "state.json").read_text())["epoch"] == 3
    # a different configuration must not silently continue the checkpoint
    with pytest.raises(KmervaeError, match="different configuration"):
        train(matrices, out, _tiny(beta=1.0), plots=False)
    resumed = train(matrices, out, PLATEAU, plots=False)
    assert resumed.initial_epoch == 3 and resumed.stopped_early
    assert not (out / "checkpoint").exists()
    assert _without_timings(resumed.history) == _without_timings(whole.history)
    # optimizer, BN, sampling seed, data order and the plateau callbacks' counters all
    # restored: the same model as the uninterrupted run
    for a, b in zip(_weights(whole.model), _weights(resumed.model), strict=True):
        assert np.array_equal(a, b)


@pytest.mark.slow
def test_restart_option_discards_the_checkpoint(
    reference_run, matrices, killed_plateau_run, tmp_path
):
    """`kmervae train --restart` trains from scratch where a checkpoint of another
    configuration would otherwise stop the run: the same model as a fresh run."""
    import yaml

    from kmervae.commands import train as cmd

    out = shutil.copytree(killed_plateau_run, tmp_path / "out")
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(TINY.to_dict()))
    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    argv = ["--features", *map(str, matrices), "--outdir", str(out)]
    argv += ["--config", str(tmp_path / "tiny.yaml"), "--no-plots"]
    with pytest.raises(KmervaeError, match="different configuration"):
        cmd.run(parser.parse_args(argv))
    assert cmd.run(parser.parse_args([*argv, "--restart"])) == 0
    assert not (out / "checkpoint").exists()
    assert json.loads((out / "provenance.json").read_text())["resumed_from_epoch"] is None
    assert _without_timings(read_history(out / "history.tsv")) == _without_timings(
        read_history(reference_run.outdir / "history.tsv")
    )
    model = load_vae(out / "vae.keras")
    for a, b in zip(_weights(reference_run.model), _weights(model), strict=True):
        assert np.array_equal(a, b)


def test_a_stale_checkpoint_stops_the_run_or_is_discarded_when_asked(tmp_path, caplog):
    ckpt = tmp_path / "checkpoint"
    ckpt.mkdir()
    (ckpt / "state.json").write_text(json.dumps({"fingerprint": "old", "epoch": 7}))
    (ckpt / "weights.npz").write_bytes(b"")
    with pytest.raises(KmervaeError, match="different configuration"):
        read_checkpoint(ckpt, "new", restart=False)
    assert (ckpt / "state.json").exists()  # an error deletes nothing
    assert read_checkpoint(ckpt, "new", restart=False, discard_stale=True) is None
    assert not ckpt.exists()
    assert "checkpoint is of a different configuration" in caplog.text
    assert "after epoch 7" in caplog.text


class ExplodeLearningRate(keras.callbacks.Callback):
    """From epoch ``at_epoch`` (0-based) on, a learning rate that makes the loss overflow."""

    def __init__(self, at_epoch: int):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            self.model.optimizer.learning_rate.assign(1e30)


@pytest.mark.slow
def test_diverging_training_stops_with_an_error_and_writes_no_model(matrices, tmp_path):
    out = tmp_path / "out"
    cfg = _tiny(epochs=2)
    with pytest.raises(KmervaeError, match=r"diverged.* in epoch 2.*no model written") as err:
        train(matrices, out, cfg, extra_callbacks=[ExplodeLearningRate(at_epoch=1)])
    assert "checkpoint of epoch 1 is kept" in str(err.value)
    assert not (out / "vae.keras").exists()
    assert not list(out.glob(".partial.*"))
    # the last good epoch is what stays: its history row and its checkpoint
    assert [r["epoch"] for r in read_history(out / "history.tsv")] == [1]
    assert json.loads((out / "checkpoint" / "state.json").read_text())["epoch"] == 1


@pytest.mark.slow
def test_training_lowers_the_loss_on_real_features(demo_with_views, tmp_path):
    matrix, _ = demo_with_views  # features of 200 contigs of the demo's real genomes
    cfg = _tiny(epochs=6, kl_warmup_epochs=0, val_fraction=0.2, batch_size=32)
    history = train([matrix], tmp_path / "out", cfg, plots=False).history
    first, last = history[0], history[-1]
    assert last["loss"] < first["loss"]
    assert last["val_reconstruction"] < first["val_reconstruction"]


@pytest.fixture(scope="module")
def demo_with_views(tmp_path_factory):
    """Features of the first 200 demo contigs and the sequences of their views."""
    from conftest import write_fasta

    from kmervae.features.fasta import iter_fasta_records
    from kmervae.features.matrix import featurize
    from kmervae.features.views import write_view_sequences

    d = tmp_path_factory.mktemp("views")
    fasta = write_fasta(
        d / "demo200.fa",
        [
            (r.name, r.bases().decode("latin-1"))
            for r in itertools.islice(iter_fasta_records(DEMO), 200)
        ],
    )
    featurize(fasta, d / "f.npy", d / "f.contigs.tsv")
    write_view_sequences(fasta, d / "f.contigs.tsv", d / "v.npy")
    return d / "f.npy", d / "v.npy"


@pytest.mark.slow
def test_contrastive_training_is_deterministic_and_pulls_views_together(demo_with_views, tmp_path):
    from kmervae.binning.clustering import normalize

    features, views = demo_with_views
    cfg = _tiny(
        contrastive_weight=50.0, views_per_contig=3, epochs=6, kl_warmup_epochs=0, batch_size=32
    )
    runs = [train([features], tmp_path / name, cfg, views=[views], plots=False) for name in "ab"]
    for x, y in zip(_weights(runs[0].model), _weights(runs[1].model), strict=True):
        np.testing.assert_array_equal(x, y)
    history = runs[0].history
    assert history[-1]["contrastive"] < history[0]["contrastive"]
    assert history[-1]["val_contrastive"] < history[0]["val_contrastive"]
    # a contig's views land nearer to it than to the other contigs
    z = normalize(z_mean(runs[0].model, np.load(features)))
    source = MatrixSource([features])
    rows = np.arange(source.n_rows)
    first_views = ViewSource([views], source, cfg.view_spec(), [rows]).read(rows, rows * 0)
    zv = normalize(z_mean(runs[0].model, first_views))
    sims = zv @ z.T
    assert (np.argsort(-sims, axis=1)[:, :10] == np.arange(len(z))[:, None]).any(1).mean() > 0.5


def test_contrastive_training_needs_matching_views(demo_with_views, tmp_path):
    features, views = demo_with_views
    cfg = _tiny(contrastive_weight=1.0, views_per_contig=3)
    with pytest.raises(KmervaeError, match="needs the sequences of the training contigs"):
        train([features], tmp_path / "a", cfg)
    with pytest.raises(InputError, match="2 view-sequence files for 1 feature"):
        train([features], tmp_path / "b", cfg, views=[views, views])
    # the sequences of all 200 contigs, for a training budget of 150 of them
    budget = _tiny(contrastive_weight=1.0, max_train_contigs=150)
    with pytest.raises(InputError, match="of the 150 training contigs"):
        train([features], tmp_path / "c", budget, views=[views])
    assert not (tmp_path / "c" / "vae.keras").exists()


# --------------------------------------------------------------------------- CLI
@pytest.mark.slow
def test_cli_train_with_config_file(matrices, tmp_path):
    import yaml

    from kmervae.commands import train as cmd

    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump({**TINY.to_dict(), "epochs": 5}))
    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    args = parser.parse_args(
        [
            "--features",
            *map(str, matrices),
            "--outdir",
            str(tmp_path / "cli"),
            "--config",
            str(tmp_path / "cfg.yaml"),
            "--epochs",
            "1",
            "--no-plots",
            "--loss",
            "group_balanced",
        ]
    )
    cfg = cmd.config_from_args(args)
    assert cfg.epochs == 1 and cfg.loss == "group_balanced" and cfg.latent_dim == 4
    assert cmd.run(args) == 0
    model = load_vae(tmp_path / "cli" / "vae.keras")
    assert model.vae_config == cfg


class RecordStart(keras.callbacks.Callback):
    """The embedding of ``rows`` and the input statistics a training starts from."""

    def __init__(self, rows):
        super().__init__()
        self.rows = rows

    def on_train_begin(self, logs=None):
        self.z = z_mean(self.model, self.rows)
        pre = self.model.preprocessor
        self.statistics = [keras.ops.convert_to_numpy(v) for v in (pre.mean, pre.std)]


@pytest.mark.slow
def test_fine_tuning_starts_from_the_base_model_and_refits_the_standardisation(
    reference_run, matrices, tmp_path
):
    base_path = reference_run.outdir / "vae.keras"
    base = keras.saving.load_model(base_path)
    rows = np.load(matrices[1])[:50]
    cfg = _tiny(epochs=1, seed=11)
    # on the base model's own training rows (its matrices and seed) the standardisation
    # is the same, so the model a fine-tuning starts from embeds exactly as the base
    # model: its dense layers and batch-normalisation statistics are the base's
    same = RecordStart(rows)
    train(matrices, tmp_path / "same", _tiny(epochs=1), init_model=base_path,
          extra_callbacks=[same], plots=False)  # fmt: skip
    np.testing.assert_array_equal(same.z, z_mean(base, rows))
    # on other matrices the standardisation is refitted (matrix b alone, not a and b),
    # and is that of a training from scratch on them
    tuned, scratch = RecordStart(rows), RecordStart(rows)
    train([matrices[1]], tmp_path / "ft", cfg, init_model=base_path,
          extra_callbacks=[tuned], plots=False)  # fmt: skip
    train([matrices[1]], tmp_path / "new", cfg, extra_callbacks=[scratch], plots=False)
    for got, want, base_stat in zip(
        tuned.statistics,
        scratch.statistics,
        (base.preprocessor.mean, base.preprocessor.std),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)
        assert not np.allclose(got, keras.ops.convert_to_numpy(base_stat))
    assert not np.allclose(tuned.z, scratch.z, atol=0.1)  # not a fresh initialisation
    prov = json.loads((tmp_path / "ft" / "provenance.json").read_text())
    assert prov["init_model"] == {
        "path": str(base_path.resolve()),
        "sha256": hashlib.sha256(base_path.read_bytes()).hexdigest(),
    }
    assert json.loads((tmp_path / "new" / "provenance.json").read_text())["init_model"] is None


@pytest.mark.slow
def test_a_base_model_of_another_architecture_or_none_is_a_clear_error(
    reference_run, matrices, tmp_path
):
    base_path = reference_run.outdir / "vae.keras"
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"latent_dim 4 \(these settings: 5\)") as err:
        train(matrices, out, _tiny(epochs=1, latent_dim=5), init_model=base_path)
    assert str(base_path) in str(err.value)
    assert not (out / "vae.keras").exists() and not (out / "checkpoint").exists()
    with pytest.raises(InputError, match="no such model file"):
        train(matrices, out, _tiny(epochs=1), init_model=tmp_path / "missing.keras")
    assert not (out / "vae.keras").exists()


def test_cli_rejects_unknown_config_key(tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps({"latent_size": 3}))
    with pytest.raises(KmervaeError, match="latent_size"):
        VAEConfig.from_file(tmp_path / "bad.json")


@pytest.mark.parametrize(
    "key, value, what",
    [
        ("epochs", "40", "a whole number"),  # YAML "40" is a string
        ("max_train_contigs", True, "a whole number"),  # a bool is no count
        ("deterministic", 1, "true or false"),
        ("kmer_transform", 3, "a word"),
        ("shared_widths", 512, "a list"),
    ],
)
def test_a_setting_of_the_wrong_type_is_a_clear_error(tmp_path, key, value, what):
    (tmp_path / "c.yaml").write_text(f"{key}: {json.dumps(value)}\n")
    with pytest.raises(KmervaeError, match=f"{key} must be {what}, got"):
        VAEConfig.from_file(tmp_path / "c.yaml")
    # numbers where a float is wanted, and the defaults themselves, pass
    assert VAEConfig.from_dict({"learning_rate": 1}).learning_rate == 1
    assert VAEConfig.from_dict(VAEConfig().to_dict()) == VAEConfig()


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"epochs": 3, "loss": "group_balanced", "beta": 0.5, "reduce_lr": False},
        {
            "encoder_widths": [[4096, 2048], [64, 32], [16, 8]],
            "shared_widths": [1024, 512],
            "hierarchical_latent": True,
            "latent_dim": 128,
            "kmer_transform": "none",
        },
    ],
)
def test_workflow_options_round_trip_through_the_parser(settings):
    """The workflow turns its config into `kmervae train` options; nothing is lost."""
    import argparse

    from kmervae.commands.options import command_options
    from kmervae.commands.train import add_arguments, config_from_args
    from kmervae.vae.config import VAEConfig

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    options = command_options(VAEConfig, settings)
    args = parser.parse_args(["--features", "x.npy", "--outdir", "o", *options])
    assert config_from_args(args) == VAEConfig.from_dict(settings)


def test_workflow_options_reject_unknown_keys():
    from kmervae.commands.options import command_options
    from kmervae.errors import KmervaeError

    with pytest.raises(KmervaeError, match="epoch"):
        command_options(VAEConfig, {"epoch": 3})


def test_a_training_budget_trains_on_its_share_with_the_views_command_s_sequences(
    demo_with_views, tmp_path
):
    import json

    from kmervae.features.views import write_view_sequences

    features, _ = demo_with_views
    d = features.parent
    cfg = _tiny(contrastive_weight=1.0, views_per_contig=2, max_train_contigs=120, epochs=1)
    # what the view_sequences job stores for a budget of 120 contigs of one sample
    lengths = MatrixSource([features]).lengths(0)
    rows = training_subset(lengths, 120, cfg.length_weight_cap, cfg.seed)
    write_view_sequences(d / "demo200.fa", d / "f.contigs.tsv", tmp_path / "v.npy", rows)
    result = train([features], tmp_path / "m", cfg, views=[tmp_path / "v.npy"], plots=False)
    record = json.loads((result.outdir / "provenance.json").read_text())
    assert record["n_contigs"] == 200
    assert record["n_train"] + record["n_val"] == 120


# --------------------------------------------------------------------------- cannot-links
def _write_index(path: Path, names: list[str]) -> Path:
    from kmervae.features.matrix import INDEX_HEADER

    path.write_text(INDEX_HEADER + "".join(f"{n}\t1000\n" for n in names))
    return path


def _write_marker_table(path: Path, hits: list[tuple[str, str]]) -> Path:
    from kmervae.markers.quality import set_header
    from kmervae.markers.search import HITS_HEADER

    rows = "".join(f"{c}\t{c}_1\t{m}\t50.0\tbacteria_71\t1.000\n" for c, m in hits)
    path.write_text(set_header([("bacteria_71", 71)]) + HITS_HEADER + rows)
    return path


def test_cannot_link_groups_come_from_the_marker_tables_of_the_allowed_rows(matrices, tmp_path):
    from kmervae.vae.data import CannotLinks

    source = MatrixSource(matrices)  # 250 + 150 rows
    index = [
        _write_index(tmp_path / "a.tsv", [f"a{i}" for i in range(250)]),
        _write_index(tmp_path / "b.tsv", [f"b{i}" for i in range(150)]),
    ]
    tables = [
        _write_marker_table(
            tmp_path / "ma.tsv", [("a3", "M1"), ("a10", "M1"), ("a20", "M1"), ("a5", "M2")]
        ),
        # b9 carries M3 twice: one contig, no pair
        _write_marker_table(
            tmp_path / "mb.tsv",
            [("b1", "M1"), ("b2", "M2"), ("b7", "M2"), ("b9", "M3"), ("b9", "M3")],
        ),
    ]
    allowed = np.setdiff1d(np.arange(400), [10])  # a10 is, say, a validation contig
    links = CannotLinks.from_marker_tables(tables, index, source, allowed, seed=3)
    assert [g.tolist() for g in links.groups] == [[3, 20, 251], [5, 252, 257]]
    assert links.n_pairs == 6
    rows, labels = links.draw(0, 0)  # fewer groups and carriers than a draw takes: all
    assert sorted(rows.tolist()) == rows.tolist() == [3, 5, 20, 251, 252, 257]
    assert {frozenset(rows[labels == k].tolist()) for k in set(labels.tolist())} == {
        frozenset({3, 20, 251}),
        frozenset({5, 252, 257}),
    }
    # a batch without views: its rows, then the draw's rows and labels
    batches = make_batches(source, allowed, 64, shuffle=True, seed=3, drop_remainder=True,
                           links=links)  # fmt: skip
    batches.set_epoch(2)
    ((rows_of_batch, link_x, link_groups),) = batches[1]
    draw_rows, draw_labels = links.draw(2, 1)
    assert len(rows_of_batch) == 64
    np.testing.assert_array_equal(link_x, source.read(draw_rows))
    np.testing.assert_array_equal(link_groups, draw_labels)
    # a table naming a contig its matrix does not hold
    bad = _write_marker_table(tmp_path / "bad.tsv", [("a3", "M1"), ("nowhere", "M1")])
    with pytest.raises(InputError, match=r"bad\.tsv.*nowhere.*contig not in"):
        CannotLinks.from_marker_tables([bad, tables[1]], index, source, allowed, seed=3)
    with pytest.raises(InputError, match="1 marker tables for 2 feature matrices"):
        CannotLinks.from_marker_tables(tables[:1], index, source, allowed, seed=3)
    source.close()


def test_a_cannot_link_draw_depends_only_on_seed_epoch_and_index():
    from kmervae.vae.data import CANNOT_LINK_GROUP_SIZE, CANNOT_LINK_GROUPS, CannotLinks

    groups = [np.arange(100 * g, 100 * g + 20) for g in range(12)]
    links = CannotLinks(groups, seed=5)
    rows, labels = links.draw(2, 7)
    assert len(rows) == CANNOT_LINK_GROUPS * CANNOT_LINK_GROUP_SIZE
    assert (np.diff(rows) >= 0).all()
    for k in set(labels.tolist()):
        members = rows[labels == k]
        assert len(set((members // 100).tolist())) == 1  # one marker's contigs
        assert len(set(members.tolist())) == len(members) == CANNOT_LINK_GROUP_SIZE
    again = CannotLinks(groups, seed=5).draw(2, 7)
    np.testing.assert_array_equal(rows, again[0])
    np.testing.assert_array_equal(labels, again[1])
    assert not np.array_equal(rows, links.draw(2, 8)[0])
    assert not np.array_equal(rows, links.draw(3, 7)[0])


@pytest.mark.slow
def _cosine_within_fives(model, features: Path, groups) -> float:
    """Mean cosine similarity of the embeddings of two contigs of one group ``g``, the
    rows ``5 g`` to ``5 g + 4`` of ``features`` (the hand-made groups of the cannot-link
    and self-training tests)."""
    from kmervae.binning.clustering import normalize

    z = normalize(z_mean(model, np.load(features)))
    sims = [z[i] @ z[j] for g in groups for i in range(5 * g, 5 * g + 5)
            for j in range(i + 1, 5 * g + 5)]  # fmt: skip
    return float(np.mean(sims))


def test_cannot_link_training_pushes_contigs_of_one_marker_apart(demo_with_views, tmp_path):

    features, views = demo_with_views
    names = [line.split("\t")[0] for line in (features.parent / "f.contigs.tsv").open()][1:]
    # ten "markers", each on a run of five contigs (a hand-made table: the test is what
    # the term does to the contigs it links, not whether they are truly of one genome)
    hits = [(names[i], f"M{i // 5}") for i in range(0, 50)]
    table = _write_marker_table(tmp_path / "m.tsv", hits)
    base = dict(contrastive_weight=10.0, views_per_contig=2, epochs=6, kl_warmup_epochs=0)
    # views of 30-80 %, the setting this margin was measured with: the test is about the
    # cannot-link term, so it keeps its own view lengths whatever the default
    base.update(batch_size=32, val_fraction=0.0, view_min_fraction=0.3, view_max_fraction=0.8)
    index = features.parent / "f.contigs.tsv"

    def linked_cosine(model) -> float:
        return _cosine_within_fives(model, features, range(10))

    with pytest.raises(KmervaeError, match="needs the marker tables"):
        train([features], tmp_path / "x", _tiny(**base, cannot_link_weight=1.0), views=[views])
    plain = train([features], tmp_path / "p", _tiny(**base), views=[views], plots=False)
    cfg = _tiny(**base, cannot_link_weight=50.0)
    links = {"views": [views], "markers": [table], "indexes": [index], "plots": False}
    runs = [train([features], tmp_path / n, cfg, **links) for n in "ab"]
    for x, y in zip(_weights(runs[0].model), _weights(runs[1].model), strict=True):
        np.testing.assert_array_equal(x, y)
    assert linked_cosine(runs[0].model) < linked_cosine(plain.model) - 0.1
    assert all(np.isfinite(row["cannot_link"]) for row in runs[0].history)
    record = json.loads((runs[0].outdir / "provenance.json").read_text())
    assert record["cannot_link_pairs"] == 10 * 10
    assert record["marker_tables"] == [str(table.resolve())]
    assert "cannot_link" in read_history(runs[0].outdir / "history.tsv")[0]


# --------------------------------------------------------------------------- self-training
def _write_bins(path: Path, bins: list[tuple[str, str]], quality: dict[str, str]) -> tuple:
    """A clusters table (bin, contig) and a bin summary with the quality of each bin."""
    path.with_suffix(".tsv").write_text(
        "clustername\tcontigname\n" + "".join(f"{b}\t{c}\n" for b, c in bins)
    )
    summary = path.with_suffix(".summary.tsv")
    summary.write_text(
        "bin\tcontigs\tbp\tgc\tn50\twritten\tcompleteness\tcontamination\tquality\tmarker_set\n"
        + "".join(f"{b}\t1\t1\t0.5\t1\tno\t1\t1\t{q}\tbacteria_71\n" for b, q in quality.items())
    )
    return path.with_suffix(".tsv"), summary


def test_partners_are_training_contigs_of_the_bin_drawn_by_seed_epoch_and_batch():
    from kmervae.vae.data import BinPartners

    group_of_row = np.array([0, 0, 0, 1, 1, -1, 2, 0, 1, 2])
    training = np.array([0, 1, 2, 3, 4, 5, 6, 8])  # rows 7 and 9 validate: never partners
    rows = np.arange(10)
    members = {g: set(training[group_of_row[training] == g].tolist()) for g in (0, 1, 2)}
    half = BinPartners(group_of_row, training, 0.5, seed=3)
    assert half.n_groups == 2 and half.n_contigs == 6  # bin 2 has one training contig
    swapped = 0
    for epoch, idx in itertools.product(range(20), range(5)):
        got = half.draw(rows, epoch, idx)
        np.testing.assert_array_equal(got, half.draw(rows, epoch, idx))
        for row, partner in zip(rows.tolist(), got.tolist(), strict=True):
            if group_of_row[row] < 0 or row in (7, 9):  # no bin, or not a training contig
                assert partner == row
            else:
                assert partner in members[group_of_row[row]]
            swapped += partner != row
    # 6 contigs of 10 have a bin of 3 training contigs: each moves to another with 0.5 * 2 / 3
    assert 0.15 < swapped / (100 * 10) < 0.25
    np.testing.assert_array_equal(
        BinPartners(group_of_row, training, 0.0, 3).draw(rows, 0, 0), rows
    )
    every = BinPartners(group_of_row, training, 1.0, 3)
    draws = np.stack([every.draw(rows, e, 0) for e in range(200)])
    assert set(draws[:, 0].tolist()) == members[0]  # every member of bin 0, itself included
    assert set(draws[:, 3].tolist()) == members[1]


def test_partners_come_from_bins_of_high_or_medium_quality(tmp_path):
    from kmervae.commands.train import partner_bins
    from kmervae.vae.data import BinPartners

    write_synthetic_matrix(tmp_path / "a.npy", 6, n_genomes=2, seed=1)
    write_synthetic_matrix(tmp_path / "b.npy", 4, n_genomes=2, seed=2)
    source = MatrixSource([tmp_path / "a.npy", tmp_path / "b.npy"])
    names = [[f"a{i}" for i in range(6)], [f"b{i}" for i in range(4)]]
    indexes = [
        _write_index(tmp_path / f"{s}.contigs.tsv", n) for s, n in zip("ab", names, strict=True)
    ]
    a = _write_bins(
        tmp_path / "a",
        [("x", "a0"), ("x", "a1"), ("y", "a2"), ("y", "a3"), ("z", "a4"), ("z", "a5")],
        {"x": "high", "y": "low", "z": "medium"},
    )
    b = _write_bins(tmp_path / "b", [("x", "b0"), ("x", "b1"), ("w", "b2"), ("w", "b3")],
                    {"x": "medium", "w": "high"})  # fmt: skip
    groups = partner_bins([a[0], b[0]], [a[1], b[1]], indexes)
    # good bins numbered by name within each sample; y is of low quality
    assert [g.tolist() for g in groups] == [[0, 0, -1, -1, 1, 1], [1, 1, 0, 0]]
    partners = BinPartners.from_groups(groups, source, np.arange(10), 0.5, seed=1)
    # bins of one sample are not those of another, though they share a name
    np.testing.assert_array_equal(partners.group_of_row, [0, 0, -1, -1, 1, 1, 3, 3, 2, 2])
    with pytest.raises(KmervaeError, match=r"1 clusters tables .* 2 bin summaries"):
        partner_bins([a[0]], [a[1], b[1]], indexes)
    with pytest.raises(KmervaeError, match="bins of 1 samples for 2 feature matrices"):
        BinPartners.from_groups(groups[:1], source, np.arange(10), 0.5, seed=1)


@pytest.mark.slow
def test_self_training_pulls_the_contigs_of_a_bin_together(demo_with_views, tmp_path):
    from kmervae.commands.train import partner_bins

    features, views = demo_with_views
    index = features.parent / "f.contigs.tsv"
    names = [line.split("\t")[0] for line in index.open()][1:]
    # ten hand-made bins of five contigs each (the test is what the term does to the
    # contigs of a bin, not whether the bins are right); one of low quality
    bins = [(f"bin{i // 5}", names[i]) for i in range(50)]
    bins += [("rest", n) for n in names[50:]]
    quality = {f"bin{g}": "high" for g in range(10)} | {"bin9": "low", "rest": "low"}
    table, summary = _write_bins(tmp_path / "bins", bins, quality)
    base = dict(contrastive_weight=50.0, views_per_contig=2, epochs=6, kl_warmup_epochs=0,
                batch_size=32, val_fraction=0.0)  # fmt: skip

    def bin_cosine(model, groups) -> float:
        return _cosine_within_fives(model, features, groups)

    with pytest.raises(KmervaeError, match="needs the bins of an earlier round"):
        train([features], tmp_path / "x", _tiny(**base, partner_share=0.5), views=[views])
    plain = train([features], tmp_path / "p", _tiny(**base), views=[views], plots=False)
    cfg = _tiny(**base, partner_share=1.0)
    given = {"views": [views], "bin_groups": partner_bins([table], [summary], [index]),
             "bin_tables": [table, summary], "plots": False}  # fmt: skip
    runs = [train([features], tmp_path / n, cfg, **given) for n in "ab"]
    for x, y in zip(_weights(runs[0].model), _weights(runs[1].model), strict=True):
        np.testing.assert_array_equal(x, y)
    assert bin_cosine(runs[0].model, range(9)) > bin_cosine(plain.model, range(9)) + 0.1
    # the bin of low quality gave no partners: its contigs are not pulled together
    assert bin_cosine(runs[0].model, [9]) < bin_cosine(runs[0].model, range(9)) - 0.1
    record = json.loads((runs[0].outdir / "provenance.json").read_text())
    assert record["partner_bins"] == [str(table.resolve()), str(summary.resolve())]
