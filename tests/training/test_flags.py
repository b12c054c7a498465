"""training/flags.py: the Markdown table of the training flags, and docs/training.md's copy of it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from training import flags
from training.__main__ import build_parser

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "training.md"


def rows(table: str) -> dict[str, list[str]]:
    """{first flag: [flags, type, default, help]} of a generated table's body rows."""
    found = {}
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        found[cells[0].split(", ")[0].strip("`")] = cells
    return found


def test_docs_training_md_has_the_table_the_config_makes():
    documented = flags.between_markers(DOC.read_text())
    assert documented == flags.training_flags_markdown(), (
        "docs/training.md's flags table differs from the config's fields; regenerate it with\n"
        "    python -m training.flags --write docs/training.md"
    )


def test_the_table_shows_each_flag_as_the_command_line_takes_it():
    table = rows(flags.training_flags_markdown())
    actions = [action for action in build_parser()._actions if action.dest != "help"]
    assert len(table) == len(actions)
    for action in actions:
        names, _, default, help_text = table[action.option_strings[0]]
        assert [name.strip("`") for name in names.split(", ")] == action.option_strings
        if action.required:
            assert default == "required"
        else:  # the help argparse shows ends with the default the table shows
            expected = f"{help_text} (default: {default.strip('`')})".replace(r"\|", "|")
            assert action.help.replace("%%", "%") == expected


@dataclass(frozen=True)
class Knobs:
    size: int = field(default=3, metadata={"help": "How many | at most."})
    name: Optional[str] = field(default=None, metadata={"help": "A name."})


@dataclass(frozen=True)
class Switches:
    fast: bool = field(default=False, metadata={"help": "Go fast."})
    where: str = field(default="", metadata={"help": "Where to go."})


def test_the_table_takes_several_dataclasses_in_order_with_aliases_required_and_skipped_fields():
    table = flags.markdown_table([Knobs, Switches], aliases={"size": ["-n"]}, required=("where",), skip=("name",))
    lines = table.splitlines()
    assert lines[:2] == ["| flag | type | default | what it sets |", "|---|---|---|---|"]
    assert lines[2:] == [
        r"| `-n`, `--size` | int | `3` | How many \| at most. |",
        "| `--fast`, `--no-fast` | bool | `False` | Go fast. |",
        "| `--where` | str | required | Where to go. |",
    ]


def test_write_replaces_only_the_table_between_the_markers(tmp_path):
    doc = tmp_path / "training.md"
    before, after = "# Training\n\nIntro.\n\n", "\nAfter the table.\n"
    doc.write_text(f"{before}{flags.TABLE_START}\n| stale |\n|---|\n{flags.TABLE_END}{after}")

    assert flags.main(["--write", str(doc)]) == 0
    assert doc.read_text() == f"{before}{flags.TABLE_START}\n{flags.training_flags_markdown()}{flags.TABLE_END}{after}"
    flags.main(["--write", str(doc)])  # a second run finds nothing to change
    assert flags.between_markers(doc.read_text()) == flags.training_flags_markdown()


def test_markdown_prints_the_table(capsys):
    assert flags.main(["--markdown"]) == 0
    assert capsys.readouterr().out == flags.training_flags_markdown()
