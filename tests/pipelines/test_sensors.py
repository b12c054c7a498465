"""The incoming-folder sensor, ticked as the daemon ticks it on a real folder and instance:
its cursor kept between ticks, its partitions added, and each run it asks for executed."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import orjson
import pytest

from assets.warehouse.connect import connect
from pipelines.definitions import build_definitions
from pipelines.sensors import incoming_dump_sensor


def comments(n: int) -> bytes:
    return b"".join(orjson.dumps({"id": f"c{i}", "link_id": "t3_p", "body": "x" * 50}) + b"\n" for i in range(n))


@dataclass
class Daemon:
    defs: dg.Definitions
    instance: dg.DagsterInstance
    cursor: str | None = None

    def tick(self) -> list[str]:
        """One evaluation and what the daemon does with it; the run keys it launched."""
        resources = {"dump_archive": self.defs.resources["dump_archive"]}
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursor, resources=resources)
        result = incoming_dump_sensor(context)
        self.cursor = result.cursor
        for request in result.dynamic_partitions_requests:
            self.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        for run in result.run_requests:
            job = self.defs.resolve_job_def("ingest_dump_job")
            assert job.execute_in_process(partition_key=run.partition_key, instance=self.instance).success
        return [run.run_key for run in result.run_requests]


@pytest.fixture
def daemon(tmp_path):
    (tmp_path / "incoming").mkdir()
    with dg.instance_for_test() as instance:
        yield Daemon(build_definitions(tmp_path / "upvote.duckdb"), instance)


def stored_comments(tmp_path) -> int:
    con = connect(tmp_path / "upvote.duckdb", read_only=True)
    try:
        return con.execute("SELECT count(*) FROM reddit_comments").fetchone()[0]
    finally:
        con.close()


def test_a_file_is_ingested_once_it_held_still_for_a_tick_and_again_when_replaced(daemon, tmp_path):
    path, full = tmp_path / "incoming" / "RC_2023-01.ndjson", comments(1000)
    path.write_bytes(full[: len(full) // 3])  # a copy in progress
    assert daemon.tick() == []
    path.write_bytes(full)  # the copy completes
    assert daemon.tick() == []  # it changed since the last tick
    (first,) = daemon.tick()
    assert stored_comments(tmp_path) == 1000
    assert daemon.tick() == []  # launched once
    path.write_bytes(comments(1200))  # replaced under the same name
    assert daemon.tick() == []
    (second,) = daemon.tick()
    assert second != first and second.startswith("RC_2023-01.ndjson:")
    assert stored_comments(tmp_path) == 1200
    assert daemon.tick() == []


def test_on_its_first_tick_files_already_partitions_count_as_ingested(daemon, tmp_path):
    for name in ("RC_old.ndjson", "RC_new.ndjson"):
        (tmp_path / "incoming" / name).write_bytes(comments(10))
    daemon.instance.add_dynamic_partitions("dump_files", ["RC_old.ndjson"])  # e.g. ingested before an upgrade
    assert daemon.tick() == []
    (launched,) = daemon.tick()
    assert launched.startswith("RC_new.ndjson:")
