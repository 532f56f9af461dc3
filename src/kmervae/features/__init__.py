"""From FASTA to feature rows: reading records (fasta), counting canonical k-mers (kmers),
the 8,362-column layout (layout), the per-sample feature matrix and contig index
(matrix), chunked counting (scatter) and substring views for contrastive training
(views). Imports nothing of kmervae.vae or kmervae.binning."""
