"""assets.model.assets: the `dpo_model` asset's config, field for field the trainer's."""

from __future__ import annotations

import dataclasses

from assets.model.assets import TrainConfigDagster, trainer_command
from training.config import Hyperparameters, RunOptions, TrainConfig


def test_the_dagster_config_is_the_hyperparameters_and_the_run_options_field_for_field():
    fields = TrainConfigDagster.model_fields
    parts = [*dataclasses.fields(Hyperparameters), *dataclasses.fields(RunOptions)]
    assert set(fields) == {f.name for f in parts}
    for f in parts:
        assert (fields[f.name].default, fields[f.name].description) == (f.default, f.metadata["help"]), f.name


def test_the_trainer_command_passes_each_changed_field_as_its_flag():
    cfg = TrainConfig(snapshot_dir="s", out_dir="o", beta=0.2, log_every=3, gradient_checkpointing=False)
    command = trainer_command(cfg)
    assert command[3:] == [
        "--snapshot-dir",
        "s",
        "--out-dir",
        "o",
        "--no-gradient-checkpointing",
        "--log-every",
        "3",
        "--beta",
        "0.2",
    ]
