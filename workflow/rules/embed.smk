"""Embedding every sample with the model: trained here, or given by config model:."""


rule embed:
    """z_mean of the encoder for every contig of a sample (never retrains)."""
    input:
        model=MODEL,
        features="results/features/{sample}.npy",
        index="results/features/{sample}.contigs.tsv",
    output:
        embedding="results/embeddings/{sample}.npy",
        table="results/embeddings/{sample}.tsv.gz",
    log:
        "results/logs/embed/{sample}.log",
    benchmark:
        "results/benchmarks/embed/{sample}.tsv"
    conda:
        "../../envs/vae.yaml"
    threads: 2
    resources:
        mem_mb=tensorflow_mem_mb,
        runtime=embed_runtime,
    shell:
        "kmervae embed {input.model:q} {input.features:q} --index {input.index:q}"
        " --output {output.embedding:q} --tsv {output.table:q} --threads {threads}"
        " 2> {log:q}"
