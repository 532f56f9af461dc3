#!/usr/bin/env bash
# Question 4: VAE training variants on community A (everything else default, 100 epochs,
# early stopping, seed 42), embedded to /tmp/kv-tune/Z_A_{variant}.npy, then swept.
set -euo pipefail
cd "$(dirname "$0")/../.."
K=.venv/bin/kmervae
T=/tmp/kv-tune
declare -A V=(
  [gb]="--loss group_balanced"
  [b05w10]="--beta 0.5 --kl-warmup-epochs 10"
  [l64]="--latent-dim 64"
)
for v in ${@:-gb b05w10 l64}; do
  [ -f $T/model_A_$v/vae.keras ] || /usr/bin/time -f "train A_$v %e s" \
    $K train --features $T/A.npy --outdir $T/model_A_$v --epochs 100 --no-plots --threads 2 ${V[$v]}
  $K embed $T/model_A_$v/vae.keras $T/A.npy --index $T/A.contigs.tsv -o $T/Z_A_$v.npy
  .venv/bin/python bench/tuning/sweep.py $T/sweep_A_vae_$v.tsv A --reps vae --tag _$v &
done
wait
