"""From FASTA to the 8,362-column feature matrix of each sample.

With feature_chunks: 1 (default) each FASTA is counted by one job. With N > 1 every
FASTA is split into N chunks of whole records (scatter), counted by N jobs, and the
chunk matrices are joined in the original order (gather): identical to one job.
"""

# One command line for counting and one for joining the group tables, used by the
# one-job and the chunked routes alike.
COUNT_COMMAND = (
    "kmervae count {input.fasta:q} --min-length {params.min_length} {params.extra}"
    " --k7 {output.k7:q} --k4 {output.k4:q} --k3 {output.k3:q}"
    " --length-gc {output.length_gc:q} --index {output.index:q} 2> {log:q}"
)
ASSEMBLE_COMMAND = (
    "kmervae assemble --k7 {input.k7:q} --k4 {input.k4:q} --k3 {input.k3:q}"
    " --length-gc {input.length_gc:q} --output {output.matrix:q} 2> {log:q}"
)


if FEATURE_CHUNKS == 1:

    rule count_kmers:
        """Count 7-, 4- and 3-mers, GC and length of every contig in one pass."""
        input:
            fasta=fasta_of,
        output:
            k7=temp("results/tables/{sample}.k7.npy"),
            k4=temp("results/tables/{sample}.k4.npy"),
            k3=temp("results/tables/{sample}.k3.npy"),
            length_gc=temp("results/tables/{sample}.length_gc.npy"),
            index="results/features/{sample}.contigs.tsv",
        log:
            "results/logs/count_kmers/{sample}.log",
        benchmark:
            "results/benchmarks/count_kmers/{sample}.tsv"
        conda:
            "../../envs/features.yaml"
        threads: 1
        resources:
            mem_mb=count_mem_mb,
            runtime=count_runtime,
        params:
            min_length=config["min_contig_length"],
            extra="",
        shell:
            COUNT_COMMAND

    rule assemble_features:
        """Join the group tables into results/features/{sample}.npy (float32, n x 8,362)."""
        input:
            k7=rules.count_kmers.output.k7,
            k4=rules.count_kmers.output.k4,
            k3=rules.count_kmers.output.k3,
            length_gc=rules.count_kmers.output.length_gc,
        output:
            matrix="results/features/{sample}.npy",
        log:
            "results/logs/assemble_features/{sample}.log",
        benchmark:
            "results/benchmarks/assemble_features/{sample}.tsv"
        conda:
            "../../envs/features.yaml"
        threads: 1
        resources:
            mem_mb=count_mem_mb,
            runtime=assemble_runtime,
        shell:
            ASSEMBLE_COMMAND

else:

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

    rule count_kmers:
        """Count one chunk (a chunk may hold no contig long enough)."""
        input:
            fasta="results/chunks/{sample}/{scatteritem}.fa",
        output:
            k7=temp("results/chunks/{sample}/{scatteritem}.k7.npy"),
            k4=temp("results/chunks/{sample}/{scatteritem}.k4.npy"),
            k3=temp("results/chunks/{sample}/{scatteritem}.k3.npy"),
            length_gc=temp("results/chunks/{sample}/{scatteritem}.length_gc.npy"),
            index=temp("results/chunks/{sample}/{scatteritem}.contigs.tsv"),
        log:
            "results/logs/count_kmers/{sample}/{scatteritem}.log",
        benchmark:
            "results/benchmarks/count_kmers/{sample}/{scatteritem}.tsv"
        conda:
            "../../envs/features.yaml"
        threads: 1
        resources:
            mem_mb=count_mem_mb,
            runtime=count_runtime,
        params:
            min_length=config["min_contig_length"],
            extra="--allow-empty",
        shell:
            COUNT_COMMAND

    rule assemble_features:
        """Join one chunk's group tables into its feature matrix."""
        input:
            k7=rules.count_kmers.output.k7,
            k4=rules.count_kmers.output.k4,
            k3=rules.count_kmers.output.k3,
            length_gc=rules.count_kmers.output.length_gc,
        output:
            matrix=temp("results/chunks/{sample}/{scatteritem}.npy"),
        log:
            "results/logs/assemble_features/{sample}/{scatteritem}.log",
        benchmark:
            "results/benchmarks/assemble_features/{sample}/{scatteritem}.tsv"
        conda:
            "../../envs/features.yaml"
        threads: 1
        resources:
            mem_mb=count_mem_mb,
            runtime=assemble_runtime,
        shell:
            ASSEMBLE_COMMAND

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
