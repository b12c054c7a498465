"""The `Warehouse` resource: the DuckDB file (a dagster-duckdb resource) plus the folders where
snapshots and models are written. `pipelines/resources.py` builds the instance."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from assets.warehouse.connect import LOCK_WAIT_S, open_duckdb, prepare_folder
from assets.warehouse.schema import migrate

# DuckDB allows one writer per file: every asset that writes the warehouse runs in this
# pool, whose limit (1) is set in dagster.yaml, so parallel backfills queue instead of
# failing on the file lock.
WAREHOUSE_WRITER_POOL = "duckdb_warehouse"


class Warehouse(DuckDBResource):
    snapshots_dir: str = Field(description="Where immutable pair snapshots are written.")
    models_dir: str = Field(description="Where trained models are written.")
    lock_wait_s: float = Field(
        default=LOCK_WAIT_S,
        description="How long to wait for another process's lock on the file, each retry printed on stderr.",
    )

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection, always closed. dagster-duckdb's own tries every IOException
        again for about 107 s; here a path that cannot be created or opened is a `UserError` at
        once, and only another process's lock is waited for (`lock_wait_s`)."""
        prepare_folder(Path(self.database))
        con = open_duckdb(self.database, lock_wait_s=self.lock_wait_s, config=self.connection_config)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to the warehouse with every migration applied, always closed."""
        with self.get_connection() as con:
            migrate(con)
            yield con
