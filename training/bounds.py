"""The allowed values of a config dataclass's numeric fields, declared beside each field.

A field's metadata holds its `Range` under "range"; `check_ranges(instance)` refuses any int
or float field that is not a finite number inside it. Every config (`Hyperparameters`,
`RunOptions`, `PairRules`, `EvalConfig`, `EvalGate`) calls it first in `__post_init__`, so a
value like nan, inf or a negative batch size fails before any work starts, from the command
line and Dagster config alike (both build the dataclass). The message names the flag, which
is the field's name with dashes: the Dagster config field of the same name takes the same values.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Optional

from training.errors import ConfigError


@dataclass(frozen=True)
class Range:
    """low <= value <= high (either end left out: unbounded; `*_open`: that end excluded)."""

    low: Optional[float] = None
    high: Optional[float] = None
    low_open: bool = False
    high_open: bool = False

    def allows(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def describe(self) -> str:
        if self.low is None and self.high is None:
            return "a finite number"
        if self.high is None:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        if self.low is None:
            return f"{'<' if self.high_open else '<='} {self.high:g}"
        return f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"


# Seeds reach numpy's RandomState, which takes 32-bit unsigned seeds only.
SEED = Range(0, 2**32 - 1)


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def check_ranges(instance) -> None:
    """Raise `ConfigError` for the first numeric field that is not finite or outside its range."""
    for field in dataclasses.fields(instance):
        value = getattr(instance, field.name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        allowed = field.metadata.get("range", Range())
        if not math.isfinite(value) or not allowed.allows(value):
            note = field.metadata.get("range_note")
            raise ConfigError(
                f"{flag(field.name)} must be {allowed.describe()}{f' ({note})' if note else ''}, got {value!r}"
            )
