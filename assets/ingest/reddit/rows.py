"""Raw Reddit lines to warehouse rows, and the writer that upserts them.

Shared by the dump ingest (`dumps.py`) and the live praw ingest (`live.py`): both
hand a `PartitionWriter` raw JSON lines (a dump's lines as they are, praw objects
serialised). DuckDB normalises them, a batch at a time, into a temp staging table
(`insert_into_staging_reddit_<kind>.sql`, with the typed readers of `create_json_readers.sql`):
field types that vary across Pushshift years are read into one, and a line that cannot be
used is kept with the first reason that applies. `merge` then moves the rejects to
`ingest_rejects` and upserts the rows keyed by id (delete the replaced rows, insert), so the
newest retrieval of each id wins. A line that carries no retrieval time is stored with
`retrieved_at` NULL (unknown) and loses to any known one, whichever came first; between
unknown ones the later ingest (`ingested_at`) wins (`retrieval_wins` in
warehouse/migrations/0001_initial.sql). Each row also records how old its score was when
retrieved, `score_age_s` (retrieval minus creation time, NULL when unknown: the `score_age_s`
macro of migrations/0004_score_age.sql), which the pair rules read.

Normalising in SQL rather than per row in Python is what keeps the ingest near DuckDB's own
speed: no Python object per line or per field (see benchmarks/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import duckdb
import numpy as np
import pyarrow as pa

from assets.warehouse.connect import sql_folder

sql = sql_folder(__file__)

Kind = Literal["comments", "submissions"]

# Every reason a line can be rejected for; "wrong type: <field>" names the field.
REJECT_REASONS = (
    "line too long",  # over 8 MiB (dumps.MAX_LINE_BYTES); its first 8 MiB + 1 byte are kept
    "empty line",
    "invalid utf-8",
    "invalid json",
    "not an object",
    "missing id",
    "missing link_id",
    "neither comment nor submission",  # an object with no parent_id, link_id or title key
    "wrong type: <field>",
)


@dataclass(frozen=True)
class RedditTable:
    """What the SQL of one kind needs: its table, its kind in ingest_rejects, and the two
    files whose columns are the kind's own (staging's DDL and the normaliser)."""

    name: str  # the warehouse table; `staging_<name>` is its per-connection staging
    reject_kind: str  # ingest_rejects.kind of its lines
    create_staging: str
    insert_into_staging: str


# The one closed map from a kind to its table names and files. The steps that differ only in the
# table (the `*_reddit_table.sql` files) are one file each with a `{reddit_table}` placeholder:
# a table name cannot be a bound parameter, so `table_sql` pastes it in, and only from here.
TABLES: dict[str, RedditTable] = {
    "comments": RedditTable(
        "reddit_comments",
        "comment",
        "create_staging_reddit_comments",
        "insert_into_staging_reddit_comments",
    ),
    "submissions": RedditTable(
        "reddit_submissions",
        "submission",
        "create_staging_reddit_submissions",
        "insert_into_staging_reddit_submissions",
    ),
}
TABLE_PLACEHOLDER = "{reddit_table}"


def table_sql(name: str, table: RedditTable) -> str:
    """The text of `sql/<name>.sql`, a file shared by both kinds, for `table` (a value of
    `TABLES`)."""
    if table not in TABLES.values():
        raise ValueError(f"{table!r} is not one of rows.TABLES")
    text = sql(name)
    if TABLE_PLACEHOLDER not in text:  # a kind's own file goes through sql(), not here
        raise ValueError(f"{name}.sql has no {TABLE_PLACEHOLDER} to fill")
    return text.replace(TABLE_PLACEHOLDER, table.name)


@dataclass
class IngestReport:
    """What one partition's ingest did. `lines == rows + sum(rejects.values())` and
    `rows == inserted + updated + kept_newer + duplicates`."""

    source: str  # "dump:<file name>" or "praw:<subreddit>:<YYYY-MM-DD>"
    kind: str  # "comments" or "submissions"
    lines: int = 0  # lines read (dump) or objects fetched (praw)
    rows: int = 0  # lines that normalised to a row
    inserted: int = 0  # ids new to the warehouse
    updated: int = 0  # stored ids replaced by this newer (or as new) retrieval
    kept_newer: int = 0  # stored ids left alone: the stored retrieval is newer, or known where this one's is not
    duplicates: int = 0  # rows superseded by a newer copy of the same id in this source
    rejects: dict[str, int] = field(default_factory=dict)  # reason -> count
    seconds: float = 0.0

    @property
    def rejected(self) -> int:
        return sum(self.rejects.values())


# ---------------------------------------------------------------------------------------
# Writing: normalise into staging, then reject + delete-replaced + insert.
# ---------------------------------------------------------------------------------------


class PartitionWriter:
    """Raw lines of one source, normalised into staging, merged into the warehouse.

    Staging is this connection's scratch. `ingest_dump` stages outside any transaction
    (`stage`), so DuckDB can page it out, where rows appended inside an open transaction
    stay in memory. Only `merge` touches the
    warehouse, in the caller's transaction: `ingest_dump` merges a whole file at once, the
    live ingest a batch of submissions at a time.

    A merge writes its rejects over any earlier ones on the same lines and deletes none: a run
    that fails part way leaves the earlier run's other rejects. A run that completes then calls
    `drop_earlier_rejects` with every line it rejected."""

    def __init__(self, con: duckdb.DuckDBPyConnection, kind: Kind, source: str, ingested_at: int):
        self.con, self.source = con, source
        self.table = TABLES[kind]
        self.ingested_at = ingested_at  # every row's; ranks those whose retrieval time is unknown
        self.report = IngestReport(source=source, kind=kind)
        self.unmerged_lines = 0  # lines staged since the last merge
        self._pending: list[tuple[int, bytes]] = []  # (line, raw) added one at a time
        self._rejected_lines: list[np.ndarray] = []  # the lines each merge wrote to ingest_rejects
        con.execute(sql("create_json_readers"))
        con.execute(sql(self.table.create_staging))

    def stage(self, lines: pa.Array, raw: pa.Array | pa.ChunkedArray, routed: bool = True) -> None:
        """Normalise a batch of raw lines (binary) with their line numbers into staging.

        routed: False for lines that are of neither kind (a dump's lines are routed by
        kind, and one writer keeps the rest): each is rejected, never stored as this kind."""
        self.con.register("batch", pa.table({"line": lines, "raw": raw}))
        try:
            self.con.execute(
                sql(self.table.insert_into_staging),
                {"source": self.source, "ingested_at": self.ingested_at, "routed": routed},
            )
        finally:
            self.con.unregister("batch")
        self.unmerged_lines += len(raw)

    def add(self, line: int, raw: bytes) -> None:
        """Buffer one raw line (a live object), counted in `report.lines`; staged by the next
        `merge`, inside its transaction (a live batch is small)."""
        self._pending.append((line, raw))
        self.report.lines += 1

    def _stage_pending(self) -> None:
        if self._pending:
            lines, raws = zip(*self._pending)
            self.stage(pa.array(lines, pa.int64()), pa.array(raws, pa.binary()))
            self._pending = []

    def merge(self) -> IngestReport:
        """Move staged rejects to ingest_rejects, then merge the staged rows into the table:
        the newest retrieval per id wins (known before unknown). Run it inside a transaction."""
        self._stage_pending()
        report, expected = self.report, self.unmerged_lines
        con, table = self.con, self.table
        staged, rows, distinct, rejects = con.execute(table_sql("count_staging_reddit_table", table)).fetchall()[0]
        if staged != expected:  # never merge a partial staging table (see the staging DDL)
            raise RuntimeError(f"{self.source}: staged {expected} lines, read back {staged}")
        rejected = con.execute(
            table_sql("insert_into_ingest_rejects_from_staging_reddit_table", table), {"kind": table.reject_kind}
        ).fetchnumpy()["line"]
        (replaced,) = con.execute(table_sql("delete_from_reddit_table", table)).fetchall()[0]
        (written,) = con.execute(table_sql("insert_into_reddit_table", table)).fetchall()[0]
        (copies,) = con.execute(table_sql("count_copies_of_staged_reddit_table", table)).fetchall()[0]
        if copies:  # the table has no key constraint (see its DDL): this is the guard
            raise RuntimeError(f"{self.source}: merge left {copies} extra rows for its ids")
        con.execute(table_sql("delete_from_staging_reddit_table", table))
        self.unmerged_lines = 0
        self._rejected_lines.append(np.asarray(rejected, np.int64))  # after the last statement that can fail
        report.rows += rows
        report.inserted += written - replaced
        report.updated += replaced
        report.duplicates += rows - distinct
        report.kept_newer = report.rows - report.inserted - report.updated - report.duplicates
        for entry in rejects or ():  # NULL when nothing was rejected
            report.rejects[entry["key"]] = report.rejects.get(entry["key"], 0) + entry["value"]
        return report


def drop_earlier_rejects(con: duckdb.DuckDBPyConnection, *writers: PartitionWriter) -> None:
    """Delete the rejects of the writers' source (one partition) that their completed run did
    not write, whatever their kind: what an earlier run rejected and this one no longer does,
    or a dump file's lines when it held the other kind. Run it in the run's last transaction,
    after its last merge."""
    (source,) = {writer.source for writer in writers}
    lines = np.concatenate([np.zeros(0, np.int64), *(a for writer in writers for a in writer._rejected_lines)])
    con.register("kept_reject_lines", pa.table({"line": lines}))
    try:
        con.execute(sql("delete_from_ingest_rejects"), {"source": source})
    finally:
        con.unregister("kept_reject_lines")
