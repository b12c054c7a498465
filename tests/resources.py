"""Resources for the assets tests materialize: a warehouse in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.warehouse.resources import Warehouse


def warehouse_resources(folder: Path) -> dict:
    """The warehouse (its DuckDB file, snapshots and models under `folder`) and the Pipes client
    that launches the trainer and the evaluation."""
    return {
        "warehouse": Warehouse(
            database=str(folder / "upvote.duckdb"),
            snapshots_dir=str(folder / "snapshots"),
            models_dir=str(folder / "models"),
        ),
        "pipes_subprocess_client": dg.PipesSubprocessClient(),
    }
