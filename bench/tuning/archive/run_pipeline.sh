#!/usr/bin/env bash
# Features, training (default settings, 100 epochs, early stopping) and embedding for the
# tuning communities. Demo: reuses results/features/demo.npy + results/model/vae.keras
# (trained by the workflow with defaults, seed 42) if present.
# usage: bench/tuning/run_pipeline.sh [community ...]   (default: A B)
set -euo pipefail
cd "$(dirname "$0")/../.."
K=.venv/bin/kmervae
T=/tmp/kv-tune
for X in "${@:-A B}"; do
  for C in $X; do
    [ -f $T/$C.npy ] || $K features $T/$C.fna.gz -o $T/$C.npy
    [ -f $T/model_$C/vae.keras ] || /usr/bin/time -f "train $C %e s" \
      $K train --features $T/$C.npy --outdir $T/model_$C --epochs 100 --no-plots --threads 2
    $K embed $T/model_$C/vae.keras $T/$C.npy --index $T/$C.contigs.tsv -o $T/Z_$C.npy
  done
done
