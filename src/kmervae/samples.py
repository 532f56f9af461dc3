"""Which samples the workflow runs on: FASTA files in the input folder plus a samples table.

Every ``*.fa``, ``*.fasta`` or ``*.fna`` file (optionally ``.gz``) in the input folder is a
sample named after its file without those suffixes. A samples table (TSV with a header,
columns ``sample``, ``fasta`` and optionally ``labels``) may add files kept elsewhere.
Two files mapping to one sample name is an error, never a silent choice.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from kmervae.errors import InputError, KmervaeError, open_input

FASTA_SUFFIXES = (".fa", ".fasta", ".fna")
SAMPLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
SAMPLES_TABLE_COLUMNS = ("sample", "fasta")


@dataclass(frozen=True)
class Sample:
    name: str
    fasta: Path
    labels: Path | None = None


def sample_name(path: Path) -> str | None:
    """The sample name of a FASTA file name, or None if it is not a FASTA file name."""
    name = path.name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    for suffix in FASTA_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return None


def _check_name(name: str, source) -> None:
    if not SAMPLE_NAME.match(name):
        raise KmervaeError(
            f"{source}: sample name {name!r} must start with a letter or digit and hold only "
            "letters, digits, '.', '_' and '-'"
        )


def _add(samples: dict[str, Sample], sample: Sample, source) -> None:
    if sample.name in samples:
        other = samples[sample.name]
        raise KmervaeError(
            f"two files map to sample {sample.name!r}: {other.fasta} and {sample.fasta} "
            f"(from {source}); rename one of them"
        )
    samples[sample.name] = sample


def samples_in_folder(folder: str | os.PathLike) -> list[Sample]:
    folder = Path(folder)
    if not folder.is_dir():
        raise KmervaeError(f"input folder {folder} does not exist (config key input_dir)")
    found = []
    for path in sorted(folder.iterdir()):
        name = sample_name(path)
        if name is None or not path.is_file():
            continue
        _check_name(name, path)
        found.append(Sample(name, path))
    return found


def samples_in_table(table: str | os.PathLike) -> list[Sample]:
    table = Path(table)
    with open_input(table, "samples table (config key samples)", newline="") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    if not rows:
        return []
    header = [h.strip() for h in rows[0]]
    if tuple(header[:2]) != SAMPLES_TABLE_COLUMNS:
        raise InputError(table, f"header must start with 'sample<TAB>fasta', found {header}")
    has_labels = "labels" in header
    found = []
    for line_no, row in enumerate(rows[1:], start=2):
        if len(row) < 2 or not row[1].strip():
            raise InputError(table, "needs a sample name and a FASTA path", line=line_no)
        values = dict(zip(header, (v.strip() for v in row), strict=False))
        _check_name(values["sample"], f"{table} line {line_no}")
        labels = values.get("labels") if has_labels else None
        found.append(
            Sample(values["sample"], Path(values["fasta"]), Path(labels) if labels else None)
        )
    return found


def discover_samples(
    input_dir: str | os.PathLike | None, samples_table: str | os.PathLike | None = None
) -> dict[str, Sample]:
    """All samples, by name, in sorted order: the folder's FASTA files and the table's rows
    (none at all is not an error here: see :func:`no_samples_message`)."""
    samples: dict[str, Sample] = {}
    if input_dir:
        for sample in samples_in_folder(input_dir):
            _add(samples, sample, input_dir)
    if samples_table:
        for sample in samples_in_table(samples_table):
            _add(samples, sample, samples_table)
    return dict(sorted(samples.items()))


def no_samples_message(input_dir, samples_table) -> str:
    """What to tell a user whose configuration names no sample (the workflow then has
    nothing to do; `snakemake --lint` still works)."""
    where = f"no FASTA file (*.fa, *.fasta, *.fna, optionally .gz) in {input_dir}"
    if input_dir is None:
        where = "no input folder (config key input_dir)"
    table = f"no rows in samples table {samples_table}" if samples_table else "no samples table"
    return (
        f"no samples: {where} and {table}. Put your assemblies into the input folder, or "
        "list them in a samples table (config key samples); `make demo` runs the bundled "
        "demo sample."
    )


def name_pattern(names) -> str:
    """A regular expression that matches exactly the given sample names, for Snakemake's
    wildcard_constraints: each name is escaped, since a name may hold '.', which would
    otherwise match any character."""
    return "|".join(re.escape(name) for name in names)


def recorded_training_samples(provenance_path: str | os.PathLike) -> list[str] | None:
    """Names of the samples a trained model was trained on, from its provenance.json.

    The workflow names a sample's matrix ``{sample}.npy``; None if there is no model yet.
    """
    path = Path(provenance_path)
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    return [Path(item["path"]).name.removesuffix(".npy") for item in record["training_samples"]]


def choose_training_samples(
    samples: dict[str, Sample],
    configured: list[str] | None,
    provenance_path: str | os.PathLike,
) -> list[str]:
    """The samples the model is trained on.

    ``configured`` (config key train_samples) wins. Otherwise a model that already exists
    keeps the samples it was trained on, so that adding a sample embeds it with that model
    instead of retraining; with no model yet, every sample is used.
    """
    if configured:
        chosen = list(configured)
        unknown = [name for name in chosen if name not in samples]
        if unknown:
            raise KmervaeError(f"train_samples names unknown samples: {unknown}")
        return chosen
    recorded = recorded_training_samples(provenance_path)
    if recorded is None:
        return list(samples)
    missing = [name for name in recorded if name not in samples]
    if missing:
        raise KmervaeError(
            f"the model in {Path(provenance_path).parent} was trained on samples that are no "
            f"longer inputs: {missing}; set train_samples, or delete that folder to retrain"
        )
    return recorded
