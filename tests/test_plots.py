"""The embedding map and bin-size pictures (kmervae.binning.plots, kmervae plot) and the report
captions (workflow/report/*.rst)."""

from __future__ import annotations

import struct
import types
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from kmervae import cli
from kmervae.binning import plots
from kmervae.errors import InputError, KmervaeError

REPO = Path(__file__).resolve().parents[1]
N_PER_BIN = (40, 30, 20, 10)  # three bins and the unbinned contigs
LATENT = 16


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def make_sample(tmp_path: Path, n_per_bin=N_PER_BIN, seed: int = 3) -> dict[str, Path]:
    """Well-separated clusters in a 16-D embedding; last group unbinned; labels agree with
    the bins except that the unbinned contigs belong to a fourth genome."""
    rng = np.random.default_rng(seed)
    rows, bins, genomes = [], [], []
    for b, n in enumerate(n_per_bin):
        centre = np.zeros(LATENT)
        centre[b] = 30.0
        rows.append(centre + rng.normal(size=(n, LATENT)))
        last = b == len(n_per_bin) - 1
        bins += [plots.UNBINNED if last else f"s_bin{b + 1:04d}"] * n
        genomes += [f"genome_{b}"] * n
    emb = np.vstack(rows).astype(np.float32)
    n = len(emb)
    names = [f"contig_{i:03d}" for i in range(n)]
    lengths = rng.integers(1_000, 60_000, n)
    paths = {k: tmp_path / f"s.{k}" for k in ("npy", "index", "clusters", "labels")}
    np.save(paths["npy"], emb)
    paths["index"].write_text(
        "contig\tlength\n" + "".join(f"{c}\t{x}\n" for c, x in zip(names, lengths, strict=True))
    )
    # clusters in another order than the index: they are matched by name
    order = rng.permutation(n)
    paths["clusters"].write_text(
        "clustername\tcontigname\n" + "".join(f"{bins[i]}\t{names[i]}\n" for i in order)
    )
    # labels also list a contig that is not in the index (filtered out as too short)
    paths["labels"].write_text(
        "contig\tgenome\trecord\n"
        + "".join(f"{c}\t{g}\trec\n" for c, g in zip(names, genomes, strict=True))
        + "short_contig\tgenome_0\trec\n"
    )
    return paths


@pytest.fixture
def sample(tmp_path) -> dict[str, Path]:
    return make_sample(tmp_path)


def load(paths, labels: bool = True):
    contigs, lengths = plots.read_index(paths["index"])
    emb = plots.read_embedding(paths["npy"], len(contigs))
    bins = plots.read_clusters(paths["clusters"], contigs)
    genomes = plots.read_labels(paths["labels"], contigs) if labels else None
    return emb, lengths, bins, genomes


def run_plot(monkeypatch, *args) -> int:
    """``kmervae plot ...`` in this process, through the real command table."""
    return cli.main(["plot", *map(str, args)])


def plot_args(paths, out: Path, labels: bool = True) -> list:
    args = ["--embedding", paths["npy"], "--index", paths["index"]]
    args += ["--clusters", paths["clusters"], "--map", out / "map.png", "--bins", out / "bins.png"]
    return args + (["--labels", paths["labels"]] if labels else [])


# ---------------------------------------------------------------------------------
# Reading inputs
# ---------------------------------------------------------------------------------
def test_inputs_are_aligned_to_the_index(sample):
    emb, _, bins, genomes = load(sample)
    assert emb.dtype == np.float32 and emb.shape == (sum(N_PER_BIN), LATENT)
    # clusters were written shuffled; they come back in index order
    assert list(bins[:40]) == ["s_bin0001"] * 40
    assert list(bins[-10:]) == [plots.UNBINNED] * 10
    assert list(genomes[40:70]) == ["genome_1"] * 30


def test_contigs_without_labels_are_unlabelled(sample):
    text = sample["labels"].read_text().splitlines()
    sample["labels"].write_text("\n".join(text[:-12]) + "\n")  # drop the last contigs
    *_, genomes = load(sample)
    assert (genomes[-11:] == plots.UNLABELLED).all() and genomes[0] == "genome_0"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: np.save(p["npy"], np.zeros((99, LATENT), np.float32)), "99 rows but"),
        (lambda p: np.save(p["npy"], np.zeros(100, np.float32)), "expected a 2-D matrix"),
        (lambda p: np.save(p["npy"], np.full((100, 4), np.nan, np.float32)), "NaN"),
        (
            lambda p: p["clusters"].write_text(
                p["clusters"].read_text() + "s_bin0001\tnot_a_contig\n"
            ),
            "not in the contig index (first: 'not_a_contig')",
        ),
        (
            lambda p: p["clusters"].write_text(
                "\n".join(p["clusters"].read_text().splitlines()[:-1]) + "\n"
            ),
            "have no row",
        ),
        (
            lambda p: p["clusters"].write_text(
                p["clusters"].read_text() + "s_bin0002\tcontig_000\n"
            ),
            "contig assigned twice",
        ),
        (lambda p: p["clusters"].write_text("bin\tcontig\nb\tcontig_000\n"), "lacks column"),
        (lambda p: p["index"].write_text(""), "empty file"),
        (lambda p: p["index"].write_text("contig\tlength\nx\tlong\n"), "not a whole number"),
        (lambda p: p["labels"].write_text("contig\tgenome\nother\tg\n"), "no contig"),
        (
            lambda p: p["labels"].write_text(
                p["labels"].read_text() + "contig_000\tgenome_9\trec\n"
            ),
            "two different genomes",
        ),
    ],
)
def test_mismatched_inputs_are_clear_errors(sample, damage, message):
    damage(sample)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(sample)


def test_cli_error_exits_2_and_writes_nothing(sample, tmp_path, monkeypatch, capsys):
    np.save(sample["npy"], np.zeros((7, LATENT), np.float32))
    out = tmp_path / "out"
    assert run_plot(monkeypatch, *plot_args(sample, out)) == 2
    err = capsys.readouterr().err
    assert "kmervae plot: error:" in err and "7 rows but" in err and str(sample["npy"]) in err
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--top", "19"], "at most 18"), (["--map", "x.pdf"], "name it .png")],
)
def test_cli_rejects_bad_options(sample, tmp_path, monkeypatch, capsys, extra, message):
    assert run_plot(monkeypatch, *plot_args(sample, tmp_path), *extra) == 2
    assert message in capsys.readouterr().err


# ---------------------------------------------------------------------------------
# Projections and colours
# ---------------------------------------------------------------------------------
def test_pca_matches_scikit_learn():
    from sklearn.decomposition import PCA

    x = np.random.default_rng(0).normal(size=(300, 12)).astype(np.float32)
    x[:, 0] *= 5
    ours = plots.pca(x, batch_rows=64)  # several batches
    ref = PCA(2, svd_solver="full").fit(x)
    ref_points = ref.transform(x)
    for axis in range(2):
        a, b = ours.points[:, axis], ref_points[:, axis]
        assert np.allclose(np.abs(a), np.abs(b), atol=1e-3)  # same up to sign
    assert np.allclose(ours.explained, ref.explained_variance_ratio_, atol=1e-5)


def test_tsne_subsample_is_seeded_sorted_and_capped():
    a = plots.tsne_subsample(10_000, 500, seed=7)
    assert len(a) == 500 == len(np.unique(a)) and (np.diff(a) > 0).all()
    assert np.array_equal(a, plots.tsne_subsample(10_000, 500, seed=7))
    assert not np.array_equal(a, plots.tsne_subsample(10_000, 500, seed=8))
    assert np.array_equal(plots.tsne_subsample(300, 500, seed=7), np.arange(300))
    with pytest.raises(KmervaeError):
        plots.tsne_subsample(10, 0, seed=1)


def test_largest_bins_get_distinct_colours_the_rest_grey():
    lengths = np.array([5, 5, 3, 4, 2, 9, 1])
    groups = np.array(["a", "a", "b", "c", "d", plots.UNBINNED, "d"], dtype=object)
    c = plots.colour_groups(groups, lengths, top=2, rest=plots.UNBINNED, kind="bins")
    # by bp: a 10, c 4, b 3 = d 3 (tie broken by name): a and c are named
    assert list(c.named) == ["a", "c"]
    assert c.colours[0] == c.colours[1] != c.colours[3]
    assert c.colours[2] == c.colours[4] == plots.OTHER_COLOUR
    assert c.colours[5] == plots.UNBINNED_COLOUR
    assert plots.OTHER_COLOUR not in c.named.values()
    # greys drawn first, then the largest bin, then smaller ones on top
    assert list(c.order) == [5, 2, 4, 6, 0, 1, 3]
    assert [label.split(" ")[0] for label, _ in c.legend] == ["a", "c", "2", plots.UNBINNED]


def test_palette_has_no_greys_and_no_repeats():
    p = plots.palette()
    assert len(p) == len(set(p)) == plots.MAX_TOP
    assert all(len({round(v, 2) for v in to_rgb(c)}) > 1 for c in p)


# ---------------------------------------------------------------------------------
# The map
# ---------------------------------------------------------------------------------
def _pixel(fig, ax, xy) -> np.ndarray:
    """RGB (0..1) of the rendered figure at data point ``xy`` of ``ax``."""
    buffer = np.asarray(fig.canvas.buffer_rgba())
    x, y = ax.transData.transform(xy)
    return buffer[round(buffer.shape[0] - y), round(x), :3] / 255.0


def test_map_colours_points_by_bin(sample):
    emb, lengths, bins, _ = load(sample, labels=False)
    fig, data = plots.map_figure(emb, lengths, bins, tsne_iterations=250, seed=1)
    fig.canvas.draw()
    ax_pca, ax_tsne = fig.axes[:2]
    assert len(fig.axes) == 2  # two panels; the legend lives on the t-SNE axes
    # the scatter's colours follow the bins in drawing order
    faces = ax_pca.collections[0].get_facecolors()[:, :3]
    drawn = bins[data.bins.order]
    for b in ("s_bin0001", "s_bin0002", "s_bin0003"):
        assert np.allclose(faces[drawn == b], to_rgb(data.bins.named[b]))
    assert np.allclose(faces[drawn == plots.UNBINNED], to_rgb(plots.UNBINNED_COLOUR))
    assert len({data.bins.named[b] for b in data.bins.named}) == 3
    # and the rendered pixels at each bin's centre (clusters are well separated) are
    # that bin's colour, not another's
    for points, ax, rows in (
        (data.pca.points, ax_pca, np.arange(len(bins))),
        (data.tsne.points, ax_tsne, data.tsne_rows),
    ):
        for b, colour in data.bins.named.items():
            inside = bins[rows] == b
            centre_row = np.argmin(
                np.linalg.norm(points[inside] - np.median(points[inside], axis=0), axis=1)
            )
            pixel = _pixel(fig, ax, points[inside][centre_row])
            candidates = {
                name: 1 - 0.8 * (1 - np.array(to_rgb(c)))  # alpha 0.8 over white, roughly
                for name, c in data.bins.named.items()
            }
            nearest = min(candidates, key=lambda n: np.abs(candidates[n] - pixel).sum())
            assert nearest == b, (b, colour, pixel)
    # legend names the bins with their sizes
    legend = [t.get_text() for t in ax_tsne.get_legend().get_texts()]
    assert legend[0].startswith("s_bin0001 (") and "40 contigs" in legend[0]
    assert legend[-1].startswith(f"{plots.UNBINNED} (")


def test_map_labels_row_only_with_labels(sample):
    emb, lengths, bins, genomes = load(sample)
    without, _ = plots.map_figure(emb, lengths, bins, tsne_iterations=250)
    with_labels, data = plots.map_figure(emb, lengths, bins, genomes, tsne_iterations=250)
    assert png_size(plots.png_bytes(without)) == (1500, 600)
    assert png_size(plots.png_bytes(with_labels)) == (1500, 1200)
    titles = [ax.get_title() for ax in with_labels.axes]
    assert sum("true genome" in t for t in titles) == 2
    assert not any("true genome" in ax.get_title() for ax in without.axes)
    # the labels row has its own colours: four genomes, none unlabelled
    assert set(data.genomes.named) == {f"genome_{i}" for i in range(4)}


def test_map_tsne_panel_uses_the_capped_subsample(sample):
    emb, lengths, bins, _ = load(sample)
    fig, data = plots.map_figure(
        emb, lengths, bins, max_tsne_points=50, seed=5, tsne_iterations=250
    )
    assert data.tsne.points.shape == (50, 2)
    assert np.array_equal(data.tsne_rows, plots.tsne_subsample(100, 50, 5))
    assert len(fig.axes[1].collections[0].get_offsets()) == 50
    assert len(fig.axes[0].collections[0].get_offsets()) == 100
    assert "t-SNE of 50 of 100 contigs (random, seed 5)" in fig.axes[1].get_title()
    assert "PCA of all 100 contigs" in fig.axes[0].get_title()


def test_map_with_too_few_contigs_for_tsne(tmp_path):
    paths = make_sample(tmp_path, n_per_bin=(2, 1))
    emb, lengths, bins, _ = load(paths, labels=False)
    fig, data = plots.map_figure(emb, lengths, bins)
    assert data.tsne is None
    assert "too few contigs for t-SNE" in fig.axes[1].texts[0].get_text()


# ---------------------------------------------------------------------------------
# Bin sizes
# ---------------------------------------------------------------------------------
def test_bins_figure_ranks_bins_and_draws_the_threshold(sample):
    _, lengths, bins, _ = load(sample)
    bp = {b: int(lengths[bins == b].sum()) for b in set(bins) - {plots.UNBINNED}}
    threshold = sorted(bp.values())[1]  # the smallest bin is below it
    fig = plots.bins_figure(bins, lengths, min_bin_size=threshold, top=2)
    ax = fig.axes[0]
    heights = [bar.get_height() for bar in ax.patches]
    assert heights == sorted(bp.values(), reverse=True)
    assert [bar.get_hatch() for bar in ax.patches] == [None, None, "///"]
    lines = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(lines) == 1 and lines[0].get_ydata()[0] == threshold
    assert ax.get_yscale() == "log"
    # the two largest bins keep their map colours, the third is grey
    named = plots.colour_groups(bins, lengths, 2, plots.UNBINNED, "bins").named
    faces = [bar.get_facecolor()[:3] for bar in ax.patches]
    ranked = sorted(bp, key=lambda b: -bp[b])
    assert np.allclose(faces[0], to_rgb(named[ranked[0]]))
    assert np.allclose(faces[2], to_rgb(plots.OTHER_COLOUR))
    assert "2 of at least" in fig.get_suptitle()
    assert png_size(plots.png_bytes(fig)) == (1100, 550)


def test_bins_figure_marks_each_bin_with_its_quality(sample, tmp_path):
    _, lengths, bins, _ = load(sample)
    bp = {b: int(lengths[bins == b].sum()) for b in set(bins) - {plots.UNBINNED}}
    ranked = sorted(bp, key=lambda b: -bp[b])
    summary = tmp_path / "s.summary.tsv"
    summary.write_text(
        "bin\tbp\tcompleteness\tquality\n"
        f"{ranked[0]}\t1\t10.0\tlow\n{ranked[1]}\t1\t95.0\thigh\n{ranked[2]}\t1\t60.0\tmedium\n"
    )
    quality = plots.read_bin_quality(summary)
    fig = plots.bins_figure(bins, lengths, quality=quality)
    ax = fig.axes[0]
    # one dot per bin, above its bar (x = rank), coloured by its label
    dots = {}
    for collection in ax.collections:
        for (x, y), colour in zip(
            collection.get_offsets(), collection.get_facecolors(), strict=False
        ):
            dots[int(x)] = (y, tuple(colour[:3]))
    assert sorted(dots) == [1, 2, 3]
    for rank, label in ((1, "low"), (2, "high"), (3, "medium")):
        y, colour = dots[rank]
        assert y > bp[ranked[rank - 1]]
        assert np.allclose(colour, to_rgb(plots.QUALITY_COLOURS[label]))
    summary.write_text("bin\tbp\nb1\t1\n")
    with pytest.raises(KmervaeError, match="quality"):
        plots.read_bin_quality(summary)


def test_bins_figure_without_bins():
    lengths = np.array([1000, 2000])
    fig = plots.bins_figure(np.array([plots.UNBINNED] * 2, dtype=object), lengths)
    assert "no bins" in fig.get_suptitle()


# ---------------------------------------------------------------------------------
# The command: outputs and reproducibility
# ---------------------------------------------------------------------------------
def test_cli_writes_identical_pngs_twice(sample, tmp_path, monkeypatch):
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        args = [*plot_args(sample, out), "--max-tsne-points", "60", "--seed", "9"]
        assert run_plot(monkeypatch, *args) == 0
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert sorted(outputs[0]) == ["bins.png", "map.png"]  # no temporary files left
    assert outputs[0] == outputs[1]
    assert png_size(outputs[0]["map.png"]) == (1500, 1200)
    assert b"Software" not in outputs[0]["map.png"] and b"tIME" not in outputs[0]["map.png"]


def test_cli_help_describes_the_options():
    import argparse

    from kmervae.commands import plot

    parser = argparse.ArgumentParser()
    plot.add_arguments(parser)
    text = parser.format_help()
    for option in ("--embedding", "--index", "--clusters", "--labels", "--map", "--bins"):
        assert option in text
    required = "--embedding e --index i --clusters c --map m.png --bins b.png"
    args = parser.parse_args(required.split())
    assert (args.min_bin_size, args.max_tsne_points, args.seed) == (200_000, 5_000, 42)
    assert plot.__doc__.strip()


# ---------------------------------------------------------------------------------
# Report captions
# ---------------------------------------------------------------------------------
CAPTIONS = (
    "workflow",
    "training",
    "architecture",
    "map",
    "bins",
    "clusters",
    "bin_summary",
    "evaluation",
)


@pytest.mark.parametrize("config", [{}, {"min_contig_length": 2500, "vae": {"latent_dim": 64}}])
@pytest.mark.parametrize("name", CAPTIONS)
def test_report_caption_renders_without_warnings(name, config):
    """Rendered as Snakemake does (Jinja, then docutils), with warnings made errors; also
    with an empty config, since keys may be left out of the user's config."""
    from docutils.core import publish_parts
    from jinja2 import Environment, StrictUndefined

    text = (REPO / "workflow" / "report" / f"{name}.rst").read_text(encoding="utf-8")
    snakemake = types.SimpleNamespace(config=config)
    if name != "workflow":  # the front page is rendered with the config only
        snakemake.wildcards = types.SimpleNamespace(sample="demo")
    env = Environment(trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined)
    rendered = env.from_string(text).render(snakemake=snakemake, categories={}, files={})
    html = publish_parts(
        rendered, writer="html", settings_overrides={"halt_level": 2, "report_level": 2}
    )["html_body"]
    assert len(html) > 200 and "{" not in rendered
    if config and name in ("workflow", "architecture"):
        assert "64" in rendered
