"""Resources of the Reddit source.

- `DumpArchive`: Reddit archive dumps, one partition per file in an incoming folder.
- `RedditApi`: live Reddit through praw; credentials come from the environment only, so
  they never sit in run config, metadata or logs. Tests subclass it to hand praw a
  recorded HTTP session and to fix its clock, and everything above the HTTP edge runs for real.
"""

from __future__ import annotations

import time
from pathlib import Path

import dagster as dg
import praw
from pydantic import Field

from assets.ingest.reddit.live import reddit_from_env
from training.errors import UserError


class MissingDumpError(UserError, FileNotFoundError):
    """A dump partition whose file is not in the incoming folder."""


class DumpArchive(dg.ConfigurableResource):
    """Pushshift / Arctic Shift dump files (zstd NDJSON or plain NDJSON)."""

    incoming_dir: str = Field(description="Folder watched for new dump files.")
    commit_every_rows: int = Field(
        default=0,
        description="0: each file merged in one transaction (all or nothing). N > 0: commit "
        "every N lines, so staging stays small and a long ingest keeps its progress: "
        "a failed run keeps what it committed and a re-run completes it without duplicates. "
        "To bound memory, set the warehouse's connection_config memory_limit (e.g. '1GB').",
    )

    def path_of(self, partition_key: str) -> Path:
        path = Path(self.incoming_dir) / partition_key
        if not path.exists():
            raise MissingDumpError(
                f"dump partition {partition_key!r} has no file at {path}; "
                f"put the dump in {self.incoming_dir} or remove the partition"
            )
        return path

    def dump_file_stats(self) -> dict[str, list[int]]:
        """[size, mtime_ns] of each dump file now in the incoming folder, by name, sorted."""
        folder = Path(self.incoming_dir)
        if not folder.is_dir():
            return {}
        stats = {}
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.name.endswith((".zst", ".ndjson", ".jsonl")):
                stat = path.stat()
                stats[path.name] = [stat.st_size, stat.st_mtime_ns]
        return stats


class RedditApi(dg.ConfigurableResource):
    """Live Reddit: the subreddits to follow and how hard to ask."""

    subreddits: list[str] = Field(default=["AskReddit"], description="Subreddits fetched for each day partition.")
    replace_more_limit: int = Field(default=8, description="`replace_more` calls per thread (each one is a request).")
    max_retries: int = Field(default=5, description="Rate-limited (429) attempts per request before the run fails.")
    max_submissions: int = Field(
        default=1000,
        description="Listing items walked per subreddit (Reddit's listings stop near 1000); a "
        "listing that ends before the day's start is reported (`cut_short`).",
    )
    mature_after_days: int = Field(
        default=3,
        ge=1,
        description="Days after a day ends that its threads count as matured: the schedule then "
        "fetches the day again, for its late replies and settled scores (docs/ingest.md).",
    )

    def client(self) -> praw.Reddit:
        return reddit_from_env()

    def now(self) -> float:
        """The time a fetch is made and its rows are stamped with (epoch seconds)."""
        return time.time()
