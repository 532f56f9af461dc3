"""From FASTA to the 8,362-column feature matrix of each sample."""


rule count_kmers:
    """Count 7-, 4- and 3-mers, GC and length of every contig in one pass over the FASTA."""
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
        mem_mb=500,
        runtime=count_runtime,
    params:
        min_length=config["min_contig_length"],
    shell:
        "kmervae count {input.fasta:q} --min-length {params.min_length}"
        " --k7 {output.k7:q} --k4 {output.k4:q} --k3 {output.k3:q}"
        " --length-gc {output.length_gc:q} --index {output.index:q} 2> {log:q}"


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
        mem_mb=500,
        runtime=assemble_runtime,
    shell:
        "kmervae assemble --k7 {input.k7:q} --k4 {input.k4:q} --k3 {input.k3:q}"
        " --length-gc {input.length_gc:q} --output {output.matrix:q} 2> {log:q}"
