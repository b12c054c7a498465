"""Replies of a model to a panel of prompts: greedy, and sampled with a fixed seed.

Prompts go through the chat template as in training (`training.data.encode_prompt`) and are
left-padded, so a batch generates as its prompts would one by one. A sampled batch seeds
torch's generator from `seed` and the batch's position, so the same model, panel and batch
size give the same replies."""

from __future__ import annotations

import torch
from torch import nn


def end_token_ids(model: nn.Module, tokenizer) -> set[int]:
    """The tokens that end a reply: the generation config's EOS (SmolLM2's end of turn) and the
    tokenizer's."""
    ids = getattr(model.generation_config, "eos_token_id", None)
    ends = set(ids if isinstance(ids, list) else [ids]) | {tokenizer.eos_token_id}
    return {i for i in ends if i is not None}


@torch.no_grad()
def generate_replies(
    model: nn.Module,
    tokenizer,
    prompts: list[list[int]],
    *,
    max_new_tokens: int,
    sample: bool,
    seed: int = 0,
    temperature: float = 0.7,
    top_p: float = 0.9,
    batch_size: int = 8,
    device: torch.device | str = "cpu",
) -> list[list[int]]:
    """The reply token ids of each prompt, without the end-of-turn token and what follows."""
    model.eval()
    ends = end_token_ids(model, tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(ends)
    replies: list[list[int]] = []
    for first in range(0, len(prompts), batch_size):
        batch = prompts[first : first + batch_size]
        width = max(len(p) for p in batch)
        ids = torch.tensor([[pad_id] * (width - len(p)) + p for p in batch], device=device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in batch], device=device)
        options = {"do_sample": False}
        if sample:
            torch.manual_seed(seed * 1_000_003 + first)
            options = {"do_sample": True, "temperature": temperature, "top_p": top_p, "top_k": 0}
        out = model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=max_new_tokens,
            pad_token_id=pad_id,
            eos_token_id=sorted(ends),
            **options,
        )
        for row in out[:, width:].tolist():
            cut = next((i for i, token in enumerate(row) if token in ends), len(row))
            replies.append(row[:cut])
    return replies
