#!/usr/bin/env bash
# The brief's CLI path with the current default clustering, incl. the built-in k-means
# baselines of `kmervae evaluate` (VAE vs TNF vs raw PCA), per community.
# usage: bench/tuning/cli_default.sh [community ...] [-- extra kmervae cluster options]
set -euo pipefail
cd "$(dirname "$0")/../.."
K=.venv/bin/kmervae
T=/tmp/kv-tune
for C in ${@:-demo A B}; do
  $K cluster $T/Z_$C.npy --index $T/$C.contigs.tsv --clusters $T/C_$C.tsv --summary $T/S_$C.tsv
  $K evaluate --clusters $T/C_$C.tsv --index $T/$C.contigs.tsv --labels $T/$C.labels.tsv \
    -o $T/M_$C.tsv --per-genome $T/G_$C.tsv --embedding $T/Z_$C.npy --features $T/$C.npy
done
