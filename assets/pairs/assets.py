"""The `preference_pairs` asset: SHP-style pair rules and dedup over the raw tables,
with blocking checks that gate everything downstream (snapshot, training).
"""

import dataclasses

import dagster as dg
import polars as pl

from assets import frames, plots
from assets.automation import AFTER_NEW_RAW_DATA
from assets.config import dagster_config, to_dataclass
from assets.ingest.assets import reddit_dump, reddit_live
from assets.pairs.bias import bias_metadata
from assets.pairs.rules import PairRules, build_pairs, pair_violations
from assets.warehouse.connect import sql_folder
from assets.warehouse.resources import WAREHOUSE_WRITER_POOL, Warehouse

sql = sql_folder(__file__)

PAIRS_CODE_VERSION = "3"  # 3: score-age and length-ratio rules; 2: texts as they read on Reddit

# Check name -> what it guarantees; `count_pair_violations.sql` has a column per name.
PAIR_CHECKS = {
    "chosen_scored_higher": "The chosen comment scored strictly higher than the rejected one.",
    "chosen_written_later": "The chosen comment was written after the rejected one (when the rule is on).",
    "no_self_pairs": "No pair compares a comment with itself.",
    "no_empty_text": "Prompt, chosen and rejected are never empty.",
    "unique_pair_ids": "Every pair_id appears once.",
    "no_post_in_both_splits": "No post has pairs in both train and eval.",
}

PairRulesConfig = dagster_config(PairRules)


def blocking_check_specs(asset: str, checks: dict[str, str]) -> list[dg.AssetCheckSpec]:
    """A blocking check on `asset` per entry of `checks` (name -> what it guarantees)."""
    return [dg.AssetCheckSpec(name, asset=asset, blocking=True, description=text) for name, text in checks.items()]


def blocking_check_results(violations: dict[str, int], checks: dict[str, str]) -> list[dg.AssetCheckResult]:
    """The results of `checks`: each passes when `violations` counts none for it."""
    return [
        dg.AssetCheckResult(
            check_name=name,
            passed=violations[name] == 0,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"violations": dg.MetadataValue.int(violations[name])},
            description=text,
        )
        for name, text in checks.items()
    ]


def pair_check_results(con, rules, table: str = "preference_pairs") -> list[dg.AssetCheckResult]:
    """The blocking checks on `table` (its pairs), under `rules` (any source's: its later_must_win)."""
    return blocking_check_results(pair_violations(con, con.table(table), rules.later_must_win), PAIR_CHECKS)


def pair_preview(con, limit: int = 10) -> dg.MetadataValue:
    return dg.MetadataValue.md(frames.markdown(frames.query(con, sql("select_pair_preview"), {"limit": limit})))


PLOTTED_SUBREDDITS = 30  # bars in the removal plot; a month's dump has ~100k subreddits


def most_removed(removed: pl.DataFrame, keep: int = PLOTTED_SUBREDDITS) -> pl.DataFrame:
    """The `keep` subreddits with the most removed pairs, and one row summing the others: a
    bar per subreddit of a real dump would draw for minutes and show nothing readable."""
    label, *rules = removed.columns
    if removed.height <= keep:
        return removed
    ranked = removed.with_columns(total=pl.sum_horizontal(rules)).sort(["total", label], descending=[True, False])
    rest = ranked.slice(keep)
    others = rest.select(pl.lit(f"{rest.height} others").alias(label), *(pl.sum(rule) for rule in rules))
    return pl.concat([ranked.head(keep).drop("total"), others])


def removed_by_rule_frame(by_community: dict[str, dict[str, int]]) -> pl.DataFrame:
    """A row per community (subreddit or site), a column per rule, the most removed first.
    The label column is "community": "subreddit" and "site" are rules too, and a column
    named so would be overwritten by the rule's counts."""
    removed = pl.DataFrame(list(by_community.values())).insert_column(0, pl.Series("community", list(by_community)))
    return most_removed(removed)


def removed_by_rule_bars(by_community: dict[str, dict[str, int]], title: str) -> dg.MetadataValue:
    return plots.stacked_bars(removed_by_rule_frame(by_community), title)


def pair_counts_metadata(report) -> dict[str, dg.MetadataValue]:
    """The counts every pairs build reports (Reddit's and Stack Exchange's), and the report itself."""
    return {
        "dagster/row_count": dg.MetadataValue.int(report.kept),
        "pairs_train": dg.MetadataValue.int(report.train),
        "pairs_eval": dg.MetadataValue.int(report.eval),
        "removed_by_rule": dg.MetadataValue.json(report.removed_by_rule),
        "report": dg.MetadataValue.json(dataclasses.asdict(report)),
    }


def pairs_metadata(con, report) -> dict[str, dg.MetadataValue]:
    pairs = con.table("preference_pairs").filter("source = 'reddit'")  # this build's; other sources have theirs
    ratios = frames.of(pairs.select("score_ratio"))["score_ratio"]
    metadata = {
        **pair_counts_metadata(report),
        "preview": pair_preview(con),
        "score_age_per_subreddit": dg.MetadataValue.json(report.score_age_per_subreddit),
        **bias_metadata(con, pairs, report.early_lead_per_subreddit),
    }
    if report.removed_by_rule_per_subreddit:
        metadata["removed_by_rule_per_subreddit"] = removed_by_rule_bars(
            report.removed_by_rule_per_subreddit, "Candidate pairs removed, by rule and subreddit"
        )
    if len(ratios):
        metadata["score_ratio_histogram"] = plots.histogram(
            ratios, "Score ratio of kept pairs", "chosen score / rejected score", log_x=True
        )
    return metadata


@dg.asset(
    deps=[reddit_dump, reddit_live],
    check_specs=blocking_check_specs("preference_pairs", PAIR_CHECKS),
    pool=WAREHOUSE_WRITER_POOL,
    automation_condition=AFTER_NEW_RAW_DATA,
    group_name="pairs",
    kinds={"duckdb"},
    code_version=PAIRS_CODE_VERSION,
)
def preference_pairs(
    context: dg.AssetExecutionContext, config: PairRulesConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Chosen/rejected comment pairs under each post, rebuilt from the raw tables."""
    rules = to_dataclass(PairRules, config)
    with warehouse.connect() as con:
        report = build_pairs(con, rules, dagster_run_id=context.run.run_id)
        return dg.MaterializeResult(
            metadata=pairs_metadata(con, report),
            check_results=pair_check_results(con, rules),
        )
