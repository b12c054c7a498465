"""The `Warehouse` resource: the DuckDB file (dagster-duckdb's resource, which retries a
lock held by another process) plus the folders where snapshots and models are written.
`pipelines/resources.py` builds the instance."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from assets.warehouse.schema import migrate

# DuckDB allows one writer per file: every asset that writes the warehouse runs in this
# pool, whose limit (1) is set in dagster.yaml, so parallel backfills queue instead of
# failing on the file lock.
WAREHOUSE_WRITER_POOL = "duckdb_warehouse"


class Warehouse(DuckDBResource):
    snapshots_dir: str = Field(description="Where immutable pair snapshots are written.")
    models_dir: str = Field(description="Where trained models are written.")

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to the warehouse with every migration applied, always closed."""
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with self.get_connection() as con:
            try:
                migrate(con)
                yield con
            finally:
                con.close()
