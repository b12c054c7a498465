"""Sequence log-probabilities of completions, without full-vocabulary logits for the whole batch.

`SequenceLogProbs` wraps a causal LM (plain or peft). Its forward runs the backbone once over
the concatenated chosen+rejected batch, then projects only the completion positions through
the LM head, a chunk of tokens at a time: log p(token) = logit[token] - logsumexp(logits).
In training each chunk is recomputed in the backward pass (activation checkpointing), so at
most one chunk of (tokens, vocab) fp32 logits is alive at once instead of (2B, T, vocab).

Because the whole computation sits in one `nn.Module.forward`, accelerate / DDP wrap it like
any model, and the reference is simply the same module without gradient (adapters off for LoRA).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from training.data import EncodedPair, collate

# Rows of fp32 logits per chunk: 256 x 49152 x 4 B = 48 MiB for SmolLM2's vocabulary. The backward
# holds ~4 such buffers at once (recomputed logits, softmax, their gradient, the gather's); 1024
# rows (192 MiB each) made them the tiny model's peak. 256 rows measured no slower on SmolLM2.
CHUNK_TOKENS = 256


def _chunk_token_logps(hidden: torch.Tensor, labels: torch.Tensor, head: nn.Module, softcap) -> torch.Tensor:
    logits = head(hidden).float()  # (n, vocab); under bf16 autocast the matmul runs in bf16
    if softcap:  # Gemma-style final logit soft-capping
        logits = softcap * torch.tanh(logits / softcap)
    return logits.gather(-1, labels[:, None]).squeeze(-1) - logits.logsumexp(dim=-1)


class SequenceLogProbs(nn.Module):
    """forward(input_ids, attention_mask, loss_mask) -> (N,) summed log-probs of the masked tokens.

    Position t's token is scored from the hidden state at t-1, so loss_mask[:, 0] is ignored."""

    def __init__(self, lm: nn.Module, chunk_tokens: int = CHUNK_TOKENS):
        super().__init__()
        self.lm = lm
        self.chunk_tokens = chunk_tokens

    def causal_lm(self) -> nn.Module:
        return self.lm.get_base_model() if hasattr(self.lm, "get_base_model") else self.lm  # peft or plain

    def forward(self, input_ids, attention_mask, loss_mask) -> torch.Tensor:
        lm = self.causal_lm()
        # base_model is the backbone (LlamaModel for Llama); LoRA layers live inside it, so they apply.
        hidden = lm.base_model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).last_hidden_state
        mask = loss_mask[:, 1:].bool()
        hidden, labels = hidden[:, :-1][mask], input_ids[:, 1:][mask]
        softcap = getattr(lm.config.get_text_config(), "final_logit_softcapping", None)
        head = lm.get_output_embeddings()
        pieces = []
        for start in range(0, hidden.size(0), self.chunk_tokens):
            h, y = hidden[start : start + self.chunk_tokens], labels[start : start + self.chunk_tokens]
            if torch.is_grad_enabled():
                pieces.append(checkpoint(_chunk_token_logps, h, y, head, softcap, use_reentrant=False))
            else:
                pieces.append(_chunk_token_logps(h, y, head, softcap))
        token_logps = torch.cat(pieces) if pieces else hidden.new_zeros(0, dtype=torch.float32)
        row = mask.nonzero()[:, 0]
        return token_logps.new_zeros(input_ids.size(0)).index_add(0, row, token_logps)


def naive_sequence_logps(lm: nn.Module, batch: dict) -> torch.Tensor:
    """The textbook computation (full logits, log_softmax, gather), for tests to compare against."""
    logits = lm(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1].float()
    token_logps = F.log_softmax(logits, dim=-1).gather(-1, batch["input_ids"][:, 1:, None]).squeeze(-1)
    return (token_logps * batch["loss_mask"][:, 1:]).sum(dim=1)


@torch.no_grad()
def pair_logps(model: nn.Module, pairs: list[EncodedPair], batch_size: int, pad_id: int,
               device: torch.device) -> torch.Tensor:
    """(N, 2) log-probs [chosen, rejected] of every pair, in order, without gradient, in eval mode."""
    was_training = model.training
    model.eval()
    rows = []
    for start in range(0, len(pairs), batch_size):
        batch = collate(pairs[start : start + batch_size], pad_id)
        logps = model(*(batch[k].to(device) for k in ("input_ids", "attention_mask", "loss_mask")))
        rows.append(torch.stack(logps.float().chunk(2), dim=1).cpu())
    model.train(was_training)
    return torch.cat(rows) if rows else torch.zeros(0, 2)
