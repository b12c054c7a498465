"""training.config: the two parts of a run's configuration, and the flags made from them."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from training.config import Hyperparameters, RunOptions, TrainConfig


def names(part: type) -> set[str]:
    return {f.name for f in dataclasses.fields(part)}


def test_a_train_config_is_exactly_its_hyperparameters_and_its_run_options():
    assert not names(Hyperparameters) & names(RunOptions)
    assert names(TrainConfig) == names(Hyperparameters) | names(RunOptions)
    assert all(f.metadata["help"] for f in dataclasses.fields(TrainConfig))
    cfg = TrainConfig(snapshot_dir="s", out_dir="o", precision="bf16", log_every=3)
    assert set(cfg.hyperparameters()) == names(Hyperparameters)
    assert set(cfg.run_options()) == names(RunOptions) - {"snapshot_dir", "out_dir", "cache_dir"}
    assert cfg.hyperparameters()["precision"] == "bf16" and cfg.run_options()["log_every"] == 3


def test_the_flags_list_the_two_parts_apart_under_their_field_names():
    from training.__main__ import build_parser

    groups = {group.title: {a.dest for a in group._group_actions} for group in build_parser()._action_groups}
    assert groups["hyper-parameters"] == names(Hyperparameters)
    assert groups["run options"] == names(RunOptions)
    parsed = build_parser().parse_args(["--snapshot", "s", "--out", "o", "--loss", "ipo", "--log-every", "4"])
    assert (parsed.loss_type, parsed.log_every, parsed.snapshot_dir) == ("ipo", 4, "s")


def test_python_m_training_prints_a_bad_value_as_one_line_and_exits_1():
    proc = subprocess.run(
        [sys.executable, "-m", "training", "--snapshot", "s", "--out", "o", "--beta", "nan"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (proc.returncode, proc.stderr) == (1, "error: --beta must be > 0, got nan\n")
