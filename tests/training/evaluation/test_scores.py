"""Per-token NLL and KL on the tiny model, against full-vocabulary logits computed plainly, and
seeded generation."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM

from training.data import encode_prompt
from training.evaluation.generate import generate_replies
from training.evaluation.scores import sequence_scores

SEQUENCES = [[1, 50, 60, 70, 80, 90], [1, 300, 301], [1, 7, 8, 9, 10, 11, 12, 13]]
SCORED_FROM = [3, 1, 5]


@pytest.fixture(scope="module")
def policy(tiny_dir):
    return AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32).eval()


@pytest.fixture(scope="module")
def base(policy):
    """The policy with every weight nudged: a different model of the same shape."""
    other = copy.deepcopy(policy)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in other.parameters():
            parameter.add_(0.05 * torch.randn(parameter.shape, generator=generator))
    return other


def on(device, *models):
    """Copies of the models on `device` (the module's fixtures stay on the CPU)."""
    return [copy.deepcopy(model).to(device) for model in models]


def plain_scores(policy, base):
    """Each sequence alone, full logits, log_softmax: the textbook computation."""
    rows = []
    for sequence, start in zip(SEQUENCES, SCORED_FROM):
        ids = torch.tensor([sequence])
        with torch.no_grad():
            log_p = F.log_softmax(policy(input_ids=ids).logits[0, :-1].float(), dim=-1)
            log_q = F.log_softmax(base(input_ids=ids).logits[0, :-1].float(), dim=-1)
        targets = ids[0, 1:]
        keep = torch.arange(1, len(sequence)) >= start
        nll_p = -log_p.gather(1, targets[:, None]).squeeze(1)[keep].sum()
        nll_q = -log_q.gather(1, targets[:, None]).squeeze(1)[keep].sum()
        kl = (log_p.exp() * (log_p - log_q)).sum(dim=1)[keep].sum()
        rows.append([keep.sum().item(), nll_p.item(), nll_q.item(), kl.item()])
    return np.array(rows)


def test_scores_match_the_plain_computation_in_any_chunking(policy, base, tokenizer, device):
    expected = plain_scores(policy, base)
    policy_on, base_on = on(device, policy, base)
    for batch_size, chunk in ((3, 256), (2, 3), (1, 1)):
        got = sequence_scores(
            policy_on,
            base_on,
            SEQUENCES,
            SCORED_FROM,
            pad_id=tokenizer.pad_token_id,
            batch_size=batch_size,
            chunk_tokens=chunk,
            device=device,
        )
        assert got.tokens.tolist() == expected[:, 0].tolist()
        np.testing.assert_allclose(got.nll_policy, expected[:, 1], rtol=1e-4)
        np.testing.assert_allclose(got.nll_base, expected[:, 2], rtol=1e-4)
        np.testing.assert_allclose(got.kl, expected[:, 3], rtol=1e-3, atol=1e-6)
    assert (expected[:, 3] > 0).all()


def test_kl_of_a_model_with_itself_is_zero(policy, tokenizer, device):
    (model,) = on(device, policy)
    got = sequence_scores(model, model, SEQUENCES, SCORED_FROM, pad_id=tokenizer.pad_token_id, device=device)
    np.testing.assert_allclose(got.kl, 0.0, atol=1e-6)
    np.testing.assert_allclose(got.nll_policy, got.nll_base, rtol=1e-6)


def test_without_a_base_only_the_policy_is_scored(policy, tokenizer):
    got = sequence_scores(policy, None, SEQUENCES, SCORED_FROM, pad_id=tokenizer.pad_token_id)
    assert got.kl is None and got.nll_base is None and (got.nll_policy > 0).all()


def test_batched_greedy_replies_equal_one_by_one(policy, tokenizer):
    prompts = [encode_prompt(tokenizer, text) for text in ("Hi there", "What is a duck? Say more.", "x")]
    together = generate_replies(policy, tokenizer, prompts, max_new_tokens=6, sample=False, batch_size=3)
    alone = [generate_replies(policy, tokenizer, [p], max_new_tokens=6, sample=False)[0] for p in prompts]
    assert together == alone and all(0 < len(r) <= 6 for r in together)


def test_sampled_replies_repeat_with_the_seed_and_change_without_it(policy, tokenizer, device):
    prompts = [encode_prompt(tokenizer, text) for text in ("Hi there", "Tell me a story")]
    (model,) = on(device, policy)
    options = {"max_new_tokens": 8, "sample": True, "device": device}
    first = generate_replies(model, tokenizer, prompts, seed=3, **options)
    again = generate_replies(model, tokenizer, prompts, seed=3, **options)
    other = generate_replies(model, tokenizer, prompts, seed=4, **options)
    assert first == again and first != other
