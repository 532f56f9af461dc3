"""Bin FASTA files, the bin summary, the CAMI binning and atomic outputs of
``kmervae cluster``."""

from __future__ import annotations

import argparse
import gzip
import random

import numpy as np
import pytest
from Bio import SeqIO
from conftest import random_sequence, write_fasta

from kmervae.binning.bins import gc_content, iter_fasta_records, n50
from kmervae.binning.clustering import UNBINNED
from kmervae.commands import cluster as cluster_command
from kmervae.errors import InputError, KmervaeError


def run_cluster(argv):
    parser = argparse.ArgumentParser()
    cluster_command.add_arguments(parser)
    return cluster_command.run(parser.parse_args([str(a) for a in argv]))


@pytest.fixture
def sample(tmp_path):
    """Three 'genomes' of 12, 12 and 6 contigs; an embedding that separates them; a FASTA
    with one extra short contig that is not in the index; genome C is small (6 kbp)."""
    rng = random.Random(7)
    nrng = np.random.default_rng(7)
    records, names, lengths, genome = [], [], [], []
    for g, (n, lo, hi) in {
        "A": (12, 1500, 4000),
        "B": (12, 1500, 4000),
        "C": (6, 1000, 1000),
    }.items():
        for i in range(n):
            seq = random_sequence(rng, rng.randint(lo, hi), "ACGTacgtN" if g == "B" else "ACGT")
            records.append((f"{g}_{i} some description", seq))
            names.append(f"{g}_{i}")
            lengths.append(len(seq))
            genome.append(g)
    order = nrng.permutation(len(records))
    records = [records[i] for i in order]
    names = [names[i] for i in order]
    lengths = [lengths[i] for i in order]
    genome = np.array([genome[i] for i in order])
    fasta_records = [*records[:5], ("short_one", "ACGT" * 10), *records[5:]]
    fasta = write_fasta(tmp_path / "sample.fna.gz", fasta_records, width=60)
    (tmp_path / "idx.tsv").write_text(
        "contig\tlength\n" + "".join(f"{n}\t{x}\n" for n, x in zip(names, lengths, strict=True))
    )
    centres = np.eye(3, 16, dtype=np.float32) * 4
    z = centres[np.searchsorted(["A", "B", "C"], genome)] + 0.1 * nrng.normal(size=(len(names), 16))
    np.save(tmp_path / "emb.npy", z.astype(np.float32))
    return {
        "dir": tmp_path,
        "fasta": fasta,
        "names": names,
        "lengths": dict(zip(names, lengths, strict=True)),
        "genome": dict(zip(names, genome, strict=True)),
        "args": [tmp_path / "emb.npy", "--index", tmp_path / "idx.tsv", "--fasta", fasta],
    }


def outputs(d):
    return ["--clusters", d / "out" / "c.tsv", "--summary", d / "out" / "s.tsv",
            "--bins-dir", d / "out" / "bins", "--cami", d / "out" / "c.binning"]  # fmt: skip


def independent_parse(path):
    with gzip.open(path, "rt") if str(path).endswith(".gz") else open(path) as handle:
        return {r.id: (r.description, str(r.seq)) for r in SeqIO.parse(handle, "fasta")}


@pytest.mark.parametrize("compress", [True, False])
def test_bins_hold_every_contig_once_unchanged(sample, compress):
    d = sample["dir"]
    argv = [*sample["args"], *outputs(d), "--algorithm", "kmeans", "--k", "3", "--sample", "S"]
    files_option = [] if compress else ["--no-compress-bins"]  # gzipped by default
    suffix = ".fna.gz" if compress else ".fna"
    assert run_cluster([*argv, "--min-bin-size", "10000", *files_option]) == 0
    clusters = [line.split("\t") for line in (d / "out" / "c.tsv").read_text().splitlines()[1:]]
    bin_of = {c: b for b, c in clusters}
    assert sorted(bin_of) == sorted(sample["names"])
    original = independent_parse(sample["fasta"])
    files = sorted((d / "out" / "bins").iterdir())
    # genome C (6 x 1000 bp) is below --min-bin-size: two files, for A and B
    assert [f.name for f in files] == [f"S_bin0001{suffix}", f"S_bin0002{suffix}"]
    seen = []
    for f in files:
        assert (f.read_bytes()[:2] == b"\x1f\x8b") == compress  # gzip's magic number
        for name, (description, seq) in independent_parse(f).items():
            seen.append(name)
            assert bin_of[name] == f.name.removesuffix(suffix)
            assert (description, seq) == original[name]  # header and bases unchanged
    expected = [c for c, b in bin_of.items() if b in ("S_bin0001", "S_bin0002")]
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen)) == 24
    # bins are pure (one genome each)
    for f in files:
        assert len({sample["genome"][n] for n in independent_parse(f)}) == 1


def test_bin_records_are_byte_identical(sample):
    d = sample["dir"]
    run_cluster([*sample["args"], *outputs(d), "--algorithm", "kmeans", "--k", "3"])
    raw = {r.name: r for r in iter_fasta_records(sample["fasta"])}
    for f in (d / "out" / "bins").iterdir():
        for record in iter_fasta_records(f):
            assert record.header == raw[record.name].header
            assert record.sequence == raw[record.name].sequence


def test_gzipped_bins_are_the_same_bytes_on_every_run_and_however_often_reopened(
    sample, monkeypatch
):
    from kmervae.binning import bins

    d = sample["dir"]
    argv = [*sample["args"], *outputs(d), "--algorithm", "kmeans", "--k", "3"]
    run_cluster([*argv, "--min-bin-size", "1"])
    first = {f.name: f.read_bytes() for f in (d / "out" / "bins").iterdir()}
    run_cluster([*argv, "--min-bin-size", "1"])
    assert {f.name: f.read_bytes() for f in (d / "out" / "bins").iterdir()} == first
    # one file open at a time: every record reopens its bin and adds a gzip member
    init = bins.AtomicDirectory.__init__
    monkeypatch.setattr(bins.AtomicDirectory, "__init__",
                        lambda self, path, compress: init(self, path, 1, compress))  # fmt: skip
    run_cluster([*argv, "--min-bin-size", "1"])
    for f in (d / "out" / "bins").iterdir():
        assert gzip.decompress(f.read_bytes()) == gzip.decompress(first[f.name])


def test_summary_table(sample):
    d = sample["dir"]
    argv = [*sample["args"], *outputs(d), "--algorithm", "kmeans", "--k", "3"]
    run_cluster([*argv, "--min-bin-size", "10000", "--sample", "S"])
    lines = (d / "out" / "s.tsv").read_text().splitlines()
    assert lines[0].split("\t") == ["bin", "contigs", "bp", "gc", "n50", "written"]
    rows = [dict(zip(lines[0].split("\t"), line.split("\t"), strict=True)) for line in lines[1:]]
    assert [r["bin"] for r in rows] == ["S_bin0001", "S_bin0002", "S_bin0003"]
    assert [r["written"] for r in rows] == ["yes", "yes", "no"]
    assert rows[2]["contigs"] == "6" and rows[2]["bp"] == "6000" and rows[2]["n50"] == "1000"
    bps = [int(r["bp"]) for r in rows]
    assert bps == sorted(bps, reverse=True)
    # GC from the sequences: bp-weighted mean of the contigs' GC
    original = independent_parse(sample["fasta"])
    clusters = [line.split("\t") for line in (d / "out" / "c.tsv").read_text().splitlines()[1:]]
    members = [c for b, c in clusters if b == "S_bin0003"]
    lens = np.array([sample["lengths"][c] for c in members])
    gcs = np.array([gc_content(original[c][1].encode()) for c in members])
    assert float(rows[2]["gc"]) == pytest.approx(np.average(gcs, weights=lens), abs=1e-4)


def test_default_min_bin_size_writes_no_small_bins(sample):
    d = sample["dir"]
    run_cluster([*sample["args"], *outputs(d), "--algorithm", "kmeans", "--k", "3"])
    # every bin is < 200,000 bp: an empty bins folder, all bins in the summary
    assert list((d / "out" / "bins").iterdir()) == []
    assert (d / "out" / "s.tsv").read_text().count("\tno\n") == 3


def test_failure_leaves_no_outputs(sample, tmp_path):
    d = sample["dir"]
    # a FASTA lacking one contig of the index: the bins cannot be complete
    records = [(r.name, r.bases().decode()) for r in iter_fasta_records(sample["fasta"])]
    partial = write_fasta(tmp_path / "partial.fna", records[1:])
    argv = [d / "emb.npy", "--index", d / "idx.tsv", "--fasta", partial, *outputs(d)]
    with pytest.raises(InputError, match="not in this FASTA"):
        run_cluster([*argv, "--algorithm", "kmeans", "--k", "3", "--min-bin-size", "1"])
    assert not (d / "out" / "bins").exists()
    assert not (d / "out" / "s.tsv").exists()
    assert not (d / "out" / "c.tsv").exists()
    assert not (d / "out" / "c.binning").exists()
    assert [p.name for p in (d / "out").iterdir()] == []  # no temporary leftovers


def test_rerun_replaces_old_bins(sample):
    d = sample["dir"]
    (d / "out" / "bins").mkdir(parents=True)
    (d / "out" / "bins" / "stale.fna.gz").write_text(">x\nACGT\n")
    run_cluster([*sample["args"], *outputs(d), "--algorithm", "kmeans", "--k", "3",
                 "--min-bin-size", "1"])  # fmt: skip
    names = sorted(p.name for p in (d / "out" / "bins").iterdir())
    assert "stale.fna.gz" not in names and len(names) == 3
    assert sorted(p.name for p in (d / "out").iterdir()) == ["bins", "c.binning", "c.tsv", "s.tsv"]


def test_bins_dir_needs_fasta(sample):
    d = sample["dir"]
    with pytest.raises(KmervaeError, match="--fasta"):
        run_cluster([d / "emb.npy", "--index", d / "idx.tsv", *outputs(d)])


def test_default_algorithm_end_to_end(sample):
    d = sample["dir"]
    run_cluster([*sample["args"], *outputs(d), "--min-cluster-size", "5", "--min-bin-size", "1"])
    clusters = [line.split("\t") for line in (d / "out" / "c.tsv").read_text().splitlines()[1:]]
    binned = [(b, c) for b, c in clusters if b != UNBINNED]
    assert len(binned) >= 27
    for b in {b for b, _ in binned}:
        assert len({sample["genome"][c] for bb, c in binned if bb == b}) == 1


def test_iter_fasta_records_raw(tmp_path):
    path = tmp_path / "x.fa"
    path.write_bytes(b"\xef\xbb\xbf\n>a desc\r\nACGT\r\nAC\r\n>b\nNNNN\n\nGG")
    records = list(iter_fasta_records(path))
    assert [r.name for r in records] == ["a", "b"]
    assert records[0].header == b">a desc\r\n" and records[0].sequence == b"ACGT\r\nAC\r\n"
    assert records[1].sequence == b"NNNN\n\nGG" and records[1].bases() == b"NNNNGG"
    (tmp_path / "bad.fa").write_text("hello\n>a\nAC\n")
    with pytest.raises(InputError, match="expected '>'"):
        list(iter_fasta_records(tmp_path / "bad.fa"))


def test_n50_and_gc():
    # sorted 50, 30, 20 (total 100): 50 reaches half -> N50 = 50
    assert n50([20, 50, 30]) == 50
    # sorted 30, 30, 20, 20 (total 100): 30 + 30 = 60 >= 50 -> 30
    assert n50([20, 30, 20, 30]) == 30
    assert n50([]) == 0
    assert gc_content(b"GGCCAATT") == 0.5
    assert gc_content(b"gcNN\nat") == 0.5
    assert gc_content(b"NNN") == 0.0


def test_summary_gc_comes_from_the_fasta_else_from_the_feature_matrix(sample):
    from kmervae.errors import InputError
    from kmervae.features.layout import LAYOUT

    d = sample["dir"]
    names = sample["names"]
    # a feature matrix whose GC column (0.85-0.95) is far from the random sequences' GC
    # (about 0.5): it shows which of the two the summary used
    matrix = np.zeros((len(names), LAYOUT.n_features), dtype=np.float32)
    matrix[:, LAYOUT.gc_column] = np.linspace(0.85, 0.95, len(names), dtype=np.float32)
    np.save(d / "features.npy", matrix)
    cluster = ["--algorithm", "kmeans", "--k", "3", "--min-bin-size", "10000", "--sample", "S"]
    out = ["--clusters", d / "out" / "c.tsv", "--summary", d / "out" / "s.tsv"]

    def gc_of_bins():
        lines = (d / "out" / "s.tsv").read_text().splitlines()
        rows = [dict(zip(lines[0].split("\t"), x.split("\t"), strict=True)) for x in lines[1:]]
        clusters = [x.split("\t") for x in (d / "out" / "c.tsv").read_text().splitlines()[1:]]
        members = {r["bin"]: [c for b, c in clusters if b == r["bin"]] for r in rows}
        return {r["bin"]: float(r["gc"]) for r in rows}, members

    original = independent_parse(sample["fasta"])
    row = {n: i for i, n in enumerate(names)}
    # with --fasta (as the workflow runs it): the sequences' GC, counted here by hand
    run_cluster([*sample["args"], *out, "--features", d / "features.npy", *cluster])
    gc, members = gc_of_bins()
    for b, contigs in members.items():
        seqs = [original[c][1].upper() for c in contigs]
        acgt = [sum(s.count(x) for x in "ACGT") for s in seqs]
        per_contig = [(s.count("G") + s.count("C")) / n for s, n in zip(seqs, acgt, strict=True)]
        lens = [sample["lengths"][c] for c in contigs]
        assert gc[b] == pytest.approx(np.average(per_contig, weights=lens), abs=1e-4)
        assert gc[b] < 0.7
    # without --fasta: the matrix's GC column, bp-weighted
    run_cluster([sample["args"][0], "--index", d / "idx.tsv", *out,
                 "--features", d / "features.npy", *cluster])  # fmt: skip
    gc, members = gc_of_bins()
    for b, contigs in members.items():
        column = [matrix[row[c], LAYOUT.gc_column] for c in contigs]
        lens = [sample["lengths"][c] for c in contigs]
        assert gc[b] == pytest.approx(np.average(column, weights=lens), abs=1e-4)
    # a matrix of other contigs is an error naming it, with --fasta too
    np.save(d / "other.npy", matrix[:-1])
    with pytest.raises(InputError, match=r"other\.npy"):
        run_cluster([*sample["args"], *out, "--features", d / "other.npy", *cluster])
