"""Summaries of sweep.py outputs (tables for questions 1-3).

.venv/bin/python bench/tuning/aggregate.py /tmp/kv-tune/sweep_*.tsv
"""

import sys

import pandas as pd

df = pd.concat([pd.read_csv(p, sep="\t") for p in sys.argv[1:]], ignore_index=True)
df["nc_frac"] = df.near_complete / df.genomes
KEYS = ["pca", "mcs", "ms", "sel"]
DEFAULT = (16, 20, 2, "eom")
comms = sorted(df.community.unique())
pd.set_option("display.width", 250, "display.max_columns", 40, "display.max_rows", 200)


def wide(sub, cols=("near_complete", "ari")):
    """One row per setting: per community nc / ari, plus totals; sorted best first."""
    t = sub.pivot_table(index=KEYS, columns="community", values=list(cols))
    t.columns = [f"{a[:3] if a != 'near_complete' else 'nc'}_{c}" for a, c in t.columns]
    t["nc_sum"] = sub.groupby(KEYS).near_complete.sum()
    t["ari_mean"] = sub.groupby(KEYS).ari.mean()
    t["nmi_mean"] = sub.groupby(KEYS).nmi.mean()
    t["bp_mean"] = sub.groupby(KEYS).fraction_bp_binned.mean()
    t["n"] = sub.groupby(KEYS).size()
    t = t[t.n == t.n.max()]
    return t.sort_values(["nc_sum", "ari_mean"], ascending=False)


for rep in sorted(df.rep.unique()):
    sub = df[(df.rep == rep) & (df.reassign == "none")]
    t = wide(sub)
    print(
        f"\n=== {rep}: HDBSCAN grid, no reassignment; communities {sorted(sub.community.unique())}"
    )
    print(t.head(12).round(3).to_string())
    if DEFAULT in t.index:
        print("default", DEFAULT, "rank", list(t.index).index(DEFAULT) + 1, "of", len(t))
        print(t.loc[[DEFAULT]].round(3).to_string())
    # marginal means per parameter
    for k in KEYS:
        g = sub.groupby(k).agg(
            nc=("near_complete", "mean"), ari=("ari", "mean"), bp=("fraction_bp_binned", "mean")
        )
        print(
            f"  marginal {k}: "
            + "; ".join(
                f"{i}: nc {r.nc:.2f} ari {r.ari:.3f} bp {r.bp:.2f}" for i, r in g.iterrows()
            )
        )

    # question 2: reassignment for the default and the top-3 settings
    print(f"\n--- {rep}: noise reassignment (nc per community / mean ARI / mean bp binned)")
    for key in [DEFAULT, *list(t.index[:3])]:
        s = df[(df.rep == rep) & (df[KEYS].apply(tuple, axis=1) == key)]
        g = s.groupby("reassign")
        line = []
        for thr, r in g:
            ncs = "/".join(
                str(int(r[r.community == c].near_complete.iloc[0])) for c in sorted(r.community)
            )
            line.append(
                f"T={thr}: nc {ncs} ari {r.ari.mean():.3f} bp {r.fraction_bp_binned.mean():.2f}"
            )
        print(" ", key, " | ".join(line))
    # best reassignment threshold over the whole grid
    g = df[df.rep == rep].groupby("reassign").agg(nc=("near_complete", "mean"), ari=("ari", "mean"))
    print(
        "  grid-average by threshold:",
        "; ".join(f"{i}: nc {r.nc:.2f} ari {r.ari:.3f}" for i, r in g.iterrows()),
    )
