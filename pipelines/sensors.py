"""Sensors: new dump files in the incoming folder become partitions and runs."""

import dagster as dg

from assets.partitions import dump_file_partitions
from assets.resources import DumpArchive
from pipelines.jobs import ingest_dump_job


@dg.sensor(job=ingest_dump_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def incoming_dump_sensor(context: dg.SensorEvaluationContext, dump_archive: DumpArchive):
    """Each file dropped into the incoming folder is added as a partition and ingested once."""
    known = set(dump_file_partitions.get_partition_keys(dynamic_partitions_store=context.instance))
    new_files = [name for name in dump_archive.dump_files() if name not in known]
    if not new_files:
        return dg.SkipReason(f"no new dump files in {dump_archive.incoming_dir}")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(partition_key=name, run_key=name) for name in new_files],
        dynamic_partitions_requests=[dump_file_partitions.build_add_request(new_files)],
    )


# Declarative automation: pairs follow new raw data, the snapshot follows checked pairs,
# and training follows a new snapshot (skipped when these settings already trained it).
pipeline_automation = dg.AutomationConditionSensorDefinition(
    "pipeline_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
