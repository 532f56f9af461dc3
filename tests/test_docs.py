"""Documentation lists what the code accepts: every config key is explained."""

from __future__ import annotations

import dataclasses

import yaml
from conftest import REPO

from kmervae.vae.config import VAEConfig

CONFIG_README = (REPO / "config" / "README.md").read_text()


def test_every_schema_key_is_documented():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    for key in schema["properties"]:
        assert f"| `{key}` |" in CONFIG_README, key


def test_every_vae_setting_is_documented_with_its_default():
    defaults = VAEConfig()
    for field in dataclasses.fields(VAEConfig):
        assert f"| `{field.name}` |" in CONFIG_README, field.name
        value = getattr(defaults, field.name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            row = next(r for r in CONFIG_README.splitlines() if r.startswith(f"| `{field.name}` |"))
            assert f"`{value}`" in row, field.name


def test_shipped_config_is_valid_against_the_schema():
    from snakemake.utils import validate

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    VAEConfig.from_dict(config["vae"])


def test_every_clustering_setting_is_documented():
    from kmervae.commands.cluster import SETTINGS

    for name in SETTINGS:
        assert f"| `{name}` |" in CONFIG_README, name
