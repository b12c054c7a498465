"""Reddit dumps (Pushshift / Arctic Shift NDJSON, zstd or plain) into the DuckDB warehouse.

One dump file is one partition, merged into the warehouse in one transaction:

    con = warehouse.connect("upvote.duckdb")
    report = ingest_dump(con, "RC_2023-01.zst")            # kind sniffed from the data
    print(report.inserted, report.rejects)

The file is streamed (zstd with a 2^31 window, as real dumps are written), never held whole
in memory, and cut into batches of lines as Arrow binary arrays straight from the
decompressed bytes (numpy finds the newlines: no Python object per line). A
`rows.PartitionWriter` has DuckDB parse and normalise each batch (the live praw
ingest goes through the same SQL). A line that cannot be used goes to `ingest_rejects` with
its line number, a reason from `rows.REJECT_REASONS` and its raw bytes; blank lines
are rejected too ("empty line"), so for every partition `lines == rows + sum(rejects)`.
One upsert keeps the newest retrieval of each id; a line without a retrieval time is stored
with `retrieved_at` NULL and never replaces a row whose retrieval time is known (see
`rows`). Re-ingesting a file replaces its rejects (all of them, whichever kind the
file held before) and never duplicates rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import zstandard

from assets.ingest.reddit.rows import IngestReport, Kind, PartitionWriter, drop_earlier_rejects
from assets.warehouse.connect import transaction
from training.errors import UserError

ZSTD_MAX_WINDOW = 2**31  # real dumps are written with `zstd --long=31`
ZSTD_FRAME = 0xFD2FB528  # the little-endian magic number a zstd frame starts with
ZSTD_SKIPPABLE = 0x184D2A50  # 0x184D2A50-0x184D2A5F: a skippable frame's
READ_CHUNK = 1 << 22  # bytes of decompressed text split into lines at a time
DEFAULT_BATCH_ROWS = 100_000
NEWLINE = ord("\n")


class TruncatedDumpError(UserError, OSError):
    """The zstd stream ended in the middle of a frame (an incomplete download)."""


# ---------------------------------------------------------------------------------------
# Reading: lines from zstd or plain NDJSON, streamed.
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
        raise TruncatedDumpError(
            f"{getattr(fh, 'name', 'stream')}: zstd frame cut off (an incomplete download? fetch it again)"
        )


def _plain_chunks(fh: BinaryIO) -> Iterator[bytes]:
    while chunk := fh.read(READ_CHUNK):
        yield chunk


def _is_zstd(fh: BinaryIO) -> bool:
    """Whether the file starts with a zstd frame (or a skippable one), whatever its name
    (".ZST", ".zstd", "x.zst.1" hold zstd too)."""
    magic = int.from_bytes(fh.read(4), "little")
    fh.seek(0)
    return magic == ZSTD_FRAME or magic & ~0xF == ZSTD_SKIPPABLE


def _line_blocks(path: Path) -> Iterator[pa.LargeBinaryArray]:
    """The file's complete lines, one Arrow array per decompressed chunk."""
    # Opened by its real path: the sensor and `ingest dump` reach a dump through a link in
    # incoming/, and an error (a truncated frame) should name the file the user can fetch again.
    with path.resolve().open("rb") as fh:
        chunks = _zstd_chunks(fh) if _is_zstd(fh) else _plain_chunks(fh)
        tail = b""
        for chunk in chunks:
            data = tail + chunk
            end = data.rfind(b"\n") + 1
            if end:
                yield _split_lines(data[:end])
            tail = data[end:]
        if tail:  # a last line without its newline
            yield _split_lines(tail + b"\n")


def _split_lines(data: bytes) -> pa.LargeBinaryArray:
    """`data` (whole lines, each ending in a newline) as one value per line, newlines removed.

    Line i ends at its newline's position less the i newlines before it once they are
    removed, so the offsets come from one vectorised pass."""
    newlines = np.flatnonzero(np.frombuffer(data, np.uint8) == NEWLINE)
    offsets = np.zeros(len(newlines) + 1, np.int64)
    offsets[1:] = newlines - np.arange(len(newlines))
    text = data.replace(b"\n", b"")
    return pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(newlines), [None, pa.py_buffer(offsets), pa.py_buffer(text)]
    )


def iter_line_batches(path: str | Path, batch_lines: int) -> Iterator[pa.ChunkedArray]:
    """The dump's lines, `batch_lines` at a time (the last batch may be shorter), as Arrow
    binary without their newlines. The whole file is never in memory."""
    pending: list[pa.Array] = []
    pending_lines = 0
    for block in _line_blocks(Path(path)):
        while len(block):
            take = min(batch_lines - pending_lines, len(block))
            pending.append(block.slice(0, take))
            pending_lines += take
            block = block.slice(take)
            if pending_lines == batch_lines:
                yield pa.chunked_array(pending, pa.large_binary())
                pending, pending_lines = [], 0
    if pending_lines:
        yield pa.chunked_array(pending, pa.large_binary())


def iter_lines(path: str | Path) -> Iterator[bytes]:
    """Each line of the dump as bytes, without its newline."""
    for block in _line_blocks(Path(path)):
        yield from block.to_pylist()


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


def _read_ahead(items: Iterator[pa.ChunkedArray]) -> Iterator[pa.ChunkedArray]:
    """`items`, each next one produced on a worker thread while the caller uses the
    current one: decompressing and splitting (zstandard and numpy release the GIL) overlap
    DuckDB's staging of the batch before. An exception in `items` is raised here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(next, items, None)
        while (item := pending.result()) is not None:
            pending = pool.submit(next, items, None)
            yield item


def _stage_lines(path: Path, writer: PartitionWriter, batch_lines: int, on_batch: Callable[[int], None] | None) -> int:
    """Stage the file's lines a batch at a time; the number of lines read."""
    lines = 0
    for batches, raw in enumerate(_read_ahead(iter_line_batches(path, batch_lines)), 1):
        writer.stage(pa.array(np.arange(lines + 1, lines + 1 + len(raw))), raw)
        lines += len(raw)
        if on_batch is not None:
            on_batch(batches)
    return lines


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
    """Ingest one dump file (NDJSON, zstd or plain, told by its first bytes) as one
    partition: stage every line, then merge them into the warehouse in one transaction.

    kind: "comments" or "submissions"; None sniffs it from the first object.
    source_name: stored as `source = "dump:<source_name>"`; default the file name.
    batch_rows: lines per batch normalised into staging.
    now: the ingest time, stored as every row's `ingested_at`: it ranks rows whose retrieval
        time is unknown (lines that carry none), which any known retrieval replaces.
    commit_every_rows: 0 (the default) merges the whole file in one transaction, after it
        is staged: a failure or a truncated file leaves the warehouse as it was. Staging
        grows with the file (DuckDB can page it out under `memory_limit`), so for dumps too
        big for that, N > 0 merges and commits every N lines instead:
        memory stays bounded, and a failed run keeps the rows committed so far, which a
        re-run completes without duplicates.
    on_batch: called with the batch count after each staged batch (progress; tests inject
        a failure here). An exception leaves the warehouse as the last commit left it.
    """
    started = time.perf_counter()
    path = Path(path)
    kind = kind or sniff_kind(path)
    writer = PartitionWriter(con, kind, f"dump:{source_name or path.name}", int(now()))

    def merge_when_due(batches: int) -> None:
        if on_batch is not None:
            on_batch(batches)
        if commit_every_rows and writer.unmerged_lines >= commit_every_rows:
            with transaction(con):
                writer.merge()

    lines = _stage_lines(path, writer, batch_rows, merge_when_due)
    with transaction(con):
        report = writer.merge()
        drop_earlier_rejects(con, writer)
    report.lines = lines
    report.seconds = round(time.perf_counter() - started, 3)
    return report
