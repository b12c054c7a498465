"""upvote-dpo's trainer: DPO-family preference optimisation of a causal LM on a pair snapshot.

A plain package (torch, transformers, accelerate, peft; never dagster or duckdb):

    from training import TrainConfig, train
    result = train(TrainConfig(snapshot_dir=..., model="smollm2-135m-instruct", out_dir=...))

or `python -m training --help`. Modules: config (TrainConfig: the Hyperparameters that change
the model and the RunOptions that do not), identity (the one run key of a snapshot and its
hyper-parameters), losses, models (model names to local directories), data (snapshot -> token
ids -> batches), logps, reference (cached reference log-probs), checkpoint, outputs (model
card, manifest), trainer (`train`).
"""

from training.config import TrainConfig

__all__ = ["LOSSES", "TrainConfig", "TrainResult", "train"]


def __getattr__(name: str):
    # torch loads only when the trainer is used: `training.config` and `training.outputs`
    # stay cheap to import for the Dagster code location and the audit commands.
    if name == "LOSSES":
        from training.losses import LOSSES

        return LOSSES
    if name in ("TrainResult", "train"):
        from training import trainer

        return getattr(trainer, name)
    raise AttributeError(f"module 'training' has no attribute {name!r}")
