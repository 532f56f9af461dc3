"""Pivot a refine.py output: nc per community, nc_sum, mean ARI, mean bp binned.
.venv/bin/python bench/tuning/show_refine.py /tmp/kv-tune/refine.tsv"""

import sys

import pandas as pd

d = pd.read_csv(sys.argv[1], sep="\t")
t = d.pivot_table(
    index=["rep", "setting", "method"], columns="community", values=["near_complete", "ari"]
)
t.columns = [f"{'nc' if a == 'near_complete' else a}_{c}" for a, c in t.columns]
g = d.groupby(["rep", "setting", "method"])
t["nc_sum"] = g.near_complete.sum()
t["ari_mean"] = g.ari.mean()
t["bp_mean"] = g.fraction_bp_binned.mean()
t["bins_mean"] = g.bins.mean()
pd.set_option("display.width", 250)
print(t.round(3).to_string())
