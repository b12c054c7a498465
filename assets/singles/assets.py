"""The `preference_singles` asset: single replies labelled desirable or undesirable by their
votes (assets/singles/build.py), for KTO, with blocking checks that gate the snapshot.

A stage of its own beside assets/pairs: it reuses the pairs' comment filters and split through
`assets.pairs.rules.comment_verdicts` and the latest pairs build's rules, so it runs after
`preference_pairs`, and the pairs' code stays as it is.
"""

import dataclasses

import dagster as dg

from assets import frames
from assets.automation import AFTER_CHECKED_UPSTREAM
from assets.config import dagster_config, to_dataclass
from assets.pairs.assets import blocking_check_results, blocking_check_specs, preference_pairs, removed_by_rule_bars
from assets.singles.build import build_singles, single_violations
from assets.singles.config import SingleRules
from assets.warehouse.connect import sql_folder
from assets.warehouse.resources import WAREHOUSE_WRITER_POOL, Warehouse

sql = sql_folder(__file__)

# Check name -> what it guarantees; `count_single_violations.sql` has a column per name.
SINGLE_CHECKS = {
    "unique_single_ids": "Every single_id appears once.",
    "no_empty_text": "Prompt and completion are never empty.",
    "same_split_as_the_pairs": "A post's singles are in the split of its pairs.",
}

SingleRulesConfig = dagster_config(SingleRules)


def single_check_results(con) -> list[dg.AssetCheckResult]:
    return blocking_check_results(single_violations(con, con.table("preference_singles")), SINGLE_CHECKS)


def singles_metadata(con, report) -> dict[str, dg.MetadataValue]:
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(report.kept),
        "desirable": dg.MetadataValue.json(report.desirable),
        "undesirable": dg.MetadataValue.json(report.undesirable),
        "desirable_share": dg.MetadataValue.float(report.desirable_share),
        "kept_per_subreddit": dg.MetadataValue.json(report.kept_per_subreddit),
        "removed_by_rule": dg.MetadataValue.json(report.removed_by_rule),
        "report": dg.MetadataValue.json(dataclasses.asdict(report)),
        "preview": dg.MetadataValue.md(frames.markdown(frames.query(con, sql("select_single_preview"), {"limit": 10}))),
    }
    if report.removed_by_rule_per_subreddit:
        metadata["removed_by_rule_per_subreddit"] = removed_by_rule_bars(
            report.removed_by_rule_per_subreddit, "Top-level comments removed, by rule and subreddit"
        )
    return metadata


@dg.asset(
    deps=[preference_pairs],
    check_specs=blocking_check_specs("preference_singles", SINGLE_CHECKS),
    pool=WAREHOUSE_WRITER_POOL,
    automation_condition=AFTER_CHECKED_UPSTREAM,
    group_name="pairs",
    kinds={"duckdb"},
    code_version="1",
)
def preference_singles(
    context: dg.AssetExecutionContext, config: SingleRulesConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Single replies labelled desirable or undesirable by their votes, rebuilt from the raw tables."""
    rules = to_dataclass(SingleRules, config)
    with warehouse.connect() as con:
        report = build_singles(con, rules, dagster_run_id=context.run.run_id)
        return dg.MaterializeResult(metadata=singles_metadata(con, report), check_results=single_check_results(con))
