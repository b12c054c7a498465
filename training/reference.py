"""Reference-model log-probs, computed once per (snapshot, base model, tokenisation) and cached on disk.

DPO needs log pi_ref(y|x) for every chosen and rejected completion. The reference never
changes, so instead of holding a second model in memory for the whole run (TRL's default),
we score every pair once with the base model before the first update and keep the (N, 2)
tensors in `<cache>/ref_logps/<key>.pt`. The key hashes everything that changes the
numbers: the snapshot id, the base weights' sha256, the exact token ids of every pair (so
tokenizer, chat template, system prompt, max_length and truncation are all covered), the
autocast precision, the device type (CPU and CUDA kernels round differently) and a format
version. A second run on the same snapshot, model and device loads the file instead of
recomputing.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import torch

from training.data import EncodedPair

FORMAT_VERSION = 2  # 2: scored in training.data.collate's shared-prompt layout (equal to float rounding)


def pairs_digest(pairs: list[EncodedPair]) -> str:
    digest = hashlib.sha256()
    for p in pairs:
        digest.update(json.dumps([p.pair_id, p.prompt, p.chosen, p.rejected]).encode())
    return digest.hexdigest()


def reference_key(snapshot_id: str, base_weights_sha256: str, precision: str, device_type: str,
                  splits: dict[str, list[EncodedPair]]) -> str:
    # The device type is in the key: CUDA and CPU kernels round differently (visibly in bf16),
    # and the policy's first step should see its own numbers as the reference.
    parts = {
        "format": FORMAT_VERSION,
        "snapshot_id": snapshot_id,
        "base_weights_sha256": base_weights_sha256,
        "precision": precision,
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
