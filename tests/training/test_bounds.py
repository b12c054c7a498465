"""training.bounds: every numeric setting of every config refuses nan, inf and values out of
its range, as a one-line `ConfigError` naming the flag, before any work starts."""

from __future__ import annotations

import dataclasses
import math

import pytest

from assets.eval.gate import EvalGate
from assets.pairs.config import PairRules
from training.bounds import Range
from training.config import Hyperparameters, RunOptions
from training.errors import ConfigError, UserError
from training.evaluation.config import EvalConfig

# The required fields filled; everything else at its default (a valid config).
CONFIGS = {
    Hyperparameters: {},
    RunOptions: {"snapshot_dir": "s", "out_dir": "o"},
    PairRules: {},
    EvalConfig: {},
    EvalGate: {},
}


def numeric_fields():
    for cls in CONFIGS:
        for f in dataclasses.fields(cls):
            if type(f.default) in (int, float):
                yield pytest.param(cls, f, id=f"{cls.__name__}.{f.name}")


def build(cls, **values):
    return cls(**{**CONFIGS[cls], **values})


def outside(allowed: Range) -> list[float]:
    """Values just outside the range, on each bounded side."""
    values = []
    if allowed.low is not None:
        values.append(allowed.low if allowed.low_open else allowed.low - 1)
    if allowed.high is not None:
        values.append(allowed.high if allowed.high_open else allowed.high + 1)
    return values


@pytest.mark.parametrize("cls, field", list(numeric_fields()))
def test_every_numeric_field_refuses_nan_inf_and_values_out_of_its_range(cls, field):
    build(cls)  # the defaults are valid
    assert "range" in field.metadata, "declare the field's range, Range() if any finite number will do"
    flag = "--" + field.name.replace("_", "-")
    # an int field gets no nan or inf: argparse's int and Dagster's int config refuse them
    infinite = [math.nan, math.inf, -math.inf] if isinstance(field.default, float) else []
    for value in [*infinite, *(type(field.default)(v) for v in outside(field.metadata["range"]))]:
        with pytest.raises(ConfigError, match=f"^{flag} must be ") as caught:
            build(cls, **{field.name: value})
        assert isinstance(caught.value, UserError) and isinstance(caught.value, ValueError)
        assert str(caught.value).endswith(f"got {value!r}")


@pytest.mark.parametrize(
    "cls, values, message",
    [
        (Hyperparameters, {"beta": 0.0}, "--beta must be > 0, got 0.0"),
        (Hyperparameters, {"learning_rate": -1e-5}, "--learning-rate must be > 0, got -1e-05"),
        (Hyperparameters, {"label_smoothing": 0.5}, "--label-smoothing must be in [0, 0.5)"),
        (Hyperparameters, {"batch_size": 0}, "--batch-size must be >= 1, got 0"),
        (Hyperparameters, {"seed": 2**32}, "--seed must be in [0, 4.29497e+09], got 4294967296"),
        (Hyperparameters, {"max_length": 7}, "--max-length must be >= 8 (a prompt tail and a completion"),
        (Hyperparameters, {"max_steps": 0, "epochs": 0}, "set --epochs >= 1 or --max-steps > 0"),
        (RunOptions, {"eval_batch_size": 0}, "--eval-batch-size must be >= 1, got 0"),
        (PairRules, {"min_score_ratio": 0.5}, "--min-score-ratio must be >= 1, got 0.5"),
        (PairRules, {"eval_fraction": 1.5}, "--eval-fraction must be in [0, 1], got 1.5"),
        (EvalConfig, {"panel_size": 0}, "--panel-size must be >= 1, got 0"),
        (EvalGate, {"min_accuracy_low": 1.2}, "--min-accuracy-low must be in [0, 1], got 1.2"),
        (EvalGate, {"max_length_growth": 0.0}, "--max-length-growth must be > 0, got 0.0"),
    ],
)
def test_the_message_names_the_flag_and_what_is_allowed(cls, values, message):
    with pytest.raises(ConfigError) as caught:
        build(cls, **values)
    assert str(caught.value).startswith(message)


def test_values_at_the_edge_of_a_range_are_allowed():
    build(Hyperparameters, label_smoothing=0.49, beta=1e-9, sft_weight=0.0, seed=2**32 - 1)
    build(PairRules, min_score_ratio=1.0, eval_fraction=1.0, min_post_score=-5)
    build(EvalGate, min_accuracy_low=0.0, max_ood_nll_increase=-0.1)
