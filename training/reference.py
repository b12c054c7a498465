"""Reference-model log-probs, computed once per (snapshot, base model, tokenisation) and cached on disk.

DPO needs log pi_ref(y|x) for every chosen and rejected completion. The reference never
changes, so instead of holding a second model in memory for the whole run (TRL's default),
we score every pair once with the base model before the first update and keep the (N, 2)
tensors in `<cache>/ref_logps/<key>.pt`. The key hashes everything that changes the
numbers: the run identity's `reference_settings` (training/identity.py: the snapshot id and
the hyper-parameters marked `reference`: model, precision, max_length, system_prompt,
eval_max_pairs), the base weights' sha256, the exact token ids of every pair (so the
tokenizer and chat template are covered too), the device type (CPU and CUDA kernels round
differently) and a format version. A run on the same snapshot, model and device with another
loss, optimiser or LoRA shape loads the file instead of recomputing.

`setup_reference` gives the trainer its `Reference`: these cached tables, a live frozen model
(`reference="live"`; with LoRA, the policy with its adapters off), or nothing for a
reference-free loss.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
from contextlib import nullcontext
from pathlib import Path
from typing import Optional

import torch

from training.data import EncodedPair
from training.identity import RunIdentity
from training.logps import pair_logps
from training.losses import REFERENCE_FREE
from training.models import cache_root

FORMAT_VERSION = 2  # 2: scored in training.data.collate's shared-prompt layout (equal to float rounding)


def pairs_digest(pairs: list[EncodedPair]) -> str:
    digest = hashlib.sha256()
    for p in pairs:
        digest.update(json.dumps([p.pair_id, p.prompt, p.chosen, p.rejected]).encode())
    return digest.hexdigest()


def reference_key(
    identity: RunIdentity, base_weights_sha256: str, device_type: str, splits: dict[str, list[EncodedPair]]
) -> str:
    # The device type is in the key: CUDA and CPU kernels round differently (visibly in bf16),
    # and the policy's first step should see its own numbers as the reference.
    parts = {
        "format": FORMAT_VERSION,
        "settings": identity.reference_settings(),
        "base_weights_sha256": base_weights_sha256,
        "device_type": device_type,
        "pairs": {name: pairs_digest(pairs) for name, pairs in sorted(splits.items())},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def cache_path(cache_root: Path, key: str) -> Path:
    return Path(cache_root) / "ref_logps" / f"{key}.pt"


def load_cached(path: Path, splits: dict[str, list[EncodedPair]]) -> dict[str, torch.Tensor] | None:
    """The cached tensors, or None when absent or not matching these pairs."""
    if not path.exists():
        return None
    saved = torch.load(path, weights_only=True, map_location="cpu")
    for name, pairs in splits.items():
        if saved.get(f"{name}_pair_ids") != [p.pair_id for p in pairs]:
            return None
    return {name: saved[name] for name in splits}


def save_cached(path: Path, splits: dict[str, list[EncodedPair]], logps: dict[str, torch.Tensor]) -> None:
    """Write atomically: a concurrent or killed writer never leaves a truncated file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = dict(logps)
    payload.update({f"{name}_pair_ids": [p.pair_id for p in pairs] for name, pairs in splits.items()})
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    os.close(fd)
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


class Reference:
    """Reference log-probs for pairs by split and index: a cached (N, 2) table per split, a live
    frozen model (`live`, scored on demand), or nothing for reference-free losses."""

    def __init__(self, tables=None, live=None, adapters_off=None, pad_id=0, device="cpu", batch_size=8):
        self.tables, self.live, self.adapters_off = tables, live, adapters_off
        self.pad_id, self.device, self.batch_size = pad_id, device, batch_size
        self.kl = None  # KTO's KLBaseline (training/kto.py), set by the trainer for loss_type kto

    def get(self, split: str, idx: list[int], pairs: list[EncodedPair]) -> Optional[torch.Tensor]:
        if self.tables is not None:
            return self.tables[split][idx].to(self.device)
        if self.live is None:
            return None
        with self.adapters_off() if self.adapters_off else nullcontext():
            return pair_logps(self.live, [pairs[i] for i in idx], self.batch_size, self.pad_id, self.device).to(
                self.device
            )


def setup_reference(cfg, accelerator, model, splits, identity: RunIdentity, base_sha, pad_id) -> tuple[Reference, str]:
    """Call before any update (and before loading a checkpoint): `model` is still the base model."""
    kw = dict(pad_id=pad_id, device=accelerator.device, batch_size=cfg.eval_batch_size)
    lm = accelerator.unwrap_model(model).lm
    adapters_off = lm.disable_adapter if cfg.use_lora else None
    if cfg.loss_type in REFERENCE_FREE:
        return Reference(**kw), "none"
    if cfg.reference == "live":
        live = model if cfg.use_lora else copy.deepcopy(accelerator.unwrap_model(model)).requires_grad_(False)
        if not cfg.use_lora:
            live = accelerator.prepare_model(live, evaluation_mode=True)  # same device and autocast as the policy
        return Reference(live=live, adapters_off=adapters_off, **kw), "live"
    key = reference_key(identity, base_sha, accelerator.device.type, splits)
    path = cache_path(cache_root(cfg.cache_dir), key)
    tables = load_cached(path, splits)
    if tables is not None:
        return Reference(tables=tables, **kw), "hit"
    with adapters_off() if adapters_off else nullcontext():
        tables = {
            name: pair_logps(model, pairs, cfg.eval_batch_size, pad_id, accelerator.device)
            for name, pairs in splits.items()
        }
    if accelerator.is_main_process:
        save_cached(path, splits, tables)
    return Reference(tables=tables, **kw), "computed"
