"""Train one VAE variant on a benchmark community with the package, then embed, cluster
(HDBSCAN + refine, the clustering the training defaults were compared with) and score;
prints one JSON line. How the training defaults were compared (BENCHMARKS.md, "Choosing
the training defaults").

    .venv/bin/python bench/tuning/training/train_variant.py g10_1M_s1 '{"epochs": 40}' \
        [--data DIR] [--out DIR]

Settings left out take VAEConfig's defaults. The model goes to ``OUT/COMMUNITY_SETTINGS/``
and the embedding to ``OUT/COMMUNITY_SETTINGS.embedding.npy`` (``OUT`` defaults to
``DATA/train_variant``), for ``score_embeddings.py`` and ``pca_dims.py``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from common import add_data_option, load, score


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("community")
    p.add_argument("settings", help="VAEConfig keys as JSON")
    add_data_option(p)
    p.add_argument(
        "--out",
        type=Path,
        help="folder for views, models and embeddings (default: DATA/train_variant)",
    )
    args = p.parse_args()
    out = args.out or args.data / "train_variant"

    import numpy as np

    from kmervae.features.views import write_view_sequences
    from kmervae.vae.config import VAEConfig
    from kmervae.vae.embedding import embed_matrix
    from kmervae.vae.training import set_threads, train

    c, names, lengths, genomes = load(args.data, args.community)
    settings = json.loads(args.settings)
    cfg = VAEConfig.from_dict(settings)
    tag = f"{c['name']}_" + "_".join(f"{k}-{v}" for k, v in sorted(settings.items()))
    out.mkdir(parents=True, exist_ok=True)
    views = []
    if cfg.uses_views:
        # the sequences of every contig (these communities are below any training budget);
        # the training counts the views from them
        path = out / f"{c['name']}.view_sequences.npy"
        if not path.exists():
            write_view_sequences(c["fasta"], c["index"], path)
        views = [path]
    set_threads(2)
    result = train([c["features"]], out / tag, cfg, views=views, plots=False)
    embedding = out / f"{tag}.embedding.npy"
    embed_matrix(result.outdir / "vae.keras", c["features"], c["index"], embedding)
    z = np.load(embedding)
    row = {"community": c["name"], "settings": settings, "epochs_run": len(result.history)}
    print(json.dumps({**row, **score(names, lengths, genomes, z)}), flush=True)


if __name__ == "__main__":
    main()
