"""Options made from a settings dataclass: help, parsing, and the workflow's command lines."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from kmervae.commands.options import (
    add_options,
    command_options,
    field_help,
    settings_from_args,
    settings_from_config,
)
from kmervae.errors import KmervaeError


@dataclasses.dataclass(frozen=True)
class Toy:
    """Settings of every kind an option can have."""

    size: int = 3
    """How many, at least 1."""
    rate: float = 0.5
    mode: str = dataclasses.field(default="fast", metadata={"choices": ("fast", "exact")})
    """Speed or exactness; 100% exact is slow."""
    enabled: bool = True
    """Whether to do it."""
    widths: tuple[int, ...] = (4, 2)
    """Layer widths."""
    branches: tuple[tuple[int, ...], ...] = ((8, 4), (2,))
    """Widths per branch."""
    limit: int | None = None
    """Optional cap."""

    def __post_init__(self):
        # as VAEConfig does: lists (from YAML) become tuples
        object.__setattr__(self, "widths", tuple(self.widths))
        object.__setattr__(self, "branches", tuple(tuple(b) for b in self.branches))
        if self.size < 1:
            raise KmervaeError(f"size must be at least 1, got {self.size}")


def parser_for(cls=Toy, names=None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_options(parser, cls, names)
    return parser


def test_help_is_the_field_docstring_and_the_dataclass_default():
    assert field_help(Toy) == {
        "size": "How many, at least 1.",
        "mode": "Speed or exactness; 100% exact is slow.",
        "enabled": "Whether to do it.",
        "widths": "Layer widths.",
        "branches": "Widths per branch.",
        "limit": "Optional cap.",
    }
    text = " ".join(parser_for().format_help().split())
    assert "--size SIZE How many, at least 1. (default: 3)" in text
    assert "--rate RATE (default: 0.5)" in text  # no docstring: the default alone
    assert "100% exact is slow. (default: fast)" in text  # "%" is no format directive
    assert "--enabled, --no-enabled Whether to do it. (default: true)" in text
    assert "(default: 4,2)" in text and "(default: 8,4 2)" in text
    assert "--limit LIMIT Optional cap." in text and "Optional cap. (default" not in text


def test_only_given_options_are_settings():
    parser = parser_for()
    assert settings_from_args(Toy, parser.parse_args([])) == {}
    args = parser.parse_args(
        ["--size", "5", "--no-enabled", "--widths", "7,6,5", "--branches", "1", "2,3"]
    )
    given = settings_from_args(Toy, args)
    assert given == {"size": 5, "enabled": False, "widths": (7, 6, 5), "branches": ((1,), (2, 3))}
    assert Toy(**given) == Toy(size=5, enabled=False, widths=(7, 6, 5), branches=((1,), (2, 3)))


def test_names_select_the_options():
    parser = parser_for(names=["size", "mode"])
    with pytest.raises(SystemExit):
        parser.parse_args(["--rate", "1"])
    args = parser.parse_args(["--mode", "exact"])
    assert settings_from_args(Toy, args, ["size", "mode"]) == {"mode": "exact"}


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"size": 2, "rate": 1, "mode": "exact"},
        {"enabled": False, "limit": 9},
        {"enabled": True, "limit": None},
        {"widths": [1], "branches": [[3, 2, 1], [5]]},  # lists, as YAML gives them
        {"rate": -0.25},  # a value that starts with "-"
    ],
)
def test_command_options_round_trip_through_the_parser(settings):
    options = command_options(Toy, settings)
    assert all(isinstance(word, str) for word in options)
    parsed = Toy(**settings_from_args(Toy, parser_for().parse_args(options)))
    assert parsed == Toy(**{k: v for k, v in settings.items() if v is not None})


def test_command_options_of_an_instance_give_every_selected_setting():
    options = command_options(Toy, Toy(size=7), ["size", "mode", "enabled"])
    assert options == ["--size=7", "--mode=fast", "--enabled"]


def test_complete_command_options_spell_out_the_defaults():
    # the workflow's form: a changed package default changes the job's command line
    options = command_options(Toy, {"size": 5, "mode": "exact"}, complete=True)
    assert options == [
        "--size=5", "--rate=0.5", "--mode=exact", "--enabled",
        "--widths=4,2", "--branches", "8,4", "2",
    ]  # fmt: skip
    # still checked as the command checks
    with pytest.raises(KmervaeError, match="size must be at least 1"):
        command_options(Toy, {"size": 0}, complete=True)


def test_command_options_read_true_and_false_as_text():
    # as snakemake --config "section={key: value}" passes nested values
    assert command_options(Toy, {"enabled": "false"}) == ["--no-enabled"]
    assert command_options(Toy, {"enabled": "True"}) == ["--enabled"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"sise": 2}, r"unknown toy settings \['sise'\]; known: \['size'"),
        ({"size": 0}, "size must be at least 1, got 0"),  # the dataclass's own check
        ({"size": 1.5}, "invalid toy settings: argument --size: invalid int value: '1.5'"),
        ({"size": True}, "invalid int value: 'True'"),
        ({"mode": "slow"}, "invalid choice: 'slow'"),
        ({"enabled": "yes"}, "enabled must be true or false, got 'yes'"),
        ({"size": None}, "size must be set"),
        ({"widths": 4}, "widths must be a list of integers"),
        ({"widths": ["a"]}, "expected comma-separated integers"),
        ({"branches": [1, 2]}, "branches must be a list of 2 lists of integers"),
        ({"branches": [[1], [2], [3]]}, "branches must be a list of 2 lists of integers"),
        ({"rate": [1]}, "rate must be one value of type float"),
    ],
)
def test_command_options_reject_what_the_command_would_reject(settings, message):
    with pytest.raises(KmervaeError, match=message):
        command_options(Toy, settings, what="toy settings")


def test_settings_from_config_build_what_the_command_builds_text_included():
    # snakemake --config "section={size: 7, enabled: false}" passes text
    got = settings_from_config(Toy, {"size": "7", "enabled": "false", "widths": [1, 2]})
    assert got == Toy(size=7, enabled=False, widths=(1, 2))
    assert settings_from_config(Toy, {}) == Toy()
    with pytest.raises(KmervaeError, match="invalid toy settings: argument --size"):
        settings_from_config(Toy, {"size": "seven"}, what="toy settings")
    with pytest.raises(KmervaeError, match="size must be at least 1, got 0"):
        settings_from_config(Toy, {"size": 0})


def test_command_options_reject_keys_outside_the_selected_names():
    with pytest.raises(KmervaeError, match=r"unknown Toy settings \['rate'\]"):
        command_options(Toy, {"rate": 1.0}, ["size"])
