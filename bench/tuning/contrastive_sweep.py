"""Sweep of VAE training settings (contrastive term, epochs, beta, ...) on labelled
communities: train, embed, cluster with the default settings, score; many runs in
parallel. Backend-agnostic (it ran on a GPU machine with KERAS_BACKEND=jax, where
TensorFlow was not installed); results are for choosing defaults, not bit-identical to
the TensorFlow CPU runs.

    python bench/tuning/contrastive_sweep.py --communities g10_1M_s1 g10_1M_s2 \
        --out OUT --workers 12 --deadline 420 [--data DIR]

Reads each community's NAME.fna.gz and labels.tsv from ``DATA/communities/NAME``
(``--data``: the folder bench/quality/run.py wrote); counts its own features and views
under OUT/work. Writes OUT/results.jsonl, one line per (variant, community, training seed).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "training"))
from common import add_data_option, community_folder  # also puts src/ on the path

BASE = {"epochs": 40}
VARIANTS = {
    "base": {},
    "plain": {"contrastive_weight": 0.0},
    "e20": {"epochs": 20},
    "e70": {"epochs": 70},
    "l300": {"contrastive_weight": 300.0},
    "l1000": {"contrastive_weight": 1000.0},
    "t0.2": {"contrastive_temperature": 0.2},
    "t1": {"contrastive_temperature": 1.0},
    "b0.3": {"beta": 0.3},
    "lat64": {"latent_dim": 64},
    "v0.5-0.9": {"view_min_fraction": 0.5, "view_max_fraction": 0.9},
    "group_bal": {"loss": "group_balanced"},
}


def settings_of(variant: str, seed: int) -> dict:
    return {**BASE, **VARIANTS[variant], "seed": seed}


def views_path(work: Path, community: str, cfg) -> Path:
    """The sequences of every contig of a community, from which training counts the
    views of any view settings (the communities are below any training budget)."""
    return work / f"{community}.view_sequences.npy"


def prepare(communities: list[Path], work: Path, variants, seeds) -> None:
    """Features and the view sequences the runs need (serial, before the pool)."""
    from kmervae.features.matrix import featurize
    from kmervae.features.views import write_view_sequences
    from kmervae.vae.config import VAEConfig

    work.mkdir(parents=True, exist_ok=True)
    for folder in communities:
        name = folder.name
        matrix = work / f"{name}.npy"
        if not matrix.exists():
            featurize(folder / f"{name}.fna.gz", matrix, work / f"{name}.contigs.tsv")
        for variant in variants:
            for seed in seeds:
                cfg = VAEConfig.from_dict(settings_of(variant, seed))
                path = views_path(work, name, cfg)
                if cfg.uses_views and not path.exists():
                    write_view_sequences(
                        folder / f"{name}.fna.gz", work / f"{name}.contigs.tsv", path
                    )


def run_one(folder: str, work: str, variant: str, seed: int, out: str) -> dict:
    import numpy as np
    from common import score

    from kmervae.binning.evaluation import read_labels
    from kmervae.features.matrix import read_contig_index
    from kmervae.vae.config import VAEConfig
    from kmervae.vae.embedding import embed_matrix
    from kmervae.vae.training import train

    folder, work = Path(folder), Path(work)
    name = folder.name
    cfg = VAEConfig.from_dict(settings_of(variant, seed))
    names, lengths = read_contig_index(work / f"{name}.contigs.tsv")
    genomes, _ = read_labels(folder / "labels.tsv", names)
    t0 = time.time()
    result = train(
        [work / f"{name}.npy"],
        Path(out) / "models" / f"{name}_{variant}_{seed}",
        cfg,
        views=[views_path(work, name, cfg)] if cfg.uses_views else [],
        plots=False,
    )
    embedding = result.outdir / "embedding.npy"
    embed_matrix(
        result.outdir / "vae.keras", work / f"{name}.npy", work / f"{name}.contigs.tsv", embedding
    )
    z = np.load(embedding)
    row = {
        "community": name,
        "variant": variant,
        "seed": seed,
        "epochs_run": len(result.history),
        "train_s": round(time.time() - t0, 1),
    }
    for pca in (16, 0):
        s = score(names, lengths, genomes, z, kmeans=bool(pca), pca_dims=pca)
        row[f"nc_pca{pca}"] = s["nc"]
        row[f"ari_pca{pca}"] = s["ari"]
        if pca:
            row["kmeans_ari"] = s["kmeans_ari"]
    with open(Path(out) / "results.jsonl", "a") as handle:
        handle.write(json.dumps(row) + "\n")
    return row


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--communities", nargs="+", default=["g10_1M_s1", "g10_1M_s2"])
    p.add_argument("--out", type=Path, required=True)
    add_data_option(p)
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--seeds", nargs="+", type=int, default=[42, 1, 2])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--deadline", type=float, default=1e9, help="seconds; no run starts later")
    args = p.parse_args()
    start = time.time()
    work = args.out / "work"
    communities = [community_folder(args.data, name) for name in args.communities]
    prepare(communities, work, args.variants, args.seeds)
    print(f"prepared in {time.time() - start:.0f} s", flush=True)
    tasks = [
        (str(c), str(work), v, s, str(args.out))
        for s in args.seeds
        for v in args.variants
        for c in communities
    ]
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(args.workers, mp_context=ctx) as pool:
        pending = set()
        queue = list(tasks)
        while queue or pending:
            while queue and len(pending) < args.workers and time.time() - start < args.deadline:
                pending.add(pool.submit(run_one, *queue.pop(0)))
            if not pending:
                break
            done, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for f in done:
                try:
                    print(json.dumps(f.result()), flush=True)
                except Exception as err:  # report and go on: one failed run is no reason to stop
                    print(f"FAILED: {err!r}", flush=True)
    print(f"{len(tasks) - len(queue)} of {len(tasks)} runs in {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
