"""Read a pair snapshot and turn it into token ids and padded batches.

A snapshot directory (written by the data side, assets/snapshot):

    manifest.json   {"snapshot_id": ..., "counts": {"train": n, "eval": m, "total": n+m}, ...}
    dataset/        datasets.DatasetDict.save_to_disk with splits "train" and "eval"
                    columns pair_id, prompt, chosen, rejected (+ ids, scores; unused here),
                    and weight, confidence where the snapshot is weighted

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
  * only completion tokens are scored.
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
    train: datasets.Dataset  # noqa: F821
    eval: datasets.Dataset  # noqa: F821
    singles: Optional[dict] = None  # split -> datasets.Dataset of dataset_singles/, when it has singles


@dataclass
class EncodedPair:
    pair_id: str
    prompt: list[int]
    chosen: list[int]
    rejected: list[int]
    truncated: bool
    # from the snapshot's pair-weight columns, where it has them (training/pair_weights.py)
    weight: float = 1.0
    confidence: Optional[float] = None
    # "single": one reply labelled by its votes, in `chosen` if desirable, else in `rejected`,
    # the other side empty (encode_singles)
    kind: str = "pair"

    @property
    def row_length(self) -> int:
        """Tokens of its row in `collate`: the prompt once, then both completions."""
        return len(self.prompt) + len(self.chosen) + len(self.rejected)


def load_snapshot(snapshot_dir: str | Path) -> Snapshot:
    snapshot_dir = Path(snapshot_dir)
    manifest = json.loads((snapshot_dir / "manifest.json").read_text())
    train, eval = (_load_split(snapshot_dir / "dataset" / name) for name in ("train", "eval"))
    singles = None
    if (snapshot_dir / "dataset_singles").is_dir():
        singles = {name: _load_split(snapshot_dir / "dataset_singles" / name) for name in ("train", "eval")}
    return Snapshot(manifest["snapshot_id"], manifest, train, eval, singles)


def _load_split(path: Path):
    """One split; an empty split saved without a data file is rebuilt from its saved features.

    datasets 5.2 saves an empty split with no data file unless told to write one shard, and
    then fails to load it (IndexError in concat_tables). assets/snapshot now writes one shard
    per split, but snapshots are never rewritten, and older ones keep the empty layout: this
    keeps them trainable (`upvote-dpo train --snapshot ID`) under their own id."""
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
        text = tokenizer.apply_chat_template(
            _messages(prompt, system_prompt), tokenize=False, add_generation_prompt=True
        )
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    else:
        text = f"{system_prompt}\n\n{prompt}" if system_prompt else prompt
        ids = tokenizer(text, add_special_tokens=True)["input_ids"]
        if tokenizer.eos_token_id is not None and ids[-1:] == [tokenizer.eos_token_id]:
            ids = ids[:-1]  # some tokenizers append EOS; a prompt must not end the sequence
    return _dedupe_ends(ids, leading_bos_id(tokenizer), None)


def encode_completion(
    tokenizer, prompt_ids: list[int], prompt: str, completion: str, system_prompt: Optional[str] = None
) -> list[int]:
    bos, eos = leading_bos_id(tokenizer), tokenizer.eos_token_id
    if tokenizer.chat_template:
        messages = _messages(prompt, system_prompt) + [{"role": "assistant", "content": completion}]
        text = tokenizer.apply_chat_template(messages, tokenize=False)
        full = _dedupe_ends(tokenizer(text, add_special_tokens=False)["input_ids"], bos, None)
        if full[: len(prompt_ids)] == prompt_ids and len(full) > len(prompt_ids):
            return full[len(prompt_ids) :]
        # A template that renders the prompt differently inside a longer conversation: fall through.
    ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
    if eos is not None and ids[-1:] != [eos]:
        ids = ids + [eos]
    if not ids:
        raise ValueError("empty completion and a tokenizer without EOS: nothing to train on")
    return ids


def fit_prompt(prompt: list[int], completion_length: int, max_length: int, bos: Optional[int] = None) -> list[int]:
    """The prompt cut from its start (a leading BOS stays) so that it and a completion of
    `completion_length` tokens fit max_length, but never below min(len(prompt), max_length // 2)."""
    if len(prompt) + completion_length <= max_length:
        return prompt
    keep = max(min(len(prompt), max_length // 2), max_length - completion_length)
    if keep >= len(prompt):
        return prompt
    head = [bos] if bos is not None and prompt[:1] == [bos] else []
    return head + prompt[len(prompt) - (keep - len(head)) :]


def truncate_pair(
    prompt: list[int], chosen: list[int], rejected: list[int], max_length: int, bos: Optional[int] = None
) -> tuple[list[int], list[int], list[int], bool]:
    """Fit prompt+chosen and prompt+rejected into max_length; returns (prompt, chosen, rejected, truncated).

    The prompt loses tokens from its start first (`fit_prompt`), then both completions lose
    tokens from their end. Completions keep >= max_length - max_length // 2 tokens, so never
    become empty."""
    longest = max(len(chosen), len(rejected))
    if len(prompt) + longest <= max_length:
        return prompt, chosen, rejected, False
    prompt = fit_prompt(prompt, longest, max_length, bos)
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
        pairs.append(
            EncodedPair(str(row["pair_id"]), p, c, r, truncated, float(row.get("weight", 1.0)), row.get("confidence"))
        )
    return pairs


def encode_singles(dataset, tokenizer, max_length: int, system_prompt: Optional[str] = None) -> list[EncodedPair]:
    """Tokenise single replies (columns single_id, prompt, completion, label) as rows of one
    completion: a desirable one in `chosen`, an undesirable one in `rejected`, the other empty."""
    singles, bos = [], leading_bos_id(tokenizer)
    for row in dataset:
        prompt = encode_prompt(tokenizer, row["prompt"], system_prompt)
        completion = encode_completion(tokenizer, prompt, row["prompt"], row["completion"], system_prompt)
        chosen, rejected = (completion, []) if row["label"] else ([], completion)
        p, c, r, truncated = truncate_pair(prompt, chosen, rejected, max_length, bos)
        singles.append(EncodedPair(str(row["single_id"]), p, c, r, truncated, kind="single"))
    return singles


MODEL_INPUTS = ("input_ids", "position_ids", "attention_mask", "scored_from", "sequence")


def model_inputs(batch: dict[str, torch.Tensor], device="cpu") -> tuple[torch.Tensor, ...]:
    """collate's tensors that `training.logps.SequenceLogProbs` takes, in order, on `device`."""
    return tuple(batch[k].to(device) for k in MODEL_INPUTS)


def collate(pairs: list[EncodedPair], pad_id: int) -> dict[str, torch.Tensor]:
    """One batch, one row per pair: prompt + chosen + rejected, the prompt run once for both.

    The rejected tokens attend to the prompt and to themselves, never to the chosen ones, and
    their positions continue from the prompt's end, so every completion token sees exactly
    the context it would in its own prompt + completion sequence (the log-probs agree with
    `collate_sequences`' layout to float rounding; a test checks). On Reddit pairs, whose
    prompts are long, this computes far fewer tokens than two padded sequences per pair.
    Returns, for B pairs and T = the longest prompt + chosen + rejected:
      input_ids, position_ids (B, T), right-padded;
      attention_mask (B, 1, T, T) bool, True where a query may attend to a key (padding
        queries attend to the prompt and to padding, so no row is empty; no prompt or
        completion token attends to padding);
      scored_from (B, T): for a completion token, the position whose hidden state predicts
        it (the previous token, or the prompt's last for the first rejected one); else -1;
      sequence (B, T): the output sequence a completion token belongs to, chosen i -> i,
        rejected i -> B + i; else -1;
      completion_lengths (2B,): chosen lengths, then rejected lengths."""
    n = len(pairs)
    width = max(p.row_length for p in pairs)
    input_ids = torch.full((n, width), pad_id, dtype=torch.long)
    position_ids = torch.zeros((n, width), dtype=torch.long)
    segment = torch.full((n, width), 3, dtype=torch.long)  # 0 prompt, 1 chosen, 2 rejected, 3 padding
    scored_from = torch.full((n, width), -1, dtype=torch.long)
    sequence = torch.full((n, width), -1, dtype=torch.long)
    for i, pair in enumerate(pairs):
        n_prompt, n_chosen, n_rejected = len(pair.prompt), len(pair.chosen), len(pair.rejected)
        end = pair.row_length
        input_ids[i, :end] = torch.tensor(pair.prompt + pair.chosen + pair.rejected)
        chosen, rejected = slice(n_prompt, n_prompt + n_chosen), slice(n_prompt + n_chosen, end)
        position_ids[i, : n_prompt + n_chosen] = torch.arange(n_prompt + n_chosen)
        position_ids[i, rejected] = torch.arange(n_prompt, n_prompt + n_rejected)
        segment[i, :n_prompt], segment[i, chosen], segment[i, rejected] = 0, 1, 2
        scored_from[i, chosen] = torch.arange(n_prompt - 1, n_prompt + n_chosen - 1)
        after_prompt = torch.arange(n_prompt + n_chosen - 1, end - 1)
        after_prompt[:1] = n_prompt - 1
        scored_from[i, rejected] = after_prompt
        sequence[i, chosen], sequence[i, rejected] = i, n + i
    sequence[scored_from < 0] = -1  # a first completion token after an empty prompt has no predecessor
    index = torch.arange(width)
    causal = index[None, :] <= index[:, None]
    same_context = (segment[:, None, :] == 0) | (segment[:, None, :] == segment[:, :, None])
    return {
        "input_ids": input_ids,
        "position_ids": position_ids,
        "attention_mask": (causal & same_context)[:, None],
        "scored_from": scored_from,
        "sequence": sequence,
        "completion_lengths": torch.tensor([len(p.chosen) for p in pairs] + [len(p.rejected) for p in pairs]),
    }


def collate_sequences(pairs: list[EncodedPair], pad_id: int) -> dict[str, torch.Tensor]:
    """The textbook layout (as TRL's): 2B sequences, the B prompt+chosen first, then the B
    prompt+rejected. Returns input_ids and attention_mask (2B, T), right-padded; loss_mask
    (2B, T), 1 on completion tokens; completion_lengths (2B,)."""
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
