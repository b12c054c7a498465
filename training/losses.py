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

`kto_loss` is the one loss on single examples (a completion and a desirable/undesirable label)
rather than pairs, so it has its own arguments and sits in `UNPAIRED_LOSSES`; the trainer feeds
it pairs split into singles (chosen = desirable, rejected = undesirable).
"""

from __future__ import annotations

import math
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


def orpo_loss(
    pc, pr, rc=None, rr=None, chosen_lengths=None, rejected_lengths=None, *, beta, label_smoothing=0.0, gamma=0.0
):
    """ORPO (Hong et al. 2024, "ORPO: Monolithic Preference Optimization without Reference Model",
    Eq. 6-7), beta playing the role of lambda. Reference-free; the reference arguments are ignored.
    With P(y|x) = exp(log pi(y|x) / |y|), the length-averaged likelihood, and odds(y) = P / (1 - P):

        L = -log pi(yw|x) / |yw|  -  beta * log sigmoid(log odds(yw) - log odds(yl))

    The first term is the NLL of the chosen reply's tokens, per token. TRL 1.16 computes the odds
    term alike but its NLL as one token mean over the batch's chosen prompts and replies; ours
    scores the reply only (as the paper's L_SFT) and per pair, so every pair weighs the same.
    The implicit rewards returned are beta * log P(yw|x), beta * log P(yl|x), as TRL logs them.
    """
    chosen_avg = pc / chosen_lengths.clamp(min=1)
    rejected_avg = pr / rejected_lengths.clamp(min=1)
    log_odds = (chosen_avg - rejected_avg) - (_log1mexp(chosen_avg) - _log1mexp(rejected_avg))
    losses = -chosen_avg - beta * F.logsigmoid(log_odds)
    return losses, beta * chosen_avg.detach(), beta * rejected_avg.detach()


def _log1mexp(x: Tensor) -> Tensor:
    """log(1 - e^x) for x < 0, stable on both sides of -ln 2 (Maechler 2012, "Accurately Computing log(1 - exp(-|a|))")."""
    return torch.where(x < -math.log(2), torch.log1p(-torch.exp(x)), torch.log(-torch.expm1(x)))


def kto_loss(
    policy_logps: Tensor,
    ref_logps: Tensor,
    desirable: Tensor,
    policy_kl_logps: Tensor,
    ref_kl_logps: Tensor,
    *,
    beta: float,
    desirable_weight: float = 1.0,
    undesirable_weight: float = 1.0,
) -> tuple[Tensor, Tensor, Tensor]:
    """KTO (Ethayarajh et al. 2024, "KTO: Model Alignment as Prospect Theoretic Optimization", Eq. 8)
    on N single examples, each a completion labelled desirable or undesirable:

        r    = log pi(y|x) - log ref(y|x)
        z0   = max(0, mean_j [log pi(y'_j|x_j) - log ref(y'_j|x_j)])    (detached)
        L(y) = w_D * (1 - sigmoid(beta * (r - z0)))    if y is desirable
               w_U * (1 - sigmoid(beta * (z0 - r)))    if y is undesirable

    z0, the reference point, estimates KL(pi || ref) from M mismatched prompt/completion pairs
    (x_j, y'_j) taken from the same batch; it is detached and clamped at 0, as in TRL 1.16.
    w_D and w_U (`desirable_weight`, `undesirable_weight`) rebalance unequal numbers of the two.

    Shapes: policy_logps, ref_logps, desirable (bool) (N,); policy_kl_logps, ref_kl_logps (M,).
    Returns (losses (N,), rewards beta * r (N,) detached, z0 (a 0-d tensor)).
    """
    z0 = (policy_kl_logps - ref_kl_logps).mean().detach().clamp(min=0)
    logratios = policy_logps - ref_logps
    desirable_losses = desirable_weight * (1 - torch.sigmoid(beta * (logratios - z0)))
    undesirable_losses = undesirable_weight * (1 - torch.sigmoid(beta * (z0 - logratios)))
    losses = torch.where(desirable, desirable_losses, undesirable_losses)
    return losses, beta * logratios.detach(), z0


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
    "orpo": orpo_loss,
}
# Losses on single examples, not pairs: their own arguments (see kto_loss).
UNPAIRED_LOSSES: dict[str, Callable[..., tuple[Tensor, Tensor, Tensor]]] = {"kto": kto_loss}
LOSS_TYPES = (*LOSSES, *UNPAIRED_LOSSES)

# Losses that never look at a reference model: no reference log-probs are computed for them.
REFERENCE_FREE = {"simpo", "orpo"}
# Losses that read `label_smoothing`; the others have no label-noise term, so a rate set for
# them is refused rather than ignored.
LABEL_SMOOTHED = {"sigmoid", "robust", "simpo"}
