"""assets/frames.py: DuckDB results as polars frames, frames as Markdown tables."""

from __future__ import annotations

import re

import polars as pl

from assets import frames


def cells(line: str) -> list[str]:
    """A Markdown table row's cells, as GitHub splits them: at each `|` not escaped."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def test_a_query_binds_its_parameters_and_keeps_its_column_names_and_types(con):
    frame = frames.query(
        con, "SELECT $name AS name, 3::INTEGER AS n, 2.5::DOUBLE AS x, NULL::VARCHAR AS e", {"name": "AskReddit"}
    )
    assert frame.schema == {"name": pl.String, "n": pl.Int32, "x": pl.Float64, "e": pl.String}
    assert frame.row(0) == ("AskReddit", 3, 2.5, None)


def test_a_relation_becomes_a_frame(con):
    con.execute("CREATE TABLE t AS SELECT range AS i FROM range(5)")
    assert frames.of(con.table("t").filter("i >= 3"))["i"].to_list() == [3, 4]


def test_markdown_has_a_row_per_row_and_keeps_pipes_and_newlines_in_their_cell():
    frame = pl.DataFrame({"subreddit": ["pics", "AskReddit"], "prompt": ["a | b\n\nc", None], "score": [12, 3]})
    lines = frames.markdown(frame).splitlines()
    assert cells(lines[0]) == ["subreddit", "prompt", "score"]
    assert set(lines[1]) <= set("|-")
    assert [cells(line) for line in lines[2:]] == [["pics", r"a \| b c", "12"], ["AskReddit", "null", "3"]]


def test_markdown_shows_every_row_and_keeps_each_on_one_line():
    # polars shows 10 rows and wraps wide cells unless told otherwise: either would break the table
    frame = pl.DataFrame({"i": range(25), "text": ["word " * 150] * 25})
    lines = frames.markdown(frame).splitlines()
    assert len(lines) == 2 + 25
    assert [cells(line)[0] for line in lines[2:]] == [str(i) for i in range(25)]
    assert all(len(cells(line)) == 2 for line in lines)
