"""Schedules. Live ingestion needs Reddit credentials, so it starts switched off."""

import dagster as dg

from pipelines.jobs import ingest_live_job

daily_live_ingest = dg.build_schedule_from_partitioned_job(
    ingest_live_job,
    hour_of_day=2,
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
