"""The `Warehouse` resource as an asset opens it: a path it cannot use fails at once as a
`UserError`; only another process's lock is waited for, for a bounded time, and each wait is
printed with the holder and the time left."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from assets.warehouse.connect import WarehouseUnusable
from assets.warehouse.resources import Warehouse


def warehouse(db: Path, lock_wait_s: float = 60.0) -> Warehouse:
    return Warehouse(
        database=str(db), snapshots_dir=str(db.parent / "s"), models_dir=str(db.parent / "m"), lock_wait_s=lock_wait_s
    )


@pytest.fixture
def held(tmp_path):
    """A warehouse file whose lock another process holds for `seconds`; DuckDB's lock is per
    process, so only another process can hold it."""

    def hold(seconds: float) -> tuple[Path, subprocess.Popen]:
        db = tmp_path / "held.duckdb"
        code = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print(flush=True); time.sleep(float(sys.argv[2]))"
        holder = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE)
        holder.stdout.readline()  # the lock is held once it printed
        holders.append(holder)
        return db, holder

    holders: list[subprocess.Popen] = []
    yield hold
    for holder in holders:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("content", ["not a database", None], ids=["not-duckdb", "file-in-the-way"])
def test_a_path_it_cannot_use_fails_at_once_without_retrying(tmp_path, content):
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    db = junk if content else junk / "upvote.duckdb"
    started = time.monotonic()
    with pytest.raises(WarehouseUnusable), warehouse(db).connect():
        pass
    # dagster-duckdb's own connection tried every IOException again for about 107 s.
    assert time.monotonic() - started < 5


def test_a_lock_held_too_long_is_waited_for_then_named(held, capsys):
    db, holder = held(60)
    started = time.monotonic()
    with pytest.raises(WarehouseUnusable) as error, warehouse(db, lock_wait_s=2).connect():
        pass
    assert 2 <= time.monotonic() - started < 10
    assert str(error.value) == f"{db} is in use by process {holder.pid}: try again once it has finished (waited 2 s)"
    waits = capsys.readouterr().err.splitlines()
    assert waits and all(
        line.startswith(f"{db} is in use by process {holder.pid}: trying again for up to ") for line in waits
    )


def test_a_lock_released_in_time_lets_the_asset_go_on(held, capsys):
    db, _ = held(1.5)
    with warehouse(db, lock_wait_s=30).connect() as con:
        assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] >= 1
    assert "trying again for up to" in capsys.readouterr().err
