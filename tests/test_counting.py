"""The NumPy counter against a brute-force pure-Python counter, byte for byte."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_sequence, write_fasta
from kmer_reference import count_vector, parse_fasta

from kmervae.features.kmers import CountRows
from kmervae.features.matrix import count_contigs

# Reader settings that move chunk and piece boundaries into awkward places, down to one
# record arriving in 5-byte pieces, so both counting paths (whole records and streamed
# long records) are exercised.
READER_SETTINGS = [
    {},
    {"chunk_size": 7, "max_piece": 5},
    {"chunk_size": 13, "max_piece": 1},
    {"chunk_size": 64, "max_piece": 100},
    {"chunk_size": 1000, "max_piece": 3000},
]

AWKWARD = "ACGT" * 10 + "acgt" * 3 + "N" * 2 + "RYKMSWBDHVnu-"


def _messy_records(rng, n=60):
    records = []
    for i in range(n):
        length = rng.choice([0, 1, 3, 4, 6, 7, 8, 13, 50, 300, 2000, 9000])
        seq = random_sequence(rng, length, AWKWARD)
        if length and rng.random() < 0.4:  # an N run in the middle
            cut = rng.randrange(length)
            seq = seq[:cut] + "N" * rng.randint(1, 12) + seq[cut:]
        records.append((f"r{i} some description {i}", seq))
    return records


def _all_rows(path, **options) -> CountRows:
    return CountRows.concatenate(list(count_contigs(path, 0, **options)))


def _assert_matches_reference(path, rows: CountRows):
    ref = parse_fasta(path)
    assert rows.names == [name for name, _ in ref]
    for i, (name, seq) in enumerate(ref):
        assert rows.lengths[i] == len(seq), name
        for k in (7, 4, 3):
            assert rows.kmers[k][i].tolist() == count_vector(seq, k), (name, k)
        upper = seq.upper()
        assert rows.bases[i].tolist() == [upper.count(b) for b in "ACGT"], name


@pytest.mark.parametrize("options", READER_SETTINGS)
def test_counts_equal_brute_force(tmp_path, rng, options):
    path = write_fasta(tmp_path / "messy.fa", _messy_records(rng), width=rng.choice([7, 60]))
    _assert_matches_reference(path, _all_rows(path, **options))


@pytest.mark.parametrize("width", [None, 1, 61, 80])
def test_line_width_and_gzip_do_not_matter(tmp_path, rng, width):
    records = _messy_records(rng, 20)
    plain = write_fasta(tmp_path / "a.fa", records, width=width)
    packed = write_fasta(tmp_path / "a.fa.gz", records, width=width)
    a, b = _all_rows(plain, chunk_size=97, max_piece=50), _all_rows(packed)
    _assert_matches_reference(plain, a)
    for k in (7, 4, 3):
        np.testing.assert_array_equal(a.kmers[k], b.kmers[k])


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_ends(tmp_path, rng, newline):
    records = _messy_records(rng, 15)
    unix = _all_rows(write_fasta(tmp_path / "u.fa", records))
    other = _all_rows(write_fasta(tmp_path / "o.fa", records, newline=newline), chunk_size=11)
    assert other.names == unix.names
    for k in (7, 4, 3):
        np.testing.assert_array_equal(other.kmers[k], unix.kmers[k])


def test_blank_lines_and_lower_case(tmp_path):
    path = tmp_path / "b.fa"
    path.write_text("\n\n>x desc\nacgtACGTNN\n\nacgtac\n\n>y\n\nGGGCCCAAAT\n")
    rows = _all_rows(path)
    assert rows.names == ["x", "y"]
    assert rows.lengths.tolist() == [16, 10]
    assert rows.kmers[3][0].tolist() == count_vector("ACGTACGTNNACGTAC", 3)
    assert rows.kmers[7][1].tolist() == count_vector("GGGCCCAAAT", 7)


def test_hand_counted_example():
    # ACGTT: 3-mers ACG (canonical ACG, its revcomp is CGT), CGT (-> ACG), GTT (-> AAC)
    from kmervae.features.fasta import SequencePiece
    from kmervae.features.kmers import KmerCounter
    from kmervae.features.layout import canonical_kmers

    (rows,) = KmerCounter().count([SequencePiece("x", bytes([0, 1, 2, 3, 3]), True, True)])
    cols = canonical_kmers(3)
    counts = dict(zip(cols, rows.kmers[3][0].tolist(), strict=True))
    assert counts["ACG"] == 2 and counts["AAC"] == 1 and sum(counts.values()) == 3
    assert rows.kmers[7].sum() == 0  # shorter than 7: no 7-mer window
    assert rows.bases[0].tolist() == [1, 1, 1, 2]
