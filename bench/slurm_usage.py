"""What the jobs of a SLURM run asked for against what they used, per rule.

After a run through ``profiles/slurm`` (for example ``bench/scale.py ... -- --workflow-profile
profiles/slurm ...``), reads which SLURM job ran which rule from the run's Snakemake log
(the executor plugin's "has been submitted with SLURM jobid N (log: .../rule_R/W/N.log)"
lines), asks ``sacct`` for each job's time limit, memory request, elapsed time, state and
MaxRSS (SLURM samples it every JobAcctGatherFrequency seconds, so short jobs have none),
adds each job's Snakemake benchmark file (``results/benchmarks/{rule}/{W}.tsv``: peak RSS
and PSS of the whole process tree), and prints a Markdown table, one row per rule:

    .venv/bin/python bench/slurm_usage.py WORK/snakemake.log --results WORK/results

Memory use is the benchmark's PSS (shared pages counted once: a forked process shares
the parent's) where there is one, else SLURM's MaxRSS. A rule whose jobs used more than
its request, or ran longer than its limit, is flagged; so is any job not COMPLETED.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from scale import read_benchmarks

#: the plugin's log path: .snakemake/slurm_logs/rule_{rule}/{wildcards}/{jobid}.log, the
#: wildcards folder absent for a rule without wildcards (train_vae)
SUBMITTED = re.compile(
    r"submitted with SLURM jobid (\d+) \(log: .*/rule_([^/]+)/(?:([^/]*)/)?\d+\.log\)"
)
SACCT_FIELDS = "JobID,Elapsed,Timelimit,ReqMem,MaxRSS,State,AllocCPUS"


def seconds(text: str) -> float | None:
    """SLURM's [D-]HH:MM:SS (or MM:SS) as seconds; None for UNLIMITED or empty."""
    if not text or text in ("UNLIMITED", "Partition_Limit"):
        return None
    days, _, clock = text.rpartition("-")
    parts = [float(p) for p in clock.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0.0)
    h, m, s = parts
    return (int(days) if days else 0) * 86400 + h * 3600 + m * 60 + s


def mebibytes(text: str) -> float | None:
    """SLURM's memory figures (``19284M``, ``152400K``, ``2G``, ``500Mn``) in MiB, the
    unit of sbatch --mem and of Snakemake's benchmark files."""
    m = re.fullmatch(r"([\d.]+)([KMGT]?)[nc]?", text or "")
    if not m:
        return None
    return float(m[1]) * {"": 2**-20, "K": 2**-10, "M": 1, "G": 2**10, "T": 2**20}[m[2]]


def submitted_jobs(log: Path) -> dict[str, tuple[str, str]]:
    """SLURM job id -> (rule, wildcards folder) from a Snakemake log."""
    jobs = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        m = SUBMITTED.search(line)
        if m:
            jobs[m[1]] = (m[2], m[3] or "")
    return jobs


def sacct(ids: list[str]) -> dict[str, dict]:
    """Per job id: its allocation's fields, MaxRSS the largest of its steps."""
    out = subprocess.run(
        ["sacct", "-P", "-n", "-j", ",".join(ids), f"--format={SACCT_FIELDS}"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    jobs: dict[str, dict] = {}
    for line in out.splitlines():
        row = dict(zip(SACCT_FIELDS.split(","), line.split("|"), strict=True))
        job, _, step = row["JobID"].partition(".")
        if not step:
            jobs[job] = {**row, "max_rss_mib": None}
        rss = mebibytes(row["MaxRSS"])
        if rss is not None and job in jobs:
            old = jobs[job]["max_rss_mib"]
            jobs[job]["max_rss_mib"] = rss if old is None else max(old, rss)
    return jobs


def _fmt(x, spec=",.0f") -> str:
    return "\u2013" if x is None else format(x, spec)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", type=Path, help="the run's Snakemake log")
    parser.add_argument("--results", type=Path, help="the run's results/ (benchmark files)")
    args = parser.parse_args(argv)
    submitted = submitted_jobs(args.log)
    if not submitted:
        raise SystemExit(f"{args.log}: no 'submitted with SLURM jobid' line")
    accounting = sacct(list(submitted))
    # peak PSS per (rule, wildcards), from the benchmark files the jobs wrote
    pss = {}
    if args.results is not None:
        for job in read_benchmarks(args.results / "benchmarks"):
            pss[(job["step"], job["job"])] = job["max_pss_mb"]
    rules: dict[str, list[dict]] = defaultdict(list)
    for job, (rule, wildcards) in submitted.items():
        row = accounting.get(job)
        if row is None:
            print(f"warning: job {job} ({rule}) not in sacct", file=sys.stderr)
            continue
        used = pss.get((rule, wildcards))
        if used is None:
            used = row["max_rss_mib"]
        rules[rule].append(
            {
                "state": row["State"].split()[0],
                "elapsed": seconds(row["Elapsed"]),
                "limit": seconds(row["Timelimit"]),
                "request": mebibytes(row["ReqMem"]),
                "used": used,
                "cpus": row["AllocCPUS"],
            }
        )
    print("| rule | jobs | not completed | CPUs | longest s | time limit s (least) | "
          "longest / limit | memory request MiB (least) | most memory used MiB | "
          "used / request |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    flagged = 0
    for rule, jobs in sorted(rules.items()):
        bad = sum(j["state"] != "COMPLETED" for j in jobs)
        done = [j for j in jobs if j["state"] == "COMPLETED"]
        longest = max((j["elapsed"] for j in done), default=None)
        time_ratio = max((j["elapsed"] / j["limit"] for j in done if j["limit"]), default=None)
        limit = min((j["limit"] for j in jobs if j["limit"]), default=None)
        request = min((j["request"] for j in jobs if j["request"]), default=None)
        used = max((j["used"] for j in done if j["used"] is not None), default=None)
        mem_ratio = max(
            (j["used"] / j["request"] for j in done if j["used"] and j["request"]),
            default=None,
        )
        flag = bad or (time_ratio or 0) > 1 or (mem_ratio or 0) > 1
        flagged += bool(flag)
        print(
            f"| {rule}{' **(!)**' if flag else ''} | {len(jobs)} | {bad} | "
            f"{','.join(sorted({j['cpus'] for j in jobs}))} | {_fmt(longest)} | {_fmt(limit)} | "
            f"{_fmt(time_ratio, '.2f')} | {_fmt(request)} | {_fmt(used)} | "
            f"{_fmt(mem_ratio, '.2f')} |"
        )
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
