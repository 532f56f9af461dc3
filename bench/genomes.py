"""Catalog of real bacterial and archaeal genomes shipped inside Debian example packages.

The table ``bench/genomes.tsv`` (committed) names, for each genome, the Debian package and
version it comes from, the file inside that package, its length and the sha256 of the sequence
file as shipped (after gzip/xz decompression; for a member of a tarball, of that member).

Usage::

    python bench/genomes.py fetch            # download + extract + verify every genome
    python bench/genomes.py path GENOME      # print the local FASTA path (fetches if needed)
    python bench/genomes.py list             # print the table
    python bench/genomes.py catalog          # maintainers: rebuild genomes.tsv from CANDIDATES

From Python (``bench/`` on ``sys.path``)::

    from genomes import genome_paths
    paths = genome_paths()                   # {genome_id: Path to a plain FASTA file}

Packages are fetched with ``apt-get download`` into ``bench/.cache/debs/`` and unpacked with
``dpkg -x`` into ``bench/.cache/root/``. Every genome is then written as a plain FASTA file to
``bench/.cache/fasta/{genome}.fna``: FASTA sources are copied byte for byte after
decompression (so the local file's sha256 equals the table's), GenBank sources are converted
(record = LOCUS name + DEFINITION, sequence upper-cased, 80 columns).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
CATALOG_TSV = BENCH_DIR / "genomes.tsv"
CACHE_DIR = Path(os.environ.get("KMERVAE_GENOME_CACHE", BENCH_DIR / ".cache"))

COLUMNS = [
    "genome",
    "species",
    "strain",
    "phylum",
    "package",
    "package_version",
    "path_in_package",
    "format",
    "n_records",
    "length_bp",
    "gc",
    "sha256",
    "note",
]

#: Separator between a tarball's path in the package and the member's path in the tarball.
TAR_SEP = "::"


@dataclass(frozen=True)
class Candidate:
    genome: str
    species: str
    strain: str
    phylum: str
    package: str
    path: str
    note: str = ""


_RAG = "usr/share/doc/ragout/examples"
_KLE = "usr/share/doc/kleborate/examples/data"
_CCT = "usr/share/doc/cct/examples/sample_projects"
_KMER_TAR = "usr/share/doc/kmer-examples/test_data.tar.gz"

# Phylum names are the classic ones (NCBI renamed them in 2021: Pseudomonadota, Bacillota,
# Actinomycetota, Campylobacterota was already the new name of Epsilonproteobacteria).
# fmt: off
CANDIDATES: list[Candidate] = [
    Candidate("ecoli_k12_mg1655", "Escherichia coli", "K-12 MG1655", "Proteobacteria",
              "ragout-examples", f"{_RAG}/E.Coli/references/MG1655-K12.fasta.gz"),
    Candidate("ecoli_dh1", "Escherichia coli", "DH1", "Proteobacteria",
              "ragout-examples", f"{_RAG}/E.Coli/references/DH1.fasta.gz",
              "K-12 derivative: nearly identical to ecoli_k12_mg1655"),
    Candidate("ecoli_536", "Escherichia coli", "536", "Proteobacteria",
              "bowtie-examples", "usr/share/doc/bowtie/examples/genomes/NC_008253.fna.gz"),
    Candidate("kpneumoniae_hs11286", "Klebsiella pneumoniae", "HS11286", "Proteobacteria",
              "kleborate-examples", f"{_KLE}/Klebs_HS11286.fna.xz",
              "chromosome + 6 plasmids"),
    Candidate("kpneumoniae_mgh78578", "Klebsiella pneumoniae", "MGH 78578", "Proteobacteria",
              "kleborate-examples", f"{_KLE}/MGH78578.fna.xz", "chromosome + 5 plasmids"),
    Candidate("kpneumoniae_ntuh_k2044", "Klebsiella pneumoniae", "NTUH-K2044", "Proteobacteria",
              "kleborate-examples", f"{_KLE}/NTUH-K2044.fna.xz", "chromosome + 1 plasmid"),
    Candidate("kpneumoniae_1084", "Klebsiella pneumoniae", "1084", "Proteobacteria",
              "kleborate-examples", f"{_KLE}/Klebs_Kp1084.fna.xz"),
    Candidate("vcholerae_n16961", "Vibrio cholerae", "O1 biovar El Tor N16961", "Proteobacteria",
              "ragout-examples", f"{_RAG}/V.Cholerae/references/O1_biovar.fasta.gz",
              "2 chromosomes"),
    Candidate("vcholerae_o395", "Vibrio cholerae", "O395", "Proteobacteria",
              "ragout-examples", f"{_RAG}/V.Cholerae/references/O395.fasta.gz", "2 chromosomes"),
    Candidate("vcholerae_h1", "Vibrio cholerae", "H1", "Proteobacteria",
              "ragout-examples", f"{_RAG}/V.Cholerae/references/H1.fasta.gz",
              "2 chromosomes (WGS scaffolds)"),
    Candidate("vcholerae_inaba_g4222", "Vibrio cholerae", "O1 Inaba G4222", "Proteobacteria",
              "ragout-examples", f"{_RAG}/V.Cholerae/references/O1_Inaba.fasta.gz",
              "2 chromosomes; ~2.1 kbp of N"),
    Candidate("rdenitrificans_och114", "Roseobacter denitrificans", "OCh 114", "Proteobacteria",
              "cct-examples",
              "usr/share/cct/lib/scripts/cgview_xml_builder/test_input/R_denitrificans.gbk",
              "GenBank; chromosome only (plasmids not shipped)"),
    Candidate("bjaponicum_usda110", "Bradyrhizobium japonicum", "USDA 110", "Proteobacteria",
              "cct-examples", f"{_CCT}/sample_project_3/reference_genome/NC_004463.gbk.gz",
              "GenBank"),
    Candidate("hpylori_g27", "Helicobacter pylori", "G27", "Campylobacterota",
              "ragout-examples", f"{_RAG}/H.Pylori/references/G27.fasta.gz"),
    Candidate("hpylori_els37", "Helicobacter pylori", "ELS37", "Campylobacterota",
              "ragout-examples", f"{_RAG}/H.Pylori/references/ELS37.fasta.gz"),
    Candidate("hpylori_puno120", "Helicobacter pylori", "Puno120", "Campylobacterota",
              "ragout-examples", f"{_RAG}/H.Pylori/references/Puno120.fasta.gz"),
    Candidate("hpylori_gambia94_24", "Helicobacter pylori", "Gambia94/24", "Campylobacterota",
              "ragout-examples", f"{_RAG}/H.Pylori/references/Gambia94_24.fasta.gz"),
    Candidate("hpylori_sjm180", "Helicobacter pylori", "SJM180", "Campylobacterota",
              "ragout-examples", f"{_RAG}/H.Pylori/references/SJM180.fasta.gz"),
    Candidate("saureus_n315", "Staphylococcus aureus", "N315", "Firmicutes",
              "ragout-examples", f"{_RAG}/S.Aureus/references/N315.fasta.gz"),
    Candidate("saureus_col", "Staphylococcus aureus", "COL", "Firmicutes",
              "ragout-examples", f"{_RAG}/S.Aureus/references/COL.fasta.gz"),
    Candidate("saureus_rf122", "Staphylococcus aureus", "RF122", "Firmicutes",
              "ragout-examples", f"{_RAG}/S.Aureus/references/RF122.fasta.gz"),
    Candidate("saureus_usa300_fpr3757", "Staphylococcus aureus", "USA300_FPR3757", "Firmicutes",
              "ragout-examples", f"{_RAG}/S.Aureus/references/USA300_FPR3757.fasta.gz"),
    Candidate("saureus_jkd6008", "Staphylococcus aureus", "JKD6008", "Firmicutes",
              "ragout-examples", f"{_RAG}/S.Aureus/references/JKD6008.fasta.gz"),
    Candidate("ssuis_sc84", "Streptococcus suis", "SC84", "Firmicutes",
              "abacas-examples", "usr/share/doc/abacas-examples/SS_SC84.dna.gz",
              "header is just 'all_bases', lower case; species from file name and abacas docs"),
    Candidate("mtuberculosis_h37rv", "Mycobacterium tuberculosis", "H37Rv", "Actinobacteria",
              "kmer-examples", f"{_KMER_TAR}{TAR_SEP}GCF_000195955.2_ASM19595v2_genomic.fna",
              "member of a tarball in the package"),
    Candidate("mleprae_tn", "Mycobacterium leprae", "TN", "Actinobacteria",
              "kmer-examples", f"{_KMER_TAR}{TAR_SEP}GCF_000195855.1_ASM19585v1_genomic.fna",
              "member of a tarball in the package"),
    Candidate("mmaripaludis_s2", "Methanococcus maripaludis", "S2", "Euryarchaeota",
              "cct-examples",
              f"{_CCT}/sample_project_2/comparison_genomes/Methanococcus_maripaludis.gbk.gz",
              "GenBank; archaeon"),
    Candidate("macetivorans_c2a", "Methanosarcina acetivorans", "C2A", "Euryarchaeota",
              "cct-examples",
              f"{_CCT}/sample_project_2/comparison_genomes/Methanosarcina_acetivorans.gbk.gz",
              "GenBank; archaeon"),
    Candidate("tkodakarensis_kod1", "Thermococcus kodakarensis", "KOD1", "Euryarchaeota",
              "cct-examples",
              f"{_CCT}/sample_project_2/comparison_genomes/Thermococcus_kodakaraensis.gbk.gz",
              "GenBank; archaeon"),
    Candidate("mthermautotrophicus_dh", "Methanothermobacter thermautotrophicus", "Delta H",
              "Euryarchaeota", "cct-examples",
              f"{_CCT}/sample_project_2/reference_genome/"
              "Methanobacterium_thermoautotrophicum.gbk.gz",
              "GenBank; archaeon"),
]
# fmt: on


# --------------------------------------------------------------------------------------------
# Table


def read_catalog(path: Path = CATALOG_TSV) -> list[dict[str, str]]:
    """Rows of ``genomes.tsv`` as dicts (all values are strings)."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _catalog_by_id(path: Path = CATALOG_TSV) -> dict[str, dict[str, str]]:
    return {row["genome"]: row for row in read_catalog(path)}


# --------------------------------------------------------------------------------------------
# Debian packages

_apt_updated = False


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)


def _apt_update() -> None:
    global _apt_updated
    if _apt_updated:
        return
    print("apt-get update", file=sys.stderr)
    proc = _run(["apt-get", "update"])
    if proc.returncode != 0:
        raise RuntimeError(f"apt-get update failed:\n{proc.stderr}")
    _apt_updated = True


def _find_deb(package: str, version: str | None) -> Path | None:
    debs = CACHE_DIR / "debs"
    if not debs.is_dir():
        return None
    for deb in sorted(debs.glob(f"{package}_*.deb")):
        if version is None or _deb_field(deb, "Version") == version:
            return deb
    return None


def _deb_field(deb: Path, field: str) -> str:
    proc = _run(["dpkg-deb", "-f", str(deb), field])
    if proc.returncode != 0:
        raise RuntimeError(f"dpkg-deb -f {deb} failed:\n{proc.stderr}")
    return proc.stdout.strip()


def download_package(package: str, version: str | None = None) -> Path:
    """Return the cached ``.deb`` of ``package`` (at ``version`` when given), downloading it.

    Tries ``apt-get download PKG=VERSION`` first; when that version is no longer in the
    archive, falls back to the current version (the sha256 check then tells whether the genome
    files are still the same).
    """
    deb = _find_deb(package, version)
    if deb is not None:
        return deb
    debs = CACHE_DIR / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    specs = [f"{package}={version}", package] if version else [package]
    errors = []
    for spec in specs:
        for attempt in range(2):
            proc = _run(["apt-get", "download", spec], cwd=debs)
            if proc.returncode == 0:
                break
            errors.append(f"apt-get download {spec}: {proc.stderr.strip()}")
            if attempt == 0 and not _apt_updated:
                _apt_update()
            else:
                break
        if proc.returncode == 0:
            if spec == package and version:
                print(
                    f"warning: {package}={version} not available, using current version",
                    file=sys.stderr,
                )
            deb = _find_deb(package, None if spec == package else version)
            if deb is not None:
                return deb
    raise RuntimeError("could not download package:\n" + "\n".join(errors))


def extract_package(deb: Path) -> Path:
    """``dpkg -x`` the package into the cache root (once per package file); return the root."""
    root = CACHE_DIR / "root"
    stamp = CACHE_DIR / "extracted" / (deb.name + ".done")
    if not stamp.exists():
        root.mkdir(parents=True, exist_ok=True)
        proc = _run(["dpkg", "-x", str(deb), str(root)])
        if proc.returncode != 0:
            raise RuntimeError(f"dpkg -x {deb} failed:\n{proc.stderr}")
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
    return root


# --------------------------------------------------------------------------------------------
# Sequence files


def _open_decompressed(path: Path) -> io.BufferedIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if path.suffix == ".xz":
        return lzma.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def read_shipped_bytes(root: Path, path_in_package: str) -> bytes:
    """The sequence file as shipped, decompressed (a tarball member is read from the tarball)."""
    if TAR_SEP in path_in_package:
        tar_path, member = path_in_package.split(TAR_SEP, 1)
        with tarfile.open(root / tar_path, "r:*") as tar:
            handle = tar.extractfile(member)
            if handle is None:
                raise FileNotFoundError(f"{member} is not a file in {tar_path}")
            return handle.read()
    with _open_decompressed(root / path_in_package) as handle:
        return handle.read()


def detect_format(data: bytes) -> str:
    head = data.lstrip()[:5]
    if head.startswith(b">"):
        return "fasta"
    if head.startswith(b"LOCUS"):
        return "genbank"
    raise ValueError(f"unknown sequence format starting with {head!r}")


def genbank_to_fasta(data: bytes, width: int = 80) -> bytes:
    """Convert (multi-record) GenBank text to FASTA: ``>LOCUS_NAME DEFINITION``, upper case."""
    out: list[str] = []
    name = definition = ""
    seq: list[str] = []
    in_seq = in_def = False
    for line in data.decode("ascii", errors="replace").splitlines():
        if line.startswith("LOCUS"):
            name = line.split()[1]
            definition = ""
            seq = []
            in_seq = in_def = False
        elif line.startswith("DEFINITION"):
            definition = line[10:].strip()
            in_def = True
        elif in_def and line.startswith(" "):
            definition += " " + line.strip()
        elif line.startswith("ORIGIN"):
            in_seq, in_def = True, False
        elif line.startswith("//"):
            sequence = "".join(seq).upper()
            out.append(f">{name} {definition}".rstrip())
            out.extend(sequence[i : i + width] for i in range(0, len(sequence), width))
            in_seq = False
        elif in_seq:
            seq.append("".join(ch for ch in line if ch.isalpha()))
        else:
            in_def = False
    return ("\n".join(out) + "\n").encode("ascii")


def fasta_stats(fasta: bytes) -> tuple[int, int, float]:
    """(number of records, total length, GC fraction among A/C/G/T) of FASTA bytes."""
    n_records = 0
    counts = dict.fromkeys(b"ACGT", 0)
    total = 0
    for line in fasta.splitlines():
        if line.startswith(b">"):
            n_records += 1
            continue
        line = line.strip().upper()
        total += len(line)
        for base in counts:
            counts[base] += line.count(base)
    acgt = sum(counts.values())
    gc = (counts[ord("G")] + counts[ord("C")]) / acgt if acgt else float("nan")
    return n_records, total, gc


def _fasta_path(genome: str) -> Path:
    return CACHE_DIR / "fasta" / f"{genome}.fna"


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def fetch_genome(row: dict[str, str], verify: bool = True) -> Path:
    """Make sure the plain FASTA of catalog ``row`` exists locally; return its path."""
    out = _fasta_path(row["genome"])
    ok_stamp = out.with_suffix(".sha256")
    if out.exists() and ok_stamp.exists() and ok_stamp.read_text().strip() == row["sha256"]:
        return out
    deb = download_package(row["package"], row["package_version"] or None)
    root = extract_package(deb)
    data = read_shipped_bytes(root, row["path_in_package"])
    digest = hashlib.sha256(data).hexdigest()
    if verify and digest != row["sha256"]:
        raise RuntimeError(
            f"{row['genome']}: sha256 mismatch for {row['package']}:{row['path_in_package']} "
            f"(expected {row['sha256']}, got {digest}; package {deb.name})"
        )
    fasta = data if detect_format(data) == "fasta" else genbank_to_fasta(data)
    _write_atomic(out, fasta)
    _write_atomic(ok_stamp, (digest + "\n").encode())
    return out


def genome_paths(genomes: list[str] | None = None, verify: bool = True) -> dict[str, Path]:
    """``{genome_id: local plain-FASTA path}`` for the catalog (or the named genomes).

    Downloads, extracts and (unless ``verify`` is false) sha256-checks whatever is not in the
    cache yet.
    """
    catalog = _catalog_by_id()
    wanted = list(catalog) if genomes is None else genomes
    unknown = [g for g in wanted if g not in catalog]
    if unknown:
        raise KeyError(f"not in {CATALOG_TSV.name}: {', '.join(unknown)}")
    return {genome: fetch_genome(catalog[genome], verify=verify) for genome in wanted}


# --------------------------------------------------------------------------------------------
# Maintainer: rebuild the table


def build_catalog(path: Path = CATALOG_TSV) -> list[dict[str, str]]:
    """Download the current packages, measure every candidate and (re)write ``genomes.tsv``."""
    rows = []
    for cand in CANDIDATES:
        deb = download_package(cand.package)
        root = extract_package(deb)
        data = read_shipped_bytes(root, cand.path)
        fmt = detect_format(data)
        fasta = data if fmt == "fasta" else genbank_to_fasta(data)
        n_records, length, gc = fasta_stats(fasta)
        rows.append(
            {
                "genome": cand.genome,
                "species": cand.species,
                "strain": cand.strain,
                "phylum": cand.phylum,
                "package": cand.package,
                "package_version": _deb_field(deb, "Version"),
                "path_in_package": cand.path,
                "format": fmt,
                "n_records": str(n_records),
                "length_bp": str(length),
                "gc": f"{gc:.4f}",
                "sha256": hashlib.sha256(data).hexdigest(),
                "note": cand.note,
            }
        )
        print(f"{cand.genome}\t{length}\t{n_records}", file=sys.stderr)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows


# --------------------------------------------------------------------------------------------
# CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_fetch = sub.add_parser("fetch", help="download, extract and verify genomes")
    p_fetch.add_argument("genomes", nargs="*", help="genome ids (default: all)")
    p_fetch.add_argument(
        "--no-verify", action="store_true", help="accept files whose sha256 differs"
    )
    p_path = sub.add_parser("path", help="print the local FASTA path of a genome")
    p_path.add_argument("genome")
    sub.add_parser("list", help="print the catalog")
    sub.add_parser("catalog", help="rebuild genomes.tsv from the current packages")
    sub.add_parser("clean", help="delete the cache folder")
    args = parser.parse_args(argv)

    if args.command == "fetch":
        paths = genome_paths(args.genomes or None, verify=not args.no_verify)
        for genome, path in paths.items():
            print(f"{genome}\t{path}")
    elif args.command == "path":
        print(genome_paths([args.genome])[args.genome])
    elif args.command == "list":
        print(CATALOG_TSV.read_text(), end="")
    elif args.command == "catalog":
        build_catalog()
    elif args.command == "clean":
        shutil.rmtree(CACHE_DIR, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
