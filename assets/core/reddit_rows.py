"""Reddit objects to warehouse rows, and the writer that upserts them.

Shared by the dump ingest (`dumps.py`) and the live praw ingest (`reddit_live.py`): one
raw Reddit object (a dict from a dump line or the API) becomes one row tuple through
`normalize_comment` / `normalize_submission`, or a `Reject` with a reason. A
`PartitionWriter` buffers rows and rejects of one source, sends them to a temp staging
table in Arrow batches, and merges them: one upsert keyed by id (delete the replaced rows,
insert) keeps the newest retrieval (`retrieved_at`) of each id.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

import duckdb
import pyarrow as pa

from assets.core.warehouse import sql

Kind = Literal["comments", "submissions"]

INT64_MAX = 2**63 - 1

# Every reason a line can be rejected for; "wrong type: <field>" names the field.
REJECT_REASONS = (
    "empty line",
    "invalid utf-8",
    "invalid json",
    "not an object",
    "missing id",
    "missing link_id",
    "wrong type: <field>",
)

# Fields that say when a dump line was fetched from Reddit, in order of preference.
# Pushshift: retrieved_on / retrieved_utc; the college scrape: scraped_utc;
# the praw cassettes: recorded_at (ISO 8601, UTC).
RETRIEVED_FIELDS = ("retrieved_on", "retrieved_utc", "scraped_utc", "recorded_at")


class Reject(ValueError):
    """A record that cannot be ingested; the message is its reason."""


# ---------------------------------------------------------------------------------------
# Normalisers: one raw Reddit object (dict) -> one warehouse row (tuple in table order).
# Hot path: type(v) is X checks, no per-row dicts. `bool` is checked before `int` because
# it is a subclass of it.
# ---------------------------------------------------------------------------------------


def _wrong(field_name: str) -> Reject:
    return Reject(f"wrong type: {field_name}")


def to_int(value: Any, field_name: str) -> int | None:
    """Epoch seconds or a score: int, integral float or numeric string; None stays None."""
    kind = type(value)
    if kind is int:
        if -INT64_MAX <= value <= INT64_MAX:
            return value
        raise _wrong(field_name)
    if value is None:
        return None
    if kind is float:
        if math.isfinite(value) and abs(value) <= INT64_MAX:
            return int(value)
        raise _wrong(field_name)
    if kind is str:
        try:
            return to_int(int(value), field_name)
        except ValueError:
            try:
                return to_int(float(value), field_name)
            except ValueError:
                raise _wrong(field_name) from None
    raise _wrong(field_name)


def to_bool(value: Any, field_name: str) -> bool | None:
    """over_18, stickied, score_hidden: bool, or 0/1 in some years; None stays None."""
    if value is None or type(value) is bool:
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    raise _wrong(field_name)


def to_edited(value: Any) -> bool | None:
    """`edited` is false, or true, or the epoch second of the edit (a number)."""
    if value is None or type(value) is bool:
        return value
    if type(value) in (int, float):
        return value != 0
    raise _wrong("edited")


def to_str(value: Any, field_name: str) -> str | None:
    if value is None or type(value) is str:
        return value
    raise _wrong(field_name)


def to_author(value: Any) -> str | None:
    """A deleted account is NULL, whether the source wrote null or "[deleted]"."""
    if value is None or value == "[deleted]":
        return None
    if type(value) is str:
        return value
    raise _wrong("author")


def strip_prefix(value: str, prefix: str) -> str:
    """"t3_abc" -> "abc"; an id written without its prefix is kept as is."""
    return value[3:] if value.startswith(prefix) else value


def to_id(obj: dict, prefix: str) -> str:
    """The base36 id: `id`, else the fullname `name`, without its type prefix."""
    value = obj.get("id")
    if value is None:
        value = obj.get("name")
    if value is None or value == "":
        raise Reject("missing id")
    if type(value) is not str:
        raise _wrong("id")
    return strip_prefix(value, prefix)


@lru_cache(maxsize=4096)
def _iso_to_epoch(text: str) -> int:
    stamp = datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return int(stamp.timestamp())


def to_retrieved_at(obj: dict, default: int) -> int:
    """When this version was fetched: the first retrieval field present, else `default`."""
    for name in RETRIEVED_FIELDS:
        value = obj.get(name)
        if value is None:
            continue
        if type(value) is str and not value.lstrip("-").replace(".", "", 1).isdigit():
            try:
                return _iso_to_epoch(value)
            except ValueError:
                raise _wrong(name) from None
        return to_int(value, name)
    return default


def normalize_comment(obj: dict, retrieved_default: int) -> tuple:
    """A comment dict -> the first 13 columns of reddit_comments (source columns are added
    per batch). Raises `Reject` with the reason when the object cannot be used."""
    comment_id = to_id(obj, "t1_")
    link_id = obj.get("link_id")
    if link_id is None or link_id == "":
        raise Reject("missing link_id")
    if type(link_id) is not str:
        raise _wrong("link_id")
    post_id = strip_prefix(link_id, "t3_")
    parent_id = obj.get("parent_id")
    if parent_id is not None:
        if type(parent_id) is not str:
            raise _wrong("parent_id")
        if parent_id[:3] not in ("t1_", "t3_"):  # some exports drop the prefix
            parent_id = ("t3_" if parent_id == post_id else "t1_") + parent_id
    return (
        comment_id,
        post_id,
        parent_id,
        to_str(obj.get("subreddit"), "subreddit"),
        to_author(obj.get("author")),
        to_str(obj.get("body"), "body"),
        to_int(obj.get("score"), "score"),
        to_int(obj.get("created_utc"), "created_utc"),
        to_bool(obj.get("score_hidden"), "score_hidden"),
        to_bool(obj.get("stickied"), "stickied"),
        to_str(obj.get("distinguished"), "distinguished"),
        to_edited(obj.get("edited")),
        to_retrieved_at(obj, retrieved_default),
    )


def normalize_submission(obj: dict, retrieved_default: int) -> tuple:
    """A submission dict -> the first 11 columns of reddit_submissions."""
    return (
        to_id(obj, "t3_"),
        to_str(obj.get("subreddit"), "subreddit"),
        to_author(obj.get("author")),
        to_str(obj.get("title"), "title"),
        to_str(obj.get("selftext"), "selftext"),
        to_int(obj.get("score"), "score"),
        to_int(obj.get("created_utc"), "created_utc"),
        to_bool(obj.get("over_18"), "over_18"),
        to_bool(obj.get("stickied"), "stickied"),
        to_str(obj.get("distinguished"), "distinguished"),
        to_retrieved_at(obj, retrieved_default),
    )


# ---------------------------------------------------------------------------------------
# Table layouts: column names and Arrow types, in the order of create_warehouse_tables.sql.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableSpec:
    table: str  # warehouse table
    reject_kind: str  # ingest_rejects.kind
    normalize: Callable[[dict, int], tuple]
    schema: pa.Schema  # normalised columns + source + source_line


_S, _I, _B = pa.string(), pa.int64(), pa.bool_()
_SOURCE_COLUMNS = [("source", _S), ("source_line", _I)]

SPECS: dict[str, TableSpec] = {
    "comments": TableSpec(
        "reddit_comments",
        "comment",
        normalize_comment,
        pa.schema(
            [
                ("id", _S), ("post_id", _S), ("parent_id", _S), ("subreddit", _S),
                ("author", _S), ("body", _S), ("score", _I), ("created_utc", _I),
                ("score_hidden", _B), ("stickied", _B), ("distinguished", _S),
                ("edited", _B), ("retrieved_at", _I), *_SOURCE_COLUMNS,
            ]
        ),
    ),
    "submissions": TableSpec(
        "reddit_submissions",
        "submission",
        normalize_submission,
        pa.schema(
            [
                ("id", _S), ("subreddit", _S), ("author", _S), ("title", _S),
                ("selftext", _S), ("score", _I), ("created_utc", _I), ("over_18", _B),
                ("stickied", _B), ("distinguished", _S), ("retrieved_at", _I),
                *_SOURCE_COLUMNS,
            ]
        ),
    ),
}  # fmt: skip

REJECTS_SCHEMA = pa.schema(
    [("source", _S), ("line", _I), ("kind", _S), ("reason", _S), ("raw", pa.binary())]
)


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
    kept_newer: int = 0  # stored ids left alone because the stored retrieval is newer
    duplicates: int = 0  # rows superseded by a newer copy of the same id in this source
    rejects: dict[str, int] = field(default_factory=dict)  # reason -> count
    seconds: float = 0.0

    @property
    def rejected(self) -> int:
        return sum(self.rejects.values())



# ---------------------------------------------------------------------------------------
# Writing: staging temp table, then delete-replaced + insert (newest retrieval wins).
# ---------------------------------------------------------------------------------------


class PartitionWriter:
    """Batches of normalised rows and rejects for one source, merged into the warehouse.

    Transactions are the caller's: `ingest_dump` wraps a whole file in one, the live ingest
    commits per batch of submissions."""

    def __init__(self, con: duckdb.DuckDBPyConnection, kind: Kind, source: str):
        self.con, self.spec, self.source = con, SPECS[kind], source
        self.report = IngestReport(source=source, kind=kind)
        self.rows: list[tuple] = []
        self.lines: list[int] = []
        self.reject_rows: list[tuple] = []
        self.reject_counts: Counter[str] = Counter()
        self._staging = f"staging_{self.spec.table}"
        self._merged_rows = 0  # rows already merged by earlier merge() calls

    @property
    def unmerged_rows(self) -> int:
        """Rows sent to staging since the last merge."""
        return self.report.rows - self._merged_rows

    def begin_source(self) -> None:
        """Forget this source's earlier rejects (a re-run replaces them) and reset staging."""
        self.con.execute(sql("delete_from_ingest_rejects"), [self.source])
        self.con.execute(sql(f"create_{self._staging}"))

    def add(self, row: tuple, line: int) -> None:
        self.rows.append(row)
        self.lines.append(line)

    def reject(self, line: int, reason: str, raw: bytes) -> None:
        self.reject_rows.append((self.source, line, self.spec.reject_kind, reason, raw))
        self.reject_counts[reason] += 1

    def flush(self) -> None:
        """Send the buffered rows to staging and the rejects to ingest_rejects."""
        if self.rows:
            n = len(self.rows)
            columns = [pa.array(c, t) for c, t in zip(zip(*self.rows), self.spec.schema.types)]
            columns += [pa.array([self.source] * n, _S), pa.array(self.lines, _I)]
            self._insert(f"insert_into_{self._staging}", pa.Table.from_arrays(columns, schema=self.spec.schema))
            self.report.rows += n
            self.rows, self.lines = [], []
        if self.reject_rows:
            table = pa.Table.from_arrays(
                [pa.array(c, t) for c, t in zip(zip(*self.reject_rows), REJECTS_SCHEMA.types)],
                schema=REJECTS_SCHEMA,
            )
            self._insert("insert_into_ingest_rejects", table)
            self.reject_rows = []

    def _insert(self, query: str, batch: pa.Table) -> None:
        self.con.register("batch", batch)
        try:
            self.con.execute(sql(query))
        finally:
            self.con.unregister("batch")

    def merge(self) -> IngestReport:
        """Flush, then merge staging into the table: newest `retrieved_at` per id wins."""
        self.flush()
        report, expected = self.report, self.unmerged_rows
        staged, distinct = self.con.execute(sql(f"count_{self._staging}")).fetchone()
        if staged != expected:  # never merge a partial staging table (see the staging DDL)
            raise RuntimeError(f"{self.source}: staged {expected} rows, read back {staged}")
        (replaced,) = self.con.execute(sql(f"delete_from_{self.spec.table}")).fetchone()
        (written,) = self.con.execute(sql(f"insert_into_{self.spec.table}")).fetchone()
        self.con.execute(sql(f"delete_from_{self._staging}"))
        self._merged_rows = report.rows
        report.inserted += written - replaced
        report.updated += replaced
        report.duplicates += staged - distinct
        report.kept_newer = report.rows - report.inserted - report.updated - report.duplicates
        report.rejects = dict(self.reject_counts)
        return report
