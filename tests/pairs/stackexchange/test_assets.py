"""The `stackexchange_pairs` metadata: the bias figures and plots per site, as `preference_pairs`
shows them per subreddit (assets.pairs.bias), on a small hand-written site."""

from __future__ import annotations

import pytest

from assets.ingest.stackexchange.dumps import ingest_site
from assets.pairs.bias import ALL
from assets.pairs.stackexchange.assets import stackexchange_pairs_metadata
from assets.pairs.stackexchange.build import build_stackexchange_pairs
from tests.pairs.stackexchange.test_build import SITE, answer, no_dedup, question, write_dump


def test_the_metadata_reports_each_sites_length_timing_and_early_answer_bias(con, tmp_path):
    """Four answers a day apart, scored 1, 8, 20 and 2, each longer than the one before (the body
    repeats a letter as often as its id). All six sibling pairs differ in score and time; the
    earlier answer scored higher in two (8 and 20 over the later 2). Kept (the later one wins,
    ratio >= 2): 3 over 2, 4 over 2, 4 over 3, 5 over 2, each chosen the longer, 24, 48, 24 and
    72 hours later, at ratios 8, 20, 2.5 and 2."""
    posts = [
        question(1),
        answer(2, 1, 1, day=2),
        answer(3, 1, 8, day=3),
        answer(4, 1, 20, day=4),
        answer(5, 1, 2, day=5),
    ]
    ingest_site(con, write_dump(tmp_path / SITE, posts))
    report = build_stackexchange_pairs(con, no_dedup())
    assert report.kept == 4
    assert report.early_lead_per_site == {SITE: {"sibling_pairs": 6, "earlier_scored_higher": 2}}

    metadata = stackexchange_pairs_metadata(con, report)
    bias = metadata["bias"].data
    assert list(bias) == [ALL, SITE]
    site = bias[SITE]
    assert site["pairs"] == 4
    assert site["longer_chosen_share"] == 1.0 and site["same_length_share"] == 0.0
    assert site["gap_hours"]["p50"] == pytest.approx(36.0)  # between 24 and 48
    assert site["score_ratio"]["p50"] == pytest.approx(5.25)  # between 2.5 and 8
    assert site["sibling_pairs"] == 6 and site["earlier_scored_higher_share"] == pytest.approx(2 / 6)
    assert bias[ALL] == site  # one site: all together is that site
    assert SITE in metadata["bias_table"].value
    for plot in ("bias_shares", "length_ratio", "time_gap", "score_ratio"):
        assert metadata[f"{plot}_per_site"].value.startswith("![")
