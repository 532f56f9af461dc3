# ruff: noqa: E402  (kept as it was run: imports where the prototype first needed them)
"""The first prototype of the contrastive term (BENCHMARKS.md, "Choosing the training
defaults", first table): a KmerVAE subclass adding InfoNCE between a contig and a random
substring view, trained with model.fit on in-memory arrays. Kept as it was run; the
package's version is kmervae.vae.model.info_nce + kmervae.features.views (train_variant.py).

    .venv/bin/python bench/tuning/training/prototype.py --comm g10_1M_s1 --lam 100 --tau 0.5
    .venv/bin/python bench/tuning/training/prototype.py --comm g10_1M_s2 --recon-from-view 1
"""

import argparse
import json
import time

import keras
import numpy as np
from common import community
from keras import ops

from kmervae.binning.clustering import ClusterParams, cluster_embedding
from kmervae.binning.evaluation import evaluate, read_labels
from kmervae.features.fasta import FastaReader, SequencePiece
from kmervae.features.kmers import KmerCounter
from kmervae.features.matrix import count_feature_rows, read_contig_index
from kmervae.vae.config import VAEConfig
from kmervae.vae.model import KmerVAE
from kmervae.vae.training import set_determinism

p = argparse.ArgumentParser()
p.add_argument("--comm", default="g10_1M_s1")
p.add_argument("--lam", type=float, default=0.0)
p.add_argument("--tau", type=float, default=0.1)
p.add_argument("--epochs", type=int, default=60)
p.add_argument("--seed", type=int, default=42)
p.add_argument("--nviews", type=int, default=4)
p.add_argument("--recon-from-view", type=int, default=0)
p.add_argument("--beta", type=float, default=1.0)
p.add_argument("--latent", type=int, default=256)
p.add_argument("--lo", type=float, default=0.3)
p.add_argument("--hi", type=float, default=0.8)
p.add_argument("--cfg", default="{}")
p.add_argument("--save", default="")
a = p.parse_args()
C = a.comm
comm = community(C)
names, lengths = read_contig_index(comm["index"])
X = np.load(comm["features"])
genomes, _ = read_labels(comm["labels"], names)

# views
t0 = time.time()
rng = np.random.default_rng([a.seed, 7])
counter = KmerCounter()
vpieces = []
idx = {n: i for i, n in enumerate(names)}
seqs = [None] * len(names)
for pieces in FastaReader(comm["fasta"]):
    for pc in pieces:
        assert pc.first and pc.last
        if pc.name in idx:
            seqs[idx[pc.name]] = pc.codes
V = np.empty((len(names), a.nviews, X.shape[1]), np.float32)
for j in range(a.nviews):
    pcs = []
    for i, s in enumerate(seqs):
        L = len(s)
        lv = max(min(L, 1000), int(L * rng.uniform(a.lo, a.hi)))
        st = int(rng.integers(0, L - lv + 1))
        pcs.append(SequencePiece(names[i], s[st : st + lv], True, True))
    rows = []
    for part in counter.count(pcs):
        rows.append(count_feature_rows(part))
    V[:, j] = np.concatenate(rows)
print(f"views {time.time() - t0:.1f}s", flush=True)

set_determinism(a.seed)
cfg = VAEConfig(seed=a.seed, beta=a.beta, latent_dim=a.latent, **json.loads(a.cfg))


def l2n(z):
    return z / ops.sqrt(ops.sum(z * z, axis=1, keepdims=True) + 1e-8)


class ViewVAE(KmerVAE):
    def call(self, inputs, training=False):
        x, v = inputs
        out = super().call(x, training=training)
        hv = self.preprocessor(v)
        zv, lv = self.encoder(hv, training=training)
        out["z_view"] = zv
        if a.recon_from_view:
            zs = self.sampler([zv, lv], training=training)
            out["recon_view"] = self.decoder(zs, training=training)
            out["lv"] = lv
        return out

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        total = super().compute_loss(x, y, y_pred, sample_weight, training)
        if a.lam > 0:
            za, zb = l2n(y_pred["z_mean"]), l2n(y_pred["z_view"])
            logits = ops.matmul(za, ops.transpose(zb)) / a.tau
            lab = ops.arange(ops.shape(za)[0])
            ce = keras.losses.sparse_categorical_crossentropy
            nce = 0.5 * (
                ops.mean(ce(lab, logits, from_logits=True))
                + ops.mean(ce(lab, ops.transpose(logits), from_logits=True))
            )
            total = total + a.lam * nce
        if a.recon_from_view:
            from kmervae.vae.model import kl_divergence, reconstruction_sum

            total = (
                total
                + reconstruction_sum(y_pred["target"], y_pred["recon_view"])
                + self.kl_weight * kl_divergence(y_pred["z_view"], y_pred["lv"])
            )
        return total


model = ViewVAE(cfg)
h = keras.ops.convert_to_numpy(model.preprocessor.transform(X))
model.preprocessor.set_statistics(h.mean(0), h.std(0))
model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate))
N = len(X)
t0 = time.time()
for ep in range(a.epochs):
    r = np.random.default_rng([a.seed, ep])
    order = r.permutation(N)
    pick = r.integers(0, a.nviews, N)
    Vb = V[np.arange(N), pick]
    hist = model.fit(
        (X[order], Vb[order]), batch_size=cfg.batch_size, epochs=1, verbose=0, shuffle=False
    )
    if ep % 10 == 9:
        print(
            ep + 1,
            {k: round(float(v[-1]), 2) for k, v in hist.history.items()},
            f"{time.time() - t0:.0f}s",
            flush=True,
        )
from kmervae.vae.model import embedding_model

emb = embedding_model(model)
z = np.asarray(emb.predict(X, batch_size=4096, verbose=0))
if a.save:
    np.save(a.save, z)
params = ClusterParams(min_bin_size=200000)
lab = cluster_embedding(z, lengths, params)
bins = np.array([f"b{l}" if l >= 0 else "unbinned" for l in lab], dtype=object)
from kmervae.binning.evaluation import UNBINNED

bins[lab < 0] = UNBINNED
m, _ = evaluate(names, lengths, bins, genomes, embedding=z)
m = dict(m)
print(
    "RESULT",
    json.dumps(
        {
            "comm": C,
            "lam": a.lam,
            "tau": a.tau,
            "seed": a.seed,
            "epochs": a.epochs,
            "rfv": a.recon_from_view,
            "beta": a.beta,
            "latent": a.latent,
            "cfg": a.cfg,
            "nc": m["near_complete"],
            "ari": round(m["ari"], 3),
            "nmi": round(m["nmi"], 3),
            "km": round(m["kmeans_ari_vae_normalized"], 3),
            "km_raw": round(m["kmeans_ari_vae"], 3),
            "bins": m["bins"],
        }
    ),
    flush=True,
)
