"""What an evaluation is set by, and where it writes: `EvalConfig` and the file names.

Apart from `training.evaluation.run` so that the Dagster asset (its config class, the report's
paths) loads without torch; the run imports torch when it evaluates. `run` re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from training.bounds import SEED, Range, check_ranges

OOD_SAMPLE = Path(__file__).resolve().parents[2] / "data" / "eval" / "ood_stackexchange.jsonl"
EVAL_DIR = "eval"  # inside the model folder
GENERATIONS = "generations.jsonl"
REPORT = "eval.json"


def _f(default, help: str, allowed: Optional[Range] = None):
    return field(default=default, metadata={"help": help, **({"range": allowed} if allowed else {})})


@dataclass(frozen=True)
class EvalConfig:
    """How a model is evaluated; the thresholds that gate it are the data side's."""

    panel_size: int = _f(16, "Prompts (eval split first, then train) that both models reply to.", Range(1))
    max_new_tokens: int = _f(64, "Tokens per reply; a reply that reaches it counts as hitting the limit.", Range(1))
    seed: int = _f(0, "Seed of the panel's choice, the sampled replies and the bootstrap.", SEED)
    batch_size: int = _f(8, "Sequences per forward pass and prompts per generate call.", Range(1))
    bootstrap_resamples: int = _f(2000, "Bootstrap resamples (by post) for each interval.", Range(1))
    ood_path: str = _f(str(OOD_SAMPLE), "JSONL of out-of-domain passages (a 'text' field per line).")
    max_ood_tokens: int = _f(256, "Each out-of-domain passage is cut to this many tokens.", Range(1))
    device: str = _f("auto", "auto (a CUDA GPU when torch sees one), cpu or cuda.")
    bf16: Optional[bool] = _f(None, "bf16 autocast for every model pass; unset: as the model was trained.")

    def __post_init__(self):
        check_ranges(self)
