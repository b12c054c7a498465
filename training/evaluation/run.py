"""Evaluate a trained model against its base model: `evaluate_model(model_dir)`.

On the snapshot's eval split and a seeded panel of its prompts, for the trained model and the
base it started from (the model's manifest names both):

- preference: implicit-reward accuracy and mean margin (beta * the policy-minus-base log-ratio
  of chosen minus rejected, as DPO defines the reward), each with a 95% bootstrap interval
  resampled by post; accuracy by score-ratio bucket and by community; log-prob accuracy
  (length-normalised, the model alone) for base and trained; the reward's length bias;
- drift: per-token KL(trained || base) on the replies the trained model samples for the panel,
  and teacher-forced on the eval split's chosen replies;
- fluency: per-token NLL of both on the chosen replies and on out-of-domain text;
- replies: greedy and sampled replies of both to the panel, written to `generations.jsonl`,
  with their length, truncation, distinct-2 and repetition.

The same model, snapshot and settings give the same numbers: every draw is seeded.
"""

from __future__ import annotations

import json
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from training.data import encode_pairs, encode_prompt, fit_prompt, leading_bos_id, load_snapshot
from training.evaluation.config import EVAL_DIR, GENERATIONS, REPORT, EvalConfig
from training.evaluation.generate import generate_replies
from training.evaluation.scores import per_token, sequence_scores
from training.evaluation.stats import (
    cluster_bootstrap,
    grouped_accuracy,
    length_bias,
    ratio_bucket_labels,
    reply_stats,
)
from training.logps import SequenceLogProbs, pair_logps
from training.models import load_model_and_tokenizer
from training.outputs import read_manifest


@dataclass
class LoadedModels:
    trained: torch.nn.Module
    base: torch.nn.Module
    tokenizer: object
    device: torch.device
    bf16: bool

    def autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16) if self.bf16 else nullcontext()


def _interval(values, clusters, config: EvalConfig) -> dict:
    return cluster_bootstrap(values, clusters, resamples=config.bootstrap_resamples, seed=config.seed).as_dict()


def _preference(models: LoadedModels, pairs, rows: dict, beta: float, config: EvalConfig) -> dict:
    """Implicit-reward and log-prob accuracy of the eval pairs, as in the module docstring."""
    pad_id = models.tokenizer.pad_token_id
    with models.autocast():
        trained, base = (
            pair_logps(SequenceLogProbs(model), pairs, config.batch_size, pad_id, models.device).numpy()
            for model in (models.trained, models.base)
        )
    lengths = np.array([[len(p.chosen), len(p.rejected)] for p in pairs], dtype=np.float64)
    margins = beta * ((trained[:, 0] - base[:, 0]) - (trained[:, 1] - base[:, 1]))
    correct = margins > 0
    posts = rows["post_id"]
    logp_correct = {
        name: (lp[:, 0] / lengths[:, 0] > lp[:, 1] / lengths[:, 1])
        for name, lp in (("base", base), ("trained", trained))
    }
    buckets = ratio_bucket_labels(rows["score_ratio"])
    return {
        "reward_accuracy": _interval(correct, posts, config),
        "reward_margin": _interval(margins, posts, config),
        "logp_accuracy": {name: _interval(c, posts, config) for name, c in logp_correct.items()},
        "by_score_ratio": grouped_accuracy(correct, buckets),
        "logp_by_score_ratio": {name: grouped_accuracy(c, buckets) for name, c in logp_correct.items()},
        "by_community": grouped_accuracy(correct, rows["subreddit"]),
        "length_bias": length_bias(margins, lengths[:, 0], lengths[:, 1]),
        "margins": margins.tolist(),
        "score_ratios": [float(r) for r in rows["score_ratio"]],
    }


def _fluency(models: LoadedModels, sequences, scored_from, clusters, config: EvalConfig) -> dict:
    """Per-token NLL of both models and KL(trained || base) over the scored tokens."""
    scores = sequence_scores(
        models.trained,
        models.base,
        sequences,
        scored_from,
        pad_id=models.tokenizer.pad_token_id,
        batch_size=config.batch_size,
        device=models.device,
        bf16=models.bf16,
    )
    keep = scores.tokens > 0
    tokens, keep_clusters = scores.tokens[keep], np.asarray(clusters)[keep]
    nll = {
        name: _interval(per_token(total[keep], tokens), keep_clusters, config)
        for name, total in (("base", scores.nll_base), ("trained", scores.nll_policy))
    }
    return {
        "nll": nll,
        "nll_increase": nll["trained"]["estimate"] - nll["base"]["estimate"],
        "kl": _interval(per_token(scores.kl[keep], tokens), keep_clusters, config),
        "tokens": int(tokens.sum()),
    }


def _panel(snapshot, size: int, seed: int) -> list[str]:
    """`size` distinct prompts, eval split first (then train), drawn with `seed`."""
    panel: list[str] = []
    for split in (snapshot.eval, snapshot.train):
        prompts = sorted(set(split["prompt"]) - set(panel))
        rng = np.random.default_rng(seed)
        panel += [prompts[i] for i in rng.permutation(len(prompts))[: size - len(panel)]]
    return panel


def _replies(models: LoadedModels, prompts: list[str], hp: dict, config: EvalConfig, out_dir: Path) -> dict:
    """Greedy and sampled replies of both models to the panel, their statistics, the KL on the
    trained model's samples; the replies go to `generations.jsonl`. A prompt is cut as in
    training, so that it and a full reply fit the run's max_length."""
    tokenizer, bos = models.tokenizer, leading_bos_id(models.tokenizer)
    encoded = [
        fit_prompt(encode_prompt(tokenizer, p, hp.get("system_prompt")), config.max_new_tokens, hp["max_length"], bos)
        for p in prompts
    ]
    options = dict(
        max_new_tokens=config.max_new_tokens, seed=config.seed, batch_size=config.batch_size, device=models.device
    )
    with models.autocast():
        replies = {
            (mode, name): generate_replies(model, tokenizer, encoded, sample=mode == "sampled", **options)
            for mode in ("greedy", "sampled")
            for name, model in (("base", models.base), ("trained", models.trained))
        }
    with open(out_dir / GENERATIONS, "w") as fh:
        for mode in ("greedy", "sampled"):
            for i, prompt in enumerate(prompts):
                fh.write(
                    json.dumps(
                        {
                            "mode": mode,
                            "prompt": prompt,
                            **{name: tokenizer.decode(replies[mode, name][i]) for name in ("base", "trained")},
                        }
                    )
                    + "\n"
                )
    stats = {
        mode: {name: reply_stats(replies[mode, name], config.max_new_tokens) for name in ("base", "trained")}
        for mode in ("greedy", "sampled")
    }
    sampled = replies["sampled", "trained"]
    drift = _fluency(
        models, [p + r for p, r in zip(encoded, sampled)], [len(p) for p in encoded], range(len(prompts)), config
    )
    base_len = stats["sampled"]["base"]["mean_tokens"]
    growth = stats["sampled"]["trained"]["mean_tokens"] / base_len if base_len else None
    lengths = {
        mode: {name: [len(r) for r in replies[mode, name]] for name in ("base", "trained")}
        for mode in ("greedy", "sampled")
    }
    return {"stats": stats, "lengths": lengths, "kl_sampled": drift["kl"], "length_growth": growth}


def ood_sequences(tokenizer, path: str, max_tokens: int) -> list[list[int]]:
    with open(path) as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]
    return [tokenizer(text)["input_ids"][:max_tokens] for text in texts]


def load_models(model_dir: Path, base_dir: Path, config: EvalConfig, trained_precision: str) -> LoadedModels:
    device = torch.device(
        "cuda"
        if config.device == "auto" and torch.cuda.is_available()
        else "cpu"
        if config.device == "auto"
        else config.device
    )
    trained, tokenizer = load_model_and_tokenizer(model_dir)
    base, _ = load_model_and_tokenizer(base_dir)
    bf16 = trained_precision == "bf16" if config.bf16 is None else config.bf16
    return LoadedModels(trained.to(device), base.to(device), tokenizer, device, bf16)


class _Timer:
    """Seconds per phase, for the report (and the benchmark)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, phase: str, work, *args, **kwargs):
        started = time.perf_counter()
        result = work(*args, **kwargs)
        self.seconds[phase] = round(time.perf_counter() - started, 2)
        return result


def evaluate_model(
    model_dir: str | Path,
    *,
    base_dir: str | Path | None = None,
    snapshot_dir: str | Path | None = None,
    config: EvalConfig | None = None,
) -> dict:
    """Evaluate the model in `model_dir` against `base_dir` (default: the base it was trained
    from) on `snapshot_dir` (default: its training snapshot); writes `eval/eval.json` and
    `eval/generations.jsonl` in the model folder and returns the report."""
    config = config or EvalConfig()
    timer = _Timer()
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    hp = manifest["hyperparameters"]
    base_dir = Path(base_dir or manifest["base_model"]["dir"])
    snapshot = load_snapshot(snapshot_dir or manifest["snapshot_dir"])
    models = timer("load", load_models, model_dir, base_dir, config, hp.get("precision", "fp32"))
    out_dir = model_dir / EVAL_DIR
    out_dir.mkdir(exist_ok=True)
    rows = snapshot.eval.to_dict()
    pairs = encode_pairs(snapshot.eval, models.tokenizer, hp["max_length"], hp.get("system_prompt"))
    ood = ood_sequences(models.tokenizer, config.ood_path, config.max_ood_tokens)
    panel = _panel(snapshot, config.panel_size, config.seed)
    report = {
        "model_dir": str(model_dir.resolve()),
        "base_dir": str(base_dir.resolve()),
        "run_id": manifest["run_id"],
        "snapshot_id": snapshot.snapshot_id,
        "loss_type": hp["loss_type"],
        "data_kind": manifest.get("data_kind", "pairs"),  # older manifests: every loss trained on pairs
        "eval_pairs": len(pairs),
        "eval_posts": len(set(rows["post_id"])),
        "config": asdict(config),
        "bf16": models.bf16,
        "preference": timer("preference", _preference, models, pairs, rows, hp["beta"], config) if pairs else None,
        "chosen_replies": timer(
            "chosen_replies",
            _fluency,
            models,
            [p.prompt + p.chosen for p in pairs],
            [len(p.prompt) for p in pairs],
            rows["post_id"],
            config,
        )
        if pairs
        else None,
        "out_of_domain": timer("out_of_domain", _fluency, models, ood, [1] * len(ood), range(len(ood)), config),
        "replies": timer("replies", _replies, models, panel, hp, config, out_dir),
    }
    report["timings_s"] = timer.seconds
    report["seconds"] = round(sum(timer.seconds.values()), 1)
    (out_dir / REPORT).write_text(json.dumps(report, indent=2))
    return report
