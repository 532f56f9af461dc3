"""Scatter/gather: a sample split into chunks gives the same matrix as the whole file."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_sequence, write_fasta
from kmer_reference import parse_fasta

from kmervae.errors import InputError
from kmervae.features.matrix import featurize
from kmervae.features.scatter import gather_features, split_fasta


@pytest.fixture
def sample(tmp_path, rng):
    records = []
    for i in range(25):
        length = rng.choice([300, 1200, 3000, 9000, 700_000 if i == 7 else 2000])
        records.append((f"c{i} description", random_sequence(rng, length, "ACGT" * 30 + "NRY")))
    return write_fasta(tmp_path / "s.fna.gz", records)


def _count_chunk(chunk, prefix):
    """A chunk as the workflow's count_kmers job counts it."""
    index = prefix.with_name(f"{prefix.name}.contigs.tsv")
    matrix = prefix.with_name(f"{prefix.name}.npy")
    featurize(chunk, matrix, index, min_length=1000, allow_empty=True)
    return matrix, index


@pytest.mark.parametrize("n_chunks", [1, 3, 40])
def test_gathered_matrix_is_identical_to_the_whole(tmp_path, sample, n_chunks):
    featurize(sample, tmp_path / "whole.npy", tmp_path / "whole.tsv", min_length=1000)
    chunks = [tmp_path / f"{i}.fa" for i in range(n_chunks)]
    sizes = split_fasta(sample, chunks)
    records = parse_fasta(sample)
    assert sum(sizes) == sum(len(s) for _, s in records)
    # records stay whole, in order, across the chunks
    names = [n for c in chunks for n, _ in parse_fasta(c)]
    assert names == [n for n, _ in records]
    parts = [_count_chunk(c, tmp_path / f"part{i}") for i, c in enumerate(chunks)]
    gather_features(
        [m for m, _ in parts], [i for _, i in parts], tmp_path / "g.npy", tmp_path / "g.tsv"
    )
    assert (tmp_path / "g.npy").read_bytes() == (tmp_path / "whole.npy").read_bytes()
    assert (tmp_path / "g.tsv").read_bytes() == (tmp_path / "whole.tsv").read_bytes()


def test_chunks_are_balanced_by_bp(tmp_path, rng):
    records = [(f"c{i}", random_sequence(rng, 1000)) for i in range(100)]
    path = write_fasta(tmp_path / "even.fa", records)
    sizes = split_fasta(path, [tmp_path / f"{i}.fa" for i in range(4)])
    assert sizes == [25_000] * 4


def test_gather_refuses_a_contig_in_two_chunks(tmp_path, rng):
    seq = random_sequence(rng, 2000)
    a = write_fasta(tmp_path / "a.fa", [("x", seq), ("y", seq)])
    b = write_fasta(tmp_path / "b.fa", [("y", seq)])
    parts = [_count_chunk(a, tmp_path / "a"), _count_chunk(b, tmp_path / "b")]
    with pytest.raises(InputError, match=r"record 'y': duplicate contig name"):
        gather_features(
            [m for m, _ in parts], [i for _, i in parts], tmp_path / "g.npy", tmp_path / "g.tsv"
        )
    assert not (tmp_path / "g.npy").exists() and not (tmp_path / "g.tsv").exists()


def test_gather_of_only_short_contigs_is_an_error(tmp_path, rng):
    path = write_fasta(tmp_path / "short.fa", [("x", random_sequence(rng, 500))])
    matrix, index = _count_chunk(path, tmp_path / "p")
    assert np.load(matrix).shape == (0, 8362)
    with pytest.raises(InputError, match="no contig in any chunk"):
        gather_features([matrix], [index], tmp_path / "g.npy", tmp_path / "g.tsv")
