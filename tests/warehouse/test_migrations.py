"""Numbered migrations and `schema_version`: a new warehouse, one made before schema versions
(by the last commit without them, from its own SQL files), one a development build wrote,
read-only opens, and `upvote-dpo migrate`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from assets.snapshot.freeze import create_snapshot
from assets.warehouse.connect import PROJECT_ROOT, connect
from assets.warehouse.schema import (
    MIGRATIONS_DIR,
    UnsupportedWarehouse,
    WarehouseOutOfDate,
    migrate,
    migrations,
    require_current,
    sql,
)
from tests.audit.lineage_factory import LineageSpec, build

# The schema SQL of the last release without schema versions (5ef57a7), kept here so the
# upgrade tests run on any clone, shallow ones included.
BEFORE_VERSIONS = Path(__file__).with_name("before_versions")
TABLES = (
    "reddit_submissions",
    "reddit_comments",
    "ingest_rejects",
    "preference_pairs",
    "snapshots",
    "snapshot_pairs",
    "forget_requests",
    "pair_builds",
    "training_runs",
    "training_run_pairs",
)


def sql_before_versions(name: str) -> str:
    """<name>.sql as the last release before schema versions had it."""
    return (BEFORE_VERSIONS / f"{name}.sql").read_text()


def unversioned(path: Path) -> duckdb.DuckDBPyConnection:
    """An empty warehouse as the last version before schema versions made it (a fresh file: its
    backfills and the author lowercasing had nothing to do)."""
    con = duckdb.connect(str(path))
    con.execute(sql_before_versions("create_warehouse_tables"))
    con.execute(sql_before_versions("create_warehouse_indexes"))
    return con


def versions(con) -> list[tuple[int, str]]:
    return con.execute("SELECT version, name FROM schema_version ORDER BY version").fetchall()


def contents(con) -> dict[str, list[tuple]]:
    return {table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall() for table in TABLES}


def file_state(path: Path) -> tuple:
    """What a write would change: the bytes, the mtime, and whether a write-ahead log appeared."""
    return path.read_bytes(), path.stat().st_mtime_ns, path.with_name(path.name + ".wal").exists()


def test_migrations_are_numbered_from_one_without_gaps(tmp_path):
    known = migrations()
    assert [m.version for m in known] == list(range(1, len(known) + 1))
    assert str(known[0]) == "0001_initial"
    for names in (["0001_a.sql", "0003_b.sql"], ["0001_a.sql", "0001_b.sql"], ["0001_a.sql", "2_b.sql"]):
        folder = tmp_path / "-".join(names)
        folder.mkdir()
        for name in names:
            (folder / name).write_text("SELECT 1")
        with pytest.raises(ValueError):
            migrations(folder)


def test_a_new_warehouse_gets_every_migration_and_reopening_applies_none(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        recorded = con.execute("SELECT version, name, applied_at FROM schema_version ORDER BY 1").fetchall()
    assert [(v, name) for v, name, _ in recorded] == [(m.version, m.name) for m in migrations()]
    assert all(applied_at is not None for *_, applied_at in recorded)
    with connect(path) as con:
        report = migrate(con)
        assert (report.stamped, report.applied, report.version) == (None, [], len(migrations()))
        assert report.lines() == [f"up to date at version {len(migrations())}"]
        assert con.execute("SELECT version, name, applied_at FROM schema_version ORDER BY 1").fetchall() == recorded


@pytest.mark.parametrize("read_only", [False, True])
def test_an_open_leaves_no_result_unfinished(tmp_path, read_only):
    """DuckDB refuses a relation query while an execute() result is unread: the schema checks
    read theirs to the end, so the caller's first `con.sql` works."""
    connect(tmp_path / "w.duckdb").close()
    with connect(tmp_path / "w.duckdb", read_only=read_only) as con:
        assert con.sql("SELECT count(*) FROM schema_version").fetchall() == [(len(migrations()),)]


def test_the_baseline_is_the_schema_warehouses_had_before_versions(tmp_path):
    """Column order and types, constraints, indexes and macros: a new warehouse at 0001 and one
    the last version before schema versions made are the same to DuckDB's catalog."""
    with unversioned(tmp_path / "old.duckdb") as old:
        before = sorted(old.execute(sql("select_warehouse_schema")).fetchall())
    new = duckdb.connect(str(tmp_path / "new.duckdb"))
    new.execute(MIGRATIONS_DIR.joinpath("0001_initial.sql").read_text())
    assert sorted(new.execute(sql("select_warehouse_schema")).fetchall()) == before
    assert len({kind for kind, *_ in before}) == 4  # columns, constraints, indexes, macros compared
    new.close()


def test_a_warehouse_from_before_versions_is_stamped_with_nothing_lost(tmp_path):
    """Lineage, pairs, a forget request and a snapshot frozen before: after `migrate` every row
    is as it was, and freezing the same pairs again gives the same snapshot id, reused."""
    path = tmp_path / "old.duckdb"
    old = unversioned(path)
    lineage = build(old, LineageSpec(pairs=60, snapshots=2, runs=2, dump_lines=100), tmp_path)
    old.execute("INSERT INTO pair_builds (rules, report) VALUES ('{}', '{}')")
    old.execute(
        "INSERT INTO ingest_rejects (source, line, kind, reason, raw) VALUES ('dump:x', 7, 'comment', 'bad json', 'x')"
    )
    # the row `forget` writes (`forget` itself also reads the singles' lineage, which came later)
    old.execute(
        "INSERT INTO forget_requests (kind, value) SELECT 'author', lower(min(chosen_author)) FROM preference_pairs"
    )
    frozen = create_snapshot(old, tmp_path / "snapshots")
    assert frozen.created and frozen.snapshot_id not in lineage.snapshot_ids  # the forget request applied
    before = contents(old)
    old.close()
    assert all(before.values()), "every table holds rows"

    with connect(path) as con:
        assert versions(con) == [(m.version, m.name) for m in migrations()]  # stamped at 1, then the rest
        assert contents(con) == before
        again = create_snapshot(con, tmp_path / "snapshots")
        assert (again.snapshot_id, again.created) == (frozen.snapshot_id, False)
        ids = con.execute("SELECT snapshot_id FROM snapshots ORDER BY created_at").fetchall()
    assert [snapshot_id for (snapshot_id,) in ids] == [*lineage.snapshot_ids, frozen.snapshot_id]


def test_a_read_only_open_of_an_unmigrated_warehouse_raises_and_writes_nothing(tmp_path):
    path = tmp_path / "old.duckdb"
    unversioned(path).close()
    state = file_state(path)
    with pytest.raises(WarehouseOutOfDate, match=f"upvote-dpo migrate --db {path}") as raised:
        connect(path, read_only=True)
    assert "before schema versions" in str(raised.value)
    assert file_state(path) == state

    connect(path).close()  # what `upvote-dpo migrate` does
    with connect(path, read_only=True) as con:
        assert versions(con) == [(m.version, m.name) for m in migrations()]


def test_a_warehouse_a_development_build_wrote_is_refused_and_left_as_it_is(tmp_path):
    """Tables but no schema_version, and a schema that is not the baseline's: neither open
    guesses how to upgrade it, and the error names what differs."""
    path = tmp_path / "dev.duckdb"
    with unversioned(path) as dev:
        dev.execute("ALTER TABLE training_runs DROP COLUMN model_files_sha256")
        dev.execute("CREATE INDEX snapshot_pairs_chosen_author ON snapshot_pairs (chosen_author)")
    state = file_state(path)
    for read_only in (False, True):
        with pytest.raises(UnsupportedWarehouse, match="development build") as raised:
            connect(path, read_only=read_only)
        assert "no column training_runs.model_files_sha256" in str(raised.value)
        assert "an extra index snapshot_pairs.snapshot_pairs_chosen_author" in str(raised.value)
    with duckdb.connect(str(path), read_only=True) as dev:
        assert "schema_version" not in {t for (t,) in dev.execute(sql("select_warehouse_tables")).fetchall()}
    assert file_state(path)[0] == state[0]


def test_a_file_with_none_of_the_warehouse_tables_is_not_taken_for_one(tmp_path):
    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as other:
        other.execute("CREATE TABLE notes (text VARCHAR)")
    with pytest.raises(UnsupportedWarehouse, match="is not an upvote-dpo warehouse"):
        connect(path)
    with duckdb.connect(str(path), read_only=True) as other:
        assert {t for (t,) in other.execute(sql("select_warehouse_tables")).fetchall()} == {"notes"}


def test_a_warehouse_newer_than_this_code_is_refused(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        con.execute("INSERT INTO schema_version (version, name) VALUES (?, 'from_the_future')", [len(migrations()) + 1])
    for read_only in (False, True):
        with pytest.raises(UnsupportedWarehouse, match="newer than this upvote-dpo knows"):
            connect(path, read_only=read_only)


def later_migrations(tmp_path: Path, **files: str) -> Path:
    """A migrations folder: the real ones, then `files` (file stem -> SQL)."""
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder, dirs_exist_ok=True)
    for stem, text in files.items():
        (folder / f"{stem}.sql").write_text(text)
    return folder


def test_later_migrations_apply_in_order_each_all_or_nothing(tmp_path):
    path = tmp_path / "w.duckdb"
    connect(path).close()
    n = len(migrations())
    add_column = f"{n + 1:04d}_add_pair_language"
    broken = f"{n + 2:04d}_add_two_tables"
    folder = later_migrations(
        tmp_path,
        **{
            add_column: "ALTER TABLE preference_pairs ADD COLUMN language VARCHAR;",
            broken: "CREATE TABLE first_half (x INTEGER); CREATE TABLE second_half (y no_such_type);",
        },
    )
    with duckdb.connect(str(path), read_only=True) as con:
        with pytest.raises(
            WarehouseOutOfDate, match=f"at schema version {n} and this upvote-dpo needs version {n + 2}"
        ):
            require_current(con, folder)
    with duckdb.connect(str(path)) as con:
        with pytest.raises(duckdb.Error, match="no_such_type"):
            migrate(con, folder)
        assert versions(con)[-1] == (n + 1, "add_pair_language")
        assert con.execute("SELECT language FROM preference_pairs").fetchall() == []
        assert "first_half" not in {t for (t,) in con.execute(sql("select_warehouse_tables")).fetchall()}

        (folder / f"{broken}.sql").write_text(
            "CREATE TABLE first_half (x INTEGER); CREATE TABLE second_half (y INTEGER);"
        )
        report = migrate(con, folder)
        assert [str(m) for m in report.applied] == [broken] and report.version == n + 2
        assert report.lines() == [f"applied {broken}", f"now at version {n + 2}"]
        require_current(con, folder)


def test_a_warehouse_from_before_versions_is_stamped_then_given_the_later_ones(tmp_path):
    path = tmp_path / "old.duckdb"
    unversioned(path).close()
    folder = later_migrations(
        tmp_path,
        **{
            f"{len(migrations()) + 1:04d}_add_pair_language": "ALTER TABLE preference_pairs ADD COLUMN language VARCHAR;"
        },
    )
    with duckdb.connect(str(path)) as con:
        report = migrate(con, folder)
        assert report.stamped.version == 1
        assert [m.version for m in report.applied] == list(range(2, len(migrations()) + 2))
        assert [v for v, _ in versions(con)] == list(range(1, len(migrations()) + 2))
        assert report.lines()[0].startswith("stamped version 1 (initial)")


def test_upvote_dpo_migrate_says_what_it_did(tmp_path):
    path = tmp_path / "old.duckdb"
    unversioned(path).close()
    script = Path(sys.executable).with_name("upvote-dpo")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "pipelines.cli"]
    home = tmp_path / "dagster_home"  # the CLI opens the Dagster instance for every command
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]),
    }

    def upvote_dpo(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([*command, *argv], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    first = upvote_dpo("migrate", "--db", str(path))
    assert (first.returncode, first.stderr) == (0, ""), first.stderr[-2000:]
    assert first.stdout.splitlines()[0].startswith("stamped version 1 (initial)")
    assert first.stdout.splitlines()[-1] == f"now at version {len(migrations())}"
    second = upvote_dpo("migrate", "--db", str(path))
    assert (second.returncode, second.stdout) == (0, f"up to date at version {len(migrations())}\n")
    missing = upvote_dpo("migrate", "--db", str(tmp_path / "typo.duckdb"))
    assert (missing.returncode, missing.stderr) == (
        1,
        f"error: no warehouse at {tmp_path / 'typo.duckdb'}: nothing to migrate\n",
    )
    assert not (tmp_path / "typo.duckdb").exists()
