"""Schedules. Live ingestion needs Reddit credentials, so it starts switched off."""

import dagster as dg

from assets.ingest.partitions import LiveFetch, live_days_due
from assets.ingest.reddit.resources import RedditApi
from pipelines.jobs import ingest_live_job

REDDIT_LIVE = dg.AssetKey("reddit_live")


def last_live_fetch(instance: dg.DagsterInstance, day: str) -> LiveFetch | None:
    """Which fetch (`first` or `matured`) a day's latest materialization of `reddit_live` was;
    None if it has none."""
    records = instance.fetch_materializations(dg.AssetRecordsFilter(REDDIT_LIVE, asset_partitions=[day]), limit=1)
    if not records.records:
        return None
    fetch = records.records[0].asset_materialization.metadata.get("fetch")
    return fetch.value if fetch is not None else "first"  # one without it counts as a first fetch


@dg.schedule(
    name="ingest_live_job_schedule",
    job=ingest_live_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def daily_live_ingest(context: dg.ScheduleEvaluationContext, reddit_api: RedditApi):
    """Each day at 02:00 UTC: the first fetch of yesterday, and the matured fetch of the day
    whose threads matured today (`reddit_api.mature_after_days` after it ended). A fetch the
    day already had (a backfill, a run from the command line) is not asked for again."""
    due = live_days_due(context.scheduled_execution_time, reddit_api.mature_after_days)
    requests = []
    for fetch, day in due.items():
        done = last_live_fetch(context.instance, day)
        if done is None or (fetch == "matured" and done == "first"):
            requests.append(dg.RunRequest(run_key=f"{day}:{fetch}", partition_key=day))
    if not requests:
        fetches = ", ".join(f"the {fetch} fetch of {day}" for fetch, day in due.items())
        return dg.SkipReason(f"already done: {fetches}" if due else "no live day due before the partitions start")
    return requests
