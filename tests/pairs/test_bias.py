"""assets.pairs.bias: the bias figures of a hand-made set of pairs, worked out by hand."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from assets.pairs.bias import ALL, bias_figures, bias_plots, bias_table

HOUR = 3600


def pairs(rows: list[tuple[str, int, int, float, float]]) -> pa.Table:
    """(community, chosen chars, rejected chars, gap hours, score ratio) per pair."""
    return pa.table(
        {
            "community": [r[0] for r in rows],
            "chosen": ["c" * r[1] for r in rows],
            "rejected": ["r" * r[2] for r in rows],
            "chosen_created_utc": [int(10 * HOUR + r[3] * HOUR) for r in rows],
            "rejected_created_utc": [10 * HOUR] * len(rows),
            "score_ratio": [r[4] for r in rows],
        }
    )


# A: length ratios 2, 2, 0.5, 1 (chosen longer twice, once the same length); gaps 1-4 h;
# score ratios 2-5. B: one pair, chosen shorter.
HAND_MADE = pairs(
    [
        ("A", 10, 5, 1, 2.0),
        ("A", 20, 10, 2, 3.0),
        ("A", 5, 10, 3, 4.0),
        ("A", 8, 8, 4, 5.0),
        ("B", 3, 12, 0.5, 10.0),
    ]
)
EARLY_LEAD = {
    "A": {"sibling_pairs": 10, "earlier_scored_higher": 7},
    "B": {"sibling_pairs": 4, "earlier_scored_higher": 0},
    "C": {"sibling_pairs": 6, "earlier_scored_higher": 6},  # siblings, but no pair kept
}


@pytest.fixture
def figures():
    with duckdb.connect() as con:
        yield bias_figures(con, HAND_MADE, EARLY_LEAD)


def test_shares_per_community_and_for_all(figures):
    assert list(figures) == [ALL, "A", "B"]
    a, b, everything = figures["A"], figures["B"], figures[ALL]
    assert (a["pairs"], a["longer_chosen_share"], a["same_length_share"]) == (4, 0.5, 0.25)
    assert (b["pairs"], b["longer_chosen_share"], b["same_length_share"]) == (1, 0.0, 0.0)
    assert (everything["pairs"], everything["longer_chosen_share"]) == (5, 0.4)
    assert (a["sibling_pairs"], a["earlier_scored_higher_share"]) == (10, 0.7)
    assert (b["sibling_pairs"], b["earlier_scored_higher_share"]) == (4, 0.0)
    # all siblings of the build, C's too: (7 + 0 + 6) / (10 + 4 + 6)
    assert (everything["sibling_pairs"], everything["earlier_scored_higher_share"]) == (20, 0.65)


def test_quantiles_interpolate_between_pairs(figures):
    # A sorted: length ratios 0.5, 1, 2, 2; gaps 1, 2, 3, 4; score ratios 2, 3, 4, 5. The
    # p-quantile sits at position p * 3: p10 = 0.3 of the way from the first to the second.
    a = figures["A"]
    assert a["length_ratio"] == pytest.approx({"p10": 0.65, "p50": 1.5, "p90": 2.0})
    assert a["gap_hours"] == pytest.approx({"p10": 1.3, "p50": 2.5, "p90": 3.7})
    assert a["score_ratio"] == pytest.approx({"p10": 2.3, "p50": 3.5, "p90": 4.7})
    assert figures["B"]["length_ratio"] == pytest.approx({"p10": 0.25, "p50": 0.25, "p90": 0.25})


def test_no_siblings_is_no_share_and_the_table_says_so():
    with duckdb.connect() as con:
        figures = bias_figures(con, HAND_MADE, {})
    assert figures["A"]["sibling_pairs"] == 0 and figures["A"]["earlier_scored_higher_share"] is None
    table = bias_table(figures)
    assert table["community"].to_list() == [ALL, "A", "B"]
    assert table["earlier scored higher"].to_list() == ["n/a"] * 3
    assert table["length ratio p10/p50/p90"][1] == "0.65 / 1.5 / 2"


def test_plots_per_community(figures):
    with duckdb.connect() as con:
        plots = bias_plots(con, HAND_MADE, figures)
        assert bias_plots(con, HAND_MADE.slice(0, 0), {ALL: figures[ALL]}) == {}
    assert set(plots) == {
        "bias_shares_per_subreddit",
        "length_ratio_per_subreddit",
        "time_gap_per_subreddit",
        "score_ratio_per_subreddit",
    }
    assert all(value.value.startswith("![") and "data:image/png;base64," in value.value for value in plots.values())
