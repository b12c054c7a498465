"""Dagster config generated from the plain frozen dataclasses, field for field.

The dataclass (`PairRules`, `TrainConfig`) stays the one place where a parameter, its
default and its help text are written; Dagster's launchpad shows the same fields.
"""

from __future__ import annotations

import dataclasses
import typing

import dagster as dg
from pydantic import Field, create_model


def dagster_config(dataclass_type: type) -> type[dg.Config]:
    """A `dagster.Config` class with one field per dataclass field (type, default, help)."""
    hints = typing.get_type_hints(dataclass_type)
    fields = {
        field.name: (
            hints[field.name],
            Field(default=field.default, description=field.metadata.get("help")),
        )
        for field in dataclasses.fields(dataclass_type)
        if field.init
    }
    return create_model(
        f"{dataclass_type.__name__}Config",
        __base__=dg.Config,
        __doc__=dataclass_type.__doc__,
        **fields,
    )


def to_dataclass(dataclass_type: type, config: dg.Config):
    """The frozen dataclass holding the values of a config made by `dagster_config`."""
    return dataclass_type(**config.model_dump())


def command_flags(values) -> list[str]:
    """The command-line flags (training.flags' spelling) of every field of a dataclass instance
    that differs from its default: what a `python -m ...` launched through Pipes is given."""
    flags = []
    for field in dataclasses.fields(values):
        value = getattr(values, field.name)
        if value == field.default:
            continue
        flag = "--" + field.name.replace("_", "-")
        if isinstance(value, bool):
            flags.append(flag if value else "--no-" + field.name.replace("_", "-"))
        else:
            flags += [flag, str(value)]
    return flags
