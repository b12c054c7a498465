"""Reddit dumps (Pushshift / Arctic Shift NDJSON, zstd or plain) into the DuckDB warehouse.

One dump file is one partition, merged into the warehouse in one transaction:

    con = warehouse.connect("upvote.duckdb")
    report = ingest_dump(con, "RC_2023-01.zst", kind="comments")   # kind: what it should hold
    print(report.inserted, report.rejects, report.held, report.note)

Each line goes to the table of its kind (a comment has a parent_id or link_id, a submission a
title), so a file holding both, as some archive exports do, fills both tables in the same
transaction; a line of neither kind is a reject.

The file is streamed (zstd with a 2^31 window, as real dumps are written), never held whole
in memory, and cut into batches of lines as Arrow binary arrays straight from the
decompressed bytes (numpy finds the newlines: no Python object per line). One SQL pass
per batch tells each line's kind, and a `rows.PartitionWriter` per kind has DuckDB parse and
normalise that kind's lines (the live praw ingest goes through the same SQL). A line that cannot be used goes to `ingest_rejects` with
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import zstandard

from assets.ingest.reddit.rows import TABLES, IngestReport, Kind, PartitionWriter, drop_earlier_rejects
from assets.warehouse.connect import sql_folder, transaction
from training.errors import UserError

sql = sql_folder(__file__)

ZSTD_MAX_WINDOW = 2**31  # real dumps are written with `zstd --long=31`
ZSTD_FRAME = 0xFD2FB528  # the little-endian magic number a zstd frame starts with
ZSTD_SKIPPABLE = 0x184D2A50  # 0x184D2A50-0x184D2A5F: a skippable frame's
READ_CHUNK = 1 << 22  # bytes of decompressed text split into lines at a time
ZSTD_FEED = 1 << 10  # compressed bytes per decompress call: its output is at most ~32 MiB
DEFAULT_BATCH_ROWS = 100_000
NEWLINE = ord("\n")


MAX_LINE_BYTES = 8 << 20  # a longer line is rejected ("line too long"); real ones are < 1 MiB


class TruncatedDumpError(UserError, OSError):
    """The zstd stream ended in the middle of a frame (an incomplete download)."""


class DumpKindError(UserError, ValueError):
    """A dump said to hold a kind that is not "comments" or "submissions"."""


class CorruptDumpError(UserError, OSError):
    """The zstd stream cannot be decompressed (damaged bytes), or the path is not a file."""


# ---------------------------------------------------------------------------------------
# Reading: lines from zstd or plain NDJSON, streamed.
# ---------------------------------------------------------------------------------------


def _zstd_chunks(fh: BinaryIO) -> Iterator[bytes]:
    """Decompressed chunks of every frame, about READ_CHUNK bytes each; raises
    TruncatedDumpError on a cut-off frame (zstandard's stream_reader would silently stop
    there) and CorruptDumpError on bytes zstd cannot read.

    The decompressor is fed ZSTD_FEED compressed bytes at a time: one call returns all it
    can, and a few KiB of zstd can hold hundreds of MiB (a run of one byte), so this bounds
    the memory a file can take, whatever it holds."""
    dctx = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
    dobj, fed = dctx.decompressobj(), False
    pending, size = [], 0
    while block := fh.read(1 << 20):
        view = memoryview(block)
        for at in range(0, len(view), ZSTD_FEED):
            raw = view[at : at + ZSTD_FEED]
            while raw:
                fed = True
                try:
                    out = dobj.decompress(raw)
                except zstandard.ZstdError as error:
                    raise CorruptDumpError(f"{getattr(fh, 'name', 'stream')}: not readable as zstd ({error})") from None
                pending.append(out)
                size += len(out)
                if dobj.eof:  # next frame, if any, starts in unused_data
                    raw, dobj, fed = dobj.unused_data, dctx.decompressobj(), False
                else:
                    raw = b""
            if size >= READ_CHUNK:
                yield b"".join(pending)
                pending, size = [], 0
    if size:
        yield b"".join(pending)
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
    """The file's complete lines, one Arrow array per decompressed chunk. A line longer than
    MAX_LINE_BYTES is cut to its first MAX_LINE_BYTES + 1 bytes (which staging rejects as
    "line too long") and the rest skipped, so memory stays bounded whatever the input."""
    # Opened by its real path: the sensor and `ingest dump` reach a dump through a link in
    # incoming/, and an error (a truncated frame) should name the file the user can fetch again.
    with path.resolve().open("rb") as fh:
        chunks = _zstd_chunks(fh) if _is_zstd(fh) else _plain_chunks(fh)
        tail, skipping = b"", False
        for chunk in chunks:
            if skipping:  # the rest of an overlong line, up to its newline
                end = chunk.find(b"\n")
                if end < 0:
                    continue
                chunk, skipping = chunk[end + 1 :], False
            data = tail + chunk
            end = data.rfind(b"\n") + 1
            if end:
                yield _split_lines(data[:end])
            tail = data[end:]
            if len(tail) > MAX_LINE_BYTES:
                yield _split_lines(tail[: MAX_LINE_BYTES + 1] + b"\n")
                tail, skipping = b"", True
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


def _read_ahead(items: Iterator[pa.ChunkedArray]) -> Iterator[pa.ChunkedArray]:
    """`items`, each next one produced on a worker thread while the caller uses the
    current one: decompressing and splitting (zstandard and numpy release the GIL) overlap
    DuckDB's staging of the batch before. An exception in `items` is raised here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(next, items, None)
        while (item := pending.result()) is not None:
            pending = pool.submit(next, items, None)
            yield item


class _DumpPartition:
    """One dump file's two writers: each line staged with the writer of its kind
    (`select_kind_of_lines.sql`), a line of neither kind with the lead writer's, rejected."""

    def __init__(self, con: duckdb.DuckDBPyConnection, source: str, ingested_at: int, given: Kind | None):
        self.con = con
        self.writers = {kind: PartitionWriter(con, kind, source, ingested_at) for kind in TABLES}
        # Whose writer keeps the lines of neither kind: the kind given, else that of the first
        # batch's first line that has one (a first batch with none: comments).
        self.lead = given
        self.held = dict.fromkeys(TABLES, 0)  # lines of each kind, rows and rejects

    def stage(self, lines: pa.Array, raw: pa.ChunkedArray) -> None:
        self.con.register("batch", pa.table({"line": lines, "raw": raw}))
        try:
            kinds = self.con.sql(sql("select_kind_of_lines")).to_arrow_table()["kind"].combine_chunks()
        finally:
            self.con.unregister("batch")
        if self.lead is None:
            routed = kinds.drop_null()
            self.lead = routed[0].as_py() if len(routed) else "comments"
        for kind, writer in self.writers.items():
            mine = pc.equal(kinds, kind)  # null for a line of neither kind
            count = pc.sum(mine).as_py() or 0
            self.held[kind] += count
            if count == len(raw):  # a file of one kind: no copy
                writer.stage(lines, raw)
            elif count:
                writer.stage(lines.filter(mine), raw.filter(mine))
        neither = pc.is_null(kinds)
        if pc.any(neither).as_py():
            self.writers[self.lead].stage(lines.filter(neither), raw.filter(neither), routed=False)

    @property
    def unmerged_lines(self) -> int:
        return sum(writer.unmerged_lines for writer in self.writers.values())

    def merge(self) -> list[IngestReport]:
        return [writer.merge() for writer in self.writers.values()]


@dataclass
class DumpReport(IngestReport):
    """What one dump file's ingest did: the counts of both kinds added up, and by kind.
    `kind` is "comments" or "submissions" when the file held one, "mixed" when both."""

    given: str | None = None  # the kind the caller said the file holds, if it said
    held: dict[str, int] = field(default_factory=dict)  # lines of each kind (rows and rejects)

    @property
    def note(self) -> str | None:
        """What to tell a user whose file does not hold only the kind it was given as."""
        if self.given is None:
            return None
        other = next(kind for kind in self.held if kind != self.given)
        if not self.held[other]:
            return None
        name = self.source.removeprefix("dump:")
        return (
            f"{name} was given as {self.given} but holds {self.held[self.given]} {self.given} "
            f"and {self.held[other]} {other}; both were ingested"
        )


def _dump_report(source: str, given: Kind | None, partition: _DumpPartition, parts: list[IngestReport]) -> DumpReport:
    held = [kind for kind, count in partition.held.items() if count]
    kind = held[0] if len(held) == 1 else "mixed" if held else partition.lead
    report = DumpReport(source=source, kind=kind, given=given, held=dict(partition.held))
    for part in parts:
        for name in ("rows", "inserted", "updated", "kept_newer", "duplicates"):
            setattr(report, name, getattr(report, name) + getattr(part, name))
        for reason, count in part.rejects.items():
            report.rejects[reason] = report.rejects.get(reason, 0) + count
    return report


def _stage_lines(
    path: Path, partition: _DumpPartition, batch_lines: int, on_batch: Callable[[int], None] | None
) -> int:
    """Stage the file's lines a batch at a time; the number of lines read."""
    lines = 0
    for batches, raw in enumerate(_read_ahead(iter_line_batches(path, batch_lines)), 1):
        partition.stage(pa.array(np.arange(lines + 1, lines + 1 + len(raw))), raw)
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
) -> DumpReport:
    """Ingest one dump file (NDJSON, zstd or plain, told by its first bytes) as one
    partition: stage every line, then merge them into the warehouse in one transaction.

    Each line goes to the table of its kind, whatever the file is said to hold: a comment
    has a parent_id or link_id, a submission a title; any other line is a reject.
    kind: what the caller says the file holds ("comments" or "submissions"), or None. It
        never changes where a line goes: the report's `note` says when the file holds the
        other kind too, and the lines of neither kind are kept in ingest_rejects as this
        kind (None: as the kind of the file's first line that has one).
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
    if kind not in (None, *TABLES):
        raise DumpKindError(f"a dump holds comments or submissions, not {kind!r}")
    if not path.is_file():  # a folder opens, on some systems, and reads as nothing
        raise CorruptDumpError(f"{path} is not a dump file" + (" but a folder" if path.is_dir() else ""))
    source = f"dump:{source_name or path.name}"
    partition = _DumpPartition(con, source, int(now()), kind)

    def merge_when_due(batches: int) -> None:
        if on_batch is not None:
            on_batch(batches)
        if commit_every_rows and partition.unmerged_lines >= commit_every_rows:
            with transaction(con):
                partition.merge()

    lines = _stage_lines(path, partition, batch_rows, merge_when_due)
    with transaction(con):
        parts = partition.merge()
        drop_earlier_rejects(con, *partition.writers.values())
    report = _dump_report(source, kind, partition, parts)
    report.lines = lines
    report.seconds = round(time.perf_counter() - started, 3)
    return report
