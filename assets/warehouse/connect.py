"""The DuckDB warehouse: where it lives, its schema, and how a stage reads its SQL files.

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


sql = sql_folder(__file__)


# Columns added to older warehouses (create_warehouse_tables.sql's ALTER TABLE lines) with the
# update that fills them in for the rows such a warehouse holds: run once, when the column is
# added, never again (a frozen row is lineage).
BACKFILLS = {
    ("snapshots", "last_frozen_at"): "update_snapshots_last_frozen_at",
    ("preference_pairs", "post_author"): "update_preference_pairs_post_author",
    ("snapshot_pairs", "post_author"): "update_snapshot_pairs_post_author",
}


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the warehouse tables that do not exist yet, add what older ones lack (filling
    the added columns in once), then the indexes."""
    columns = set(con.execute(sql("select_warehouse_columns")).fetchall())
    tables = {table for table, _ in columns}
    con.execute(sql("create_warehouse_tables"))
    for (table, column), backfill in BACKFILLS.items():
        if table in tables and (table, column) not in columns:
            con.execute(sql(backfill))
    con.execute(sql("update_forget_requests_lowercase_authors"))
    con.execute(sql("create_warehouse_indexes"))


def connect(db_path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, creating the file and its tables on first use. One made by an older
    version is brought up to date even when opened read-only (by a writable open first): the
    audit's queries read the columns added since."""
    db_path = Path(db_path)
    if read_only:
        con = duckdb.connect(str(db_path), read_only=True)
        if con.execute(sql("select_warehouse_is_current")).fetchall()[0][0]:
            return con
        con.close()
        connect(db_path).close()
        return duckdb.connect(str(db_path), read_only=True)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path))
    ensure_schema(con)
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
