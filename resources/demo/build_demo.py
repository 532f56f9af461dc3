"""Rebuild the demo data set (``demo.fna.gz`` + ``labels.tsv``) from real genomes.

The genomes come from Debian example packages through the catalog in ``bench/genomes.tsv``
(``bench/genomes.py`` downloads, extracts and sha256-verifies them); they are cut into contigs
by :func:`synthetic.make_community` with a fixed seed, so a rebuild is byte-identical.

    python resources/demo/build_demo.py [--out-dir resources/demo]

Needs ``apt-get`` access to the Debian archive (the first time, to fetch the packages) and
``kmervae`` importable (installed, or ``PYTHONPATH=src``).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(1, str(REPO / "src"))

from genomes import genome_paths, read_catalog  # noqa: E402
from synthetic import make_community  # noqa: E402

#: One genome per species, five phyla (three bacterial, one archaeal, Proteobacteria twice).
DEMO_GENOMES = [
    "ecoli_k12_mg1655",  # Proteobacteria (Gammaproteobacteria), GC 50.8 %
    "vcholerae_n16961",  # Proteobacteria (Gammaproteobacteria), GC 47.5 %, 2 chromosomes
    "hpylori_g27",  # Campylobacterota, GC 38.9 %
    "saureus_n315",  # Firmicutes, GC 32.8 %
    "mtuberculosis_h37rv",  # Actinobacteria, GC 65.6 %
    "mmaripaludis_s2",  # Euryarchaeota (archaeon), GC 33.1 %
]
SEED = 20240601
BP_PER_GENOME = 700_000
LENGTHS = {"median": 3000, "sigma": 0.9, "min_length": 1000, "max_length": None}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=HERE)
    args = parser.parse_args(argv)

    paths = genome_paths(DEMO_GENOMES)
    fasta, labels = args.out_dir / "demo.fna.gz", args.out_dir / "labels.tsv"
    contigs = make_community(
        paths, fasta, labels, rng_seed=SEED, bp_per_genome=BP_PER_GENOME, **LENGTHS
    )

    catalog = {row["genome"]: row for row in read_catalog()}
    n = Counter(c.genome for c in contigs)
    bp = Counter()
    for c in contigs:
        bp[c.genome] += len(c)
    print("genome\tspecies\tphylum\tcontigs\tbp")
    for genome in DEMO_GENOMES:
        row = catalog[genome]
        print(f"{genome}\t{row['species']}\t{row['phylum']}\t{n[genome]}\t{bp[genome]}")
    print(f"total\t\t\t{len(contigs)}\t{sum(bp.values())}")
    for path in (fasta, labels):
        print(f"{sha256(path)}  {path.name}  ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
