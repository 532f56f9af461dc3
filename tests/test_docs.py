"""Documentation lists what the code accepts: every config key is explained, in tables
that render."""

from __future__ import annotations

import dataclasses
import re

import pytest
import yaml
from conftest import REPO

from kmervae.vae.config import VAEConfig

CONFIG_README = (REPO / "config" / "README.md").read_text()
# a GitHub-flavoured Markdown table's delimiter row: | --- | :--: | ... |
DELIMITER_ROW = re.compile(r"\|(\s*:?-+:?\s*\|)+")


def table_cells(line: str) -> list[str]:
    """The cells of a table row: text between unescaped pipes, stripped."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Every table of a Markdown text outside code fences, as rows of cells (header first,
    delimiter row left out). Fails, naming the line, where a table would not render as
    one: a run of `|` lines without a header and a delimiter row (as after a blank line
    inside a table) or a row whose number of cells differs from the header's."""
    tables, block, fenced = [], [], False
    lines = [*text.splitlines(), ""]
    for line_no, line in enumerate(lines, start=1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and line.lstrip().startswith("|"):
            block.append((line_no, line))
            continue
        if not block:
            continue
        (first_no, header), *rest = block
        assert rest and DELIMITER_ROW.fullmatch(rest[0][1].strip()), (
            f"line {first_no}: table without a header and delimiter row "
            "(a blank line inside a table splits it)"
        )
        width = len(table_cells(header))
        assert len(table_cells(rest[0][1])) == width, f"line {rest[0][0]}: delimiter cells"
        rows = [table_cells(header)]
        for row_no, row in rest[1:]:
            cells = table_cells(row)
            assert len(cells) == width, f"line {row_no}: {len(cells)} cells, header has {width}"
            rows.append(cells)
        tables.append(rows)
        block = []
    return tables


def test_table_check_finds_a_table_split_by_a_blank_line():
    table = "| key | meaning |\n| --- | --- |\n| `a` | one |\n"
    assert markdown_tables(table) == [[["key", "meaning"], ["`a`", "one"]]]
    with pytest.raises(AssertionError, match="line 5: table without a header"):
        markdown_tables(table + "\n| `b` | two |\n")
    with pytest.raises(AssertionError, match="line 3: 3 cells, header has 2"):
        markdown_tables(table.replace("| one |", "| one | extra |"))
    assert markdown_tables("```\n| not a table\n```\n") == []


@pytest.mark.parametrize("path", ["README.md", "config/README.md"])
def test_markdown_tables_render(path):
    assert markdown_tables((REPO / path).read_text())


def test_every_schema_key_is_in_the_first_config_table():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    header, *rows = markdown_tables(CONFIG_README)[0]
    assert header == ["key", "default", "meaning"]
    assert {row[0] for row in rows} == {f"`{key}`" for key in schema["properties"]}


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
    from kmervae.binning.clustering import ClusterParams

    for field in dataclasses.fields(ClusterParams):
        assert f"| `{field.name}` |" in CONFIG_README, field.name
