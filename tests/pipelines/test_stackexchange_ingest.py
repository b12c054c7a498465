"""Stack Exchange site dumps through Dagster: the incoming-folder sensor adds a partition per
site and ingests it once its files held still, `upvote-dpo ingest stackexchange PATH` and `upvote-dpo pairs stackexchange`."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from assets.warehouse.connect import connect
from pipelines.definitions import build_definitions
from pipelines.sensors import incoming_stackexchange_sensor
from tests.conftest import SAMPLE_STACKEXCHANGE
from tests.pipelines.commands import run, temporary_dagster_home

SITE = SAMPLE_STACKEXCHANGE.name


def stored_posts(db) -> int:
    con = connect(db, read_only=True)
    try:
        return con.execute("SELECT count(*) FROM se_posts").fetchone()[0]
    finally:
        con.close()


def test_the_sensor_ingests_a_site_folder_once_it_held_still(tmp_path):
    db = tmp_path / "upvote.duckdb"
    defs = build_definitions(db)
    site = tmp_path / "incoming" / "stackexchange" / SITE
    site.mkdir(parents=True)
    shutil.copy(SAMPLE_STACKEXCHANGE / "Posts.xml", site / "Posts.xml")
    with dg.instance_for_test() as instance:
        cursor = None

        def tick() -> list[str]:
            nonlocal cursor
            resources = {"stackexchange_archive": defs.resources["stackexchange_archive"]}
            context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources)
            result = incoming_stackexchange_sensor(context)
            cursor = result.cursor
            for request in result.dynamic_partitions_requests:
                instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
            job = defs.resolve_job_def("ingest_stackexchange_job")
            for request in result.run_requests:
                assert job.execute_in_process(partition_key=request.partition_key, instance=instance).success
            return [request.partition_key for request in result.run_requests]

        assert tick() == []  # first seen: it may still be copying
        assert tick() == [SITE]
        assert instance.get_dynamic_partitions("stackexchange_sites") == [SITE]
        assert stored_posts(db) > 0
        assert tick() == []  # unchanged: not again
        shutil.copy(SAMPLE_STACKEXCHANGE / "Votes.xml", site / "Votes.xml")  # the dump grew
        assert tick() == []
        assert tick() == [SITE]


@pytest.fixture
def dagster_home(tmp_path_factory):
    with temporary_dagster_home(tmp_path_factory) as home:
        yield home


def test_ingest_stackexchange_from_the_command_line(tmp_path, capsys, dagster_home):
    db = tmp_path / "upvote.duckdb"
    code, out, err = run(capsys, "ingest", "stackexchange", str(SAMPLE_STACKEXCHANGE), "--db", str(db))
    assert (code, err) == (0, "")
    assert out.startswith(f"ingested {SITE}: Posts: ") and "0 rejected" in out
    assert stored_posts(db) > 0

    code, out, err = run(capsys, "pairs", "stackexchange", "--max-pairs-per-post", "1", "--db", str(db))
    assert (code, err) == (0, "")
    kept = int(out.split()[3])
    assert kept > 0 and "removed by horizon_not_reached: " in out
    con = connect(db, read_only=True)
    try:
        per_question = con.execute(
            "SELECT max(c) FROM (SELECT count(*) AS c FROM stackexchange_pairs GROUP BY post_id)"
        )
        assert per_question.fetchone() == (1,)
    finally:
        con.close()

    code, out, err = run(capsys, "pairs", "stackexchange", "--accepted-answer", "sometimes", "--db", str(db))
    assert code == 1 and err.startswith("error: --accepted-answer must be one of")

    code, out, err = run(capsys, "ingest", "stackexchange", str(tmp_path), "--db", str(db))
    assert code == 1 and err.startswith("error: ") and "no Posts.xml" in err and len(err.splitlines()) == 1
