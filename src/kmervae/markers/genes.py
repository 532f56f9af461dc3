"""Protein-coding genes of contigs, called by Prodigal (pyrodigal) in metagenome mode.

Metagenome mode uses Prodigal's 50 pre-trained models, so every contig is called on its
own and the genes of a contig never depend on the other contigs of the sample: calling
is deterministic and can stream the FASTA one record at a time. Prodigal scores a contig
with every model whose GC content lies in a window around the contig's (about eight of
them) and keeps the best-scoring model's genes. By default kmervae hands it only the
:data:`GENE_MODELS` models nearest the contig in GC: on a real community they find 99.4 %
of the marker copies that all models find, in 37 % of the time (BENCHMARKS.md, "Marker
genes"), and gene calling was most of the marker step. ``models=0`` is Prodigal's own
metagenome mode. Genes are named as Prodigal names them, ``{contig}_{n}`` (n from 1 in
order along the contig).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

#: Pre-trained models nearest the contig's GC content that metagenome mode chooses among
#: (0: all of them, Prodigal's own metagenome mode).
GENE_MODELS = 3


@dataclass(frozen=True, slots=True)
class Protein:
    """One called gene: its contig, its name and its translation (no stop sign)."""

    contig: str
    gene: str
    sequence: str


@functools.cache
def _model_gc() -> tuple[float, ...]:
    """GC content of each of Prodigal's pre-trained metagenome models, in its order."""
    import pyrodigal

    return tuple(b.training_info.gc for b in pyrodigal.METAGENOMIC_BINS)


@functools.cache
def _gene_finder(models: tuple[int, ...] | None):
    """Metagenome-mode gene finder over the pre-trained models ``models`` (indices; None:
    all). Gene finders are thread-safe, so one serves every thread."""
    import pyrodigal

    bins = None
    if models is not None:
        bins = pyrodigal.MetagenomicBins([pyrodigal.METAGENOMIC_BINS[i] for i in models])
    # mask: no gene runs across a run of Ns (scaffold gaps are not sequence)
    return pyrodigal.GeneFinder(meta=True, mask=True, metagenomic_bins=bins)


def gc_content(bases: bytes) -> float:
    """G+C among the unambiguous bases (either case); 0 for a sequence without any."""
    upper = bases.upper()
    gc = upper.count(b"G") + upper.count(b"C")
    acgt = gc + upper.count(b"A") + upper.count(b"T")
    return gc / acgt if acgt else 0.0


def nearest_models(bases: bytes, n: int = GENE_MODELS) -> tuple[int, ...] | None:
    """The ``n`` pre-trained models nearest the sequence in GC content, as sorted indices
    (equal distances: the first in Prodigal's order); None for ``n`` 0, all models."""
    if n == 0:
        return None
    model_gc = _model_gc()
    gc = gc_content(bases)
    order = sorted(range(len(model_gc)), key=lambda i: (abs(model_gc[i] - gc), i))
    return tuple(sorted(order[:n]))


def call_genes(contig: str, bases: bytes, models: int = GENE_MODELS) -> list[Protein]:
    """The proteins of one contig (its bases as ASCII), called in metagenome mode with the
    ``models`` pre-trained models nearest its GC (0: all); none for a contig too short or
    without a gene."""
    genes = _gene_finder(nearest_models(bases, models)).find_genes(bases)
    return [
        Protein(contig, f"{contig}_{n}", gene.translate(include_stop=False))
        for n, gene in enumerate(genes, start=1)
    ]
