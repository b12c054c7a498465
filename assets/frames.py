"""Tabular results in Python are polars frames: read from DuckDB through Arrow, shown as
Markdown tables (in asset metadata, which the Dagster UI renders, or on a terminal)."""

from __future__ import annotations

import duckdb
import polars as pl


def of(relation: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """A relation's rows as a frame, its columns named as the relation names them."""
    return pl.from_arrow(relation.to_arrow_table())


def query(con: duckdb.DuckDBPyConnection, sql_text: str, params: dict | None = None) -> pl.DataFrame:
    """The result of one query as a frame."""
    # a relation (`con.sql`), not a cursor (`con.execute`): DuckDB copies a cursor's rows once
    # more to give them to Arrow
    return of(con.sql(sql_text, params=params))


def markdown(frame: pl.DataFrame) -> str:
    """The whole frame as a GitHub Markdown table: every row and column, each text on one line
    and cut at 1,000 characters (cut them shorter in the query), a `|` in one escaped so it
    stays in its cell."""
    texts = [
        pl.col(name).str.replace_all("|", r"\|", literal=True).str.replace_all(r"\s*\n\s*", " ")
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    ]
    # the widest table polars draws (a u16): a narrower one wraps long cells onto more lines,
    # which ends a Markdown row
    with pl.Config(
        tbl_formatting="MARKDOWN",
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_rows=-1,
        tbl_cols=-1,
        fmt_str_lengths=1000,
        tbl_width_chars=65_535,
    ):
        return str(frame.with_columns(texts))
