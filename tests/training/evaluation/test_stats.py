"""The evaluation statistics against hand-worked values and a plain re-implementation."""

from __future__ import annotations

import numpy as np
import pytest

from training.evaluation.stats import (
    cluster_bootstrap,
    grouped_accuracy,
    length_bias,
    pearson,
    ratio_bucket_labels,
    reply_stats,
)


def test_bootstrap_of_a_constant_is_a_point():
    interval = cluster_bootstrap([0.75] * 9, [1, 1, 2, 3, 3, 3, 4, 5, 6])
    assert interval.estimate == interval.low == interval.high == 0.75


def test_bootstrap_resamples_whole_clusters_as_a_plain_loop_does():
    values = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0]
    clusters = ["a", "a", "b", "c", "c", "c", "d"]
    interval = cluster_bootstrap(values, clusters, resamples=500, seed=7, level=0.9)
    # The same draws by hand: clusters in sorted order, each resample a list of cluster indices.
    members = {c: [v for v, k in zip(values, clusters) if k == c] for c in sorted(set(clusters))}
    names = sorted(members)
    draws = np.random.default_rng(7).integers(0, len(names), size=(500, len(names)))
    means = [np.mean([v for i in draw for v in members[names[i]]]) for draw in draws]
    assert interval.estimate == pytest.approx(np.mean(values))
    assert interval.low == pytest.approx(np.quantile(means, 0.05))
    assert interval.high == pytest.approx(np.quantile(means, 0.95))


def test_clustered_pairs_give_a_wider_interval_than_independent_ones():
    rng = np.random.default_rng(0)
    post_effect = rng.normal(size=40)
    values = np.repeat(post_effect, 5) + rng.normal(scale=0.1, size=200)
    by_post = cluster_bootstrap(values, np.repeat(np.arange(40), 5))
    by_pair = cluster_bootstrap(values, np.arange(200))
    assert by_post.high - by_post.low > 1.5 * (by_pair.high - by_pair.low)


def test_accuracy_by_group_and_by_ratio_bucket():
    correct = [True, False, True, True]
    assert grouped_accuracy(correct, ["x", "y", "x", "y"]) == [
        {"group": "x", "pairs": 2, "accuracy": 1.0},
        {"group": "y", "pairs": 2, "accuracy": 0.5},
    ]
    assert ratio_bucket_labels([2.0, 2.9, 3.0, 7.5, 10.0, 400.0, 1.5]) == [
        "[2, 3)",
        "[2, 3)",
        "[3, 5)",
        "[5, 10)",
        "[10, inf)",
        "[10, inf)",
        "<2",
    ]


def test_length_bias_by_hand():
    # Length differences -10, +5, -3, +8; margins 1, 2, -1, 3: the chosen-shorter pairs are the
    # first and the third, one of which the reward gets right.
    bias = length_bias([1.0, 2.0, -1.0, 3.0], [10, 25, 7, 18], [20, 20, 10, 10])
    assert bias["chosen_shorter_pairs"] == 2 and bias["chosen_shorter_accuracy"] == 0.5
    d, m = np.array([-10, 5, -3, 8.0]), np.array([1, 2, -1, 3.0])
    by_hand = ((d - d.mean()) * (m - m.mean())).sum() / np.sqrt(
        ((d - d.mean()) ** 2).sum() * ((m - m.mean()) ** 2).sum()
    )
    assert bias["margin_length_correlation"] == pytest.approx(by_hand)
    assert pearson([1, 1, 1], [1, 2, 3]) is None


def test_reply_stats_by_hand():
    stats = reply_stats([[1, 2, 3, 1, 2, 3], [4, 4], []], max_new_tokens=6, repeat_n=2)
    assert stats["replies"] == 3 and stats["mean_tokens"] == pytest.approx(8 / 3)
    assert stats["hit_token_limit"] == pytest.approx(1 / 3)
    # Bigrams: (1,2) (2,3) (3,1) (1,2) (2,3) and (4,4): 4 distinct of 6.
    assert stats["distinct_2"] == pytest.approx(4 / 6)
    # Reply 1 repeats 2 of its 5 bigrams, reply 2 none of its 1; the empty one has none to count.
    assert stats["repetition_rate"] == pytest.approx((2 / 5 + 0) / 2)
