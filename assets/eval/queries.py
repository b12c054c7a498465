"""Trained models and their evaluations, as frames: `upvote-dpo models` and `eval compare`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from assets.frames import query
from assets.warehouse.connect import sql_folder
from training.errors import UserError

sql = sql_folder(__file__)


class UnknownModel(UserError, LookupError):
    """A model named on the command line that the warehouse has not recorded."""


def models(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every trained model with its key evaluation figures and gate result; `current` marks the
    newest finished one whose gate passed."""
    return query(con, sql("select_models"))


def compare(con: duckdb.DuckDBPyConnection, names: list[str]) -> pl.DataFrame:
    """The rows of `models` for each run id (or unique prefix) or model folder, in the order given."""
    frame = models(con)
    rows = []
    for name in names:
        path = str(Path(name).resolve())
        match = frame.filter((pl.col("model_path") == path) | pl.col("run_id").str.starts_with(name))
        if match.height != 1:
            known = "no recorded model" if match.height == 0 else f"{match.height} models"
            raise UnknownModel(f"{name!r} matches {known}; give a run id or a model folder from `upvote-dpo models`")
        rows.append(match)
    return pl.concat(rows)
