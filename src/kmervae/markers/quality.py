"""Completeness and contamination of bins from their single-copy marker genes.

As CheckM defines them, for one marker set of ``n`` markers, with ``c_m`` copies of
marker ``m`` among the bin's proteins:

* completeness = 100 x (markers with at least one copy) / n
* contamination = 100 x sum over markers of max(0, c_m - 1) / n

Each bin is judged with the set that fits it best: the one with the highest
completeness (a bacterial genome finds most of the bacterial markers and fewer of the
archaeal ones, and the other way round); equal completeness goes to the lower
contamination, then to the set listed first in the marker table. A bin with no marker at
all (phages, plasmids, small fragments, a single short contig) gets completeness 0,
contamination 0 and no set, and a warning in the log.

The label is MIMAG-like (Bowers et al. 2017, without the rRNA and tRNA criteria):
``high`` at >= 90 % completeness and < 5 % contamination, ``medium`` at >= 50 % and
< 10 %, ``low`` otherwise.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kmervae.errors import InputError, open_input
from kmervae.markers.search import HITS_COLUMNS, HITS_HEADER
from kmervae.npyio import atomic_path

#: columns that the bin summary gains from a marker table
QUALITY_COLUMNS = ("completeness", "contamination", "quality", "marker_set")
#: (label, least completeness, contamination below), best first; the rest are "low"
QUALITY_LEVELS = (("high", 90.0, 5.0), ("medium", 50.0, 10.0))
#: a marker table's header line of one set: "#set<TAB>name<TAB>number of markers"
_SET_LINE = re.compile(r"#set\t(\S+)\t(\d+)\n?")


def set_header(marker_sets: Iterable[tuple[str, int]]) -> str:
    """The lines of a marker table that name its sets and their sizes (before the columns)."""
    return "".join(f"#set\t{name}\t{n}\n" for name, n in marker_sets)


@dataclass(frozen=True)
class MarkerTable:
    """The marker genes of a sample: the sets searched, and each contig's hits."""

    set_sizes: dict[str, int]  # set -> number of markers, in the table's order
    hits: dict[str, list[tuple[str, str]]]  # contig -> [(set, marker), ...]


def read_marker_table(path: str | Path) -> MarkerTable:
    """Read a table written by ``kmervae markers``."""
    path = Path(path)
    set_sizes: dict[str, int] = {}
    hits: dict[str, list[tuple[str, str]]] = {}
    try:
        with open_input(path, "marker table") as handle:
            line_no = 0
            for line_no, line in enumerate(handle, start=1):
                if not line.startswith("#"):
                    break
                m = _SET_LINE.fullmatch(line)
                if not m:
                    raise InputError(path, "expected '#set<TAB>name<TAB>markers'", line=line_no)
                set_sizes[m.group(1)] = int(m.group(2))
            else:
                line = ""
            if line != HITS_HEADER:
                raise InputError(path, f"not a marker table: expected the columns {HITS_COLUMNS}",
                                 line=line_no)  # fmt: skip
            if not set_sizes or 0 in set_sizes.values():
                raise InputError(path, "names no marker set (or a set of no markers)")
            first_row = line_no + 1
            for line_no, line in enumerate(handle, start=first_row):
                fields = line.rstrip("\n").split("\t")
                if len(fields) != len(HITS_COLUMNS):
                    raise InputError(path, f"expected {len(HITS_COLUMNS)} tab-separated columns",
                                     line=line_no)  # fmt: skip
                contig, _, marker, _, set_name, _ = fields
                if set_name not in set_sizes:
                    raise InputError(path, f"marker set {set_name!r} is not named in the header",
                                     contig, line_no)  # fmt: skip
                hits.setdefault(contig, []).append((set_name, marker))
    except UnicodeDecodeError:
        raise InputError(path, "not a marker table (not UTF-8 text)") from None
    return MarkerTable(set_sizes, hits)


def _sets_text(table: MarkerTable) -> str:
    return ", ".join(f"{name} ({n} markers)" for name, n in table.set_sizes.items())


def join_marker_tables(paths: Sequence[str | Path], output: str | Path) -> int:
    """Write the marker tables of a sample's chunks (``kmervae markers`` on each, in the
    chunks' order) as one table: the same as ``kmervae markers`` on the whole sample, since
    a contig's hits depend only on the contig. Every table must name the same marker sets.
    Returns the number of hits."""
    if not paths:
        raise ValueError("no marker table to join")
    first = None
    n_hits = 0
    with atomic_path(output) as tmp, open(tmp, "w", encoding="utf-8") as out:
        for path in paths:
            table = read_marker_table(path)  # checks the whole table before copying it
            if first is None:
                first = table
                out.write(set_header(first.set_sizes.items()))
                out.write(HITS_HEADER)
            elif table.set_sizes != first.set_sizes:
                raise InputError(path, f"names the marker sets {_sets_text(table)}, but "
                                 f"{paths[0]} names {_sets_text(first)}: tables of "
                                 "different marker sets cannot be joined")  # fmt: skip
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("#") or line == HITS_HEADER:
                        continue
                    out.write(line)
                    n_hits += 1
    return n_hits


def completeness_contamination(copies: Mapping[str, int], n_markers: int) -> tuple[float, float]:
    """CheckM's completeness and contamination (percent) from each marker's copy number."""
    found = sum(1 for c in copies.values() if c > 0)
    extra = sum(c - 1 for c in copies.values() if c > 1)
    return 100.0 * found / n_markers, 100.0 * extra / n_markers


def quality_label(completeness: float, contamination: float) -> str:
    """``high``, ``medium`` or ``low`` (MIMAG-like; see the module's docstring)."""
    for label, least_completeness, contamination_below in QUALITY_LEVELS:
        if completeness >= least_completeness and contamination < contamination_below:
            return label
    return "low"


@dataclass(frozen=True)
class BinQuality:
    completeness: float
    contamination: float
    marker_set: str  # "" when the bin has no marker

    @property
    def quality(self) -> str:
        return quality_label(self.completeness, self.contamination)

    def columns(self) -> dict[str, str]:
        """The bin summary's quality columns."""
        return {
            "completeness": f"{self.completeness:.1f}",
            "contamination": f"{self.contamination:.1f}",
            "quality": self.quality,
            "marker_set": self.marker_set,
        }


def bin_quality(contigs: Iterable[str], table: MarkerTable) -> BinQuality:
    """The quality of the bin of ``contigs``, judged with the set that fits it best."""
    copies: dict[str, Counter] = {name: Counter() for name in table.set_sizes}
    for contig in contigs:
        for set_name, marker in table.hits.get(contig, ()):
            copies[set_name][marker] += 1
    if not any(copies.values()):
        return BinQuality(0.0, 0.0, "")
    scored = [
        (*completeness_contamination(copies[name], n), order, name)
        for order, (name, n) in enumerate(table.set_sizes.items())
    ]
    completeness, contamination, _, name = min(scored, key=lambda s: (-s[0], s[1], s[2]))
    return BinQuality(completeness, contamination, name)
