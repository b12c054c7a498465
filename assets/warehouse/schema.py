"""The warehouse's schema: numbered migrations, applied in order and recorded in `schema_version`.

A migration is `migrations/NNNN_name.sql`, numbered from 0001 without gaps. A writable open
(`connect.connect`, the `Warehouse` resource) applies the ones the file lacks, each in its own
transaction together with its `schema_version` row, so a failed one leaves the warehouse at the
version before it. `upvote-dpo migrate --db PATH` does the same and says what it did. A
read-only open (the audit's) never writes: it raises `WarehouseOutOfDate`, naming that command.

A warehouse made before schema versions has the tables but no `schema_version`. It is stamped
at the baseline, 0001, without running it, when its schema is the baseline's object by object
(columns in order, constraints, indexes, macros, as DuckDB's catalog reads them back:
select_warehouse_schema.sql). Any other such warehouse was written by a development build,
which is not upgraded: `UnsupportedWarehouse` says so.

To change the schema, add the next file (say `0002_add_pair_language.sql`); never edit a
released one, which the warehouses that have it do not run again.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from assets.warehouse.connect import sql_folder, transaction
from training.errors import UserError

sql = sql_folder(__file__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_NAME = re.compile(r"(\d{4})_(\w+)\.sql")


class WarehouseSchemaError(UserError):
    """The warehouse's schema is not one this code can use as it is; the message says what to do.
    Something a user can fix, not a bug: the CLI prints it as one line."""


class WarehouseOutOfDate(WarehouseSchemaError):
    """A read-only open found migrations to apply; `upvote-dpo migrate --db PATH` applies them."""


class UnsupportedWarehouse(WarehouseSchemaError):
    """Written by a development build, or by a newer upvote-dpo than this one: no migration
    leads from it to this code's schema."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str  # the rest of the file name: 0001_initial.sql -> "initial"
    path: Path

    def __str__(self) -> str:
        return self.path.stem


def migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in `folder` in order; ValueError unless they are numbered 1, 2, 3, ..."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = MIGRATION_NAME.fullmatch(path.name)
        if match is None:
            raise ValueError(f"{path}: a migration's file is named NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path))
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise ValueError(f"{folder}: migrations must be numbered 1, 2, 3, ... with no gap or repeat, not {versions}")
    return found


@dataclass(frozen=True)
class MigrationReport:
    """What `migrate` did to a warehouse."""

    stamped: Migration | None  # the baseline, recorded on a warehouse made before versions
    applied: list[Migration]  # run, in order
    version: int  # the warehouse's version now

    def lines(self) -> list[str]:
        if self.stamped is None and not self.applied:
            return [f"up to date at version {self.version}"]
        lines = []
        if self.stamped is not None:
            lines.append(
                f"stamped version {self.stamped.version} ({self.stamped.name}): the warehouse was made"
                " before schema versions and has that schema; nothing in it changed"
            )
        lines += [f"applied {migration}" for migration in self.applied]
        return [*lines, f"now at version {self.version}"]


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The highest migration the warehouse has: 0 for a file without tables, None for one
    with tables but no `schema_version` (made before schema versions)."""
    tables = warehouse_tables(con)
    if "schema_version" in tables:
        return con.execute(sql("select_schema_version")).fetchall()[0][0]
    return None if tables else 0


def warehouse_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {table for (table,) in con.execute(sql("select_warehouse_tables")).fetchall()}


def migrate(con: duckdb.DuckDBPyConnection, folder: Path = MIGRATIONS_DIR) -> MigrationReport:
    """Bring the warehouse to the latest migration in `folder`: stamp one made before schema
    versions at the baseline, then apply each missing migration in its own transaction."""
    known = migrations(folder)
    version = schema_version(con)
    stamped = None
    if version is None:
        stamped = known[0]
        check_baseline(con, stamped)
        with transaction(con):
            _record(con, stamped)
        version = stamped.version
    check_not_newer(con, version, known)
    for migration in known[version:]:
        with transaction(con):
            con.execute(migration.path.read_text())
            _record(con, migration)
    return MigrationReport(stamped, known[version:], len(known))


def _record(con: duckdb.DuckDBPyConnection, migration: Migration) -> None:
    con.execute(sql("create_schema_version"))
    con.execute(sql("insert_into_schema_version"), {"version": migration.version, "name": migration.name})


def require_current(con: duckdb.DuckDBPyConnection, folder: Path = MIGRATIONS_DIR) -> None:
    """Raise unless the warehouse has every migration, writing nothing: for a read-only open."""
    known = migrations(folder)
    version = schema_version(con)
    if version is None:
        check_baseline(con, known[0])  # one that migrate cannot upgrade says so instead
    check_not_newer(con, version or 0, known)
    if version != len(known):
        path = warehouse_path(con)
        described = "none (made before schema versions)" if version is None else str(version)
        raise WarehouseOutOfDate(
            f"the warehouse {path} is at schema version {described} and this upvote-dpo needs"
            f" version {len(known)}: upgrade it with `upvote-dpo migrate --db {shlex.quote(path)}`"
        )


def check_not_newer(con: duckdb.DuckDBPyConnection, version: int, known: list[Migration]) -> None:
    if version > len(known):
        raise UnsupportedWarehouse(
            f"the warehouse {warehouse_path(con)} is at schema version {version}, newer than this"
            f" upvote-dpo knows ({len(known)}): use the upvote-dpo that wrote it, or a later one"
        )


def check_baseline(con: duckdb.DuckDBPyConnection, baseline: Migration) -> None:
    """Raise `UnsupportedWarehouse` unless the warehouse's schema is `baseline`'s exactly."""
    ours = {owner for kind, owner, _ in _schema_made_by(baseline.path) if kind == "column"}
    if not ours & warehouse_tables(con):
        raise UnsupportedWarehouse(
            f"{warehouse_path(con)} is not an upvote-dpo warehouse: it holds other tables and none of"
            " the warehouse's; pass the warehouse's file with --db"
        )
    differences = schema_differences(con, baseline.path)
    if differences:
        shown = "; ".join(differences[:5]) + ("; ..." if len(differences) > 5 else "")
        raise UnsupportedWarehouse(
            f"the warehouse {warehouse_path(con)} has no schema version and is not at version"
            f" {baseline.version} either ({shown}): a development build of upvote-dpo wrote it, and"
            " this version does not upgrade those; build a new warehouse (ingest, pairs build, snapshot)"
        )


def schema_differences(con: duckdb.DuckDBPyConnection, migration: Path) -> list[str]:
    """How the warehouse's objects differ from those `migration` creates in an empty database,
    in words. Objects on tables or macros the migration does not create are not compared."""
    expected = _schema_made_by(migration)
    owners = {owner for _, owner, _ in expected}
    actual = {
        (kind, owner, name): definition
        for kind, owner, name, definition in con.execute(sql("select_warehouse_schema")).fetchall()
        if owner in owners
    }
    differences = []
    for kind, owner, name in sorted(expected.keys() | actual.keys()):
        what = f"{kind} {owner}" if kind == "macro" else f"{kind} {owner}.{name}"
        if (kind, owner, name) not in actual:
            differences.append(f"no {what}")
        elif (kind, owner, name) not in expected:
            differences.append(f"an extra {what}")
        elif actual[kind, owner, name] != expected[kind, owner, name]:
            differences.append(f"{what} is {actual[kind, owner, name]}, not {expected[kind, owner, name]}")
    return differences


@cache
def _schema_made_by(migration: Path) -> dict[tuple[str, str, str], str]:
    with duckdb.connect() as scratch:
        scratch.execute(migration.read_text())
        return {
            (kind, owner, name): definition
            for kind, owner, name, definition in scratch.execute(sql("select_warehouse_schema")).fetchall()
        }


def warehouse_path(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute(sql("select_warehouse_path")).fetchall()[0][0]


def migrate_file(db_path: str | Path) -> MigrationReport:
    """`upvote-dpo migrate`: apply the missing migrations to the warehouse at `db_path`, which
    must exist (a mistyped path would otherwise become a new, empty warehouse)."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise WarehouseSchemaError(f"no warehouse at {db_path}: nothing to migrate")
    with duckdb.connect(str(db_path)) as con:
        return migrate(con)
