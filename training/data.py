"""Read a pair snapshot and turn it into token ids and padded, concatenated batches.

A snapshot directory (written by the data side, assets/snapshot):

    manifest.json   {"snapshot_id": ..., "counts": {"train": n, "eval": m, "total": n+m}, ...}
    dataset/        datasets.DatasetDict.save_to_disk with splits "train" and "eval"
                    columns pair_id, prompt, chosen, rejected (+ ids, scores; unused here)

Tokenisation, for each pair:
  * the prompt goes through the tokenizer's chat template as a user turn (after an optional
    system turn) with the generation prompt; the completion is the assistant turn, taken as
    the tokens the template adds after the prompt (so it ends with the template's own
    end-of-turn token). Without a chat template: the prompt as the tokenizer encodes it
    (its BOS, if it adds one), the completion plus EOS. A doubled leading BOS and a doubled
    trailing EOS are collapsed.
  * one `max_length` bounds prompt+chosen and prompt+rejected alike: first the prompt's start
    is cut (keeping a leading BOS, and at least half the budget for the prompt), then the
    completions' ends. A completion is never empty. No pair is dropped; truncated pairs are
    counted.
  * the loss mask covers completion tokens only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch


@dataclass
class Snapshot:
    snapshot_id: str
    manifest: dict
    train: "datasets.Dataset"  # noqa: F821
    eval: "datasets.Dataset"  # noqa: F821


@dataclass
class EncodedPair:
    pair_id: str
    prompt: list[int]
    chosen: list[int]
    rejected: list[int]
    truncated: bool


def load_snapshot(snapshot_dir: str | Path) -> Snapshot:
    snapshot_dir = Path(snapshot_dir)
    manifest = json.loads((snapshot_dir / "manifest.json").read_text())
    train, eval = (_load_split(snapshot_dir / "dataset" / name) for name in ("train", "eval"))
    return Snapshot(manifest["snapshot_id"], manifest, train, eval)


def _load_split(path: Path):
    """datasets 5.2 saves an empty split with no data file and then fails to load it
    (IndexError in concat_tables); an empty split is rebuilt from its saved features."""
    import datasets

    if not json.loads((path / "state.json").read_text())["_data_files"]:
        features = datasets.Features.from_dict(json.loads((path / "dataset_info.json").read_text())["features"])
        return datasets.Dataset.from_dict({name: [] for name in features}, features=features)
    return datasets.load_from_disk(str(path))


def _dedupe_ends(ids: list[int], bos: Optional[int], eos: Optional[int]) -> list[int]:
    while bos is not None and ids[:2] == [bos, bos]:
        ids = ids[1:]
    while eos is not None and len(ids) >= 2 and ids[-2:] == [eos, eos]:
        ids = ids[:-1]
    return ids


def leading_bos_id(tokenizer) -> Optional[int]:
    """The BOS id if sequences really start with one: the tokenizer adds it to plain text or the
    chat template writes `bos_token`. (SmolLM2 names <|im_start|> its bos_token but uses it only
    as a role marker; it must neither be deduplicated nor pinned during truncation.)"""
    bos = tokenizer.bos_token_id
    if bos is None:
        return None
    adds_bos = tokenizer("a", add_special_tokens=True)["input_ids"][:1] == [bos]
    return bos if adds_bos or "bos_token" in (tokenizer.chat_template or "") else None


def _messages(prompt: str, system_prompt: Optional[str]) -> list[dict]:
    system = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return system + [{"role": "user", "content": prompt}]


def encode_prompt(tokenizer, prompt: str, system_prompt: Optional[str] = None) -> list[int]:
    if tokenizer.chat_template:
        # The template owns BOS (e.g. Llama 3 writes {{ bos_token }}), so no special tokens are added here.
        text = tokenizer.apply_chat_template(_messages(prompt, system_prompt), tokenize=False, add_generation_prompt=True)
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    else:
        text = f"{system_prompt}\n\n{prompt}" if system_prompt else prompt
        ids = tokenizer(text, add_special_tokens=True)["input_ids"]
        if tokenizer.eos_token_id is not None and ids[-1:] == [tokenizer.eos_token_id]:
            ids = ids[:-1]  # some tokenizers append EOS; a prompt must not end the sequence
    return _dedupe_ends(ids, leading_bos_id(tokenizer), None)


def encode_completion(tokenizer, prompt_ids: list[int], prompt: str, completion: str,
                      system_prompt: Optional[str] = None) -> list[int]:
    bos, eos = leading_bos_id(tokenizer), tokenizer.eos_token_id
    if tokenizer.chat_template:
        messages = _messages(prompt, system_prompt) + [{"role": "assistant", "content": completion}]
        text = tokenizer.apply_chat_template(messages, tokenize=False)
        full = _dedupe_ends(tokenizer(text, add_special_tokens=False)["input_ids"], bos, None)
        if full[: len(prompt_ids)] == prompt_ids and len(full) > len(prompt_ids):
            return full[len(prompt_ids):]
        # A template that renders the prompt differently inside a longer conversation: fall through.
    ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
    if eos is not None and ids[-1:] != [eos]:
        ids = ids + [eos]
    if not ids:
        raise ValueError("empty completion and a tokenizer without EOS: nothing to train on")
    return ids


def truncate_pair(prompt: list[int], chosen: list[int], rejected: list[int], max_length: int,
                  bos: Optional[int] = None) -> tuple[list[int], list[int], list[int], bool]:
    """Fit prompt+chosen and prompt+rejected into max_length; returns (prompt, chosen, rejected, truncated).

    The prompt loses tokens from its start first (a leading BOS stays), but keeps at least
    min(len(prompt), max_length // 2) tokens; then both completions lose tokens from their
    end. Completions keep >= max_length - max_length // 2 tokens, so never become empty."""
    longest = max(len(chosen), len(rejected))
    if len(prompt) + longest <= max_length:
        return prompt, chosen, rejected, False
    keep = max(min(len(prompt), max_length // 2), max_length - longest)
    if keep < len(prompt):
        head = [bos] if bos is not None and prompt[:1] == [bos] else []
        prompt = head + prompt[len(prompt) - (keep - len(head)):]
    budget = max_length - len(prompt)
    return prompt, chosen[:budget], rejected[:budget], True


def encode_pairs(dataset, tokenizer, max_length: int, system_prompt: Optional[str] = None) -> list[EncodedPair]:
    """Tokenise and truncate every row of a split (order kept; no row dropped)."""
    pairs, bos = [], leading_bos_id(tokenizer)
    for row in dataset:
        prompt = encode_prompt(tokenizer, row["prompt"], system_prompt)
        chosen = encode_completion(tokenizer, prompt, row["prompt"], row["chosen"], system_prompt)
        rejected = encode_completion(tokenizer, prompt, row["prompt"], row["rejected"], system_prompt)
        p, c, r, truncated = truncate_pair(prompt, chosen, rejected, max_length, bos)
        pairs.append(EncodedPair(str(row["pair_id"]), p, c, r, truncated))
    return pairs


def collate(pairs: list[EncodedPair], pad_id: int) -> dict[str, torch.Tensor]:
    """One batch of 2B sequences: the B chosen (prompt+chosen) first, then the B rejected.

    Returns input_ids and attention_mask (2B, T), right-padded; loss_mask (2B, T), 1 on
    completion tokens; completion_lengths (2B,)."""
    sequences = [p.prompt + p.chosen for p in pairs] + [p.prompt + p.rejected for p in pairs]
    prompt_lengths = [len(p.prompt) for p in pairs] * 2
    width = max(len(s) for s in sequences)
    input_ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(sequences), width), dtype=torch.long)
    loss_mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for i, (seq, n_prompt) in enumerate(zip(sequences, prompt_lengths)):
        input_ids[i, : len(seq)] = torch.tensor(seq)
        attention_mask[i, : len(seq)] = 1
        loss_mask[i, n_prompt : len(seq)] = 1
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "loss_mask": loss_mask,
        "completion_lengths": loss_mask.sum(dim=1),
    }
