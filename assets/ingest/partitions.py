"""Partitions of the ingest assets, and which live days a fetch at a given time is for.

They sit in `assets/` rather than beside the definitions because the asset decorators
need them and `assets` must not import `pipelines`.

A live day is fetched twice: the day after it ends (its `first` fetch, for fresh data), and
again once its threads have matured, `mature_after_days` days after it ended (its `matured`
fetch: the late replies and the settled scores). A fetch made that late or later (a backfill
of old days) is the matured one, and the only one.
"""

from datetime import UTC, datetime, timedelta
from typing import Literal

import dagster as dg

# One partition per dump file; the incoming-folder sensor adds them.
dump_file_partitions = dg.DynamicPartitionsDefinition(name="dump_files")

# Live ingestion fetches one UTC day per partition.
live_day_partitions = dg.DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")

DAY_FORMAT = "%Y-%m-%d"
LiveFetch = Literal["first", "matured"]


def day_start(day: str) -> datetime:
    """The UTC midnight a live partition key (YYYY-MM-DD) starts at."""
    return datetime.strptime(day, DAY_FORMAT).replace(tzinfo=UTC)


def live_fetch(day: str, fetched_at: datetime, mature_after_days: int) -> LiveFetch:
    """Whether a fetch of `day` at `fetched_at` is its first or its matured one."""
    matured_at = day_start(day) + timedelta(days=1 + mature_after_days)
    return "matured" if fetched_at >= matured_at else "first"


def live_days_due(at: datetime, mature_after_days: int) -> dict[LiveFetch, str]:
    """The fetches due at `at`, by the day each is of: the first fetch of the day that ended
    last, the matured fetch of the day that matured last; days before the partitions start
    are left out."""
    yesterday = at.astimezone(UTC).date() - timedelta(days=1)
    due = {"first": yesterday, "matured": yesterday - timedelta(days=mature_after_days)}
    start = live_day_partitions.start.date()
    return {fetch: day.strftime(DAY_FORMAT) for fetch, day in due.items() if day >= start}
