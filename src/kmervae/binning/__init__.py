"""From embeddings to bins: clustering, bin FASTA files and summaries (bins), scores
against known labels (evaluation) and pictures (plots). Reads kmervae.features.matrix' contig
index; never imports TensorFlow."""
