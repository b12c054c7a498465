"""Sensors: new dump files (Reddit) and site dumps (Stack Exchange) in the incoming folder
become partitions and runs; runs whose
process is gone are failed."""

import json

import dagster as dg

from assets.ingest.partitions import dump_file_partitions, stackexchange_site_partitions
from assets.ingest.reddit.resources import DumpArchive
from assets.ingest.stackexchange.resources import StackExchangeArchive
from pipelines.jobs import ingest_dump_job, ingest_stackexchange_job
from pipelines.liveness import fail_dead_runs


def _steady_requests(
    context: dg.SensorEvaluationContext, stats: dict[str, list[int]], partitions: dg.DynamicPartitionsDefinition
) -> tuple[list[dg.RunRequest], str]:
    """A run for each entry of `stats` (name -> [size, mtime_ns]) on the tick its size and
    mtime held still from the tick before (a copy in progress changes), again when it is
    replaced; and the new cursor. No cursor yet (a new instance, or a sensor from before the
    cursor): entries that already are partitions count as ingested, rather than all again."""
    if context.cursor is None:
        known = set(partitions.get_partition_keys(dynamic_partitions_store=context.instance))
        previous = {name: [*stat, True] for name, stat in stats.items() if name in known}
    else:
        previous = json.loads(context.cursor)
    # name -> [size, mtime_ns, steady]; an entry is launched on the tick it turns steady.
    cursor = {name: [*stat, previous.get(name, [])[:2] == stat] for name, stat in stats.items()}
    requests = [
        dg.RunRequest(partition_key=name, run_key=f"{name}:{size}:{mtime_ns}")  # replaced: a new run
        for name, (size, mtime_ns, steady) in cursor.items()
        if steady and not previous[name][2]
    ]
    return requests, json.dumps(cursor)


def _sensor_result(
    requests: list[dg.RunRequest], cursor: str, partitions: dg.DynamicPartitionsDefinition, skip_reason: str
) -> dg.SensorResult:
    if not requests:
        return dg.SensorResult(skip_reason=skip_reason, cursor=cursor)
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[partitions.build_add_request([r.partition_key for r in requests])],
        cursor=cursor,
    )


@dg.sensor(job=ingest_dump_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def incoming_dump_sensor(context: dg.SensorEvaluationContext, dump_archive: DumpArchive):
    """Each file dropped into the incoming folder is added as a partition and ingested once
    its size and mtime held still from one tick to the next (a file being copied changes);
    a file replaced under the same name is ingested again (an upsert: no duplicates)."""
    requests, cursor = _steady_requests(context, dump_archive.dump_file_stats(), dump_file_partitions)
    reason = f"no new or replaced dump file in {dump_archive.incoming_dir} held still for a tick"
    return _sensor_result(requests, cursor, dump_file_partitions, reason)


@dg.sensor(job=ingest_stackexchange_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def incoming_stackexchange_sensor(context: dg.SensorEvaluationContext, stackexchange_archive: StackExchangeArchive):
    """Each site dump dropped into incoming/stackexchange/ (a `<site>/` folder or `<site>.7z`)
    is added as a partition of `stackexchange_dump` and ingested once its files held still
    for a tick; a dump replaced or grown (a file added) is ingested again (an upsert)."""
    stats = stackexchange_archive.site_stats()
    requests, cursor = _steady_requests(context, stats, stackexchange_site_partitions)
    reason = f"no new or replaced site dump in {stackexchange_archive.incoming_dir} held still for a tick"
    return _sensor_result(requests, cursor, stackexchange_site_partitions, reason)


# Declarative automation: pairs follow new raw data, the snapshot follows checked pairs,
# and training follows a new snapshot (skipped when these settings already trained it).
pipeline_automation = dg.AutomationConditionSensorDefinition(
    "pipeline_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def dead_run_sensor(context: dg.SensorEvaluationContext):
    """Fail the command line's runs whose process is gone (killed, say) and free the writer
    slots they hold, so the runs queued behind them start (pipelines/liveness.py)."""
    failed = fail_dead_runs(context.instance)
    if failed:
        return dg.SkipReason(f"failed {len(failed)} run(s) whose process is gone: {', '.join(failed)}")
    return dg.SkipReason("no run of a process that is gone")
