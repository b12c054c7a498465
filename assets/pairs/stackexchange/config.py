"""The Stack Exchange pairs build's settings: `StackExchangeRules`, one field per rule.

The rules that mean the same as Reddit's (the score ratio, the cap, dedup, the split) take
their help, ranges and defaults from `PairRules`' fields, so the two sources cannot drift;
the rest are Stack Exchange's own. Kept apart from the build, like `assets.pairs.config`,
so the command line lists the flags without loading the build's libraries.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from assets.pairs.config import PairRules, _csv
from training.bounds import Range
from training.errors import ConfigError
from training.flags import option

_REDDIT_FIELDS = {f.name: f for f in dataclasses.fields(PairRules)}
ACCEPTED_ANSWER_USES = ("ignore", "never_rejected")


def _as_for_reddit(name: str, help_text: str | None = None):
    """PairRules' field `name`: its default, range and help (or `help_text`)."""
    reddit = _REDDIT_FIELDS[name]
    return field(default=reddit.default, metadata={**reddit.metadata, **({"help": help_text} if help_text else {})})


@dataclass(frozen=True)
class StackExchangeRules:
    """Every rule of the Stack Exchange pairs build; Dagster config and CLI flags mirror these fields."""

    min_score_ratio: float = _as_for_reddit(
        "min_score_ratio",
        "Keep a pair only if its score ratio >= this: chosen / rejected when the rejected answer "
        "scored >= 1; else both scores shifted so the rejected one counts as 1, "
        "(chosen - rejected + 1) / 1 (SHP: 2.0).",
    )
    score_horizon_days: int = option(
        30,
        "Score each answer by its up minus down votes cast within this many days of the day "
        "it was posted (from Votes.xml; the site's dump-date score where it has none); 0 = the dump-date score.",
        range=Range(0),
    )
    min_question_score: int = option(0, "The question needs at least this score.", range=Range())
    min_answer_score: int = option(0, "Both answers need at least this score (as scored for the pair).", range=Range())
    later_must_win: bool = _as_for_reddit(
        "later_must_win", "The chosen answer must be written strictly later than the rejected one."
    )
    accepted_answer: str = option(
        "ignore",
        "What the asker's accepted answer counts for: 'ignore', or 'never_rejected' (drop the pairs "
        "in which the accepted answer would be the rejected one: the asker and the voters disagree).",
    )
    drop_community_wiki: bool = option(
        True, "Drop community-wiki questions and answers (no single author, no reputation at stake)."
    )
    drop_deleted_owner: bool = option(True, "Drop questions and answers whose author's account is deleted.")
    drop_asker_answers: bool = option(True, "Drop answers written by the question's own author.")
    drop_closed: bool = option(False, "Drop closed questions.")
    max_answer_chars: int = option(
        0, "Drop answers longer than this many characters of HTML; 0 = no limit.", range=Range(0)
    )
    sites: str = option("", "Comma-separated sites to keep (e.g. 'quantumcomputing.stackexchange.com'); empty = all.")
    max_pairs_per_post: int = _as_for_reddit(
        "max_pairs_per_post", "Keep at most this many pairs per question, strongest score ratio first; 0 = no cap."
    )
    exact_dedup: bool = _as_for_reddit("exact_dedup")
    near_dedup: bool = _as_for_reddit("near_dedup")
    near_dup_threshold: float = _as_for_reddit("near_dup_threshold")
    minhash_num_perm: int = _as_for_reddit("minhash_num_perm")
    minhash_seed: int = _as_for_reddit("minhash_seed")
    eval_fraction: float = _as_for_reddit(
        "eval_fraction", "Share of questions whose pairs go to the eval split, by a hash of the question."
    )
    split_salt: str = _as_for_reddit("split_salt")

    def __post_init__(self) -> None:
        PairRules.__post_init__(self)  # types, ranges and LSH banding: the same checks over these fields
        if self.accepted_answer not in ACCEPTED_ANSWER_USES:
            raise ConfigError(
                f"--accepted-answer must be one of {', '.join(ACCEPTED_ANSWER_USES)}, got {self.accepted_answer!r}"
            )

    @property
    def site_list(self) -> list[str]:
        return _csv(self.sites)
