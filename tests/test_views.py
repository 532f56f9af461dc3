"""Substring views: spans, the stored sequences of the training contigs, views counted
from them against a brute-force counter, the training subsample, alignment checks."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_sequence, run_kmervae, write_fasta
from kmer_reference import count_vector, gc

import kmervae.features.views as views_module
from kmervae.errors import InputError, KmervaeError
from kmervae.features.layout import KMER_SIZES, LAYOUT
from kmervae.features.matrix import featurize, read_contig_index
from kmervae.features.views import (
    VIEW_MAX_CONTIG,
    ViewSpec,
    view_lengths,
    view_spans,
    write_view_sequences,
)
from kmervae.vae.data import MatrixSource, ViewSource, training_subset

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


def _views_of(d, sequences, subset, spec=SPEC):
    source = MatrixSource([d / "s.npy"])
    return ViewSource([sequences], source, spec, [np.asarray(subset)])


def test_views_equal_brute_force_counts_of_their_spans(sample, monkeypatch):
    fasta, seqs, d = sample
    # views longer than 700 bp reach the counter in pieces, like long records
    monkeypatch.setattr(views_module, "MAX_PIECE", 700)
    names = ["c0", "c2", "c3", "c4", "c5"]
    assert write_view_sequences(fasta, d / "s.contigs.tsv", d / "v.npy") == len(names)
    stored = np.load(d / "v.npy")
    assert stored.dtype == np.uint8 and stored.shape == (sum(len(seqs[n]) for n in names), 1)
    views = _views_of(d, d / "v.npy", range(len(names)))
    rows = np.repeat(np.arange(len(names)), SPEC.views)
    picks = np.tile(np.arange(SPEC.views), len(names))
    got = views.read(rows, picks)
    assert got.shape == (len(rows), LAYOUT.n_features) and got.dtype == np.float32
    for i, (row, j) in enumerate(zip(rows, picks, strict=True)):
        seq = seqs[names[row]]
        a, b = view_spans(len(seq), int(row), SPEC)[j]
        np.testing.assert_allclose(got[i], _reference_row(seq[a:b]), rtol=1e-6, atol=1e-7)


def test_a_subset_stores_only_its_contigs_and_views_only_for_them(sample):
    fasta, seqs, d = sample
    assert write_view_sequences(fasta, d / "s.contigs.tsv", d / "v.npy", rows=[1, 3]) == 2
    # rows 1 and 3 of the matrix: c2 and c4 (c1 is shorter than the minimum length)
    to_codes = bytes.maketrans(b"ACGT", bytes([0, 1, 2, 3]))
    assert np.load(d / "v.npy").tobytes() == (seqs["c2"] + seqs["c4"]).encode().translate(to_codes)
    views = _views_of(d, d / "v.npy", [1, 3])
    for row, name in ((1, "c2"), (3, "c4")):
        a, b = view_spans(len(seqs[name]), row, SPEC)[2]
        np.testing.assert_allclose(
            views.read(np.array([row]), np.array([2]))[0],
            _reference_row(seqs[name][a:b]),
            rtol=1e-6,
            atol=1e-7,
        )
    with pytest.raises(KmervaeError, match="has none"):
        views.read(np.array([2]), np.array([0]))
    # sequences of another subset do not pass for these: the base count differs
    with pytest.raises(InputError, match=r"expected .* of the 2 training contigs"):
        _views_of(d, d / "v.npy", [0, 3])


def test_fasta_that_does_not_match_the_index_is_an_error(sample):
    _, seqs, d = sample
    reordered = write_fasta(d / "r.fa", [("c2", seqs["c2"]), ("c0", seqs["c0"])])
    with pytest.raises(InputError, match=r"row 1 .* comes after 0") as err:
        write_view_sequences(reordered, d / "s.contigs.tsv", d / "v.npy")
    assert "c2" in str(err.value)
    shorter = write_fasta(d / "t.fa", [("c0", seqs["c0"][:-5])])
    with pytest.raises(InputError, match="1495 bp but 1500"):
        write_view_sequences(shorter, d / "s.contigs.tsv", d / "v.npy")
    missing = write_fasta(d / "m.fa", [("c0", seqs["c0"])])
    with pytest.raises(InputError, match=r"'c2' .* is not in this FASTA"):
        write_view_sequences(missing, d / "s.contigs.tsv", d / "v.npy")
    assert not list(d.glob("v.npy*")) and not list(d.glob(".v.npy*"))


def test_training_subset_is_all_below_the_budget_and_favours_long_contigs():
    lengths = np.array([1000] * 900 + [10_000] * 100)
    np.testing.assert_array_equal(training_subset(lengths, 0, 10_000, 1), np.arange(1000))
    np.testing.assert_array_equal(training_subset(lengths, 1000, 10_000, 1), np.arange(1000))
    rows = training_subset(lengths, 150, 10_000, 1)
    assert len(rows) == 150 and len(set(rows.tolist())) == 150
    assert (np.diff(rows) > 0).all()
    np.testing.assert_array_equal(rows, training_subset(lengths, 150, 10_000, 1))
    assert not np.array_equal(rows, training_subset(lengths, 150, 10_000, 2))
    # a long contig weighs 10 short ones: of the 100 long contigs, most are drawn (a
    # uniform draw would take 15), and far more than of the short ones per contig
    long_drawn = (rows >= 900).sum()
    assert 60 <= long_drawn <= 100
    # beyond the cap, length counts no more: equal weights, so about a uniform draw
    capped = training_subset(lengths, 150, 1000, 1)
    assert 5 <= (capped >= 900).sum() <= 30


def test_view_lengths_are_exact_up_to_the_float32_limit():
    lengths = np.array([1, 4097, VIEW_MAX_CONTIG - 1, VIEW_MAX_CONTIG, VIEW_MAX_CONTIG + 3])
    got = view_lengths(lengths.astype(np.float32))
    np.testing.assert_array_equal(got, np.minimum(lengths, VIEW_MAX_CONTIG))
    assert got.dtype == np.int64


def test_views_command_is_reproducible_and_stores_the_training_share(sample):
    fasta, seqs, d = sample
    for out in ("a.npy", "b.npy"):
        run_kmervae(
            "views", str(fasta), "--contigs", str(d / "s.contigs.tsv"), "-o", str(d / out),
            "--views-per-contig", "2", "--seed", "9", check=True,
        )  # fmt: skip
    assert (d / "a.npy").read_bytes() == (d / "b.npy").read_bytes()
    every = sum(len(seqs[n]) for n in ["c0", "c2", "c3", "c4", "c5"])
    assert np.load(d / "a.npy").shape == (every, 1)
    # a budget of 5 contigs over 2 training samples: 3 of this sample's 5
    run_kmervae(
        "views", str(fasta), "--contigs", str(d / "s.contigs.tsv"), "-o", str(d / "c.npy"),
        "--max-train-contigs", "5", "--training-samples", "2", "--seed", "9", check=True,
    )  # fmt: skip
    _, lengths = read_contig_index(d / "s.contigs.tsv")
    rows = training_subset(lengths, 3, 10_000, 9)
    assert len(rows) == 3
    assert np.load(d / "c.npy").shape == (int(lengths[rows].sum()), 1)
    bad = run_kmervae(
        "views", str(fasta), "--contigs", str(d / "s.contigs.tsv"), "-o", str(d / "e.npy"),
        "--view-min-fraction", "0.9", "--view-max-fraction", "0.5",
    )  # fmt: skip
    assert bad.returncode == 2 and "max_fraction" in bad.stderr
    assert not (d / "e.npy").exists()


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
