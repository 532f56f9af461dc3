"""Simulated metagenome assemblies: real genomes cut into contigs with known provenance.

Each genome is tiled from its start by consecutive, non-overlapping contigs whose lengths are
drawn from a log-normal distribution truncated to ``[min_length, max_length]``; a leftover tail
shorter than ``min_length`` at the end of a record is dropped. Contigs of all genomes are then
(optionally) subsampled per genome, shuffled together and written as a gzipped FASTA file, with a
``labels.tsv`` that gives, for every contig, its genome, source record and 0-based half-open
``[start, end)`` coordinates.

Everything is seeded: the same inputs and seed give byte-identical output files.
"""

from __future__ import annotations

import gzip
import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np

from kmervae.features.fasta import iter_fasta_records

__all__ = [
    "Contig",
    "contig_lengths",
    "cut_into_contigs",
    "lognormal_mu_for_median",
    "make_community",
    "read_fasta_simple",
    "write_fasta_gz",
    "write_labels",
]

LABEL_COLUMNS = ("contig", "genome", "record", "start", "end")


@dataclass(frozen=True)
class Contig:
    """One simulated contig: ``seq == source_record[start:end]``."""

    name: str
    genome: str
    record: str
    start: int
    end: int
    seq: str

    def __len__(self) -> int:
        return self.end - self.start


# ---------------------------------------------------------------------------------------------
# FASTA


def read_fasta_simple(path: str | PathLike[str]) -> list[tuple[str, str]]:
    """Read a (gzipped or plain) FASTA file into ``[(name, sequence), ...]``.

    ``name`` is the first word of the header. Meant for trusted genome files only: no
    check of the characters. Sequences are returned as written (case and ambiguity codes
    kept).
    """
    return [(record.name, record.bases().decode("latin-1")) for record in iter_fasta_records(path)]


def write_fasta_gz(
    contigs: Iterable[Contig], path: str | PathLike[str], width: int = 80, level: int = 9
) -> None:
    """Write contigs as gzipped FASTA, ``width`` columns, with a fixed gzip header (mtime 0,
    no file name) so identical contigs give byte-identical files."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=level, mtime=0) as gz,
    ):
        for contig in contigs:
            seq = contig.seq
            lines = [f">{contig.name}"]
            lines.extend(seq[i : i + width] for i in range(0, len(seq), width))
            gz.write(("\n".join(lines) + "\n").encode("ascii"))


def write_labels(contigs: Iterable[Contig], path: str | PathLike[str]) -> None:
    """Write ``contig genome record start end`` (tab-separated, with header)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        handle.write("\t".join(LABEL_COLUMNS) + "\n")
        for c in contigs:
            handle.write(f"{c.name}\t{c.genome}\t{c.record}\t{c.start}\t{c.end}\n")


# ---------------------------------------------------------------------------------------------
# Lengths


def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def lognormal_mu_for_median(
    median: float, sigma: float, min_length: float, max_length: float | None = None
) -> float:
    """Location ``mu`` of a log-normal with scale ``sigma`` whose truncation to
    ``[min_length, max_length]`` has the given median.

    Truncation shifts the median (cutting the left tail raises it), so ``mu`` is solved for
    numerically: the truncated median ``m`` satisfies ``F(m) = (F(lo) + F(hi)) / 2``.
    """
    if not min_length < median:
        raise ValueError(f"median ({median}) must exceed min_length ({min_length})")
    if max_length is not None and not median < max_length:
        raise ValueError(f"median ({median}) must be below max_length ({max_length})")
    if sigma <= 0:
        raise ValueError("sigma must be positive")
    log_m, log_lo = math.log(median), math.log(min_length)
    log_hi = math.log(max_length) if max_length is not None else math.inf

    def truncated_cdf_at_median(mu: float) -> float:
        # Ratio of tail masses, each computed with erfc so that it keeps its relative precision
        # when mu lies far outside [lo, hi] (where 1 - F would cancel to 0).
        z = [(x - mu) / (sigma * math.sqrt(2.0)) for x in (log_lo, log_m, log_hi)]
        if mu <= log_m:  # upper tails S(x) = P(X > x)
            s_lo, s_m, s_hi = (0.5 * math.erfc(v) for v in z)
            return (s_lo - s_m) / (s_lo - s_hi)
        f_lo, f_m, f_hi = (0.5 * math.erfc(-v) for v in z)  # lower tails F(x) = P(X <= x)
        return (f_m - f_lo) / (f_hi - f_lo)

    # The truncated CDF at `median` decreases as mu grows; bisect for the value 1/2.
    lo = log_lo - 25 * sigma
    hi = (log_hi if math.isfinite(log_hi) else log_m) + 25 * sigma
    if not truncated_cdf_at_median(lo) > 0.5 > truncated_cdf_at_median(hi):
        raise ValueError(f"no log-normal (sigma={sigma}) has a truncated median of {median}")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if truncated_cdf_at_median(mid) > 0.5:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def contig_lengths(
    total_length: int,
    rng: np.random.Generator,
    median: float = 3000,
    sigma: float = 0.9,
    min_length: int = 1000,
    max_length: int | None = None,
) -> np.ndarray:
    """Contig lengths that tile a sequence of ``total_length`` from its start.

    Lengths are log-normal, truncated to ``[min_length, max_length]`` by redrawing, with
    ``median`` the median of the *truncated* distribution. Draws continue until the sequence is
    covered; the draw that would run past the end is replaced by the remaining tail, which is
    kept when at least ``min_length`` long and dropped otherwise (it is never longer than
    ``max_length``, being shorter than the draw it replaces). Hence every length lies in
    ``[min_length, max_length]`` and the sum falls short of ``total_length`` by less than
    ``min_length``.

    Returns an ``int64`` array (empty when ``total_length < min_length``).
    """
    if min_length < 1:
        raise ValueError("min_length must be >= 1")
    if max_length is not None and max_length < min_length:
        raise ValueError("max_length must be >= min_length")
    if total_length < min_length:
        return np.zeros(0, dtype=np.int64)
    mu = lognormal_mu_for_median(median, sigma, min_length, max_length)
    hi = math.inf if max_length is None else max_length

    z_lo = (math.log(min_length) - mu) / sigma
    z_hi = (math.log(hi) - mu) / sigma if math.isfinite(hi) else math.inf
    accept = max(_norm_cdf(-z_lo) - _norm_cdf(-z_hi), 1e-4)  # share of draws kept

    def batch_size(remaining: int) -> int:
        return min(10_000_000, max(16, int(1.2 * remaining / median / accept)))

    lengths: list[int] = []
    covered = 0
    batch = batch_size(total_length)
    while True:
        draws = np.rint(rng.lognormal(mean=mu, sigma=sigma, size=batch)).astype(np.int64)
        draws = draws[(draws >= min_length) & (draws <= hi)]
        for length in draws.tolist():
            remaining = total_length - covered
            if length >= remaining:
                if remaining >= min_length:
                    lengths.append(remaining)
                return np.asarray(lengths, dtype=np.int64)
            lengths.append(length)
            covered += length
        batch = batch_size(total_length - covered)


# ---------------------------------------------------------------------------------------------
# Cutting


def cut_into_contigs(
    genome: str,
    records: Sequence[tuple[str, str]] | str,
    rng: np.random.Generator,
    *,
    median: float = 3000,
    sigma: float = 0.9,
    min_length: int = 1000,
    max_length: int | None = None,
    uppercase: bool = True,
) -> list[Contig]:
    """Cut every record of one genome into consecutive, non-overlapping contigs.

    ``records`` is ``[(record_name, sequence), ...]`` (a bare string is one record named
    ``genome``). Each record is tiled from position 0 with :func:`contig_lengths`; contigs are
    named ``{genome}_{index:05d}`` with ``index`` counting through all records in order.
    Records shorter than ``min_length`` yield nothing.
    """
    if isinstance(records, str):
        records = [(genome, records)]
    contigs: list[Contig] = []
    for record, seq in records:
        lengths = contig_lengths(
            len(seq), rng, median=median, sigma=sigma, min_length=min_length, max_length=max_length
        )
        ends = np.cumsum(lengths)
        starts = ends - lengths
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            piece = seq[start:end]
            contigs.append(
                Contig(
                    name=f"{genome}_{len(contigs):05d}",
                    genome=genome,
                    record=record,
                    start=start,
                    end=end,
                    seq=piece.upper() if uppercase else piece,
                )
            )
    return contigs


def subsample_contigs(
    contigs: Sequence[Contig], bp_target: int, rng: np.random.Generator
) -> list[Contig]:
    """A random subset of ``contigs`` totalling about ``bp_target`` bp, in genome order.

    Contigs are taken in a random order until the total reaches ``bp_target`` (so it overshoots
    by less than one contig); all are kept when they total less.
    """
    order = rng.permutation(len(contigs))
    chosen: list[int] = []
    total = 0
    for i in order.tolist():
        if total >= bp_target:
            break
        chosen.append(i)
        total += len(contigs[i])
    return [contigs[i] for i in sorted(chosen)]


def _genome_rng(seed: int, genome: str) -> np.random.Generator:
    # Per-genome stream: a genome's contigs do not depend on which other genomes are included.
    return np.random.default_rng([seed, zlib.crc32(genome.encode("utf-8"))])


def make_community(
    genomes: Mapping[str, str | PathLike[str]],
    out_fasta: str | PathLike[str],
    out_labels: str | PathLike[str],
    rng_seed: int,
    bp_per_genome: int | Mapping[str, int] | None = None,
    *,
    median: float = 3000,
    sigma: float = 0.9,
    min_length: int = 1000,
    max_length: int | None = None,
) -> list[Contig]:
    """Cut genomes into contigs, mix them and write ``out_fasta`` (gz) and ``out_labels``.

    ``genomes`` maps a genome id to its FASTA file (all records of a file form the genome).
    ``bp_per_genome`` (one number, or one per genome id) keeps a seeded random subset of each
    genome's contigs totalling about that many bp; ``None`` keeps all. Contig order is shuffled
    across genomes with the seed. Returns the contigs in the order written.
    """
    contigs: list[Contig] = []
    for genome in sorted(genomes):
        rng = _genome_rng(rng_seed, genome)
        records = read_fasta_simple(genomes[genome])
        pieces = cut_into_contigs(
            genome,
            records,
            rng,
            median=median,
            sigma=sigma,
            min_length=min_length,
            max_length=max_length,
        )
        target = bp_per_genome.get(genome) if isinstance(bp_per_genome, Mapping) else bp_per_genome
        if target is not None:
            pieces = subsample_contigs(pieces, target, rng)
        contigs.extend(pieces)
    order = np.random.default_rng(rng_seed).permutation(len(contigs))
    mixed = [contigs[i] for i in order.tolist()]
    write_fasta_gz(mixed, out_fasta)
    write_labels(mixed, out_labels)
    return mixed
