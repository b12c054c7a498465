"""DPO-family preference training: `train(cfg, on_log=None) -> TrainResult`.

One explicit recipe, top to bottom: setup (snapshot, tokenisation, model, optimizer,
reference log-probs), evaluate before, the step loop (gradient accumulation, logging,
checkpoints), evaluate after, save (model, model card, manifest).

Features and assumptions
  * losses from training.losses (sigmoid/cDPO, robust, ipo, hinge, simpo, apo_zero, apo_down, nca_pair,
  * losses from training.losses (sigmoid/cDPO, robust, ipo, hinge, simpo, apo_zero, apo_down, nca_pair,
    bco_pair, sppo_hard, orpo, + RPO's sft term); optionally each pair weighted, and its label noise
    set, by the snapshot's pair weights (training/pair_weights.py); and kto on singles or the pairs
    split into singles, with its KL baseline from mismatched rows of each batch (training/kto.py);
  * one forward per batch, one row per pair: the prompt once, then the chosen and the
    rejected completion, each seeing only the prompt and itself (training.data.collate);
    log-probs on the completion positions only (training.logps), never full-vocabulary
    logits for the batch;
  * reference log-probs cached on disk per (snapshot, base model, tokens) or a live frozen
    model; with LoRA the reference is the same model with adapters off;
  * the device: CUDA + bf16 autocast when a GPU is present (`device`, `precision`: auto), else
    the CPU, fp32 or bf16 autocast on request. Under `accelerate launch`, each optimizer
    step's micro-batches are dealt round-robin to the processes; evaluation runs whole on
    every process;
  * memory: decoder layers' activations recomputed in the backward (`gradient_checkpointing`,
    on by default), gradients set to None after each step, the LM head run 256 tokens at a
    time with one logits buffer alive (training.logps' hand-written backward);
    `return_memory_to_os` (off: it costs time) also stops glibc hoarding freed tensors
    (training.memory). What remains is fp32 weights + gradients + AdamW's two states;
  * the batch order is a pure function of (seed, step), so the data position is the step and
    `resume=True` continues exactly where a killed run stopped;
  * metrics named like TRL's; `on_log(step, metrics)` forwards them (CLI, Dagster Pipes).

    python -m training --snapshot DIR --model tiny --out DIR --max-steps 20
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import torch
from accelerate.utils import set_seed
from tqdm.auto import tqdm

from training import checkpoint, outputs
from training.config import TrainConfig
from training.data import EncodedPair, collate, leading_bos_id, load_snapshot, model_inputs
from training.errors import UserError
from training.identity import RunIdentity
from training.kto import batch_loss, data_kind, kl_baseline
from training.logps import attention_kernels, pair_logps
from training.losses import LOSSES, sft_loss
from training.memory import return_large_frees_to_os
from training.models import cached_weights_sha256, resolve_model_dir
from training.pair_weights import batch_terms, check_columns
from training.reference import Reference, setup_reference
from training.schedule import linear_schedule, log_window, micro_batches, steps_per_epoch, total_steps
from training.setup import build_policy, encode_splits, make_accelerator

OnLog = Callable[[int, dict], None]


@dataclass
class TrainResult:
    out_dir: str
    run_id: str
    status: str
    steps: int
    final_metrics: dict
    eval_before: dict
    eval_after: dict
    history: list[dict]
    truncated_pairs: dict
    reference_cache: str  # "hit", "computed", "live" or "none" (reference-free loss)
    manifest: dict = field(repr=False)


# ---------------------------------------------------------------- loss, step, evaluation


def preference_loss(
    cfg: TrainConfig, logps, lengths, ref_logps, weights=None, label_noise=None, kl=None
) -> tuple[torch.Tensor, dict, torch.Tensor]:
    """Loss of one concatenated batch: logps, lengths (2B,) [chosen; rejected], ref_logps (B, 2) or None;
    weights (B,): the mean of weight x per-pair loss, a chosen token weighing its pair's weight in the
    SFT term (None: the plain mean); label_noise (B,): each pair's label-smoothing rate (None:
    cfg.label_smoothing for all); for kto, `kl` the log-probs of the batch's mismatched rows
    (training/kto.py). Returns (loss, TRL-named metrics, per-pair losses
    before weighting)."""
    if cfg.loss_type == "kto":
        return batch_loss(cfg, logps, lengths, ref_logps, kl, weights)
    pc, pr = logps.float().chunk(2)
    lc, lr = lengths.chunk(2)
    rc, rr = (ref_logps[:, 0], ref_logps[:, 1]) if ref_logps is not None else (None, None)
    smoothing = cfg.label_smoothing if label_noise is None else label_noise
    losses, chosen_r, rejected_r = LOSSES[cfg.loss_type](
        pc, pr, rc, rr, lc, lr, beta=cfg.beta, label_smoothing=smoothing, gamma=cfg.simpo_gamma
    )
    loss = losses.mean() if weights is None else (weights * losses).mean()
    metrics = {}
    if cfg.sft_weight > 0:
        nll = sft_loss(pc, lc) if weights is None else sft_loss(weights * pc, weights * lc)
        loss = loss + cfg.sft_weight * nll
        metrics["nll_loss"] = nll.item()
    metrics.update(
        {
            "loss": loss.item(),
            "rewards/chosen": chosen_r.mean().item(),
            "rewards/rejected": rejected_r.mean().item(),
            "rewards/margins": (chosen_r - rejected_r).mean().item(),
            "rewards/accuracies": (chosen_r > rejected_r).float().mean().item(),
            "logps/chosen": pc.detach().mean().item(),
            "logps/rejected": pr.detach().mean().item(),
        }
    )
    return loss, metrics, losses.detach()


class DivergedError(UserError):
    """The loss or the gradient of a step is not finite: the run fails instead of training on."""


def check_finite(metrics: dict, step: int) -> None:
    """Refuse a step whose loss or gradient norm is nan or inf, before the optimizer applies it:
    every later step would be nan too, and the run would still be recorded as completed."""
    bad = {name: metrics[name] for name in ("loss", "grad_norm") if not math.isfinite(metrics[name])}
    if bad:
        raise DivergedError(
            f"training diverged at step {step}: {', '.join(f'{k} is {v}' for k, v in bad.items())}; "
            "lower --learning-rate or --beta, or set --max-grad-norm (the last checkpoint saved is kept)"
        )


def train_step(
    model, optimizer, scheduler, accelerator, cfg, batches, pairs, ref: Reference, pad_id, step: int = 1
) -> dict:
    """Optimizer step `step` (1-based) over this process's share of `batches` (gradient
    accumulation). Each micro-batch's loss is weighted by its share of the step's pairs, so the
    gradient is that of the mean over all pairs of the step, whatever the micro-batch sizes.
    A non-finite loss or gradient raises `DivergedError` before the weights change."""
    total = sum(len(b) for b in batches)
    mine = batches[accelerator.process_index :: accelerator.num_processes]
    weights = [len(b) / total * accelerator.num_processes for b in mine]  # DDP averages over processes
    if not mine:  # a short final step: take part in the gradient all-reduce with a zero weight
        mine, weights = batches[:1], [0.0]
    stats = defaultdict(float)
    for i, (idx, weight) in enumerate(zip(mine, weights)):
        batch = collate([pairs[j] for j in idx], pad_id)
        sync = accelerator.no_sync(model) if i < len(mine) - 1 else nullcontext()
        kl = ref.kl.terms(model, "train", idx, pairs) if ref.kl else None  # before the forward whose backward follows
        with sync, attention_kernels(accelerator.device):
            logps = model(*model_inputs(batch, accelerator.device))
            lengths = batch["completion_lengths"].to(accelerator.device)
            weights, label_noise = batch_terms(cfg, [pairs[j] for j in idx], accelerator.device)
            loss, metrics, _ = preference_loss(
                cfg, logps, lengths, ref.get("train", idx, pairs), weights, label_noise, kl
            )
            accelerator.backward(loss * weight)
        for name, value in metrics.items():
            stats[name] += value * weight / accelerator.num_processes
    names = sorted(stats)
    reduced = accelerator.reduce(torch.tensor([stats[n] for n in names], device=accelerator.device), "sum")
    metrics = dict(zip(names, reduced.tolist()))
    # an infinite bound measures the norm without clipping (the check needs it either way)
    max_norm = cfg.max_grad_norm if cfg.max_grad_norm > 0 else math.inf
    grad_norm = float(accelerator.clip_grad_norm_(model.parameters(), max_norm))
    check_finite({**metrics, "grad_norm": grad_norm}, step)
    if cfg.max_grad_norm > 0:
        metrics["grad_norm"] = grad_norm
    metrics["learning_rate"] = scheduler.get_last_lr()[0]
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return metrics


@torch.no_grad()
def evaluate(model, accelerator, cfg, pairs: list[EncodedPair], ref: Reference, pad_id) -> dict:
    """Preference metrics on the eval split: loss, implicit-reward accuracy and margin, and the
    share of pairs whose chosen reply has the higher length-normalised log-prob. The loss is the
    plain mean over the pairs, even under `pair_weights`, so that runs weighted differently
    compare; a per-pair label noise applies, being part of each pair's loss."""
    if not pairs:
        return {"eval/pairs": 0}
    logps = pair_logps(model, pairs, cfg.eval_batch_size, pad_id, accelerator.device)
    lengths = torch.tensor([[len(p.chosen), len(p.rejected)] for p in pairs], dtype=torch.float32)
    everything = list(range(len(pairs)))
    ref_logps = ref.get("eval", everything, pairs)
    kl = tuple(t.cpu() for t in ref.kl.terms(model, "eval", everything, pairs)) if ref.kl else None
    _, label_noise = batch_terms(cfg, pairs, "cpu")
    _, m, losses = preference_loss(
        cfg,
        logps.T.reshape(-1),
        lengths.T.reshape(-1),
        None if ref_logps is None else ref_logps.cpu(),
        label_noise=label_noise,
        kl=kl,
    )
    avg = logps / lengths
    m = {f"eval/{k}": v for k, v in m.items()}
    m.update(
        {
            "eval/loss": losses.mean().item(),
            "eval/logps/accuracies": (avg[:, 0] > avg[:, 1]).float().mean().item(),
            "eval/pairs": len(pairs),
        }
    )
    return m


# ---------------------------------------------------------------- setup and the run


def record_seen(seen: dict, pairs: list[EncodedPair], batches: list[list[int]], epoch: int, step: int) -> None:
    for idx in batches:
        for i in idx:
            entry = seen.setdefault(
                pairs[i].pair_id, {"pair_id": pairs[i].pair_id, "epoch": epoch, "first_step": step, "times_seen": 0}
            )
            entry["times_seen"] += 1


def start_state(
    cfg: TrainConfig,
    identity: RunIdentity,
    base_sha: str,
    accelerator,
    model,
    optimizer,
    scheduler,
    evaluate_before: Callable[[], dict],
) -> dict:
    """The run state: the latest checkpoint's under `resume` (if one of this identity), else a new run's."""
    last = checkpoint.latest_checkpoint(cfg.out_dir) if cfg.resume else None
    if last is not None:
        state = checkpoint.load_checkpoint(last, accelerator.unwrap_model(model), optimizer, scheduler)
        checkpoint.check_same_run(state, last, identity)
    else:
        # "window": the step metrics since the last log line, averaged into the next one.
        state = {
            "run_id": uuid.uuid4().hex,
            "started_at": outputs.now(),
            "step": 0,
            "history": [],
            "window": [],
            "seen": {},
            "snapshot_id": identity.snapshot_id,
            "hyperparameters": identity.hyperparameters,
            "base_weights_sha256": base_sha,
            "eval_before": evaluate_before(),
        }
    if accelerator.is_main_process:
        outputs.write_metrics(cfg.out_dir, state["history"])  # drop lines logged after the checkpoint
    state.setdefault("window", [])  # a checkpoint from before it was kept: nothing pending
    return state


def run_steps(cfg, accelerator, model, optimizer, scheduler, splits, ref, pad_id, state, n_steps, on_log) -> None:
    """The step loop from `state["step"]` to `n_steps`: train, record the pairs seen, log, and
    checkpoint every `checkpoint_every` steps."""
    out_dir = Path(cfg.out_dir)
    spe = steps_per_epoch(len(splits["train"]), cfg, accelerator.num_processes)
    lengths = [p.row_length for p in splits["train"]]
    model.train()
    # closed on every exit: a bar left open by a failed step prints itself again at interpreter exit
    with tqdm(total=n_steps, initial=state["step"], desc="dpo", disable=not accelerator.is_local_main_process) as bar:
        while state["step"] < n_steps:
            epoch, batches = micro_batches(len(splits["train"]), cfg, state["step"], accelerator.num_processes, lengths)
            state["window"].append(
                train_step(
                    model,
                    optimizer,
                    scheduler,
                    accelerator,
                    cfg,
                    batches,
                    splits["train"],
                    ref,
                    pad_id,
                    state["step"] + 1,
                )
            )
            record_seen(state["seen"], splits["train"], batches, epoch, state["step"])
            state["step"] += 1
            bar.update(1)
            logged = log_window(state, n_steps, spe, cfg.log_every)
            if logged is not None:
                bar.set_postfix(loss=f"{logged['loss']:.4f}", acc=f"{logged['rewards/accuracies']:.2f}")
                if accelerator.is_main_process:
                    outputs.append_metrics(out_dir, logged)
            if cfg.checkpoint_every and state["step"] % cfg.checkpoint_every == 0 and state["step"] < n_steps:
                if accelerator.is_main_process:
                    checkpoint.save_checkpoint(
                        out_dir, state["step"], accelerator.unwrap_model(model), optimizer, scheduler, state
                    )
                accelerator.wait_for_everyone()
            if logged is not None and on_log is not None:
                on_log(state["step"], logged)


def train(cfg: TrainConfig, on_log: Optional[OnLog] = None) -> TrainResult:
    if cfg.return_memory_to_os:
        return_large_frees_to_os()  # before anything large is allocated (a GGUF conversion included)
    accelerator, precision = make_accelerator(cfg)
    set_seed(cfg.seed)
    out_dir = Path(cfg.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    snapshot = load_snapshot(cfg.snapshot_dir)
    check_columns(cfg, snapshot)
    # Converted models are built once, by the main process: under torch.distributed,
    # save_pretrained writes weights on rank 0 only, so another rank's build has none.
    with accelerator.main_process_first():
        base_dir = resolve_model_dir(cfg.model, cfg.cache_dir)
    base_sha = cached_weights_sha256(base_dir, cfg.cache_dir)  # as the run identity reads it
    identity = RunIdentity.of(cfg, snapshot.snapshot_id)
    model, tokenizer = build_policy(cfg, base_dir)
    pad_id = tokenizer.pad_token_id
    splits = encode_splits(cfg, snapshot, tokenizer)
    n_steps = total_steps(len(splits["train"]), cfg, accelerator.num_processes)
    # fused: one kernel over all parameters instead of torch's per-tensor loop (a measurable
    # share of a SmolLM2 step on the CPU, see benchmarks/README.md); CPU and CUDA both support it.
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=cfg.learning_rate,
        weight_decay=cfg.weight_decay,
        fused=True,
    )
    scheduler = linear_schedule(optimizer, cfg.warmup_steps, n_steps)
    model, optimizer = accelerator.prepare(model, optimizer)
    ref, ref_status = setup_reference(cfg, accelerator, model, splits, identity, base_sha, pad_id)
    if cfg.loss_type == "kto":
        ref.kl = kl_baseline(cfg, accelerator, model, splits, ref, pad_id, leading_bos_id(tokenizer), n_steps)
    state = start_state(
        cfg,
        identity,
        base_sha,
        accelerator,
        model,
        optimizer,
        scheduler,
        lambda: evaluate(model, accelerator, cfg, splits["eval"], ref, pad_id),
    )

    run_steps(cfg, accelerator, model, optimizer, scheduler, splits, ref, pad_id, state, n_steps, on_log)

    eval_after = evaluate(model, accelerator, cfg, splits["eval"], ref, pad_id)
    return finish(
        cfg,
        accelerator,
        model,
        tokenizer,
        snapshot,
        base_dir,
        base_sha,
        splits,
        state,
        eval_after,
        ref_status,
        precision,
    )


def seen_by_kind(seen: dict, rows: list[EncodedPair]) -> dict:
    """The train rows seen, as the manifest lists them: "pairs" (by pair_id) and, when KTO
    trained on singles, "singles" (by single_id), each by first step."""
    singles = {row.pair_id for row in rows if row.kind == "single"}
    ordered = sorted(seen.values(), key=lambda e: (e["first_step"], e["pair_id"]))
    listed = {"pairs": [e for e in ordered if e["pair_id"] not in singles]}
    if singles:
        listed["singles"] = [
            {"single_id": e["pair_id"], **{k: v for k, v in e.items() if k != "pair_id"}}
            for e in ordered
            if e["pair_id"] in singles
        ]
    return listed


def finish(
    cfg, accelerator, model, tokenizer, snapshot, base_dir, base_sha, splits, state, eval_after, ref_status, precision
) -> TrainResult:
    """Save the model, the manifest and the model card (main process); build the result."""
    out_dir = Path(cfg.out_dir)
    truncated = {name: sum(p.truncated for p in pairs) for name, pairs in splits.items()}
    final_metrics = state["history"][-1] if state["history"] else {}
    manifest = {
        "run_id": state["run_id"],
        "status": "completed",
        "snapshot_id": snapshot.snapshot_id,
        "snapshot_dir": str(Path(cfg.snapshot_dir).resolve()),
        "sources": snapshot.manifest.get("sources", {}),  # pairs per source and community, licences
        "weighting": outputs.pair_weighting(snapshot.manifest, cfg.hyperparameters()),
        "loss_type": cfg.loss_type,
        "data_kind": data_kind(cfg.loss_type, cfg.kto_data),
        "base_model": {"name": cfg.model, "dir": str(base_dir), "weights_sha256": base_sha},
        "code_version": outputs.code_version(),
        "hyperparameters": cfg.hyperparameters(),
        "run_options": cfg.run_options(),
        "precision": precision,
        "device": str(accelerator.device),
        "num_processes": accelerator.num_processes,
        "started_at": state["started_at"],
        "finished_at": None,
        "steps": state["step"],
        "counts": {
            **{f"{name}_pairs": sum(p.kind == "pair" for p in rows) for name, rows in splits.items()},
            **{f"{name}_singles": sum(p.kind == "single" for p in rows) for name, rows in splits.items()},
            "truncated_pairs": truncated,
        },
        "reference": {"mode": cfg.reference if ref_status != "none" else "none", "cache": ref_status},
        "final_metrics": final_metrics,
        "eval_before": state["eval_before"],
        "eval_after": eval_after,
        "output": {"dir": str(out_dir.resolve()), "weights_sha256": None, "files_sha256": None},
        "history": state["history"],
        **seen_by_kind(state["seen"], splits["train"]),
    }
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        lm = accelerator.unwrap_model(model).lm
        files = outputs.save_model(lm, tokenizer, out_dir)
        manifest["output"].update(weights_sha256=files["model.safetensors"], files_sha256=files)
        manifest["finished_at"] = outputs.now()
        outputs.write_json(out_dir / outputs.MANIFEST, manifest)
        (out_dir / outputs.MODEL_CARD).write_text(outputs.model_card(manifest))
    return TrainResult(
        str(out_dir),
        state["run_id"],
        "completed",
        state["step"],
        final_metrics,
        state["eval_before"],
        eval_after,
        state["history"],
        truncated,
        ref_status,
        manifest,
    )
