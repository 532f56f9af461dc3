"""Feature matrices: values, layout, file format, and agreement with outside tools."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import defaultdict
from importlib.metadata import version

import numpy as np
import pytest
from conftest import REPO, random_sequence, run_kmervae, write_fasta
from kmer_reference import count_vector, gc, parse_fasta, reference_columns

from kmervae.features.layout import LAYOUT
from kmervae.features.matrix import (
    count_contigs,
    featurize,
    read_contig_index,
)
from kmervae.npyio import NpyRowWriter

DEMO = REPO / "resources" / "demo" / "demo.fna.gz"


@pytest.fixture
def mixed_fasta(tmp_path, rng):
    records = []
    for i in range(40):
        length = rng.choice([500, 999, 1000, 1500, 4000, 12000])
        seq = random_sequence(rng, length, "ACGT" * 20 + "N")
        records.append((f"contig_{i}", seq))
    records.append(("all_n", "N" * 1200))
    return write_fasta(tmp_path / "mixed.fa", records)


def test_matrix_rows_are_reference_frequencies(tmp_path, mixed_fasta):
    matrix_path, index_path = tmp_path / "m.npy", tmp_path / "m.contigs.tsv"
    summary = featurize(mixed_fasta, matrix_path, index_path, min_length=1000)
    matrix = np.load(matrix_path, mmap_mode="r")
    assert matrix.dtype == np.float32 and matrix.shape[1] == 8362
    kept = [(n, s) for n, s in parse_fasta(mixed_fasta) if len(s) >= 1000]
    assert matrix.shape[0] == len(kept) == summary.kept
    names, lengths = read_contig_index(index_path)
    assert names == [n for n, _ in kept]
    assert lengths.tolist() == [len(s) for _, s in kept]
    assert "all_n" in summary.no_window
    for row, (_name, seq) in zip(matrix, kept, strict=True):
        assert row[0] == len(seq)
        assert row[-1] == pytest.approx(gc(seq), rel=1e-6)
        for k in (7, 4, 3):
            counts = np.array(count_vector(seq, k), dtype=float)
            expected = counts / counts.sum() if counts.sum() else counts
            got = row[LAYOUT.kmer_slice(k)]
            np.testing.assert_allclose(got, expected, rtol=2e-7, atol=1e-9)
            if counts.sum():
                assert got.sum() == pytest.approx(1.0, abs=1e-5)
            else:
                assert not got.any()  # no valid window: zeros


def test_filtered_contigs_are_counted_in_summary(tmp_path, mixed_fasta):
    summary = featurize(mixed_fasta, tmp_path / "m.npy", tmp_path / "i.tsv", min_length=1000)
    records = parse_fasta(mixed_fasta)
    short = [s for _, s in records if len(s) < 1000]
    assert summary.records == len(records)
    assert (summary.short, summary.short_bases) == (len(short), sum(map(len, short)))


def test_npy_writer_header_is_read_by_numpy(tmp_path):
    rows = np.arange(3 * 5, dtype=np.float32).reshape(3, 5)
    with NpyRowWriter(tmp_path / "x.npy", 5) as writer:
        writer.write(rows[:2])
        writer.write(rows[2:])
    loaded = np.load(tmp_path / "x.npy", mmap_mode="r")
    np.testing.assert_array_equal(loaded, rows)
    assert not list(tmp_path.glob(".partial.*"))


def test_gc_agrees_with_biopython(tmp_path, rng):
    from Bio.SeqUtils import gc_fraction

    records = [(f"s{i}", random_sequence(rng, rng.randint(1000, 5000))) for i in range(10)]
    records.append(("lower", random_sequence(rng, 2000).lower()))
    path = write_fasta(tmp_path / "g.fa", records)
    featurize(path, tmp_path / "g.npy", tmp_path / "g.tsv")
    matrix = np.load(tmp_path / "g.npy")
    for row, (_, seq) in zip(matrix, records, strict=True):
        assert row[LAYOUT.gc_column] == pytest.approx(gc_fraction(seq), abs=1e-7)


def _jellyfish_or_skip():
    exe = shutil.which("jellyfish")
    if exe is None:
        # .ci/run's cross-check step sets this once it has installed jellyfish
        if os.environ.get("KMERVAE_REQUIRE_JELLYFISH"):
            pytest.fail("jellyfish is required here (KMERVAE_REQUIRE_JELLYFISH is set)")
        pytest.skip("optional cross-check: jellyfish not installed (apt-get install jellyfish)")
    return exe


@pytest.mark.parametrize("k", [7, 4])
def test_summed_counts_agree_with_jellyfish(tmp_path, k):
    """Real genome contigs (the demo data): totals over all contigs equal `jellyfish -C`."""
    exe = _jellyfish_or_skip()
    if not DEMO.exists():
        pytest.skip("demo data not built")
    plain = tmp_path / "demo.fa"
    subprocess.run(f"gzip -dc {DEMO} > {plain}", shell=True, check=True)
    subprocess.run(
        [exe, "count", "-C", "-m", str(k), "-s", "10M", "-t", "1", "-o", tmp_path / "j", plain],
        check=True,
    )
    dump = subprocess.run(
        [exe, "dump", "-c", tmp_path / "j"], capture_output=True, text=True, check=True
    ).stdout
    expected = defaultdict(int)
    for line in dump.splitlines():
        kmer, count = line.split()
        expected[kmer] = int(count)
    totals = sum(rows.kmers[k].sum(axis=0) for rows in count_contigs(plain, 0))
    ours = dict(zip(reference_columns(k), totals.tolist(), strict=True))
    assert sum(ours.values()) > 1_000_000
    assert {m: c for m, c in ours.items() if c} == dict(expected)


def test_cli_features_writes_matrix_and_index(tmp_path, mixed_fasta):
    out = tmp_path / "out" / "s.npy"
    result = run_kmervae("features", mixed_fasta, "-o", out)
    assert result.returncode == 0, result.stderr
    assert np.load(out, mmap_mode="r").shape[1] == 8362
    assert (tmp_path / "out" / "s.contigs.tsv").read_text().startswith("contig\tlength\n")
    assert "kept" in result.stderr  # the summary is logged
    # the versions of the installed packages, with the default clustering's library
    for package in ("kmervae", "numpy", "igraph"):
        assert f"{package} {version(package)}" in result.stderr, package
    # and the command as typed, whatever Python path runs it
    assert f"command: kmervae features {mixed_fasta} -o {out}" in result.stderr
    # and, at the end, the process's peak memory (bench/scale.py reads it from the logs)
    peak = re.search(r"features: peak RSS (\d+) MiB", result.stderr)
    assert peak and 20 < int(peak[1]) < 4000


def test_peak_rss_is_the_high_water_mark():
    from kmervae.cli import peak_rss_mib

    before = peak_rss_mib()
    block = np.ones(300 * 2**20, dtype=np.uint8)  # 300 MiB, touched
    assert peak_rss_mib() >= 300
    del block
    assert peak_rss_mib() >= max(before, 300)  # a high-water mark does not fall


def _documented_options(command: str) -> set[str]:
    """The long options that `kmervae COMMAND --help` lists, --help aside."""
    result = run_kmervae(command, "--help")
    assert result.returncode == 0, result.stderr
    listed = re.findall(r"^  (?:-\w \w+, )?(--[\w-]+)", result.stdout, flags=re.M)
    return set(listed) - {"--help"}


def test_cli_features_accepts_every_documented_option(tmp_path, mixed_fasta):
    """The command accepts every option its --help lists, and they take effect."""
    features = ["--output", tmp_path / "one.npy", "--index", tmp_path / "one.tsv"]
    features += ["--min-length", 1200, "--allow-empty"]
    used = {arg for arg in features if str(arg).startswith("--")}
    assert used == _documented_options("features")
    assert run_kmervae("features", mixed_fasta, *features).returncode == 0
    one = np.load(tmp_path / "one.npy")
    assert len(one) and (one[:, 0] >= 1200).all()  # --min-length took effect
    names = [line.split("\t")[0] for line in (tmp_path / "one.tsv").read_text().splitlines()[1:]]
    expected = [n.split()[0] for n, s in parse_fasta(mixed_fasta) if len(s) >= 1200]
    assert names == expected


def test_cli_features_accepts_a_file_without_long_contigs_only_with_allow_empty(tmp_path):
    """The workflow counts a chunk of a split sample with --allow-empty: a chunk may hold
    no contig long enough, and gather checks the whole sample."""
    short = write_fasta(tmp_path / "short.fa", [("s", "ACGT" * 100)])
    args = ["--output", tmp_path / "m.npy", "--index", tmp_path / "m.tsv"]
    refused = run_kmervae("features", short, *args)
    assert refused.returncode != 0
    assert "short.fa: no contig of at least 1000 bp" in refused.stderr
    assert not (tmp_path / "m.npy").exists() and not (tmp_path / "m.tsv").exists()
    assert run_kmervae("features", short, *args, "--allow-empty").returncode == 0
    assert np.load(tmp_path / "m.npy").shape == (0, 8362)
    assert (tmp_path / "m.tsv").read_text() == "contig\tlength\n"


def test_matrix_reader_reads_rows_and_columns_like_numpy(tmp_path):
    from kmervae.errors import InputError
    from kmervae.npyio import MatrixReader

    rows = np.arange(7 * 3, dtype=np.float32).reshape(7, 3)
    np.save(tmp_path / "m.npy", rows)
    reader = MatrixReader(tmp_path / "m.npy")
    assert reader.shape == (7, 3) and len(reader) == 7
    np.testing.assert_array_equal(reader.read(2, 5), rows[2:5])
    np.testing.assert_array_equal(reader.read(5, 99), rows[5:])
    assert [start for start, _ in reader.batches(3)] == [0, 3, 6]
    np.testing.assert_array_equal(np.concatenate([b for _, b in reader.batches(3)]), rows)
    for j in range(3):
        np.testing.assert_array_equal(reader.column(j), rows[:, j])
    with pytest.raises(IndexError):
        reader.column(3)
    picked = np.array([6, 0, 3, 3])
    np.testing.assert_array_equal(reader[picked], rows[picked])
    assert reader[np.array([], dtype=np.int64)].shape == (0, 3)
    with pytest.raises(IndexError):
        reader[np.array([7])]
    with pytest.raises(TypeError):
        reader[2:5]
    data = (tmp_path / "m.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[:-10])
    with pytest.raises(InputError):
        MatrixReader(tmp_path / "cut.npy").read(0, 7)
    with pytest.raises(InputError):
        MatrixReader(tmp_path / "cut.npy").column(2)
