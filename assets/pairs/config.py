"""The pairs build's settings: `PairRules`, one field per rule, with its help text.

Dagster config (`assets.pairs.assets`) and the `upvote-dpo pairs build` flags are made from
these fields. Kept apart from the build (`assets.pairs.rules`, which re-exports it) so the
command line can list the flags without loading pyarrow, numba or datasketch.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field

from training.bounds import SEED, Range, check_ranges
from training.errors import ConfigError


def _csv(text: str) -> list[str]:
    """Lowercased, stripped, non-empty items of a comma-separated string."""
    return [item.strip().lower() for item in text.split(",") if item.strip()]


@dataclass(frozen=True)
class PairRules:
    """Every rule of the pairs build; Dagster config and CLI flags mirror these fields."""

    min_score_ratio: float = field(
        default=2.0,
        metadata={
            "help": "Keep a pair only if chosen score / rejected score >= this (SHP: 2.0; exactly 2.0 is kept).",
            "range": Range(1),
        },
    )
    min_comment_score: int = field(
        default=2,
        metadata={
            "help": "Both comments need at least this score (>= 1, so the ratio is defined).",
            "range": Range(1),
            "range_note": "score ratios need positive scores",
        },
    )
    min_post_score: int = field(
        default=10,
        # any whole number: a score can be negative, and a negative threshold keeps such posts
        metadata={"help": "The post needs at least this score; a post without a score is dropped.", "range": Range()},
    )
    later_must_win: bool = field(
        default=True, metadata={"help": "The chosen comment must be written strictly later than the rejected one."}
    )
    max_pairs_per_post: int = field(
        default=5,
        metadata={
            "help": "Keep at most this many pairs per post, strongest score ratio first; 0 = no cap.",
            "range": Range(0),
        },
    )
    drop_nsfw: bool = field(default=True, metadata={"help": "Drop posts marked over_18."})
    drop_deleted: bool = field(
        default=True,
        metadata={
            "help": "Drop comments whose body is [deleted]/[removed] or whose author is deleted or null (empty bodies always go)."
        },
    )
    bot_authors: str = field(
        default="AutoModerator",
        metadata={"help": "Comma-separated authors whose comments are dropped (case-insensitive); empty = none."},
    )
    drop_moderator_distinguished: bool = field(
        default=True, metadata={"help": "Drop comments distinguished as moderator."}
    )
    drop_post_author: bool = field(default=True, metadata={"help": "Drop comments by the post's own author (OP)."})
    drop_stickied: bool = field(default=True, metadata={"help": "Drop stickied comments."})
    drop_score_hidden: bool = field(
        default=True, metadata={"help": "Drop comments whose score was hidden when retrieved (score unreliable)."}
    )
    min_score_age_hours: float = field(
        default=24.0,
        metadata={
            "help": "Drop comments whose score was captured less than this many hours after they were written (votes still coming in); 0 = no limit.",
            "range": Range(0),
        },
    )
    drop_unknown_score_age: bool = field(
        default=False,
        metadata={
            "help": "Drop comments whose score age is unknown (the source gave no retrieval time); kept by default, and counted."
        },
    )
    drop_edited: bool = field(
        default=False, metadata={"help": "Drop edited comments (the text may differ from what was voted on)."}
    )
    max_comment_chars: int = field(
        default=0,
        metadata={"help": "Drop comments longer than this many characters; 0 = no limit.", "range": Range(0)},
    )
    max_length_ratio: float = field(
        default=0.0,
        metadata={
            "help": "Keep a pair only if the longer reply has at most this many times the characters of the shorter (length-matched pairs); 0 = no limit.",
            "range": Range(0),
        },
    )
    subreddits: str = field(
        default="", metadata={"help": "Comma-separated subreddits to keep (case-insensitive); empty = all."}
    )
    exact_dedup: bool = field(
        default=True,
        metadata={
            "help": "Drop pairs whose completions are exact duplicates after normalisation (within a pair, or repeating a stronger pair)."
        },
    )
    near_dedup: bool = field(
        default=True,
        metadata={
            "help": "Drop pairs whose completions are near duplicates by MinHash LSH (within a pair, or repeating a stronger pair)."
        },
    )
    near_dup_threshold: float = field(
        default=0.8,
        metadata={
            "help": "Jaccard similarity of character 5-gram sets at or above which two comments are near duplicates.",
            "range": Range(0, 1, low_open=True, high_open=True),
        },
    )
    minhash_num_perm: int = field(
        default=128,
        metadata={"help": "MinHash permutations: more = a tighter Jaccard estimate, slower.", "range": Range(2, 1024)},
    )
    minhash_seed: int = field(
        default=1, metadata={"help": "Seed of the MinHash permutations (datasketch's).", "range": SEED}
    )
    eval_fraction: float = field(
        default=0.1,
        metadata={
            "help": "Share of posts whose pairs go to the eval split, by a hash of the post id.",
            "range": Range(0, 1),
        },
    )
    split_salt: str = field(
        default="",
        metadata={"help": "Prefixed to the post id before hashing for the split; change it to draw another split."},
    )

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value, kind = getattr(self, f.name), hints[f.name]
            ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                ok = True
            if not ok:
                raise TypeError(f"PairRules.{f.name} must be {kind.__name__}, got {value!r}")
        check_ranges(self)
        # getattr: StackExchangeRules runs these checks over its own fields, which lack this rule
        if 0 < getattr(self, "max_length_ratio", 0) < 1:
            raise ConfigError(
                f"--max-length-ratio must be 0 (no limit) or >= 1 (longer / shorter), got {self.max_length_ratio!r}"
            )
        if self.near_dedup:
            # datasketch (via dedup) loads here, not at import: `upvote-dpo --help` builds its
            # flags from these fields without it.
            from assets.pairs.minhash import lsh_bands

            try:
                lsh_bands(self.near_dup_threshold, self.minhash_num_perm)
            except ValueError as err:
                raise ConfigError(
                    f"--near-dup-threshold {self.near_dup_threshold} with "
                    f"--minhash-num-perm {self.minhash_num_perm} leaves no LSH banding: {err}"
                ) from err

    @property
    def bot_author_list(self) -> list[str]:
        return _csv(self.bot_authors)

    @property
    def min_score_age_s(self) -> int:
        return round(self.min_score_age_hours * 3600)

    @property
    def subreddit_list(self) -> list[str]:
        return _csv(self.subreddits)
