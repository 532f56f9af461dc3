"""From FASTA to the 8,362-column feature matrix of each sample.

With feature_chunks: 1 (default) each FASTA is counted by one job. With N > 1 every
FASTA is split into N chunks of whole records (scatter), counted by N jobs, and the
chunk matrices are joined in the original order (gather): identical to one job. The
counting rules are the same for both; common.smk chooses their paths (COUNT_UNIT).
"""


rule count_kmers:
    """Count 7-, 4- and 3-mers, GC and length of every contig of a sample (or of one
    chunk of it) in one pass, straight into its feature matrix: no per-group tables
    beside it, so the disk holds the matrix once (with tables joined afterwards it held
    it twice: 1.98 x at 300 k contigs)."""
    input:
        fasta=COUNT_FASTA,
    output:
        matrix=counted(".npy"),
        index=counted(".contigs.tsv"),
    log:
        f"results/logs/count_kmers/{COUNT_UNIT}.log",
    benchmark:
        f"results/benchmarks/count_kmers/{COUNT_UNIT}.tsv"
    conda:
        "../../envs/features.yaml"
    threads: 1
    resources:
        mem_mb=count_mem_mb,
        runtime=count_runtime,
    params:
        min_length=config["min_contig_length"],
        allow_empty=COUNT_ALLOW_EMPTY,
    shell:
        "kmervae features {input.fasta:q} --min-length {params.min_length}"
        " {params.allow_empty} --output {output.matrix:q} --index {output.index:q}"
        " 2> {log:q}"


# the chunked route's own steps: split before counting, join after
if FEATURE_CHUNKS > 1:

    rule split_fasta:
        """Split a FASTA into feature_chunks chunks of whole records, balanced by bp."""
        input:
            fasta=fasta_of,
        output:
            chunks=temp(scatter.features("results/chunks/{{sample}}/{scatteritem}.fa")),
        log:
            "results/logs/split_fasta/{sample}.log",
        benchmark:
            "results/benchmarks/split_fasta/{sample}.tsv"
        conda:
            "../../envs/features.yaml"
        threads: 1
        resources:
            mem_mb=count_mem_mb,
            runtime=count_runtime,
        shell:
            "kmervae split {input.fasta:q} --outputs {output.chunks:q} 2> {log:q}"

    rule gather_features:
        """Join the chunk matrices in order into results/features/{sample}.npy."""
        input:
            matrices=gather.features("results/chunks/{{sample}}/{scatteritem}.npy"),
            indexes=gather.features(
                "results/chunks/{{sample}}/{scatteritem}.contigs.tsv"
            ),
        output:
            matrix="results/features/{sample}.npy",
            index="results/features/{sample}.contigs.tsv",
        log:
            "results/logs/gather_features/{sample}.log",
        benchmark:
            "results/benchmarks/gather_features/{sample}.tsv"
        conda:
            "../../envs/features.yaml"
        threads: 1
        resources:
            mem_mb=count_mem_mb,
            runtime=gather_runtime,
        shell:
            "kmervae gather --matrices {input.matrices:q} --indexes {input.indexes:q}"
            " --output {output.matrix:q} --index {output.index:q} 2> {log:q}"
