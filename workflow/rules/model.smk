"""Training the three-branch VAE on the training samples' feature matrices."""


rule train_vae:
    """Train the VAE (settings: config vae:); resumes from a checkpoint if interrupted."""
    input:
        features=training_matrices,
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
    shell:
        "kmervae train --features {input.features:q} --outdir {params.outdir:q}"
        " --threads {threads} --no-architecture {params.options} 2> {log:q}"


rule draw_architecture:
    """Picture of the network with the shape of every layer (needs graphviz)."""
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
