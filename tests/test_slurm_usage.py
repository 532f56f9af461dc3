"""bench/slurm_usage.py's parsing of SLURM's and the executor plugin's text, checked
against hand-computed values (the sacct call itself needs a cluster: .ci/slurm-check)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import slurm_usage  # noqa: E402


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("00:00:06", 6),
        ("12:34", 12 * 60 + 34),
        ("01:02:03", 3723),
        ("2-01:00:00", 2 * 86400 + 3600),
        ("UNLIMITED", None),
        ("", None),
    ],
)
def test_seconds(text, expected):
    assert slurm_usage.seconds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500M", 500),
        ("152400K", 152400 / 1024),
        ("2G", 2048),
        ("9680Mn", 9680),
        ("1048576", 1),  # plain bytes
        ("", None),
        ("16?", None),
    ],
)
def test_mebibytes(text, expected):
    assert slurm_usage.mebibytes(text) == expected


def test_submitted_jobs_reads_rule_and_wildcards_from_the_log_path(tmp_path):
    log = tmp_path / "snakemake.log"
    log.write_text(
        "Select jobs to execute...\n"
        "Job 20 has been submitted with SLURM jobid 31 (log: /w/.snakemake/slurm_logs/"
        "rule_count_kmers/scale_20/31.log).\n"
        "Job 3 has been submitted with SLURM jobid 140 (log: /w/.snakemake/slurm_logs/"
        "rule_train_vae/140.log).\n"  # a rule without wildcards: no folder for them
        "Job 67 has been submitted with SLURM jobid 32 (log: /w/.snakemake/slurm_logs/"
        "rule_find_markers/scale_03/32.log).\n"
    )
    assert slurm_usage.submitted_jobs(log) == {
        "31": ("count_kmers", "scale_20"),
        "140": ("train_vae", ""),
        "32": ("find_markers", "scale_03"),
    }


def test_peak_pss_of_a_job_keyed_as_the_log_names_it(tmp_path):
    # the benchmark files (read by scale.read_benchmarks) give (rule, wildcards) as the
    # plugin's log path does: a folder per rule, or a file of the rule's name
    (tmp_path / "benchmarks" / "cluster").mkdir(parents=True)
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\n"
    (tmp_path / "benchmarks" / "cluster" / "a.tsv").write_text(
        header + "9.5\t0:00:09\t120\t1\t1\t99.5\n"
    )
    (tmp_path / "benchmarks" / "train_vae.tsv").write_text(header + "60\t0:01:00\t900\t1\t1\t800\n")
    pss = {
        (j["step"], j["job"]): j["max_pss_mb"]
        for j in slurm_usage.read_benchmarks(tmp_path / "benchmarks")
    }
    assert pss[("cluster", "a")] == 99.5
    assert pss[("train_vae", "")] == 800
    assert ("cluster", "b") not in pss
