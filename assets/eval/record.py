"""Recording an evaluation in the warehouse's `model_evals`, keyed by training run and baseline."""

from __future__ import annotations

import dataclasses
import json

import duckdb

from assets.eval.gate import GateCheck
from assets.warehouse.connect import sql_folder

sql = sql_folder(__file__)


def record_eval(
    con: duckdb.DuckDBPyConnection,
    report: dict,
    checks: list[GateCheck],
    settings: dict,
    dagster_run_id: str | None = None,
) -> None:
    preference = report["preference"] or {}

    def estimate(*path):
        value = preference
        for key in path:
            value = (value or {}).get(key)
        return value

    con.execute(
        sql("insert_into_model_evals"),
        {
            "run_id": report["run_id"],
            "baseline": report["base_dir"],
            "model_path": report["model_dir"],
            "dagster_run_id": dagster_run_id,
            "settings": json.dumps(settings),
            "eval_pairs": report["eval_pairs"],
            "reward_accuracy": estimate("reward_accuracy", "estimate"),
            "reward_accuracy_low": estimate("reward_accuracy", "low"),
            "reward_accuracy_high": estimate("reward_accuracy", "high"),
            "reward_margin": estimate("reward_margin", "estimate"),
            "logp_accuracy_base": estimate("logp_accuracy", "base", "estimate"),
            "logp_accuracy": estimate("logp_accuracy", "trained", "estimate"),
            "kl_sampled": report["replies"]["kl_sampled"]["estimate"],
            "ood_nll_increase": report["out_of_domain"]["nll_increase"],
            "length_growth": report["replies"]["length_growth"],
            "gate_passed": all(check.passed for check in checks),
            "gate": json.dumps([dataclasses.asdict(check) for check in checks]),
            "report": json.dumps(report),
        },
    )
