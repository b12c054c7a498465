"""The Stack Exchange source's resource: site dumps, one partition per site, in an incoming
folder (`<warehouse>/incoming/stackexchange/<site>/` or `.../<site>.7z`)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from training.errors import UserError


class MissingSiteDump(UserError, FileNotFoundError):
    """A site partition whose dump is not in the incoming folder."""


class StackExchangeArchive(dg.ConfigurableResource):
    """Stack Exchange data dumps: a folder per site (Posts.xml and the optional Votes, Comments,
    Users; plain or .zst) or the site's .7z archive."""

    incoming_dir: str = Field(description="Folder watched for site dumps: <site>/ folders or <site>.7z archives.")

    def path_of(self, site: str) -> Path:
        folder = Path(self.incoming_dir)
        for path in (folder / site, folder / f"{site}.7z"):
            if path.exists():
                return path
        raise MissingSiteDump(
            f"Stack Exchange partition {site!r} has no dump at {folder / site}/ or {folder / site}.7z; "
            f"put the site's dump there or remove the partition"
        )

    def site_stats(self) -> dict[str, list[int]]:
        """[total size, newest mtime_ns] of each site's dump now in the incoming folder, by site."""
        folder = Path(self.incoming_dir)
        if not folder.is_dir():
            return {}
        stats = {}
        for path in sorted(folder.iterdir()):
            if path.is_dir():
                files = [child.stat() for child in path.iterdir() if child.is_file()]
                if files:
                    stats[path.name] = [sum(s.st_size for s in files), max(s.st_mtime_ns for s in files)]
            elif path.is_file() and path.name.endswith(".7z"):
                stat = path.stat()
                stats[path.name.removesuffix(".7z")] = [stat.st_size, stat.st_mtime_ns]
        return stats
