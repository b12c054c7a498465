"""Sequence log-probabilities of completions, without full-vocabulary logits for the whole batch.

`SequenceLogProbs` wraps a causal LM (plain or peft). Its forward runs the backbone once over
a batch of pairs in `training.data.collate`'s layout (one row per pair, the prompt shared by
the chosen and the rejected completion), then scores only the completion positions through
the LM head with `CompletionLogProbs`, a chunk of tokens at a time:
log p(token) = logit[token] - logsumexp(logits). That function keeps one (chunk, vocab) fp32
buffer alive at a time, in the forward and in the backward (under bf16 autocast also the
bf16 matmul output it is cast from; with soft-capping a second fp32 one): the backward
recomputes a chunk's logits and turns them into their gradient in place (softmax - one-hot,
times the incoming gradient), as Liger-Kernel's and Apple's Cut Cross-Entropy's fused linear
cross-entropy do on GPUs (both Triton only, so not usable here). Autograd through the plain
ops would keep ~4 such buffers per chunk (logits, the logsumexp temporaries, softmax, the
gather's scatter).

Because the whole computation sits in one `nn.Module.forward`, accelerate / DDP wrap it like
any model, and the reference is simply the same module without gradient (adapters off for LoRA).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable
from torch.nn.attention import SDPBackend, sdpa_kernel

from training.data import EncodedPair, collate, collate_sequences, model_inputs

# Rows of logits per chunk: one fp32 (chunk, vocab) buffer stays in the tens of MiB for
# vocabularies the size of SmolLM2's.
CHUNK_TOKENS = 256


def attention_kernels(device: torch.device | str) -> AbstractContextManager:
    """Around a forward and its backward: SDPA without cuDNN's kernel on CUDA.

    cuDNN's attention (picked for masked bf16 attention on an H200 under torch 2.11) spent
    most of a profiled step's CPU time on what looks like plan building for our rows, whose
    length changes with every batch (figures in benchmarks/README.md). The other kernels
    take the 4D mask too. The
    backward is inside, because gradient checkpointing runs the forward again there."""
    if torch.device(device).type != "cuda":
        return nullcontext()
    return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])


def _compute_dtype(weight: torch.Tensor) -> torch.dtype:
    """The head matmul's dtype: autocast's when it is on (as nn.Linear would run), else the weight's."""
    device = weight.device.type
    return torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else weight.dtype


class CompletionLogProbs(torch.autograd.Function):
    """(n,) log p(labels[i] | hidden[i]) through the head `F.linear(hidden, weight, bias)`,
    optionally soft-capped (Gemma: logits = cap * tanh(z / cap)), `chunk` rows at a time."""

    @staticmethod
    def forward(ctx, hidden, weight, bias, labels, chunk: int, softcap):
        dtype = _compute_dtype(weight)
        w, b = weight.to(dtype), None if bias is None else bias.to(dtype)
        out = hidden.new_empty(hidden.size(0), dtype=_logits_dtype(dtype))
        lse = torch.empty_like(out)
        with torch.autocast(weight.device.type, enabled=False):
            for s in range(0, hidden.size(0), chunk):
                logits, _ = _logits(hidden[s : s + chunk].to(dtype), w, b, softcap)
                # logsumexp in place: the built-in keeps two more (chunk, vocab) temporaries
                top = logits.amax(dim=-1, keepdim=True)
                picked = logits.gather(-1, labels[s : s + chunk, None])
                lse[s : s + chunk] = (logits.sub_(top).exp_().sum(dim=-1, keepdim=True).log_() + top).squeeze(-1)
                out[s : s + chunk] = picked.squeeze(-1) - lse[s : s + chunk]
        ctx.save_for_backward(hidden, weight, bias, labels, lse)
        ctx.chunk, ctx.softcap, ctx.dtype = chunk, softcap, dtype
        return out

    @staticmethod
    @once_differentiable  # the backward works in place: no second-order gradients
    def backward(ctx, grad_out):
        hidden, weight, bias, labels, lse = ctx.saved_tensors
        dtype, chunk = ctx.dtype, ctx.chunk
        want_h, want_w, want_b = ctx.needs_input_grad[:3]
        w, b = weight.to(dtype), None if bias is None else bias.to(dtype)
        grad_h = torch.empty_like(hidden) if want_h else None
        grad_w = torch.zeros_like(weight, dtype=_logits_dtype(dtype)) if want_w else None
        grad_b = torch.zeros_like(bias, dtype=_logits_dtype(dtype)) if want_b else None
        with torch.autocast(weight.device.type, enabled=False):
            for s in range(0, hidden.size(0), chunk):
                h = hidden[s : s + chunk].to(dtype)
                logits, capped = _logits(h, w, b, ctx.softcap)
                # d out_i / d logits_ij = [j == label_i] - softmax_ij, built in the logits' buffer
                grad = logits.sub_(lse[s : s + chunk, None]).exp_()
                grad.scatter_add_(-1, labels[s : s + chunk, None], grad.new_full((grad.size(0), 1), -1.0))
                grad.mul_(-grad_out[s : s + chunk, None])
                if capped is not None:  # through cap * tanh(z / cap): times 1 - tanh^2
                    grad.mul_(capped.square_().neg_().add_(1.0))
                grad = grad.to(dtype)
                if want_h:
                    grad_h[s : s + chunk] = grad @ w
                if want_w and grad_w.dtype == dtype:
                    grad_w.addmm_(grad.T, h)  # in place: no (vocab, hidden) temporary per chunk
                elif want_w:
                    grad_w += grad.T @ h  # a bf16 product summed in fp32, as autocast's backward does
                if want_b:
                    grad_b += grad.sum(dim=0)
        return (
            grad_h,
            None if grad_w is None else grad_w.to(weight.dtype),
            None if grad_b is None else grad_b.to(bias.dtype),
            None,
            None,
            None,
        )


def _logits_dtype(dtype: torch.dtype) -> torch.dtype:
    """Logits, softmax and their sums in fp32 at least (fp64 stays fp64, for gradcheck)."""
    return torch.promote_types(dtype, torch.float32)


def _logits(h, w, b, softcap) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Logits of a chunk in `_logits_dtype` (a fresh buffer the caller may overwrite) and, when
    soft-capped, tanh(z / cap) for the backward."""
    logits = F.linear(h, w, b).to(_logits_dtype(h.dtype))
    if not softcap:
        return logits, None
    capped = logits.div_(softcap).tanh_()
    return capped * softcap, capped


class SequenceLogProbs(nn.Module):
    """forward(*model_inputs(batch)) with batch = training.data.collate(pairs)
    -> (2B,) summed log-probs of the chosen then the rejected completions: token t is scored
    from the hidden state at scored_from[t].

    The custom mask goes to the model as given (transformers uses a 4D mask as is): sdpa
    takes it as bool, eager attention as an additive float mask; other attention kernels
    (flash-attention's take 2D padding masks only) and rows longer than a sliding window
    are refused rather than computed wrong."""

    def __init__(self, lm: nn.Module, chunk_tokens: int = CHUNK_TOKENS):
        super().__init__()
        self.lm = lm
        self.chunk_tokens = chunk_tokens

    def causal_lm(self) -> nn.Module:
        return self.lm.get_base_model() if hasattr(self.lm, "get_base_model") else self.lm  # peft or plain

    def forward(self, input_ids, position_ids, attention_mask, scored_from, sequence) -> torch.Tensor:
        lm = self.causal_lm()
        attention_mask = _model_mask(lm, attention_mask)
        # base_model is the backbone (LlamaModel for Llama); LoRA layers live inside it, so they apply.
        hidden = lm.base_model(
            input_ids=input_ids, position_ids=position_ids, attention_mask=attention_mask, use_cache=False
        ).last_hidden_state
        row, col = (sequence >= 0).nonzero(as_tuple=True)
        head = lm.get_output_embeddings()
        if not isinstance(head, nn.Linear):
            raise TypeError(
                f"the LM head must be a plain torch.nn.Linear to be scored in chunks, got "
                f"{type(head).__module__}.{type(head).__qualname__}"
            )
        softcap = getattr(lm.config.get_text_config(), "final_logit_softcapping", None)
        token_logps = CompletionLogProbs.apply(
            hidden[row, scored_from[row, col]], head.weight, head.bias, input_ids[row, col], self.chunk_tokens, softcap
        )
        return token_logps.new_zeros(2 * input_ids.size(0)).index_add(0, sequence[row, col], token_logps)


def _model_mask(lm: nn.Module, allowed: torch.Tensor) -> torch.Tensor:
    """collate's (B, 1, T, T) bool mask in the form lm's attention implementation reads."""
    config = lm.config.get_text_config()
    implementation = lm.config._attn_implementation
    window = getattr(config, "sliding_window", None)
    if window and getattr(config, "use_sliding_window", True) and allowed.size(-1) > window:
        raise ValueError(
            f"a row of {allowed.size(-1)} tokens is longer than the model's sliding window ({window}); lower max_length"
        )
    if implementation == "sdpa":
        return allowed
    if implementation == "eager":  # eager attention adds the mask to the scores
        dtype = lm.get_input_embeddings().weight.dtype
        return torch.zeros(allowed.shape, dtype=dtype, device=allowed.device).masked_fill_(
            ~allowed, torch.finfo(dtype).min
        )
    raise ValueError(
        f"attention implementation {implementation!r} takes no custom 4D mask; load the model with "
        "attn_implementation='sdpa' or 'eager'"
    )


def naive_sequence_logps(lm: nn.Module, pairs: list[EncodedPair], pad_id: int) -> torch.Tensor:
    """The textbook computation (each prompt + completion its own sequence, full logits,
    log_softmax, gather), (2B,) chosen then rejected, for tests to compare against."""
    batch = {name: tensor.to(lm.device) for name, tensor in collate_sequences(pairs, pad_id).items()}
    logits = lm(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1].float()
    token_logps = F.log_softmax(logits, dim=-1).gather(-1, batch["input_ids"][:, 1:, None]).squeeze(-1)
    return (token_logps * batch["loss_mask"][:, 1:]).sum(dim=1)


@torch.no_grad()
def pair_logps(
    model: nn.Module, pairs: list[EncodedPair], batch_size: int, pad_id: int, device: torch.device
) -> torch.Tensor:
    """(N, 2) log-probs [chosen, rejected] of every pair, in order, without gradient, in eval mode."""
    was_training = model.training
    model.eval()
    rows = []
    for start in range(0, len(pairs), batch_size):
        batch = collate(pairs[start : start + batch_size], pad_id)
        with attention_kernels(device):
            logps = model(*model_inputs(batch, device))
        rows.append(torch.stack(logps.float().chunk(2), dim=1).cpu())
    model.train(was_training)
    return torch.cat(rows) if rows else torch.zeros(0, 2)
