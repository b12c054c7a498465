"""The resource instances: everything lives under one warehouse folder.

`<warehouse>/upvote.duckdb` (the DuckDB file), `snapshots/`, `models/`, and `incoming/`
(drop dump files here, Stack Exchange site dumps in `incoming/stackexchange/`; sensors pick them up). The folder is `$UPVOTE_DPO_HOME`, else
`data/warehouse/` in the project.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.ingest.reddit.resources import DumpArchive, RedditApi
from assets.ingest.stackexchange.resources import StackExchangeArchive
from assets.warehouse.connect import default_warehouse_dir
from assets.warehouse.resources import Warehouse


def build_resources(db_path: str | Path | None = None) -> dict:
    """Resources for a warehouse file; its folder holds the snapshots, models and incoming dumps."""
    db_path = Path(db_path) if db_path else default_warehouse_dir() / "upvote.duckdb"
    home = db_path.resolve().parent
    return {
        "warehouse": Warehouse(
            database=str(db_path.resolve()),
            snapshots_dir=str(home / "snapshots"),
            models_dir=str(home / "models"),
        ),
        "dump_archive": DumpArchive(incoming_dir=str(home / "incoming")),
        "stackexchange_archive": StackExchangeArchive(incoming_dir=str(home / "incoming" / "stackexchange")),
        "reddit_api": RedditApi(),
        # Swap for PipesK8sClient (dagster-k8s) to train on a GPU node of a cluster.
        "pipes_subprocess_client": dg.PipesSubprocessClient(),
    }
