"""The gate's checks on hand-made reports: each threshold passes at the bound and fails past it."""

from __future__ import annotations

from assets.eval.gate import EvalGate, gate_checks


def report(low=0.6, kl=0.2, ood=0.1, growth=1.2, with_pairs=True):
    interval = {"estimate": 0.7, "low": low, "high": 0.8}
    return {
        "preference": {"reward_accuracy": interval} if with_pairs else None,
        "replies": {"kl_sampled": {"estimate": kl, "low": 0.0, "high": kl}, "length_growth": growth},
        "out_of_domain": {"nll_increase": ood},
    }


def verdicts(r, gate: EvalGate | None = None):
    return {c.name: c.passed for c in gate_checks(r, gate or EvalGate())}


def test_a_sound_model_passes_every_check():
    assert all(verdicts(report()).values())


def test_each_threshold_fails_its_own_check_only():
    gate = EvalGate()
    assert verdicts(report(low=0.5)) == {**verdicts(report()), "accuracy_above_chance": False}
    assert verdicts(report(kl=gate.max_kl_per_token)) == verdicts(report())  # at the bound: passes
    assert verdicts(report(kl=gate.max_kl_per_token + 0.01))["kl_within_bound"] is False
    assert verdicts(report(ood=0.3))["no_forgetting"] is False
    assert verdicts(report(growth=2.0))["reply_length_stable"] is False


def test_missing_figures_fail_rather_than_pass():
    missing = verdicts(report(growth=None, with_pairs=False))
    assert missing["accuracy_above_chance"] is False and missing["reply_length_stable"] is False


def test_thresholds_come_from_the_config():
    assert verdicts(report(low=0.3), EvalGate(min_accuracy_low=0.25))["accuracy_above_chance"] is True
