"""The snapshot's settings: `SnapshotSettings`, one field per setting, with its help text.

Dagster config of `pair_snapshot` and the `upvote-dpo snapshot` flags are made from these
fields. Kept apart from the freezing (`assets.snapshot.freeze`, `assets.snapshot.weights`)
so the command line can list the flags without loading pyarrow or scipy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from training.errors import ConfigError

# How each pair's loss may be weighted (assets/snapshot/weights.py, docs/pairs.md).
WEIGHTINGS = ("none", "log_ratio", "confidence")


@dataclass(frozen=True)
class SnapshotSettings:
    """How the current pairs are frozen; Dagster config and CLI flags mirror these fields."""

    weighting: str = field(
        default="none",
        metadata={
            "help": "Per-pair loss weights the snapshot carries: none (no weight column), log_ratio "
            "(log score ratio, capped) or confidence (how sure the votes are; docs/pairs.md)."
        },
    )

    def __post_init__(self):
        if self.weighting not in WEIGHTINGS:
            raise ConfigError(f"--weighting must be one of {', '.join(WEIGHTINGS)}, got {self.weighting!r}")
