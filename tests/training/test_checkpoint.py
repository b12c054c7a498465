"""training.checkpoint.check_same_run: a resume continues only a run of the same identity."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import pytest

from training.checkpoint import check_same_run
from training.config import TrainConfig
from training.identity import RunIdentity

CFG = TrainConfig(snapshot_dir="s", out_dir="o", precision="fp32", max_steps=8)
CHECKPOINT = Path("o/checkpoints/step-00000004")


def run_state(cfg: TrainConfig, snapshot_id: str = "snap", weights: str = "ab" * 32) -> dict:
    """What `train` keeps in a checkpoint to tell its run apart."""
    return {"snapshot_id": snapshot_id, "hyperparameters": cfg.hyperparameters(), "base_weights_sha256": weights}


@pytest.mark.parametrize(
    "option",
    [
        dict(log_every=3),
        dict(checkpoint_every=2),
        dict(eval_batch_size=2),
        dict(out_dir="elsewhere"),
        dict(device="cpu"),
        dict(gradient_checkpointing=False),
    ],
)
def test_a_resume_accepts_a_changed_run_option(option):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_same_run(run_state(CFG), CHECKPOINT, RunIdentity.of(dataclasses.replace(CFG, **option), "snap"))


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(beta=0.5), "beta 0.1 -> 0.5"),
        (dict(max_steps=9), "max_steps 8 -> 9"),
        (dict(precision="bf16"), "precision 'fp32' -> 'bf16'"),
        (dict(seed=1), "seed 0 -> 1"),
    ],
)
def test_a_resume_refuses_a_changed_hyperparameter(change, message):
    with pytest.raises(ValueError, match=rf"cannot resume from .*step-00000004.* \({message}\)"):
        check_same_run(run_state(CFG), CHECKPOINT, RunIdentity.of(dataclasses.replace(CFG, **change), "snap"))


def test_a_resume_refuses_another_snapshot_or_local_base_weights():
    with pytest.raises(ValueError, match=r"snapshot_id 'snap' -> 'other'"):
        check_same_run(run_state(CFG), CHECKPOINT, RunIdentity.of(CFG, "other"))
    local = dataclasses.replace(CFG, model="/models/mine")
    ours = RunIdentity("snap", local.hyperparameters(), "cd" * 32)
    check_same_run(run_state(local, weights="cd" * 32), CHECKPOINT, ours)
    with pytest.raises(ValueError, match=r"base model weights abababababab -> cdcdcdcdcdcd"):
        check_same_run(run_state(local), CHECKPOINT, ours)
    # a checkpoint that did not record the base weights is compared on the rest
    check_same_run({k: v for k, v in run_state(local).items() if k != "base_weights_sha256"}, CHECKPOINT, ours)
