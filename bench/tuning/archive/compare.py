"""Per representation x post-processing: the default setting, and the best settings over
all three communities (sum of near-complete genomes, then mean ARI). ms 1 rows are left
out (identical to ms 2).

    .venv/bin/python bench/tuning/compare.py /tmp/kv-tune/sweep_*.tsv /tmp/kv-tune/sweepR_*.tsv
"""

import sys

import pandas as pd

df = pd.concat(
    [pd.read_csv(p, sep="\t", dtype={"reassign": str}) for p in sys.argv[1:]], ignore_index=True
)
df = df[(df.ms != 1) & df.rep.isin(["vae", "tnf", "raw"])]
KEYS = ["pca", "mcs", "ms", "sel"]
DEFAULT = (16, 20, 2, "eom")
TOP = int(__import__("os").environ.get("TOP", 3))
pd.set_option("display.width", 250)
rows = []
for (rep, post), sub in df.groupby(["rep", "reassign"]):
    if post not in ("none", "0.5", "inf", "inf+km"):
        continue
    g = sub.groupby(KEYS)
    t = pd.DataFrame(
        {
            **{
                f"nc_{c}": sub[sub.community == c].set_index(KEYS).near_complete
                for c in ["demo", "A", "B"]
            },
            **{f"ari_{c}": sub[sub.community == c].set_index(KEYS).ari for c in ["demo", "A", "B"]},
            "nc_sum": g.near_complete.sum(),
            "ari_mean": g.ari.mean(),
            "nmi_mean": g.nmi.mean(),
            "r50p90": g["recovered_r0.50_p0.90"].sum(),
            "r90p90": g["recovered_r0.90_p0.90"].sum(),
            "bp_mean": g.fraction_bp_binned.mean(),
            "n": g.size(),
        }
    )
    t = t[t.n == 3].sort_values(["nc_sum", "ari_mean"], ascending=False)
    for rank, (key, r) in enumerate(t.iterrows(), 1):
        if rank <= TOP or key == DEFAULT:
            rows.append(
                {
                    "rep": rep,
                    "post": post,
                    "setting": "p%d m%d ms%d %s" % key,
                    "rank": f"{rank}/{len(t)}",
                    **r.drop("n").to_dict(),
                }
            )
out = pd.DataFrame(rows)
for c in out.columns:
    if c.startswith(("nc_", "r50", "r90")):
        out[c] = out[c].astype(int)
print(out.round(3).to_string(index=False))
