"""Preference losses as pure functions of sequence log-probabilities.

Every loss takes the same arguments, all tensors of shape (B,) for B pairs:

    policy_chosen_logps, policy_rejected_logps  log pi_theta(y|x), summed over completion tokens
    ref_chosen_logps, ref_rejected_logps        log pi_ref(y|x) (None for reference-free losses)
    chosen_lengths, rejected_lengths            completion token counts (for length-normalised losses)

and keyword hyper-parameters `beta`, `label_smoothing`, `gamma`; it returns
`(losses, chosen_rewards, rejected_rewards)`, each (B,): the per-pair loss (the trainer
takes the mean) and the implicit rewards, detached, for logging. Pick one by name from
`LOSSES`. The formulas follow TRL 1.16 (tests compare against it), which for IPO means
per-token averaged log-ratios. One deliberate difference: TRL 1.16's DPO "sigmoid" ignores
label_smoothing; ours applies it (cDPO, as in the original DPO code and TRL's CPO "sigmoid").

`sft_loss` is the NLL term mixed in with weight `sft_weight` (RPO).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def _logratio_margin(pc, pr, rc, rr) -> Tensor:
    """h = (log pi(yw) - log ref(yw)) - (log pi(yl) - log ref(yl)), shape (B,)."""
    return (pc - rc) - (pr - rr)


def _rewards(pc, pr, rc, rr, beta) -> tuple[Tensor, Tensor]:
    return beta * (pc - rc).detach(), beta * (pr - rr).detach()


def sigmoid_loss(pc, pr, rc, rr, chosen_lengths=None, rejected_lengths=None, *, beta, label_smoothing=0.0, gamma=0.0):
    """DPO (Rafailov et al. 2023, "Direct Preference Optimization", Eq. 7), conservative with label smoothing.

        L = -(1 - eps) * log sigmoid(beta * h) - eps * log sigmoid(-beta * h)

    with h the chosen-minus-rejected log-ratio margin; eps = `label_smoothing` gives cDPO
    (Mitchell 2023, "A note on DPO with noisy preferences"). At policy == reference, h = 0
    and L = ln 2.
    """
    z = beta * _logratio_margin(pc, pr, rc, rr)
    losses = -(1 - label_smoothing) * F.logsigmoid(z) - label_smoothing * F.logsigmoid(-z)
    return (losses, *_rewards(pc, pr, rc, rr, beta))


def robust_loss(pc, pr, rc, rr, chosen_lengths=None, rejected_lengths=None, *, beta, label_smoothing=0.0, gamma=0.0):
    """Robust DPO (Chowdhury et al. 2024, "Provably Robust DPO", Eq. 10): unbiased under label noise eps.

        L = [-(1 - eps) * log sigmoid(beta * h) + eps * log sigmoid(-beta * h)] / (1 - 2 eps)
    """
    z = beta * _logratio_margin(pc, pr, rc, rr)
    eps = label_smoothing
    losses = (-(1 - eps) * F.logsigmoid(z) + eps * F.logsigmoid(-z)) / (1 - 2 * eps)
    return (losses, *_rewards(pc, pr, rc, rr, beta))


def ipo_loss(pc, pr, rc, rr, chosen_lengths, rejected_lengths, *, beta, label_smoothing=0.0, gamma=0.0):
    """IPO (Azar et al. 2023, "A General Theoretical Paradigm to Understand Learning from Human
    Preferences", Eq. 17), beta playing the role of tau:

        L = (h_avg - 1 / (2 beta))^2,  h_avg = (log pi(yw) - log ref(yw)) / |yw| - (log pi(yl) - log ref(yl)) / |yl|

    The log-ratios are averaged per completion token, as in TRL (confirmed there with the IPO
    authors), so beta is comparable across completion lengths.
    """
    h = (pc - rc) / chosen_lengths.clamp(min=1) - (pr - rr) / rejected_lengths.clamp(min=1)
    losses = (h - 1 / (2 * beta)) ** 2
    return (losses, *_rewards(pc, pr, rc, rr, beta))


def hinge_loss(pc, pr, rc, rr, chosen_lengths=None, rejected_lengths=None, *, beta, label_smoothing=0.0, gamma=0.0):
    """SLiC hinge loss (Zhao et al. 2023, "SLiC-HF", Eq. 1 with the reference log-ratio as in TRL):

        L = max(0, 1 - beta * h)
    """
    losses = torch.relu(1 - beta * _logratio_margin(pc, pr, rc, rr))
    return (losses, *_rewards(pc, pr, rc, rr, beta))


def simpo_loss(pc, pr, rc=None, rr=None, chosen_lengths=None, rejected_lengths=None, *, beta, label_smoothing=0.0, gamma=0.5):
    """SimPO (Meng et al. 2024, "SimPO: Simple Preference Optimization with a Reference-Free Reward", Eq. 6).
    Reference-free and length-normalised; the reference arguments are ignored:

        r(y) = beta * log pi(y|x) / |y|
        L = -(1 - eps) * log sigmoid(r(yw) - r(yl) - gamma) - eps * log sigmoid(-(r(yw) - r(yl) - gamma))

    The implicit rewards returned are r(yw), r(yl).
    """
    chosen_rewards = beta * pc / chosen_lengths.clamp(min=1)
    rejected_rewards = beta * pr / rejected_lengths.clamp(min=1)
    z = chosen_rewards - rejected_rewards - gamma
    losses = -(1 - label_smoothing) * F.logsigmoid(z) - label_smoothing * F.logsigmoid(-z)
    return losses, chosen_rewards.detach(), rejected_rewards.detach()


def sft_loss(policy_chosen_logps: Tensor, chosen_lengths: Tensor) -> Tensor:
    """NLL of the chosen completions, averaged over all their tokens in the batch (a scalar).

        L_sft = -sum_i log pi(yw_i|x_i) / sum_i |yw_i|

    Added as `sft_weight * L_sft` it gives RPO (Pang et al. 2024, "Iterative Reasoning
    Preference Optimization", Eq. 3; TRL's loss_type=["sigmoid", "sft"]).
    """
    return -policy_chosen_logps.sum() / chosen_lengths.sum().clamp(min=1)


LossFn = Callable[..., tuple[Tensor, Tensor, Tensor]]

LOSSES: dict[str, LossFn] = {
    "sigmoid": sigmoid_loss,
    "robust": robust_loss,
    "ipo": ipo_loss,
    "hinge": hinge_loss,
    "simpo": simpo_loss,
}

# Losses that never look at a reference model: no reference log-probs are computed for them.
REFERENCE_FREE = {"simpo"}
