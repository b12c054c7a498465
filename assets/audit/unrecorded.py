"""Model folders that hold a finished model the warehouse never recorded.

A model is recorded (`training_runs`) by the `dpo_model` run that launched its trainer, once
the trainer is done. A launcher killed in between, before the trainer stopped with it
(training/lifetime.py), leaves a complete folder nothing points to. `upvote-dpo audit
unrecorded` lists them; the next `dpo_model` of the same snapshot and settings reuses such
a folder and records it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from assets.audit.records import AuditError, read_training_manifest
from assets.warehouse.connect import sql_folder
from training.outputs import MANIFEST

sql = sql_folder(__file__)


def unrecorded_models(con: duckdb.DuckDBPyConnection, models_dir: str | Path) -> list[dict]:
    """Each folder under `models_dir` whose manifest says completed and whose run id is not in
    `training_runs`, oldest first. A folder without a completed manifest is a run still going
    or one that will resume: not a model yet."""
    models_dir = Path(models_dir)
    finished = {}
    for manifest_path in sorted(models_dir.glob(f"*/{MANIFEST}")) if models_dir.is_dir() else []:
        try:
            manifest = read_training_manifest(manifest_path.parent)
        except AuditError:  # written whole by the trainer: a damaged one is no finished model
            continue
        if manifest.get("status") == "completed":
            finished[manifest["run_id"]] = (manifest_path.parent, manifest)
    recorded = {row[0] for row in con.execute(sql("select_recorded_run_ids"), {"run_ids": list(finished)}).fetchall()}
    rows = [
        {
            "model_dir": str(model_dir),
            "run_id": run_id,
            "snapshot_id": manifest["snapshot_id"],
            "base_model": manifest["base_model"]["name"],
            "finished_at": manifest.get("finished_at"),
        }
        for run_id, (model_dir, manifest) in finished.items()
        if run_id not in recorded
    ]
    return sorted(rows, key=lambda row: (row["finished_at"] or "", row["model_dir"]))
