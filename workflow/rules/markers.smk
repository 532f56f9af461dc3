"""Single-copy marker genes of every sample's contigs, for the bins' completeness and
contamination (rule cluster).

Like the k-mer counting, the search runs once per counting unit: the whole sample, or
with feature_chunks > 1 each chunk, whose tables gather_markers joins in order.
"""


rule find_markers:
    """Call the genes of a sample's contigs (pyrodigal, metagenome mode among the
    marker_gene_models models nearest each contig in GC) and find the
    bacterial and archaeal single-copy markers among them (pyhmmer, TC cut-offs)."""
    input:
        fasta=COUNT_FASTA,
        index=f"{COUNTED}.contigs.tsv",
        hmms=MARKER_HMMS,
    output:
        markers=MARKERS_OF_UNIT,
    log:
        f"results/logs/find_markers/{COUNT_UNIT}.log",
    benchmark:
        f"results/benchmarks/find_markers/{COUNT_UNIT}.tsv"
    conda:
        "../../envs/markers.yaml"
    threads: 4
    resources:
        mem_mb=markers_mem_mb,
        runtime=markers_runtime,
    params:
        marker_sets=MARKER_DIR,
        gene_models=config["marker_gene_models"],
    shell:
        "kmervae markers {input.fasta:q} --contigs {input.index:q}"
        " --marker-sets {params.marker_sets:q} --gene-models {params.gene_models}"
        " --threads {threads}"
        " -o {output.markers:q} 2> {log:q}"


if FEATURE_CHUNKS > 1:

    rule gather_markers:
        """Join the chunks' marker tables in order into results/markers/{sample}.tsv."""
        input:
            tables=gather.features(
                "results/chunks/{{sample}}/{scatteritem}.markers.tsv"
            ),
        output:
            markers=MARKER_TABLE,
        log:
            "results/logs/gather_markers/{sample}.log",
        benchmark:
            "results/benchmarks/gather_markers/{sample}.tsv"
        conda:
            "../../envs/markers.yaml"
        threads: 1
        resources:
            mem_mb=markers_mem_mb,
            runtime=gather_markers_runtime,
        shell:
            "kmervae gather-markers --tables {input.tables:q} -o {output.markers:q} 2> {log:q}"
