"""Bad input: a clear message naming file, record and problem; exit 2; nothing left behind."""

from __future__ import annotations

import gzip

import pytest
from conftest import random_sequence, run_kmervae, write_fasta

GOOD = random_sequence(__import__("random").Random(1), 3000)


def _make(tmp_path, kind: str):
    path = tmp_path / f"{kind}.fa"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "blank":
        path.write_text("\n\n  \n")
    elif kind == "short_only":
        write_fasta(path, [("a", GOOD[:500]), ("b", GOOD[:999])])
    elif kind == "fastq":
        path.write_text("@read1\nACGT\n+\nIIII\n")
    elif kind == "binary":
        path.write_bytes(bytes(range(256)) * 4)
    elif kind == "text":
        path.write_text("hello, this is not a FASTA file\n")
    elif kind == "truncated_gz":
        path = tmp_path / "truncated.fa.gz"
        data = gzip.compress((">a\n" + GOOD * 20 + "\n").encode())
        path.write_bytes(data[: len(data) // 2])
    elif kind == "corrupt_gz":
        path = tmp_path / "corrupt.fa.gz"
        data = bytearray(gzip.compress((">a\n" + GOOD * 20 + "\n").encode()))
        data[30:60] = b"\xff" * 30
        path.write_bytes(bytes(data))
    elif kind == "duplicate":
        write_fasta(path, [("ctg1 first", GOOD), ("ctg2", GOOD), ("ctg1 again", GOOD)])
    elif kind == "bad_character":
        write_fasta(path, [("ok", GOOD), ("broken", GOOD[:1500] + "ACGTX" + GOOD[1500:])])
    elif kind == "digits":
        path.write_text(">gb\n1 acgtacgtac\n")
    elif kind == "missing":
        path = tmp_path / "does_not_exist.fa"
    elif kind == "empty_name":
        path.write_text(">\nACGT\n")
    return path


CASES = {
    "empty": ["empty"],
    "blank": ["empty"],
    "short_only": ["no contig of at least 1000 bp", "2 records"],
    "fastq": ["FASTQ"],
    "binary": ["binary"],
    "text": ["not FASTA", "hello"],
    "truncated_gz": ["truncated or corrupt gzip"],
    "corrupt_gz": ["truncated or corrupt gzip"],
    "duplicate": ["duplicate contig name", "'ctg1'"],
    "bad_character": ["record 'broken'", "character 'X' is not IUPAC DNA"],
    "digits": ["record 'gb'", "character '1'"],
    "missing": ["no such file"],
    "empty_name": ["empty name"],
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_bad_input_fails_cleanly(tmp_path, kind):
    path = _make(tmp_path, kind)
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / "out"
    # two outputs: neither may be left behind, partial or whole
    args = ["features", path, "-o", out / "x.npy", "--index", out / "x.tsv"]
    result = run_kmervae(*args)
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith(f"kmervae features: error: file {path}")
    for expected in CASES[kind]:
        assert expected in message
    assert "Traceback" not in result.stderr
    # nothing written, partial files included, and the input untouched
    assert not out.exists() or not any(out.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir() if p != out) == before


def test_input_file_is_not_modified(tmp_path):
    path = write_fasta(tmp_path / "ok.fa", [("a", GOOD)])
    data = path.read_bytes()
    assert run_kmervae("features", path, "-o", tmp_path / "x.npy").returncode == 0
    assert path.read_bytes() == data


def test_failure_keeps_previous_output(tmp_path):
    """A failed rerun leaves the last good matrix in place, not a broken one."""
    good = write_fasta(tmp_path / "ok.fa", [("a", GOOD)])
    out = tmp_path / "x.npy"
    assert run_kmervae("features", good, "-o", out).returncode == 0
    previous = out.read_bytes()
    bad = _make(tmp_path, "bad_character")
    assert run_kmervae("features", bad, "-o", out).returncode == 2
    assert out.read_bytes() == previous


def test_late_failure_replaces_neither_matrix_nor_index(tmp_path, monkeypatch):
    """Outputs are renamed only once all are complete: a failure while completing the
    matrix leaves the old matrix *and* the old index, and no partial files."""
    from kmervae import npyio
    from kmervae.features.matrix import featurize

    out, index = tmp_path / "x.npy", tmp_path / "x.tsv"
    featurize(write_fasta(tmp_path / "one.fa", [("old", GOOD)]), out, index)
    before = out.read_bytes(), index.read_bytes()
    real_header = npyio._header

    def failing_header(shape, dtype):
        if shape[0] > 0:  # the final header, written when the matrix is completed
            raise OSError(28, "No space left on device")
        return real_header(shape, dtype)

    monkeypatch.setattr(npyio, "_header", failing_header)
    two = write_fasta(tmp_path / "two.fa", [("new1", GOOD), ("new2", GOOD)])
    with pytest.raises(OSError):
        featurize(two, out, index)
    assert (out.read_bytes(), index.read_bytes()) == before
    assert not list(tmp_path.glob(".partial.*"))


def test_same_path_for_two_outputs_is_refused(tmp_path):
    path = write_fasta(tmp_path / "ok.fa", [("a", GOOD)])
    result = run_kmervae("features", path, "-o", tmp_path / "x.npy", "--index", tmp_path / "x.npy")
    assert result.returncode == 2
    assert "same path" in result.stderr
    assert not (tmp_path / "x.npy").exists()


def test_fasta_from_a_pipe(tmp_path):
    """Process substitution / named pipes: the file is read once, never reopened."""
    import os
    import threading

    fifo = tmp_path / "in.fa"
    os.mkfifo(fifo)
    data = gzip.compress(f">a\n{GOOD}\n>b\n{GOOD}\n".encode())

    def feed():
        with open(fifo, "wb") as handle:
            handle.write(data)

    feeder = threading.Thread(target=feed)
    feeder.start()
    result = run_kmervae("features", fifo, "-o", tmp_path / "x.npy")
    feeder.join()
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "x.contigs.tsv").read_text().splitlines()[1:] == ["a\t3000", "b\t3000"]


def test_sigterm_removes_partial_outputs(tmp_path):
    """A scheduler's SIGTERM mid-run leaves no partial file (input from a stalled pipe)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import REPO

    fifo = tmp_path / "in.fa"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kmervae", "features", str(fifo), "-o", str(out / "x.npy")],
        env=dict(os.environ, PYTHONPATH=str(REPO / "src")),
        stderr=subprocess.PIPE,
        text=True,
    )
    with open(fifo, "w") as writer:
        writer.write(f">a\n{GOOD}\n" * 1)  # one record, then the pipe stalls
        writer.flush()
        deadline = time.monotonic() + 30
        while not list(out.glob(".partial.*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(out.glob(".partial.*")), "the run should have started writing"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM
    assert not list(out.glob("*")) and not list(out.glob(".*"))


def test_many_tiny_records_stay_in_small_batches(tmp_path):
    """Every record costs ~8,800 bins: batches are bounded by records as well as bases."""
    from kmervae.features.fasta import FastaReader
    from kmervae.features.kmers import KmerCounter

    path = tmp_path / "tiny.fa"
    path.write_text("".join(f">r{i}\nA\n" for i in range(5000)) + ">e\n")
    counter = KmerCounter()
    sizes = [len(part) for pieces in FastaReader(path) for part in counter.count(pieces)]
    assert sum(sizes) == 5001
    assert max(sizes) <= counter.batch_records


@pytest.mark.parametrize("what", ["missing", "directory"])
def test_tables_that_are_not_files_are_named(tmp_path, what):
    # every table reader (contig index, marker table, clusters, labels, samples, ...)
    # opens through open_input: the message names the file and what it should be
    from kmervae.errors import InputError
    from kmervae.features.matrix import read_contig_index

    path = tmp_path / "index.tsv"
    if what == "directory":
        path.mkdir()
    message = "no such contig index" if what == "missing" else "a directory, not a contig index"
    with pytest.raises(InputError, match=message) as err:
        read_contig_index(path)
    assert str(path) in str(err.value)
