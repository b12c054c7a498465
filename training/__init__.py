"""upvote-dpo's trainer: DPO-family preference optimisation of a causal LM on a pair snapshot.

A plain package (torch, transformers, accelerate, peft; never dagster or duckdb):

    from training import TrainConfig, train
    result = train(TrainConfig(snapshot_dir=..., model="smollm2-135m-instruct", out_dir=...))

or `python -m training --help`. Modules: config (TrainConfig), losses, models (model names
to local directories), data (snapshot -> token ids -> batches), logps, reference (cached
reference log-probs), checkpoint, outputs (model card, manifest), trainer (`train`).
"""

from training.config import TrainConfig
from training.losses import LOSSES
from training.trainer import TrainResult, train

__all__ = ["LOSSES", "TrainConfig", "TrainResult", "train"]
