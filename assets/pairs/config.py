"""The pairs build's settings: `PairRules`, one field per rule, with its help text.

Dagster config (`assets.pairs.assets`) and the `upvote-dpo pairs build` flags are made from
these fields. Kept apart from the build (`assets.pairs.rules`, which re-exports it) so the
command line can list the flags without loading pyarrow, numba or datasketch.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass

from training.bounds import SEED, Range, check_ranges
from training.errors import ConfigError
from training.flags import option


def _csv(text: str) -> list[str]:
    """Lowercased, stripped, non-empty items of a comma-separated string."""
    return [item.strip().lower() for item in text.split(",") if item.strip()]


@dataclass(frozen=True)
class PairRules:
    """Every rule of the pairs build; Dagster config and CLI flags mirror these fields."""

    min_score_ratio: float = option(
        2.0,
        "Keep a pair only if chosen score / rejected score >= this (SHP: 2.0; exactly 2.0 is kept).",
        range=Range(1),
    )
    min_comment_score: int = option(
        2,
        "Both comments need at least this score (>= 1, so the ratio is defined).",
        range=Range(1),
        range_note="score ratios need positive scores",
    )
    # any whole number: a score can be negative, and a negative threshold keeps such posts
    min_post_score: int = option(
        10, "The post needs at least this score; a post without a score is dropped.", range=Range()
    )
    later_must_win: bool = option(True, "The chosen comment must be written strictly later than the rejected one.")
    max_pairs_per_post: int = option(
        5, "Keep at most this many pairs per post, strongest score ratio first; 0 = no cap.", range=Range(0)
    )
    drop_nsfw: bool = option(True, "Drop posts marked over_18.")
    drop_deleted: bool = option(
        True,
        "Drop comments whose body is [deleted]/[removed] or whose author is deleted or null (empty bodies always go).",
    )
    bot_authors: str = option(
        "AutoModerator", "Comma-separated authors whose comments are dropped (case-insensitive); empty = none."
    )
    drop_moderator_distinguished: bool = option(True, "Drop comments distinguished as moderator.")
    drop_post_author: bool = option(True, "Drop comments by the post's own author (OP).")
    drop_stickied: bool = option(True, "Drop stickied comments.")
    drop_score_hidden: bool = option(True, "Drop comments whose score was hidden when retrieved (score unreliable).")
    min_score_age_hours: float = option(
        24.0,
        "Drop comments whose score was captured less than this many hours after they were written (votes still coming in); 0 = no limit.",
        range=Range(0),
    )
    drop_unknown_score_age: bool = option(
        False,
        "Drop comments whose score age is unknown (the source gave no retrieval time); kept by default, and counted.",
    )
    drop_edited: bool = option(False, "Drop edited comments (the text may differ from what was voted on).")
    max_comment_chars: int = option(0, "Drop comments longer than this many characters; 0 = no limit.", range=Range(0))
    max_length_ratio: float = option(
        0.0,
        "Keep a pair only if the longer reply has at most this many times the characters of the shorter (length-matched pairs); 0 = no limit.",
        range=Range(0),
    )
    subreddits: str = option("", "Comma-separated subreddits to keep (case-insensitive); empty = all.")
    exact_dedup: bool = option(
        True,
        "Drop pairs whose completions are exact duplicates after normalisation (within a pair, or repeating a stronger pair).",
    )
    near_dedup: bool = option(
        True,
        "Drop pairs whose completions are near duplicates by MinHash LSH (within a pair, or repeating a stronger pair).",
    )
    near_dup_threshold: float = option(
        0.8,
        "Jaccard similarity of character 5-gram sets at or above which two comments are near duplicates.",
        range=Range(0, 1, low_open=True, high_open=True),
    )
    minhash_num_perm: int = option(
        128, "MinHash permutations: more = a tighter Jaccard estimate, slower.", range=Range(2, 1024)
    )
    minhash_seed: int = option(1, "Seed of the MinHash permutations (datasketch's).", range=SEED)
    eval_fraction: float = option(
        0.1, "Share of posts whose pairs go to the eval split, by a hash of the post id.", range=Range(0, 1)
    )
    split_salt: str = option(
        "", "Prefixed to the post id before hashing for the split; change it to draw another split."
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
