"""Training speed and memory of ``kmervae.vae.training.train`` at the default architecture.

For each size (default 10,000 and 100,000 contigs) a synthetic float32 matrix with
realistic k-mer frequencies is written to disk (once; reused when present), and the
training runs a few epochs in a child process. Reported per size: seconds per epoch
(the first epoch includes graph tracing, so it is shown apart), contigs per second,
the fraction of step time spent reading data, and the child's peak RSS (from
``os.wait4``). Flat peak RSS from 10 k to 100 k contigs shows that matrices are
streamed, not loaded.

Data fraction: with one loader worker, batches are read by tf.data's prefetch thread
while the previous step computes, so the reading time (``load_seconds`` in
history.tsv) over the epoch time is an upper bound of the time steps wait for data.
With ``--measure-wait`` the smallest size is also trained with every batch served
from memory (no reading at all); 1 - t_memory / t_disk then estimates the real wait.

    .venv/bin/python bench/train_speed.py                 # 10 k and 100 k, 2 epochs
    .venv/bin/python bench/train_speed.py --sizes 10000 --plain   # without the contrastive term
    .venv/bin/python bench/train_speed.py --sizes 10000 --epochs 3 --measure-wait
    .venv/bin/python bench/train_speed.py --sizes 10000 --epochs 4 --cannot-links
    .venv/bin/python bench/train_speed.py --sizes 10000 --epochs 4 --vae contrastive_skip_nearest=8

``--cannot-links`` adds the marker cannot-link term (``cannot_link_weight`` 100, margin
0.5) with a made-up marker table of 120 markers on 20 random contigs each (the tune
communities have 118 markers on 2 or more training contigs): its cost is the extra rows
each batch embeds, whatever contigs they are.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from vae_options import vae_settings  # bench/, beside this script

# vae_testdata (synthetic feature rows) lives with the tests
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def random_view_sequences(matrix: Path) -> Path:
    """A view-sequence file of random bases for the contigs of ``matrix`` (once)."""
    import numpy as np

    from kmervae.features.layout import LAYOUT
    from kmervae.features.views import view_lengths
    from kmervae.npyio import MatrixReader, NpyRowWriter

    path = matrix.with_name(matrix.stem + ".view_sequences.npy")
    if path.exists():
        return path
    lengths = view_lengths(MatrixReader(matrix).column(LAYOUT.length_column))
    rng = np.random.default_rng(0)
    with NpyRowWriter(path, 1, np.uint8) as writer:
        for n in lengths.tolist():
            writer.write(rng.integers(0, 4, (n, 1), dtype=np.uint8))
    return path


def random_marker_table(matrix: Path) -> tuple[Path, Path]:
    """A contig index and a marker table of 120 markers on 20 random contigs each, for
    the contigs of ``matrix`` (once)."""
    import numpy as np

    from kmervae.features.matrix import INDEX_HEADER
    from kmervae.markers.quality import set_header
    from kmervae.markers.search import HITS_HEADER
    from kmervae.npyio import MatrixReader

    index = matrix.with_name(matrix.stem + ".contigs.tsv")
    table = matrix.with_name(matrix.stem + ".markers.tsv")
    if not table.exists():
        n = len(MatrixReader(matrix))
        index.write_text(INDEX_HEADER + "".join(f"c{i}\t1000\n" for i in range(n)))
        rng = np.random.default_rng(0)
        hits = [(int(c), m) for m in range(120) for c in rng.choice(n, 20, replace=False)]
        table.write_text(
            set_header([("bacteria_71", 71)])
            + HITS_HEADER
            + "".join(f"c{c}\tc{c}_1\tM{m}\t50.0\tbacteria_71\t1.000\n" for c, m in hits)
        )
    return index, table


def child(args) -> None:
    """Train on one matrix; print a JSON line with the per-epoch timings."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    import numpy as np

    from kmervae.vae import data as vae_data
    from kmervae.vae.config import VAEConfig
    from kmervae.vae.training import train

    if args.in_memory:
        # serve every batch from one pre-read block: the same compute, no reading
        real_read = vae_data.MatrixSource.read
        cache: dict = {}

        def read(self, rows):
            n = len(rows)
            if "block" not in cache or len(cache["block"]) < n:
                cache["block"] = real_read(self, np.arange(min(n, self.n_rows)))
            return cache["block"][:n].copy()

        vae_data.MatrixSource.read = read

    cfg = VAEConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        loader_workers=args.loader_workers,
        early_stopping_patience=0,
        max_train_contigs=0,  # every contig: this measures the rate per contig
        **({"contrastive_weight": 0.0} if args.plain else {}),
        **({"cannot_link_weight": 100.0, "cannot_link_margin": 0.5} if args.cannot_links else {}),
        **json.loads(args.vae_json),
    )
    markers = {}
    if args.cannot_links:
        index, table = random_marker_table(Path(args.matrix))
        markers = {"markers": [table], "indexes": [index]}
    # the synthetic matrix has no FASTA: its contigs' views are counted from random bases
    # of the contigs' lengths, the same counting work as real ones
    views = [] if args.plain else [random_view_sequences(Path(args.matrix))]
    t0 = time.perf_counter()
    result = train(
        [args.matrix], args.outdir, cfg, views=views, restart=True, plots=False, **markers
    )
    total = time.perf_counter() - t0
    prov = json.loads((Path(args.outdir) / "provenance.json").read_text())
    n_train = prov["n_train"]
    print(
        "RESULT "
        + json.dumps(
            {
                "n_train": n_train,
                "n_val": prov["n_val"],
                "parameters": prov["parameters"],
                "total_seconds": total,
                "epochs": [
                    {"seconds": r["seconds"], "load_seconds": r["load_seconds"]}
                    for r in result.history
                ],
            }
        ),
        flush=True,
    )


def run_child(matrix: Path, outdir: Path, args, in_memory=False) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--matrix",
        str(matrix),
        "--outdir",
        str(outdir),
        "--epochs",
        str(args.epochs),
        "--batch-size",
        str(args.batch_size),
        "--loader-workers",
        str(args.loader_workers),
    ]
    if in_memory:
        cmd.append("--in-memory")
    if args.plain:
        cmd.append("--plain")
    if args.cannot_links:
        cmd.append("--cannot-links")
    cmd += ["--vae-json", json.dumps(args.vae)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"training child failed with exit code {proc.returncode}")
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["peak_rss_mib"] = usage.ru_maxrss / 1024  # Linux: KiB
    return result


def summarise(n: int, r: dict) -> dict:
    ep = r["epochs"]
    later = ep[1:] or ep
    sec = sum(e["seconds"] for e in later) / len(later)
    load = sum(e["load_seconds"] for e in later) / len(later)
    return {
        "contigs": n,
        "train_contigs": r["n_train"],
        "first_epoch_s": round(ep[0]["seconds"], 2),
        "epoch_s": round(sec, 2),
        "contigs_per_s": round(r["n_train"] / sec, 1),
        "load_fraction": round(load / sec, 4),
        "peak_rss_mib": round(r["peak_rss_mib"], 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--loader-workers", type=int, default=1)
    p.add_argument("--workdir", type=Path, default=Path("/tmp/kmervae-bench"))
    p.add_argument("--measure-wait", action="store_true")
    p.add_argument(
        "--plain", action="store_true", help="contrastive_weight 0 (the seed's plain VAE)"
    )
    p.add_argument(
        "--cannot-links",
        action="store_true",
        help="with the marker cannot-link term (a made-up marker table)",
    )
    p.add_argument(
        "--vae",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="further VAE settings (YAML values), e.g. contrastive_skip_nearest=8",
    )
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--vae-json", default="{}", help=argparse.SUPPRESS)
    p.add_argument("--in-memory", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--matrix", help=argparse.SUPPRESS)
    p.add_argument("--outdir", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args)
        return
    args.vae = vae_settings(
        p, args.vae, ("epochs", "batch_size", "loader_workers", "max_train_contigs")
    )

    from vae_testdata import write_synthetic_matrix

    args.workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in args.sizes:
        matrix = args.workdir / f"synthetic_{n}.npy"
        if not matrix.exists():
            t0 = time.perf_counter()
            write_synthetic_matrix(matrix, n, n_genomes=50, seed=n)
            print(f"wrote {matrix} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        r = run_child(matrix, args.workdir / f"run_{n}", args)
        rows.append(summarise(n, r))
        print(json.dumps(rows[-1]), flush=True)
    if args.measure_wait:
        n = min(args.sizes)
        r = run_child(args.workdir / f"synthetic_{n}.npy", args.workdir / "run_mem", args, True)
        mem = summarise(n, r)
        disk = next(x for x in rows if x["contigs"] == n)
        wait = max(0.0, 1 - mem["epoch_s"] / disk["epoch_s"])
        print(
            json.dumps(
                {
                    "contigs": n,
                    "in_memory_epoch_s": mem["epoch_s"],
                    "estimated_wait_fraction": round(wait, 4),
                }
            )
        )
    print("\ncontigs  train  epoch1_s  epoch_s  contigs/s  load_frac  peak_RSS_MiB")
    for x in rows:
        print(
            f"{x['contigs']:>7}  {x['train_contigs']:>5}  {x['first_epoch_s']:>8}  "
            f"{x['epoch_s']:>7}  {x['contigs_per_s']:>9}  {x['load_fraction']:>9}  "
            f"{x['peak_rss_mib']:>12}"
        )


if __name__ == "__main__":
    main()
