"""KTO's data, KL baseline and batch loss.

KTO learns from single examples (`training.losses.kto_loss`): the pairs split into singles
(each chosen reply desirable, each rejected reply undesirable), the snapshot's own singles
(replies labelled by their votes, `preference_singles`), or both (`kto_data`). Every row of
a batch has the layout of a pair (training.data.collate): a pair fills both completion
slots, a single one of them (a desirable reply the chosen slot, an undesirable one the
rejected slot), and an empty slot takes no part in the loss. The loss's reference point z0 estimates
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

from training.data import EncodedPair, encode_singles, truncate_pair
from training.errors import UserError
from training.logps import pair_logps
from training.losses import kto_loss, sft_loss
from training.schedule import micro_batches

# What a model trained with each kind of loss learnt from (manifest, model card, eval record).
PAIRS = "pairs"
PAIRS_SPLIT = "pairs split into singles (chosen desirable, rejected undesirable)"
SINGLES = "single replies labelled by their votes"
KTO_DATA_KINDS = {"pairs": PAIRS_SPLIT, "singles": SINGLES, "both": f"{PAIRS_SPLIT}, and {SINGLES}"}


def data_kind(loss_type: str, kto_data: str = "pairs") -> str:
    return KTO_DATA_KINDS[kto_data] if loss_type == "kto" else PAIRS


def kto_splits(cfg, snapshot, tokenizer, pairs: dict[str, list[EncodedPair]]) -> dict[str, list[EncodedPair]]:
    """The rows KTO trains and evaluates on under `kto_data`: the pairs, the snapshot's singles
    (the first `eval_max_pairs` of its eval split), or the pairs then the singles."""
    if cfg.kto_data == "pairs":
        return pairs
    if snapshot.singles is None:
        raise UserError(
            f"snapshot {snapshot.snapshot_id} has no singles: materialize preference_singles and snapshot "
            "again, or train with --kto-data pairs"
        )
    eval_rows = snapshot.singles["eval"]
    if cfg.eval_max_pairs:
        eval_rows = eval_rows.select(range(min(cfg.eval_max_pairs, len(eval_rows))))
    singles = {
        name: encode_singles(rows, tokenizer, cfg.max_length, cfg.system_prompt)
        for name, rows in (("train", snapshot.singles["train"]), ("eval", eval_rows))
    }
    if cfg.kto_data == "singles":
        return singles
    return {name: pairs[name] + singles[name] for name in pairs}


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

    def terms(self, model, split: str, idx: list[int], pairs: list[EncodedPair]) -> tuple[torch.Tensor, ...]:
        """(policy, reference) log-probs, each (2B,), of the KL rows of batch `idx`, and which of
        those completion slots hold a completion. The policy's carry no gradient (z0 is detached)
        and are scored in eval mode: no dropout noise in the baseline."""
        rows = self.rows(pairs, idx)
        policy = flat(pair_logps(model, rows, self.batch_size, self.pad_id, self.device))
        filled = torch.tensor([len(r.chosen) > 0 for r in rows] + [len(r.rejected) > 0 for r in rows])
        return policy.to(self.device), self.reference(split, idx, pairs), filled.to(self.device)


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


def batch_loss(cfg, logps, lengths, ref_logps, kl, weights=None) -> tuple[torch.Tensor, dict, torch.Tensor]:
    """KTO on one batch of B rows: logps, lengths (2B,) [chosen slots; rejected slots],
    ref_logps (B, 2), `kl` what `KLBaseline.terms` gives, weights (B,) the rows' weights (None:
    all 1). The filled chosen slots are the desirable singles, the filled rejected ones the
    undesirable. Returns (loss, TRL-named metrics, per-row losses before weighting): a row's
    loss is the mean of its singles' losses and the batch loss the mean of weight x row loss,
    so for pairs, whose two singles both carry the pair's weight, it is the mean over singles
    of weight x loss (TRL's mean when unweighted). z0 stays unweighted: it estimates the KL of
    the policy, not a loss. A metric of a kind the batch lacks is 0."""
    logps = logps.float()
    filled = lengths > 0
    b = len(filled) // 2
    desirable = torch.arange(2 * b, device=logps.device) < b
    ref = torch.cat([ref_logps[:, 0], ref_logps[:, 1]]).to(logps.device)
    losses, rewards, z0 = kto_loss(
        logps[filled],
        ref[filled],
        desirable[filled],
        kl[0][kl[2]].float(),
        kl[1][kl[2]].float(),
        beta=cfg.beta,
        desirable_weight=cfg.desirable_weight,
        undesirable_weight=cfg.undesirable_weight,
    )
    slot_losses = logps.new_zeros(2 * b).masked_scatter(filled, losses)
    row_losses = (slot_losses[:b] + slot_losses[b:]) / filled.view(2, b).sum(0)
    loss = row_losses.mean() if weights is None else (weights * row_losses).mean()
    slot_rewards = logps.new_zeros(2 * b).masked_scatter(filled, rewards)
    chosen, rejected = filled[:b], filled[b:]
    both = chosen & rejected

    def mean(values, mask) -> float:
        return (values[mask].sum() / mask.sum()).item() if mask.any() else 0.0

    metrics = {"kl": z0.item()}
    if cfg.sft_weight > 0:
        pc, lc = logps[:b][chosen], lengths[:b][chosen].float()
        if weights is not None:
            pc, lc = weights[chosen] * pc, weights[chosen] * lc
        nll = sft_loss(pc, lc) if chosen.any() else loss.new_zeros(())
        loss = loss + cfg.sft_weight * nll
        metrics["nll_loss"] = nll.item()
    metrics.update(
        {
            "loss": loss.item(),
            "rewards/chosen": mean(slot_rewards[:b], chosen),
            "rewards/rejected": mean(slot_rewards[b:], rejected),
            "rewards/margins": mean(slot_rewards[:b], chosen) - mean(slot_rewards[b:], rejected),
            "rewards/accuracies": mean((slot_rewards[:b] > slot_rewards[b:]).float(), both),
            "logps/chosen": mean(logps[:b].detach(), chosen),
            "logps/rejected": mean(logps[b:].detach(), rejected),
        }
    )
    return loss, metrics, row_losses.detach()


def live_scorer(live, adapters_off, pad_id, device, batch_size) -> Callable[[list[EncodedPair]], torch.Tensor]:
    """Rows scored by the live reference model (with LoRA: the policy with its adapters off)."""

    def score(rows: list[EncodedPair]) -> torch.Tensor:
        with adapters_off() if adapters_off else nullcontext():
            return pair_logps(live, rows, batch_size, pad_id, device)

    return score
