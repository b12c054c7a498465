"""model_eval materialized for real on a tiny trained model: report, plots, checks, metadata."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from assets.eval.assets import model_eval
from assets.warehouse.connect import connect
from tests.resources import warehouse_resources
from tests.training.snapshots import train_tiny
from training.evaluation.run import EVAL_DIR, REPORT

FAST_EVAL = {
    "panel_size": 2,
    "max_new_tokens": 4,
    "batch_size": 4,
    "bootstrap_resamples": 100,
    "max_ood_tokens": 16,
    "device": "cpu",
}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return train_tiny(tmp_path_factory.mktemp("model_eval"), 4, 3)


def test_model_eval_writes_its_report_and_plots_and_runs_the_gate(model_dir, tmp_path):
    run_config = {"ops": {"model_eval": {"config": {"model_dir": str(model_dir), "evaluation": FAST_EVAL}}}}
    result = dg.materialize(
        [model_eval], run_config=run_config, resources=warehouse_resources(tmp_path), raise_on_error=False
    )
    folder = model_dir / EVAL_DIR
    assert (folder / REPORT).exists()
    assert all(
        (folder / name).stat().st_size > 0 for name in ("accuracy_by_ratio.png", "margins.png", "reply_lengths.png")
    )
    metadata = result.asset_materializations_for_node("model_eval")[0].metadata
    assert "reward accuracy" in metadata["summary"].value and "| prompt" in metadata["generations"].value
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert set(checks) == {"accuracy_above_chance", "kl_within_bound", "no_forgetting", "reply_length_stable"}
    # Three eval pairs cannot put the accuracy's interval above chance: the gate fails the run,
    # after the evaluation was recorded.
    assert checks["accuracy_above_chance"] is False
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    assert "accuracy_above_chance" in str(failure.step_failure_data.error)
    with connect(tmp_path / "upvote.duckdb", read_only=True) as con:
        (row,) = con.execute(
            "SELECT baseline, eval_pairs, gate_passed, reward_accuracy, gate FROM model_evals"
        ).fetchall()
    assert row[1] == 3 and row[2] is False and 0.0 <= row[3] <= 1.0
    assert {check["name"]: check["passed"] for check in json.loads(row[4])} == checks


def test_without_a_trained_model_it_says_what_to_materialize(tmp_path):
    result = dg.materialize([model_eval], resources=warehouse_resources(tmp_path), raise_on_error=False)
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    assert "materialize dpo_model first" in str(failure.step_failure_data.error)


def test_the_same_model_and_settings_are_not_evaluated_twice(model_dir, tmp_path):
    def materialize(**evaluation):
        run_config = {"ops": {"model_eval": {"config": {"model_dir": str(model_dir), "evaluation": evaluation}}}}
        dg.materialize(
            [model_eval], run_config=run_config, resources=warehouse_resources(tmp_path), raise_on_error=False
        )
        return (model_dir / EVAL_DIR / REPORT).stat().st_mtime_ns

    first = materialize(**FAST_EVAL)
    assert materialize(**FAST_EVAL) == first
    assert materialize(**{**FAST_EVAL, "seed": 1}) != first
    with connect(tmp_path / "upvote.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM model_evals").fetchall() == [(1,)]  # one row per model and baseline
