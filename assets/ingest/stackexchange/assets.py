"""The `stackexchange_dump` asset: one site's data dump (a partition per site) into the raw
`se_*` tables, keyed by (site, id); re-running a partition upserts and so never duplicates."""

import dagster as dg
import polars as pl

from assets import frames
from assets.ingest.partitions import stackexchange_site_partitions
from assets.ingest.stackexchange.dumps import SiteReport, ingest_site
from assets.ingest.stackexchange.resources import StackExchangeArchive
from assets.warehouse.resources import WAREHOUSE_WRITER_POOL, Warehouse

STACKEXCHANGE_INGEST_CODE_VERSION = "1"


def site_metadata(report: SiteReport) -> dict[str, dg.MetadataValue]:
    """Per file: lines, rows, inserted, updated, rejected; the rejects by reason."""
    table = pl.DataFrame(
        [(name, r.lines, r.rows, r.inserted, r.updated, r.duplicates, r.rejected) for name, r in report.files.items()],
        schema=["file", "lines", "rows", "inserted", "updated", "duplicates", "rejected"],
        orient="row",
    )
    return {
        "site": dg.MetadataValue.text(report.site),
        **{name.lower(): dg.MetadataValue.int(r.rows) for name, r in report.files.items()},
        "rejected": dg.MetadataValue.int(sum(r.rejected for r in report.files.values())),
        "rejects_by_reason": dg.MetadataValue.json(report.rejects),
        "by_file": dg.MetadataValue.md(frames.markdown(table)),
        "seconds": dg.MetadataValue.float(report.seconds),
    }


@dg.asset(
    partitions_def=stackexchange_site_partitions,
    pool=WAREHOUSE_WRITER_POOL,
    group_name="ingest",
    kinds={"duckdb"},
    code_version=STACKEXCHANGE_INGEST_CODE_VERSION,
)
def stackexchange_dump(
    context: dg.AssetExecutionContext, warehouse: Warehouse, stackexchange_archive: StackExchangeArchive
) -> dg.MaterializeResult:
    """One Stack Exchange site's dump (Posts, and Votes, Comments, Users when present) streamed
    into the se_* tables. Malformed rows go to `ingest_rejects` with file, line and reason."""
    path = stackexchange_archive.path_of(context.partition_key)
    with warehouse.connect() as con:
        report = ingest_site(con, path, site=context.partition_key)
    return dg.MaterializeResult(metadata={**site_metadata(report), "path": dg.MetadataValue.path(str(path))})
