"""Paths that cannot hold the warehouse, and files DuckDB refuses: one `UserError`, at once.

Tests run as root, which ignores permission bits, so an unusable path is made another way:
a file where a folder should be, /proc (no new files), a folder where the file should be.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assets.warehouse.connect import WarehouseUnusable, connect, prepare_folder
from training.errors import UserError

UNUSABLE = {
    "file-in-the-way": (lambda tmp: tmp / "a-file" / "upvote.duckdb", "cannot create the folder"),
    "deeper-under-a-file": (lambda tmp: tmp / "a-file" / "sub" / "upvote.duckdb", "cannot create the folder"),
    "folder-takes-no-file": (lambda tmp: Path("/proc/self/upvote.duckdb"), "cannot write in /proc/self"),
    "folder-as-the-file": (lambda tmp: tmp / "a-folder", "cannot write to it: Is a directory"),
}


@pytest.mark.parametrize("path, reason", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_a_path_that_cannot_hold_the_warehouse_is_a_user_error(tmp_path, path, reason):
    (tmp_path / "a-file").write_text("in the way")
    (tmp_path / "a-folder").mkdir()
    db = path(tmp_path)
    for attempt in (lambda: prepare_folder(db), lambda: connect(db)):
        with pytest.raises(WarehouseUnusable) as error:
            attempt()
        assert isinstance(error.value, UserError)
        assert str(error.value).startswith(f"cannot use {db} as the warehouse: ") and reason in str(error.value)


def test_prepare_folder_creates_the_folder_and_leaves_nothing_else(tmp_path):
    db = tmp_path / "new" / "deeper" / "upvote.duckdb"
    prepare_folder(db)
    assert db.parent.is_dir() and list(db.parent.iterdir()) == []


def test_a_file_that_is_not_duckdb_fails_at_once(tmp_path):
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    started = time.monotonic()
    with pytest.raises(WarehouseUnusable, match="not a valid DuckDB database"):
        connect(junk)
    assert time.monotonic() - started < 5
