"""SHP-style preference pairs from the raw Reddit tables, rebuilt in one transaction.

`build_pairs(con, PairRules())` reads `reddit_submissions` / `reddit_comments` and
replaces `preference_pairs`. A pair is two top-level comments on one post; the one
written later and scored higher (by at least `min_score_ratio`) is `chosen` (the rules
of the Stanford SHP dataset card: an earlier comment's lead may only mean it was seen
longer). The rules run as SQL (`assets/sql/create_pair_*.sql`, parameters bound);
dedup of the completions (`assets.pairs.dedup`) runs in numpy between two SQL steps.

The report counts what each rule removed as a waterfall over candidate pairs (all
unordered pairs of top-level comments on a post), in the fixed order of `WATERFALL`:
a rule is charged only for pairs no earlier rule removed, so
`candidate_pairs - sum(removed_by_rule) == kept`, globally and per subreddit.
Post and comment rules are counted without building pairs (a post going from n to m
eligible comments loses C(n,2) - C(m,2) pairs); pair rules are counted on the join of
the surviving comments.

The report also counts, per subreddit, the kept pairs whose comments' score ages are known
(`score_age_per_subreddit`) and how often, among all siblings, the earlier comment scored
higher (`early_lead_per_subreddit`, for `assets.pairs.bias`).

Run it: `upvote-dpo pairs build --db PATH` (the `preference_pairs` asset), or
`build_pairs(assets.warehouse.connect.connect(path))` from Python.
"""

from __future__ import annotations

import dataclasses
import html
import html.entities
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from assets.pairs.config import PairRules
from assets.pairs.dedup import SELECTION_STEPS, dedup_pairs_under
from assets.warehouse.connect import sql_folder, transaction

sql = sql_folder(__file__)

POST_STEPS = ("post_missing", "subreddit", "nsfw", "post_score")
COMMENT_STEPS = (
    "deleted",
    "bot_author",
    "moderator",
    "post_author",
    "stickied",
    "score_hidden",
    "score_age_unknown",
    "score_age",
    "edited",
    "comment_length",
    "comment_score",
)
PAIR_STEPS = ("score_tie", "earlier_won", "score_ratio", "length_ratio")
WATERFALL = POST_STEPS + COMMENT_STEPS + PAIR_STEPS + SELECTION_STEPS


@dataclass
class PairBuildReport:
    """What a build did. Every dict over rules has all WATERFALL steps, in order."""

    candidate_pairs: int  # unordered pairs of top-level comments on one post
    removed_by_rule: dict[str, int]
    kept: int  # == candidate_pairs - sum(removed_by_rule.values())
    train: int
    eval: int
    posts: int  # posts with at least one kept pair
    train_posts: int
    eval_posts: int
    top_level_comments: int
    non_top_level_skipped: int  # replies: never in a pair, not in candidate_pairs
    candidate_pairs_per_subreddit: dict[str, int]
    removed_by_rule_per_subreddit: dict[str, dict[str, int]]
    kept_per_subreddit: dict[str, int]
    dedup: dict[str, float | int]  # comments hashed, distinct texts, largest near cluster, timings
    # kept pairs by how many sides have a known score age (both_known, one_unknown,
    # both_unknown), per subreddit
    score_age_per_subreddit: dict[str, dict[str, int]]
    # siblings (candidate pairs past the comment rules) with different scores and times, and
    # those whose earlier comment scored higher, per subreddit: what later_must_win removes
    early_lead_per_subreddit: dict[str, dict[str, int]]
    timings_s: dict[str, float]  # rules_sql, dedup, write, total
    rules: dict[str, object] = field(default_factory=dict)


def _rule_params(rules: PairRules) -> dict[str, object]:
    return {
        "subreddits": rules.subreddit_list,
        "drop_nsfw": rules.drop_nsfw,
        "min_post_score": rules.min_post_score,
        "drop_deleted": rules.drop_deleted,
        "bot_authors": rules.bot_author_list,
        "drop_moderator_distinguished": rules.drop_moderator_distinguished,
        "drop_post_author": rules.drop_post_author,
        "drop_stickied": rules.drop_stickied,
        "drop_score_hidden": rules.drop_score_hidden,
        "drop_unknown_score_age": rules.drop_unknown_score_age,
        "min_score_age_s": rules.min_score_age_s,
        "drop_edited": rules.drop_edited,
        "max_comment_chars": rules.max_comment_chars,
        "min_comment_score": rules.min_comment_score,
    }


# An HTML entity as Reddit's markdown decodes it: with its ';', and named ones only when the
# name is HTML's. html.unescape alone also takes HTML5's legacy names without the ';' where
# they begin a word: a URL's '&region=' became '®ion=', '&notes;' '¬es;'.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _decoded(entity: re.Match) -> str:
    text = entity.group()
    return html.unescape(text) if text[1] == "#" or text[1:] in html.entities.html5 else text


def reddit_text(text: str) -> str:
    """A post or comment as it reads on Reddit. The API and the dumps HTML-escape `&`, `<`
    and `>` (a quoted line is `&gt; ...`), and Reddit renders the entities users type
    (`&nbsp;`, `&#x200B;`, which the rich-text editor writes for a blank line); a model
    trained on the pairs should see the characters, not the escapes. Zero-width spaces are
    dropped: invisible on the page, but tokens to a tokenizer."""
    return _ENTITY.sub(_decoded, text).replace("\u200b", "")


@contextmanager
def reddit_text_function(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """`reddit_text` as the SQL function the reddit_text macro calls, for the duration of a
    build. Outside its transaction: an aborted transaction refuses `remove_function`, and a
    connection left holding the function refuses the next build and leaks it at exit."""
    con.create_function("unescaped_reddit_text", reddit_text, ["VARCHAR"], "VARCHAR")
    try:
        yield
    finally:
        con.remove_function("unescaped_reddit_text")


def comment_verdicts(con: duckdb.DuckDBPyConnection, rules: PairRules) -> None:
    """Temp tables pair_posts (prompts) and pair_comments (rule verdict per top-level comment),
    texts as they read on Reddit; inside `reddit_text_function(con)`. The singles build
    (assets/singles) filters its replies with these verdicts too."""
    con.execute(sql("create_reddit_text_macro"))
    con.execute(sql("create_pair_posts"))
    con.execute(sql("create_pair_comments"), _rule_params(rules))


def _select_comments(con: duckdb.DuckDBPyConnection, rules: PairRules) -> None:
    """`comment_verdicts`, and pair_candidates (verdict per pair of surviving comments)."""
    comment_verdicts(con, rules)
    con.execute(
        sql("create_pair_candidates"),
        {
            "later_must_win": rules.later_must_win,
            "min_score_ratio": float(rules.min_score_ratio),
            "max_length_ratio": float(rules.max_length_ratio),
        },
    )


def _dedup(con: duckdb.DuckDBPyConnection, rules: PairRules) -> tuple[pa.Table, dict]:
    """(pair_id, step) of every pair dedup or the per-post cap removes, and dedup's stats."""
    con.execute(sql("create_pair_texts"))
    texts = con.sql(sql("select_pair_texts")).fetchnumpy()["body"]
    pairs = con.sql(sql("select_pair_candidates")).fetchnumpy()
    result = dedup_pairs_under(rules, pairs["chosen_idx"], pairs["rejected_idx"], list(texts), pairs["post_id"])
    removed = [i for i, step in enumerate(result.reasons) if step is not None]
    table = pa.table(
        {
            "pair_id": pa.array(pairs["pair_id"][removed].tolist(), pa.string()),
            "step": pa.array([result.reasons[i] for i in removed], pa.string()),
        }
    )
    return table, result.stats


def _per_subreddit(result: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """{subreddit: {column: count}} of a query whose first column is the subreddit."""
    _, *names = [column[0] for column in result.description]
    return {subreddit: dict(zip(names, map(int, counts))) for subreddit, *counts in sorted(result.fetchall())}


class _Waterfall:
    """Candidate pairs and the pairs each rule removed, per subreddit, as the SQL reports them
    (a row with no step counts candidates)."""

    def __init__(self) -> None:
        self.candidates: dict[str, int] = {}
        self.removed: dict[str, dict[str, int]] = {}

    def charge(self, rows) -> None:
        for subreddit, step, pairs in rows:
            if step is None:
                self.candidates[subreddit] = self.candidates.get(subreddit, 0) + int(pairs)
            else:
                self.removed.setdefault(subreddit, dict.fromkeys(WATERFALL, 0))[step] += int(pairs)


def build_pairs(
    con: duckdb.DuckDBPyConnection, rules: PairRules | None = None, dagster_run_id: str | None = None
) -> PairBuildReport:
    """Rebuild `preference_pairs` under `rules`; all or nothing (one transaction). The build is
    recorded in `pair_builds` (rules and report), whose last row a snapshot records as its
    rules and checks `later_must_win` by, however the build was started."""
    rules = rules or PairRules()
    waterfall = _Waterfall()
    t_start = time.perf_counter()
    with reddit_text_function(con), transaction(con):
        _select_comments(con, rules)
        waterfall.charge(con.execute(sql("select_pair_comment_waterfall"), {"steps": list(WATERFALL)}).fetchall())
        waterfall.charge(con.execute(sql("select_pair_candidate_waterfall")).fetchall())
        early_lead = _per_subreddit(con.execute(sql("select_pair_candidate_early_lead")))
        t_rules = time.perf_counter()
        dedup_removed, dedup_stats = _dedup(con, rules)
        con.register("dedup_removed", dedup_removed)
        waterfall.charge(con.execute(sql("select_dedup_removed_waterfall")).fetchall())
        t_dedup = time.perf_counter()
        con.execute(sql("create_pair_selection"))
        score_ages = _per_subreddit(con.execute(sql("count_pair_selection_score_ages")))
        con.execute(sql("delete_from_preference_pairs"))
        con.execute(
            sql("insert_into_preference_pairs"),
            {"split_salt": rules.split_salt, "eval_fraction": float(rules.eval_fraction)},
        )
        totals = con.execute(sql("select_preference_pairs_totals")).fetchall()
        ((top_level, skipped),) = con.execute(sql("select_reddit_comments_skipped")).fetchall()
        con.unregister("dedup_removed")
        con.execute(sql("drop_pair_temp_tables"))
    t_end = time.perf_counter()
    report = _report(
        rules,
        waterfall,
        totals,
        dedup_stats,
        score_age_per_subreddit=score_ages,
        early_lead_per_subreddit=early_lead,
        top_level_comments=int(top_level),
        non_top_level_skipped=int(skipped),
        timings_s={
            "rules_sql": t_rules - t_start,
            "dedup": t_dedup - t_rules,
            "write": t_end - t_dedup,
            "total": t_end - t_start,
        },
    )
    record_build(con, sql("insert_into_pair_builds"), report, dagster_run_id=dagster_run_id)
    return report


def record_build(con: duckdb.DuckDBPyConnection, insert: str, report, **params) -> None:
    """Run `insert` (a build table's insert SQL) with the report and its rules as JSON, and
    `params` as they are; the pairs, Stack Exchange and singles builds record themselves so."""
    con.execute(insert, {"rules": json.dumps(report.rules), "report": json.dumps(dataclasses.asdict(report)), **params})


def _report(rules: PairRules, waterfall: _Waterfall, totals, dedup_stats, **counts) -> PairBuildReport:
    """The build's counts: the waterfall by rule and subreddit, the kept pairs and posts by
    split from `totals` rows (subreddit, split, pairs, posts), and `counts` as they are."""
    subreddits = sorted(set(waterfall.candidates) | set(waterfall.removed))
    removed_per_sub = {s: waterfall.removed.get(s, dict.fromkeys(WATERFALL, 0)) for s in subreddits}
    kept_per_sub = dict.fromkeys(subreddits, 0)
    split_pairs = {"train": 0, "eval": 0}
    split_posts = {"train": 0, "eval": 0}
    for subreddit, split, pairs, posts in totals:
        kept_per_sub[subreddit] = kept_per_sub.get(subreddit, 0) + pairs
        split_pairs[split] += pairs
        split_posts[split] += posts
    return PairBuildReport(
        candidate_pairs=sum(waterfall.candidates.values()),
        removed_by_rule={step: sum(r[step] for r in removed_per_sub.values()) for step in WATERFALL},
        kept=sum(split_pairs.values()),
        train=split_pairs["train"],
        eval=split_pairs["eval"],
        posts=sum(split_posts.values()),  # a post is in one split only
        train_posts=split_posts["train"],
        eval_posts=split_posts["eval"],
        candidate_pairs_per_subreddit={s: waterfall.candidates.get(s, 0) for s in subreddits},
        removed_by_rule_per_subreddit=removed_per_sub,
        kept_per_subreddit=kept_per_sub,
        dedup=dedup_stats,
        rules=dataclasses.asdict(rules),
        **counts,
    )


def pair_violations(con: duckdb.DuckDBPyConnection, pairs, later_must_win: bool) -> dict[str, int]:
    """{blocking check: how many of `pairs` (a relation or Arrow table) break it}: the rules of
    `count_pair_violations.sql`, which the asset's checks report and a snapshot enforces."""
    con.register("checked_pairs", pairs)
    try:
        result = con.execute(sql("count_pair_violations"), {"later_must_win": later_must_win})
        return dict(zip([column[0] for column in result.description], result.fetchall()[0]))
    finally:
        con.unregister("checked_pairs")
