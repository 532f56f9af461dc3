"""Embedding with a saved model: values, streaming output, and refusing wrong models."""

from __future__ import annotations

import gzip
import json
import os
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest
from conftest import random_sequence, run_kmervae, write_fasta
from vae_testdata import z_mean

from kmervae.errors import InputError
from kmervae.features.matrix import featurize
from kmervae.vae.config import VAEConfig
from kmervae.vae.embedding import embed_matrix
from kmervae.vae.model import build_vae, load_vae

TINY = VAEConfig(
    encoder_widths=((16, 8), (8, 4), (4, 4)), shared_widths=(16,), latent_dim=5, seed=4
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    import random

    rng = random.Random(7)
    tmp = tmp_path_factory.mktemp("embed")
    records = [(f"c{i}", random_sequence(rng, rng.randint(1000, 4000))) for i in range(37)]
    fasta = write_fasta(tmp / "s.fa", records)
    featurize(fasta, tmp / "s.npy", tmp / "s.contigs.tsv")
    model = build_vae(TINY)
    keras.saving.save_model(model, tmp / "vae.keras")
    return tmp


def test_embedding_rows_equal_the_encoder_on_the_whole_matrix(sample, tmp_path):
    n = embed_matrix(
        sample / "vae.keras",
        sample / "s.npy",
        sample / "s.contigs.tsv",
        tmp_path / "e.npy",
        tmp_path / "e.tsv.gz",
        batch_size=8,  # several batches, the last one short
    )
    z = np.load(tmp_path / "e.npy")
    assert n == 37 and z.shape == (37, 5) and z.dtype == np.float32
    expected = z_mean(load_vae(sample / "vae.keras"), np.load(sample / "s.npy"))
    np.testing.assert_allclose(z, expected, rtol=1e-6, atol=1e-6)
    with gzip.open(tmp_path / "e.tsv.gz", "rt") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        rows = [line.rstrip("\n").split("\t") for line in handle]
    assert header == ["contig", "z0", "z1", "z2", "z3", "z4"]
    index = (sample / "s.contigs.tsv").read_text().splitlines()[1:]
    assert [r[0] for r in rows] == [line.split("\t")[0] for line in index]
    np.testing.assert_allclose(np.array([r[1:] for r in rows], dtype=float), z, rtol=1e-6)
    # the documented text: 7 significant digits of each float32 coordinate
    assert [r[1:] for r in rows] == [[f"{v:.7g}" for v in row] for row in z.tolist()]


def test_embedding_twice_gives_identical_files(sample, tmp_path):
    for name in ("a", "b"):
        assert (
            run_kmervae(
                "embed",
                sample / "vae.keras",
                sample / "s.npy",
                "--index",
                sample / "s.contigs.tsv",
                "-o",
                tmp_path / f"{name}.npy",
                "--tsv",
                tmp_path / f"{name}.tsv.gz",
            ).returncode
            == 0
        )
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()
    assert (tmp_path / "a.tsv.gz").read_bytes() == (tmp_path / "b.tsv.gz").read_bytes()


def _rewrite_config(src, dst, change):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                change(config["config"])
                data = json.dumps(config).encode()
            zout.writestr(item, data)


def test_model_of_another_feature_layout_is_refused(sample, tmp_path):
    def older_layout(config):
        config["layout"]["layout_version"] = 0
        config["layout"]["n_features"] = 8000

    _rewrite_config(sample / "vae.keras", tmp_path / "old.keras", older_layout)
    with pytest.raises(InputError, match="another feature layout"):
        load_vae(tmp_path / "old.keras")
    result = run_kmervae(
        "embed",
        tmp_path / "old.keras",
        sample / "s.npy",
        "--index",
        sample / "s.contigs.tsv",
        "-o",
        tmp_path / "e.npy",
    )
    assert result.returncode == 2
    assert "another feature layout" in result.stderr and "version 0" in result.stderr
    assert not (tmp_path / "e.npy").exists()


def test_not_a_model_and_mismatched_inputs_are_clear_errors(sample, tmp_path):
    (tmp_path / "junk.keras").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="cannot be loaded as a kmervae model"):
        load_vae(tmp_path / "junk.keras")
    with pytest.raises(InputError, match="no such model"):
        load_vae(tmp_path / "missing.keras")
    short_index = tmp_path / "short.tsv"
    lines = (sample / "s.contigs.tsv").read_text().splitlines()
    short_index.write_text("\n".join(lines[:-3]) + "\n")
    with pytest.raises(InputError, match=r"lists 34 contigs but .* has 37 rows"):
        embed_matrix(sample / "vae.keras", sample / "s.npy", short_index, tmp_path / "e.npy")
    assert not list(tmp_path.glob("*e.npy*"))
