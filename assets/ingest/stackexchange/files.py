"""Finding a Stack Exchange dump's files and reading their lines, streamed.

A site's dump is given as a folder holding `Posts.xml` (required) and any of `Votes.xml`,
`Comments.xml`, `Users.xml`, each plain or zstd-compressed (`Posts.xml.zst`), or as the
`<site>.7z` archive Stack Exchange publishes (the same files inside). Nothing is ever read
whole: a plain or zstd file is read through a buffered stream, and an archive member is
decompressed by py7zr on a worker thread into a bounded queue that the lines are read from.

    dump = find_dump("quantumcomputing.stackexchange.com/")
    for name in dump.files:                       # {"Posts": "Posts.xml.zst", ...}
        for number, line in dump.lines(name):     # 1-based, BOM and CR/LF removed
            ...
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from training.errors import UserError

# The dump files this source reads, in the order they are ingested; Posts is required.
DUMP_FILES = ("Posts", "Users", "Votes", "Comments")
READ_BUFFER = 1 << 20
MAX_LINE_BYTES = 32 << 20  # a longer line is rejected; the longest real post is well under 1 MiB
BOM = b"\xef\xbb\xbf"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
ARCHIVE_QUEUE_CHUNKS = 16  # decompressed chunks an archive's reader thread may run ahead


class DumpNotFound(UserError, FileNotFoundError):
    """The path is not a Stack Exchange dump: no such path, or no Posts.xml in it."""


@dataclass(frozen=True)
class SiteDump:
    """One site's dump: its site name and where each of its files is."""

    site: str  # "quantumcomputing.stackexchange.com"
    path: Path  # the folder or the .7z archive
    files: dict[str, str]  # "Posts" -> the file's name in the folder or archive

    @property
    def is_archive(self) -> bool:
        return self.path.is_file()

    def lines(self, name: str) -> Iterator[tuple[int, bytes]]:
        """(line number, line) for each line of the file `name` ("Posts", ...): without the
        UTF-8 BOM and the line end (CR LF or LF). A line longer than MAX_LINE_BYTES comes as
        its first MAX_LINE_BYTES + 1 bytes, the rest skipped."""
        with self._open(self.files[name]) as stream:
            yield from _numbered_lines(stream)

    @contextmanager
    def _open(self, member: str) -> Iterator[BinaryIO]:
        if self.is_archive:
            with _archive_member(self.path, member) as stream:
                yield stream
            return
        with (self.path / member).open("rb") as fh:
            if fh.read(4) == ZSTD_MAGIC:
                fh.seek(0)
                reader = zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True)
                with io.BufferedReader(reader, READ_BUFFER) as stream:
                    yield stream
            else:
                fh.seek(0)
                yield fh


def site_name(path: Path) -> str:
    """The site a dump is of, from its folder's or archive's name ("x.stackexchange.com.7z")."""
    return path.name.removesuffix(".7z")


def find_dump(path: str | Path, site: str | None = None) -> SiteDump:
    """The dump at `path` (a folder or a .7z archive); DumpNotFound unless it has Posts.xml."""
    path = Path(path).resolve()
    if path.is_dir():
        names = [child.name for child in path.iterdir() if child.is_file()]
    elif path.is_file() and path.name.endswith(".7z"):
        names = _archive_names(path)
    elif path.exists():
        raise DumpNotFound(f"{path} is neither a dump folder nor a .7z archive of one")
    else:
        raise DumpNotFound(f"no such Stack Exchange dump: {path}")
    files = {}
    for name in DUMP_FILES:
        found = [n for n in names if n.lower() in (f"{name.lower()}.xml", f"{name.lower()}.xml.zst")]
        if found:
            files[name] = sorted(found)[0]
    if "Posts" not in files:
        raise DumpNotFound(f"{path} holds no Posts.xml (or Posts.xml.zst): not a Stack Exchange site dump")
    return SiteDump(site or site_name(path), path, files)


def _numbered_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    number, skipping = 0, False
    while line := stream.readline(MAX_LINE_BYTES + 1):
        complete = line.endswith(b"\n")
        if skipping:  # the rest of an overlong line
            skipping = not complete
            continue
        number += 1
        if number == 1:
            line = line.removeprefix(BOM)
        if not complete and len(line) > MAX_LINE_BYTES:
            skipping = True
        yield number, line.rstrip(b"\r\n")


def _archive_names(path: Path) -> list[str]:
    import py7zr  # loaded only for archives

    try:
        with py7zr.SevenZipFile(path) as archive:
            return [Path(name).name for name in archive.getnames()]
    except py7zr.Bad7zFile as error:
        raise DumpNotFound(f"{path} is not a readable 7z archive ({error})") from None


class _QueueStream(io.RawIOBase):
    """The decompressed bytes a py7zr writer thread puts on a queue, as a readable stream;
    None on the queue ends it, an exception is raised in the reader."""

    def __init__(self, chunks: queue.Queue):
        self.chunks, self.pending, self.done = chunks, b"", False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending and not self.done:
            chunk = self.chunks.get()
            if isinstance(chunk, BaseException):
                raise chunk
            if chunk is None:
                self.done = True
            else:
                self.pending = chunk
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


@contextmanager
def _archive_member(path: Path, member: str) -> Iterator[BinaryIO]:
    """One member of a 7z archive as a stream: py7zr decompresses it on a thread, through a
    writer that hands each chunk to a bounded queue, so at most ARCHIVE_QUEUE_CHUNKS chunks
    are ever held."""
    import py7zr
    from py7zr.io import Py7zIO, WriterFactory

    chunks: queue.Queue = queue.Queue(ARCHIVE_QUEUE_CHUNKS)
    stop = threading.Event()

    class Writer(Py7zIO):
        def write(self, data) -> int:
            if stop.is_set():
                raise InterruptedError("reader gone")
            chunks.put(bytes(data))
            return len(data)

        def read(self, size=None) -> bytes:
            return b""

        def seek(self, offset, whence=0) -> int:
            return 0

        def flush(self) -> None:
            pass

        def size(self) -> int:
            return 0

    class Factory(WriterFactory):
        def create(self, filename: str) -> Py7zIO:
            return Writer()

    def extract() -> None:
        try:
            with py7zr.SevenZipFile(path) as archive:
                targets = [name for name in archive.getnames() if Path(name).name == member]
                archive.extract(targets=targets, factory=Factory())
            chunks.put(None)
        except BaseException as error:  # handed to the reader, which raises it
            chunks.put(error)

    worker = threading.Thread(target=extract, daemon=True)
    worker.start()
    try:
        with io.BufferedReader(_QueueStream(chunks), READ_BUFFER) as stream:
            yield stream
    finally:
        stop.set()
        while worker.is_alive():  # unblock a writer waiting on a full queue
            try:
                chunks.get(timeout=0.1)
            except queue.Empty:
                pass
        worker.join()
