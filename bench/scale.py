"""Scale benchmark (issue 16): the whole workflow on an N-contig sample of real genomes.

Builds a labelled sample of exactly N contigs from the catalog's genomes
(``bench/genomes.py``; default all 85, 229 Mbp, 53 k contigs per cut: the more genomes, the
fewer copies of each a sample of N holds; ``tune`` has 95 Mbp, 22 k per cut). The genomes
are cut by ``synthetic.cut_into_contigs``, as the binning benchmark cuts them (log-normal
lengths, median 3 kb, >= 1 kb); to reach N they are cut again and again with new seeds, each
cut a new "strain copy" of every genome, its contigs named ``c{copy}_...`` and labelled by
their genome, so the workflow's evaluation still scores the bins. The last copy is a seeded
random subset, so there are exactly N contigs. Above one cut every genome is there several
times over (19 copies at 1 M contigs): its bins are as large, and the marker-guided
clustering sees that many copies of its markers, so the quality figures are no match for the
binning benchmark's; time, memory and disk are what this benchmark is for. ``--samples S``
splits the (shuffled) N contigs into S FASTA files of N/S contigs each, the many-samples
case.

Then runs the workflow end to end on it in its own working folder ``WORK`` (default
``bench/.cache/scale/{set}_n{N}_s{S}_seed{seed}``)::

    snakemake --snakefile Snakefile --directory WORK --configfile WORK/config.yaml --cores 2

with a config this script writes: the sample table, plus ``--config-extra FILE`` (YAML)
and ``--set KEY=VALUE`` overrides (dotted keys, YAML values), e.g. ``--set vae.epochs=1``.
Each run starts from an empty ``WORK/results/`` (``--keep-results``: continues an
interrupted one); the sample in ``WORK/input/`` is reused
when it was built with the same settings.

Recorded:

* per workflow job: wall seconds and peak RSS from Snakemake's own benchmark files
  (``results/benchmarks/**.tsv``, columns ``s`` and ``max_rss``: the RSS summed over the
  job's process tree, in MB as Snakemake counts them, MiB). Snakemake samples it every
  0.5 s for the first 15 s of a job and every 30 s after, so a short spike of a long job can
  be missed; ``largest_process_rss_mb`` (the kernel's high-water mark of the largest single
  process of the run, ``getrusage``) is exact but not per job;
* peak disk of ``WORK/results/`` (allocated blocks of every file and folder, as ``du``
  counts them), polled every ``--poll-interval`` seconds while Snakemake runs, with its
  breakdown by top-level folder at the peak, against the bytes of the feature matrices
  (``results/features/*.npy``);
* end-to-end wall seconds of the Snakemake run, and the time to build the sample.

Prints a Markdown table (step, jobs, wall s total, max peak RSS MB) and the totals, and
writes everything to ``WORK/scale.json`` (and the table to ``WORK/table.md``).

    .venv/bin/python bench/scale.py --contigs 3000 --set vae.epochs=1      # smoke run
    .venv/bin/python bench/scale.py --contigs 100000
    .venv/bin/python bench/scale.py --contigs 300000 --samples 20 -- --profile profiles/slurm
    .venv/bin/python bench/scale.py --contigs 1000000 --build-only          # the sample only

Arguments after ``--`` go to Snakemake unchanged.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO / "src"))

from synthetic import (  # noqa: E402
    Contig,
    cut_into_contigs,
    read_fasta_simple,
    write_fasta_gz,
    write_labels,
)

from kmervae.samples import samples_in_table  # noqa: E402

SNAKEMAKE = REPO / ".venv" / "bin" / "snakemake"
DEFAULT_ROOT = BENCH / ".cache" / "scale"
GENOME_SETS = ("tune", "heldout", "spare", "all")
#: gzip level of the sample's FASTA files: 1, since at a million contigs (about 4 Gbp) level
#: 9 takes far longer than the workflow's own reading of them
GZIP_LEVEL = 1
MB = 1024 * 1024


# ---------------------------------------------------------------- the sample


@dataclass(frozen=True)
class Piece:
    """Where one contig of the sample comes from: ``genome``'s ``record[start:end]``."""

    name: str
    genome: str
    record: str
    start: int
    end: int


def read_genomes(paths: Mapping[str, str | os.PathLike]) -> dict[str, dict[str, str]]:
    """``{genome: {record: upper-case sequence}}`` of each genome's FASTA file."""
    genomes = {}
    for genome, path in paths.items():
        records: dict[str, str] = {}
        for record, seq in read_fasta_simple(path):
            if record in records:
                raise SystemExit(f"{path}: record name {record!r} appears twice in {genome}")
            records[record] = seq.upper()
        genomes[genome] = records
    return genomes


def cut_copies(genomes: Mapping[str, Mapping[str, str]], n_contigs: int, seed: int) -> list[Piece]:
    """Exactly ``n_contigs`` contigs: every genome cut (``cut_into_contigs``) once per copy,
    copy ``c`` with the seed ``[seed, c, crc32(genome)]``, until there are enough; of the
    last copy a seeded random subset; then all shuffled with ``seed``."""
    if n_contigs < 1:
        raise SystemExit(f"--contigs must be at least 1, got {n_contigs}")
    pieces: list[Piece] = []
    copy = 0
    while len(pieces) < n_contigs:
        this_copy = []
        for genome in sorted(genomes):
            rng = np.random.default_rng([seed, copy, zlib.crc32(genome.encode("utf-8"))])
            for contig in cut_into_contigs(genome, list(genomes[genome].items()), rng):
                name = f"c{copy}_{contig.name}"
                this_copy.append(Piece(name, genome, contig.record, contig.start, contig.end))
        if not this_copy:
            raise SystemExit("the genomes give no contig of at least 1 kb")
        missing = n_contigs - len(pieces)
        if len(this_copy) > missing:
            subset = np.random.default_rng([seed, copy]).choice(len(this_copy), missing, False)
            this_copy = [this_copy[i] for i in np.sort(subset).tolist()]
        pieces.extend(this_copy)
        copy += 1
    order = np.random.default_rng(seed).permutation(len(pieces))
    return [pieces[i] for i in order.tolist()]


def sample_names(n_samples: int, prefix: str = "scale") -> list[str]:
    """``prefix`` for one sample, else ``prefix_01`` ... (zero-padded to sort in order)."""
    if n_samples < 1:
        raise SystemExit(f"--samples must be at least 1, got {n_samples}")
    if n_samples == 1:
        return [prefix]
    width = len(str(n_samples))
    return [f"{prefix}_{i:0{width}d}" for i in range(1, n_samples + 1)]


def _contigs(pieces: Iterable[Piece], genomes: Mapping[str, Mapping[str, str]]) -> Iterator:
    for p in pieces:
        seq = genomes[p.genome][p.record][p.start : p.end]
        yield Contig(p.name, p.genome, p.record, p.start, p.end, seq)


def write_sample(
    genomes: Mapping[str, Mapping[str, str]],
    n_contigs: int,
    seed: int,
    out: Path,
    n_samples: int = 1,
) -> Path:
    """Cut ``n_contigs`` contigs (``cut_copies``), split them in file order into
    ``n_samples`` FASTA files (``{sample}.fna.gz``) of as equal sizes as can be, each with
    its labels (``{sample}.labels.tsv``: contig, genome, record, start, end), and write the
    samples table ``samples.tsv`` (sample, fasta, labels; paths relative to ``out``'s
    parent, the folder Snakemake runs in). Returns the table's path."""
    if n_samples > n_contigs:
        raise SystemExit(f"--samples ({n_samples}) exceeds --contigs ({n_contigs})")
    pieces = cut_copies(genomes, n_contigs, seed)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    bounds = np.linspace(0, n_contigs, n_samples + 1).round().astype(int).tolist()
    for name, lo, hi in zip(sample_names(n_samples), bounds, bounds[1:], strict=False):
        fasta, labels = out / f"{name}.fna.gz", out / f"{name}.labels.tsv"
        write_fasta_gz(_contigs(pieces[lo:hi], genomes), fasta, level=GZIP_LEVEL)
        write_labels(pieces[lo:hi], labels)
        rows.append((name, f"{out.name}/{fasta.name}", f"{out.name}/{labels.name}"))
    table = out / "samples.tsv"
    table.write_text(
        "sample\tfasta\tlabels\n" + "".join("\t".join(row) + "\n" for row in rows),
        encoding="utf-8",
    )
    return table


def build_input(work: Path, genome_set: str, n_contigs: int, seed: int, n_samples: int) -> dict:
    """The sample in ``work/input/``, built unless one with these settings is there."""
    from genomes import genome_ids, genome_paths

    ids = genome_ids(None if genome_set == "all" else genome_set)
    settings = {
        "genome_set": genome_set,
        "genomes": ids,
        "contigs": n_contigs,
        "seed": seed,
        "samples": n_samples,
        "gzip_level": GZIP_LEVEL,
    }
    folder = work / "input"
    stamp = folder / "build.json"
    if stamp.exists() and json.loads(stamp.read_text())["settings"] == settings:
        return json.loads(stamp.read_text())
    if folder.exists():
        shutil.rmtree(folder)
    start = time.monotonic()
    genomes = read_genomes(genome_paths(ids))
    write_sample(genomes, n_contigs, seed, folder, n_samples)
    record = {
        "settings": settings,
        "build_s": round(time.monotonic() - start, 1),
        "genome_bp": sum(len(s) for records in genomes.values() for s in records.values()),
        "fasta_bytes": sum(p.stat().st_size for p in folder.glob("*.fna.gz")),
    }
    stamp.write_text(json.dumps(record, indent=1))
    return record


# ---------------------------------------------------------------- the workflow's config


def parse_override(text: str) -> dict:
    """``a.b=VALUE`` as ``{"a": {"b": VALUE}}``, VALUE read as YAML (``1`` is a number,
    ``null`` is None, ``[1, 2]`` a list)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise SystemExit(f"--set expects KEY=VALUE (dotted keys for nested ones), got {text!r}")
    nested: dict = {}
    *parents, last = key.strip().split(".")
    inner = nested
    for part in parents:
        inner = inner.setdefault(part, {})
    inner[last] = yaml.safe_load(value)
    return nested


def merge(base: dict, extra: Mapping) -> dict:
    """``base`` updated by ``extra``, nested mappings merged key by key (as Snakemake
    merges config files)."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def workflow_config(
    samples_table: str, extra_file: Path | None = None, overrides: Sequence[str] = ()
) -> dict:
    """The run's config: no input folder, the samples table, then the extra YAML file, then
    the ``--set`` overrides (a later one wins)."""
    config: dict = {"input_dir": None, "samples": samples_table}
    if extra_file is not None:
        extra = yaml.safe_load(extra_file.read_text(encoding="utf-8")) or {}
        if not isinstance(extra, Mapping):
            raise SystemExit(f"{extra_file}: expected a YAML mapping of config keys")
        config = merge(config, extra)
    for text in overrides:
        config = merge(config, parse_override(text))
    return config


# ---------------------------------------------------------------- measurements


def disk_usage(folder: Path) -> tuple[int, dict[str, int]]:
    """Bytes allocated to ``folder`` and everything under it, as ``du -s -B1`` counts them
    (each file's and folder's blocks; a file removed while the folder is walked is left
    out), and the same per top-level entry."""

    def blocks(path: str) -> int:
        total = 0
        try:
            total += os.stat(path, follow_symlinks=False).st_blocks * 512
            entries = list(os.scandir(path))
        except (FileNotFoundError, NotADirectoryError):
            return total
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    total += blocks(entry.path)
                else:
                    total += entry.stat(follow_symlinks=False).st_blocks * 512
            except FileNotFoundError:
                continue
        return total

    if not folder.exists():
        return 0, {}
    top = os.stat(folder).st_blocks * 512
    parts = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        parts[entry.name] = blocks(entry.path)
    return top + sum(parts.values()), parts


class DiskPoller:
    """Polls ``disk_usage(folder)`` every ``interval`` seconds in a thread, keeping the
    peak and its breakdown; use as a context manager around the run."""

    def __init__(self, folder: Path, interval: float = 2.0):
        self.folder = Path(folder)
        self.interval = interval
        self.peak_bytes = 0
        self.peak_parts: dict[str, int] = {}
        self.peak_at_s = 0.0
        self.samples = 0
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> int:
        total, parts = disk_usage(self.folder)
        self.samples += 1
        if total > self.peak_bytes:
            self.peak_bytes, self.peak_parts = total, parts
            self.peak_at_s = time.monotonic() - self._start
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> DiskPoller:
        self._start = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()  # what is left at the end


def _number(text: str | None) -> float | None:
    """A benchmark file's value; None where Snakemake wrote ``NA`` or ``-`` (no
    measurement: the job ended before the first sample)."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


#: the line every kmervae command logs at its end (kmervae.cli.log_peak_memory)
PEAK_RSS_LOGGED = re.compile(r": peak RSS (\d+) MiB$", re.M)


def logged_peak_rss(log: Path) -> float | None:
    """The largest peak RSS (MiB) the kmervae commands of a job's log reported: the
    kernel's high-water mark, exact where the benchmark's sampling can miss a peak."""
    if not log.exists():
        return None
    peaks = [float(m) for m in PEAK_RSS_LOGGED.findall(log.read_text(errors="replace"))]
    return max(peaks) if peaks else None


def read_benchmarks(folder: Path, logs: Path | None = None) -> list[dict]:
    """One row per workflow job from Snakemake's benchmark files under ``folder``
    (``results/benchmarks``): ``step`` (the rule: the file's first folder, or the file's
    name for a file directly in ``folder``), ``job`` (the rest of the path, e.g. the
    sample), ``wall_s``, ``max_rss_mb`` and ``max_pss_mb`` (None if not measured). A file
    of several rows (a repeated benchmark) counts its wall seconds summed and its largest
    RSS and PSS. With
    ``logs`` (``results/logs``, whose files mirror the benchmark files' paths), also
    ``logged_rss_mib``, the peak the job's kmervae command logged (None: none logged)."""
    jobs = []
    for path in sorted(folder.rglob("*.tsv")):
        relative = path.relative_to(folder).with_suffix("")
        step, job = relative.parts[0], "/".join(relative.parts[1:])
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        if not rows or "s" not in rows[0]:
            raise SystemExit(f"{path}: not a Snakemake benchmark file (no column 's')")
        rss = [v for v in (_number(r.get("max_rss")) for r in rows) if v is not None]
        pss = [v for v in (_number(r.get("max_pss")) for r in rows) if v is not None]
        jobs.append(
            {
                "step": step,
                "job": job,
                "wall_s": sum(_number(r["s"]) or 0.0 for r in rows),
                "max_rss_mb": max(rss) if rss else None,
                "max_pss_mb": max(pss) if pss else None,
                "logged_rss_mib": (
                    logged_peak_rss(logs / relative.with_suffix(".log")) if logs else None
                ),
                "finished": path.stat().st_mtime,
            }
        )
    return jobs


def step_table(jobs: Sequence[dict]) -> list[dict]:
    """Per step (in the order its first job finished): jobs, wall seconds summed over its
    jobs, the longest job's seconds and the largest peak RSS of its jobs."""
    steps: dict[str, dict] = {}
    for job in sorted(jobs, key=lambda j: j["finished"]):
        row = steps.setdefault(
            job["step"],
            {
                "step": job["step"],
                "jobs": 0,
                "wall_s": 0.0,
                "max_job_s": 0.0,
                "max_rss_mb": None,
                "logged_rss_mib": None,
            },
        )
        row["jobs"] += 1
        row["wall_s"] += job["wall_s"]
        row["max_job_s"] = max(row["max_job_s"], job["wall_s"])
        for key in ("max_rss_mb", "logged_rss_mib"):
            if job.get(key) is not None:
                row[key] = max(row[key] or 0.0, job[key])
    return list(steps.values())


def markdown_table(steps: Sequence[dict]) -> str:
    lines = [
        "| step | jobs | wall s total | longest job s | peak RSS MB (benchmark) "
        "| peak RSS MiB (logged) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]

    def number(value):
        return "NA" if value is None else f"{value:,.0f}"

    for row in steps:
        lines.append(
            f"| {row['step']} | {row['jobs']} | {row['wall_s']:,.1f} | "
            f"{row['max_job_s']:,.1f} | {number(row['max_rss_mb'])} | "
            f"{number(row.get('logged_rss_mib'))} |"
        )
    return "\n".join(lines) + "\n"


def describe_parts(parts: Mapping[str, int]) -> str:
    """``views 12.0 MB, features 3.1 MB``: the folders of at least 1 MB, largest first."""
    big = sorted(((v, k) for k, v in parts.items() if v >= MB), reverse=True)
    return ", ".join(f"{k} {v / MB:,.1f} MB" for v, k in big) or "all below 1 MB"


def read_metrics(path: Path) -> dict[str, str]:
    """The workflow's evaluation table (metric, value) as a dict."""
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["metric"]: row["value"] for row in csv.DictReader(handle, delimiter="\t")}


# ---------------------------------------------------------------- the run


def run_workflow(
    work: Path,
    cores: int,
    poll_interval: float,
    extra_args: Sequence[str],
    keep_results: bool = False,
):
    """Snakemake on ``work`` from an empty ``work/results`` (``keep_results``: continuing
    the jobs of an interrupted run); returns (wall seconds, disk poller). Its output goes
    to ``work/snakemake.log``."""
    results = work / "results"
    if results.exists() and not keep_results:
        shutil.rmtree(results)
    results.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(SNAKEMAKE),
        "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(work),
        "--configfile", str(work / "config.yaml"),
        "--cores", str(cores),
        *extra_args,
    ]  # fmt: skip
    log = work / "snakemake.log"
    with open(log, "w", encoding="utf-8") as handle, DiskPoller(results, poll_interval) as disk:
        handle.write("$ " + " ".join(cmd) + "\n")
        handle.flush()
        start = time.monotonic()
        rc = subprocess.call(cmd, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT)
        wall = time.monotonic() - start
    if rc != 0:
        tail = "".join(log.read_text(encoding="utf-8", errors="replace").splitlines(True)[-30:])
        raise SystemExit(f"snakemake failed (rc {rc}) after {wall:.0f} s; {log}:\n{tail}")
    return wall, disk


def git_commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "unknown"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Arguments after -- go to snakemake unchanged.",
    )
    parser.add_argument("--contigs", type=int, required=True, help="contigs in all samples")
    parser.add_argument("--samples", type=int, default=1, help="FASTA files to split them into")
    parser.add_argument("--genome-set", choices=GENOME_SETS, default="all")
    parser.add_argument("--seed", type=int, default=1, help="seed of the cuts and the mixing")
    parser.add_argument("--work", type=Path, help="working folder (default under bench/.cache)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="config override, dotted keys for nested ones (vae.epochs=1); repeatable",
    )
    parser.add_argument("--config-extra", type=Path, help="YAML file of config keys to add")
    parser.add_argument("--poll-interval", type=float, default=2.0, help="seconds between du")
    parser.add_argument("--build-only", action="store_true", help="build the sample, no run")
    parser.add_argument(
        "--keep-results",
        action="store_true",
        help="continue an interrupted run in WORK/results/ (finished jobs are not rerun: "
        "their benchmark files count in the table, their time not in the end-to-end wall)",
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    args.snakemake_args = extra
    if args.work is None:
        name = f"{args.genome_set}_n{args.contigs}_s{args.samples}_seed{args.seed}"
        args.work = DEFAULT_ROOT / name
    args.work = args.work.resolve()
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    built = build_input(work, args.genome_set, args.contigs, args.seed, args.samples)
    print(
        f"sample: {args.contigs:,} contigs in {args.samples} file(s), genome set "
        f"{args.genome_set} ({len(built['settings']['genomes'])} genomes, "
        f"{built['genome_bp'] / 1e6:.1f} Mbp per copy), built in {built['build_s']} s",
        file=sys.stderr,
    )
    if args.build_only:
        return 0
    config = workflow_config("input/samples.tsv", args.config_extra, args.overrides)
    (work / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    wall, disk = run_workflow(
        work, args.cores, args.poll_interval, args.snakemake_args, args.keep_results
    )
    results = work / "results"
    jobs = read_benchmarks(results / "benchmarks", results / "logs")
    steps = step_table(jobs)
    samples = [sample.name for sample in samples_in_table(work / "input" / "samples.tsv")]
    matrix_bytes = sum((results / "features" / f"{name}.npy").stat().st_size for name in samples)
    evaluations = {name: read_metrics(results / "evaluation" / f"{name}.tsv") for name in samples}
    in_matrices = sum(int(m["contigs"]) for m in evaluations.values())
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux

    table = markdown_table(steps)
    totals = (
        f"end-to-end wall: {wall:,.0f} s; peak disk of results/: {disk.peak_bytes / MB:,.1f} MB "
        f"at {disk.peak_at_s:,.0f} s ({describe_parts(disk.peak_parts)}); feature matrices: "
        f"{matrix_bytes / MB:,.1f} MB (peak disk / matrices "
        f"{disk.peak_bytes / max(matrix_bytes, 1):.2f}); largest process: {largest:,.0f} MB RSS"
    )
    print(table + "\n" + totals)
    for sample, metrics in evaluations.items():
        print(
            f"{sample}: {metrics['contigs']} contigs, {metrics['genomes']} genomes, "
            f"{metrics['bins']} bins, {metrics['near_complete']} near-complete, "
            f"ARI {metrics['ari']}"
        )
    if evaluations and in_matrices != args.contigs:
        print(f"warning: {in_matrices:,} contigs evaluated, {args.contigs:,} cut", file=sys.stderr)

    record = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "commit": git_commit(),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "cores": args.cores,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1),
        "command": " ".join([Path(sys.argv[0]).name, *(sys.argv[1:] if argv is None else argv)]),
        "sample": built,
        "config": config,
        "snakemake_args": args.snakemake_args,
        "wall_s": round(wall, 1),
        "peak_disk_bytes": disk.peak_bytes,
        "peak_disk_at_s": round(disk.peak_at_s, 1),
        "peak_disk_parts": disk.peak_parts,
        "disk_polls": disk.samples,
        "feature_matrix_bytes": matrix_bytes,
        "largest_process_rss_mb": round(largest, 1),
        "steps": steps,
        "jobs": jobs,
        "evaluation": evaluations,
    }
    (work / "scale.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    (work / "table.md").write_text(table + "\n" + totals + "\n", encoding="utf-8")
    print(f"written: {work / 'scale.json'}, {work / 'table.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
