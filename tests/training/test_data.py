"""training.data: snapshot reading, tokenisation edge cases, truncation, batches."""

from __future__ import annotations

import copy

import pytest

from tests.training.snapshots import pair_rows, write_snapshot
from training.data import (
    collate,
    collate_sequences,
    encode_completion,
    encode_pairs,
    encode_prompt,
    load_snapshot,
    truncate_pair,
)

LONG = " ".join(["My landlord says the deposit covers 'wear and tear' but the lease says otherwise."] * 40)


def _encode(tokenizer, prompt, chosen, rejected, max_length=4096, system_prompt=None):
    row = {"pair_id": "x", "prompt": prompt, "chosen": chosen, "rejected": rejected}
    return encode_pairs([row], tokenizer, max_length, system_prompt)[0]


def test_load_snapshot(tmp_path):
    snap = load_snapshot(write_snapshot(tmp_path / "s", pair_rows(3), [], snapshot_id="abc123"))
    assert snap.snapshot_id == "abc123" and len(snap.train) == 3 and len(snap.eval) == 0
    assert snap.train[0]["pair_id"] == "p0000"


def test_load_an_older_snapshot_whose_empty_split_has_no_data_file(tmp_path):
    import json

    path = write_snapshot(tmp_path / "s", pair_rows(3), [], shard_per_split=False)
    assert json.loads((path / "dataset" / "eval" / "state.json").read_text())["_data_files"] == []
    snap = load_snapshot(path)
    assert len(snap.train) == 3 and len(snap.eval) == 0
    assert snap.eval.features == snap.train.features


def test_chat_template_without_system_prompt(tokenizer):
    """Prompt = user turn + generation prompt (SmolLM2 inserts its default system turn);
    completion = exactly what the template adds for the assistant turn, ending in <|im_end|>."""
    pair = _encode(tokenizer, "Why is the sky blue?", "Rayleigh scattering.", "dunno")
    messages = [{"role": "user", "content": "Why is the sky blue?"}]
    expected_prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert tokenizer.decode(pair.prompt) == expected_prompt
    assert "You are a helpful AI assistant named SmolLM" in expected_prompt
    full = tokenizer.apply_chat_template(
        messages + [{"role": "assistant", "content": "Rayleigh scattering."}], tokenize=False
    )
    assert tokenizer.decode(pair.prompt + pair.chosen) == full
    assert tokenizer.decode(pair.chosen).startswith("Rayleigh scattering.<|im_end|>")
    assert pair.chosen.count(tokenizer.eos_token_id) == 1 and pair.rejected.count(tokenizer.eos_token_id) == 1
    assert not pair.truncated


def test_chat_template_with_system_prompt(tokenizer):
    pair = _encode(
        tokenizer, "Best pizza topping?", "Mushrooms.", "Pineapple.", system_prompt="You answer like a redditor."
    )
    text = tokenizer.decode(pair.prompt)
    assert text.startswith(
        "<|im_start|>system\nYou answer like a redditor.<|im_end|>\n<|im_start|>user\nBest pizza topping?"
    )
    assert "named SmolLM" not in text and text.endswith("<|im_start|>assistant\n")
    assert tokenizer.decode(pair.chosen).startswith("Mushrooms.<|im_end|>")


def test_template_that_writes_bos_gives_one_bos(tokenizer):
    """A Llama-3-style template writing {{ bos_token }} on a tokenizer that also adds BOS to plain
    text: the prompt starts with exactly one BOS and the completion has none."""
    tok = copy.deepcopy(tokenizer)
    tok.bos_token = "<|endoftext|>"
    tok.add_bos_token = True
    tok.chat_template = "{{ bos_token }}" + tokenizer.chat_template
    assert tok("hi")["input_ids"][0] == tok.bos_token_id  # the tokenizer itself would add one
    pair = _encode(tok, "A question", "An answer", "Another answer")
    assert pair.prompt[0] == tok.bos_token_id and pair.prompt[1] != tok.bos_token_id
    assert tok.bos_token_id not in pair.chosen + pair.rejected


def test_no_chat_template_plain_text_with_bos_and_eos(tokenizer):
    tok = copy.deepcopy(tokenizer)
    tok.chat_template = None
    tok.bos_token = "<|endoftext|>"
    tok.add_bos_token = True
    pair = _encode(tok, "Question: is rice a grain?", " Yes, rice is a cereal grain.", " no<|im_end|>")
    assert pair.prompt == tok("Question: is rice a grain?")["input_ids"]
    assert pair.prompt.count(tok.bos_token_id) == 1
    assert pair.chosen[-1] == tok.eos_token_id and pair.chosen.count(tok.eos_token_id) == 1
    # the rejected text already ends with the EOS string: not doubled
    assert pair.rejected[-1] == tok.eos_token_id and pair.rejected.count(tok.eos_token_id) == 1


def test_tokenizer_without_bos(tokenizer):
    tok = copy.deepcopy(tokenizer)
    tok.chat_template = None
    tok.bos_token = None
    assert tok.bos_token_id is None
    pair = _encode(tok, "Short prompt", "Short answer", "Other")
    assert pair.prompt == tok("Short prompt", add_special_tokens=False)["input_ids"]
    p, c, r, truncated = truncate_pair(list(range(100, 150)), [7] * 5, [8] * 3, max_length=20, bos=None)
    # the prompt's start goes first: 20 - 5 = 15 tokens stay, the completions are whole
    assert truncated and p == list(range(135, 150)) and (c, r) == ([7] * 5, [8] * 3)


def test_long_prompt_loses_its_start_but_keeps_the_generation_prompt(tokenizer):
    pair = _encode(tokenizer, LONG, "Document everything and send a dated letter.", "lol", max_length=64)
    assert pair.truncated
    assert len(pair.prompt) + len(pair.chosen) <= 64 and len(pair.prompt) + len(pair.rejected) <= 64
    assert tokenizer.decode(pair.prompt).endswith("otherwise.<|im_end|>\n<|im_start|>assistant\n")
    full_chosen = _encode(tokenizer, "x", "Document everything and send a dated letter.", "lol").chosen
    assert pair.chosen == full_chosen  # the completions were short enough to stay whole


def test_long_completion_loses_its_end_never_empty(tokenizer):
    pair = _encode(tokenizer, "Any tips for a first apartment?", LONG, "Get renters insurance.", max_length=96)
    untruncated = _encode(tokenizer, "Any tips for a first apartment?", LONG, "Get renters insurance.")
    assert pair.truncated and pair.prompt == untruncated.prompt and len(pair.prompt) < 48
    assert len(pair.prompt) + len(pair.chosen) == 96
    assert pair.chosen == untruncated.chosen[: len(pair.chosen)]  # the end was cut, not the start
    assert pair.rejected == untruncated.rejected
    # prompt and completion both long: the prompt keeps half, each completion gets the rest, none empty
    both = _encode(tokenizer, LONG, LONG, LONG, max_length=32)
    assert len(both.prompt) == 16 and len(both.chosen) == 16 and len(both.rejected) == 16


def test_truncation_keeps_a_real_bos():
    # 41 + 20 > 24: the prompt keeps 24 // 2 = 12 tokens (BOS + its last 11), the completions the other 12
    p, c, r, truncated = truncate_pair([1] + list(range(100, 140)), [5] * 20, [6] * 4, max_length=24, bos=1)
    assert truncated and p == [1] + list(range(129, 140)) and c == [5] * 12 and r == [6] * 4


def test_no_pair_dropped_and_truncations_counted(tokenizer):
    rows = [{"pair_id": str(i), "prompt": LONG if i % 2 else "short", "chosen": "a", "rejected": "b"} for i in range(6)]
    pairs = encode_pairs(rows, tokenizer, max_length=48)
    assert [p.pair_id for p in pairs] == [str(i) for i in range(6)]
    assert sum(p.truncated for p in pairs) == 3


def test_collate_puts_a_pair_in_one_row_with_the_prompt_shared(tokenizer):
    """Row i = prompt + chosen + rejected; the rejected tokens see the prompt and themselves,
    at the positions they would have right after the prompt; each completion token is scored
    from its predecessor in its own prompt + completion sequence."""
    pairs = encode_pairs(pair_rows(3), tokenizer, max_length=4096)
    batch = collate(pairs, tokenizer.pad_token_id)
    width = batch["input_ids"].shape[1]
    assert batch["attention_mask"].shape == (3, 1, width, width)
    assert batch["completion_lengths"].tolist() == [len(p.chosen) for p in pairs] + [len(p.rejected) for p in pairs]
    for i, pair in enumerate(pairs):
        n_p, n_c, n_r = len(pair.prompt), len(pair.chosen), len(pair.rejected)
        end = n_p + n_c + n_r
        assert batch["input_ids"][i, :end].tolist() == pair.prompt + pair.chosen + pair.rejected
        assert batch["position_ids"][i, :end].tolist() == list(range(n_p + n_c)) + list(range(n_p, n_p + n_r))
        sees = batch["attention_mask"][i, 0]
        first_rejected, last_chosen = n_p + n_c, n_p + n_c - 1
        assert sees[last_chosen, : last_chosen + 1].all() and not sees[last_chosen, last_chosen + 1 :].any()
        assert sees[end - 1].tolist() == [True] * n_p + [False] * n_c + [True] * n_r + [False] * (width - end)
        assert sees[first_rejected].nonzero().squeeze(1).tolist() == list(range(n_p)) + [first_rejected]
        assert sees.any(dim=1).all()  # padding queries too: no empty softmax row
        assert batch["scored_from"][i, :n_p].eq(-1).all() and batch["scored_from"][i, end:].eq(-1).all()
        assert batch["scored_from"][i, n_p : n_p + 2].tolist() == [n_p - 1, n_p]
        assert batch["scored_from"][i, first_rejected : first_rejected + 2].tolist() == [n_p - 1, first_rejected]
        assert batch["sequence"][i].tolist() == [-1] * n_p + [i] * n_c + [3 + i] * n_r + [-1] * (width - end)


def test_collate_sequences_is_the_two_row_layout(tokenizer):
    pairs = encode_pairs(pair_rows(3), tokenizer, max_length=4096)
    batch = collate_sequences(pairs, tokenizer.pad_token_id)
    assert batch["input_ids"].shape[0] == 6
    for i, pair in enumerate(pairs):
        for row, completion in ((i, pair.chosen), (i + 3, pair.rejected)):
            n = len(pair.prompt) + len(completion)
            assert batch["input_ids"][row, :n].tolist() == pair.prompt + completion
            mask = batch["loss_mask"][row].tolist()
            assert mask == [0] * len(pair.prompt) + [1] * len(completion) + [0] * (len(mask) - n)
            assert batch["attention_mask"][row].sum().item() == n
            assert batch["completion_lengths"][row].item() == len(completion)


def test_encode_prompt_and_completion_helpers_agree_with_encode_pairs(tokenizer):
    prompt = encode_prompt(tokenizer, "Q?")
    assert encode_completion(tokenizer, prompt, "Q?", "A.") == _encode(tokenizer, "Q?", "A.", "B.").chosen
    with pytest.raises(KeyError):
        encode_pairs([{"prompt": "no id"}], tokenizer, 32)


def test_fit_prompt_cuts_the_start_keeps_bos_and_leaves_room_for_the_reply():
    from training.data import fit_prompt

    prompt = [1] + list(range(100, 150))
    assert fit_prompt(prompt, 10, 32, bos=1) == [1] + list(range(129, 150))  # 22 tokens + a 10-token reply
    assert fit_prompt(prompt, 10, 64, bos=1) == prompt  # fits already
    assert len(fit_prompt(prompt, 40, 32, bos=1)) == 16  # never below half the budget
