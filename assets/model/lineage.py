"""Lineage records: which snapshot a model trained on, and every pair (and single) it saw.

The trainer's `training_manifest.json` is the source of truth; recording it in the
warehouse makes it queryable next to the pairs, comments and snapshots it came from.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa

from assets.warehouse.connect import sql_folder, transaction
from training.outputs import files_digest, read_manifest

sql = sql_folder(__file__)


def record_training_run(con: duckdb.DuckDBPyConnection, model_dir: str | Path, dagster_run_id: str | None) -> str:
    """Record a finished run from its model folder's manifest, in one transaction; returns its run id.

    A run already recorded is left as it is, its Dagster run id included: a model reused by a
    later materialization is still the one the earlier Dagster run trained."""
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    pairs, singles = (
        pa.Table.from_pylist(
            manifest.get(name, []),  # "singles": KTO on singles only (training/kto.py)
            schema=pa.schema(
                [(key, pa.string()), ("epoch", pa.int32()), ("first_step", pa.int32()), ("times_seen", pa.int32())]
            ),
        )
        for name, key in (("pairs", "pair_id"), ("singles", "single_id"))
    )
    con.register("manifest_pairs", pairs)
    con.register("manifest_singles", singles)
    try:
        with transaction(con):
            con.execute(
                sql("insert_into_training_runs"),
                {
                    "run_id": manifest["run_id"],
                    "dagster_run_id": dagster_run_id,
                    "snapshot_id": manifest["snapshot_id"],
                    "base_model": manifest["base_model"]["name"],
                    "base_model_sha256": manifest["base_model"].get("weights_sha256"),
                    "hyperparameters": json.dumps(manifest["hyperparameters"]),
                    "model_path": str(model_dir.resolve()),
                    "model_sha256": manifest["output"]["weights_sha256"],
                    "model_files_sha256": files_digest(files)
                    if (files := manifest["output"].get("files_sha256"))
                    else None,
                    "code_version": manifest["code_version"],
                    "started_at": manifest["started_at"],
                    "finished_at": manifest["finished_at"],
                    "status": manifest["status"],
                    "final_metrics": json.dumps(manifest["final_metrics"]),
                },
            )
            con.execute(sql("insert_into_training_run_pairs"), {"run_id": manifest["run_id"]})
            con.execute(sql("insert_into_training_run_singles"), {"run_id": manifest["run_id"]})
    finally:
        con.unregister("manifest_pairs")
        con.unregister("manifest_singles")
    return manifest["run_id"]
