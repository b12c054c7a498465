"""The `model_eval` asset: every model `dpo_model` produces, evaluated against its base and
gated by blocking checks (`assets.eval.gate`) before anyone uses it.

The evaluation itself is `training.evaluation.evaluate_model` (torch, no Dagster), launched as
`python -m training.evaluation` through Dagster Pipes like the trainer; this asset finds the
model, reads the report the run wrote, records it, saves the plots beside it in the model's
`eval/` folder and shows the key figures, the plots and the replies side by side in the UI.
"""

import json
import sys
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from assets.automation import AFTER_CHECKED_UPSTREAM
from assets.config import command_flags, dagster_config, to_dataclass
from assets.eval import plots
from assets.eval.gate import EvalGate, gate_checks
from assets.eval.record import record_eval
from assets.frames import markdown
from assets.model.assets import dpo_model
from assets.pipes import pipes_preview_warning_ignored
from assets.warehouse.resources import WAREHOUSE_WRITER_POOL, Warehouse
from training.evaluation.config import EVAL_DIR, GENERATIONS, REPORT, EvalConfig, finished_report
from training.lifetime import launcher_env
from training.outputs import check_model_folder

EvalConfigDagster = dagster_config(EvalConfig)
EvalGateDagster = dagster_config(EvalGate)
CHECKS = {
    "accuracy_above_chance": "The implicit-reward accuracy's 95% interval lies above chance.",
    "kl_within_bound": "Per-token KL(trained || base) on sampled replies is within the bound.",
    "no_forgetting": "Per-token NLL on out-of-domain text rose no more than the bound.",
    "reply_length_stable": "Sampled replies grew no more than the bound.",
}


class ModelEvalConfig(dg.Config):
    model_dir: str = Field(default="", description="The model folder; empty: the one dpo_model last produced.")
    baseline: str = Field(default="", description="The model to compare with; empty: the base it was trained from.")
    evaluation: EvalConfigDagster = Field(default_factory=EvalConfigDagster)
    gate: EvalGateDagster = Field(default_factory=EvalGateDagster)


def latest_model_dir(instance: dg.DagsterInstance) -> Path:
    event = instance.get_latest_materialization_event(dpo_model.key)
    if event is None or event.asset_materialization is None:
        raise dg.Failure("no trained model yet: materialize dpo_model first, or set model_dir")
    return Path(event.asset_materialization.metadata["model_path"].value)


def evaluation_command(model_dir: Path, config: ModelEvalConfig) -> list[str]:
    """`python -m training.evaluation`, run through Pipes as the trainer is: where a GPU is, and
    with torch out of the Dagster process."""
    command = [sys.executable, "-m", "training.evaluation", str(model_dir)]
    if config.baseline:
        command += ["--base-dir", config.baseline]
    return command + command_flags(to_dataclass(EvalConfig, config.evaluation))


def _interval_text(interval: dict | None) -> str:
    return "n/a" if not interval else f"{interval['estimate']:.3f} [{interval['low']:.3f}, {interval['high']:.3f}]"


def summary_rows(report: dict) -> list[tuple[str, str]]:
    """The key figures, as (figure, value) rows for the UI, the CLI and the model card."""
    preference = report["preference"] or {}
    ood, replies = report["out_of_domain"], report["replies"]
    growth = replies["length_growth"]
    return [
        ("eval pairs (posts)", f"{report['eval_pairs']} ({report['eval_posts']})"),
        ("reward accuracy [95% CI]", _interval_text(preference.get("reward_accuracy"))),
        ("reward margin [95% CI]", _interval_text(preference.get("reward_margin"))),
        (
            "log-prob accuracy base -> trained",
            " -> ".join(_interval_text(preference.get("logp_accuracy", {}).get(m)) for m in ("base", "trained")),
        ),
        ("KL/token on sampled replies", _interval_text(replies["kl_sampled"])),
        (
            "out-of-domain NLL/token base -> trained",
            f"{ood['nll']['base']['estimate']:.3f} -> {ood['nll']['trained']['estimate']:.3f}",
        ),
        ("sampled reply length growth", "n/a" if growth is None else f"{growth:.2f}x"),
    ]


def generations_markdown(model_dir: Path, limit: int = 16) -> str:
    """The greedy replies of base and trained side by side, each cut to 200 characters."""
    frame = pl.read_ndjson(model_dir / EVAL_DIR / GENERATIONS)
    cut = [pl.col(name).str.slice(0, 200) for name in ("prompt", "base", "trained")]
    return markdown(frame.filter(pl.col("mode") == "greedy").select(cut).head(limit))


# In the writer pool, as dpo_model is: it records the evaluation at the end.
@dg.asset(
    deps=[dpo_model],
    pool=WAREHOUSE_WRITER_POOL,
    automation_condition=AFTER_CHECKED_UPSTREAM,
    group_name="training",
    kinds={"pytorch"},
    check_specs=[
        dg.AssetCheckSpec(name, asset="model_eval", blocking=True, description=text) for name, text in CHECKS.items()
    ],
    code_version="1",
)
def model_eval(
    context: dg.AssetExecutionContext,
    config: ModelEvalConfig,
    warehouse: Warehouse,
    pipes_subprocess_client: dg.PipesSubprocessClient,
) -> dg.MaterializeResult:
    """A trained model against its base: preference accuracy with its uncertainty, drift, fluency
    on other text and replies side by side, recorded in `model_evals`; the checks gate the model."""
    model_dir = Path(config.model_dir) if config.model_dir else latest_model_dir(context.instance)
    check_model_folder(model_dir)  # one clear error here rather than a traceback from the run
    gate = to_dataclass(EvalGate, config.gate)  # a bad threshold fails before the evaluation runs
    evaluation = to_dataclass(EvalConfig, config.evaluation)
    report = finished_report(model_dir, evaluation, config.baseline or None)
    if report is None:
        with pipes_preview_warning_ignored():
            pipes_subprocess_client.run(
                command=evaluation_command(model_dir, config), context=context, env=launcher_env()
            ).get_results()
        report = json.loads((model_dir / EVAL_DIR / REPORT).read_text())
    else:
        context.log.info(f"{model_dir / EVAL_DIR / REPORT} already evaluated this model with these settings")
    checks = gate_checks(report, gate)
    settings = {"evaluation": config.evaluation.model_dump(), "gate": config.gate.model_dump()}
    with warehouse.connect() as con:
        record_eval(con, report, checks, settings, dagster_run_id=context.run.run_id)
    folder = model_dir / EVAL_DIR
    metadata = {
        "model_path": dg.MetadataValue.path(str(model_dir)),
        "run_id": dg.MetadataValue.text(report["run_id"]),
        "summary": dg.MetadataValue.md(
            markdown(pl.DataFrame(summary_rows(report), schema=["figure", "value"], orient="row"))
        ),
        "generations": dg.MetadataValue.md(generations_markdown(model_dir)),
        "reply_lengths": plots.reply_lengths(report["replies"]["lengths"]["sampled"], folder / "reply_lengths.png"),
        "seconds": dg.MetadataValue.float(report["seconds"]),
    }
    if report["preference"]:
        metadata["accuracy_by_score_ratio"] = plots.accuracy_by_ratio(
            report["preference"], folder / "accuracy_by_ratio.png"
        )
        metadata["margins"] = plots.margin_histogram(report["preference"]["margins"], folder / "margins.png")
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            dg.AssetCheckResult(
                check_name=c.name,
                passed=c.passed,
                severity=dg.AssetCheckSeverity.ERROR,
                description=c.description,
                metadata={"value": c.value, "threshold": c.threshold},
            )
            for c in checks
        ],
    )
