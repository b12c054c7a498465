"""A run's setup: the accelerator (device and precision), the policy model and the tokenised
splits of the snapshot."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.state import AcceleratorState

from training.config import TrainConfig
from training.data import EncodedPair, encode_pairs
from training.kto import kto_splits
from training.logps import SequenceLogProbs
from training.models import load_model_and_tokenizer
from training.pair_weights import scaled_to_train_mean


def make_accelerator(cfg: TrainConfig) -> tuple[Accelerator, str]:
    """The run's Accelerator and accelerate's mixed_precision for it ('bf16' or 'no').

    accelerate keeps the device and precision in process-wide state that refuses a change, so a
    second train() in one process with another precision or device (fp32 then bf16, CPU then
    CUDA) failed. When that state conflicts with this run, outside a multi-process launch
    (which owns it), it is reset with a warning: an Accelerator made earlier in this process
    changes with it."""
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda', but torch sees no CUDA GPU")
    precision = "bf16" if cfg.resolved_precision() == "bf16" else "no"
    on_cuda = cfg.uses_cuda()
    try:
        accelerator = Accelerator(cpu=not on_cuda, mixed_precision=precision)
        if accelerator.device.type == ("cuda" if on_cuda else "cpu"):
            return accelerator, precision
    except ValueError as error:
        if "already been initialized" not in str(error):
            raise
    distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 or distributed:
        raise ValueError(
            f"this multi-process launch set up accelerate for another device or precision than "
            f"device={cfg.device!r}, precision={cfg.precision!r}"
        )
    warnings.warn(
        "train(): accelerate's process-wide state was set up for another device or precision; "
        "resetting it (an Accelerator made earlier in this process changes with it)",
        stacklevel=3,
    )
    AcceleratorState._reset_state(reset_partial_state=True)
    return Accelerator(cpu=not on_cuda, mixed_precision=precision), precision


def build_policy(cfg: TrainConfig, model_dir: Path):
    lm, tokenizer = load_model_and_tokenizer(model_dir)
    if cfg.gradient_checkpointing:
        # transformers' name for it; non-reentrant, and only in training mode with gradients, so
        # the reference precompute and evaluation run as before.
        lm.activation_checkpointing_enable()
    if cfg.use_lora:
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(
            r=cfg.lora_r,
            lora_alpha=cfg.lora_alpha,
            lora_dropout=cfg.lora_dropout,
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        )
        lm = get_peft_model(lm, lora)
    return SequenceLogProbs(lm), tokenizer


def encode_splits(cfg: TrainConfig, snapshot, tokenizer) -> dict[str, list[EncodedPair]]:
    """The snapshot's train split and (the first `eval_max_pairs` of) its eval split, tokenised;
    with `pair_weights`, the pairs' weights scaled to mean 1 over the train pairs (for KTO,
    before its singles join them: a single weighs 1)."""
    eval_rows = snapshot.eval
    if cfg.eval_max_pairs:
        eval_rows = eval_rows.select(range(min(cfg.eval_max_pairs, len(eval_rows))))
    splits = {
        "train": encode_pairs(snapshot.train, tokenizer, cfg.max_length, cfg.system_prompt),
        "eval": encode_pairs(eval_rows, tokenizer, cfg.max_length, cfg.system_prompt),
    }
    if cfg.pair_weights and splits["train"]:
        splits = scaled_to_train_mean(splits)
    if cfg.loss_type == "kto":
        splits = kto_splits(cfg, snapshot, tokenizer, splits)
    if not splits["train"]:
        raise ValueError(f"snapshot {snapshot.snapshot_id} has no train pairs")
    return splits
