"""Pictures of a sample's bins: a 2-D map of the embedding and the bin sizes.

The map shows the embedding in two projections side by side — PCA of all contigs and
t-SNE of a seeded random subsample — coloured by bin (the largest bins by bp in distinct
colours, the other bins and the unbinned contigs in two greys), point area growing with
contig length; with true labels a second row colours the same points by genome. The bin
picture ranks bins by bp on a log scale against the minimum bin size, with a dot above each
bin coloured by its marker-gene quality (high, medium, low) when the bin summary has one.

Everything is deterministic: the same inputs and seed give the same PNG bytes (no
timestamp or software version is written, and PCA, t-SNE and the BLAS/OpenMP thread
count are fixed).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kmervae.binning.clustering import DEFAULT_MIN_BIN_SIZE, UNBINNED, load_embedding
from kmervae.binning.clustering import read_clusters as clustering_read_clusters
from kmervae.binning.evaluation import read_labels as evaluation_read_labels
from kmervae.errors import InputError, KmervaeError, open_input
from kmervae.features.matrix import read_contig_index
from kmervae.npyio import AtomicOutput, atomic_outputs

UNLABELLED = "unlabelled"

DEFAULT_MAX_TSNE_POINTS = 5_000
DEFAULT_TOP = 15
DEFAULT_SEED = 42
#: PCA dimensions given to t-SNE (the usual denoising step before t-SNE)
TSNE_PCA_DIMS = 50

OTHER_COLOUR = "#c8c8c8"
UNBINNED_COLOUR = "#8c8c8c"
THRESHOLD_COLOUR = "#d62728"
#: dot above a bar by the bin's quality label (kmervae.markers.quality), best first
QUALITY_COLOURS = {"high": "#1a9850", "medium": "#f0a030", "low": "#7b3294"}
#: PNG written without the "Software" tag: bytes depend on the picture only
PNG_METADATA = {"Software": None}
MAP_ROW_SIZE = (15.0, 6.0)  # inches per row of the map, at DPI
BINS_SIZE = (11.0, 5.5)
DPI = 100


def palette() -> list[str]:
    """Distinct colours for the largest bins: tab10's strong colours, then tab20's light
    ones, greys left out (grey means "other bins" and "unbinned")."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    tab20 = [to_hex(c) for c in colormaps["tab20"].colors]
    strong, light = tab20[0::2], tab20[1::2]
    greys = {"#7f7f7f", "#c7c7c7"}
    return [c for c in strong + light if c not in greys]


MAX_TOP = 18  # len(palette())


# ---------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------
def read_index(path) -> tuple[np.ndarray, np.ndarray]:
    """Contig names (as an array) and lengths of a contig index, in row order."""
    names, lengths = read_contig_index(path)
    if not names:
        raise InputError(path, "the contig index lists no contigs")
    return np.asarray(names, dtype=object), lengths


#: The embedding and the clusters are read as `kmervae cluster` reads them.
read_embedding = load_embedding
read_clusters = clustering_read_clusters


def read_labels(path, contigs: np.ndarray) -> np.ndarray:
    """True genome of every contig of the index; ``unlabelled`` where the file has none.

    Rows for contigs outside the index (e.g. shorter than the minimum length) are ignored.
    """
    genomes, _ = evaluation_read_labels(path, list(contigs))
    if all(g is None for g in genomes):
        raise InputError(
            path, "no contig of the contig index is labelled (contig names do not match)"
        )
    return np.array([UNLABELLED if g is None else g for g in genomes], dtype=object)


# ---------------------------------------------------------------------------------
# Projections
# ---------------------------------------------------------------------------------
def _single_thread():
    from threadpoolctl import threadpool_limits

    # one BLAS/OpenMP thread: reproducible sums, and no crash of the bundled OpenBLAS on
    # large multi-threaded products
    return threadpool_limits(1)


@dataclass(frozen=True)
class Projection:
    points: np.ndarray  # (n, 2) float64
    explained: tuple[float, float]  # fraction of variance of each axis (PCA only)


def pca(x: np.ndarray, n_components: int = 2, batch_rows: int = 65_536) -> Projection:
    """PCA by the covariance matrix, accumulated in float64 over row batches.

    Memory stays at a few latent x latent matrices whatever the number of contigs. The
    sign of each axis is fixed (largest loading positive), so the picture is reproducible.
    """
    n, d = x.shape
    n_components = min(n_components, d)
    with _single_thread():
        mean = np.zeros(d)
        for start in range(0, n, batch_rows):
            mean += x[start : start + batch_rows].sum(axis=0, dtype=np.float64)
        mean /= n
        cov = np.zeros((d, d))
        for start in range(0, n, batch_rows):
            b = x[start : start + batch_rows].astype(np.float64) - mean
            cov += b.T @ b
        cov /= max(n - 1, 1)
        values, vectors = np.linalg.eigh(cov)
        order = np.argsort(values)[::-1][:n_components]
        values, vectors = np.clip(values[order], 0, None), vectors[:, order]
        flip = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(n_components)])
        vectors *= np.where(flip == 0, 1, flip)
        points = np.empty((n, n_components))
        for start in range(0, n, batch_rows):
            points[start : start + batch_rows] = (
                x[start : start + batch_rows].astype(np.float64) - mean
            ) @ vectors
    total = float(np.trace(cov))
    explained = values / total if total > 0 else np.zeros_like(values)
    return Projection(points, tuple(float(e) for e in explained[:2]))


def tsne_subsample(n: int, max_points: int, seed: int) -> np.ndarray:
    """Sorted row numbers of the contigs given to t-SNE: all, or ``max_points`` drawn
    without replacement by a generator seeded with ``seed``."""
    if max_points < 1:
        raise KmervaeError(f"the t-SNE point cap must be at least 1, got {max_points}")
    if n <= max_points:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=max_points, replace=False))


#: fewest points t-SNE is run on; below this the panel says so
MIN_TSNE_POINTS = 5


def tsne(x: np.ndarray, seed: int, max_iter: int = 1000) -> Projection:
    """2-D t-SNE (scikit-learn, Barnes-Hut, PCA-initialised, seeded) of the rows of ``x``,
    after a PCA to at most 50 dimensions; perplexity 30, or less for few points."""
    from sklearn.manifold import TSNE

    reduced = pca(x, min(TSNE_PCA_DIMS, x.shape[1])).points.astype(np.float32)
    perplexity = float(min(30.0, (len(x) - 1) / 3))
    model = TSNE(
        n_components=2,
        perplexity=perplexity,
        init="pca",
        learning_rate="auto",
        max_iter=max_iter,
        random_state=seed,
        n_jobs=1,
    )
    with _single_thread():
        points = model.fit_transform(reduced)
    return Projection(np.asarray(points, dtype=np.float64), (0.0, 0.0))


# ---------------------------------------------------------------------------------
# Colours
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Colouring:
    """Colours of the groups (bins or genomes): the ``top`` largest by bp are named."""

    colours: np.ndarray  # one colour per contig (hex strings)
    order: np.ndarray  # drawing order: greys first, then named groups, small to large
    legend: list[tuple[str, str]]  # (label, colour)
    named: dict[str, str]  # group -> colour, for the largest groups


def group_sizes(
    groups: np.ndarray, lengths: np.ndarray, exclude: str
) -> list[tuple[str, int, int]]:
    """(group, bp, contigs) of every group but ``exclude``, largest bp first (ties by name)."""
    sizes: dict[str, list[int]] = {}
    for g, length in zip(groups, lengths, strict=True):
        if g == exclude:
            continue
        s = sizes.setdefault(g, [0, 0])
        s[0] += int(length)
        s[1] += 1
    return sorted(((g, bp, n) for g, (bp, n) in sizes.items()), key=lambda t: (-t[1], t[0]))


def _bp(bp: int) -> str:
    return f"{bp / 1e6:.2f} Mb" if bp >= 100_000 else f"{bp / 1e3:.1f} kb"


def _round_bp(bp: float) -> str:
    """Tick label: 200 kb, 1 Mb, 2.5 Mb."""
    for unit, size in (("Mb", 1e6), ("kb", 1e3)):
        if bp >= size:
            return f"{bp / size:g} {unit}"
    return f"{bp:g} bp"


def colour_groups(
    groups: np.ndarray, lengths: np.ndarray, top: int, rest: str, kind: str
) -> Colouring:
    """Distinct colours for the ``top`` largest groups by bp, one grey for the other
    groups and a darker grey for ``rest`` (``unbinned`` or ``unlabelled``)."""
    top = min(top, MAX_TOP)
    ranked = group_sizes(groups, lengths, rest)
    named = {g: c for (g, _, _), c in zip(ranked[:top], palette(), strict=False)}
    colours = np.array([named.get(g, OTHER_COLOUR) for g in groups], dtype=object)
    is_rest = groups == rest
    colours[is_rest] = UNBINNED_COLOUR
    legend = [(f"{g} ({_bp(bp)}, {n:,} contigs)", named[g]) for g, bp, n in ranked[:top]]
    others = ranked[top:]
    if others:
        bp = sum(t[1] for t in others)
        n = sum(t[2] for t in others)
        legend.append((f"{len(others):,} other {kind} ({_bp(bp)}, {n:,} contigs)", OTHER_COLOUR))
    if is_rest.any():
        legend.append(
            (
                f"{rest} ({_bp(int(lengths[is_rest].sum()))}, {int(is_rest.sum()):,} contigs)",
                UNBINNED_COLOUR,
            )
        )
    # draw greys first, then the named groups from large to small, so that a small bin
    # is not hidden under a large one; the stable sort keeps row order within a group
    rank = {g: i for i, (g, _, _) in enumerate(ranked[:top])}
    key = np.array([-1 if g == rest else 1 + rank.get(g, -1) for g in groups])
    order = np.argsort(key, kind="stable")
    return Colouring(colours, order, legend, named)


def point_sizes(lengths: np.ndarray, n_points: int | None = None) -> np.ndarray:
    """Marker area (points^2) growing with log contig length: 3 at <= 1 kb, 21 at 10 kb,
    40 at >= 100 kb; scaled down by sqrt(2,000 / n_points) when a panel has more than
    2,000 points, so that dense maps stay readable."""
    lengths = np.asarray(lengths, dtype=np.float64)
    area = 3.0 + 37.0 * np.clip(np.log10(np.maximum(lengths, 1.0) / 1_000.0) / 2.0, 0.0, 1.0)
    n_points = len(lengths) if n_points is None else n_points
    return area * min(1.0, float(np.sqrt(2_000.0 / max(n_points, 1))))


# ---------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------
def _figure(size: tuple[float, float]):
    # a Figure without pyplot: no global state, no GUI backend, freed when dropped
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _scatter(ax, points, colouring: Colouring, sizes, rows=None) -> None:
    colours, order = colouring.colours, colouring.order
    if rows is not None:
        # rows of the subsample, in the global drawing order
        keep = np.zeros(len(colours), dtype=bool)
        keep[rows] = True
        position = np.full(len(colours), -1)
        position[rows] = np.arange(len(rows))
        order = order[keep[order]]
        ax.scatter(
            points[position[order], 0],
            points[position[order], 1],
            s=sizes[order],
            c=list(colours[order]),
            linewidths=0,
            alpha=0.8,
        )
        return
    ax.scatter(
        points[order, 0],
        points[order, 1],
        s=sizes[order],
        c=list(colours[order]),
        linewidths=0,
        alpha=0.8,
    )


def _legend(ax, colouring: Colouring, title: str) -> None:
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="o", linestyle="", markersize=7, color=c, label=label)
        for label, c in colouring.legend
    ]
    ax.legend(
        handles=handles,
        title=title,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        fontsize=8,
        title_fontsize=9,
        frameon=False,
    )


@dataclass
class MapData:
    """What the map is drawn from (kept for tests and for reuse)."""

    pca: Projection
    tsne: Projection | None
    tsne_rows: np.ndarray
    bins: Colouring
    genomes: Colouring | None


def map_figure(
    embedding: np.ndarray,
    lengths: np.ndarray,
    bins: np.ndarray,
    genomes: np.ndarray | None = None,
    *,
    sample: str = "",
    seed: int = DEFAULT_SEED,
    max_tsne_points: int = DEFAULT_MAX_TSNE_POINTS,
    top: int = DEFAULT_TOP,
    tsne_iterations: int = 1000,
):
    """The embedding map: (Figure, MapData). Row 1 by bin; row 2 by genome if given."""
    n, latent = embedding.shape
    rows = tsne_subsample(n, max_tsne_points, seed)
    pca_proj = pca(embedding)
    tsne_proj = (
        tsne(embedding[rows], seed, tsne_iterations) if len(rows) >= MIN_TSNE_POINTS else None
    )
    by_bin = colour_groups(bins, lengths, top, UNBINNED, "bins")
    by_genome = (
        None if genomes is None else colour_groups(genomes, lengths, top, UNLABELLED, "genomes")
    )
    rows_of_fig = [("bin", by_bin)] + ([("true genome", by_genome)] if by_genome else [])
    width, height = MAP_ROW_SIZE
    fig = _figure((width, height * len(rows_of_fig)))
    axes = fig.subplots(len(rows_of_fig), 2, squeeze=False)
    pca_sizes = point_sizes(lengths)
    tsne_sizes = point_sizes(lengths, len(rows))
    ex1, ex2 = pca_proj.explained
    for r, (what, colouring) in enumerate(rows_of_fig):
        ax_pca, ax_tsne = axes[r]
        _scatter(ax_pca, pca_proj.points, colouring, pca_sizes)
        ax_pca.set_title(f"PCA of all {n:,} contigs, coloured by {what}")
        ax_pca.set_xlabel(f"PC1 ({100 * ex1:.1f} % of variance)")
        ax_pca.set_ylabel(f"PC2 ({100 * ex2:.1f} % of variance)")
        if tsne_proj is None:
            ax_tsne.text(
                0.5,
                0.5,
                f"too few contigs for t-SNE ({n})",
                ha="center",
                va="center",
                transform=ax_tsne.transAxes,
            )
            ax_tsne.set_axis_off()
        else:
            _scatter(ax_tsne, tsne_proj.points, colouring, tsne_sizes, rows)
            shown = (
                f"all {n:,} contigs"
                if len(rows) == n
                else f"{len(rows):,} of {n:,} contigs (random, seed {seed})"
            )
            ax_tsne.set_title(f"t-SNE of {shown}, coloured by {what}")
            ax_tsne.set_xlabel("t-SNE 1")
            ax_tsne.set_ylabel("t-SNE 2")
        for ax in (ax_pca, ax_tsne):
            ax.tick_params(labelsize=8)
        _legend(ax_tsne, colouring, f"{what} (bp, contigs)")
    name = f"{sample}: " if sample else ""
    fig.suptitle(
        f"{name}VAE embedding ({latent} dimensions) of {n:,} contigs, "
        f"{int(lengths.sum()) / 1e6:,.1f} Mb; point area grows with contig length"
    )
    return fig, MapData(pca_proj, tsne_proj, rows, by_bin, by_genome)


def read_bin_quality(path) -> dict[str, str]:
    """bin -> quality label (high, medium, low) from a bin summary (kmervae cluster
    --summary, made with --markers)."""
    with open_input(path, "bin summary") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        if "bin" not in header or "quality" not in header:
            raise InputError(path, "no bin and quality columns: a bin summary made without "
                             "--markers?")  # fmt: skip
        name, label = header.index("bin"), header.index("quality")
        quality = {}
        for line_no, line in enumerate(handle, start=2):
            fields = line.rstrip("\n").split("\t")
            if len(fields) != len(header) or fields[label] not in QUALITY_COLOURS:
                raise InputError(path, f"expected {len(header)} columns and a quality of "
                                 f"{list(QUALITY_COLOURS)}", line=line_no)  # fmt: skip
            quality[fields[name]] = fields[label]
    return quality


def bins_figure(
    bins: np.ndarray,
    lengths: np.ndarray,
    *,
    min_bin_size: int = DEFAULT_MIN_BIN_SIZE,
    sample: str = "",
    top: int = DEFAULT_TOP,
    quality: dict[str, str] | None = None,
):
    """Bar chart of bin sizes (bp, log scale), largest first, with the minimum bin size.

    The ``top`` largest bins have the colours they have on the map; bins below the
    minimum are hatched. With ``quality`` (bin -> label, :func:`read_bin_quality`) a dot
    above each bar has the colour of its bin's label.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ranked = group_sizes(bins, lengths, UNBINNED)
    fig = _figure(BINS_SIZE)
    ax = fig.subplots()
    unbinned = bins == UNBINNED
    unbinned_text = (
        f"unbinned: {int(unbinned.sum()):,} contigs, {_bp(int(lengths[unbinned].sum()))}"
    )
    name = f"{sample}: " if sample else ""
    if not ranked:
        ax.text(0.5, 0.5, "no bins", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        fig.suptitle(f"{name}no bins ({unbinned_text})")
        return fig
    from matplotlib.patches import Patch

    named = colour_groups(bins, lengths, top, UNBINNED, "bins").named
    bp = np.array([t[1] for t in ranked], dtype=float)
    x = np.arange(1, len(ranked) + 1)
    big = bp >= min_bin_size
    colours = [named.get(g, OTHER_COLOUR) for g, _, _ in ranked]
    bars = ax.bar(x, bp, width=0.85 if len(ranked) > 1 else 0.5, color=colours, linewidth=0)
    for bar, ok in zip(bars, big, strict=True):
        if not ok:
            bar.set_hatch("///")
            bar.set_edgecolor("#ffffff")
    ax.set_yscale("log")
    handles = [Patch(color=palette()[0], label=f"{len(named)} largest bins, colours as on the map")]
    if quality:
        for label, colour in QUALITY_COLOURS.items():
            rows = [i for i, (g, _, _) in enumerate(ranked) if quality.get(g) == label]
            if rows:
                handles.append(
                    ax.scatter(x[rows], bp[rows] * 1.4, s=24, color=colour, zorder=3,
                               label=f"{label} quality (marker genes)")
                )  # fmt: skip
    if len(ranked) > len(named):
        handles.append(Patch(color=OTHER_COLOUR, label="other bins"))
    if min_bin_size > 0:
        handles.append(
            ax.axhline(
                min_bin_size,
                color=THRESHOLD_COLOUR,
                linestyle="--",
                linewidth=1.2,
                label=f"minimum bin size ({_round_bp(min_bin_size)})",
            )
        )
    if not big.all():
        handles.append(
            Patch(facecolor="#a0a0a0", hatch="///", edgecolor="#ffffff", label="below the minimum")
        )
    span = [bp.min(), bp.max()] + ([min_bin_size] if min_bin_size > 0 else [])
    ax.set_ylim(min(span) / 2, max(span) * 2)
    ax.set_xlim(0.3, len(ranked) + 0.7)
    ax.set_ylabel("bin size (log scale)")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _round_bp(v)))
    ax.yaxis.set_minor_formatter(NullFormatter())
    if len(ranked) <= 40:
        ax.set_xticks(x, [t[0] for t in ranked], rotation=90, fontsize=7)
        ax.set_xlabel("bin (largest first)")
    else:
        ax.set_xlabel(f"bins ranked by size (1 = largest; {len(ranked):,} bins)")
    ax.legend(handles=handles, loc="upper right", fontsize=9, frameon=True, framealpha=0.9)
    ax.grid(axis="y", which="major", color="#e0e0e0", linewidth=0.6)
    ax.set_axisbelow(True)
    fig.suptitle(
        f"{name}{len(ranked):,} bins, {int(big.sum()):,} of at least {_round_bp(min_bin_size)} "
        f"({_bp(int(bp[big].sum()))}); {unbinned_text}"
    )
    return fig


# ---------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------
def png_bytes(fig) -> bytes:
    """The figure as PNG, without metadata that changes between runs."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata=PNG_METADATA)
    return buffer.getvalue()


class _BytesOutput(AtomicOutput):
    def write(self, data: bytes) -> None:
        self._handle.write(data)


def write_pngs(figures: dict[str | os.PathLike, object]) -> None:
    """Write each figure to its path; all appear together (temporary name, then rename)."""
    data = {Path(p): png_bytes(fig) for p, fig in figures.items()}
    outputs = [_BytesOutput(p) for p in data]
    with atomic_outputs(*outputs):
        for out in outputs:
            out.write(data[out.path])
