"""Self-training: a second round of training that learns from the first round's bins.

The first round's model (train_vae) embeds and clusters the training samples; its bins
of good marker quality, mostly of one genome each, give the second round positives
that a contig's own substrings cannot: views of other contigs of its bin. The second
round fine-tunes the first round's model and is the model that embeds every sample.
"""

if SELF_TRAINING:

    rule embed_first_round:
        """z_mean of the first round's model for every contig of a training sample."""
        input:
            model=rules.train_vae.output.model,
            features="results/features/{sample}.npy",
            index="results/features/{sample}.contigs.tsv",
        output:
            embedding=temp(f"{FIRST_ROUND_DIR}/embeddings/{{sample}}.npy"),
        log:
            "results/logs/embed_first_round/{sample}.log",
        benchmark:
            "results/benchmarks/embed_first_round/{sample}.tsv"
        conda:
            "../../envs/vae.yaml"
        threads: 2
        resources:
            mem_mb=tensorflow_mem_mb,
            runtime=embed_runtime,
        shell:
            "kmervae embed {input.model:q} {input.features:q} --index {input.index:q}"
            " --output {output.embedding:q} --threads {threads} 2> {log:q}"

    rule cluster_first_round:
        """The first round's bins of a training sample and their marker quality, with
        the clustering settings of the final bins (no FASTA files)."""
        input:
            embedding=rules.embed_first_round.output.embedding,
            index="results/features/{sample}.contigs.tsv",
            markers="results/markers/{sample}.tsv",
        output:
            clusters=f"{FIRST_ROUND_DIR}/clusters/{{sample}}.tsv",
            summary=f"{FIRST_ROUND_DIR}/clusters/{{sample}}.summary.tsv",
        log:
            "results/logs/cluster_first_round/{sample}.log",
        benchmark:
            "results/benchmarks/cluster_first_round/{sample}.tsv"
        conda:
            "../../envs/binning.yaml"
        threads: 8
        resources:
            mem_mb=cluster_mem_mb,
            runtime=cluster_runtime,
        params:
            options=CLUSTER_OPTIONS,
        shell:
            "kmervae cluster {input.embedding:q} --index {input.index:q}"
            " --sample {wildcards.sample} --clusters {output.clusters:q}"
            " --summary {output.summary:q} --markers {input.markers:q}"
            " --threads {threads} {params.options} 2> {log:q}"

    rule self_train:
        """Fine-tune the first round's model (settings: config vae:, with the epochs and
        learning rate of self_training:); the positives of a share of the contigs are
        views of other contigs of their first-round bin of quality high or medium.
        """
        input:
            unpack(self_training_inputs),
            first_round=rules.train_vae.output.model,
            features=training_matrices,
            views=training_views,
        output:
            model=f"{MODEL_DIR}/vae.keras",
            history=f"{MODEL_DIR}/history.tsv",
            plot=report(
                f"{MODEL_DIR}/training.png",
                caption="../report/training.rst",
                category="Model",
                labels={"figure": "training curves"},
            ),
            provenance=f"{MODEL_DIR}/provenance.json",
        log:
            "results/logs/self_train.log",
        benchmark:
            "results/benchmarks/self_train.tsv"
        conda:
            "../../envs/vae.yaml"
        threads: 8
        resources:
            mem_mb=tensorflow_mem_mb,
            runtime=self_train_runtime,
        params:
            outdir=subpath(output.model, parent=True),
            options=SELF_TRAIN_OPTIONS,
        shell:
            "kmervae train --features {input.features:q} --views {input.views:q}"
            " --markers {input.markers:q} --index {input.index:q}"
            " --bins {input.bins:q} --bin-summaries {input.summaries:q}"
            " --init-model {input.first_round:q} --outdir {params.outdir:q}"
            " --discard-stale-checkpoint --threads {threads} --no-architecture"
            " {params.options} 2> {log:q}"
