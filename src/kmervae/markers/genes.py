"""Protein-coding genes of contigs, called by Prodigal (pyrodigal) in metagenome mode.

Metagenome mode uses Prodigal's pre-trained models, so every contig is called on its own
and the genes of a contig never depend on the other contigs of the sample: calling is
deterministic and can stream the FASTA one record at a time. Genes are named as Prodigal
names them, ``{contig}_{n}`` (n from 1 in order along the contig).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Protein:
    """One called gene: its contig, its name and its translation (no stop sign)."""

    contig: str
    gene: str
    sequence: str


@functools.cache
def _gene_finder():
    import pyrodigal

    # mask: no gene runs across a run of Ns (scaffold gaps are not sequence)
    return pyrodigal.GeneFinder(meta=True, mask=True)


def call_genes(contig: str, bases: bytes) -> list[Protein]:
    """The proteins of one contig (its bases as ASCII); none for a contig too short or
    without a gene."""
    genes = _gene_finder().find_genes(bases)
    return [
        Protein(contig, f"{contig}_{n}", gene.translate(include_stop=False))
        for n, gene in enumerate(genes, start=1)
    ]


def call_genes_of(records: Iterable[tuple[str, bytes]]) -> Iterator[list[Protein]]:
    """The proteins of each (contig, bases) pair, one list per contig, in order."""
    for contig, bases in records:
        yield call_genes(contig, bases)
