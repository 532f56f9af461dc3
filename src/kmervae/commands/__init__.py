"""Subcommands of the kmervae command line; one module each."""
