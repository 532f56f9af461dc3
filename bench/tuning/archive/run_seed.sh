#!/usr/bin/env bash
# Robustness: retrain the default VAE with another seed (default 1) on each community and
# embed to /tmp/kv-tune/Z_{C}_s{SEED}.npy.   usage: bench/tuning/run_seed.sh SEED [community ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
K=.venv/bin/kmervae
T=/tmp/kv-tune
S=${1:-1}; shift || true
for C in ${@:-demo A B}; do
  [ -f $T/model_${C}_s$S/vae.keras ] || /usr/bin/time -f "train ${C}_s$S %e s" \
    $K train --features $T/$C.npy --outdir $T/model_${C}_s$S --epochs 100 --no-plots --threads 2 --seed $S
  $K embed $T/model_${C}_s$S/vae.keras $T/$C.npy --index $T/$C.contigs.tsv -o $T/Z_${C}_s$S.npy
done
