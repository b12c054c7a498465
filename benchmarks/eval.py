"""The model evaluation on a trained model: each phase's time, and the scoring pass against
the textbook computation (each sequence's full-vocabulary logits, log_softmax) as the peer.

    .venv/bin/python -m benchmarks.eval [--model-dir data/warehouse/models/<id>]

Without --model-dir it takes the newest model `make demo` wrote. Each contender runs in its
own process (benchmarks.harness): the whole `evaluate_model` with its defaults, then ours and
the peer scoring the same sequences (the out-of-domain passages and the eval split's chosen
replies) under both models, so their time and peak memory compare. Writes
benchmarks/results/eval.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks import harness

MODELS_DIR = Path(__file__).resolve().parents[1] / "data" / "warehouse" / "models"


def _sequences(model_dir: Path):
    """The models, tokenizer and the sequences the fluency passes score, as evaluate_model builds them."""
    from training.data import encode_pairs, load_snapshot
    from training.evaluation.run import EvalConfig, load_models, ood_sequences
    from training.outputs import read_manifest

    manifest = read_manifest(model_dir)
    hp, config = manifest["hyperparameters"], EvalConfig()
    models = load_models(model_dir, Path(manifest["base_model"]["dir"]), config, hp["precision"])
    pairs = encode_pairs(load_snapshot(manifest["snapshot_dir"]).eval, models.tokenizer, hp["max_length"])
    ood = ood_sequences(models.tokenizer, config.ood_path, config.max_ood_tokens)
    sequences = [p.prompt + p.chosen for p in pairs] + ood
    return models, sequences, [len(p.prompt) for p in pairs] + [1] * len(ood)


def _plain_scores(models, sequences, scored_from) -> float:
    """The peer: one sequence at a time, full logits of both models, log_softmax, KL over the vocabulary."""
    import torch
    import torch.nn.functional as F

    total = 0.0
    with torch.no_grad(), models.autocast():
        for sequence, start in zip(sequences, scored_from):
            ids = torch.tensor([sequence])
            log_p = F.log_softmax(models.trained(input_ids=ids).logits[0, :-1].float(), dim=-1)[start - 1 :]
            log_q = F.log_softmax(models.base(input_ids=ids).logits[0, :-1].float(), dim=-1)[start - 1 :]
            total += (log_p.exp() * (log_p - log_q)).sum().item()
    return total


def worker(kind: str, model_dir: Path) -> None:
    started = time.perf_counter()
    if kind == "evaluate_model":
        from training.evaluation.run import evaluate_model

        report = evaluate_model(model_dir)
        harness.worker_done(
            {
                "seconds": time.perf_counter() - started,
                "phases": report["timings_s"],
                "eval_pairs": report["eval_pairs"],
                "bf16": report["bf16"],
            }
        )
        return
    from training.evaluation.scores import sequence_scores

    models, sequences, scored_from = _sequences(model_dir)
    loaded = time.perf_counter()
    if kind == "ours":
        scores = sequence_scores(
            models.trained,
            models.base,
            sequences,
            scored_from,
            pad_id=models.tokenizer.pad_token_id,
            device=models.device,
            bf16=models.bf16,
        )
        kl = float(scores.kl.sum())
    else:
        kl = _plain_scores(models, sequences, scored_from)
    harness.worker_done(
        {
            "seconds": time.perf_counter() - loaded,
            "kl_sum": kl,
            "sequences": len(sequences),
            "tokens": sum(len(s) for s in sequences),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, help="a trained model folder (default: the newest demo model)")
    parser.add_argument("--worker", choices=["evaluate_model", "ours", "plain"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    model_dir = (
        args.model_dir or max(MODELS_DIR.glob("*/training_manifest.json"), key=lambda p: p.stat().st_mtime).parent
    )
    if args.worker:
        worker(args.worker, model_dir)
        return
    rows = []
    for name in ("evaluate_model", "ours", "plain"):
        result = harness.run_contender(
            name, [sys.executable, "-m", "benchmarks.eval", "--worker", name, "--model-dir", str(model_dir)]
        )
        rows.append({"contender": name, **result})
    ours, plain = rows[1], rows[2]
    ours["ratio_to_plain"] = ours["result"]["seconds"] / plain["result"]["seconds"]
    for row in rows:
        row["seconds"] = row["result"]["seconds"]
    print(
        harness.table(
            rows,
            [
                ("contender", "contender"),
                ("seconds", "seconds"),
                ("peak RSS MB", "peak_rss_mb"),
                ("ours / plain", "ratio_to_plain"),
            ],
        )
    )
    print("phases of evaluate_model (s):", rows[0]["result"]["phases"])
    print(
        "results:",
        harness.write_json("eval", {"machine": harness.machine(), "model_dir": str(model_dir), "rows": rows}),
    )


if __name__ == "__main__":
    main()
