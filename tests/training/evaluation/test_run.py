"""evaluate_model end to end on a tiny model trained for a few steps: the report's figures
agree with each other and with plain computations, and a second run gives the same numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.training.snapshots import train_tiny
from training.evaluation.run import EVAL_DIR, GENERATIONS, REPORT, EvalConfig, evaluate_model

SMALL = EvalConfig(
    panel_size=3, max_new_tokens=6, batch_size=4, bootstrap_resamples=200, max_ood_tokens=32, device="cpu"
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return train_tiny(tmp_path_factory.mktemp("eval"), 6, 4, learning_rate=5e-3, max_steps=4)


@pytest.fixture(scope="module")
def report(model_dir):
    return evaluate_model(model_dir, config=SMALL)


def test_report_is_written_and_consistent(model_dir, report):
    assert json.loads((model_dir / EVAL_DIR / REPORT).read_text())["preference"] == report["preference"]
    preference = report["preference"]
    margins = np.array(preference["margins"])
    assert report["eval_pairs"] == len(margins) == 4
    assert preference["reward_accuracy"]["estimate"] == pytest.approx((margins > 0).mean())
    assert preference["reward_margin"]["estimate"] == pytest.approx(margins.mean())
    for interval in (preference["reward_accuracy"], preference["reward_margin"], report["out_of_domain"]["kl"]):
        assert interval["low"] <= interval["estimate"] <= interval["high"]
    assert sum(b["pairs"] for b in preference["by_score_ratio"]) == 4
    assert sum(c["pairs"] for c in preference["by_community"]) == 4
    ood = report["out_of_domain"]
    assert ood["nll_increase"] == pytest.approx(ood["nll"]["trained"]["estimate"] - ood["nll"]["base"]["estimate"])
    assert ood["kl"]["estimate"] > 0  # the model trained, so it moved from its base


def test_generations_are_written_side_by_side(model_dir, report):
    lines = [json.loads(line) for line in (model_dir / EVAL_DIR / GENERATIONS).read_text().splitlines()]
    assert [line["mode"] for line in lines] == ["greedy"] * 3 + ["sampled"] * 3
    assert all({"prompt", "base", "trained"} <= set(line) for line in lines)
    stats = report["replies"]["stats"]["greedy"]["trained"]
    assert stats["replies"] == 3 and 0 <= stats["mean_tokens"] <= SMALL.max_new_tokens


def test_the_same_model_and_settings_give_the_same_numbers(model_dir, report):
    again = evaluate_model(model_dir, config=SMALL)
    timing = ("seconds", "timings_s")
    assert {k: v for k, v in again.items() if k not in timing} == {k: v for k, v in report.items() if k not in timing}


def test_a_model_against_itself_has_no_drift(model_dir):
    itself = evaluate_model(model_dir, base_dir=model_dir, config=SMALL)
    assert itself["out_of_domain"]["kl"]["estimate"] == pytest.approx(0.0, abs=1e-6)
    assert itself["out_of_domain"]["nll_increase"] == pytest.approx(0.0, abs=1e-6)
    assert itself["preference"]["reward_margin"] == {"estimate": 0.0, "low": 0.0, "high": 0.0}
