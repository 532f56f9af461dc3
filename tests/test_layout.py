"""The 8,362-column layout, checked against an independent enumeration of canonical k-mers."""

from kmer_reference import reference_columns

from kmervae.features.layout import LAYOUT, canonical_column_lut, canonical_kmers


def test_group_sizes_and_total():
    assert [len(canonical_kmers(k)) for k in (7, 4, 3)] == [8192, 136, 32]
    assert LAYOUT.n_features == 1 + 8192 + 136 + 32 + 1 == 8362
    assert LAYOUT.n_target == 8361


def test_column_order_is_length_kmers_gc():
    names = LAYOUT.column_names
    assert len(names) == 8362
    assert names[0] == "length" and names[-1] == "gc"
    assert names[1] == "k7_AAAAAAA" and names[8192] == "k7_" + reference_columns(7)[-1]
    assert names[8193] == "k4_AAAA" and names[8329] == "k3_AAA"
    for k in (7, 4, 3):
        s = LAYOUT.kmer_slice(k)
        assert names[s] == [f"k{k}_{m}" for m in reference_columns(k)]
        t = LAYOUT.target_slice(k)
        assert (t.start, t.stop) == (s.start - 1, s.stop - 1)
    assert LAYOUT.target_gc_column == 8360


def test_canonical_lut_maps_kmer_and_reverse_complement_to_same_column():
    lut = canonical_column_lut(3)
    cols = reference_columns(3)
    code = {"A": 0, "C": 1, "G": 2, "T": 3}

    def index(kmer):
        v = 0
        for b in kmer:
            v = v * 4 + code[b]
        return v

    assert cols[lut[index("AAA")]] == "AAA"
    assert cols[lut[index("TTT")]] == "AAA"
    assert cols[lut[index("GGT")]] == "ACC"  # reverse complement of GGT is ACC
