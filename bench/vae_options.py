"""``--vae KEY=VALUE`` options of the benchmark scripts: VAE settings as YAML values,
checked by ``VAEConfig`` before anything runs, so a typo fails at once, not after an hour."""

from __future__ import annotations

import argparse


def vae_settings(parser: argparse.ArgumentParser, pairs: list[str], reserved: tuple) -> dict:
    """``pairs`` (``KEY=VALUE`` strings) as a dict of YAML values; a key in ``reserved``
    (one the script sets itself) or a setting ``VAEConfig`` refuses is a usage error."""
    import yaml

    from kmervae.errors import KmervaeError
    from kmervae.vae.config import VAEConfig

    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key in reserved:
            parser.error(f"--vae takes KEY=VALUE other than {', '.join(reserved)}: {pair!r}")
        settings[key] = yaml.safe_load(value)
    try:
        VAEConfig.from_dict(settings)
    except KmervaeError as err:
        parser.error(f"--vae: {err}")
    return settings
