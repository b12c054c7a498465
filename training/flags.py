"""Command-line flags generated from a frozen config dataclass, one per field.

`python -m training` and `upvote-dpo` both use it, so a field added to `TrainConfig` (or
`PairRules`) becomes a flag with its help text and no second copy to keep in step.
"""

from __future__ import annotations

import argparse
import dataclasses
import typing


def scalar_type(annotation):
    """str / int / float / bool from `T` or `Optional[T]`."""
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    return args[0] if args else annotation


def add_dataclass_arguments(
    parser: argparse.ArgumentParser,
    dataclass_type: type,
    aliases: dict[str, list[str]] | None = None,
    required: tuple[str, ...] = (),
    skip: tuple[str, ...] = (),
) -> None:
    """`--field-name` per field (plus `aliases`); flags left unset parse as None."""
    hints = typing.get_type_hints(dataclass_type)
    for field in dataclasses.fields(dataclass_type):
        if field.name in skip:
            continue
        kind = scalar_type(hints[field.name])
        flags = (aliases or {}).get(field.name, []) + ["--" + field.name.replace("_", "-")]
        # argparse %-formats help strings: a literal "%" (as in "~30% fewer") must be doubled
        help_text = f"{field.metadata.get('help', '')} (default: {field.default})".replace("%", "%%")
        if kind is bool:
            parser.add_argument(*flags, dest=field.name, action=argparse.BooleanOptionalAction,
                                default=None, help=help_text)
        else:
            parser.add_argument(*flags, dest=field.name, type=kind, default=None,
                                required=field.name in required, help=help_text)


def dataclass_overrides(args: argparse.Namespace, dataclass_type: type) -> dict:
    """The fields set on the command line; the rest keep the dataclass defaults."""
    return {
        field.name: getattr(args, field.name)
        for field in dataclasses.fields(dataclass_type)
        if getattr(args, field.name, None) is not None
    }
