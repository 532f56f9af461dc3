"""Substring views: spans, counts against a brute-force counter, alignment checks."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_sequence, run_kmervae, write_fasta
from kmer_reference import count_vector, gc

import kmervae.features.views as views_module
from kmervae.errors import InputError
from kmervae.features.layout import KMER_SIZES, LAYOUT
from kmervae.features.matrix import featurize
from kmervae.features.views import ViewSpec, count_views, view_spans

SPEC = ViewSpec(views=3, min_fraction=0.3, max_fraction=0.8, min_length=1000, seed=5)


def _reference_row(seq: str) -> np.ndarray:
    """The feature row of ``seq`` by brute force."""
    row = np.zeros(LAYOUT.n_features)
    row[LAYOUT.length_column] = len(seq)
    for k in KMER_SIZES:
        counts = np.array(count_vector(seq, k), dtype=float)
        row[LAYOUT.kmer_slice(k)] = counts / max(counts.sum(), 1)
    row[LAYOUT.gc_column] = gc(seq)
    return row


@pytest.fixture
def sample(tmp_path, rng):
    # one contig shorter than the minimum length: in the FASTA, not in the index
    lengths = [1500, 800, 4000, 1000, 2600, 9000]
    records = [(f"c{i}", random_sequence(rng, n)) for i, n in enumerate(lengths)]
    fasta = write_fasta(tmp_path / "s.fa", records, width=70)
    featurize(fasta, tmp_path / "s.npy", tmp_path / "s.contigs.tsv", min_length=1000)
    return fasta, dict(records), tmp_path


def test_spans_follow_the_spec():
    for length in (1000, 1200, 3000, 50_000):
        for row in range(20):
            spans = view_spans(length, row, SPEC)
            assert len(spans) == SPEC.views
            assert spans == view_spans(length, row, SPEC)  # seeded: the same every time
            for start, stop in spans:
                assert 0 <= start < stop <= length
                size = stop - start
                assert size >= min(length, SPEC.min_length)
                if length * SPEC.min_fraction >= SPEC.min_length:
                    assert length * SPEC.min_fraction - 1 <= size <= length * SPEC.max_fraction + 1
    # different rows and seeds draw different spans
    assert view_spans(50_000, 1, SPEC) != view_spans(50_000, 2, SPEC)
    other = ViewSpec(**{**SPEC.__dict__, "seed": 6})
    assert view_spans(50_000, 1, SPEC) != view_spans(50_000, 1, other)


def test_views_equal_brute_force_counts_of_their_spans(sample, monkeypatch):
    fasta, seqs, d = sample
    # views longer than 700 bp reach the counter in pieces, like long records
    monkeypatch.setattr(views_module, "MAX_PIECE", 700)
    n = count_views(fasta, d / "s.contigs.tsv", d / "v.npy", SPEC, batch_contigs=2)
    names = ["c0", "c2", "c3", "c4", "c5"]
    assert n == len(names)
    v = np.load(d / "v.npy")
    assert v.shape == (len(names) * SPEC.views, LAYOUT.n_features)
    for row, name in enumerate(names):
        seq = seqs[name]
        for j, (a, b) in enumerate(view_spans(len(seq), row, SPEC)):
            np.testing.assert_allclose(
                v[row * SPEC.views + j], _reference_row(seq[a:b]), rtol=1e-6, atol=1e-7
            )


def test_fasta_that_does_not_match_the_index_is_an_error(sample):
    _, seqs, d = sample
    reordered = write_fasta(d / "r.fa", [("c2", seqs["c2"]), ("c0", seqs["c0"])])
    with pytest.raises(InputError, match=r"row 1 .* comes after 0") as err:
        count_views(reordered, d / "s.contigs.tsv", d / "v.npy", SPEC)
    assert "c2" in str(err.value)
    shorter = write_fasta(d / "t.fa", [("c0", seqs["c0"][:-5])])
    with pytest.raises(InputError, match="1495 bp but 1500"):
        count_views(shorter, d / "s.contigs.tsv", d / "v.npy", SPEC)
    missing = write_fasta(d / "m.fa", [("c0", seqs["c0"])])
    with pytest.raises(InputError, match=r"'c2' .* is not in this FASTA"):
        count_views(missing, d / "s.contigs.tsv", d / "v.npy", SPEC)
    assert not list(d.glob("v.npy*")) and not list(d.glob(".v.npy*"))


def test_views_command_is_reproducible(sample):
    fasta, _, d = sample
    for out in ("a.npy", "b.npy"):
        run_kmervae(
            "views", str(fasta), "--contigs", str(d / "s.contigs.tsv"), "-o", str(d / out),
            "--views-per-contig", "2", "--seed", "9", check=True,
        )  # fmt: skip
    assert (d / "a.npy").read_bytes() == (d / "b.npy").read_bytes()
    assert np.load(d / "a.npy").shape == (10, LAYOUT.n_features)
    bad = run_kmervae(
        "views", str(fasta), "--contigs", str(d / "s.contigs.tsv"), "-o", str(d / "c.npy"),
        "--view-min-fraction", "0.9", "--view-max-fraction", "0.5",
    )  # fmt: skip
    assert bad.returncode == 2 and "max_fraction" in bad.stderr
    assert not (d / "c.npy").exists()


def test_workflow_view_options_round_trip_through_the_parser():
    import argparse

    from kmervae.commands import views as cmd
    from kmervae.commands.options import command_options, settings_from_args
    from kmervae.vae.config import VIEW_SETTINGS, VAEConfig

    settings = VAEConfig(views_per_contig=6, view_min_fraction=0.4, view_min_length=500, seed=3)
    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    options = command_options(VAEConfig, settings, VIEW_SETTINGS)
    args = parser.parse_args(["x.fa", "--contigs", "c.tsv", "-o", "v.npy", *options])
    parsed = VAEConfig.from_dict(settings_from_args(VAEConfig, args, VIEW_SETTINGS))
    assert parsed.view_spec() == settings.view_spec()
    assert settings.view_spec() != VAEConfig().view_spec()  # the options carried something
