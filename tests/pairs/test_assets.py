"""The pairs asset's metadata: what a real dump's many subreddits make of the removal plot."""

from __future__ import annotations

import polars as pl

from assets.pairs.assets import most_removed
from assets.pairs.rules import WATERFALL


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
