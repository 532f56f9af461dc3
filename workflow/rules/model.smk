"""Training the three-branch VAE on the training samples' feature matrices."""


rule view_sequences:
    """The sequences of a training sample's training contigs, from which the training
    counts their substring views (the contrastive term's positive pairs); deleted once
    the model is trained."""
    input:
        fasta=fasta_of,
        contigs="results/features/{sample}.contigs.tsv",
    output:
        sequences=temp("results/views/{sample}.npy"),
    log:
        "results/logs/view_sequences/{sample}.log",
    benchmark:
        "results/benchmarks/view_sequences/{sample}.tsv"
    conda:
        "../../envs/features.yaml"
    threads: 1
    resources:
        mem_mb=count_mem_mb,
        runtime=count_runtime,
    params:
        options=VIEW_OPTIONS,
        training_samples=len(TRAIN_SAMPLES),
    shell:
        "kmervae views {input.fasta:q} --contigs {input.contigs:q}"
        " --output {output.sequences:q} --training-samples {params.training_samples}"
        " {params.options} 2> {log:q}"


rule train_vae:
    """Train the VAE (settings: config vae:); resumes from a checkpoint if interrupted,
    and deletes one left by a run of other settings or data. With self-training this is
    the first round, whose bins the second round (self_train) learns from."""
    input:
        unpack(training_markers),
        features=training_matrices,
        views=training_views,
        pretrained=pretrained_model,
    output:
        model=f"{TRAIN_DIR}/vae.keras",
        history=f"{TRAIN_DIR}/history.tsv",
        plot=report(
            f"{TRAIN_DIR}/training.png",
            caption="../report/training.rst",
            category="Model",
            labels={"figure": TRAIN_FIGURE},
        ),
        provenance=f"{TRAIN_DIR}/provenance.json",
    log:
        "results/logs/train_vae.log",
    benchmark:
        "results/benchmarks/train_vae.tsv"
    conda:
        "../../envs/vae.yaml"
    threads: 8
    resources:
        mem_mb=tensorflow_mem_mb,
        runtime=train_runtime,
    params:
        outdir=subpath(output.model, parent=True),
        options=TRAIN_OPTIONS,
        pretrained=PRETRAINED_OPTION,
    shell:
        "kmervae train --features {input.features:q} --views {input.views:q}"
        " --markers {input.markers:q} --index {input.index:q} {params.pretrained}"
        " --outdir {params.outdir:q} --discard-stale-checkpoint"
        " --threads {threads} --no-architecture {params.options} 2> {log:q}"


rule draw_architecture:
    """Picture of the network with the shape of every layer (rendered by graphviz-pure)."""
    input:
        model=rules.train_vae.output.model,
    output:
        picture=report(
            f"{MODEL_DIR}/architecture.png",
            caption="../report/architecture.rst",
            category="Model",
            labels={"figure": "network"},
        ),
    log:
        "results/logs/draw_architecture.log",
    benchmark:
        "results/benchmarks/draw_architecture.tsv"
    conda:
        "../../envs/vae.yaml"
    threads: 1
    resources:
        mem_mb=tensorflow_mem_mb,
        runtime=10,
    shell:
        "kmervae architecture {input.model:q} --output {output.picture:q} 2> {log:q}"
