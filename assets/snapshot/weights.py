"""Per-pair loss weights a snapshot carries: how much each pair's votes say.

`with_pair_weights(pairs, scheme)` adds two columns to the pairs being frozen, unless the
scheme is `none`:

    confidence  P(the chosen reply truly has the higher up-vote rate | both scores), under the
                vote model below; the same for every scheme, and what the trainer's
                per-pair label noise reads (eps = 1 - confidence)
    weight      the scheme's weight, scaled so that the snapshot's mean weight is 1

The vote model. Of the votes the two replies got from others, a share p went to the chosen
one. Each score counts the author's own up-vote (a new reply starts at 1), so the chosen
reply got chosen_score - 1 votes from others and the rejected one rejected_score - 1; with a
uniform prior on p (every share equally likely before any vote), the posterior is
Beta(chosen_score, rejected_score), and

    confidence = P(p > 1/2) = I_{1/2}(rejected_score, chosen_score)

(the regularized incomplete beta function). 2 vs 1 gives 0.75, 4 vs 2 gives 13/16, 6 vs 3
0.855, 300 vs 6000 1.0: the same 2x ratio says more the more votes there are. Scores are net
(up minus down) and the model treats them as counts of votes; it also takes the two replies
as equally exposed, which under SHP's later-must-win rule undersells the chosen reply (it was
posted later, seen less, and still won), so the confidence errs low.

The schemes:

    none        no columns: the snapshot is the one an unweighted freeze makes, with its id
    log_ratio   min(ln score_ratio, ln LOG_RATIO_CAP): a 2x pair weighs ln 2, a 10x or
                stronger pair ln 10, 3.3 times as much; the cap keeps a few viral threads
                (500x ratios) from outweighing everything else
    confidence  2 * confidence - 1: 0 for a pair the votes cannot tell apart, 1 for a sure
                one. It is the factor by which cDPO with eps = 1 - confidence scales DPO's
                gradient where training starts (policy = reference): weighting by it and
                smoothing the label by it agree there.

Weights are rounded to WEIGHT_DECIMALS: they are estimates, and the snapshot id, which
covers them, should not hang on the last bits of scipy's incomplete beta or of a sum.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from assets.snapshot.config import WEIGHTINGS

WEIGHT_COLUMNS = ("weight", "confidence")
LOG_RATIO_CAP = 10.0
WEIGHT_DECIMALS = 6

FORMULAS = {
    "none": {},
    "log_ratio": {
        "weight": f"min(ln(score_ratio), ln({LOG_RATIO_CAP:g})), scaled to mean 1 over the snapshot",
        "confidence": "P(p > 1/2), p ~ Beta(chosen_score, rejected_score)",
    },
    "confidence": {
        "weight": "2 * confidence - 1, scaled to mean 1 over the snapshot",
        "confidence": "P(p > 1/2), p ~ Beta(chosen_score, rejected_score)",
    },
}


def vote_confidence(chosen_score: np.ndarray, rejected_score: np.ndarray) -> np.ndarray:
    """P(p > 1/2) with p ~ Beta(chosen_score, rejected_score), elementwise. A score below 1,
    which the pair rules never keep (min_comment_score >= 1), counts as 1."""
    from scipy.special import betainc  # here: freezing is the only user, and scipy is slow to import

    chosen = np.maximum(np.asarray(chosen_score, dtype=np.float64), 1.0)
    rejected = np.maximum(np.asarray(rejected_score, dtype=np.float64), 1.0)
    return betainc(rejected, chosen, 0.5)  # = 1 - I_{1/2}(chosen, rejected), without the cancellation


def scheme_weights(scheme: str, score_ratio: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """The scheme's raw weights, before scaling."""
    if scheme == "log_ratio":
        return np.minimum(np.log(np.asarray(score_ratio, dtype=np.float64)), np.log(LOG_RATIO_CAP))
    if scheme == "confidence":
        return 2.0 * confidence - 1.0
    raise ValueError(f"no weights for scheme {scheme!r}; one of {WEIGHTINGS}")


def with_pair_weights(pairs: pa.Table, scheme: str) -> pa.Table:
    """`pairs` with the scheme's `weight` and the vote model's `confidence` columns, rounded;
    unchanged for scheme `none`."""
    if scheme == "none":
        return pairs
    confidence = vote_confidence(pairs["chosen_score"].to_numpy(), pairs["rejected_score"].to_numpy())
    weight = scheme_weights(scheme, pairs["score_ratio"].to_numpy(), confidence)
    mean = weight.mean() if len(weight) else 0.0
    weight = weight / mean if mean > 0 else weight  # all zero: nothing to scale, the trainer refuses it
    for name, values in (("weight", weight), ("confidence", confidence)):
        pairs = pairs.append_column(name, pa.array(np.round(values, WEIGHT_DECIMALS), pa.float64()))
    return pairs


def weighting_manifest(scheme: str) -> dict:
    """What the manifest records of the scheme: its name and its columns' formulas."""
    return {"scheme": scheme, **FORMULAS[scheme]}
