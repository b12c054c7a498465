"""The singles build's settings: `SingleRules`, one field per rule, with its help text.

Only what labels a reply and removes its duplicates is here. The filters every reply passes
first (deleted, bots, moderators, NSFW, the post's own author, ...) and the train/eval split
are the pairs' own: the build reads them from the latest pairs build, so a single is filtered
like a pair's reply and lands on its post's side of the split.
"""

from __future__ import annotations

from dataclasses import dataclass

from training.bounds import SEED, Range, check_ranges
from training.errors import ConfigError
from training.flags import option


@dataclass(frozen=True)
class SingleRules:
    """Every rule of the singles build; Dagster config mirrors these fields."""

    desirable_median_multiple: float = option(
        2.0,
        "A reply is desirable when it scored at least this multiple of its thread's median top-level score (and desirable_min_score).",
        range=Range(1),
    )
    desirable_min_score: int = option(
        10, "A desirable reply scored at least this much, whatever its thread's median.", range=Range(1)
    )
    undesirable_max_score: int = option(
        0,
        "A reply is undesirable when it scored at or below this (or undesirable_median_fraction of the median).",
        range=Range(),
    )
    undesirable_median_fraction: float = option(
        0.0,
        "A reply is undesirable when it scored at or below this fraction of its thread's median top-level score; 0 = the score rule alone.",
        range=Range(0, 1, high_open=True),
    )
    exact_dedup: bool = option(True, "Drop a reply whose normalised text a stronger kept reply already has.")
    near_dedup: bool = option(True, "Drop a reply that is a near duplicate (MinHash LSH) of a stronger kept reply.")
    near_dup_threshold: float = option(
        0.8,
        "Jaccard similarity of character 5-gram sets at or above which two replies are near duplicates.",
        range=Range(0, 1, low_open=True, high_open=True),
    )
    minhash_num_perm: int = option(
        128, "MinHash permutations: more = a tighter Jaccard estimate, slower.", range=Range(2, 1024)
    )
    minhash_seed: int = option(1, "Seed of the MinHash permutations.", range=SEED)

    def __post_init__(self) -> None:
        check_ranges(self)
        if self.undesirable_max_score >= self.desirable_min_score:
            raise ConfigError(
                f"--undesirable-max-score ({self.undesirable_max_score}) must be below "
                f"--desirable-min-score ({self.desirable_min_score}): a reply cannot be both"
            )
