"""The training configuration in two parts, each a frozen dataclass whose fields carry their help.

`Hyperparameters` is what changes the result: the weights, or the eval a run records with
them. Two runs on one snapshot with the same hyper-parameters (and base weights) train the
same model, so they are hashed into the run key (training/identity.py) that a resume, the
Dagster asset's reuse and the reference log-prob cache share. `RunOptions` is how and where
a run goes: paths, device, memory trade-offs, logging and checkpoint cadence; changing one
never changes the model. `TrainConfig` is both, flat: the trainer reads `cfg.beta` and
`cfg.out_dir` alike, and every field is one `python -m training` flag and one Dagster config
field of the same name (training/flags.py, assets/config.py).

Every field is a plain str / int / float / bool (or Optional of one). Each part validates its
fields once, in `__post_init__`, so a bad value fails before any model loads.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

from training.bounds import SEED, Range, check_ranges
from training.errors import ConfigError
from training.flags import option

PRECISIONS = ("auto", "fp32", "bf16")
DEVICES = ("auto", "cpu", "cuda")
REFERENCES = ("cached", "live")
KTO_DATA = ("pairs", "singles", "both")


def _f(default, help: str, reference: bool = False, allowed: Optional[Range] = None, note: str = ""):
    """A field with its help text; `reference`: it changes the reference model's log-probs, so the
    reference cache's key holds it (training/identity.py: `RunIdentity.reference_settings`);
    `allowed`: the values a numeric field may take (training/bounds.py), `note` saying why."""
    ranged = {"range": allowed, "range_note": note} if allowed is not None else {}
    return option(default, help, reference=reference, **ranged)


@dataclass(frozen=True)
class Hyperparameters:
    """What changes the trained model or the eval recorded with it: hashed into the run key."""

    # --- what to train
    model: str = _f(
        "tiny", "Base model: a local transformers directory, 'smollm2-135m-instruct' or 'tiny'.", reference=True
    )
    # --- the objective
    loss_type: str = _f(
        "sigmoid",
        "Preference loss: sigmoid (DPO), robust, ipo, hinge, simpo, apo_zero, apo_down, nca_pair, bco_pair, sppo_hard, "
        "orpo (reference-free, with its own NLL term) or kto (on the pairs split into singles: chosen desirable, "
        "rejected undesirable) (see training/losses.py).",
    )
    beta: float = _f(
        0.1, "Inverse temperature of the implicit reward (DPO beta; IPO tau).", allowed=Range(0, low_open=True)
    )
    label_smoothing: float = _f(
        0.0,
        "Assumed label-noise rate for sigmoid (cDPO), robust and simpo; 0 = clean labels.",
        allowed=Range(0, 0.5, high_open=True),
        note="at 0.5 a label says nothing",
    )
    sft_weight: float = _f(
        0.0, "Weight of an NLL term on the chosen completions mixed into the loss (RPO); 0 = off.", allowed=Range(0)
    )
    pair_weights: bool = _f(
        False,
        "Weight each pair's loss by the snapshot's `weight` column (`upvote-dpo snapshot --weighting`), "
        "scaled to mean 1 over the train pairs: the batch loss is the mean of weight x per-pair loss "
        "(kto: both singles of a pair carry its weight, a snapshot single weighs 1).",
    )
    confidence_label_noise: bool = _f(
        False,
        "Per-pair cDPO label noise 1 - the snapshot's `confidence` (clipped to [0, 0.49]) instead of "
        "--label-smoothing; for sigmoid, robust and simpo.",
    )
    simpo_gamma: float = _f(0.5, "SimPO target reward margin gamma (only for loss_type=simpo).", allowed=Range(0))
    desirable_weight: float = _f(
        1.0, "KTO weight of the desirable examples' losses (only for loss_type=kto).", allowed=Range(0, low_open=True)
    )
    kto_data: str = _f(
        "pairs",
        "What KTO learns from: 'pairs' (each split into a desirable and an undesirable single), 'singles' "
        "(the snapshot's single replies labelled by their votes) or 'both' (only for loss_type=kto).",
    )
    undesirable_weight: float = _f(
        1.0, "KTO weight of the undesirable examples' losses (only for loss_type=kto).", allowed=Range(0, low_open=True)
    )
    reference: str = _f(
        "cached", "Reference log-probs: 'cached' (precomputed once, on disk) or 'live' (a frozen model)."
    )
    # --- optimisation
    learning_rate: float = _f(
        5e-6, "Peak AdamW learning rate (linear warm-up, then linear decay to 0).", allowed=Range(0, low_open=True)
    )
    weight_decay: float = _f(0.0, "AdamW weight decay.", allowed=Range(0))
    max_grad_norm: float = _f(1.0, "Clip the gradient norm to this value; 0 = no clipping.", allowed=Range(0))
    batch_size: int = _f(
        2, "Pairs per micro-batch (one row per pair: the prompt, then both completions).", allowed=Range(1)
    )
    grad_accum_steps: int = _f(1, "Micro-batches accumulated into one optimizer step.", allowed=Range(1))
    group_by_length: bool = _f(
        False,
        "Sort each run of 50 micro-batches of the shuffled pairs by length, so a "
        "batch pads little (as transformers' group_by_length): fewer tokens computed, "
        "but similar lengths share a step.",
    )
    epochs: int = _f(1, "Passes over the train split (ignored when max_steps > 0).", allowed=Range(0))
    max_steps: int = _f(
        0, "Stop after this many optimizer steps (cycling epochs as needed); 0 = use epochs.", allowed=Range(0)
    )
    warmup_steps: int = _f(0, "Linear learning-rate warm-up steps.", allowed=Range(0))
    max_length: int = _f(
        512,
        "Token budget of prompt+completion, applied to chosen and rejected alike.",
        reference=True,
        allowed=Range(8),
        note="a prompt tail and a completion must both fit",
    )
    system_prompt: Optional[str] = _f(
        None, "System message put before the user turn when the chat template has one.", reference=True
    )
    seed: int = _f(0, "Seed for initialisation, data order and dropout.", allowed=SEED)
    # bf16 autocast rounds every matmul: another precision trains other weights
    precision: str = _f("auto", "auto (bf16 on CUDA, fp32 on CPU), fp32 or bf16 (autocast).", reference=True)
    # --- what the recorded eval covers: the model's weights do not depend on it, its reported eval does
    eval_max_pairs: int = _f(
        0, "Evaluate on at most this many eval pairs (the first ones); 0 = all.", reference=True, allowed=Range(0)
    )
    # --- LoRA
    use_lora: bool = _f(False, "Train LoRA adapters (peft) instead of all weights; merged before saving.")
    lora_r: int = _f(16, "LoRA rank.", allowed=Range(1))
    lora_alpha: int = _f(
        32, "LoRA scaling alpha.", allowed=Range(0, low_open=True), note="the adapters' output is scaled by alpha / r"
    )
    lora_dropout: float = _f(0.0, "LoRA dropout.", allowed=Range(0, 1, high_open=True))

    def __post_init__(self):
        from training.losses import LABEL_SMOOTHED, LOSS_TYPES  # local: config stays importable on its own

        check_ranges(self)
        if self.loss_type not in LOSS_TYPES:
            raise ConfigError(f"--loss-type must be one of {sorted(LOSS_TYPES)}, got {self.loss_type!r}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"--precision must be one of {PRECISIONS}, got {self.precision!r}")
        if self.reference not in REFERENCES:
            raise ConfigError(f"--reference must be one of {REFERENCES}, got {self.reference!r}")
        if self.label_smoothing and self.loss_type not in LABEL_SMOOTHED:
            raise ConfigError(
                f"--label-smoothing applies to {sorted(LABEL_SMOOTHED)} only, not loss_type={self.loss_type!r}"
            )
        if self.kto_data not in KTO_DATA:
            raise ConfigError(f"--kto-data must be one of {KTO_DATA}, got {self.kto_data!r}")
        if self.loss_type == "kto" and self.batch_size < 2:
            # z0 borrows completions from the other pairs of a micro-batch; alone, a pair has none
            raise ConfigError(
                "--loss kto needs --batch-size >= 2 (its KL baseline pairs prompts with other pairs' replies)"
            )
        if self.loss_type == "orpo" and self.sft_weight:
            raise ConfigError("--sft-weight does not apply to --loss orpo, whose loss holds its own NLL term")
        if self.confidence_label_noise and self.loss_type not in LABEL_SMOOTHED:
            raise ConfigError(
                f"--confidence-label-noise applies to {sorted(LABEL_SMOOTHED)} only, not loss_type={self.loss_type!r}"
            )
        if self.confidence_label_noise and self.label_smoothing:
            raise ConfigError("set --label-smoothing or --confidence-label-noise, not both: each sets the label noise")
        if self.max_steps == 0 and self.epochs < 1:
            raise ConfigError("set --epochs >= 1 or --max-steps > 0")


@dataclass(frozen=True)
class RunOptions:
    """Where and how a run goes; none of it changes the model, so none of it is in the run key."""

    # --- where to read and write
    snapshot_dir: str = _f("", "Pair snapshot directory (manifest.json + dataset/ with train/eval splits).")
    out_dir: str = _f("", "Output directory: the trained model, model card, training_manifest.json, metrics.jsonl.")
    cache_dir: Optional[str] = _f(
        None, "Cache for converted models and reference log-probs (default $UPVOTE_DPO_CACHE or ~/.cache/upvote-dpo)."
    )
    # --- where it runs: the same gradients on either, to float rounding (the manifest records the device)
    device: str = _f("auto", "auto (a CUDA GPU when torch sees one, else the CPU), cpu or cuda.")
    # --- memory (neither changes the result; see training/memory.py and benchmarks/README.md)
    gradient_checkpointing: bool = _f(
        True,
        "Recompute each decoder layer's activations in the backward pass instead of "
        "keeping them: same gradients; on SmolLM2-135M (CPU, fp32, 2 pairs x 256 tokens) "
        "peak memory 4.25 -> 3.2 GB for ~15-20% fewer pairs/s.",
    )
    return_memory_to_os: bool = _f(
        False,
        "Make glibc's malloc give freed tensors back to the OS at once instead of "
        "keeping them in its heap (Linux; process-wide): SmolLM2-135M peak 3.2 -> 2.8 GB, "
        "but ~30% fewer pairs/s on the CPU (page faults).",
    )
    # --- cadence and resuming
    log_every: int = _f(1, "Log metrics every N optimizer steps.", allowed=Range(1))
    # the batch only groups the same sums: the eval and the reference log-probs agree to float rounding
    eval_batch_size: int = _f(
        8, "Pairs per batch when evaluating and precomputing reference log-probs.", allowed=Range(1)
    )
    checkpoint_every: int = _f(
        0, "Save a resumable checkpoint every N optimizer steps; 0 = only at the end.", allowed=Range(0)
    )
    resume: bool = _f(False, "Continue from the latest checkpoint in out_dir/checkpoints if there is one.")

    def __post_init__(self):
        check_ranges(self)
        if not self.snapshot_dir:
            raise ConfigError("--snapshot-dir is required")
        if not self.out_dir:
            raise ConfigError("--out-dir is required")
        if self.device not in DEVICES:
            raise ConfigError(f"--device must be one of {DEVICES}, got {self.device!r}")


@dataclass(frozen=True)
class TrainConfig(Hyperparameters, RunOptions):
    """A training run: its `Hyperparameters` and its `RunOptions`, one flat set of fields."""

    def __post_init__(self):
        RunOptions.__post_init__(self)
        Hyperparameters.__post_init__(self)

    def uses_cuda(self) -> bool:
        """Whether the run goes to a CUDA GPU: device 'cuda', or 'auto' with one visible and
        accelerate not told to use the CPU (ACCELERATE_USE_CPU, as a CPU `accelerate launch` sets)."""
        if self.device != "auto":
            return self.device == "cuda"
        import torch  # local: config stays importable without torch
        from accelerate.utils import parse_flag_from_env

        return torch.cuda.is_available() and not parse_flag_from_env("ACCELERATE_USE_CPU")

    def resolved_precision(self) -> str:
        """'fp32' or 'bf16': what `precision` means for this run (auto: bf16 on CUDA). Decided
        where it is called, without initialising CUDA: a run launched on another host (Pipes
        on Kubernetes) should set precision explicitly."""
        if self.precision != "auto":
            return self.precision
        return "bf16" if self.uses_cuda() else "fp32"

    def hyperparameters(self) -> dict:
        """The `Hyperparameters` fields as the manifest, the model card and a checkpoint record
        them, with precision resolved: 'auto' trains in bf16 on a GPU and in fp32 on the CPU."""
        return {**_values(self, Hyperparameters), "precision": self.resolved_precision()}

    def run_options(self) -> dict:
        """The `RunOptions` fields the manifest records: all but the paths, which it records as
        resolved (snapshot_dir, output.dir) or which are this host's own (cache_dir)."""
        return {k: v for k, v in _values(self, RunOptions).items() if k not in ("snapshot_dir", "out_dir", "cache_dir")}


def _values(cfg, part: type) -> dict:
    return {f.name: getattr(cfg, f.name) for f in dataclasses.fields(part)}


def differing_keys(a: dict, b: dict) -> list[str]:
    """The keys, sorted, whose values differ between a and b (missing from one included)."""
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
