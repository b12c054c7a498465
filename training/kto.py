"""KTO on pairs split into singles: the mismatched rows of its KL baseline, and their log-probs.

A batch of B pairs is 2B single examples: each chosen reply desirable, each rejected reply
undesirable (`training.losses.kto_loss`). The loss's reference point z0 estimates
KL(pi || ref) from mismatched prompt/completion pairs of the same batch, as the KTO paper and
TRL do: here each pair's prompt with the completions of the pair before it in the batch (the
last pair's for the first), so every row still has a prompt and two completions and
`training.data.collate`'s layout scores all 2B mismatched completions in one forward, without
gradient (z0 is detached).

The reference log-probs of those rows depend on which pairs share a batch, so the reference
cache's per-pair tables cannot hold them. The batch order is a pure function of (seed, step)
(training.schedule), so every micro-batch a run will take is known before its first step:
`KLBaseline` scores all their mismatched rows with the base model then (a cached reference)
or on demand (a live one). A batch of one pair has no other pair to borrow from; its z0 is
that pair's own log-ratio mean, which is why KTO asks for `batch_size` >= 2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import nullcontext
from typing import Optional

import torch

from training.data import EncodedPair, truncate_pair
from training.logps import pair_logps
from training.losses import kto_loss
from training.schedule import micro_batches

# What a model trained with each kind of loss learnt from (manifest, model card, eval record).
PAIRS = "pairs"
PAIRS_SPLIT = "pairs split into singles (chosen desirable, rejected undesirable)"


def data_kind(loss_type: str) -> str:
    return PAIRS_SPLIT if loss_type == "kto" else PAIRS


def mismatched(pairs: list[EncodedPair], max_length: int, bos: Optional[int] = None) -> list[EncodedPair]:
    """Pair i's prompt with pair i-1's completions (pair 0 takes the last pair's), fitted into
    max_length like any pair."""
    rows = []
    for pair, donor in zip(pairs, pairs[-1:] + pairs[:-1]):
        prompt, chosen, rejected, _ = truncate_pair(pair.prompt, donor.chosen, donor.rejected, max_length, bos)
        rows.append(EncodedPair(f"{pair.pair_id}~{donor.pair_id}", prompt, chosen, rejected, False))
    return rows


def flat(logps: torch.Tensor) -> torch.Tensor:
    """(N, 2) [chosen, rejected] log-probs as the (2N,) chosen-then-rejected order of a batch."""
    return logps.T.reshape(-1)


class KLBaseline:
    """The KL rows' log-probs for a batch: the policy's (no gradient) and the reference's (scored
    before training for every planned batch, or live)."""

    def __init__(self, max_length: int, bos: Optional[int], pad_id: int, device, batch_size: int):
        self.max_length, self.bos, self.pad_id = max_length, bos, pad_id
        self.device, self.batch_size = device, batch_size
        self.tables: dict[tuple[str, tuple[int, ...]], torch.Tensor] = {}
        self.live_reference: Optional[Callable[[list[EncodedPair]], torch.Tensor]] = None

    def rows(self, pairs: list[EncodedPair], idx: Iterable[int]) -> list[EncodedPair]:
        return mismatched([pairs[i] for i in idx], self.max_length, self.bos)

    def score_reference(self, model, split: str, batches: Iterable[list[int]], pairs: list[EncodedPair]) -> None:
        """Score the KL rows of each of `batches` with `model` (the base model, before any update)."""
        for idx in batches:
            key = (split, tuple(idx))
            if key not in self.tables:
                rows = self.rows(pairs, idx)
                self.tables[key] = flat(pair_logps(model, rows, self.batch_size, self.pad_id, self.device))

    def reference(self, split: str, idx: list[int], pairs: list[EncodedPair]) -> torch.Tensor:
        """(2B,) reference log-probs of the KL rows of batch `idx`, chosen-then-rejected."""
        if self.live_reference is not None:
            return flat(self.live_reference(self.rows(pairs, idx))).to(self.device)
        return self.tables[(split, tuple(idx))].to(self.device)

    def terms(self, model, split: str, idx: list[int], pairs: list[EncodedPair]) -> tuple[torch.Tensor, torch.Tensor]:
        """(policy, reference) log-probs, each (2B,), of the KL rows of batch `idx`. The policy's
        carry no gradient (z0 is detached) and are scored in eval mode: no dropout noise in the
        baseline."""
        policy = flat(pair_logps(model, self.rows(pairs, idx), self.batch_size, self.pad_id, self.device))
        return policy.to(self.device), self.reference(split, idx, pairs)


def kl_baseline(cfg, accelerator, model, splits, ref, pad_id: int, bos: Optional[int], n_steps: int) -> KLBaseline:
    """The run's `KLBaseline`: live beside a live reference, else every planned batch's KL rows
    (each train micro-batch of the run's `n_steps`, and the whole eval split as one batch)
    scored now. Call before any update: `model` is still the base model."""
    baseline = KLBaseline(cfg.max_length, bos, pad_id, accelerator.device, cfg.eval_batch_size)
    if ref.live is not None:
        baseline.live_reference = live_scorer(
            ref.live, ref.adapters_off, pad_id, accelerator.device, cfg.eval_batch_size
        )
        return baseline
    lm = accelerator.unwrap_model(model).lm
    lengths = [p.row_length for p in splits["train"]]
    planned = (
        batch
        for step in range(n_steps)
        for batch in micro_batches(len(splits["train"]), cfg, step, accelerator.num_processes, lengths)[1]
    )
    with lm.disable_adapter() if cfg.use_lora else nullcontext():
        baseline.score_reference(model, "train", planned, splits["train"])
        if splits["eval"]:
            baseline.score_reference(model, "eval", [list(range(len(splits["eval"])))], splits["eval"])
    return baseline


def split_pairs_loss(cfg, pc, pr, rc, rr, kl: tuple[torch.Tensor, torch.Tensor]):
    """KTO on B pairs as 2B singles: each argument (B,) as for the pair losses, `kl` the
    (policy, reference) log-probs of the batch's KL rows. Returns ((losses, chosen_rewards,
    rejected_rewards), z0): a pair's loss is the mean of its two singles', so the mean over
    pairs is TRL's mean over singles."""
    desirable = torch.arange(2 * len(pc), device=pc.device) < len(pc)
    losses, rewards, z0 = kto_loss(
        torch.cat([pc, pr]),
        torch.cat([rc, rr]),
        desirable,
        kl[0].float(),
        kl[1].float(),
        beta=cfg.beta,
        desirable_weight=cfg.desirable_weight,
        undesirable_weight=cfg.undesirable_weight,
    )
    desirable_losses, undesirable_losses = losses.chunk(2)
    return ((desirable_losses + undesirable_losses) / 2, *rewards.chunk(2)), z0


def live_scorer(live, adapters_off, pad_id, device, batch_size) -> Callable[[list[EncodedPair]], torch.Tensor]:
    def score(rows: list[EncodedPair]) -> torch.Tensor:
        with adapters_off() if adapters_off else nullcontext():
            return pair_logps(live, rows, batch_size, pad_id, device)

    return score
