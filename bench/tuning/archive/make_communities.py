"""Build the tuning communities A and B (fixed seeds) under /tmp/kv-tune/.

A: 12 species, one strain each, ~1 Mbp per genome (seed 101).
B: A's 12 genomes + 3 extra strains of 2 species (S. aureus COL, USA300; K. pneumoniae
   NTUH-K2044), ~0.7 Mbp per genome (seed 202).
The demo community (resources/demo) is the third one.

    .venv/bin/python bench/tuning/make_communities.py [OUTDIR]
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from genomes import genome_paths  # noqa: E402
from synthetic import make_community  # noqa: E402

A = [
    "ecoli_k12_mg1655",
    "kpneumoniae_hs11286",
    "vcholerae_n16961",
    "rdenitrificans_och114",
    "bjaponicum_usda110",
    "hpylori_g27",
    "saureus_n315",
    "ssuis_sc84",
    "mtuberculosis_h37rv",
    "mmaripaludis_s2",
    "macetivorans_c2a",
    "tkodakarensis_kod1",
]
B = [*A, "saureus_col", "saureus_usa300_fpr3757", "kpneumoniae_ntuh_k2044"]

if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/kv-tune")
    out.mkdir(parents=True, exist_ok=True)
    paths = genome_paths()
    for name, ids, bp, seed in [("A", A, 1_000_000, 101), ("B", B, 700_000, 202)]:
        contigs = make_community(
            {g: paths[g] for g in ids},
            out / f"{name}.fna.gz",
            out / f"{name}.labels.tsv",
            rng_seed=seed,
            bp_per_genome=bp,
        )
        print(name, len(contigs), "contigs", sum(len(c) for c in contigs), "bp")
