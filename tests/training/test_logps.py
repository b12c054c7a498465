"""training.logps: the chunked LM-head log-probs and their hand-written backward."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tests.training.snapshots import pair_rows
from training.logps import CompletionLogProbs, SequenceLogProbs, naive_sequence_logps


def _plain_logps(hidden, weight, bias, labels, softcap):
    """The same quantity through autograd's own ops: full logits, log_softmax, gather."""
    logits = F.linear(hidden, weight, bias).float()
    if softcap:
        logits = softcap * torch.tanh(logits / softcap)
    return logits.log_softmax(-1).gather(-1, labels[:, None]).squeeze(-1)


@pytest.mark.parametrize("softcap", [None, 3.0])
def test_backward_is_the_exact_gradient(softcap, device):
    """gradcheck in fp64 (finite differences vs the backward) over chunks that do not divide the
    rows evenly, with a bias and with Gemma-style soft-capping."""
    g = torch.Generator().manual_seed(0)
    hidden, weight, bias = (
        torch.randn(*shape, dtype=torch.float64, generator=g).to(device).requires_grad_()
        for shape in ((7, 5), (11, 5), (11,))
    )
    labels = torch.randint(0, 11, (7,), generator=g).to(device)
    ours = CompletionLogProbs.apply(hidden, weight, bias, labels, 3, softcap)
    assert torch.allclose(ours, _plain_logps(hidden, weight, bias, labels, softcap).double())
    assert torch.autograd.gradcheck(
        lambda h, w, b: CompletionLogProbs.apply(h, w, b, labels, 3, softcap), (hidden, weight, bias)
    )


def test_frozen_head_gets_no_gradient():
    """With the head frozen (LoRA), only the hidden states get a gradient."""
    hidden = torch.randn(4, 3, requires_grad=True)
    weight = torch.randn(6, 3)
    CompletionLogProbs.apply(hidden, weight, None, torch.tensor([0, 5, 2, 2]), 2, None).sum().backward()
    assert hidden.grad is not None and weight.grad is None


def test_bf16_autocast_matches_autograd_under_autocast():
    """Under bf16 autocast the head matmul runs in bf16 as nn.Linear's would, and the softmax in
    fp32: values and gradients agree with the plain ops under the same autocast, and differ from
    fp32's by bf16 rounding."""
    g = torch.Generator().manual_seed(1)
    hidden = torch.randn(9, 16, generator=g, requires_grad=True)
    weight = torch.randn(50, 16, generator=g, requires_grad=True)
    labels = torch.randint(0, 50, (9,), generator=g)
    results = []
    for fn, bf16 in (
        (lambda: CompletionLogProbs.apply(hidden, weight, None, labels, 4, None), True),
        (lambda: _plain_logps(hidden, weight, None, labels, None), True),
        (lambda: _plain_logps(hidden, weight, None, labels, None), False),
    ):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = fn()
        out.sum().backward()
        results.append((out.detach(), hidden.grad.clone(), weight.grad.clone()))
        hidden.grad = weight.grad = None
    ours, autocast, fp32 = results
    assert ours[0].dtype == torch.float32 and ours[1].dtype == ours[2].dtype == torch.float32
    assert torch.allclose(ours[0], autocast[0], atol=1e-5)
    for a, b in zip(ours[1:], autocast[1:]):
        assert torch.allclose(a, b, rtol=1e-2, atol=1e-3)
    assert not torch.allclose(ours[0], fp32[0], atol=1e-3)


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_shared_prompt_logps_match_separate_sequences_with_gradients(tiny_dir, tokenizer, attention, device):
    """One row per pair (prompt once, rejected masked off the chosen, positions continued)
    gives the log-probs and gradients of the textbook layout: each prompt + completion its own
    sequence, full logits. Pairs of different lengths, so rows are padded; chunks of 7 rows.
    Both attention implementations that take a custom mask (sdpa: bool, eager: additive), on
    each device (CUDA's SDPA picks other kernels for a masked batch than the CPU's)."""
    from transformers import AutoModelForCausalLM

    from training.data import collate, encode_pairs, model_inputs

    pairs = encode_pairs(pair_rows(3), tokenizer, max_length=80)
    assert len({p.row_length for p in pairs}) > 1
    batch = collate(pairs, tokenizer.pad_token_id)
    lm = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32, attn_implementation=attention).to(device)
    ours = SequenceLogProbs(lm, chunk_tokens=7)(*model_inputs(batch, device))
    ours.sum().backward()
    grads_ours = [p.grad.clone() for p in lm.parameters()]
    lm.zero_grad()
    naive = naive_sequence_logps(lm, pairs, tokenizer.pad_token_id)
    naive.sum().backward()
    assert torch.allclose(ours, naive, atol=1e-4)
    for mine, theirs in zip(grads_ours, (p.grad for p in lm.parameters())):
        assert torch.allclose(mine, theirs, rtol=1e-4, atol=1e-4)


def test_masks_the_model_cannot_take_are_refused(tiny_dir, tokenizer):
    """An attention kernel that reads only 2D padding masks, or rows longer than a sliding
    window, would silently ignore the rejected-cannot-see-chosen mask: refused instead."""
    from transformers import AutoModelForCausalLM

    from training.data import collate, encode_pairs, model_inputs

    batch = collate(encode_pairs(pair_rows(2), tokenizer, max_length=80), tokenizer.pad_token_id)
    lm = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32)
    lm.config._attn_implementation = "flash_attention_2"
    with pytest.raises(ValueError, match="flash_attention_2"):
        SequenceLogProbs(lm)(*model_inputs(batch))
    lm.config._attn_implementation = "sdpa"
    lm.config.sliding_window = batch["input_ids"].shape[1] - 1
    with pytest.raises(ValueError, match="sliding window"):
        SequenceLogProbs(lm)(*model_inputs(batch))
