"""Training: streaming reader, split, outputs, determinism, resume, loss going down."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse
import gzip
import itertools
import json
from pathlib import Path

import keras
import numpy as np
import pytest
from vae_testdata import synthetic_features, write_synthetic_matrix

from kmervae.errors import InputError, KmervaeError
from kmervae.features.layout import N_FEATURES
from kmervae.vae.config import VAEConfig
from kmervae.vae.data import MatrixSource, RunningMoments, split_rows
from kmervae.vae.model import embed, load_vae
from kmervae.vae.training import kl_weight_at, read_history, train

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
    np.testing.assert_array_equal(
        embed(loaded, matrices[1]), embed(reference_run.model, matrices[1])
    )


@pytest.mark.slow
def test_architecture_png_or_clear_skip(reference_run, tmp_path, monkeypatch, caplog):
    import shutil

    from kmervae.vae import training

    if shutil.which("dot"):
        assert (reference_run.outdir / "architecture.png").stat().st_size > 0
    monkeypatch.setattr(training.shutil, "which", lambda name: None)
    assert not training.plot_architecture(reference_run.model, tmp_path / "a.png")
    assert not (tmp_path / "a.png").exists()
    assert "graphviz 'dot' not found" in caplog.text


@pytest.mark.slow
def test_same_seed_gives_identical_weights(reference_run, matrices, tmp_path):
    again = train(matrices, tmp_path / "again", TINY, plots=False)
    for a, b in zip(_weights(reference_run.model), _weights(again.model), strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(embed(reference_run.model, matrices[0]), embed(again.model, matrices[0]))


class Interrupt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            raise KeyboardInterrupt("killed")


@pytest.mark.slow
def test_killed_run_resumes_from_checkpoint(reference_run, matrices, tmp_path):
    out = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        train(matrices, out, TINY, extra_callbacks=[Interrupt()], plots=False)
    assert not (out / "vae.keras").exists()
    assert [r["epoch"] for r in read_history(out / "history.tsv")] == [1, 2]
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["epoch"] == 2
    # a different configuration must not silently continue the checkpoint
    with pytest.raises(KmervaeError, match="different configuration"):
        train(matrices, out, _tiny(beta=1.0), plots=False)
    result = train(matrices, out, TINY, plots=False)
    assert result.initial_epoch == 2
    assert [r["epoch"] for r in read_history(out / "history.tsv")] == [1, 2, 3, 4]
    assert not (out / "checkpoint").exists()
    # optimizer, BN, sampling seed and data order all restored: same as uninterrupted
    for a, b in zip(_weights(reference_run.model), _weights(result.model), strict=True):
        assert np.array_equal(a, b)


def _markov_genome(rng, length, gc):
    """A random sequence from a genome-specific 2nd-order Markov chain."""
    base_p = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    trans = rng.dirichlet(base_p * 20, size=16)
    seq = np.empty(length, dtype=np.int8)
    seq[:2] = rng.integers(0, 4, 2)
    u = rng.random(length)
    cum = np.cumsum(trans, axis=1)
    for i in range(2, length):
        seq[i] = np.searchsorted(cum[seq[i - 2] * 4 + seq[i - 1]], u[i])
    return "".join(np.array(list("ACGT"))[np.minimum(seq, 3)])


def _real_features(tmp_path) -> Path:
    """Features counted by kmervae.features.matrix: from the demo data, else simulated genomes."""
    from kmervae.features.matrix import featurize

    fasta = DEMO
    if not DEMO.exists():
        rng = np.random.default_rng(11)
        fasta = tmp_path / "sim.fna.gz"
        with gzip.open(fasta, "wt") as f:
            for g, gc in enumerate((0.35, 0.5, 0.65)):
                genome = _markov_genome(rng, 120_000, gc)
                pos, i = 0, 0
                while pos + 1000 <= len(genome):
                    n = int(rng.integers(1000, 4000))
                    f.write(f">g{g}_c{i}\n{genome[pos : pos + n]}\n")
                    pos, i = pos + n, i + 1
    featurize(fasta, tmp_path / "real.npy", tmp_path / "real.tsv")
    return tmp_path / "real.npy"


@pytest.mark.slow
def test_training_lowers_the_loss_on_real_features(tmp_path):
    matrix = _real_features(tmp_path)
    cfg = _tiny(epochs=6, kl_warmup_epochs=0, val_fraction=0.2, batch_size=32)
    history = train([matrix], tmp_path / "out", cfg, plots=False).history
    first, last = history[0], history[-1]
    assert last["loss"] < first["loss"]
    assert last["val_reconstruction"] < first["val_reconstruction"]


@pytest.fixture(scope="module")
def demo_with_views(tmp_path_factory):
    """Features of the first 200 demo contigs and 3 substring views of each."""
    from conftest import write_fasta

    from kmervae.features.fasta import iter_fasta_records
    from kmervae.features.matrix import featurize
    from kmervae.features.views import ViewSpec, count_views

    d = tmp_path_factory.mktemp("views")
    fasta = write_fasta(
        d / "demo200.fa",
        [
            (r.name, r.bases().decode("latin-1"))
            for r in itertools.islice(iter_fasta_records(DEMO), 200)
        ],
    )
    featurize(fasta, d / "f.npy", d / "f.contigs.tsv")
    spec = ViewSpec(views=3, seed=1)
    count_views(fasta, d / "f.contigs.tsv", d / "v.npy", spec)
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
    z = normalize(embed(runs[0].model, np.load(features)))
    zv = normalize(embed(runs[0].model, np.load(views)[::3]))
    sims = zv @ z.T
    assert (np.argsort(-sims, axis=1)[:, :10] == np.arange(len(z))[:, None]).any(1).mean() > 0.5


def test_contrastive_training_needs_matching_views(demo_with_views, tmp_path):
    features, views = demo_with_views
    cfg = _tiny(contrastive_weight=1.0, views_per_contig=3)
    with pytest.raises(KmervaeError, match="needs the substring views"):
        train([features], tmp_path / "a", cfg)
    with pytest.raises(InputError, match="2 views matrices for 1 feature"):
        train([features], tmp_path / "b", cfg, views=[views, views])
    with pytest.raises(InputError, match="expected 4 views x 200 contigs"):
        train([features], tmp_path / "c", _tiny(contrastive_weight=1.0), views=[views])


def test_synthetic_generator_is_realistic():
    x, labels = synthetic_features(40, n_genomes=3, seed=0)
    assert x.shape == (40, N_FEATURES) and x.dtype == np.float32
    from kmervae.features.layout import LAYOUT

    for k in (7, 4, 3):
        np.testing.assert_allclose(x[:, LAYOUT.kmer_slice(k)].sum(1), 1, rtol=1e-5)
    assert ((x[:, LAYOUT.gc_column] > 0) & (x[:, LAYOUT.gc_column] < 1)).all()
    assert (x[:, 0] >= 1000).all() and set(labels) <= {0, 1, 2}


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


def test_cli_rejects_unknown_config_key(tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps({"latent_size": 3}))
    with pytest.raises(KmervaeError, match="latent_size"):
        VAEConfig.from_file(tmp_path / "bad.json")


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

    from kmervae.commands.train import add_arguments, config_from_args, options_for
    from kmervae.vae.config import VAEConfig

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--features", "x.npy", "--outdir", "o", *options_for(settings)])
    assert config_from_args(args) == VAEConfig.from_dict(settings)


def test_workflow_options_reject_unknown_keys():
    from kmervae.commands.train import options_for
    from kmervae.errors import KmervaeError

    with pytest.raises(KmervaeError, match="epoch"):
        options_for({"epoch": 3})
