"""Find single-copy marker genes in the contigs of a sample.

Calls the genes of every contig of the contig index --contigs (those of at least
min_contig_length bp, as the feature matrix holds them) with Prodigal in metagenome mode
(pyrodigal; among the --gene-models pre-trained models nearest each contig in GC
content), and searches their proteins with the profile HMMs of every marker set in
--marker-sets (default: the bacterial and archaeal sets shipped in resources/markers/)
using pyhmmer, with each model's trusted cut-offs and a minimum coverage of the model
(kmervae.markers.search says which). Writes the TSV --output:

* one line ``#set  NAME  MARKERS`` per marker set searched (kmervae cluster --markers
  needs the sizes of the sets for completeness and contamination);
* the columns ``contig gene marker score set coverage``: one row per protein that is a
  copy of a marker of a set (score: HMMER bit score; coverage: fraction of the model
  covered by the best domain), contigs in the order of the index, genes along the contig.

The FASTA is streamed and proteins are searched in batches, so memory stays flat; the
output is the same whatever --threads. Written under a temporary name and renamed at the
end. A sample with no marker gene (only phages or plasmids) gets a table with no rows,
and a warning.

example:
  kmervae markers resources/demo/demo.fna.gz --contigs results/features/demo.contigs.tsv \\
      -o results/markers/demo.tsv --threads 2
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path

from kmervae.errors import InputError, KmervaeError
from kmervae.features.fasta import iter_fasta_records
from kmervae.features.matrix import read_contig_index
from kmervae.markers.genes import GENE_MODELS, call_genes
from kmervae.markers.quality import set_header
from kmervae.markers.search import (
    DEFAULT_MARKER_DIR,
    HITS_HEADER,
    hits_rows,
    read_marker_sets,
    search_markers,
)
from kmervae.npyio import atomic_path

log = logging.getLogger(__name__)

#: proteins searched at a time: a few MB of sequence, enough to keep the threads busy
BATCH_PROTEINS = 20_000
#: contigs whose genes are called at a time (spread over the threads)
BATCH_CONTIGS = 256


def add_arguments(parser) -> None:
    parser.add_argument("fasta", type=Path, help="FASTA file of the sample (plain or gzipped)")
    parser.add_argument(
        "--contigs", type=Path, required=True, help="contig index: the contigs to search"
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="marker table (TSV)")
    parser.add_argument(
        "--marker-sets",
        type=Path,
        default=DEFAULT_MARKER_DIR,
        help="folder of marker HMM files (*.hmm.gz, *.hmm), one set per file "
        "(default: the sets shipped with kmervae, resources/markers/)",
    )
    parser.add_argument(
        "--gene-models",
        type=int,
        default=GENE_MODELS,
        help="Prodigal's pre-trained models, nearest the contig in GC content, that "
        "metagenome mode chooses among for each contig; 0: all of them, as prodigal -p meta "
        "(slower: about 8 are tried per contig; default: %(default)s)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads for gene calling and the HMM search (default: %(default)s)",
    )


def _index_records(fasta: Path, names: list[str]):
    """(contig, bases) of the FASTA's records that the index lists, in index order; the
    FASTA must hold them in that order (the index was made from it)."""
    wanted = iter(names)
    expected = next(wanted, None)
    for record in iter_fasta_records(fasta):
        if record.name == expected:
            yield record.name, record.bases()
            expected = next(wanted, None)
    if expected is not None:
        raise InputError(fasta, "contig of the index not found (in order) in the FASTA; "
                         "was the index made from another file?", record=expected)  # fmt: skip


def run(args) -> int:
    if args.threads < 1:
        raise KmervaeError(f"--threads must be at least 1, got {args.threads}")
    if args.gene_models < 0:
        raise KmervaeError(f"--gene-models must be 0 (all) or more, got {args.gene_models}")
    marker_sets = read_marker_sets(args.marker_sets)
    names, _ = read_contig_index(args.contigs)
    start = time.perf_counter()
    n_proteins = n_hits = no_genes = 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with (
        atomic_path(args.output) as tmp,
        open(tmp, "w", encoding="utf-8") as out,
        ThreadPoolExecutor(args.threads) as pool,
    ):
        out.write(set_header((s.name, len(s.hmms)) for s in marker_sets))
        out.write(HITS_HEADER)
        records = _index_records(args.fasta, names)
        batch = []
        while chunk := list(islice(records, BATCH_CONTIGS)):
            for proteins in pool.map(lambda r: call_genes(*r, args.gene_models), chunk):
                no_genes += not proteins
                batch.extend(proteins)
            if len(batch) >= BATCH_PROTEINS:
                hits = search_markers(batch, marker_sets, args.threads)
                out.write(hits_rows(hits))
                n_proteins, n_hits, batch = n_proteins + len(batch), n_hits + len(hits), []
        hits = search_markers(batch, marker_sets, args.threads)
        out.write(hits_rows(hits))
        n_proteins, n_hits = n_proteins + len(batch), n_hits + len(hits)
    log.info(
        "%d contigs, %d proteins (%d contigs without a gene), %d marker copies in %d sets, "
        "in %.1f s",
        len(names), n_proteins, no_genes, n_hits, len(marker_sets), time.perf_counter() - start,
    )  # fmt: skip
    if n_hits == 0:
        log.warning(
            "%s: no marker gene in any of its %d contigs (only phages or plasmids?): every "
            "bin will have completeness 0", args.fasta, len(names),
        )  # fmt: skip
    return 0
