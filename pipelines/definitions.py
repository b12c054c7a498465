"""The one place that builds the Dagster `Definitions`; everything here only gathers.

`dagster dev` in the project root loads `defs` through workspace.yaml.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.audit import assets as audit
from assets.eval import assets as evaluation
from assets.ingest import assets as ingest
from assets.ingest.stackexchange import assets as stackexchange
from assets.model import assets as model
from assets.pairs import assets as pairs
from assets.pairs.stackexchange import assets as stackexchange_pairs
from assets.singles import assets as singles
from assets.snapshot import assets as snapshot
from pipelines.jobs import build_dataset_job, ingest_dump_job, ingest_live_job, ingest_stackexchange_job, train_job
from pipelines.resources import build_resources
from pipelines.schedules import daily_live_ingest
from pipelines.sensors import dead_run_sensor, incoming_dump_sensor, incoming_stackexchange_sensor, pipeline_automation


def build_definitions(db_path: str | Path | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules(
            [ingest, stackexchange, pairs, stackexchange_pairs, singles, snapshot, model, evaluation, audit]
        ),
        jobs=[ingest_dump_job, ingest_stackexchange_job, ingest_live_job, build_dataset_job, train_job],
        schedules=[daily_live_ingest],
        sensors=[incoming_dump_sensor, incoming_stackexchange_sensor, pipeline_automation, dead_run_sensor],
        resources=build_resources(db_path),
    )


defs = build_definitions()
