"""From embeddings to bins: clustering, bin FASTA files, evaluation and pictures."""


rule cluster:
    """Cluster a sample's embedding into bins; write bins of >= min_bin_size bp as FASTA
    (gzipped unless compress_bins is false), the bins in the CAMI binning format for
    AMBER, and a summary with each bin's completeness, contamination and quality from
    its marker genes. With self-training, a training sample's bins are also chosen among
    its first-round bins."""
    input:
        embedding="results/embeddings/{sample}.npy",
        index="results/features/{sample}.contigs.tsv",
        fasta=fasta_of,
        markers="results/markers/{sample}.tsv",
        candidates=first_round_bins,
    output:
        clusters=report(
            "results/clusters/{sample}.tsv",
            caption="../report/clusters.rst",
            category="Bins",
            subcategory="{sample}",
            labels={"sample": "{sample}", "table": "clusters"},
        ),
        cami="results/clusters/{sample}.binning",
        bins=directory("results/bins/{sample}"),
        summary=report(
            "results/bins/{sample}.summary.tsv",
            caption="../report/bin_summary.rst",
            category="Bins",
            subcategory="{sample}",
            labels={"sample": "{sample}", "table": "bin summary"},
        ),
    log:
        "results/logs/cluster/{sample}.log",
    benchmark:
        "results/benchmarks/cluster/{sample}.tsv"
    conda:
        "../../envs/binning.yaml"
    threads: 8
    resources:
        mem_mb=cluster_mem_mb,
        runtime=cluster_runtime,
    params:
        options=CLUSTER_OPTIONS,
        bin_files=BIN_FILES,
        candidates=candidate_bins_option,
    shell:
        "kmervae cluster {input.embedding:q} --index {input.index:q}"
        " --fasta {input.fasta:q} --sample {wildcards.sample}"
        " --clusters {output.clusters:q} --cami {output.cami:q}"
        " --bins-dir {output.bins:q} {params.bin_files}"
        " --summary {output.summary:q} --markers {input.markers:q} --threads {threads}"
        " {params.candidates} {params.options} 2> {log:q}"


rule evaluate:
    """Score the bins against the sample's labels; k-means baselines VAE vs TNF."""
    input:
        clusters="results/clusters/{sample}.tsv",
        index="results/features/{sample}.contigs.tsv",
        labels=labels_of,
        embedding="results/embeddings/{sample}.npy",
        features="results/features/{sample}.npy",
    output:
        metrics=report(
            "results/evaluation/{sample}.tsv",
            caption="../report/evaluation.rst",
            category="Evaluation",
            labels={"sample": "{sample}", "table": "metrics"},
        ),
        genomes=report(
            "results/evaluation/{sample}.genomes.tsv",
            caption="../report/evaluation.rst",
            category="Evaluation",
            labels={"sample": "{sample}", "table": "per genome"},
        ),
    log:
        "results/logs/evaluate/{sample}.log",
    benchmark:
        "results/benchmarks/evaluate/{sample}.tsv"
    conda:
        "../../envs/binning.yaml"
    threads: 1
    resources:
        mem_mb=evaluate_mem_mb,
        runtime=evaluate_runtime,
    shell:
        "kmervae evaluate --clusters {input.clusters:q} --index {input.index:q}"
        " --labels {input.labels:q} --embedding {input.embedding:q}"
        " --features {input.features:q} --output {output.metrics:q}"
        " --per-genome {output.genomes:q} 2> {log:q}"


rule plot:
    """PCA and t-SNE maps of the embedding by bin (and by genome), and bin sizes with
    each bin's quality."""
    input:
        embedding="results/embeddings/{sample}.npy",
        index="results/features/{sample}.contigs.tsv",
        clusters="results/clusters/{sample}.tsv",
        summary="results/bins/{sample}.summary.tsv",
        labels=optional_labels,
    output:
        map=report(
            "results/plots/{sample}.map.png",
            caption="../report/map.rst",
            category="Maps",
            labels={"sample": "{sample}", "figure": "embedding map"},
        ),
        bins=report(
            "results/plots/{sample}.bins.png",
            caption="../report/bins.rst",
            category="Bins",
            subcategory="{sample}",
            labels={"sample": "{sample}", "figure": "bin sizes"},
        ),
    log:
        "results/logs/plot/{sample}.log",
    benchmark:
        "results/benchmarks/plot/{sample}.tsv"
    conda:
        "../../envs/binning.yaml"
    threads: 1
    resources:
        mem_mb=plot_mem_mb,
        runtime=plot_runtime,
    params:
        labels=labels_option,
        min_bin_size=config["min_bin_size"],
    shell:
        "kmervae plot --embedding {input.embedding:q} --index {input.index:q}"
        " --clusters {input.clusters:q} --summary {input.summary:q} {params.labels}"
        " --sample {wildcards.sample}"
        " --map {output.map:q} --bins {output.bins:q}"
        " --min-bin-size {params.min_bin_size} 2> {log:q}"
