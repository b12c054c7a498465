"""One run identity: whether two runs train the same model.

A run's model is a function of its snapshot, its `Hyperparameters` (training/config.py) and its
base model's weights; the run options (paths, device, cadence) never change it. `RunIdentity`
states that once, and every place that asks "is this the same model?" goes through it:

* a resume (training/checkpoint.check_same_run) refuses a checkpoint of another identity;
* `dpo_model` names its output folder `<snapshot id>-<run key>` and reuses a finished model
  found there only if its manifest has this identity (assets/model/assets.py);
* the reference log-prob cache (training/reference.py) keys on `reference_settings`, the
  projection of the same settings onto the fields marked `reference` (those that change the
  base model's log-probs: not the loss, the optimiser or the LoRA shape).

The settings a run ignores (`unused_settings`) are set to their defaults rather than dropped,
so a model trained with the default ones keeps its key, and a key of the defaults matches
whatever the ignored fields were set to.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Optional

from training.config import Hyperparameters, TrainConfig, differing_keys

HYPERPARAMETERS = {f.name: f for f in dataclasses.fields(Hyperparameters)}

# Three run options the key holds at fixed values, so that it stays the key of every model
# `dpo_model` has trained: another hash would rename, and so train again, each of them.
KEY_CONSTANTS = {"log_every": 1, "eval_batch_size": 8, "checkpoint_every": 0}

# Settings that only some losses read, added after models were trained with the others: left
# out of the settings of a run with another loss (not set to their defaults), so those models
# keep their keys.
LOSS_OWN_SETTINGS = {"desirable_weight": "kto", "undesirable_weight": "kto", "kto_data": "kto"}
# Hyper-parameters added after models were trained: in the key only when set away from their
# default, so that each model trained before them keeps its key, and a run that weights its
# pairs, or smooths their labels by their votes, gets another.
HASHED_WHEN_SET = ("pair_weights", "confidence_label_noise")


def unused_settings(hyperparameters: dict) -> tuple[str, ...]:
    """The fields these settings make the run ignore: `epochs` when `max_steps` is set, SimPO's
    gamma with another loss, the reference model's kind with a reference-free loss, the LoRA
    shape without LoRA."""
    from training.losses import REFERENCE_FREE  # local: importable without torch

    unused = ("epochs",) if hyperparameters.get("max_steps") else ()
    if hyperparameters.get("loss_type") != "simpo":
        unused += ("simpo_gamma",)
    if hyperparameters.get("loss_type") in REFERENCE_FREE:
        unused += ("reference",)
    if not hyperparameters.get("use_lora"):
        unused += ("lora_r", "lora_alpha", "lora_dropout")
    return unused


def base_weights_sha256(model: str, cache_dir: Optional[str] = None) -> Optional[str]:
    """The base model's part of the identity: the weights' digest of a model given as a local
    folder (its path says nothing of them; cached, not read on every run); None for the named
    models, which are built the same way every time."""
    from training.models import cached_weights_sha256, resolve_model_dir

    return None if model in _named_models() else cached_weights_sha256(resolve_model_dir(model), cache_dir)


@dataclass(frozen=True)
class RunIdentity:
    """A run as far as its model goes: the snapshot, the hyper-parameters as a run records them
    (`TrainConfig.hyperparameters()`: precision resolved) and, for a local base model, the
    weights' digest (None for a named one)."""

    snapshot_id: str
    hyperparameters: dict
    base_weights_sha256: Optional[str] = None

    @classmethod
    def of(cls, cfg: TrainConfig, snapshot_id: str) -> RunIdentity:
        return cls(snapshot_id, cfg.hyperparameters(), base_weights_sha256(cfg.model, cfg.cache_dir))

    @classmethod
    def recorded(cls, snapshot_id: str, hyperparameters: dict, weights_sha256: Optional[str]) -> RunIdentity:
        """The identity of a run recorded in a manifest or a checkpoint, which hold the base weights'
        digest of named models too."""
        local = hyperparameters.get("model") not in _named_models()
        return cls(snapshot_id, hyperparameters, weights_sha256 if local else None)

    def settings(self) -> dict:
        """The hyper-parameters with the `unused_settings` at their defaults (fields a record holds
        that are not hyper-parameters, and `HASHED_WHEN_SET` ones at their defaults, left out),
        and a local base model's weights' digest."""
        ignored = unused_settings(self.hyperparameters)
        settings = {k: v for k, v in self.hyperparameters.items() if k in HYPERPARAMETERS}
        settings.update({k: HYPERPARAMETERS[k].default for k in ignored})
        loss = self.hyperparameters.get("loss_type")
        settings = {k: v for k, v in settings.items() if LOSS_OWN_SETTINGS.get(k, loss) == loss}
        for name in HASHED_WHEN_SET:
            if settings.get(name, HYPERPARAMETERS[name].default) == HYPERPARAMETERS[name].default:
                settings.pop(name, None)
        if self.base_weights_sha256 is not None:
            settings["base_weights_sha256"] = self.base_weights_sha256
        return settings

    def key(self) -> str:
        """A short hash of `settings()`: the run key. The snapshot id is not in it: the model
        folder's name puts it beside the key (`folder_name`)."""
        return _digest({**self.settings(), **KEY_CONSTANTS})[:10]

    def folder_name(self) -> str:
        return f"{self.snapshot_id}-{self.key()}"

    def reference_settings(self) -> dict:
        """The projection of `settings()` that the reference model's log-probs depend on: the
        fields marked `reference` in `Hyperparameters`, and the snapshot id. The base weights'
        digest the reference cache adds itself, for the named models too."""
        kept = {
            k: v
            for k, v in self.settings().items()
            if k in HYPERPARAMETERS and HYPERPARAMETERS[k].metadata["reference"]
        }
        return {**kept, "snapshot_id": self.snapshot_id}

    def changes_from(self, saved: RunIdentity) -> list[str]:
        """ "name old -> new" for the snapshot id and each setting in which `saved` differs from
        this identity; empty when they train the same model."""
        old = {
            "snapshot_id": saved.snapshot_id,
            **saved.hyperparameters,
            "base_weights_sha256": saved.base_weights_sha256,
        }
        new = {"snapshot_id": self.snapshot_id, **self.hyperparameters, "base_weights_sha256": self.base_weights_sha256}
        compared = differing_keys(
            {"snapshot_id": saved.snapshot_id, **saved.settings()}, {"snapshot_id": self.snapshot_id, **self.settings()}
        )
        # reported as set; a field used on one side only, set alike, differs through what unused it
        return [_change(k, old.get(k), new.get(k)) for k in compared if old.get(k) != new.get(k)]


def _change(name: str, old, new) -> str:
    if name == "base_weights_sha256":
        return f"base model weights {str(old)[:12]} -> {str(new)[:12]}"
    return f"{name} {old!r} -> {new!r}"


def _named_models() -> tuple[str, ...]:
    from training.models import SMOLLM2, TINY

    return (SMOLLM2, TINY)


def _digest(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
