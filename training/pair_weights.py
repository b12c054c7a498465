"""Per-pair loss weights and label-noise rates, from a snapshot's `weight` and `confidence` columns.

A snapshot frozen with a weighting scheme (`upvote-dpo snapshot --weighting ...`; the schemes
and the vote model are in assets/snapshot/weights.py and docs/pairs.md) carries, per pair, a
`weight` and `confidence`, the probability that the chosen reply truly has the higher up-vote
rate. Two settings use them (training/config.py):

* `pair_weights`: the batch loss is the mean over the batch of weight x per-pair loss (and
  the SFT term's tokens weigh their pair's weight), with the weights scaled so that the train
  pairs' mean weight is 1 (KTO: both singles of a pair carry its weight, a snapshot single
  weighs 1). Each batch then estimates, without bias, the weighted mean over the split,
  sum w l / sum w, and the learning rate means what it means without weights. A
  weighted mean within each batch (its own sum w l / sum w) would undo the weighting between
  batches: a batch of doubtful pairs would move the model as far as a batch of sure ones.
* `confidence_label_noise`: each pair's cDPO label-noise rate is eps = 1 - confidence,
  clipped to [0, MAX_LABEL_NOISE], in place of the one `label_smoothing` for all pairs.

A snapshot without the column a setting needs is refused: without weights, every pair would
silently weigh the same.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

import torch

from training.data import EncodedPair
from training.errors import UserError

# Below 1/2, where a label says nothing and robust DPO's 1 / (1 - 2 eps) is infinite.
MAX_LABEL_NOISE = 0.49


class PairWeightsError(UserError):
    """The snapshot lacks the pair weights the settings ask for, or holds unusable ones."""


def needed_columns(cfg) -> list[str]:
    """The snapshot columns these settings read."""
    return [name for name, used in (("weight", cfg.pair_weights), ("confidence", cfg.confidence_label_noise)) if used]


def check_columns(cfg, snapshot) -> None:
    """Refuse a snapshot that lacks a column the settings read, before any model loads."""
    for column in needed_columns(cfg):
        if column not in snapshot.train.column_names:
            flag = "--pair-weights" if column == "weight" else "--confidence-label-noise"
            raise PairWeightsError(
                f"snapshot {snapshot.snapshot_id} has no `{column}` column for {flag}: freeze one with "
                "`upvote-dpo snapshot --weighting confidence` (or log_ratio), or train without it"
            )


def scaled_to_train_mean(splits: dict[str, list[EncodedPair]]) -> dict[str, list[EncodedPair]]:
    """Both splits with their weights divided by the train split's mean weight (after checking
    that every weight is finite and >= 0 and every confidence a probability)."""
    pairs = [pair for split in splits.values() for pair in split]
    bad = [p.pair_id for p in pairs if not (math.isfinite(p.weight) and p.weight >= 0)]
    bad += [p.pair_id for p in pairs if p.confidence is not None and not 0 <= p.confidence <= 1]
    if bad:
        raise PairWeightsError(
            f"pairs {', '.join(bad[:5])} have a weight < 0 or not finite, or a confidence outside [0, 1]"
        )
    mean = sum(p.weight for p in splits["train"]) / len(splits["train"])
    if mean <= 0:
        raise PairWeightsError("every train pair weighs 0: there is nothing to train on")
    return {name: [dataclasses.replace(p, weight=p.weight / mean) for p in split] for name, split in splits.items()}


def batch_terms(cfg, pairs: list[EncodedPair], device) -> tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
    """(B,) loss weights and (B,) label-noise rates of a batch's pairs; None for each the run
    does not use, so that the loss is computed exactly as without them."""
    weights = label_noise = None
    if cfg.pair_weights:
        weights = torch.tensor([p.weight for p in pairs], dtype=torch.float32, device=device)
    if cfg.confidence_label_noise:
        confidence = torch.tensor([p.confidence for p in pairs], dtype=torch.float32, device=device)
        label_noise = (1 - confidence).clamp(0, MAX_LABEL_NOISE)
    return weights, label_noise
