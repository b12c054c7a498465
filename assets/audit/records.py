"""What every audit question shares: the named queries, their rows as JSON-ready dicts, and a
model folder's manifest."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import duckdb

from assets.warehouse.connect import sql_folder
from training.errors import UserError
from training.outputs import MANIFEST, read_manifest

sql = sql_folder(__file__)

JSON_COLUMNS = {"rules", "counts", "hyperparameters", "final_metrics"}


class AuditError(UserError):
    """An audit that cannot be answered: unknown id, missing manifest. One line, for the CLI."""


# What every audit reads from a manifest; the trainer writes them all.
MANIFEST_KEYS = ("run_id", "snapshot_id", "output")


def read_training_manifest(model_dir: str | Path) -> dict:
    """The manifest of a model folder; an AuditError when it is missing, does not read as JSON
    (damaged, or not the trainer's), or lacks what the audit reads."""
    path = Path(model_dir) / MANIFEST
    if not path.is_file():
        raise AuditError(f"no {MANIFEST} in {model_dir}: not a model folder written by the trainer")
    try:
        manifest = read_manifest(model_dir)
    except (OSError, ValueError) as error:  # ValueError: not UTF-8, not JSON
        raise AuditError(f"{path} does not read as JSON ({error}): damaged, or not the trainer's") from None
    if not isinstance(manifest, dict) or (missing := [key for key in MANIFEST_KEYS if key not in manifest]):
        lacks = ", ".join(missing) if isinstance(manifest, dict) else "an object"
        raise AuditError(f"{path} lacks {lacks}: not a manifest the trainer wrote")
    return manifest


def _value(column: str, value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if column in JSON_COLUMNS and isinstance(value, str):
        return json.loads(value)
    return value


def query_file(con: duckdb.DuckDBPyConnection, name: str, **params) -> duckdb.DuckDBPyRelation:
    """The named query with its parameters bound, as a relation (fully read by whoever uses it)."""
    return con.sql(sql(name), params=params or None)


def all_records(relation: duckdb.DuckDBPyRelation) -> list[dict]:
    names = relation.columns
    return [{n: _value(n, v) for n, v in zip(names, row)} for row in relation.fetchall()]


def first_record(relation: duckdb.DuckDBPyRelation) -> dict | None:
    rows = all_records(relation)
    return rows[0] if rows else None
