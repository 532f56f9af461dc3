"""Marker sets (profile HMMs) and the search of called proteins against them (pyhmmer).

A marker set is one file ``{name}.hmm.gz`` (or ``.hmm``) of profile HMMs, one per
single-copy marker gene of a domain (``bacteria_71``: 71 markers, ``archaea_76``: 76;
resources/markers/README.md says where they come from). A protein is a copy of a marker
when

* its score passes the model's trusted cut-offs (TC: sequence score and domain score, as
  ``hmmsearch --cut_tc``); a model without TC uses its gathering cut-offs (GA), and one
  with neither an E-value of at most :data:`FALLBACK_EVALUE` (sequence and domain),
  computed for a database of :data:`EVALUE_DATABASE_SIZE` proteins so that it does not
  depend on how the proteins are batched;
* its best domain's alignment covers at least :data:`MIN_MODEL_COVERAGE` of the model's
  length, so that a fragment of a gene cut by a contig end, or a shared domain of a
  larger protein, is not counted as a copy;
* and the marker is the best-scoring one of its set for that protein: a protein is one
  copy of one marker per set (sets share markers, so a protein may count in both).

The hits of a batch of proteins depend only on those proteins: the search can run batch
by batch with flat memory, and its output is the same whatever the batch size.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kmervae.errors import InputError
from kmervae.markers.genes import Protein

#: the marker sets shipped with kmervae (resources/markers/), found from this checkout
DEFAULT_MARKER_DIR = Path(__file__).resolve().parents[3] / "resources" / "markers"
#: shortest alignment of a hit, as a fraction of the model's length
MIN_MODEL_COVERAGE = 0.5
#: E-value cut-off of a model that has neither trusted nor gathering cut-offs
FALLBACK_EVALUE = 1e-10
#: database size (proteins) for the fallback E-value, fixed so hits do not depend on batches
EVALUE_DATABASE_SIZE = 1_000_000

HITS_COLUMNS = ("contig", "gene", "marker", "score", "set", "coverage")


@dataclass(frozen=True)
class MarkerSet:
    """The profile HMMs of one domain's single-copy markers."""

    name: str
    hmms: tuple  # pyhmmer.plan7.HMM, in file order

    @property
    def markers(self) -> tuple[str, ...]:
        return tuple(_name(h) for h in self.hmms)


@dataclass(frozen=True, slots=True)
class MarkerHit:
    """A protein that is a copy of a marker of a set."""

    contig: str
    gene: str
    marker: str
    score: float
    set: str
    coverage: float


def _name(hmm) -> str:
    name = hmm.name
    return name.decode() if isinstance(name, bytes) else name


def read_marker_set(path: str | Path):
    """The marker set of one HMM file (plain or gzipped); its name is the file's name
    without ``.hmm`` / ``.hmm.gz``."""
    import pyhmmer

    path = Path(path)
    name = path.name.removesuffix(".gz").removesuffix(".hmm")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such marker HMM file") from None
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as err:
            raise InputError(path, f"not a gzip file ({err})") from None
    try:
        with pyhmmer.plan7.HMMFile(io.BytesIO(data)) as hmm_file:
            hmms = tuple(hmm_file)
    except (ValueError, EOFError) as err:
        raise InputError(path, f"not an HMMER3 profile file ({err})") from None
    if not hmms:
        raise InputError(path, "holds no profile HMM")
    names = [_name(h) for h in hmms]
    if len(set(names)) != len(names):
        raise InputError(path, "a model name appears twice", record=_first_repeat(names))
    return MarkerSet(name, hmms)


def _first_repeat(names: Sequence[str]) -> str:
    seen: set[str] = set()
    return next(n for n in names if n in seen or seen.add(n))


def read_marker_sets(directory: str | Path = DEFAULT_MARKER_DIR) -> list[MarkerSet]:
    """Every marker set (``*.hmm.gz`` and ``*.hmm``) of a folder, by name."""
    directory = Path(directory)
    paths = sorted([*directory.glob("*.hmm.gz"), *directory.glob("*.hmm")])
    if not paths:
        raise InputError(directory, "no marker HMM files (*.hmm.gz or *.hmm) in this folder")
    sets = [read_marker_set(p) for p in paths]
    names = [s.name for s in sets]
    if len(set(names)) != len(names):
        raise InputError(directory, "two files hold a marker set of the same name",
                         record=_first_repeat(names))  # fmt: skip
    return sets


def _distinct_models(marker_sets: Sequence[MarkerSet]) -> list[tuple[object, list[str]]]:
    """Each distinct model of the sets once, with the names of the sets that hold it: the
    shipped sets share 25 models (ribosomal proteins and the like), searched once each."""
    by_bytes: dict[bytes, tuple[object, list[str]]] = {}
    for marker_set in marker_sets:
        for hmm in marker_set.hmms:
            buffer = io.BytesIO()
            hmm.write(buffer, binary=True)
            by_bytes.setdefault(buffer.getvalue(), (hmm, []))[1].append(marker_set.name)
    return list(by_bytes.values())


def _cutoff_kind(hmm) -> str:
    """The cut-off a model is searched with: trusted, gathering or E-value."""
    if hmm.cutoffs.trusted_available():
        return "trusted"
    if hmm.cutoffs.gathering_available():
        return "gathering"
    return "evalue"


def search_markers(
    proteins: Sequence[Protein], marker_sets: Sequence[MarkerSet], threads: int = 1
) -> list[MarkerHit]:
    """The marker hits of a batch of proteins, in protein order, then set order."""
    import pyhmmer

    if not proteins:
        return []
    alphabet = pyhmmer.easel.Alphabet.amino()
    block = pyhmmer.easel.TextSequenceBlock(
        pyhmmer.easel.TextSequence(name=str(i).encode(), sequence=p.sequence)
        for i, p in enumerate(proteins)
    ).digitize(alphabet)
    # (protein, set) -> (score, marker, coverage) of the protein's best marker in the set
    best: dict[tuple[int, str], tuple[float, str, float]] = {}
    groups: dict[str, list[tuple[object, list[str]]]] = {"trusted": [], "gathering": [],
                                                          "evalue": []}  # fmt: skip
    for hmm, set_names in _distinct_models(marker_sets):
        groups[_cutoff_kind(hmm)].append((hmm, set_names))
    for kind, models in groups.items():
        if not models:
            continue
        options = (
            {"bit_cutoffs": kind}
            if kind != "evalue"
            else {"E": FALLBACK_EVALUE, "domE": FALLBACK_EVALUE,
                  "Z": EVALUE_DATABASE_SIZE, "domZ": EVALUE_DATABASE_SIZE}
        )  # fmt: skip
        hmms = [hmm for hmm, _ in models]
        # hmmsearch yields the queries' hits in the queries' order
        for (hmm, set_names), top_hits in zip(
            models, pyhmmer.hmmsearch(hmms, block, cpus=threads, **options), strict=True
        ):
            marker = _name(hmm)
            for hit in top_hits:
                if not hit.included:
                    continue
                alignment = hit.best_domain.alignment
                coverage = (alignment.hmm_to - alignment.hmm_from + 1) / hmm.M
                if coverage < MIN_MODEL_COVERAGE:
                    continue
                for set_name in set_names:
                    key = (int(_name(hit)), set_name)
                    kept = best.get(key)
                    # equal scores go to the first marker by name, whatever the thread order
                    if kept is None or (-hit.score, marker) < (-kept[0], kept[1]):
                        best[key] = (hit.score, marker, coverage)
    order = {s.name: i for i, s in enumerate(marker_sets)}
    hits = []
    for index, set_name in sorted(best, key=lambda k: (k[0], order[k[1]])):
        score, marker, coverage = best[index, set_name]
        p = proteins[index]
        hits.append(MarkerHit(p.contig, p.gene, marker, score, set_name, coverage))
    return hits


def hits_rows(hits: Iterable[MarkerHit]) -> str:
    """Rows of the marker table (no header), tab-separated."""
    return "".join(
        f"{h.contig}\t{h.gene}\t{h.marker}\t{h.score:.1f}\t{h.set}\t{h.coverage:.3f}\n"
        for h in hits
    )


HITS_HEADER = "\t".join(HITS_COLUMNS) + "\n"
