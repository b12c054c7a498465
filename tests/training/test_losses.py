"""training.losses: each loss against hand-worked numbers and against TRL 1.16 on the same log-probs."""

from __future__ import annotations

import math
import os
from collections import defaultdict
from types import MethodType, SimpleNamespace

import pytest
import torch

from training.config import TrainConfig
from training.losses import (
    LOSSES,
    apo_down_loss,
    apo_zero_loss,
    bco_pair_loss,
    hinge_loss,
    ipo_loss,
    kto_loss,
    nca_pair_loss,
    orpo_loss,
    robust_loss,
    sft_loss,
    sigmoid_loss,
    simpo_loss,
    sppo_hard_loss,
)

# One pair, worked by hand in the docstrings below:
#   policy chosen -10, policy rejected -12, reference -11 for both, completion lengths 4 and 2.
#   Chosen log-ratio +1, rejected log-ratio -1, margin h = 2. With beta = 0.25: z = beta * h = 0.5.
PC, PR, RC, RR = (torch.tensor([x]) for x in (-10.0, -12.0, -11.0, -11.0))
LC, LR = torch.tensor([4.0]), torch.tensor([2.0])
BETA = 0.25


def test_sigmoid_hand_computed():
    """-log sigmoid(0.5) = log(1 + e^-0.5) = 0.474077; rewards 0.25 * (+1) = 0.25 and 0.25 * (-1) = -0.25.
    cDPO with eps = 0.1: 0.9 log(1 + e^-0.5) + 0.1 log(1 + e^0.5) = log(1 + e^-0.5) + 0.1 * 0.5 = 0.524077."""
    losses, chosen, rejected = sigmoid_loss(PC, PR, RC, RR, LC, LR, beta=BETA)
    assert losses.item() == pytest.approx(0.4740770, abs=1e-6)
    assert (chosen.item(), rejected.item()) == (pytest.approx(0.25), pytest.approx(-0.25))
    smoothed, _, _ = sigmoid_loss(PC, PR, RC, RR, LC, LR, beta=BETA, label_smoothing=0.1)
    assert smoothed.item() == pytest.approx(0.5240770, abs=1e-6)


def test_sigmoid_is_ln2_when_policy_equals_reference():
    """h = 0 whatever beta: -log sigmoid(0) = ln 2 = 0.693147."""
    logps = torch.tensor([-35.2, -4.0, -120.5])
    losses, chosen, rejected = sigmoid_loss(logps, logps - 3, logps, logps - 3, beta=0.1)
    assert torch.allclose(losses, torch.full((3,), math.log(2)))
    assert torch.all(chosen == 0) and torch.all(rejected == 0)


def test_robust_hand_computed():
    """[(1 - eps) a - eps (a + z)] / (1 - 2 eps) with a = log(1 + e^-z), log(1 + e^z) = a + z,
    simplifies to a - eps z / (1 - 2 eps) = 0.474077 - 0.05 / 0.8 = 0.411577 (eps 0.1, z 0.5).
    With eps = 0 it is plain DPO."""
    losses, _, _ = robust_loss(PC, PR, RC, RR, LC, LR, beta=BETA, label_smoothing=0.1)
    assert losses.item() == pytest.approx(0.4115770, abs=1e-6)
    plain, _, _ = robust_loss(PC, PR, RC, RR, LC, LR, beta=BETA)
    assert plain.item() == pytest.approx(0.4740770, abs=1e-6)


def test_ipo_hand_computed():
    """Per-token log-ratios: +1 / 4 - (-1) / 2 = 0.75; target 1 / (2 beta) = 2; (0.75 - 2)^2 = 1.5625."""
    losses, _, _ = ipo_loss(PC, PR, RC, RR, LC, LR, beta=BETA)
    assert losses.item() == pytest.approx(1.5625)


def test_hinge_hand_computed():
    """max(0, 1 - 0.5) = 0.5; with beta = 1, z = 2 and the hinge is satisfied: 0."""
    assert hinge_loss(PC, PR, RC, RR, LC, LR, beta=BETA)[0].item() == pytest.approx(0.5)
    assert hinge_loss(PC, PR, RC, RR, LC, LR, beta=1.0)[0].item() == 0.0


def test_simpo_hand_computed():
    """r(yw) = 0.25 * -10/4 = -0.625, r(yl) = 0.25 * -12/2 = -1.5, gamma 0.5:
    z = -0.625 + 1.5 - 0.5 = 0.375, loss = log(1 + e^-0.375) = 0.523123; with eps 0.1: + 0.1 * 0.375 = 0.560623.
    The reference log-probs play no part."""
    losses, chosen, rejected = simpo_loss(PC, PR, None, None, LC, LR, beta=BETA, gamma=0.5)
    assert losses.item() == pytest.approx(0.5231233, abs=1e-6)
    assert (chosen.item(), rejected.item()) == (pytest.approx(-0.625), pytest.approx(-1.5))
    smoothed, _, _ = simpo_loss(PC, PR, RC, RR, LC, LR, beta=BETA, gamma=0.5, label_smoothing=0.1)
    assert smoothed.item() == pytest.approx(0.5606233, abs=1e-6)


@pytest.mark.parametrize(
    ("loss", "expected"),
    [
        (apo_zero_loss, 0.8756470),  # 1 - sigmoid(0.25) + sigmoid(-0.25) = 1 - 0.5621765 + 0.4378235
        (apo_down_loss, 0.9397172),  # sigmoid(0.25) + 1 - sigmoid(0.5) = 0.5621765 + 1 - 0.6224593
        (
            nca_pair_loss,
            1.2768788,
        ),  # -log sig(0.25) - 1/2 log sig(-0.25) - 1/2 log sig(0.25) = 0.5759394 + 0.4129697 + 0.2879697
        (bco_pair_loss, 1.1518788),  # -log sig(0.25) - log sig(0.25) = 2 * 0.5759394
        (sppo_hard_loss, 2.0),  # (1 - 1/(2 * 0.25))^2 + (-1 + 1/(2 * 0.25))^2 = 1 + 1
    ],
)
def test_per_answer_losses_hand_computed(loss, expected):
    """The losses that score each answer's log-ratio on its own: chosen +1, rejected -1, beta 0.25,
    so beta * r_w = 0.25 and beta * r_l = -0.25. The rewards are DPO's, beta * r."""
    losses, chosen, rejected = loss(PC, PR, RC, RR, LC, LR, beta=BETA)
    assert losses.item() == pytest.approx(expected, abs=1e-6)
    assert (chosen.item(), rejected.item()) == (pytest.approx(0.25), pytest.approx(-0.25))


def test_orpo_hand_computed():
    """Length-averaged log-probs -10/4 = -2.5 and -12/2 = -6. log odds(y) = a - log(1 - e^a):
    -2.5 - log(1 - e^-2.5) = -2.414350 and -6 - log(1 - e^-6) = -5.997518, difference 3.583169;
    -log sigmoid(3.583169) = log(1 + e^-3.583169) = 0.027408. NLL of the chosen reply per token: 2.5.
    L = 2.5 + 0.25 * 0.027408 = 2.506852; rewards 0.25 * -2.5 = -0.625 and 0.25 * -6 = -1.5."""
    losses, chosen, rejected = orpo_loss(PC, PR, None, None, LC, LR, beta=BETA)
    assert losses.item() == pytest.approx(2.5068521, abs=1e-6)
    assert (chosen.item(), rejected.item()) == (pytest.approx(-0.625), pytest.approx(-1.5))
    # a likelihood near 1 (log-prob near 0) is where log(1 - e^a) cancels: still finite, odds huge
    near_one, _, _ = orpo_loss(torch.tensor([-1e-6]), torch.tensor([-3.0]), None, None, LC, LR, beta=BETA)
    assert torch.isfinite(near_one).all()


def test_kto_hand_computed():
    """Two singles: desirable r = -10 - (-11) = +1, undesirable r = -12 - (-11) = -1; beta 0.25.
    KL rows: policy - reference = [-20 - (-21), -30 - (-30.5)] = [1, 0.5], z0 = mean = 0.75.
    Desirable: 1 - sigmoid(0.25 * (1 - 0.75)) = 1 - sigmoid(0.0625) = 0.484380.
    Undesirable: 1 - sigmoid(0.25 * (0.75 - (-1))) = 1 - sigmoid(0.4375) = 0.392337.
    Weights 1.5 / 0.5: 0.726570 and 0.196168. A negative KL estimate is clamped to z0 = 0:
    1 - sigmoid(0.25) = 0.437823 and 1 - sigmoid(0.25) = 0.437823."""
    logps, ref, desirable = torch.tensor([-10.0, -12.0]), torch.tensor([-11.0, -11.0]), torch.tensor([True, False])
    kl, ref_kl = torch.tensor([-20.0, -30.0]), torch.tensor([-21.0, -30.5])
    losses, rewards, z0 = kto_loss(logps, ref, desirable, kl, ref_kl, beta=BETA)
    assert losses.tolist() == pytest.approx([0.4843801, 0.3923368], abs=1e-6)
    assert rewards.tolist() == pytest.approx([0.25, -0.25]) and z0.item() == pytest.approx(0.75)
    weighted, _, _ = kto_loss(
        logps, ref, desirable, kl, ref_kl, beta=BETA, desirable_weight=1.5, undesirable_weight=0.5
    )
    assert weighted.tolist() == pytest.approx([0.7265701, 0.1961684], abs=1e-6)
    clamped, _, z0 = kto_loss(logps, ref, desirable, ref_kl, kl, beta=BETA)
    assert z0.item() == 0.0 and clamped.tolist() == pytest.approx([0.4378235, 0.4378235], abs=1e-6)


def test_kto_baseline_carries_no_gradient():
    """z0 is detached: the KL rows' policy log-probs get no gradient, the singles' do."""
    logps = torch.tensor([-10.0, -12.0], requires_grad=True)
    kl = torch.tensor([-20.0, -30.0], requires_grad=True)
    losses, _, _ = kto_loss(
        logps, torch.tensor([-11.0, -11.0]), torch.tensor([True, False]), kl, torch.tensor([-21.0, -30.5]), beta=BETA
    )
    losses.sum().backward()
    assert kl.grad is None and torch.all(logps.grad != 0)


def test_sft_hand_computed():
    """-(-10 - 6) / (4 + 2) = 16 / 6 = 2.666667: a token mean over the batch, not a mean of per-pair means."""
    assert sft_loss(torch.tensor([-10.0, -6.0]), torch.tensor([4.0, 2.0])).item() == pytest.approx(16 / 6)


def test_losses_dict_and_config_validation(tmp_path):
    assert set(LOSSES) == {
        "sigmoid",
        "robust",
        "ipo",
        "hinge",
        "simpo",
        "apo_zero",
        "apo_down",
        "nca_pair",
        "bco_pair",
        "sppo_hard",
        "orpo",
    }
    with pytest.raises(ValueError, match="--loss-type must be one of"):
        TrainConfig(snapshot_dir="s", out_dir="o", loss_type="dpo")
    with pytest.raises(ValueError, match="--label-smoothing must be in"):
        TrainConfig(snapshot_dir="s", out_dir="o", label_smoothing=0.5)
    for loss_type in ("ipo", "hinge", "apo_zero", "sppo_hard"):  # no label-noise term: refused, not ignored
        with pytest.raises(ValueError, match="--label-smoothing applies to"):
            TrainConfig(snapshot_dir="s", out_dir="o", loss_type=loss_type, label_smoothing=0.1)
    with pytest.raises(ValueError, match="--loss kto needs --batch-size >= 2"):
        TrainConfig(snapshot_dir="s", out_dir="o", loss_type="kto", batch_size=1)
    with pytest.raises(ValueError, match="--sft-weight does not apply to --loss orpo"):
        TrainConfig(snapshot_dir="s", out_dir="o", loss_type="orpo", sft_weight=0.5)
    with pytest.raises(ValueError, match="--desirable-weight"):
        TrainConfig(snapshot_dir="s", out_dir="o", loss_type="kto", desirable_weight=0.0)
    for field, value in (("weight_decay", -0.1), ("max_grad_norm", -1.0), ("lora_alpha", 0), ("lora_dropout", 1.0)):
        flag = "--" + field.replace("_", "-")
        with pytest.raises(ValueError, match=flag):  # before any model loads, not as a torch error after
            TrainConfig(snapshot_dir="s", out_dir="o", **{field: value})


# ---------------------------------------------------------------- against TRL 1.16


def _run_trl_compute_loss(trainer_class, lm, inputs, **attributes):
    """Run TRL's own `trainer_class._compute_loss` on a real model and batch; `self` carries just
    the attributes that method reads (`attributes` are the trainer's own, e.g. beta). Returns
    (loss, the metrics it logged)."""
    from accelerate import Accelerator
    from trl.trainer.utils import add_fused_lm_head

    add_fused_lm_head(lm, outputs=("log_probs", "entropy", "mean_logits", "is_top1"))
    trainer = SimpleNamespace(
        model=lm,
        accelerator=Accelerator(cpu=True),
        aux_loss_enabled=False,
        precompute_ref_logps=True,
        _metrics={"train": defaultdict(list), "eval": defaultdict(list)},
        _total_train_tokens=0,
        _tp_size=1,
        args=SimpleNamespace(),
        **attributes,
    )
    if hasattr(trainer_class, "_compute_kl_logps"):  # KTO's loss calls it on self
        trainer._compute_kl_logps = MethodType(trainer_class._compute_kl_logps, trainer)
    with torch.no_grad():
        loss = trainer_class._compute_loss(trainer, lm, inputs, return_outputs=False)
    mode = "train" if lm.training else "eval"
    return loss.item(), {k: v[-1] for k, v in trainer._metrics[mode].items()}


def _trl_dpo_loss(lm, sequences, ref_c, ref_r, loss_types, loss_weights, beta, label_smoothing):
    """TRL's DPOTrainer._compute_loss with precomputed reference log-probs."""
    from trl import DPOTrainer

    inputs = {
        "input_ids": sequences["input_ids"],
        "attention_mask": sequences["attention_mask"],
        "completion_mask": sequences["loss_mask"],
        "ref_chosen_logps": ref_c,
        "ref_rejected_logps": ref_r,
    }
    return _run_trl_compute_loss(
        DPOTrainer,
        lm,
        inputs,
        ld_alpha=None,
        f_divergence_type="reverse_kl",
        loss_types=loss_types,
        loss_weights=loss_weights,
        beta=beta,
        label_smoothing=label_smoothing,
        use_weighting=False,
    )


@pytest.mark.parametrize(
    "loss_type,sft_weight,label_smoothing",
    [
        ("sigmoid", 0.0, 0.0),
        ("robust", 0.0, 0.2),
        ("ipo", 0.0, 0.0),
        ("hinge", 0.0, 0.0),
        ("sigmoid", 0.5, 0.0),  # the last one is RPO: sigmoid + 0.5 * sft
        ("apo_zero", 0.0, 0.0),
        ("apo_down", 0.0, 0.0),
        ("nca_pair", 0.0, 0.0),
        ("bco_pair", 0.0, 0.0),
        ("sppo_hard", 0.0, 0.0),
    ],
)
def test_matches_trl_dpo_trainer(tiny_dir, tokenizer, loss_type, sft_weight, label_smoothing):
    from transformers import AutoModelForCausalLM

    from tests.training.snapshots import pair_rows
    from training.data import collate, collate_sequences, encode_pairs, model_inputs
    from training.logps import SequenceLogProbs
    from training.trainer import preference_loss

    pairs = encode_pairs(pair_rows(3), tokenizer, max_length=48)
    batch = collate(pairs, tokenizer.pad_token_id)
    sequences = collate_sequences(pairs, tokenizer.pad_token_id)  # TRL's layout
    ref_c, ref_r = torch.tensor([-300.0, -280.0, -150.0]), torch.tensor([-90.0, -60.0, -85.0])
    beta = 0.05
    cfg = TrainConfig(
        snapshot_dir="s",
        out_dir="o",
        loss_type=loss_type,
        beta=beta,
        sft_weight=sft_weight,
        label_smoothing=label_smoothing,
    )
    lm = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32)
    with torch.no_grad():
        logps = SequenceLogProbs(lm)(*model_inputs(batch))
        ours, metrics, _ = preference_loss(
            cfg, logps, batch["completion_lengths"].float(), torch.stack([ref_c, ref_r], 1)
        )

    types, weights = ([loss_type, "sft"], [1.0, sft_weight]) if sft_weight else ([loss_type], [1.0])
    theirs, trl_metrics = _trl_dpo_loss(lm, sequences, ref_c, ref_r, types, weights, beta, label_smoothing)
    assert ours.item() == pytest.approx(theirs, rel=1e-5)
    for name in (
        "rewards/chosen",
        "rewards/rejected",
        "rewards/margins",
        "rewards/accuracies",
        "logps/chosen",
        "logps/rejected",
    ):
        assert metrics[name] == pytest.approx(trl_metrics[name], rel=1e-5, abs=1e-6), name


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_simpo_matches_trl_cpo(label_smoothing):
    """TRL has SimPO as CPOTrainer(loss_type="simpo"), fed average (per-token) log-probs."""
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from trl.experimental.cpo import CPOTrainer

    pc, pr = torch.tensor([-40.0, -12.5, -80.0]), torch.tensor([-30.0, -20.0, -10.0])
    lc, lr = torch.tensor([20.0, 5.0, 16.0]), torch.tensor([10.0, 8.0, 4.0])
    cpo = SimpleNamespace(
        alpha=0.0,
        beta=2.0,
        label_smoothing=label_smoothing,
        loss_type="simpo",
        simpo_gamma=0.7,
        accelerator=SimpleNamespace(device="cpu"),
    )
    theirs, their_c, their_r = CPOTrainer.cpo_loss(cpo, pc / lc, pr / lr)
    ours, our_c, our_r = simpo_loss(pc, pr, None, None, lc, lr, beta=2.0, gamma=0.7, label_smoothing=label_smoothing)
    assert torch.allclose(ours, theirs) and torch.allclose(our_c, their_c) and torch.allclose(our_r, their_r)


def test_cdpo_matches_trl_cpo_sigmoid():
    """TRL 1.16's DPO "sigmoid" ignores label_smoothing; its CPO "sigmoid" keeps the conservative
    (cDPO) form. CPO has no reference, so it is fed the log-ratios (policy - reference) directly."""
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from trl.experimental.cpo import CPOTrainer

    pc, pr = torch.tensor([-40.0, -12.5, -80.0]), torch.tensor([-30.0, -20.0, -10.0])
    rc, rr = torch.tensor([-42.0, -12.0, -75.0]), torch.tensor([-29.0, -21.0, -12.0])
    cpo = SimpleNamespace(
        alpha=0.0, beta=0.3, label_smoothing=0.2, loss_type="sigmoid", accelerator=SimpleNamespace(device="cpu")
    )
    theirs, their_c, their_r = CPOTrainer.cpo_loss(cpo, pc - rc, pr - rr)
    ours, our_c, our_r = sigmoid_loss(pc, pr, rc, rr, beta=0.3, label_smoothing=0.2)
    assert torch.allclose(ours, theirs) and torch.allclose(our_c, their_c) and torch.allclose(our_r, their_r)


def test_orpo_matches_trl_odds_ratio_loss():
    """TRL's ORPOTrainer.odds_ratio_loss takes length-averaged log-probs and returns beta * log
    sigmoid(log odds ratio); the loss TRL minimises is its NLL minus the mean of that. Ours adds
    the chosen reply's per-token NLL per pair, so ours - NLL = -theirs. Log-probs near 0 (a
    likely reply) take the other branch of log(1 - e^a)."""
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from trl.experimental.orpo import ORPOTrainer

    pc, pr = torch.tensor([-40.0, -0.5, -80.0, -3.0]), torch.tensor([-30.0, -20.0, -0.2, -3.0])
    lc, lr = torch.tensor([20.0, 5.0, 16.0, 3.0]), torch.tensor([10.0, 8.0, 4.0, 6.0])
    orpo = SimpleNamespace(beta=0.3, accelerator=SimpleNamespace(device="cpu"))
    theirs, their_c, their_r, _, _ = ORPOTrainer.odds_ratio_loss(orpo, pc / lc, pr / lr)
    ours, our_c, our_r = orpo_loss(pc, pr, None, None, lc, lr, beta=0.3)
    assert torch.allclose(ours - (-pc / lc), -theirs)
    assert torch.allclose(our_c, their_c) and torch.allclose(our_r, their_r)


def _trl_kto_loss(lm, sequences, kl_sequences, labels, ref_logps, ref_kl_logps, beta, weights):
    """TRL's KTOTrainer._compute_loss on a batch of singles and their KL rows, with precomputed
    reference log-probs."""
    from trl import KTOTrainer

    inputs = {
        "input_ids": sequences["input_ids"],
        "attention_mask": sequences["attention_mask"],
        "completion_mask": sequences["loss_mask"],
        "KL_input_ids": kl_sequences["input_ids"],
        "KL_attention_mask": kl_sequences["attention_mask"],
        "KL_completion_mask": kl_sequences["loss_mask"],
        "label": labels,
        "ref_logps": ref_logps,
        "ref_KL_logps": ref_kl_logps,
    }
    return _run_trl_compute_loss(
        KTOTrainer,
        lm,
        inputs,
        calculate_KL=True,
        loss_type="kto",
        beta=beta,
        desirable_weight=weights[0],
        undesirable_weight=weights[1],
    )


@pytest.mark.parametrize("weights", [(1.0, 1.0), (1.33, 0.7)])
def test_kto_matches_trl_kto_trainer(tiny_dir, tokenizer, weights):
    """Three pairs split into six singles (chosen desirable, rejected undesirable); the KL rows are
    each pair's prompt with the previous pair's completions (training.kto.mismatched). The
    reference log-probs are chosen so that z0 is positive (it is clamped at 0 otherwise, and then
    tests nothing). Both the pure loss and the trainer's batch loss are compared."""
    from transformers import AutoModelForCausalLM

    from tests.training.snapshots import pair_rows
    from training.data import collate, collate_sequences, encode_pairs, model_inputs
    from training.kto import mismatched
    from training.logps import SequenceLogProbs
    from training.trainer import preference_loss

    pairs = encode_pairs(pair_rows(3), tokenizer, max_length=48)
    kl_pairs = mismatched(pairs, max_length=48)
    for row, own, donor in zip(kl_pairs, pairs, pairs[-1:] + pairs[:-1]):  # fitted into max_length again
        assert row.prompt == own.prompt[len(own.prompt) - len(row.prompt) :]
        assert (row.chosen, row.rejected) == (donor.chosen[: len(row.chosen)], donor.rejected[: len(row.rejected)])
        assert len(row.prompt) + max(len(row.chosen), len(row.rejected)) <= 48
    lm = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32)
    with torch.no_grad():
        score = SequenceLogProbs(lm)
        logps = score(*model_inputs(collate(pairs, tokenizer.pad_token_id)))
        kl_logps = score(*model_inputs(collate(kl_pairs, tokenizer.pad_token_id)))
    ref = logps + torch.tensor([3.0, -2.0, 1.0, -4.0, 0.5, 2.0])
    ref_kl = kl_logps - torch.tensor([1.0, 2.0, -0.5, 3.0, 0.0, 1.5])
    desirable = torch.tensor([True] * 3 + [False] * 3)
    losses, rewards, z0 = kto_loss(
        logps, ref, desirable, kl_logps, ref_kl, beta=0.1, desirable_weight=weights[0], undesirable_weight=weights[1]
    )
    assert z0.item() > 0

    sequences = collate_sequences(pairs, tokenizer.pad_token_id)  # TRL's layout, chosen then rejected
    kl_sequences = collate_sequences(kl_pairs, tokenizer.pad_token_id)
    theirs, metrics = _trl_kto_loss(lm, sequences, kl_sequences, desirable, ref, ref_kl, 0.1, weights)
    assert losses.mean().item() == pytest.approx(theirs, rel=1e-5)
    assert z0.item() == pytest.approx(metrics["kl"], rel=1e-5)
    assert rewards[:3].mean().item() == pytest.approx(metrics["rewards/chosen"], rel=1e-5)
    assert rewards[3:].mean().item() == pytest.approx(metrics["rewards/rejected"], rel=1e-5)
    assert logps[:3].mean().item() == pytest.approx(metrics["logps/chosen"], rel=1e-5)

    cfg = TrainConfig(
        snapshot_dir="s",
        out_dir="o",
        loss_type="kto",
        beta=0.1,
        desirable_weight=weights[0],
        undesirable_weight=weights[1],
    )
    lengths = torch.ones(6)  # every completion slot holds a completion
    batch_loss, batch_metrics, _ = preference_loss(
        cfg, logps, lengths, torch.stack(ref.chunk(2), 1), kl=(kl_logps, ref_kl, torch.ones(6, dtype=torch.bool))
    )
    assert batch_loss.item() == pytest.approx(theirs, rel=1e-5)
    for name in ("kl", "rewards/chosen", "rewards/rejected", "rewards/margins", "logps/chosen", "logps/rejected"):
        assert batch_metrics[name] == pytest.approx(metrics[name], rel=1e-5, abs=1e-6), name
