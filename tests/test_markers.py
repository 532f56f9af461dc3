"""Marker genes: gene calling, the HMM search with its cut-offs, and bin quality.

Truths used: a hand-made open reading frame (its protein is known), the models' own
cut-offs moved above and below a known hit's score, CheckM's definitions worked by hand
on a hand-made hit table, and the demo's genomes (resources/demo/labels.tsv): single-copy
markers are single-copy in one genome, so the contigs of one genome show no
contamination, and two genomes together do; the archaeon (M. maripaludis) is judged with
the archaeal set, the bacteria with the bacterial one.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import random

import pytest
from conftest import REPO, run_kmervae, write_fasta

from kmervae.features.fasta import iter_fasta_records
from kmervae.markers.genes import Protein, call_genes, gc_content, nearest_models
from kmervae.markers.quality import (
    MarkerTable,
    bin_quality,
    completeness_contamination,
    quality_label,
    read_marker_table,
)
from kmervae.markers.search import MarkerSet, read_marker_sets, search_markers

DEMO = REPO / "resources" / "demo"
# genomes of the demo searched by the module's fixture (~2.1 Mbp: seconds)
GENOMES = ("hpylori_g27", "saureus_n315", "mmaripaludis_s2")


def _demo_contigs() -> dict[str, list[str]]:
    with open(DEMO / "labels.tsv") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    genomes: dict[str, list[str]] = {}
    for row in rows:
        genomes.setdefault(row["genome"], []).append(row["contig"])
    return genomes


def _write_index(path, records):
    path.write_text("contig\tlength\n" + "".join(f"{n}\t{len(s)}\n" for n, s in records))
    return path


@pytest.fixture(scope="module")
def demo_markers(tmp_path_factory):
    """The marker table of three demo genomes' contigs, from the command."""
    folder = tmp_path_factory.mktemp("markers")
    wanted = {c for g in GENOMES for c in _demo_contigs()[g]}
    records = [
        (r.name, r.bases().decode())
        for r in iter_fasta_records(DEMO / "demo.fna.gz")
        if r.name in wanted
    ]
    fasta = write_fasta(folder / "three.fna", records)
    index = _write_index(folder / "three.contigs.tsv", records)
    out = folder / "three.tsv"
    result = run_kmervae("markers", fasta, "--contigs", index, "-o", out, "--threads", "2")
    assert result.returncode == 0, result.stderr
    return read_marker_table(out), folder


# --- CheckM's figures and the quality label, by hand ---------------------------------


def test_completeness_and_contamination_by_hand():
    # 4 markers: m1 once, m2 three times, m3 twice, m4 absent -> 3 of 4 found,
    # 2 + 1 extra copies
    assert completeness_contamination({"m1": 1, "m2": 3, "m3": 2}, 4) == (75.0, 75.0)


def test_bin_quality_chooses_the_set_that_fits_best():
    table = MarkerTable(
        {"bac": 4, "arc": 5},
        {
            "c1": [("bac", "m1"), ("arc", "m1"), ("bac", "m2")],
            "c2": [("bac", "m2"), ("bac", "m3"), ("arc", "a2")],
            "c3": [("arc", "a3")],  # not in the bin
        },
    )
    q = bin_quality(["c1", "c2"], table)
    # bac: 3 of 4 found (75 %), m2 twice (25 %); arc: 2 of 5 (40 %)
    assert (q.completeness, q.contamination, q.marker_set) == (75.0, 25.0, "bac")
    assert q.quality == "low"
    assert q.columns() == {
        "completeness": "75.0", "contamination": "25.0", "quality": "low", "marker_set": "bac",
    }  # fmt: skip
    # equal completeness (50 % each): the lower contamination wins, whichever set is first
    table = MarkerTable(
        {"bac": 2, "arc": 2},
        {"c1": [("bac", "m1"), ("bac", "m1"), ("arc", "a1")]},
    )
    assert bin_quality(["c1"], table).marker_set == "arc"


def test_bin_without_markers_is_zero_complete_not_an_error():
    table = MarkerTable({"bac": 4}, {"c1": [("bac", "m1")]})
    q = bin_quality(["c9"], table)
    assert (q.completeness, q.contamination, q.marker_set, q.quality) == (0.0, 0.0, "", "low")


@pytest.mark.parametrize(
    ("completeness", "contamination", "label"),
    [
        (90.0, 4.9, "high"),
        (100.0, 5.0, "medium"),
        (89.9, 0.0, "medium"),
        (50.0, 9.9, "medium"),
        (50.0, 10.0, "low"),
        (49.9, 0.0, "low"),
    ],
)
def test_quality_label_thresholds(completeness, contamination, label):
    assert quality_label(completeness, contamination) == label


# --- gene calling ---------------------------------------------------------------------

# codons of no start (ATG, GTG, TTG) and no stop: the ORF below can start only at its ATG
_CODONS = [
    a + b + c
    for a in "ACGT"
    for b in "ACGT"
    for c in "ACGT"
    if a + b + c not in {"ATG", "GTG", "TTG", "TAA", "TAG", "TGA"}
]
_CODE = {
    codon: aa
    for codon, aa in zip(
        (a + b + c for a in "TCAG" for b in "TCAG" for c in "TCAG"),
        "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
        strict=True,
    )
}


def test_prodigal_finds_a_known_open_reading_frame():
    rng = random.Random(7)
    body = [rng.choice(_CODONS) for _ in range(300)]
    # a stop in frame upstream, a Shine-Dalgarno box, the ORF, a stop
    orf = "ATG" + "".join(body) + "TAA"
    flank = "".join(rng.choice("ACGT") for _ in range(300))
    contig = flank + "TAA" + "AGGAGGTAAAAC" + orf + flank
    proteins = call_genes("made_up", contig.encode())
    expected = "M" + "".join(_CODE[c] for c in body)
    assert expected in [p.sequence for p in proteins]
    # genes are named {contig}_{n}, n counting from 1 along the contig
    assert [p.gene for p in proteins] == [f"made_up_{n}" for n in range(1, len(proteins) + 1)]
    assert all(p.contig == "made_up" for p in proteins)


def test_a_contig_without_genes_gives_no_protein():
    assert call_genes("short", b"ACGTACGTAC" * 5) == []
    # CTAG is its own reverse complement and has a stop within 4 codons in every frame
    assert call_genes("stops", b"CTAG" * 750) == []
    assert call_genes("gap", b"N" * 3000) == []


def test_gc_content_by_hand():
    assert gc_content(b"GGCCAATN") == pytest.approx(4 / 7)  # N is not counted
    assert gc_content(b"gcAT") == 0.5
    assert gc_content(b"NNNN") == 0.0


@pytest.mark.parametrize("gc", [0.0, 0.31, 0.5, 0.63, 0.75])
def test_nearest_models_are_nearest_in_gc(gc):
    import pyrodigal

    model_gc = [b.training_info.gc for b in pyrodigal.METAGENOMIC_BINS]
    n_gc = round(gc * 1000)
    bases = b"G" * n_gc + b"A" * (1000 - n_gc)
    chosen = nearest_models(bases, 3)
    assert len(chosen) == 3 and list(chosen) == sorted(set(chosen))
    farthest_chosen = max(abs(model_gc[i] - gc) for i in chosen)
    others = [abs(model_gc[i] - gc) for i in range(len(model_gc)) if i not in chosen]
    assert min(others) >= farthest_chosen
    assert nearest_models(bases, 0) is None


def test_all_models_is_prodigals_own_metagenome_mode(demo_markers):
    """--gene-models 0 calls exactly the genes of Prodigal's metagenome mode; the default
    (3 nearest models) finds nearly all of them (the demo's three genomes)."""
    import pyrodigal

    _, folder = demo_markers
    meta = pyrodigal.GeneFinder(meta=True, mask=True)
    same = total = 0
    for record in iter_fasta_records(folder / "three.fna"):
        bases = record.bases()
        expected = [g.translate(include_stop=False) for g in meta.find_genes(bases)]
        assert [p.sequence for p in call_genes(record.name, bases, models=0)] == expected
        nearest = {p.sequence for p in call_genes(record.name, bases)}
        same, total = same + len(nearest & set(expected)), total + len(expected)
    # most of the rest differ only in the start codon chosen
    assert total > 1500 and same / total > 0.9


# --- the HMM search and its cut-offs ---------------------------------------------------


@pytest.fixture(scope="module")
def marker_sets():
    return read_marker_sets()


def test_shipped_sets(marker_sets):
    assert [(s.name, len(s.hmms)) for s in marker_sets] == [("archaea_76", 76), ("bacteria_71", 71)]
    assert all(h.cutoffs.trusted_available() for s in marker_sets for h in s.hmms)


def _one_model_hit(demo_markers, marker_sets, marker="Ribosomal_L2"):
    """A protein of the demo that is a copy of a bacterial marker, its model (a copy, free
    to change) and its hit."""
    table, folder = demo_markers
    contig = next(c for c, hits in table.hits.items() if ("bacteria_71", marker) in hits)
    record = next(r for r in iter_fasta_records(folder / "three.fna") if r.name == contig)
    proteins = call_genes(contig, record.bases())
    (bacteria,) = [s for s in marker_sets if s.name == "bacteria_71"]
    hmm = next(h for h in bacteria.hmms if h.name == marker).copy()
    (hit,) = search_markers(proteins, [MarkerSet("one", (hmm,))])
    protein = next(p for p in proteins if p.gene == hit.gene)
    return protein, hmm, hit


def test_hits_below_the_trusted_cutoff_are_dropped(demo_markers, marker_sets):
    protein, hmm, hit = _one_model_hit(demo_markers, marker_sets)
    assert hit.marker == "Ribosomal_L2" and hit.coverage >= 0.5
    hmm.cutoffs.trusted = (hit.score + 1, hit.score + 1)
    assert search_markers([protein], [MarkerSet("one", (hmm,))]) == []
    hmm.cutoffs.trusted = (hit.score - 1, 0.0)
    assert len(search_markers([protein], [MarkerSet("one", (hmm,))])) == 1


def test_a_fragment_covering_less_than_half_the_model_is_dropped(demo_markers, marker_sets):
    # SecY: one domain spanning the protein (306 positions)
    protein, hmm, hit = _one_model_hit(demo_markers, marker_sets, "SecY")
    assert hit.coverage > 0.9
    hmm.cutoffs.trusted = (1.0, 1.0)  # any score passes: coverage alone decides
    third = Protein(protein.contig, "fragment", protein.sequence[: len(protein.sequence) // 3])
    assert search_markers([protein], [MarkerSet("one", (hmm,))])
    assert search_markers([third], [MarkerSet("one", (hmm,))]) == []


def test_models_without_trusted_cutoffs_fall_back(demo_markers, marker_sets):
    protein, hmm, hit = _one_model_hit(demo_markers, marker_sets)
    hmm.cutoffs.trusted = None  # gathering cut-offs then
    hmm.cutoffs.gathering = (hit.score + 1, hit.score + 1)
    assert search_markers([protein], [MarkerSet("one", (hmm,))]) == []
    hmm.cutoffs.gathering = None  # E-value then: a real ribosomal protein passes 1e-10
    (fallback,) = search_markers([protein], [MarkerSet("one", (hmm,))])
    assert fallback.gene == hit.gene and fallback.score == pytest.approx(hit.score)


def test_a_model_in_two_sets_is_searched_once_and_counts_in_both(demo_markers, marker_sets):
    protein, hmm, hit = _one_model_hit(demo_markers, marker_sets)
    other = hmm.copy()
    other.cutoffs.trusted = (hit.score + 1, hit.score + 1)  # differs: a distinct model
    hits = search_markers([protein], [MarkerSet("a", (hmm,)), MarkerSet("b", (hmm.copy(),)),
                                      MarkerSet("c", (other,))])  # fmt: skip
    assert [(h.set, h.marker, h.score) for h in hits] == [
        ("a", hit.marker, hit.score),
        ("b", hit.marker, hit.score),
    ]


# --- the demo's genomes -------------------------------------------------------------


def test_one_genome_has_no_contamination_two_have(demo_markers):
    table, _ = demo_markers
    contigs = _demo_contigs()
    alone = {g: bin_quality(contigs[g], table) for g in GENOMES}
    assert alone["mmaripaludis_s2"].marker_set == "archaea_76"
    assert alone["hpylori_g27"].marker_set == "bacteria_71"
    assert alone["saureus_n315"].marker_set == "bacteria_71"
    for genome, q in alone.items():
        # the demo holds only ~700 kb of each genome: a fraction of its markers
        assert 5 < q.completeness < 60, genome
        assert q.contamination == 0, genome
    both = bin_quality(contigs["hpylori_g27"] + contigs["saureus_n315"], table)
    assert both.contamination > 0
    assert both.completeness > max(alone["hpylori_g27"].completeness,
                                   alone["saureus_n315"].completeness)  # fmt: skip


def test_markers_command_output_does_not_depend_on_threads_or_batches(
    demo_markers, tmp_path, monkeypatch
):
    from kmervae import cli
    from kmervae.commands import markers

    _, folder = demo_markers
    expected = (folder / "three.tsv").read_text()
    monkeypatch.setattr(markers, "BATCH_PROTEINS", 500)
    monkeypatch.setattr(markers, "BATCH_CONTIGS", 7)
    out = tmp_path / "batched.tsv"
    args = [folder / "three.fna", "--contigs", folder / "three.contigs.tsv", "-o", out]
    assert cli.main(["markers", *map(str, args), "--threads", "1"]) == 0
    assert out.read_text() == expected
    assert not list(tmp_path.glob(".partial.*"))


def test_chunk_tables_gathered_equal_the_whole_samples_table(demo_markers, tmp_path):
    """feature_chunks > 1: markers per chunk of records, then gather-markers, give the
    whole sample's table (here: its rows of the contigs chunked, the first 90 records, to
    keep the test short) byte for byte; tables naming other sets are refused."""
    from kmervae import cli

    _, folder = demo_markers
    records = [(r.name, r.bases().decode()) for r in iter_fasta_records(folder / "three.fna")]
    records = records[:90]
    chunked = {name for name, _ in records}
    whole = [
        line
        for line in (folder / "three.tsv").read_text().splitlines(keepends=True)
        if line.startswith(("#", "contig\t")) or line.split("\t", 1)[0] in chunked
    ]
    assert len(whole) > 6  # the chunks hold marker genes
    cuts = [0, 17, 45, len(records)]  # uneven, like bp-balanced chunks
    tables = []
    for i, (start, end) in enumerate(itertools.pairwise(cuts)):
        chunk = records[start:end]
        fasta = write_fasta(tmp_path / f"c{i}.fa", chunk)
        index = _write_index(tmp_path / f"c{i}.contigs.tsv", chunk)
        tables.append(tmp_path / f"c{i}.markers.tsv")
        args = ["markers", str(fasta), "--contigs", str(index), "-o", str(tables[-1])]
        assert cli.main(args) == 0
    out = tmp_path / "joined.tsv"
    assert cli.main(["gather-markers", "--tables", *map(str, tables), "-o", str(out)]) == 0
    assert out.read_text() == "".join(whole)

    other = tmp_path / "other.tsv"
    other.write_text(
        tables[1].read_text().replace("#set\tbacteria_71\t71", "#set\tbacteria_71\t70")
    )
    refused = tmp_path / "refused.tsv"
    args = ["gather-markers", "--tables", str(tables[0]), str(other), "-o", str(refused)]
    assert cli.main(args) != 0
    assert not refused.exists() and not list(tmp_path.glob(".partial.*"))


def test_sample_without_markers_gives_an_empty_table_and_a_warning(tmp_path):
    records = [("stops", "CTAG" * 750), ("gap", "N" * 3000)]
    fasta = write_fasta(tmp_path / "nothing.fna.gz", records)
    index = _write_index(tmp_path / "nothing.contigs.tsv", records)
    out = tmp_path / "nothing.tsv"
    result = run_kmervae("markers", fasta, "--contigs", index, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "no marker gene" in result.stderr and "WARNING" in result.stderr
    table = read_marker_table(out)
    assert table.hits == {} and table.set_sizes == {"archaea_76": 76, "bacteria_71": 71}
    assert bin_quality(["stops"], table).completeness == 0


def test_index_contig_missing_from_the_fasta_is_a_clear_error(tmp_path):
    fasta = write_fasta(tmp_path / "s.fna", [("a", "ACGT" * 500)])
    index = _write_index(tmp_path / "s.contigs.tsv", [("a", "ACGT" * 500), ("b", "A" * 9)])
    out = tmp_path / "s.tsv"
    result = run_kmervae("markers", fasta, "--contigs", index, "-o", out)
    assert result.returncode == 2
    assert f"file {fasta}, record 'b': contig of the index not found" in result.stderr
    assert not out.exists() and not list(tmp_path.glob(".partial.*"))


def test_marker_table_errors_name_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text(
        "#set\tbac\t4\ncontig\tgene\tmarker\tscore\tset\tcoverage\nc1\tg\tm\t1\tarc\t1\n"
    )
    with pytest.raises(Exception, match=r"bad\.tsv.*line 3|line 3.*bad\.tsv") as err:
        read_marker_table(bad)
    assert "arc" in str(err.value)
    gzip_like = tmp_path / "not_table.tsv"
    gzip_like.write_bytes(gzip.compress(b"x"))
    with pytest.raises(Exception, match=r"not_table\.tsv"):
        read_marker_table(gzip_like)


# --- the bin summary ------------------------------------------------------------------


def test_cluster_summary_gains_quality_from_the_marker_table(tmp_path, caplog):
    import numpy as np

    from kmervae import cli

    names = ["c1", "c2", "c3", "c4", "c5"]
    lengths = [5000, 4000, 3000, 2000, 1000]
    records = [(n, "A" * k) for n, k in zip(names, lengths, strict=True)]
    index = _write_index(tmp_path / "s.contigs.tsv", records)
    # two obvious groups: c1, c2, c3 and c4, c5
    z = np.array([[1, 0], [0.99, 0.05], [0.98, -0.05], [-1, 0], [-0.99, 0.05]], dtype=np.float32)
    np.save(tmp_path / "s.npy", z)
    table = tmp_path / "s.markers.tsv"
    table.write_text(
        "#set\tarc\t5\n#set\tbac\t4\ncontig\tgene\tmarker\tscore\tset\tcoverage\n"
        # bin 1: bac m1 twice, m2, m3 -> 3 of 4 = 75 %, 1 extra = 25 %; arc a1 -> 20 %
        "c1\tc1_1\tm1\t50.0\tbac\t0.9\nc1\tc1_2\tm2\t50.0\tbac\t0.9\n"
        "c1\tc1_2\ta1\t40.0\tarc\t0.9\nc2\tc2_1\tm1\t50.0\tbac\t0.9\n"
        "c3\tc3_4\tm3\t50.0\tbac\t0.9\n"
    )  # bin 2 (c4, c5) has no marker
    summary = tmp_path / "s.summary.tsv"
    argv = ["cluster", str(tmp_path / "s.npy"), "--index", str(index), "--markers", str(table)]
    argv += ["--clusters", str(tmp_path / "c.tsv"), "--summary", str(summary)]
    argv += ["--algorithm", "kmeans", "--k", "2", "--min-bin-size", "1000", "--sample", "s"]
    assert cli.main(argv) == 0
    lines = [line.split("\t") for line in summary.read_text().splitlines()]
    assert lines[0][-4:] == ["completeness", "contamination", "quality", "marker_set"]
    assert [row[-4:] for row in lines[1:]] == [
        ["75.0", "25.0", "low", "bac"],
        ["0.0", "0.0", "low", ""],
    ]
    assert "1 of 2 bins hold no marker gene" in caplog.text


def test_cluster_rejects_a_marker_table_of_other_contigs(tmp_path):
    import numpy as np

    index = _write_index(tmp_path / "s.contigs.tsv", [("c1", "A" * 5000)])
    np.save(tmp_path / "s.npy", np.ones((1, 2), dtype=np.float32))
    table = tmp_path / "other.tsv"
    table.write_text(
        "#set\tbac\t4\ncontig\tgene\tmarker\tscore\tset\tcoverage\nx9\tx9_1\tm1\t50\tbac\t1\n"
    )
    result = run_kmervae("cluster", tmp_path / "s.npy", "--index", index,
                         "--markers", table, "--clusters", tmp_path / "c.tsv")  # fmt: skip
    assert result.returncode == 2
    assert f"file {table}, record 'x9': contig not in the contig index" in result.stderr
    assert not (tmp_path / "c.tsv").exists()
