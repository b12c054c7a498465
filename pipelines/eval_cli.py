"""`upvote-dpo eval ...` and `upvote-dpo models`: a trained model against its base, the gate,
and every model side by side.

    upvote-dpo eval [MODEL_DIR] [--baseline DIR]      the model_eval asset (default: the newest model)
    upvote-dpo eval compare RUN_OR_DIR RUN_OR_DIR ...  key figures of several models side by side
    upvote-dpo models                                  every trained model, the current one marked

`models` and `eval compare` take `--format table|json|csv` and read the warehouse only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assets.eval.gate import EvalGate
from pipelines.liveness import add_wait_argument
from training.evaluation.config import EVAL_DIR, GENERATIONS, EvalConfig
from training.flags import add_dataclass_arguments, dataclass_overrides
from training.outputs import check_model_folder

FORMATS = ("table", "json", "csv")
# The columns `models` and `eval compare` show as a table; json and csv carry them all.
TABLE_COLUMNS = (
    "run_id",
    "snapshot_id",
    "loss_type",
    "reward_accuracy",
    "reward_accuracy_low",
    "reward_accuracy_high",
    "kl_sampled",
    "ood_nll_increase",
    "length_growth",
    "gate_passed",
    "current",
)


def emit(frame, fmt: str) -> None:
    """A frame as a Markdown table (the key columns), JSON records or CSV (every column)."""
    import polars as pl

    from assets.frames import markdown

    if fmt == "json":
        print(json.dumps(frame.to_dicts(), default=str, indent=2))
    elif fmt == "csv":
        sys.stdout.write(frame.write_csv())
    else:
        table = frame.select([c for c in TABLE_COLUMNS if c in frame.columns]).with_columns(
            pl.col("run_id").str.slice(0, 12), pl.selectors.float().round(3)
        )
        print(markdown(table))


def evaluate(args, config: dict) -> None:
    """Run model_eval with `config`; print the key figures, the gate and where the replies are."""
    from assets.eval.assets import summary_rows
    from assets.warehouse.connect import connect
    from pipelines.cli import materialize

    gate_held = (
        materialize(args, ["model_eval"], run_config={"ops": {"model_eval": {"config": config}}}, checks_may_fail=True)
        is not None
    )
    with connect(args.db, read_only=True) as con:
        report, gate = con.execute(
            "SELECT report, gate FROM model_evals ORDER BY evaluated_at DESC LIMIT 1"
        ).fetchall()[0]
    report = json.loads(report)
    print(f"evaluated {report['model_dir']} against {report['base_dir']} in {report['seconds']} s:")
    for figure, value in summary_rows(report):
        print(f"  {figure}: {value}")
    for check in json.loads(gate):
        print(
            f"  gate {check['name']}: {'passed' if check['passed'] else 'FAILED'} "
            f"({check['value']} vs {check['threshold']})"
        )
    print(
        f"  {'the model passed the gate' if gate_held else 'the model did not pass the gate'}; replies side by "
        f"side: {Path(report['model_dir']) / EVAL_DIR / GENERATIONS}"
    )


def cmd_eval(args) -> None:
    from pipelines.cli import CommandError, validated

    if args.targets[:1] == ["compare"]:
        if len(args.targets) < 2:
            raise CommandError("eval compare needs at least one run id or model folder")
        from assets.eval.queries import compare

        with _read(args) as con:
            emit(compare(con, args.targets[1:]), args.format)
        return
    if len(args.targets) > 1:
        raise CommandError("eval takes one model folder (or none for the newest model); to compare, `eval compare`")
    evaluation, gate = dataclass_overrides(args, EvalConfig), dataclass_overrides(args, EvalGate)
    validated(EvalConfig, evaluation)
    validated(EvalGate, gate)
    model_dir = Path(args.targets[0]) if args.targets else None
    if model_dir is not None:
        check_model_folder(model_dir)
    evaluate(
        args,
        {
            "model_dir": str(model_dir.resolve()) if model_dir else "",
            "baseline": str(args.baseline.resolve()) if args.baseline else "",
            "evaluation": evaluation,
            "gate": gate,
        },
    )


def cmd_models(args) -> None:
    from assets.eval.queries import models

    with _read(args) as con:
        emit(models(con), args.format)


def _read(args):
    from pipelines.audit_cli import open_warehouse

    return open_warehouse(args)


def add_eval_commands(subparsers, common: argparse.ArgumentParser) -> None:
    """Add `eval` and `models` to the `upvote-dpo` subparsers; `common` defines `--db`."""
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--format", choices=FORMATS, default="table", help="output format of compare (default: table)")
    evaluation = subparsers.add_parser(
        "eval",
        parents=[common, output],
        help="evaluate a model against its base and gate it (model_eval); `eval compare A B ...` side by side",
    )
    evaluation.add_argument(
        "targets",
        nargs="*",
        metavar="MODEL_DIR",
        help="a model folder (default: the one dpo_model last produced), or `compare` and run ids or model folders",
    )
    evaluation.add_argument("--baseline", type=Path, help="the model to compare with (default: its base model)")
    add_wait_argument(evaluation)
    add_dataclass_arguments(evaluation, EvalConfig)
    add_dataclass_arguments(evaluation, EvalGate)
    evaluation.set_defaults(func=cmd_eval)
    listing = subparsers.add_parser(
        "models", parents=[common, output], help="every trained model with its key figures; the current one marked"
    )
    listing.set_defaults(func=cmd_models, writes_warehouse=False)
