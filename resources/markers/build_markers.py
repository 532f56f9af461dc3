"""Rebuild the marker HMM files of this folder from anvi'o's source distribution on PyPI.

Run once by a maintainer (build time, never run time); the workflow only reads the files
this writes:

    python resources/markers/build_markers.py            # from PyPI, with pip
    python resources/markers/build_markers.py --sdist anvio-6.2.tar.gz   # from a copy

anvi'o 6.2 is only an sdist whose setup.py opens files in mode 'rU', which Python 3.11
refuses, so `pip download` cannot prepare its metadata; this script downloads it with a
sitecustomize that drops the 'U' (the file itself is not changed). The sha256 of the
sdist is checked, then for each set its ``genes.hmm.gz`` is copied byte for byte and its
``genes.txt`` (gene, Pfam accession, source) written beside it as ``{set}.genes.tsv``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE, VERSION = "anvio", "6.2"
SDIST_SHA256 = "62eae9f5018ef8f3643459eea0a9b5f63ce220db68a0f9d1bcb22f71cabf449a"
#: shipped name -> folder in the sdist
SETS = {"bacteria_71": "Bacteria_71", "archaea_76": "Archaea_76"}

_SHIM = """import builtins
_open = builtins.open
def _open_without_u(file, mode="r", *args, **kwargs):
    return _open(file, mode.replace("U", ""), *args, **kwargs)
builtins.open = _open_without_u
"""


def download(folder: Path) -> Path:
    shim = folder / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(_SHIM)
    env = {**os.environ, "PYTHONPATH": str(shim)}
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-build-isolation",
         f"{PACKAGE}=={VERSION}", "-d", str(folder)],
        check=True, env=env,
    )  # fmt: skip
    return folder / f"{PACKAGE}-{VERSION}.tar.gz"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract(sdist: Path) -> None:
    found = sha256(sdist)
    if found != SDIST_SHA256:
        sys.exit(f"{sdist}: sha256 {found}, expected {SDIST_SHA256}")
    with tarfile.open(sdist) as tar:
        for shipped, folder in SETS.items():
            inner = f"{PACKAGE}-{VERSION}/anvio/data/hmm/{folder}"
            hmm = tar.extractfile(f"{inner}/genes.hmm.gz").read()
            genes = tar.extractfile(f"{inner}/genes.txt").read()
            (HERE / f"{shipped}.hmm.gz").write_bytes(hmm)
            (HERE / f"{shipped}.genes.tsv").write_bytes(genes)
            models = gzip.decompress(hmm).count(b"\nNAME ") + gzip.decompress(hmm).startswith(
                b"NAME "
            )
            print(f"{shipped}: {models} models, sha256 {hashlib.sha256(hmm).hexdigest()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdist", type=Path, help="a copy of anvio-6.2.tar.gz")
    args = parser.parse_args()
    if args.sdist:
        extract(args.sdist)
        return
    with tempfile.TemporaryDirectory() as tmp:
        extract(download(Path(tmp)))


if __name__ == "__main__":
    main()
