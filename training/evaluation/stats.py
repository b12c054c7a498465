"""Statistics of an evaluation, numpy only: intervals that respect how pairs cluster by post,
accuracy by score-ratio bucket and by community, the length bias of a learnt reward, and what
replies look like (length, truncation, diversity, repetition)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

# Score-ratio buckets as SHP reports accuracy: the stronger the community's preference, the
# easier the pair should be.
RATIO_EDGES = (2.0, 3.0, 5.0, 10.0, float("inf"))


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def cluster_bootstrap(
    values: Sequence[float], clusters: Sequence, *, resamples: int = 2000, seed: int = 0, level: float = 0.95
) -> Interval:
    """The mean of `values` with a percentile bootstrap interval that resamples whole clusters.

    Pairs of one post share its prompt and often a reply, so they are not independent draws:
    resampling posts (Field and Welsh's cluster bootstrap) keeps that correlation in the
    interval, which resampling pairs would hide. Each resample's statistic is the ratio of the
    drawn clusters' sums to their counts, i.e. the mean over the pairs drawn."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no values to bootstrap")
    _, cluster = np.unique(np.asarray(clusters), return_inverse=True)
    sums = np.bincount(cluster, weights=values)
    counts = np.bincount(cluster).astype(np.float64)
    draws = np.random.default_rng(seed).integers(0, len(sums), size=(resamples, len(sums)))
    means = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    estimate = float(values.mean())
    # Quantiles of equal floats can differ from their mean in the last bit.
    return Interval(estimate, min(float(low), estimate), max(float(high), estimate))


def grouped_accuracy(correct: Sequence[bool], groups: Sequence) -> list[dict]:
    """[{group, pairs, accuracy}] for each distinct group, in sorted order."""
    correct = np.asarray(correct, dtype=np.float64)
    groups = np.asarray(groups)
    return [
        {
            "group": g.item() if hasattr(g, "item") else g,
            "pairs": int((groups == g).sum()),
            "accuracy": float(correct[groups == g].mean()),
        }
        for g in np.unique(groups)
    ]


def ratio_bucket_labels(ratios: Sequence[float], edges: Sequence[float] = RATIO_EDGES) -> list[str]:
    """Each score ratio's bucket, '[2, 3)' ... '[10, inf)'; ratios below the first edge '<2'."""
    ratios = np.asarray(ratios, dtype=np.float64)
    labels = [f"[{lo:g}, {hi:g})" for lo, hi in zip(edges, edges[1:])]
    index = np.searchsorted(np.asarray(edges), ratios, side="right") - 1
    return [f"<{edges[0]:g}" if i < 0 else labels[min(i, len(labels) - 1)] for i in index]


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's r, None where either side is constant (r is undefined there)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def length_bias(margins: Sequence[float], chosen_lengths: Sequence[int], rejected_lengths: Sequence[int]) -> dict:
    """Does the learnt reward prefer length? The correlation of the reward margin with the
    chosen-minus-rejected length, and the accuracy on the pairs whose chosen reply is the
    shorter one (a reward that learnt length fails exactly those)."""
    margins = np.asarray(margins, dtype=np.float64)
    difference = np.asarray(chosen_lengths, dtype=np.float64) - np.asarray(rejected_lengths, dtype=np.float64)
    shorter = difference < 0
    return {
        "margin_length_correlation": pearson(margins, difference),
        "chosen_shorter_pairs": int(shorter.sum()),
        "chosen_shorter_accuracy": float((margins[shorter] > 0).mean()) if shorter.any() else None,
    }


def _ngrams(tokens: Sequence[int], n: int) -> list[tuple[int, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def reply_stats(replies: Sequence[Sequence[int]], max_new_tokens: int, *, repeat_n: int = 4) -> dict:
    """What a model's replies look like, from their token ids (end-of-turn excluded):
    mean length, the share that ran into `max_new_tokens`, distinct-2 (distinct bigrams over
    all bigrams, across replies; Li et al., 2016) and the repetition rate (the share of each
    reply's `repeat_n`-grams that repeat an earlier one in the same reply, averaged)."""
    if not replies:
        return {"replies": 0}
    lengths = np.array([len(r) for r in replies], dtype=np.float64)
    bigrams = [g for r in replies for g in _ngrams(r, 2)]
    repetition = []
    for reply in replies:
        grams = _ngrams(reply, repeat_n)
        if grams:
            repetition.append(1.0 - len(set(grams)) / len(grams))
    return {
        "replies": len(replies),
        "mean_tokens": float(lengths.mean()),
        "hit_token_limit": float((lengths >= max_new_tokens).mean()),
        "distinct_2": len(set(bigrams)) / len(bigrams) if bigrams else 0.0,
        "repetition_rate": float(np.mean(repetition)) if repetition else 0.0,
    }
