"""Per-token fluency and drift of a model against its base, batched and memory-bounded.

`sequence_scores` runs each model's backbone once over a batch of right-padded sequences,
then sends only the scored positions through the LM heads a chunk at a time, so at most one
(chunk, vocab) block of logits per model is alive: the same bound as the trainer's
`training.logps`. For each sequence it sums, over its scored tokens,

    nll_policy = -log p(x_t | x_<t)          nll_base = -log q(x_t | x_<t)
    kl         = sum_v p(v | x_<t) (log p(v | x_<t) - log q(v | x_<t))

where p is the policy and q the base: the exact per-token KL(policy || base) at each prefix.
On replies the policy sampled, its mean is the Monte-Carlo estimate of the per-token KL of the
two models' reply distributions; on human replies it is the teacher-forced drift.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from training.logps import CHUNK_TOKENS


@dataclass
class SequenceScores:
    """Per-sequence sums over scored tokens; `kl` and `nll_base` are None without a base."""

    tokens: np.ndarray
    nll_policy: np.ndarray
    nll_base: np.ndarray | None
    kl: np.ndarray | None


def _causal_lm(model: nn.Module) -> nn.Module:
    return model.get_base_model() if hasattr(model, "get_base_model") else model  # peft or plain


def _hidden_and_head(model: nn.Module, input_ids, attention_mask) -> tuple[torch.Tensor, nn.Module, float | None]:
    lm = _causal_lm(model)
    hidden = lm.base_model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).last_hidden_state
    softcap = getattr(lm.config.get_text_config(), "final_logit_softcapping", None)
    return hidden, lm.get_output_embeddings(), softcap


def _log_probs(hidden: torch.Tensor, head: nn.Module, softcap: float | None) -> torch.Tensor:
    logits = head(hidden).float()
    if softcap:
        logits = torch.tanh(logits / softcap) * softcap
    return F.log_softmax(logits, dim=-1)


def _pad(sequences: list[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
        mask[row, : len(sequence)] = 1
    return ids.to(device), mask.to(device)


@torch.no_grad()
def _score_batch(policy, base, sequences, scored_from, pad_id, device, chunk_tokens, autocast) -> np.ndarray:
    """(B, 4) sums [tokens, nll_policy, nll_base, kl] of one batch."""
    ids, mask = _pad(sequences, pad_id, device)
    start = torch.tensor([max(1, s) for s in scored_from], device=device)
    positions = torch.arange(ids.size(1), device=device)
    scored = (positions[None, :] >= start[:, None]) & mask.bool()
    rows, cols = scored.nonzero(as_tuple=True)
    targets = ids[rows, cols]
    with autocast():
        hidden_p, head_p, cap_p = _hidden_and_head(policy, ids, mask)
        hidden_q, head_q, cap_q = _hidden_and_head(base, ids, mask) if base is not None else (None, None, None)
    sums = torch.zeros((len(sequences), 4), dtype=torch.float64, device=device)
    sums[:, 0] = scored.sum(dim=1)
    for begin in range(0, len(rows), chunk_tokens):
        r, c, y = (
            rows[begin : begin + chunk_tokens],
            cols[begin : begin + chunk_tokens],
            targets[begin : begin + chunk_tokens],
        )
        with autocast():
            log_p = _log_probs(hidden_p[r, c - 1], head_p, cap_p)
        sums[:, 1].index_add_(0, r, -log_p.gather(1, y[:, None]).squeeze(1).double())
        if base is not None:
            with autocast():
                log_q = _log_probs(hidden_q[r, c - 1], head_q, cap_q)
            sums[:, 2].index_add_(0, r, -log_q.gather(1, y[:, None]).squeeze(1).double())
            sums[:, 3].index_add_(0, r, (log_p.exp() * (log_p - log_q)).sum(dim=1).double())
    return sums.cpu().numpy()


def sequence_scores(
    policy: nn.Module,
    base: nn.Module | None,
    sequences: list[list[int]],
    scored_from: list[int],
    *,
    pad_id: int,
    batch_size: int = 8,
    device: torch.device | str = "cpu",
    bf16: bool = False,
    chunk_tokens: int = CHUNK_TOKENS,
) -> SequenceScores:
    """Score token t >= scored_from[i] (and >= 1) of each sequence i under both models; see the
    module docstring. Batches go in the order given; models are put in eval mode."""
    device = torch.device(device)
    for model in (policy, base):
        if model is not None:
            model.eval()

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()

    parts = [
        _score_batch(
            policy,
            base,
            sequences[i : i + batch_size],
            scored_from[i : i + batch_size],
            pad_id,
            device,
            chunk_tokens,
            autocast,
        )
        for i in range(0, len(sequences), batch_size)
    ]
    sums = np.concatenate(parts) if parts else np.zeros((0, 4))
    with_base = base is not None
    return SequenceScores(
        tokens=sums[:, 0].astype(np.int64),
        nll_policy=sums[:, 1],
        nll_base=sums[:, 2] if with_base else None,
        kl=sums[:, 3] if with_base else None,
    )


def per_token(total: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """Per-token means of per-sequence sums (sequences with no scored token give NaN)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / tokens
