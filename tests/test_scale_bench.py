"""The scale benchmark's parts that need no workflow run (bench/scale.py): the N-contig
sample builder, the reader of Snakemake's benchmark files and its table, the disk poller,
and the config it writes."""

from __future__ import annotations

import gzip
import itertools
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import scale  # noqa: E402

from kmervae.samples import samples_in_table  # noqa: E402

GENOME_BP = {"alpha": (120_000, 30_000), "beta": (90_000,), "gamma": (60_000, 500)}


@pytest.fixture(scope="module")
def genomes():
    """Three made-up genomes (records of random bases; gamma's second record is shorter
    than a contig), as ``{genome: {record: sequence}}``."""
    rng = random.Random(7)
    return {
        genome: {
            f"{genome}_r{i}": "".join(rng.choice("ACGT") for _ in range(length))
            for i, length in enumerate(lengths)
        }
        for genome, lengths in GENOME_BP.items()
    }


def read_fasta(path: Path) -> dict[str, str]:
    records, name = {}, None
    with gzip.open(path, "rt") as handle:
        for line in handle:
            line = line.strip()
            if line.startswith(">"):
                name = line[1:]
                records[name] = ""
            else:
                records[name] += line
    return records


def read_labels(path: Path) -> list[dict[str, str]]:
    lines = path.read_text().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def test_sample_has_n_contigs_cut_from_their_labelled_genome(genomes, tmp_path):
    table = scale.write_sample(genomes, 250, seed=5, out=tmp_path / "input")
    [sample] = samples_in_table(table)  # the reader the workflow uses
    assert sample.name == "scale"
    fasta = read_fasta(tmp_path / sample.fasta)
    labels = read_labels(tmp_path / sample.labels)
    assert len(fasta) == len(labels) == 250
    assert [row["contig"] for row in labels] == list(fasta)
    for row in labels:
        seq = fasta[row["contig"]]
        start, end = int(row["start"]), int(row["end"])
        assert seq == genomes[row["genome"]][row["record"]][start:end]
        assert len(seq) >= 1000
    # 250 contigs is more than one cut of the 300 kbp: genomes are cut again as new copies
    copies = Counter(row["contig"].split("_")[0] for row in labels)
    assert len(copies) >= 2
    assert {row["genome"] for row in labels} == set(GENOME_BP)


def test_contigs_of_a_copy_tile_their_genome_without_overlap(genomes):
    pieces = scale.cut_copies(genomes, 1_000, seed=5)
    by_record: dict[tuple, list] = {}
    for p in pieces:
        by_record.setdefault((p.name.split("_")[0], p.genome, p.record), []).append(p)
    for (_, genome, record), parts in by_record.items():
        parts.sort(key=lambda p: p.start)
        assert all(a.end <= b.start for a, b in itertools.pairwise(parts))
        assert parts[-1].end <= len(genomes[genome][record])
    assert not any(record == "gamma_r1" for _, _, record in by_record)  # 500 bp: no contig
    assert len({p.name for p in pieces}) == len(pieces) == 1_000


def test_the_last_copy_is_a_subset_so_every_genome_keeps_its_share(genomes):
    two_copies = scale.cut_copies(genomes, 300, seed=5)
    assert any(p.name.startswith("c1_") for p in two_copies)
    full = [p for p in two_copies if p.name.startswith("c0_")]
    pieces = scale.cut_copies(genomes, len(full) // 2, seed=5)
    assert {p.name for p in pieces} < {p.name for p in full}  # copy 0 is cut the same
    shares = Counter(p.genome for p in pieces)
    whole = Counter(p.genome for p in full)
    for genome in GENOME_BP:
        assert shares[genome] == pytest.approx(whole[genome] / 2, rel=0.5)


def test_same_seed_same_files_other_seed_other_cuts(genomes, tmp_path):
    first = scale.write_sample(genomes, 120, seed=5, out=tmp_path / "a" / "input")
    again = scale.write_sample(genomes, 120, seed=5, out=tmp_path / "b" / "input")
    other = scale.write_sample(genomes, 120, seed=6, out=tmp_path / "c" / "input")
    for name in ("scale.fna.gz", "scale.labels.tsv", "samples.tsv"):
        assert (first.parent / name).read_bytes() == (again.parent / name).read_bytes()

    def cuts(table):
        rows = read_labels(table.parent / "scale.labels.tsv")
        return {(row["record"], row["start"], row["end"]) for row in rows}

    assert len(cuts(first) & cuts(other)) < 0.2 * len(cuts(first))


def test_several_samples_split_the_n_contigs(genomes, tmp_path):
    table = scale.write_sample(genomes, 101, seed=5, out=tmp_path / "input", n_samples=4)
    samples = samples_in_table(table)
    assert [s.name for s in samples] == ["scale_1", "scale_2", "scale_3", "scale_4"]
    names = []
    for sample in samples:
        fasta = read_fasta(tmp_path / sample.fasta)
        assert [r["contig"] for r in read_labels(tmp_path / sample.labels)] == list(fasta)
        assert len(fasta) in (25, 26)
        names.extend(fasta)
    assert len(names) == len(set(names)) == 101
    # the split is of the same contigs one sample would hold
    single = scale.write_sample(genomes, 101, seed=5, out=tmp_path / "one" / "input")
    assert set(names) == set(read_fasta(single.parent / "scale.fna.gz"))


def test_two_digit_sample_names_sort_in_order():
    names = scale.sample_names(12)
    assert names[0] == "scale_01" and names[-1] == "scale_12"
    assert sorted(names) == names


def write_benchmark(path: Path, rows: list[tuple[str, str]]) -> None:
    """A benchmark file as Snakemake writes it: (s, max_rss) per row, other columns
    filled."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    body = "".join(f"{s}\t0:00:00\t{rss}\t1\t1\t1\t0\t0\t0\t0\n" for s, rss in rows)
    path.write_text(header + body)


def test_benchmark_files_give_one_row_per_job_and_a_step_table(tmp_path):
    folder = tmp_path / "benchmarks"
    files = [
        ("count_kmers/a.tsv", [("10.5", "350.4")]),  # the larger RSS finished first
        ("count_kmers/b.tsv", [("4.5", "200.0")]),
        ("train_vae.tsv", [("100.0", "2048.0")]),
        ("cluster/a.tsv", [("0.4", "NA")]),  # ended before Snakemake's first sample
        ("embed/a.tsv", [("3.0", "500"), ("5.0", "700")]),  # a repeated benchmark
    ]
    for i, (name, rows) in enumerate(files):
        write_benchmark(folder / name, rows)
        os.utime(folder / name, (1000 + i, 1000 + i))  # the order the jobs finished
    # the logs mirror the benchmark files; a command logs its peak RSS at its end
    logs = tmp_path / "logs"
    (logs / "count_kmers").mkdir(parents=True)
    (logs / "count_kmers" / "a.log").write_text(
        "2026-11-29 INFO kmervae: count: peak RSS 412 MiB\n"
    )
    (logs / "train_vae.log").write_text(
        "INFO kmervae: train: peak RSS 1500 MiB\nINFO kmervae: train: peak RSS 2600 MiB\n"
    )
    jobs = scale.read_benchmarks(folder, logs)
    logged = {(j["step"], j["job"]): j["logged_rss_mib"] for j in jobs}
    assert logged[("count_kmers", "a")] == 412 and logged[("train_vae", "")] == 2600
    assert logged[("count_kmers", "b")] is None  # no log
    assert {(j["step"], j["job"], j["wall_s"], j["max_rss_mb"]) for j in jobs} == {
        ("count_kmers", "a", 10.5, 350.4),
        ("count_kmers", "b", 4.5, 200.0),
        ("train_vae", "", 100.0, 2048.0),
        ("cluster", "a", 0.4, None),
        ("embed", "a", 8.0, 700.0),
    }
    steps = scale.step_table(jobs)
    assert [(s["step"], s["jobs"], s["wall_s"], s["max_rss_mb"]) for s in steps] == [
        ("count_kmers", 2, 15.0, 350.4),
        ("train_vae", 1, 100.0, 2048.0),
        ("cluster", 1, 0.4, None),
        ("embed", 1, 8.0, 700.0),
    ]
    assert [s["logged_rss_mib"] for s in steps] == [412, 2600, None, None]
    assert scale.markdown_table(steps).splitlines() == [
        "| step | jobs | wall s total | longest job s | peak RSS MB (benchmark) "
        "| peak RSS MiB (logged) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        "| count_kmers | 2 | 15.0 | 10.5 | 350 | 412 |",
        "| train_vae | 1 | 100.0 | 100.0 | 2,048 | 2,600 |",
        "| cluster | 1 | 0.4 | 0.4 | NA | NA |",
        "| embed | 1 | 8.0 | 8.0 | 700 | NA |",
    ]


def test_a_file_that_is_no_benchmark_is_refused(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.tsv").write_text("contig\tgenome\nc1\tg\n")
    with pytest.raises(SystemExit, match=r"x\.tsv: not a Snakemake benchmark file"):
        scale.read_benchmarks(tmp_path / "b")


def du_bytes(folder: Path) -> int:
    done = subprocess.run(["du", "-s", "-B1", str(folder)], capture_output=True, text=True)
    return int(done.stdout.split()[0])


def test_disk_usage_counts_what_du_counts(tmp_path):
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "m.npy").write_bytes(os.urandom(300_000))
    (tmp_path / "views" / "deep").mkdir(parents=True)
    (tmp_path / "views" / "deep" / "v.npy").write_bytes(os.urandom(123_457))
    (tmp_path / "small.txt").write_text("x")
    total, parts = scale.disk_usage(tmp_path)
    assert total == du_bytes(tmp_path)
    assert set(parts) == {"features", "views", "small.txt"}
    assert parts["views"] == du_bytes(tmp_path / "views")
    assert scale.disk_usage(tmp_path / "missing") == (0, {})


def test_disk_poller_keeps_the_peak_of_files_since_deleted(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    with scale.DiskPoller(results, interval=0.01) as poller:
        (results / "views").mkdir()
        (results / "views" / "big.npy").write_bytes(os.urandom(2 * scale.MB))
        at_peak = du_bytes(results)
        deadline = time.monotonic() + 5
        while poller.peak_bytes < at_peak and time.monotonic() < deadline:
            time.sleep(0.01)
        (results / "views" / "big.npy").unlink()
        (results / "features.npy").write_bytes(os.urandom(scale.MB // 2))
    assert poller.peak_bytes == at_peak
    assert poller.peak_parts["views"] >= 2 * scale.MB
    assert poller.sample() == du_bytes(results) < at_peak  # the big file is gone


def test_config_overrides_nest_and_win_in_order(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("vae:\n  epochs: 5\n  batch_size: 64\nclustering: {neighbors: 15}\n")
    config = scale.workflow_config(
        "input/samples.tsv", extra, ["vae.epochs=1", "clustering.marker_guided=false", "x=null"]
    )
    assert config == {
        "input_dir": None,
        "samples": "input/samples.tsv",
        "vae": {"epochs": 1, "batch_size": 64},
        "clustering": {"neighbors": 15, "marker_guided": False},
        "x": None,
    }
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        scale.parse_override("vae.epochs")
