"""kmervae: genome bins from FASTA contigs by k-mer composition and a three-branch VAE.

Run `snakemake --cores 16 --use-conda` (or `make demo`). Configuration: config/config.yaml,
documented in config/README.md.
"""

from snakemake.utils import min_version

min_version("9.0")


report: "workflow/report/workflow.rst"


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/features.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/self_training.smk"
include: "workflow/rules/embed.smk"
include: "workflow/rules/markers.smk"
include: "workflow/rules/binning.smk"


localrules:
    all,


rule all:
    """Every sample's features, the trained model and its pictures."""
    input:
        final_outputs(),
