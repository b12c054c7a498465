"""The pairs asset's metadata: what a real dump's many subreddits make of the removal plot."""

from __future__ import annotations

import polars as pl

from assets.pairs.assets import most_removed, removed_by_rule_frame
from assets.pairs.rules import WATERFALL
from assets.pairs.stackexchange.build import WATERFALL as SE_WATERFALL
from assets.singles.build import waterfall as singles_waterfall


def test_the_removal_plot_keeps_the_subreddits_most_removed_and_sums_the_rest():
    """A month's dump has ~100k subreddits: a bar each drew for minutes (the bundled sample's
    1.7k took half a minute). Subreddit i has i removals of each rule; "subreddit" is a rule."""
    assert "subreddit" in WATERFALL
    count = 2000
    removed = pl.DataFrame([dict.fromkeys(WATERFALL, i) for i in range(count)]).insert_column(
        0, pl.Series("community", [f"s{i}" for i in range(count)])
    )
    plotted = most_removed(removed, keep=30)
    assert plotted.columns == removed.columns
    assert plotted["community"].to_list() == [f"s{i}" for i in range(count - 1, count - 31, -1)] + ["1970 others"]
    assert plotted.row(-1)[1:] == (sum(range(count - 30)),) * len(WATERFALL)
    assert most_removed(removed.head(5), keep=30).equals(removed.head(5))


def test_the_removal_plot_labels_each_site_and_subreddit_even_where_a_rule_shares_its_name():
    """Stack Exchange has a "site" rule and the singles a "subreddit" one: the label column
    is "community", so neither rule's counts take the place of the names."""
    for steps, rule in ((SE_WATERFALL, "site"), (singles_waterfall(), "subreddit")):
        assert rule in steps
        by_community = {"a": dict.fromkeys(steps, 1) | {rule: 7}, "b": dict.fromkeys(steps, 0)}
        frame = removed_by_rule_frame(by_community)
        assert frame["community"].to_list() == ["a", "b"]
        assert frame[rule].to_list() == [7, 0]
        assert frame.columns == ["community", *steps]
