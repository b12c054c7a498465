"""Command line: `python -m training --snapshot DIR --model NAME|PATH --out DIR [options]`.

Every TrainConfig field is a flag (`--loss-type`, `--max-steps`, ...; help from the field),
with short aliases --snapshot, --out and --loss; `--help` lists the hyper-parameters and the
run options apart (training/config.py). Booleans are `--resume` / `--no-resume`.
Under `accelerate launch` the same command trains on several processes (DDP; on CPUs:
`ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes N -m training ...`,
since accelerate's `--cpu` starts a single process).

When started by Dagster Pipes (PipesSubprocessClient; `dagster_pipes`, imported only then), the run opens the Pipes channel,
forwards each logged step through `context.log` and `context.report_custom_message`, and
ends with `context.report_asset_materialization` carrying the model path, snapshot id, eval
before/after and final metrics. Outside Pipes it prints a JSON summary on the last line.
It stops (SIGTERM) when the process that launched it is gone (training/lifetime.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path

from training.config import Hyperparameters, RunOptions, TrainConfig
from training.errors import ERROR_FILE_ENV, UserError
from training.flags import add_dataclass_arguments, closed_stdout_ends_quietly, dataclass_overrides
from training.lifetime import stop_with_launcher

ALIASES = {"snapshot_dir": ["--snapshot"], "out_dir": ["--out"], "loss_type": ["--loss"]}
REQUIRED = ("snapshot_dir", "out_dir")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description="DPO-family training on a pair snapshot.")
    hyperparameters = parser.add_argument_group(
        "hyper-parameters", "They change the model: a resume or a reuse must match them (training/identity.py)."
    )
    add_dataclass_arguments(hyperparameters, Hyperparameters, aliases=ALIASES)
    options = parser.add_argument_group(
        "run options", "Paths, device, memory and cadence: they never change the model."
    )
    add_dataclass_arguments(options, RunOptions, aliases=ALIASES, required=REQUIRED)
    return parser


def summary(result) -> dict:
    return {
        "model_path": result.out_dir,
        "run_id": result.run_id,
        "snapshot_id": result.manifest["snapshot_id"],
        "steps": result.steps,
        "eval_before": result.eval_before,
        "eval_after": result.eval_after,
        "final_metrics": result.final_metrics,
        "truncated_pairs": result.truncated_pairs,
        "reference_cache": result.reference_cache,
    }


@closed_stdout_ends_quietly
def main(argv: list[str] | None = None) -> int:
    stop_with_launcher()  # a killed launcher leaves no trainer writing a model nothing records
    try:
        return run(argv)
    except UserError as error:
        # One line (a diverged run, a bad value): handed to a launcher that asked for it, which
        # raises it as its own; run alone, printed as `upvote-dpo` prints it.
        if report_to := os.environ.get(ERROR_FILE_ENV):
            Path(report_to).write_text(str(error))
        else:
            print(f"error: {error}", file=sys.stderr)
        return 1


def run(argv: list[str] | None = None) -> int:
    cfg = TrainConfig(**dataclass_overrides(build_parser().parse_args(argv), TrainConfig))
    from training.trainer import train  # after argument parsing: --help stays fast

    with ExitStack() as stack:
        pipes = None
        from importlib.util import find_spec

        if find_spec("dagster_pipes") is not None:
            from dagster_pipes import PipesEnvVarParamsLoader, open_dagster_pipes

            if PipesEnvVarParamsLoader().is_dagster_pipes_process():
                pipes = stack.enter_context(open_dagster_pipes())

        def on_log(step: int, metrics: dict) -> None:
            if pipes is not None:
                pipes.log.info(f"step {step}: " + ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))
                pipes.report_custom_message({"step": step, "metrics": metrics})

        result = train(cfg, on_log=on_log)
        if pipes is not None:
            meta = summary(result)
            pipes.report_asset_materialization(
                metadata={
                    "model_path": {"raw_value": meta["model_path"], "type": "path"},
                    "snapshot_id": meta["snapshot_id"],
                    "run_id": meta["run_id"],
                    "steps": meta["steps"],
                    "eval_before": {"raw_value": meta["eval_before"], "type": "json"},
                    "eval_after": {"raw_value": meta["eval_after"], "type": "json"},
                    "final_metrics": {"raw_value": meta["final_metrics"], "type": "json"},
                    "truncated_pairs": {"raw_value": meta["truncated_pairs"], "type": "json"},
                    "metrics_history": {"raw_value": result.history, "type": "json"},
                }
            )
        print(json.dumps(summary(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
