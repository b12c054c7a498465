"""The closed map from a kind to its tables and SQL files (`rows.TABLES`), and `table_sql`, the
one place a table name is pasted into SQL. The merge these files make up is tested through
the real ingests in test_dumps.py and test_live.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from assets.ingest.reddit import rows
from assets.ingest.reddit.rows import TABLE_PLACEHOLDER, TABLES, RedditTable, table_sql

SQL_DIR = Path(rows.__file__).parent / "sql"
SHARED = sorted(path.stem for path in SQL_DIR.glob("*.sql") if TABLE_PLACEHOLDER in path.read_text())


def test_tables_cover_every_kind_and_nothing_else():
    assert set(TABLES) == set(get_args(rows.Kind))


def test_shared_files_are_those_named_for_any_table():
    """A file takes the placeholder exactly when its name says it serves either table, so
    its name alone tells a reader which loader (`sql` or `table_sql`) reads it."""
    assert SHARED == sorted(path.stem for path in SQL_DIR.glob("*_reddit_table.sql"))


@pytest.mark.parametrize("name", SHARED)
@pytest.mark.parametrize("kind", sorted(TABLES))
def test_table_sql_fills_every_placeholder_with_the_kinds_table(name, kind):
    table = TABLES[kind]
    text = re.sub(r"--.*", "", table_sql(name, table))  # the comments name both tables
    assert "{" not in text  # no placeholder left
    other = next(t.name for t in TABLES.values() if t != table)
    named = set(re.findall(r"\breddit_\w+", text))
    assert named <= {table.name, f"staging_{table.name}"}, named
    assert other not in text


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_each_kinds_own_files_create_the_staging_the_shared_files_read(kind):
    table = TABLES[kind]
    create, insert = rows.sql(table.create_staging), rows.sql(table.insert_into_staging)
    assert TABLE_PLACEHOLDER not in create + insert
    assert f"TEMP TABLE staging_{table.name} (" in create
    assert f"INSERT INTO staging_{table.name}" in insert


def test_table_sql_refuses_a_table_outside_the_map():
    forged = RedditTable(
        "reddit_comments; DROP TABLE snapshots",
        "comment",
        "create_staging_reddit_comments",
        "insert_into_staging_reddit_comments",
    )
    with pytest.raises(ValueError, match="not one of rows.TABLES"):
        table_sql("delete_from_reddit_table", forged)


def test_table_sql_refuses_a_file_without_the_placeholder():
    with pytest.raises(ValueError, match="no {reddit_table} to fill"):
        table_sql("create_staging_reddit_comments", TABLES["comments"])
