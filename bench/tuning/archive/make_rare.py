"""Community R: A's 12 genomes at ~1 Mbp + 3 rare genomes at ~120 kbp (2 species not in A,
plus V. cholerae O395, a second strain of a species in A)
(~25-30 contigs each, below --min-cluster-size 50), seed 303: does assigning every noise
contig to a centroid contaminate bins?    .venv/bin/python bench/tuning/make_rare.py"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from genomes import genome_paths  # noqa: E402
from make_communities import A  # noqa: E402
from synthetic import make_community  # noqa: E402

RARE = ["mleprae_tn", "mthermautotrophicus_dh", "vcholerae_o395"]
if __name__ == "__main__":
    out = Path("/tmp/kv-tune")
    paths = genome_paths()
    bp = {g: 1_000_000 for g in A} | {g: 120_000 for g in RARE}
    contigs = make_community(
        {g: paths[g] for g in bp},
        out / "R.fna.gz",
        out / "R.labels.tsv",
        rng_seed=303,
        bp_per_genome=bp,
    )
    print("R", len(contigs), "contigs")
