"""The model list and comparison on a real warehouse with three recorded runs."""

from __future__ import annotations

import json

import pytest

from assets.eval.gate import GateCheck
from assets.eval.queries import UnknownModel, compare, models
from assets.eval.record import record_eval


def add_run(con, run_id: str, finished: str, loss: str) -> None:
    con.execute(
        "INSERT INTO training_runs (run_id, snapshot_id, base_model, hyperparameters, model_path, finished_at, status)"
        " VALUES (?, 's1', 'tiny', ?, ?, ?, 'completed')",
        [run_id, json.dumps({"loss_type": loss}), f"/models/{run_id}", finished],
    )


def report(run_id: str, accuracy: float) -> dict:
    interval = {"estimate": accuracy, "low": accuracy - 0.1, "high": accuracy + 0.1}
    return {
        "run_id": run_id,
        "base_dir": "/base",
        "model_dir": f"/models/{run_id}",
        "eval_pairs": 10,
        "preference": {
            "reward_accuracy": interval,
            "reward_margin": interval,
            "logp_accuracy": {"base": interval, "trained": interval},
        },
        "replies": {"kl_sampled": {"estimate": 0.1}, "length_growth": 1.1},
        "out_of_domain": {"nll_increase": 0.01},
    }


@pytest.fixture
def runs(con):
    add_run(con, "aaa111", "2026-12-01 10:00:00", "sigmoid")
    add_run(con, "bbb222", "2026-12-02 10:00:00", "ipo")
    add_run(con, "ccc333", "2026-12-03 10:00:00", "simpo")
    record_eval(con, report("aaa111", 0.7), [GateCheck("accuracy_above_chance", True, "", 0.6, 0.5)], {})
    record_eval(con, report("bbb222", 0.4), [GateCheck("accuracy_above_chance", False, "", 0.3, 0.5)], {})
    return con


def test_models_lists_every_run_and_marks_the_newest_that_passed_the_gate(runs):
    frame = models(runs)
    assert frame["run_id"].to_list() == ["aaa111", "bbb222", "ccc333"]
    assert frame["loss_type"].to_list() == ["sigmoid", "ipo", "simpo"]
    assert frame["gate_passed"].to_list() == [True, False, None]
    assert frame["current"].to_list() == [True, False, False]
    assert frame["reward_accuracy"].to_list()[:2] == pytest.approx([0.7, 0.4])


def test_a_new_passing_evaluation_moves_current(runs):
    record_eval(runs, report("ccc333", 0.8), [GateCheck("accuracy_above_chance", True, "", 0.7, 0.5)], {})
    assert models(runs)["current"].to_list() == [False, False, True]


def test_compare_takes_run_ids_prefixes_and_folders_in_order(runs):
    frame = compare(runs, ["ccc", "/models/aaa111", "bbb222"])
    assert frame["run_id"].to_list() == ["ccc333", "aaa111", "bbb222"]
    with pytest.raises(UnknownModel, match="'zzz' matches no recorded model"):
        compare(runs, ["zzz"])
