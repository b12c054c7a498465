"""Ingest assets: Reddit dumps (a partition per file) and live Reddit (a partition per day).

Both land in the same raw tables, `reddit_submissions` and `reddit_comments`, keyed by
Reddit id; re-running a partition upserts and so never duplicates rows.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl

from assets import frames
from assets.ingest.partitions import dump_file_partitions, live_day_partitions
from assets.ingest.reddit.dumps import ingest_dump
from assets.ingest.reddit.live import LiveIngestReport, ingest_live
from assets.ingest.reddit.resources import DumpArchive, RedditApi
from assets.ingest.reddit.rows import IngestReport
from assets.warehouse.resources import WAREHOUSE_WRITER_POOL, Warehouse

INGEST_CODE_VERSION = "1"


def report_metadata(report: IngestReport) -> dict[str, dg.MetadataValue]:
    """What one file or fetch did: line, row and reject counts, reasons included."""
    counts = ("lines", "rows", "inserted", "updated", "kept_newer", "duplicates", "rejected")
    return {
        "kind": dg.MetadataValue.text(report.kind),
        **{name: dg.MetadataValue.int(getattr(report, name)) for name in counts},
        "rejects_by_reason": dg.MetadataValue.json(report.rejects),
        "seconds": dg.MetadataValue.float(round(report.seconds, 2)),
    }


def live_metadata(report: LiveIngestReport) -> dict[str, dg.MetadataValue]:
    table = pl.DataFrame(
        [(r.source, r.kind, r.lines, r.inserted, r.updated, r.rejected) for r in report.reports],
        schema=["source", "kind", "fetched", "inserted", "updated", "rejected"],
        orient="row",
    )
    return {
        "submissions": dg.MetadataValue.int(report.total("submissions")),
        "comments": dg.MetadataValue.int(report.total("comments")),
        "rejected": dg.MetadataValue.int(sum(r.rejected for r in report.reports)),
        "rate_limit_waits": dg.MetadataValue.int(len(report.rate_limit_waits)),
        "cut_short": dg.MetadataValue.json(report.cut_short),  # listings that ended before the day did
        "by_subreddit": dg.MetadataValue.md(frames.markdown(table)),
        "seconds": dg.MetadataValue.float(round(report.seconds, 2)),
    }


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
        report = ingest_dump(
            con, path, source_name=context.partition_key, commit_every_rows=dump_archive.commit_every_rows
        )
    return dg.MaterializeResult(metadata={**report_metadata(report), "path": dg.MetadataValue.path(str(path))})


@dg.asset(
    partitions_def=live_day_partitions,
    pool=WAREHOUSE_WRITER_POOL,
    group_name="ingest",
    kinds={"duckdb"},
    code_version=INGEST_CODE_VERSION,
)
def reddit_live(context: dg.AssetExecutionContext, warehouse: Warehouse, reddit_api: RedditApi) -> dg.MaterializeResult:
    """One UTC day of new posts and their comments from the configured subreddits, via praw."""
    day = datetime.strptime(context.partition_key, "%Y-%m-%d").replace(tzinfo=UTC)
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
    return dg.MaterializeResult(metadata=live_metadata(report))
