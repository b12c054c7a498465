"""Ingest assets: Reddit dumps (a partition per file) and live Reddit (a partition per day).

Both land in the same raw tables, `reddit_submissions` and `reddit_comments`, keyed by
Reddit id; re-running a partition upserts and so never duplicates rows.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl
from pydantic import Field

from assets import frames
from assets.ingest.partitions import day_start, dump_file_partitions, live_day_partitions, live_fetch
from assets.ingest.reddit.dumps import DumpReport, ingest_dump
from assets.ingest.reddit.live import LiveIngestReport, ingest_live
from assets.ingest.reddit.resources import DumpArchive, RedditApi
from assets.ingest.reddit.rows import IngestReport
from assets.warehouse.resources import WAREHOUSE_WRITER_POOL, Warehouse

INGEST_CODE_VERSION = "1"


class DumpConfig(dg.Config):
    given_as: str | None = Field(
        default=None,
        description="What the file should hold, 'comments' or 'submissions' (the CLI's --comments "
        "and --submissions). Each line still goes to the table of its kind; a file that holds "
        "the other kind too is reported (metadata `note`, a warning in the log).",
    )


def report_metadata(report: IngestReport) -> dict[str, dg.MetadataValue]:
    """What one file or fetch did: line, row and reject counts, reasons included."""
    counts = ("lines", "rows", "inserted", "updated", "kept_newer", "duplicates", "rejected")
    return {
        "kind": dg.MetadataValue.text(report.kind),
        **{name: dg.MetadataValue.int(getattr(report, name)) for name in counts},
        "rejects_by_reason": dg.MetadataValue.json(report.rejects),
        "seconds": dg.MetadataValue.float(round(report.seconds, 2)),
    }


def dump_metadata(report: DumpReport) -> dict[str, dg.MetadataValue]:
    """`report_metadata`, with the lines of each kind the file held and what it was given as."""
    return {
        **report_metadata(report),
        **{kind: dg.MetadataValue.int(count) for kind, count in report.held.items()},
        "given_as": dg.MetadataValue.text(report.given or "-"),
        **({"note": dg.MetadataValue.text(report.note)} if report.note else {}),
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
        "fetched_by_id": dg.MetadataValue.int(report.fetched_by_id),  # stored posts the listing missed
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
    context: dg.AssetExecutionContext, config: DumpConfig, warehouse: Warehouse, dump_archive: DumpArchive
) -> dg.MaterializeResult:
    """One Pushshift / Arctic Shift dump file streamed into the raw tables, each line into
    the table of its kind (a file may hold both).

    Malformed lines go to `ingest_rejects` with file, line and reason.
    """
    path = dump_archive.path_of(context.partition_key)
    with warehouse.connect() as con:
        report = ingest_dump(
            con,
            path,
            kind=config.given_as,
            source_name=context.partition_key,
            commit_every_rows=dump_archive.commit_every_rows,
        )
    if report.note:
        context.log.warning(report.note)
    return dg.MaterializeResult(metadata={**dump_metadata(report), "path": dg.MetadataValue.path(str(path))})


@dg.asset(
    partitions_def=live_day_partitions,
    pool=WAREHOUSE_WRITER_POOL,
    group_name="ingest",
    kinds={"duckdb"},
    code_version=INGEST_CODE_VERSION,
)
def reddit_live(context: dg.AssetExecutionContext, warehouse: Warehouse, reddit_api: RedditApi) -> dg.MaterializeResult:
    """One UTC day of new posts and their comments from the configured subreddits, via praw.

    Fetched twice by the schedule: the day after, then again once its threads matured
    (`reddit_api.mature_after_days`); metadata `fetch` says which this one was."""
    day = day_start(context.partition_key)
    day_end = day + timedelta(days=1)
    fetched_at = datetime.fromtimestamp(reddit_api.now(), UTC)
    fetch = live_fetch(context.partition_key, fetched_at, reddit_api.mature_after_days)
    with warehouse.connect() as con:
        report = ingest_live(
            con,
            reddit_api.client(),
            reddit_api.subreddits,
            start_utc=int(day.timestamp()),
            end_utc=int(day_end.timestamp()),
            replace_more_limit=reddit_api.replace_more_limit,
            max_retries=reddit_api.max_retries,
            max_submissions=reddit_api.max_submissions,
            now=reddit_api.now,
        )
    return dg.MaterializeResult(
        metadata={
            "fetch": dg.MetadataValue.text(fetch),
            "hours_after_day_end": dg.MetadataValue.float(round((fetched_at - day_end).total_seconds() / 3600, 1)),
            **live_metadata(report),
        }
    )
