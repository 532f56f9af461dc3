"""Options of the CLI layer made from a settings dataclass, so that each setting is defined once.

A settings dataclass (:class:`kmervae.vae.config.VAEConfig`,
:class:`kmervae.binning.clustering.ClusterParams`) gives every setting its name, type and
default, with a docstring under the field that says what it does, and checks its values
when built. From it come

* :func:`add_options`: a command's options, ``--name-with-dashes`` per field, the help
  being the field's docstring and its default;
* :func:`settings_from_args`: the settings given on the command line, to build the
  dataclass from (fields not given take the dataclass's defaults);
* :func:`command_options`: the command line that gives a mapping of settings, which the
  workflow builds from its config. It is parsed back by the same options and the
  dataclass built from it, so an unknown key or a bad value stops the workflow with the
  error the command would give, before any job runs.

Field types decide the kind of option: ``bool`` a ``--name`` / ``--no-name`` pair,
``int``, ``float`` and ``str`` one value (``metadata={"choices": ...}`` on the field lists
the allowed strings), ``tuple[int, ...]`` one comma-separated list and
``tuple[tuple[int, ...], ...]`` one such list per entry of the default. ``X | None``: the
setting may be left unset (default None).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Iterable, Mapping

from kmervae.errors import KmervaeError


def option_name(name: str) -> str:
    """The command-line option of a setting: ``--min-bin-size`` for ``min_bin_size``."""
    return "--" + name.replace("_", "-")


@functools.cache
def field_help(cls: type) -> dict[str, str]:
    """The docstring under each field of the dataclass ``cls`` (read from its source),
    whitespace collapsed: the help of the field's option."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body
    helps: dict[str, str] = {}
    for node, following in zip(body, [*body[1:], None], strict=True):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            helps[node.target.id] = " ".join(following.value.value.split())
    return helps


@dataclasses.dataclass(frozen=True)
class _Setting:
    """What an option needs to know of one field."""

    name: str
    kind: type  # bool, int, float, str, or tuple (of int) / list (tuple of tuples of int)
    default: object
    choices: tuple | None
    help: str


@functools.cache
def _settings(cls: type) -> dict[str, _Setting]:
    hints = typing.get_type_hints(cls)
    helps = field_help(cls)
    out = {}
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        if typing.get_origin(hint) is tuple:
            item = typing.get_args(hint)[0]
            kind = list if typing.get_origin(item) is tuple else tuple
        elif hint in (bool, int, float, str):
            kind = hint
        else:
            raise TypeError(f"{cls.__name__}.{field.name}: no option for type {hint}")
        if field.default is not dataclasses.MISSING:
            default = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        else:
            default = None
        out[field.name] = _Setting(
            field.name, kind, default, field.metadata.get("choices"), helps.get(field.name, "")
        )
    return out


def _selected(cls: type, names: Iterable[str] | None) -> dict[str, _Setting]:
    settings = _settings(cls)
    if names is None:
        return settings
    return {name: settings[name] for name in names}


def _int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return values


def _shown(setting: _Setting) -> str:
    value = setting.default
    if isinstance(value, bool):
        return str(value).lower()
    if setting.kind is list:
        return " ".join(",".join(map(str, entry)) for entry in value)
    if setting.kind is tuple:
        return ",".join(map(str, value))
    return str(value)


def add_options(parser, cls: type, names: Iterable[str] | None = None) -> None:
    """Add an option per field of the dataclass ``cls`` (only ``names``, if given) to
    ``parser`` (a parser or an argument group).

    Every option's value is None when not given, so that :func:`settings_from_args`
    returns only what the command line sets; the help shows the dataclass's default.
    """
    for setting in _selected(cls, names).values():
        kwargs: dict = {"dest": setting.name, "default": None}
        if setting.kind is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif setting.kind is list:
            kwargs.update(nargs=len(setting.default), type=_int_list, metavar="N,N")
        elif setting.kind is tuple:
            kwargs.update(type=_int_list, metavar="N,N")
        else:
            kwargs.update(type=setting.kind, choices=setting.choices)
        text = setting.help
        if setting.default is not None:
            text = f"{text} (default: {_shown(setting)})".strip()
        kwargs["help"] = text.replace("%", "%%")
        parser.add_argument(option_name(setting.name), **kwargs)


def settings_from_args(
    cls: type, args: argparse.Namespace, names: Iterable[str] | None = None
) -> dict:
    """The settings of ``cls`` (only ``names``, if given) that the parsed command line
    ``args`` sets: options added by :func:`add_options` and given a value."""
    given = {}
    for name, setting in _selected(cls, names).items():
        value = getattr(args, name, None)
        if value is not None:
            given[name] = tuple(value) if setting.kind is list else value
    return given


class _RaisingParser(argparse.ArgumentParser):
    """A parser whose errors raise :class:`KmervaeError` instead of exiting."""

    def __init__(self, what: str):
        super().__init__(prog=what, add_help=False)
        self.what = what

    def error(self, message):
        raise KmervaeError(f"invalid {self.what}: {message}")


def command_options(
    cls: type,
    settings,
    names: Iterable[str] | None = None,
    what: str | None = None,
    complete: bool = False,
) -> list[str]:
    """The options that give ``settings`` to a command whose options
    :func:`add_options` made from ``cls`` (only ``names``, if given), for the workflow.

    ``settings`` is a mapping of field names to values (as read from a config file) or an
    instance of ``cls`` (then every selected field is given). A key that is no selected
    field, a value of the wrong type, or values the dataclass rejects raise
    :class:`KmervaeError`, the last with the dataclass's own message; ``what`` names the
    settings in the messages (default: the class name). ``complete``: give every selected
    field, defaults included, so that the command line changes when a default of the
    package does (Snakemake reruns a job whose params changed).
    """
    selected = _selected(cls, names)
    what = what or f"{cls.__name__} settings"
    if dataclasses.is_dataclass(settings):
        settings = {name: getattr(settings, name) for name in selected}
    if not isinstance(settings, Mapping):
        raise KmervaeError(f"{what} must be a mapping of names to values, got {settings!r}")
    unknown = sorted(set(settings) - set(selected))
    if unknown:
        raise KmervaeError(f"unknown {what} {unknown}; known: {list(selected)}")
    argv: list[str] = []
    for name, value in settings.items():
        argv.extend(_option_words(selected[name], value, what))
    built = _parsed_back(cls, argv, selected, what)
    if complete:
        return command_options(cls, built, names, what)
    return argv


def _parsed_back(cls: type, argv: list[str], selected, what: str):
    """``argv`` parsed by the command's own options and built: the command's own errors."""
    parser = _RaisingParser(what)
    add_options(parser, cls, selected)
    return cls(**settings_from_args(cls, parser.parse_args(argv), selected))


def settings_from_config(cls: type, settings, what: str | None = None):
    """An instance of ``cls`` from a config section, as the command that
    :func:`command_options` feeds builds it: the same checks and errors, and the values
    Snakemake's ``--config "section={key: value}"`` passes as text read as the command
    line would read them."""
    what = what or f"{cls.__name__} settings"
    return _parsed_back(cls, command_options(cls, settings, what=what), None, what)


def _option_words(setting: _Setting, value, what: str) -> list[str]:
    flag = option_name(setting.name)

    def bad(expected: str):
        raise KmervaeError(f"invalid {what}: {setting.name} must be {expected}, got {value!r}")

    if value is None:
        if setting.default is not None:
            bad("set (leave the key out for its default)")
        return []
    if setting.kind is bool:
        # snakemake --config "section={key: true}" gives nested values as text
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        if not isinstance(value, bool):
            bad("true or false")
        return [flag if value else "--no-" + flag.removeprefix("--")]
    if setting.kind is list:
        if (
            not isinstance(value, list | tuple)
            or len(value) != len(setting.default)
            or not all(isinstance(entry, list | tuple) for entry in value)
        ):
            bad(f"a list of {len(setting.default)} lists of integers")
        return [flag, *(",".join(map(str, entry)) for entry in value)]
    if setting.kind is tuple:
        if not isinstance(value, list | tuple):
            bad("a list of integers")
        return [f"{flag}={','.join(map(str, value))}"]
    if isinstance(value, list | tuple | dict):
        bad(f"one value of type {setting.kind.__name__}")
    # "=": a value that starts with "-" is not taken for an option
    return [f"{flag}={value}"]
