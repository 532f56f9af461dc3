"""Train one VAE variant on a benchmark community with the package, then embed, cluster
(defaults) and score; prints one JSON line. How the issue-6 training defaults were
compared (BENCHMARKS.md, "Choosing the training defaults").

    .venv/bin/python bench/tuning/training/train_variant.py g10_1M_s1 '{"epochs": 40}' \
        [--out /tmp/kv-train] [--save-embedding]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from common import load, score


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("community")
    p.add_argument("settings", help="VAEConfig keys as JSON")
    p.add_argument("--out", type=Path, default=Path("/tmp/kv-train"))
    args = p.parse_args()

    import numpy as np

    from kmervae.features.views import count_views
    from kmervae.vae.config import VAEConfig
    from kmervae.vae.model import embed
    from kmervae.vae.training import set_threads, train

    c, names, lengths, genomes = load(args.community)
    settings = json.loads(args.settings)
    cfg = VAEConfig.from_dict(settings)
    tag = f"{c['name']}_" + "_".join(f"{k}-{v}" for k, v in sorted(settings.items()))
    views = []
    if cfg.uses_views:
        spec = cfg.view_spec()
        path = args.out / f"{c['name']}.views_{spec}.npy".replace(" ", "")
        if not path.exists():
            args.out.mkdir(parents=True, exist_ok=True)
            count_views(c["fasta"], c["index"], path, spec)
        views = [path]
    set_threads(2)
    result = train([c["features"]], args.out / tag, cfg, views=views, plots=False)
    z = embed(result.model, c["features"])
    np.save(args.out / f"{tag}.embedding.npy", z)
    row = {"community": c["name"], "settings": settings, "epochs_run": len(result.history)}
    print(json.dumps({**row, **score(names, lengths, genomes, z)}), flush=True)


if __name__ == "__main__":
    main()
