"""The `stackexchange_pairs` asset: answer-vs-answer pairs of every ingested Stack Exchange
site, under the Stack Exchange rules, with the same blocking checks as Reddit's pairs."""

import dagster as dg
import polars as pl

from assets import frames, plots
from assets.automation import AFTER_NEW_RAW_DATA
from assets.config import dagster_config, to_dataclass
from assets.ingest.stackexchange.assets import stackexchange_dump
from assets.pairs.assets import (
    PAIR_CHECKS,
    blocking_check_specs,
    pair_check_results,
    pair_counts_metadata,
    removed_by_rule_bars,
)
from assets.pairs.bias import bias_metadata
from assets.pairs.stackexchange.build import StackExchangePairReport, build_stackexchange_pairs
from assets.pairs.stackexchange.config import StackExchangeRules
from assets.warehouse.resources import WAREHOUSE_WRITER_POOL, Warehouse

STACKEXCHANGE_PAIRS_CODE_VERSION = "1"

StackExchangeRulesConfig = dagster_config(StackExchangeRules)


def stackexchange_pairs_metadata(con, report: StackExchangePairReport) -> dict[str, dg.MetadataValue]:
    """Counts, the waterfall by rule and site, the score ratios, what each score is based on, and
    the bias figures and plots per site (`assets.pairs.bias`, as `preference_pairs` per subreddit)."""
    by_site = pl.DataFrame(
        [
            {"site": site, "candidates": report.candidate_pairs_per_site[site], "kept": kept}
            for site, kept in report.kept_per_site.items()
        ],
        schema={"site": pl.String, "candidates": pl.Int64, "kept": pl.Int64},
    )
    # the one pair table's rows of this source: they carry the site as `community`
    pairs = con.table("preference_pairs").filter("source = 'stackexchange'")
    metadata = {
        **pair_counts_metadata(report),
        "by_site": dg.MetadataValue.md(frames.markdown(by_site)),
        **bias_metadata(con, pairs, report.early_lead_per_site, community="site"),
    }
    if report.removed_by_rule_per_site:
        metadata["removed_by_rule_per_site"] = removed_by_rule_bars(
            report.removed_by_rule_per_site, "Candidate pairs removed, by rule and site"
        )
    ratios = frames.of(con.table("stackexchange_pairs").select("score_ratio"))["score_ratio"]
    if len(ratios):
        metadata["score_ratio_histogram"] = plots.histogram(
            ratios, "Score ratio of kept pairs", "score ratio", log_x=True
        )
    return metadata


@dg.asset(
    deps=[stackexchange_dump],
    check_specs=blocking_check_specs("stackexchange_pairs", PAIR_CHECKS),
    pool=WAREHOUSE_WRITER_POOL,
    automation_condition=AFTER_NEW_RAW_DATA,
    group_name="pairs",
    kinds={"duckdb"},
    code_version=STACKEXCHANGE_PAIRS_CODE_VERSION,
)
def stackexchange_pairs(config: StackExchangeRulesConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    """Chosen/rejected answer pairs under each Stack Exchange question, rebuilt from the se_* tables."""
    rules = to_dataclass(StackExchangeRules, config)
    with warehouse.connect() as con:
        report = build_stackexchange_pairs(con, rules)
        return dg.MaterializeResult(
            metadata=stackexchange_pairs_metadata(con, report),
            check_results=pair_check_results(con, rules, "stackexchange_pairs"),
        )
