"""kmervae: genome binning by k-mer composition with a three-branch VAE."""

__version__ = "0.1.0"
