"""The gate a trained model passes before anyone uses it: thresholds on its evaluation report.

Each check is blocking: a model whose checks all pass is the current one (`upvote-dpo models`).
DPO's known failure modes are what the checks look for: a preference gain that may be noise,
a policy far from its reference, forgetting of other text, and replies that grow long.
"""

from __future__ import annotations

from dataclasses import dataclass

from training.bounds import Range, check_ranges
from training.flags import option


@dataclass(frozen=True)
class EvalGate:
    """Thresholds of the blocking checks on `model_eval`."""

    min_accuracy_low: float = option(
        0.5, "The implicit-reward accuracy's 95% interval must lie above this (chance).", range=Range(0, 1)
    )
    max_kl_per_token: float = option(
        1.0, "Largest per-token KL(trained || base), nats, on the replies it samples.", range=Range(0)
    )
    # any finite number: a negative bound demands that the other text got likelier, strict but meaningful
    max_ood_nll_increase: float = option(
        0.25, "Largest rise of per-token NLL on out-of-domain text, nats.", range=Range()
    )
    max_length_growth: float = option(
        1.5,
        "Largest ratio of the trained model's mean sampled reply length to the base's.",
        range=Range(0, low_open=True),
    )

    def __post_init__(self):
        check_ranges(self)


@dataclass(frozen=True)
class GateCheck:
    name: str
    passed: bool
    description: str
    value: float | None
    threshold: float


def gate_checks(report: dict, gate: EvalGate) -> list[GateCheck]:
    """The gate's four checks on an `evaluate_model` report. A figure the report lacks (no eval
    pairs, no sampled replies from the base) fails its check: nothing shows the model is safe."""
    preference = report.get("preference") or {}
    accuracy_low = preference.get("reward_accuracy", {}).get("low")
    kl = report["replies"]["kl_sampled"]["estimate"]
    ood = report["out_of_domain"]["nll_increase"]
    growth = report["replies"]["length_growth"]
    return [
        GateCheck(
            "accuracy_above_chance",
            accuracy_low is not None and accuracy_low > gate.min_accuracy_low,
            "the implicit-reward accuracy's interval lies above chance",
            accuracy_low,
            gate.min_accuracy_low,
        ),
        GateCheck(
            "kl_within_bound",
            kl <= gate.max_kl_per_token,
            "per-token KL(trained || base) on sampled replies within the bound",
            kl,
            gate.max_kl_per_token,
        ),
        GateCheck(
            "no_forgetting",
            ood <= gate.max_ood_nll_increase,
            "per-token NLL on out-of-domain text rose no more than the bound",
            ood,
            gate.max_ood_nll_increase,
        ),
        GateCheck(
            "reply_length_stable",
            growth is not None and growth <= gate.max_length_growth,
            "sampled replies grew no more than the bound",
            growth,
            gate.max_length_growth,
        ),
    ]
