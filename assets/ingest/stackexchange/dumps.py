"""A Stack Exchange site's data dump into the DuckDB warehouse, one site per partition.

    con = warehouse.connect("upvote.duckdb")
    report = ingest_site(con, "quantumcomputing.stackexchange.com/")   # folder or <site>.7z
    print(report.files["Posts"].inserted, report.rejects)

Each file (Posts required; Users, Votes, Comments when present) is streamed line by line
(`files.SiteDump.lines`), each line parsed on its own (`rows.parse_row`), and the rows staged
a batch at a time in a temp table. Then one transaction merges every file of the site:
rows replace the stored rows of the same (site, id) (the last ingest of a site wins; a row
a later dump lacks, a post deleted since, stays), and the files' rejects replace their
earlier ones in `ingest_rejects` (source "stackexchange:<site>/<file>", the line, a reason
from `rows.REJECT_REASONS` and the raw line). For every file,
`lines == structure + rows + rejected`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from assets.ingest.stackexchange.files import MAX_LINE_BYTES, SiteDump, find_dump
from assets.ingest.stackexchange.rows import TABLES, SeTable, arrow_schema, is_structure, parse_row
from assets.warehouse.connect import sql_folder, transaction

sql = sql_folder(__file__)

DEFAULT_BATCH_ROWS = 50_000
TABLE_PLACEHOLDER = "{se_table}"


def table_sql(name: str, table: SeTable) -> str:
    """The text of `sql/<name>.sql`, shared by every table, for `table` (a value of TABLES)."""
    if table not in TABLES.values():
        raise ValueError(f"{table!r} is not one of rows.TABLES")
    return sql(name).replace(TABLE_PLACEHOLDER, table.name)


@dataclass
class FileReport:
    """What one file of the dump did. `lines == structure + rows + rejected` and
    `rows == inserted + updated + duplicates`."""

    source: str  # "stackexchange:<site>/Posts.xml", ...
    lines: int = 0
    structure: int = 0  # the XML declaration, the root's tags, blank lines
    rows: int = 0
    inserted: int = 0  # (site, id) new to the warehouse
    updated: int = 0  # stored rows replaced
    duplicates: int = 0  # rows the file repeats an id of (its last one is kept)
    rejects: dict[str, int] = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        return sum(self.rejects.values())


@dataclass
class SiteReport:
    site: str
    files: dict[str, FileReport]  # "Posts" -> its report, for each file the dump has
    seconds: float = 0.0

    @property
    def rejects(self) -> dict[str, int]:
        merged: dict[str, int] = {}
        for report in self.files.values():
            for reason, count in report.rejects.items():
                merged[reason] = merged.get(reason, 0) + count
        return merged


def _batches(
    dump: SiteDump, name: str, report: FileReport, batch_rows: int, ingested_at: int
) -> Iterator[tuple[pa.Table, pa.Table]]:
    """(rows, rejects) of the file a batch at a time, as Arrow tables: each row's columns, then
    its site, source, line and ingest time."""
    table = TABLES[name]
    schema = arrow_schema(table)
    rows: list[list] = []
    row_lines: list[int] = []
    rejects: dict[str, list] = {"line": [], "reason": [], "raw": []}

    def flush() -> tuple[pa.Table, pa.Table]:
        columns = list(zip(*rows)) if rows else [[] for _ in schema]
        batch = pa.table([pa.array(values, type) for values, type in zip(columns, schema.types)], schema=schema)
        count = len(row_lines)
        batch = batch.append_column("site", pa.array([dump.site] * count, pa.string()))
        batch = batch.append_column("source", pa.array([report.source] * count, pa.string()))
        batch = batch.append_column("source_line", pa.array(row_lines, pa.int64()))
        batch = batch.append_column("ingested_at", pa.array([ingested_at] * count, pa.int64()))
        count = len(rejects["line"])
        rejected = pa.table(
            {
                "source": pa.array([report.source] * count, pa.string()),
                "line": pa.array(rejects["line"], pa.int64()),
                "kind": pa.array([table.reject_kind] * count, pa.string()),
                "reason": pa.array(rejects["reason"], pa.string()),
                "raw": pa.array(rejects["raw"], pa.binary()),
            }
        )
        rows.clear()
        row_lines.clear()
        for values in rejects.values():
            values.clear()
        return batch, rejected

    for number, line in dump.lines(name):
        report.lines += 1
        if is_structure(line, table):
            report.structure += 1
            continue
        values, reason = parse_row(line, table)
        if values is None:
            rejects["line"].append(number)
            rejects["reason"].append(reason)
            rejects["raw"].append(line[: MAX_LINE_BYTES + 1])
            report.rejects[reason] = report.rejects.get(reason, 0) + 1
        else:
            rows.append(values)
            row_lines.append(number)
        if len(rows) + len(rejects["line"]) >= batch_rows:
            yield flush()
    yield flush()


def _stage(con: duckdb.DuckDBPyConnection, batch: pa.Table, rejected: pa.Table, table: SeTable) -> None:
    con.register("se_batch", batch)
    con.register("se_reject_batch", rejected)
    try:
        con.execute(table_sql("insert_into_staging_se_table", table))
        con.execute(sql("insert_into_staging_se_rejects"))
    finally:
        con.unregister("se_batch")
        con.unregister("se_reject_batch")


def _merge(con: duckdb.DuckDBPyConnection, site: str, table: SeTable, report: FileReport) -> None:
    staged, distinct = con.execute(table_sql("count_staging_se_table", table)).fetchall()[0]
    (replaced,) = con.execute(table_sql("delete_from_se_table", table), {"site": site}).fetchall()[0]
    (written,) = con.execute(table_sql("insert_into_se_table", table)).fetchall()[0]
    (copies,) = con.execute(table_sql("count_copies_of_se_table", table), {"site": site}).fetchall()[0]
    if copies:  # the table has no key constraint (see its DDL): this is the guard
        raise RuntimeError(f"{report.source}: merge left {copies} extra rows for its ids")
    report.rows = staged
    report.duplicates = staged - distinct
    report.updated = replaced
    report.inserted = written - replaced


def ingest_site(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    site: str | None = None,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    now: Callable[[], float] = time.time,
) -> SiteReport:
    """Ingest one site's dump (a folder or a .7z archive) as one partition: stage every file,
    then merge them all in one transaction, so a failure leaves the warehouse as it was.

    site: the site's name, stored in every row; default the folder's or archive's name.
    """
    started = time.perf_counter()
    dump = find_dump(path, site)
    ingested_at = int(now())
    # Named by the file's name in the dump, however it was compressed: its lines and so its
    # rejects are the same, and a re-ingest from another form replaces them.
    reports = {name: FileReport(f"stackexchange:{dump.site}/{name}.xml") for name in dump.files}
    con.execute(sql("create_staging_se_rejects"))
    try:
        for name in dump.files:
            table = TABLES[name]
            con.execute(table_sql("create_staging_se_table", table))
            for batch, rejected in _batches(dump, name, reports[name], batch_rows, ingested_at):
                _stage(con, batch, rejected, table)
        with transaction(con):
            for name in dump.files:
                _merge(con, dump.site, TABLES[name], reports[name])
            con.execute(sql("delete_from_ingest_rejects"), {"sources": [r.source for r in reports.values()]})
            con.execute(sql("insert_into_ingest_rejects"))
    finally:
        for name in dump.files:
            con.execute(table_sql("drop_staging_se_table", TABLES[name]))
        con.execute(sql("drop_staging_se_rejects"))
    return SiteReport(dump.site, reports, round(time.perf_counter() - started, 3))
