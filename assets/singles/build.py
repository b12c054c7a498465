"""Single replies labelled desirable or undesirable by their votes, rebuilt in one transaction.

`build_singles(con, SingleRules())` reads the raw tables and replaces `preference_singles`.
A single is one top-level reply to a post, its prompt the post's (as for pairs), labelled

* desirable when it scored at least `desirable_median_multiple` times its thread's median
  top-level score and at least `desirable_min_score`;
* undesirable when it scored at or below `undesirable_max_score` (0: voted down or never
  up), or at or below `undesirable_median_fraction` of the thread's median.

Replies in between are no clear signal alone and are left out. Every reply first passes the
pairs' comment filters (pairs.rules.comment_verdicts with the latest pairs build's rules),
but not the pairs' score floor, and lands on its post's side of the pairs' split. Then
exact and near duplicates (the pairs' normalisation and MinHash) are removed, strongest
vote first: a reply whose text a kept one already has goes.

The report counts what each step removed per subreddit, as a waterfall over top-level
comments in `waterfall()` order (`candidates - sum(removed_by_rule) == kept`), and the
desirable/undesirable balance per split.

Run it: the `preference_singles` asset, or `build_singles(assets.warehouse.connect.connect(path))`.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from assets.pairs.config import PairRules
from assets.pairs.dedup import normalise
from assets.pairs.minhash import minhash_signatures, near_duplicate_clusters
from assets.pairs.rules import COMMENT_STEPS, POST_STEPS, comment_verdicts, record_build, reddit_text_function
from assets.singles.config import SingleRules
from assets.warehouse.connect import sql_folder, transaction

sql = sql_folder(__file__)

LABEL_STEP = "no_clear_vote"
DEDUP_STEPS = ("exact_duplicate", "near_duplicate")


def waterfall() -> tuple[str, ...]:
    """The steps in order: the pairs' post and comment filters but their score floor, then the
    label, then dedup. Read from the pairs' steps when called, so a filter added there is
    counted here too."""
    return POST_STEPS + tuple(s for s in COMMENT_STEPS if s != "comment_score") + (LABEL_STEP, *DEDUP_STEPS)


@dataclass
class SingleBuildReport:
    """What a build did. Every dict over steps has all `waterfall()` steps, in order."""

    candidates: int  # top-level comments
    removed_by_rule: dict[str, int]
    kept: int  # == candidates - sum(removed_by_rule.values())
    desirable: dict[str, int]  # per split: train, eval
    undesirable: dict[str, int]
    candidates_per_subreddit: dict[str, int]
    removed_by_rule_per_subreddit: dict[str, dict[str, int]]
    kept_per_subreddit: dict[str, dict[str, int]]  # {"desirable": n, "undesirable": m}
    timings_s: dict[str, float]
    rules: dict[str, object] = field(default_factory=dict)
    pair_rules: dict[str, object] = field(default_factory=dict)

    @property
    def desirable_share(self) -> float:
        return sum(self.desirable.values()) / self.kept if self.kept else 0.0


def dedup_singles(
    texts: list[str], *, exact: bool, near: bool, threshold: float, num_perm: int, seed: int
) -> list[str | None]:
    """The step that removes each text (None: kept), texts given strongest first: a text whose
    normalised form, or whose near-duplicate cluster, a kept text already has."""
    steps: list[str | None] = [None] * len(texts)
    normalised = [normalise(t) for t in texts]
    if exact:
        seen: set[str] = set()
        for i, text in enumerate(normalised):
            if text in seen:
                steps[i] = "exact_duplicate"
            seen.add(text)
    live = [i for i, step in enumerate(steps) if step is None]
    if near and len(live) > 1:
        cluster = near_duplicate_clusters(
            minhash_signatures([normalised[i] for i in live], num_perm=num_perm, seed=seed), threshold
        )
        kept_clusters: set[int] = set()
        for i, c in zip(live, cluster.tolist()):
            if c in kept_clusters:
                steps[i] = "near_duplicate"
            kept_clusters.add(c)
    return steps


def latest_pair_rules(con: duckdb.DuckDBPyConnection) -> PairRules:
    """The rules of the latest pairs build (the defaults before the first)."""
    rows = con.execute(sql("select_latest_pair_rules")).fetchall()
    return PairRules(**json.loads(rows[0][0])) if rows else PairRules()


def build_singles(
    con: duckdb.DuckDBPyConnection, rules: SingleRules | None = None, dagster_run_id: str | None = None
) -> SingleBuildReport:
    """Rebuild `preference_singles` under `rules`; all or nothing (one transaction), recorded in
    `single_builds`."""
    rules = rules or SingleRules()
    pair_rules = latest_pair_rules(con)
    t_start = time.perf_counter()
    with reddit_text_function(con), transaction(con):
        comment_verdicts(con, pair_rules)
        con.execute(
            sql("create_single_candidates"),
            {
                "desirable_min_score": rules.desirable_min_score,
                "desirable_median_multiple": float(rules.desirable_median_multiple),
                "undesirable_max_score": rules.undesirable_max_score,
                "undesirable_median_fraction": float(rules.undesirable_median_fraction),
            },
        )
        labelled = con.execute(sql("select_single_texts")).fetchnumpy()
        steps = dedup_singles(
            list(labelled["body"]),
            exact=rules.exact_dedup,
            near=rules.near_dedup,
            threshold=rules.near_dup_threshold,
            num_perm=rules.minhash_num_perm,
            seed=rules.minhash_seed,
        )
        removed = [i for i, step in enumerate(steps) if step is not None]
        con.register(
            "single_dedup_removed",
            pa.table(
                {
                    "id": pa.array(np.asarray(labelled["id"])[removed].tolist(), pa.string()),
                    "step": pa.array([steps[i] for i in removed], pa.string()),
                }
            ),
        )
        counted = con.execute(sql("select_single_waterfall")).fetchall()
        con.execute(sql("delete_from_preference_singles"))
        con.execute(
            sql("insert_into_preference_singles"),
            {"split_salt": pair_rules.split_salt, "eval_fraction": float(pair_rules.eval_fraction)},
        )
        totals = con.execute(sql("select_preference_singles_totals")).fetchall()
        con.unregister("single_dedup_removed")
        con.execute(sql("drop_single_temp_tables"))
    report = _report(rules, pair_rules, counted, totals, {"total": time.perf_counter() - t_start})
    record_build(con, sql("insert_into_single_builds"), report, dagster_run_id=dagster_run_id)
    return report


def single_violations(con: duckdb.DuckDBPyConnection, singles) -> dict[str, int]:
    """{blocking check: how many of `singles` (a relation or Arrow table) break it}: the rules of
    `count_single_violations.sql`, which the asset's checks report and a snapshot enforces."""
    con.register("checked_singles", singles)
    try:
        result = con.execute(sql("count_single_violations"))
        return dict(zip([column[0] for column in result.description], result.fetchall()[0]))
    finally:
        con.unregister("checked_singles")


def _report(rules, pair_rules, counted, totals, timings_s) -> SingleBuildReport:
    """The waterfall from `counted` rows (subreddit, step or None for candidates, count) and the
    kept singles from `totals` rows (subreddit, split, label, singles)."""
    steps = waterfall()
    candidates: dict[str, int] = {}
    removed: dict[str, dict[str, int]] = {}
    for subreddit, step, n in counted:
        if step is None:
            candidates[subreddit] = candidates.get(subreddit, 0) + int(n)
        else:
            removed.setdefault(subreddit, dict.fromkeys(steps, 0))[step] += int(n)
    subreddits = sorted(set(candidates) | set(removed))
    removed_per_sub = {s: removed.get(s, dict.fromkeys(steps, 0)) for s in subreddits}
    kept_per_sub = {s: {"desirable": 0, "undesirable": 0} for s in subreddits}
    by_label = {True: {"train": 0, "eval": 0}, False: {"train": 0, "eval": 0}}
    for subreddit, split, label, n in totals:
        kept_per_sub[subreddit]["desirable" if label else "undesirable"] += int(n)
        by_label[label][split] += int(n)
    return SingleBuildReport(
        candidates=sum(candidates.values()),
        removed_by_rule={step: sum(r[step] for r in removed_per_sub.values()) for step in steps},
        kept=sum(sum(v.values()) for v in kept_per_sub.values()),
        desirable=by_label[True],
        undesirable=by_label[False],
        candidates_per_subreddit={s: candidates.get(s, 0) for s in subreddits},
        removed_by_rule_per_subreddit=removed_per_sub,
        kept_per_subreddit=kept_per_sub,
        timings_s=timings_s,
        rules=dataclasses.asdict(rules),
        pair_rules=dataclasses.asdict(pair_rules),
    )
