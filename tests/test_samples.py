"""Sample discovery from the input folder and the samples table."""

from __future__ import annotations

import pytest

from kmervae.errors import KmervaeError
from kmervae.samples import discover_samples, sample_name


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("a.fa", "a"),
        ("b.fasta.gz", "b"),
        ("c.d.fna", "c.d"),
        ("E.FNA.GZ", "E"),
        ("notes.txt", None),
        ("x.fa.bz2", None),
        (".fa", None),
    ],
)
def test_sample_name_from_file_name(tmp_path, file_name, expected):
    assert sample_name(tmp_path / file_name) == expected


def test_folder_and_table_are_merged_sorted(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("zeta.fa", "alpha.fna.gz", "README.md"):
        (folder / name).write_text(">x\nACGT\n")
    table = tmp_path / "samples.tsv"
    table.write_text("sample\tfasta\tlabels\nelsewhere\t/data/e.fa\t/data/e.labels.tsv\n")
    samples = discover_samples(folder, table)
    assert list(samples) == ["alpha", "elsewhere", "zeta"]
    assert samples["alpha"].fasta == folder / "alpha.fna.gz"
    assert str(samples["elsewhere"].labels) == "/data/e.labels.tsv"
    assert samples["zeta"].labels is None


def test_two_files_one_name_is_an_error(tmp_path):
    (tmp_path / "s1.fa").write_text(">x\nA\n")
    (tmp_path / "s1.fna.gz").write_text(">x\nA\n")
    with pytest.raises(KmervaeError, match="two files map to sample 's1'"):
        discover_samples(tmp_path)


def test_table_name_clashing_with_folder_is_an_error(tmp_path):
    (tmp_path / "s1.fa").write_text(">x\nA\n")
    table = tmp_path / "t.tsv"
    table.write_text("sample\tfasta\ns1\tother.fa\n")
    with pytest.raises(KmervaeError, match="two files map to sample 's1'"):
        discover_samples(tmp_path, table)


def test_no_samples_is_empty_and_a_missing_folder_an_error(tmp_path):
    assert discover_samples(tmp_path) == {}
    assert discover_samples(None, None) == {}
    with pytest.raises(KmervaeError, match="does not exist"):
        discover_samples(tmp_path / "nope")


def test_bad_sample_names_are_rejected(tmp_path):
    table = tmp_path / "t.tsv"
    table.write_text("sample\tfasta\nbad name\tx.fa\n")
    with pytest.raises(KmervaeError, match="sample name"):
        discover_samples(None, table)
    table.write_text("name\tpath\nx\tx.fa\n")
    with pytest.raises(KmervaeError, match="header"):
        discover_samples(None, table)


def _samples(*names):
    from kmervae.samples import Sample

    return {n: Sample(n, f"{n}.fa") for n in names}


def test_training_samples_default_to_all_then_stick_to_the_trained_model(tmp_path):
    import json

    from kmervae.samples import choose_training_samples

    provenance = tmp_path / "model" / "provenance.json"
    assert choose_training_samples(_samples("a", "b"), None, provenance) == ["a", "b"]
    provenance.parent.mkdir()
    provenance.write_text(json.dumps({"training_samples": [{"path": "/x/results/features/a.npy"}]}))
    # a new sample "c" does not change the training set of the existing model
    assert choose_training_samples(_samples("a", "b", "c"), None, provenance) == ["a"]
    # configured samples win
    assert choose_training_samples(_samples("a", "b", "c"), ["b", "c"], provenance) == [
        "b",
        "c",
    ]
    with pytest.raises(KmervaeError, match="unknown samples"):
        choose_training_samples(_samples("a"), ["zzz"], provenance)
    with pytest.raises(KmervaeError, match="no longer inputs"):
        choose_training_samples(_samples("b"), None, provenance)


def test_name_pattern_matches_exactly_the_names_with_dots_literal():
    import re

    from kmervae.samples import name_pattern

    pattern = name_pattern(["c.d", "e-1", "f_2"])
    for name in ("c.d", "e-1", "f_2"):
        assert re.fullmatch(pattern, name)
    # unescaped, the '.' of "c.d" would match any character
    for other in ("cXd", "c_d", "cd", "c.d.e"):
        assert not re.fullmatch(pattern, other), other
    # as Snakemake uses it: the sample is the whole name before the file suffix
    path = re.compile(rf"results/features/(?P<sample>{pattern})\.npy")
    match = path.fullmatch("results/features/c.d.npy")
    assert match and match["sample"] == "c.d"
