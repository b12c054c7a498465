"""Command line: `python -m training.evaluation MODEL_DIR [--base-dir DIR] [--snapshot-dir DIR] [options]`.

Every EvalConfig field is a flag (`--panel-size`, `--max-new-tokens`, ...). Writes the report
and the replies into MODEL_DIR/eval/ and prints the report's key figures as JSON on the last
line. The `model_eval` asset launches it through Dagster Pipes, as `dpo_model` launches the
trainer, so the evaluation can run where a GPU is and the Dagster process never loads torch.
It stops (SIGTERM) when the process that launched it is gone (training/lifetime.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from importlib.util import find_spec

from training.evaluation.config import EvalConfig
from training.flags import add_dataclass_arguments, closed_stdout_ends_quietly, dataclass_overrides
from training.lifetime import stop_with_launcher


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m training.evaluation", description="A trained model against its base model."
    )
    parser.add_argument("model_dir", help="the trained model's folder (holding training_manifest.json)")
    parser.add_argument("--base-dir", help="the model to compare with (default: the base it was trained from)")
    parser.add_argument("--snapshot-dir", help="the snapshot to evaluate on (default: its training snapshot)")
    add_dataclass_arguments(parser, EvalConfig)
    return parser


@closed_stdout_ends_quietly
def main(argv: list[str] | None = None) -> int:
    stop_with_launcher()  # a killed launcher leaves no evaluation running on
    args = build_parser().parse_args(argv)
    config = EvalConfig(**dataclass_overrides(args, EvalConfig))
    from training.evaluation.run import evaluate_model  # after argument parsing: --help stays fast

    with ExitStack() as stack:
        if find_spec("dagster_pipes") is not None:
            from dagster_pipes import PipesEnvVarParamsLoader, open_dagster_pipes

            if PipesEnvVarParamsLoader().is_dagster_pipes_process():
                pipes = stack.enter_context(open_dagster_pipes())
                pipes.log.info(f"evaluating {args.model_dir}")
        report = evaluate_model(args.model_dir, base_dir=args.base_dir, snapshot_dir=args.snapshot_dir, config=config)
    print(
        json.dumps({"model_dir": report["model_dir"], "seconds": report["seconds"], "timings_s": report["timings_s"]})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
