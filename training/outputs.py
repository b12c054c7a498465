"""What a finished run leaves in out_dir besides checkpoints:

config.json, model.safetensors, tokenizer files, chat_template.jinja   from_pretrained loads these
README.md                 model card: base model, snapshot, pair counts, hyper-parameters, eval
training_manifest.json    the same, machine-readable, plus the metrics history and every train
                          pair the run saw (first epoch and step, times seen)
metrics.jsonl             one line per logged step (written as the run goes)
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from training.errors import UserError
from training.models import file_sha256

MANIFEST = "training_manifest.json"
METRICS = "metrics.jsonl"
MODEL_CARD = "README.md"
RECORDS = (MANIFEST, METRICS, MODEL_CARD)  # what the trainer writes about the model, not the model
# The training flags that read the snapshot's pair-weight columns, by hyper-parameter.
WEIGHT_FLAGS = {"--pair-weights": "pair_weights", "--confidence-label-noise": "confidence_label_noise"}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def code_version(checkout: Path | None = None) -> str:
    """The git commit of the checkout holding `checkout` (default: this package's), + '-dirty'
    with uncommitted changes anywhere in it, else the package version."""
    here = checkout or Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        # the whole repository: a snapshot's code (assets/) is versioned by this too
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"upvote-dpo {version('upvote-dpo')}"
        except PackageNotFoundError:
            return "unknown"


def save_model(lm, tokenizer, out_dir: Path) -> dict[str, str]:
    """Save a plain transformers model (LoRA merged into the weights); returns `model_files`."""
    if hasattr(lm, "merge_and_unload"):  # peft: fold the adapters in so from_pretrained needs no peft
        lm = lm.merge_and_unload()
    lm.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return model_files(out_dir)


def model_files(out_dir: str | Path) -> dict[str, str]:
    """{file name: sha256} of every file in the folder but the trainer's own records: the
    weights, and the config, tokenizer and chat template, which change what the model does."""
    return {
        path.name: file_sha256(path)
        for path in sorted(Path(out_dir).iterdir())
        if path.is_file() and path.name not in RECORDS
    }


def files_digest(files: dict[str, str]) -> str:
    """One sha256 over a `model_files` answer ("<name> <sha256>" lines, by name)."""
    return hashlib.sha256("".join(f"{name} {sha}\n" for name, sha in sorted(files.items())).encode()).hexdigest()


class ModelFolderError(UserError):
    """A folder that should hold a finished model does not, or holds a damaged one."""


def check_model_folder(out_dir: str | Path) -> dict:
    """The manifest of a finished model in `out_dir`, after checking that the folder holds one:
    a completed manifest, a config, and every weights file it lists whole (a safetensors file's
    header and the tensors it describes fit the file: a copy cut short fails). Cheap: no file
    is read beyond its header."""
    out_dir = Path(out_dir)
    try:
        manifest = read_manifest(out_dir)
    except (OSError, ValueError) as error:
        raise ModelFolderError(f"{out_dir} holds no readable {MANIFEST}: {error}") from None
    if manifest.get("status") != "completed":
        raise ModelFolderError(f"{out_dir} holds a run that did not complete (status {manifest.get('status')!r})")
    names = set(manifest.get("output", {}).get("files_sha256") or {}) | {"config.json"}
    for name in sorted(names):
        path = out_dir / name
        if not path.is_file():
            raise ModelFolderError(f"{out_dir} lacks {name}, which its manifest lists")
        if name.endswith(".safetensors") and not _safetensors_whole(path):
            raise ModelFolderError(f"{path} is damaged or cut short; train the model again or restore the file")
    return manifest


def _safetensors_whole(path: Path) -> bool:
    """Whether the header parses and the data it describes fits the file (the format: an 8-byte
    little-endian header length, the JSON header, then the tensors' bytes)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8 or (length := int.from_bytes(head, "little")) > size - 8:
            return False
        try:
            header = json.loads(fh.read(length))
        except ValueError:
            return False
    ends = [entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"]
    return 8 + length + max(ends, default=0) <= size


def read_manifest(out_dir: str | Path) -> dict:
    """The `training_manifest.json` of a finished run's output directory."""
    return json.loads((Path(out_dir) / MANIFEST).read_text())


def write_json(path: Path, payload: dict) -> None:
    tmp = Path(f"{path}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def write_metrics(out_dir: Path, history: list[dict]) -> None:
    with open(Path(out_dir) / METRICS, "w") as fh:
        for row in history:
            fh.write(json.dumps(row) + "\n")


def append_metrics(out_dir: Path, row: dict) -> None:
    with open(Path(out_dir) / METRICS, "a") as fh:
        fh.write(json.dumps(row) + "\n")


def _table(metrics: dict) -> str:
    if not metrics:
        return "(none)\n"
    return "| metric | value |\n|---|---|\n" + "".join(
        f"| {k} | {v:.4f} |\n" if isinstance(v, float) else f"| {k} | {v} |\n" for k, v in metrics.items()
    )


def _sources_section(sources: dict) -> str:
    """Where the snapshot's pairs came from and, for Stack Exchange, each site's licence and the
    attribution CC BY-SA requires (the snapshot's manifest `sources`); empty for older snapshots."""
    if not sources:
        return ""
    lines = ["## Data sources and licences", ""]
    for source, entry in sources.items():
        communities = ", ".join(f"{name} ({count})" for name, count in entry["communities"].items())
        lines.append(f"- **{source}**: {entry['pairs']} pairs from {communities}")
        for site, licenses in entry.get("licenses", {}).items():
            lines.append(f"  - {site}: {', '.join(licenses)}")
        if "attribution" in entry:
            lines.append(f"  - {entry['attribution']}")
    return "\n".join(lines) + "\n\n"


def pair_weighting(snapshot_manifest: dict | None, hyperparameters: dict) -> dict:
    """The snapshot's pair-weighting scheme ("none" for one frozen without weights or before
    they existed; "unknown" when its manifest cannot be read) and whether the run trained with
    its columns: `weight` (--pair-weights) and `confidence` (--confidence-label-noise)."""
    if snapshot_manifest is None:
        scheme = "unknown"
    else:
        scheme = (snapshot_manifest.get("weighting") or {}).get("scheme", "none")
    return {
        "scheme": scheme,
        "pair_weights": bool(hyperparameters.get("pair_weights")),
        "confidence_label_noise": bool(hyperparameters.get("confidence_label_noise")),
    }


def weighting_summary(weighting: dict) -> str:
    """One line: the snapshot's scheme and the weight settings the run used."""
    used = [flag for flag, key in WEIGHT_FLAGS.items() if weighting[key]]
    return f"snapshot weighting {weighting['scheme']}; " + (
        f"trained with {' and '.join(used)}" if used else "trained unweighted (every pair weighs the same)"
    )


def _weighting_section(manifest: dict) -> str:
    # a manifest written before runs recorded it: its snapshot's scheme is not known here
    weighting = manifest.get("weighting") or pair_weighting(None, manifest["hyperparameters"])
    return f"## Pair weights\n\n{weighting_summary(weighting)}.\n\n"


def _singles_seen(manifest: dict) -> str:
    """ ", N singles" when KTO trained on singles (training/kto.py), else nothing."""
    return f" and {len(manifest['singles'])} singles" if manifest.get("singles") else ""


def model_card(manifest: dict) -> str:
    base, counts, hp = manifest["base_model"], manifest["counts"], manifest["hyperparameters"]
    before, after = manifest["eval_before"], manifest["eval_after"]
    return f"""---
base_model: {base["name"]}
library_name: transformers
tags: [dpo, preference-optimization, upvote-dpo]
---

# {base["name"]} + {hp["loss_type"]} preference optimisation on Reddit upvotes

Trained by upvote-dpo (code {manifest["code_version"]}), run `{manifest["run_id"]}`, status **{manifest["status"]}**.

- **Base model**: `{base["name"]}` (weights sha256 `{base["weights_sha256"]}`)
- **Snapshot**: `{manifest["snapshot_id"]}` — {counts["train_pairs"]} train pairs, {counts["eval_pairs"]} eval pairs;
  {counts["truncated_pairs"]["train"]} train / {counts["truncated_pairs"]["eval"]} eval pairs truncated to
  max_length {hp["max_length"]} (none dropped)
- **Loss**: `{hp["loss_type"]}` on {manifest.get("data_kind", "pairs")}
- **Steps**: {manifest["steps"]}; {len(manifest["pairs"])} distinct train pairs{_singles_seen(manifest)} seen
- **Started / finished**: {manifest["started_at"]} / {manifest["finished_at"]}

Chosen = the more upvoted reply to the same post, rejected = a less upvoted one.

{_sources_section(manifest.get("sources", {}))}{_weighting_section(manifest)}## Evaluation (eval split)

`rewards/accuracies` is the share of pairs whose implicit reward beta * log(pi/pi_ref) is higher
for the chosen reply; before training policy == reference, so it is 0 by construction (except
for reference-free losses). `logps/accuracies` compares length-normalised log-probs instead and
is meaningful before training too.

Before training:

{_table(before)}
After training:

{_table(after)}
## Final training metrics

{_table(manifest["final_metrics"])}
## Hyper-parameters

```json
{json.dumps(hp, indent=2)}
```

Load with `AutoModelForCausalLM.from_pretrained("<this directory>")`.
"""
