"""The run's schedule: which pairs each optimizer step trains on, how many steps a run has,
the learning rate over them, and when a line is logged.

The batch order is a pure function of (seed, step), so the data position is the step and a
resumed run continues exactly where a killed one stopped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Optional

import torch

from training.config import TrainConfig


def steps_per_epoch(n_pairs: int, cfg: TrainConfig, num_processes: int = 1) -> int:
    micro_batches = math.ceil(n_pairs / cfg.batch_size)  # the last, short batch is kept: no pair dropped
    return math.ceil(micro_batches / (cfg.grad_accum_steps * num_processes))


def total_steps(n_pairs: int, cfg: TrainConfig, num_processes: int = 1) -> int:
    return cfg.max_steps or cfg.epochs * steps_per_epoch(n_pairs, cfg, num_processes)


# Micro-batches per length-sorted group under group_by_length (transformers' "megabatch" of 50).
LENGTH_GROUP_BATCHES = 50


def micro_batches(
    n_pairs: int, cfg: TrainConfig, step: int, num_processes: int = 1, lengths: Optional[Sequence[int]] = None
) -> tuple[int, list[list[int]]]:
    """(epoch, pair indices of each micro-batch) of optimizer step `step`, for all processes together.

    Each epoch is a fresh permutation seeded by (seed, epoch): the schedule is a pure function
    of the step, which is all a checkpoint needs to store as the data position. With
    `group_by_length`, each run of LENGTH_GROUP_BATCHES micro-batches of that permutation is
    sorted by the pairs' `lengths` (longest first), so a micro-batch pads little."""
    per_step = cfg.grad_accum_steps * num_processes
    epoch, k = divmod(step, steps_per_epoch(n_pairs, cfg, num_processes))
    order = torch.randperm(n_pairs, generator=torch.Generator().manual_seed(cfg.seed * 1_000_003 + epoch)).tolist()
    start, stop = k * per_step * cfg.batch_size, (k + 1) * per_step * cfg.batch_size
    if cfg.group_by_length:
        if lengths is None or len(lengths) != n_pairs:
            raise ValueError("group_by_length needs every pair's length")
        size = LENGTH_GROUP_BATCHES * cfg.batch_size
        for group in range(start // size * size, min(stop, n_pairs), size):  # only the groups this step reads
            order[group : group + size] = sorted(order[group : group + size], key=lengths.__getitem__, reverse=True)
    return epoch, [order[i : i + cfg.batch_size] for i in range(start, min(stop, n_pairs), cfg.batch_size)]


def linear_schedule(optimizer, warmup: int, total: int):
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return max(0.0, (total - step) / max(1, total - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def log_window(state: dict, n_steps: int, steps_in_epoch: int, log_every: int) -> Optional[dict]:
    """At a logging step, the window's step metrics averaged into one history line (else None)."""
    window = state["window"]
    if state["step"] % log_every and state["step"] != n_steps:
        return None
    logged = {k: sum(m[k] for m in window) / len(window) for k in window[-1]}
    logged.update(learning_rate=window[-1]["learning_rate"], step=state["step"], epoch=state["step"] / steps_in_epoch)
    window.clear()
    state["history"].append(logged)
    return logged
