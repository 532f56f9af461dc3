"""The binning-quality benchmark keeps working: its --tiny run on committed demo data."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_tiny_benchmark_runs_the_workflow_and_scores_every_method(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "quality" / "run.py"),
            "--tiny",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with open(tmp_path / "results.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    methods = {row["method"].split(" (")[0] for row in rows}
    assert methods == {"kmervae", "raw TNF"}
    # every matrix clustered both ways: plain Leiden and marker-guided (the workflow's
    # own bins are one of the two, kmervae cluster makes the other)
    guided = sorted(row["method"] for row in rows if row["method"].endswith("+ marker-guided"))
    assert [m.split(" (")[0] for m in guided] == ["kmervae", "raw TNF"]
    assert len(rows) == 4
    for row in rows:
        assert row["community"] == "demo3_150k"
        assert 0 <= float(row["ari"]) <= 1 and 0 <= float(row["nmi"]) <= 1
        assert 0 <= int(row["near_complete"]) <= 3
        assert float(row["fraction_bp_binned"]) > 0
    # the three demo genomes, each about 150 kbp, with their labels
    labels = (tmp_path / "communities" / "demo3_150k" / "labels.tsv").read_text().splitlines()
    genomes = {line.split("\t")[1] for line in labels[1:]}
    assert genomes == {"ecoli_k12_mg1655", "mtuberculosis_h37rv", "saureus_n315"}
    assert "| demo3_150k | kmervae" in (tmp_path / "table.md").read_text()


def _separability():
    sys.path.insert(0, str(REPO / "bench" / "quality"))
    import separability

    return separability


def test_same_genus_pairs_read_the_genus_after_candidatus_and_leave_out_phages():
    sep = _separability()
    assert sep.genus("Candidatus Hepatoplasma vulgare") == "Hepatoplasma"
    ids = {"ccrescentus_cb15", "csegnis_atcc21756", "caulobacter_k31", "ecoli_k12_mg1655",
           "phage_ecml117", "hcrinochetorum_av", "hvulgare_avjp"}  # fmt: skip
    # E. coli's phage ("Escherichia phage ECML-117") is no species of Escherichia
    assert sorted(sep.same_genus_pairs(ids)) == [
        ("caulobacter_k31", "ccrescentus_cb15"),
        ("caulobacter_k31", "csegnis_atcc21756"),
        ("ccrescentus_cb15", "csegnis_atcc21756"),
        ("hcrinochetorum_av", "hvulgare_avjp"),
    ]


def test_pair_scores_tell_separated_species_from_mixed_ones():
    import numpy as np

    from kmervae.binning.clustering import normalize

    sep = _separability()
    rng = np.random.default_rng(7)
    truth = np.repeat([0, 1], 200)
    apart = rng.normal(size=(400, 8)) + 6.0 * truth[:, None]
    mixed = rng.normal(size=(400, 8))
    ari, accuracy = sep.pair_scores(normalize(apart), truth)
    assert ari > 0.95 and accuracy > 0.97
    ari, accuracy = sep.pair_scores(normalize(mixed), truth)
    assert abs(ari) < 0.05 and 0.35 < accuracy < 0.65
    # too few contigs of one genome for 5-fold cross-validation: no score, no crash
    ari, accuracy = sep.pair_scores(normalize(apart[195:]), truth[195:])
    assert np.isnan(ari) and np.isnan(accuracy)


def test_vae_settings_name_the_run_and_are_checked_before_anything_runs():
    sys.path.insert(0, str(REPO / "bench" / "quality"))
    import run

    args = run.parse_args(["--vae", "cannot_link_weight=100", "cannot_link_margin=0.2"])
    assert args.vae == {"cannot_link_weight": 100, "cannot_link_margin": 0.2}
    # runs cached before --vae keep their folder names; settings sort into the name
    assert run.kmervae_tag(40, 42) == "kmervae_e40_t42"
    assert run.kmervae_tag(40, 1, 10000, args.vae) == (
        "kmervae_e40_b10000_cannot_link_margin-0.2_cannot_link_weight-100_t1"
    )
    assert run.kmervae_label(40, None, {"cannot_link_weight": 100}) == (
        "kmervae (40 ep., cannot_link_weight 100)"
    )
    # a run that fine-tunes a base model is named apart from one that starts from scratch
    assert (
        run.kmervae_tag(40, 2, 10000, None, pretrained=True) == "kmervae_e40_b10000_pretrained_t2"
    )
    assert run.kmervae_label(40, 10000, None, pretrained=True) == (
        "kmervae (40 ep., 10,000 training contigs, pretrained)"
    )
    assert run.kmervae_tag(40, 2, None, None, self_training_epochs=0) == "kmervae_e40_st0_t2"
    assert run.kmervae_label(40, None, None, self_training_epochs=0) == (
        "kmervae (40 ep., no self-training)"
    )
    for bad in (["seed=3"], ["cannot_link_weight"], ["cannot_link_weight=x"], ["nokey=1"]):
        with pytest.raises(SystemExit):
            run.parse_args(["--vae", *bad])
