"""Reddit dumps (Pushshift / Arctic Shift NDJSON, zstd or plain) into the DuckDB warehouse.

One dump file is one partition, ingested in one transaction:

    con = warehouse.connect("upvote.duckdb")
    report = ingest_dump(con, "RC_2023-01.zst")            # kind sniffed from the data
    print(report.inserted, report.rejects)

The file is streamed (zstd with a 2^31 window, as real dumps are written), never held whole
in memory. Each line is parsed with orjson and normalised by `reddit_rows` (the live praw
ingest uses the same functions). A line that cannot be used goes to `ingest_rejects` with
its line number, a reason from `reddit_rows.REJECT_REASONS` and its raw bytes; blank lines are rejected
too ("empty line"), so for every partition `lines == rows + sum(rejects)`. Rows go through
a `PartitionWriter`: staging in Arrow batches, then one upsert that keeps the newest
retrieval of each id. Re-ingesting a file replaces its rejects and never duplicates rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import duckdb
import orjson
import zstandard

from assets.core.reddit_rows import IngestReport, Kind, PartitionWriter, Reject
from assets.core.warehouse import transaction

ZSTD_MAX_WINDOW = 2**31  # real dumps are written with `zstd --long=31`
READ_CHUNK = 1 << 22  # bytes of decompressed text split into lines at a time
DEFAULT_BATCH_ROWS = 50_000


class TruncatedDumpError(OSError):
    """The zstd stream ended in the middle of a frame (an incomplete download)."""


# ---------------------------------------------------------------------------------------
# Reading: bytes lines from .zst / .ndjson / .jsonl, streamed.
# ---------------------------------------------------------------------------------------


def _zstd_chunks(fh: BinaryIO) -> Iterator[bytes]:
    """Decompressed chunks of every frame; raises TruncatedDumpError on a cut-off frame
    (zstandard's stream_reader would silently stop there)."""
    dctx = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
    dobj, fed = dctx.decompressobj(), False
    while raw := fh.read(1 << 20):
        while raw:
            fed = True
            if out := dobj.decompress(raw):
                yield out
            if dobj.eof:  # next frame, if any, starts in unused_data
                raw, dobj, fed = dobj.unused_data, dctx.decompressobj(), False
            else:
                raw = b""
    if fed and not dobj.eof:
        raise TruncatedDumpError(f"{getattr(fh, 'name', 'stream')}: zstd frame cut off")


def _plain_chunks(fh: BinaryIO) -> Iterator[bytes]:
    while chunk := fh.read(READ_CHUNK):
        yield chunk


def iter_lines(path: str | Path) -> Iterator[bytes]:
    """Each line of the dump as bytes, without its newline; the whole file never in memory."""
    path = Path(path)
    with path.open("rb") as fh:
        chunks = _zstd_chunks(fh) if path.suffix == ".zst" else _plain_chunks(fh)
        tail = b""
        for chunk in chunks:
            lines = (tail + chunk).split(b"\n")
            tail = lines.pop()
            yield from lines
        if tail:
            yield tail


def sniff_kind(path: str | Path, max_lines: int = 10_000) -> Kind:
    """comments or submissions, from the first JSON object that tells (else the name)."""
    for n, line in enumerate(iter_lines(path)):
        if n >= max_lines:
            break
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            if "link_id" in obj or "body" in obj:
                return "comments"
            if "title" in obj or "selftext" in obj:
                return "submissions"
    name = Path(path).name
    if name.startswith("RC_") or "comments" in name:
        return "comments"
    if name.startswith("RS_") or "submissions" in name:
        return "submissions"
    raise ValueError(f"cannot tell whether {name} holds comments or submissions; pass kind=")


def _reject_reason(line: bytes, error: Exception | None) -> str:
    if not line.strip():
        return "empty line"
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid utf-8"
    return "invalid json" if error is not None else "not an object"


# ---------------------------------------------------------------------------------------
# The dump ingest.
# ---------------------------------------------------------------------------------------


def _parse_lines(
    lines: Iterable[bytes],
    writer: PartitionWriter,
    retrieved_default: int,
    batch_rows: int,
    on_batch: Callable[[int], None] | None,
) -> int:
    """The hot loop: parse, normalise, buffer; flush every `batch_rows` lines."""
    loads, decode_error, normalize = orjson.loads, orjson.JSONDecodeError, writer.spec.normalize
    add_row, add_line = writer.rows.append, writer.lines.append
    batches = n = 0
    for n, line in enumerate(lines, 1):
        try:
            obj = loads(line)
        except decode_error as error:
            writer.reject(n, _reject_reason(line, error), line)
            obj = None
        else:
            if type(obj) is not dict:
                writer.reject(n, _reject_reason(line, None), line)
                obj = None
        if obj is not None:
            try:
                add_row(normalize(obj, retrieved_default))
                add_line(n)
            except Reject as reason:
                writer.reject(n, str(reason), line)
        if n % batch_rows == 0:
            writer.flush()
            add_row, add_line = writer.rows.append, writer.lines.append
            batches += 1
            if on_batch is not None:
                on_batch(batches)
    return n


def ingest_dump(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    kind: Kind | None = None,
    source_name: str | None = None,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    commit_every_rows: int = 0,
    now: Callable[[], float] = time.time,
    on_batch: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest one dump file (.zst, .ndjson, .jsonl) as one partition, in one transaction.

    kind: "comments" or "submissions"; None sniffs it from the first object.
    source_name: stored as `source = "dump:<source_name>"`; default the file name.
    batch_rows: lines per Arrow batch sent to staging.
    now: the ingest time, used as `retrieved_at` for lines that carry no retrieval time.
    commit_every_rows: 0 (the default) ingests the file in one transaction: a failure or a
        truncated file leaves the warehouse as it was. DuckDB holds an open transaction's
        rows in memory (~0.9 GB per million comments), so for dumps too big for that, N > 0
        merges and commits every N rows instead: memory stays bounded, and a failed run
        keeps the rows committed so far, which a re-run completes without duplicates.
    on_batch: called with the batch count after each flush (progress; tests inject a
        failure here). An exception rolls back what is not yet committed.
    """
    started = time.perf_counter()
    path = Path(path)
    kind = kind or sniff_kind(path)
    writer = PartitionWriter(con, kind, f"dump:{source_name or path.name}")
    if not commit_every_rows:
        with transaction(con):
            writer.begin_source()
            lines = _parse_lines(iter_lines(path), writer, int(now()), batch_rows, on_batch)
            report = writer.merge()
    else:
        with transaction(con):
            writer.begin_source()

        def merge_when_due(batches: int) -> None:
            if on_batch is not None:
                on_batch(batches)
            if writer.unmerged_rows >= commit_every_rows:
                with transaction(con):
                    writer.merge()

        lines = _parse_lines(iter_lines(path), writer, int(now()), batch_rows, merge_when_due)
        with transaction(con):
            report = writer.merge()
    report.lines = lines
    report.seconds = round(time.perf_counter() - started, 3)
    return report
