"""The DuckDB warehouse: where it lives, how it is opened, and how a stage reads its SQL files.

Each stage keeps its SQL in `<stage>/sql/<verb>_<table>.sql` beside the code that runs it and
reads it through `sql_folder(__file__)`; every query binds its parameters.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

from training.errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# How long a writer waits for another process's lock on the file before giving up: long enough
# for an audit or a short write to finish, short enough that a stuck holder is reported.
LOCK_WAIT_S = 60.0


class WarehouseUnusable(UserError):
    """A warehouse path that cannot be created, read or written, or a file another process holds."""


def default_warehouse_dir() -> Path:
    """`UPVOTE_DPO_HOME` if set, else `data/warehouse/` in the project (git-ignored)."""
    return Path(os.environ.get("UPVOTE_DPO_HOME", PROJECT_ROOT / "data" / "warehouse"))


def default_db_path() -> Path:
    return default_warehouse_dir() / "upvote.duckdb"


@cache
def _read_sql(path: Path) -> str:
    return path.read_text()


def sql_folder(module_file: str) -> Callable[[str], str]:
    """The reader of the `sql/` folder beside `module_file`: `sql("name")` is the text of
    `sql/name.sql`, read once."""
    folder = Path(module_file).resolve().parent / "sql"
    return lambda name: _read_sql(folder / f"{name}.sql")


def connect(db_path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse. A writable open creates the file on first use and applies the
    migrations it lacks (`assets.warehouse.schema`). A read-only open never writes: a warehouse
    that lacks some raises `WarehouseOutOfDate`, which names the command that applies them."""
    # Imported here: schema.py reads its SQL and runs its transactions with this module's helpers.
    from assets.warehouse.schema import migrate, require_current

    db_path = Path(db_path)
    if not read_only:
        prepare_folder(db_path)
    con = open_duckdb(db_path, read_only=read_only)
    try:
        if read_only:
            require_current(con)
        else:
            migrate(con)
    except BaseException:
        con.close()
        raise
    return con


def prepare_folder(db_path: str | Path) -> None:
    """Create the warehouse's folder and prove that it takes a new file (DuckDB writes its WAL
    beside the database) and that an existing file opens for writing. A path that fails either
    raises `WarehouseUnusable` at once, instead of a traceback or DuckDB's retries later."""
    db_path = Path(db_path)
    folder = db_path.parent
    try:
        step = f"cannot create the folder {folder}"
        folder.mkdir(parents=True, exist_ok=True)
        # Permission bits tell nothing to root, nor about a read-only mount or /proc: only
        # writing a file does.
        step = f"cannot write in {folder}"
        with tempfile.TemporaryFile(dir=folder):
            pass
        step = "cannot write to it"
        if db_path.exists():
            with open(db_path, "r+b"):
                pass
    except OSError as error:
        # mkdir reports a file in the way as "File exists" (exist_ok covers only folders).
        reason = "a file is in the way" if isinstance(error, FileExistsError) else error.strerror or str(error)
        raise WarehouseUnusable(f"cannot use {db_path} as the warehouse: {step}: {reason}") from None


def open_duckdb(
    db_path: str | Path, read_only: bool = False, lock_wait_s: float = 0.0, config: dict | None = None
) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect`, where a file DuckDB refuses is a `WarehouseUnusable`. Only a lock that
    another process holds is tried again, for up to `lock_wait_s`, each wait printed on stderr
    with the holder and the time left; anything else fails at once."""
    deadline = time.monotonic() + lock_wait_s
    delay = 0.5
    while True:
        try:
            return duckdb.connect(str(db_path), read_only=read_only, config=config or {})
        except duckdb.IOException as error:
            in_use = lock_holder(db_path, error)
            left = deadline - time.monotonic()
            if in_use is None or left <= 0:
                waited = f" (waited {lock_wait_s:.0f} s)" if in_use and lock_wait_s else ""
                raise cannot_open(db_path, error, waited) from None
            print(f"{in_use}: trying again for up to {left:.0f} s more", file=sys.stderr, flush=True)
            time.sleep(min(delay, left))
            delay = min(delay * 2, 5.0)


def lock_holder(db_path: str | Path, error: duckdb.IOException) -> str | None:
    """ "<db_path> is in use by process N" when another process holds the file's lock, else None."""
    message = str(error)
    if "Could not set lock on file" not in message:
        return None
    holder = re.search(r"\(PID (\d+)\)", message)
    # DuckDB allows one writing process or several reading ones per file.
    return f"{db_path} is in use by {f'process {holder.group(1)}' if holder else 'another process'}"


def cannot_open(db_path: str | Path, error: duckdb.IOException, waited: str = "") -> WarehouseUnusable:
    """The one line for a file DuckDB would not open: who holds its lock, or DuckDB's reason."""
    in_use = lock_holder(db_path, error)
    if in_use:
        return WarehouseUnusable(f"{in_use}: try again once it has finished{waited}")
    return WarehouseUnusable(f"cannot open {db_path}: {str(error).strip().splitlines()[0].removeprefix('IO Error: ')}")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: commit when the block ends, roll back on any exception."""
    con.begin()
    try:
        yield con
        con.commit()
    except BaseException:
        con.rollback()
        raise
