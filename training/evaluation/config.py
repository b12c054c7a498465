"""What an evaluation is set by, and where it writes: `EvalConfig` and the file names.

Apart from `training.evaluation.run` so that the Dagster asset (its config class, the report's
paths) loads without torch; the run imports torch when it evaluates. `run` re-exports them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

from training.bounds import SEED, Range, check_ranges
from training.flags import option
from training.outputs import read_manifest

OOD_SAMPLE = Path(__file__).resolve().parents[2] / "data" / "eval" / "ood_stackexchange.jsonl"
EVAL_DIR = "eval"  # inside the model folder
GENERATIONS = "generations.jsonl"
REPORT = "eval.json"


@dataclass(frozen=True)
class EvalConfig:
    """How a model is evaluated; the thresholds that gate it are the data side's."""

    panel_size: int = option(16, "Prompts (eval split first, then train) that both models reply to.", range=Range(1))
    max_new_tokens: int = option(
        64, "Tokens per reply; a reply that reaches it counts as hitting the limit.", range=Range(1)
    )
    seed: int = option(0, "Seed of the panel's choice, the sampled replies and the bootstrap.", range=SEED)
    batch_size: int = option(8, "Sequences per forward pass and prompts per generate call.", range=Range(1))
    bootstrap_resamples: int = option(2000, "Bootstrap resamples (by post) for each interval.", range=Range(1))
    ood_path: str = option(str(OOD_SAMPLE), "JSONL of out-of-domain passages (a 'text' field per line).")
    max_ood_tokens: int = option(256, "Each out-of-domain passage is cut to this many tokens.", range=Range(1))
    device: str = option("auto", "auto (a CUDA GPU when torch sees one), cpu or cuda.")
    bf16: Optional[bool] = option(None, "bf16 autocast for every model pass; unset: as the model was trained.")

    def __post_init__(self):
        check_ranges(self)


def finished_report(model_dir: str | Path, config: EvalConfig, base_dir: str | Path | None = None) -> dict | None:
    """The report an earlier evaluation left in the model folder, if it evaluated this run (the
    manifest's run id) against this baseline with these settings: evaluating again would give
    the same numbers, every draw being seeded. None otherwise."""
    model_dir = Path(model_dir)
    try:
        report = json.loads((model_dir / EVAL_DIR / REPORT).read_text())
        manifest = read_manifest(model_dir)
    except (OSError, ValueError):
        return None
    base = Path(base_dir or manifest["base_model"]["dir"]).resolve()
    same = (report.get("run_id"), report.get("base_dir"), report.get("config"))
    return report if same == (manifest["run_id"], str(base), asdict(config)) else None
