"""The DuckDB warehouse: where it lives, how it is opened, and how a stage reads its SQL files.

Each stage keeps its SQL in `<stage>/sql/<verb>_<table>.sql` beside the code that runs it and
reads it through `sql_folder(__file__)`; every query binds its parameters.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parents[2]


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
        db_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path), read_only=read_only)
    try:
        if read_only:
            require_current(con)
        else:
            migrate(con)
    except BaseException:
        con.close()
        raise
    return con


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
