"""The `forget_requests` asset through `dagster.materialize`, on a real warehouse file."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.audit.assets import REQUESTS_FILE, forget_requests
from assets.warehouse.connect import connect
from tests.audit.lineage_factory import LineageSpec, build
from tests.resources import warehouse_resources


@pytest.fixture
def warehouse_dir(tmp_path):
    con = connect(tmp_path / "upvote.duckdb")
    build(con, LineageSpec(pairs=300, snapshots=2, runs=3), tmp_path, write_files=True)
    con.close()
    return tmp_path


def metadata(result: dg.ExecuteInProcessResult) -> dict:
    event = result.asset_materializations_for_node("forget_requests")[-1]
    return {key: value.value for key, value in event.metadata.items()}


def test_requests_from_the_file_are_recorded_once_and_trained_models_reported(warehouse_dir):
    con = connect(warehouse_dir / "upvote.duckdb")
    author, comment = con.sql(
        "SELECT chosen_author, rejected_id FROM snapshot_pairs ORDER BY pair_id LIMIT 1"
    ).fetchall()[0]
    # The runs that saw a pair of either: independent of the asset's own queries.
    expected_models = {
        row[0]
        for row in con.sql(
            """
            SELECT DISTINCT trp.run_id FROM training_run_pairs trp
            JOIN training_runs r USING (run_id)
            JOIN snapshot_pairs sp ON sp.snapshot_id = r.snapshot_id AND sp.pair_id = trp.pair_id
            WHERE $a IN (sp.chosen_author, sp.rejected_author, sp.post_author) OR $c IN (sp.chosen_id, sp.rejected_id)
            """,
            params={"a": author, "c": comment},
        ).fetchall()
    }
    con.close()
    (warehouse_dir / REQUESTS_FILE).write_text(
        f"kind,value,reason\nauthor,{author},asked by the user\ncomment,t1_{comment},\n"
    )

    first = dg.materialize([forget_requests], resources=warehouse_resources(warehouse_dir))
    assert first.success
    meta = metadata(first)
    assert meta["requests"] == 2 and meta["new_requests"] == 2
    assert meta["models_trained_on_affected_pairs"] == len(expected_models) > 0
    assert all(run_id in meta["affected_models"] for run_id in expected_models)

    again = metadata(dg.materialize([forget_requests], resources=warehouse_resources(warehouse_dir)))
    assert again["requests"] == 2 and again["new_requests"] == 0
    with connect(warehouse_dir / "upvote.duckdb", read_only=True) as con:
        recorded = con.sql("SELECT kind, value, reason FROM forget_requests ORDER BY kind").fetchall()
    assert recorded == [("author", author, "asked by the user"), ("comment", comment, None)]


def test_a_bad_line_records_nothing_and_fails_with_its_line_number(warehouse_dir):
    (warehouse_dir / REQUESTS_FILE).write_text("kind,value,reason\nauthor,someone,\nsubreddit,AskReddit,\n")
    result = dg.materialize([forget_requests], resources=warehouse_resources(warehouse_dir), raise_on_error=False)
    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert "line 3" in failure.event_specific_data.error.message
    with connect(warehouse_dir / "upvote.duckdb", read_only=True) as con:
        assert con.sql("SELECT count(*) FROM forget_requests").fetchall() == [(0,)]


def test_no_file_means_no_requests(warehouse_dir):
    result = dg.materialize([forget_requests], resources=warehouse_resources(warehouse_dir))
    assert result.success and metadata(result)["requests"] == 0
