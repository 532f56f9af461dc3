"""Rank HDBSCAN settings of the VAE embedding over several runs (community x training seed),
per post-processing (none / 0.5 / inf / inf+km), and the paired gain of reassignment.

    .venv/bin/python bench/tuning/final_rank.py demo: A: B: demo:_s1 A:_s1 B:_s1
(each run = COMMUNITY:TAG; files as in variants_table.py)"""

import os
import sys

import pandas as pd

T = "/tmp/kv-tune"
KEYS = ["pca", "mcs", "ms", "sel"]
parts = []
for run in sys.argv[1:]:
    c, tag = run.split(":")
    if tag:
        files = [
            f
            for f in (
                f"{T}/sweep_{c}_vae{tag}.tsv",
                f"{T}/sweep_{c}{tag}.tsv",
                f"{T}/sweepR_{c}{tag}.tsv",
            )
            if os.path.exists(f)
        ]
    else:
        files = [
            f"{T}/sweep_{c}.tsv" if c == "demo" else f"{T}/sweep_{c}_vae.tsv",
            f"{T}/sweepR_vae.tsv",
        ]
    d = pd.concat([pd.read_csv(f, sep="\t", dtype={"reassign": str}) for f in files])
    d = d[(d.community == c) & (d.ms != 1) & (d.rep == "vae" + tag)].copy()
    d["run"] = c + (tag or "_s42")
    parts.append(d)
df = pd.concat(parts)
runs = list(dict.fromkeys(df.run))
pd.set_option("display.width", 250, "display.max_rows", 200)
for post in ["none", "0.5", "inf", "inf+km"]:
    s = df[df.reassign == post]
    t = s.pivot_table(index=KEYS, columns="run", values="near_complete")[runs]
    t["nc_sum"] = t[runs].sum(axis=1)
    t["nc_min_frac"] = s.assign(f=s.near_complete / s.genomes).groupby(KEYS).f.min()
    t["ari_mean"] = s.groupby(KEYS).ari.mean()
    t["bp_mean"] = s.groupby(KEYS).fraction_bp_binned.mean()
    t = t.sort_values(["nc_sum", "ari_mean"], ascending=False)
    t.insert(0, "rank", range(1, len(t) + 1))
    keep = t.head(6).index.tolist() + [
        k for k in [(16, 20, 2, "eom"), (16, 50, 2, "leaf")] if k not in t.head(6).index
    ]
    print(f"\n== post-processing {post}: top 6 + default + p16 m50 leaf; nc per run")
    print(t.loc[keep].round(3).to_string())
# paired gain of post-processing over 'none', same setting and run
base = df[df.reassign == "none"].set_index([*KEYS, "run"]).near_complete
print("\n== paired gain in near-complete genomes vs no reassignment (48 settings x runs)")
for post in ["0.3", "0.5", "inf", "inf+km"]:
    x = df[df.reassign == post].set_index([*KEYS, "run"]).near_complete
    gain = (x - base.reindex(x.index)).dropna()
    print(
        f"  {post:7s} mean {gain.mean():+.2f}  better {(gain > 0).mean():.0%}  "
        f"same {(gain == 0).mean():.0%}  worse {(gain < 0).mean():.0%}  (n={len(gain)})"
    )
