"""Resumable checkpoints: out_dir/checkpoints/step-NNNNNNNN/state.pt.

A checkpoint holds the trainable weights (all of them, or only the LoRA adapters), the
optimizer and scheduler state, every RNG state and the run state (step, history, the
metrics not yet logged, pairs seen, eval before training, run id, and the snapshot and
settings, which a resume must match). The data position needs nothing more than the step:
the batch order is a pure function of (seed, step) (see trainer.micro_batches).
Each checkpoint is written to a temporary directory and renamed, so a run killed while
saving leaves the previous checkpoint intact; only the newest is kept.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Optional

import torch

from training.identity import RunIdentity

CHECKPOINTS = "checkpoints"


def rng_states() -> dict:
    states = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    try:
        import numpy as np

        states["numpy"] = np.random.get_state()
    except ImportError:
        pass
    return states


def set_rng_states(states: dict) -> None:
    random.setstate(states["python"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    if "numpy" in states:
        import numpy as np

        np.random.set_state(states["numpy"])


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Only parameters that train (LoRA: the adapters), so LoRA checkpoints stay small."""
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items() if k in names}


def save_checkpoint(out_dir: Path, step: int, model: torch.nn.Module, optimizer, scheduler, run_state: dict) -> Path:
    root = Path(out_dir) / CHECKPOINTS
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{step:08d}"
    tmp = Path(tempfile.mkdtemp(prefix=".step-", dir=root))
    torch.save(
        {
            "step": step,
            "model": trainable_state(model),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": rng_states(),
            "run_state": run_state,
        },
        tmp / "state.pt",
    )
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    for old in root.glob("step-*"):
        if old != final:
            shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(out_dir: Path) -> Optional[Path]:
    done = sorted(p for p in (Path(out_dir) / CHECKPOINTS).glob("step-*") if (p / "state.pt").exists())
    return done[-1] if done else None


def check_same_run(run_state: dict, path: Path, identity: RunIdentity) -> None:
    """Refuse a checkpoint that a run of another identity wrote (another snapshot, hyper-parameter
    or base weights; the run options may differ): resuming it would continue its optimizer and
    schedule while the manifest recorded the new settings. One written before checkpoints
    recorded them is resumed as asked, with a warning."""
    if "hyperparameters" not in run_state:
        warnings.warn(
            f"{path} predates checkpoints that record their snapshot and settings: resuming it "
            "without checking they are this run's",
            stacklevel=2,
        )
        return
    # a checkpoint that did not record the base weights is compared on the rest
    weights = run_state.get("base_weights_sha256", identity.base_weights_sha256)
    changes = identity.changes_from(
        RunIdentity.recorded(run_state["snapshot_id"], run_state["hyperparameters"], weights)
    )
    if changes:
        raise ValueError(
            f"cannot resume from {path}: it was written by a run with other settings "
            f"({', '.join(changes)}); train into another out_dir, or without resume"
        )


def load_checkpoint(path: Path, model: torch.nn.Module, optimizer, scheduler) -> dict:
    """Restore model, optimizer, scheduler and RNG in place; return the run state."""
    saved = torch.load(Path(path) / "state.pt", weights_only=False)  # our own file: RNG states are pickled
    missing = set(trainable_state(model)) - set(saved["model"])
    if missing:
        raise ValueError(f"checkpoint {path} lacks trainable weights {sorted(missing)[:3]}...: different model/LoRA?")
    model.load_state_dict(saved["model"], strict=False)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    set_rng_states(saved["rng"])
    return saved["run_state"]
