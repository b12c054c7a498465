"""Ingest assets: Reddit dumps (a partition per file) and live Reddit (a partition per day).

Both land in the same raw tables, `reddit_submissions` and `reddit_comments`, keyed by
Reddit id; re-running a partition upserts and so never duplicates rows.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import dagster as dg

from assets.core.dumps import ingest_dump
from assets.core.reddit_live import ingest_live
from assets.partitions import WAREHOUSE_WRITER_POOL, dump_file_partitions, live_day_partitions
from assets.resources import DumpArchive, RedditApi, Warehouse

INGEST_CODE_VERSION = "1"


def report_metadata(report) -> dict[str, dg.MetadataValue]:
    """An ingest report as metadata: numbers as numbers, the rest as JSON."""
    metadata = {}
    for name, value in dataclasses.asdict(report).items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            metadata[name] = dg.MetadataValue.json(value) if isinstance(value, (dict, list)) else dg.MetadataValue.text(str(value))
        elif isinstance(value, int):
            metadata[name] = dg.MetadataValue.int(value)
        else:
            metadata[name] = dg.MetadataValue.float(float(value))
    return metadata


@dg.asset(
    partitions_def=dump_file_partitions,
    pool=WAREHOUSE_WRITER_POOL,
    group_name="ingest",
    kinds={"duckdb"},
    code_version=INGEST_CODE_VERSION,
)
def reddit_dump(
    context: dg.AssetExecutionContext, warehouse: Warehouse, dump_archive: DumpArchive
) -> dg.MaterializeResult:
    """One Pushshift / Arctic Shift dump file streamed into the raw tables.

    Malformed lines go to `ingest_rejects` with file, line and reason.
    """
    path = dump_archive.path_of(context.partition_key)
    with warehouse.connect() as con:
        report = ingest_dump(con, path, source_name=context.partition_key)
    return dg.MaterializeResult(metadata={**report_metadata(report), "path": dg.MetadataValue.path(str(path))})


@dg.asset(
    partitions_def=live_day_partitions,
    pool=WAREHOUSE_WRITER_POOL,
    group_name="ingest",
    kinds={"duckdb"},
    code_version=INGEST_CODE_VERSION,
)
def reddit_live(
    context: dg.AssetExecutionContext, warehouse: Warehouse, reddit_api: RedditApi
) -> dg.MaterializeResult:
    """One UTC day of new posts and their comments from the configured subreddits, via praw."""
    day = datetime.strptime(context.partition_key, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    with warehouse.connect() as con:
        report = ingest_live(
            con,
            reddit_api.client(),
            reddit_api.subreddits,
            start_utc=int(day.timestamp()),
            end_utc=int((day + timedelta(days=1)).timestamp()),
            replace_more_limit=reddit_api.replace_more_limit,
            max_retries=reddit_api.max_retries,
        )
    return dg.MaterializeResult(metadata=report_metadata(report))
