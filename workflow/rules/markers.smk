"""Single-copy marker genes of every sample's contigs, for the bins' completeness and
contamination (rule cluster)."""


rule find_markers:
    """Call the genes of a sample's contigs (pyrodigal, metagenome mode) and find the
    bacterial and archaeal single-copy markers among them (pyhmmer, TC cut-offs)."""
    input:
        fasta=fasta_of,
        index="results/features/{sample}.contigs.tsv",
        hmms=MARKER_HMMS,
    output:
        markers=report(
            "results/markers/{sample}.tsv",
            caption="../report/markers.rst",
            category="Bins",
            subcategory="{sample}",
            labels={"sample": "{sample}", "table": "marker genes"},
        ),
    log:
        "results/logs/find_markers/{sample}.log",
    benchmark:
        "results/benchmarks/find_markers/{sample}.tsv"
    conda:
        "../../envs/markers.yaml"
    threads: 4
    resources:
        mem_mb=markers_mem_mb,
        runtime=markers_runtime,
    params:
        marker_sets=MARKER_DIR,
    shell:
        "kmervae markers {input.fasta:q} --contigs {input.index:q}"
        " --marker-sets {params.marker_sets:q} --threads {threads}"
        " -o {output.markers:q} 2> {log:q}"
