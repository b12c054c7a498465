"""Preference losses as pure functions of sequence log-probabilities.

Every loss takes the same arguments, all tensors of shape (B,) for B pairs:

    policy_chosen_logps, policy_rejected_logps  log pi_theta(y|x), summed over completion tokens
    ref_chosen_logps, ref_rejected_logps        log pi_ref(y|x) (None for reference-free losses)
    chosen_lengths, rejected_lengths            completion token counts (for length-normalised losses)

and keyword hyper-parameters `beta`, `label_smoothing` (a float, or (B,) per-pair rates),
`gamma`; it returns `(losses, chosen_rewards, rejected_rewards)`, each (B,): the per-pair loss
(the trainer takes the mean, or that of weight x loss: training/pair_weights.py) and the
implicit rewards, detached, for logging. Pick one by name from
`LOSSES`. The formulas follow TRL 1.16 (tests compare against it), which for IPO means
per-token averaged log-ratios. One deliberate difference: TRL 1.16's DPO "sigmoid" ignores
label_smoothing; ours applies it (cDPO, as in the original DPO code and TRL's CPO "sigmoid").

`sft_loss` is the NLL term mixed in with weight `sft_weight` (RPO).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def _logratios(pc, pr, rc, rr) -> tuple[Tensor, Tensor]:
    """The per-completion log-ratios r_w = log pi(yw) - log ref(yw) and r_l, each (B,)."""
    return pc - rc, pr - rr


def _logratio_margin(pc, pr, rc, rr) -> Tensor:
    """h = r_w - r_l, shape (B,)."""
    chosen, rejected = _logratios(pc, pr, rc, rr)
    return chosen - rejected


def _rewards(pc, pr, rc, rr, beta) -> tuple[Tensor, Tensor]:
    """DPO's implicit rewards beta * r_w and beta * r_l, detached (for logging)."""
    chosen, rejected = _logratios(pc, pr, rc, rr)
    return beta * chosen.detach(), beta * rejected.detach()


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


def simpo_loss(
    pc, pr, rc=None, rr=None, chosen_lengths=None, rejected_lengths=None, *, beta, label_smoothing=0.0, gamma=0.5
):
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


def apo_zero_loss(pc, pr, rc, rr, chosen_lengths=None, rejected_lengths=None, *, beta, label_smoothing=0.0, gamma=0.0):
    """APO-zero (D'Oosterlinck et al. 2024, "Anchored Preference Optimization and Contrastive
    Revisions", Eq. 7): raise the chosen likelihood and lower the rejected one, each anchored to
    the reference, for chosen answers better than the model's own:

        L = 1 - sigmoid(beta * r_w) + sigmoid(beta * r_l),  r = log pi(y) - log ref(y)
    """
    chosen, rejected = _logratios(pc, pr, rc, rr)
    losses = 1 - torch.sigmoid(beta * chosen) + torch.sigmoid(beta * rejected)
    return (losses, *_rewards(pc, pr, rc, rr, beta))


def apo_down_loss(pc, pr, rc, rr, chosen_lengths=None, rejected_lengths=None, *, beta, label_smoothing=0.0, gamma=0.0):
    """APO-down (the same paper, Eq. 8): lower both likelihoods, the rejected one more, for
    chosen answers worse than the model's own:

        L = sigmoid(beta * r_w) + 1 - sigmoid(beta * (r_w - r_l))
    """
    chosen, rejected = _logratios(pc, pr, rc, rr)
    losses = torch.sigmoid(beta * chosen) + 1 - torch.sigmoid(beta * (chosen - rejected))
    return (losses, *_rewards(pc, pr, rc, rr, beta))


def nca_pair_loss(pc, pr, rc, rr, chosen_lengths=None, rejected_lengths=None, *, beta, label_smoothing=0.0, gamma=0.0):
    """NCA (Chen et al. 2024, "Noise Contrastive Alignment of Language Models with Explicit
    Rewards", Eq. 12 for pairs): the absolute likelihood of the chosen answer rises, where DPO
    only widens the gap (and can lower both):

        L = -log sigmoid(beta * r_w) - 1/2 log sigmoid(-beta * r_w) - 1/2 log sigmoid(-beta * r_l)
    """
    chosen, rejected = _logratios(pc, pr, rc, rr)
    losses = -F.logsigmoid(beta * chosen) - 0.5 * F.logsigmoid(-beta * chosen) - 0.5 * F.logsigmoid(-beta * rejected)
    return (losses, *_rewards(pc, pr, rc, rr, beta))


def bco_pair_loss(pc, pr, rc, rr, chosen_lengths=None, rejected_lengths=None, *, beta, label_smoothing=0.0, gamma=0.0):
    """BCO on pairs (Jung et al. 2024, "Binary Classifier Optimization for Large Language Model
    Alignment", Eq. 5 without the running reward shift, as TRL's `bco_pair`): each answer is
    classified alone, chosen as good and rejected as bad:

        L = -log sigmoid(beta * r_w) - log sigmoid(-beta * r_l)
    """
    chosen, rejected = _logratios(pc, pr, rc, rr)
    losses = -F.logsigmoid(beta * chosen) - F.logsigmoid(-beta * rejected)
    return (losses, *_rewards(pc, pr, rc, rr, beta))


def sppo_hard_loss(pc, pr, rc, rr, chosen_lengths=None, rejected_lengths=None, *, beta, label_smoothing=0.0, gamma=0.0):
    """SPPO with hard win probabilities (Wu et al. 2024, "Self-Play Preference Optimization for
    Language Model Alignment", Eq. 4.7 with P(yw > yl) = 1): each log-ratio regresses to its own
    target, +1/(2 beta) for the chosen and -1/(2 beta) for the rejected:

        L = (r_w - 1 / (2 beta))^2 + (r_l + 1 / (2 beta))^2
    """
    chosen, rejected = _logratios(pc, pr, rc, rr)
    losses = (chosen - 0.5 / beta) ** 2 + (rejected + 0.5 / beta) ** 2
    return (losses, *_rewards(pc, pr, rc, rr, beta))


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
    "apo_zero": apo_zero_loss,
    "apo_down": apo_down_loss,
    "nca_pair": nca_pair_loss,
    "bco_pair": bco_pair_loss,
    "sppo_hard": sppo_hard_loss,
}

# Losses that never look at a reference model: no reference log-probs are computed for them.
REFERENCE_FREE = {"simpo"}
# Losses that read `label_smoothing`; the others have no label-noise term, so a rate set for
# them is refused rather than ignored.
LABEL_SMOOTHED = {"sigmoid", "robust", "simpo"}
