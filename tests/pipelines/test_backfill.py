"""A parallel backfill of 8 dump partitions through the real webserver and daemon.

The shared full dump (576,669 comments, 36,862 posts) is split by month into 4 comment and
4 submission files. The backfill launches 8 runs at once with the default run launcher;
the warehouse pool (limit 1) must serialise their writes (no DuckDB lock errors), and the
pairs built from the backfilled warehouse must equal those from one big ingest.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import zstandard

from assets.ingest.reddit.dumps import ingest_dump, iter_lines
from assets.pairs.rules import PairRules, build_pairs
from assets.warehouse.connect import connect
from tests.conftest import SHARED_REDDIT
from tests.pipelines.dagster_dev import dagster_dev

FULL = SHARED_REDDIT / "full"
DUMPS = {"RC": FULL / "RC_reddit_college.ndjson.zst", "RS": FULL / "RS_reddit_college.ndjson.zst"}
GROUPS = 4

pytestmark = pytest.mark.skipif(not FULL.is_dir(), reason=f"shared full dump not found at {FULL}")


def month_of(line: bytes) -> str:
    created = float(orjson.loads(line)["created_utc"])
    return datetime.fromtimestamp(created, UTC).strftime("%Y-%m")


def split_by_month(dump: Path, prefix: str, out_dir: Path) -> list[str]:
    """Write `dump` as GROUPS files of whole, consecutive months with about equal line counts."""
    per_month = Counter(month_of(line) for line in iter_lines(dump))
    months, total, group_of, running = sorted(per_month), sum(per_month.values()), {}, 0
    for month in months:
        group_of[month] = min(GROUPS - 1, running * GROUPS // total)
        running += per_month[month]
    names = [
        f"{prefix}_{min(m for m in months if group_of[m] == g)}_{max(m for m in months if group_of[m] == g)}.ndjson.zst"
        for g in range(GROUPS)
    ]
    # One compressor per stream: a ZstdCompressor holds a single compression context.
    writers = [zstandard.ZstdCompressor(level=3).stream_writer(open(out_dir / name, "wb")) for name in names]
    try:
        for line in iter_lines(dump):
            writers[group_of[month_of(line)]].write(line + b"\n")
    finally:
        for writer in writers:
            writer.close()
    return names


def pair_ids(db: Path) -> set[str]:
    con = connect(db)
    try:
        build_pairs(con, PairRules())
        return {pair_id for (pair_id,) in con.execute("SELECT pair_id FROM preference_pairs").fetchall()}
    finally:
        con.close()


def test_parallel_backfill_of_8_partitions_matches_one_big_ingest(tmp_path):
    warehouse, split = tmp_path / "warehouse", tmp_path / "split"
    split.mkdir()
    partitions = [name for prefix, dump in DUMPS.items() for name in split_by_month(dump, prefix, split)]
    assert len(partitions) == 8

    with dagster_dev(tmp_path / "dagster_home", warehouse) as dev:
        # The backfill is the user's action here: no sensor may ingest or train on its own.
        for sensor in ("incoming_dump_sensor", "pipeline_automation"):
            dev.stop_sensor(sensor)
        (warehouse / "incoming").mkdir(parents=True)
        for name in partitions:
            (split / name).rename(warehouse / "incoming" / name)
        selector = dev.repository_selector()
        for name in partitions:
            added = dev.graphql(
                """mutation Add($r: RepositorySelector!, $key: String!) {
                     addDynamicPartition(repositorySelector: $r, partitionsDefName: "dump_files", partitionKey: $key)
                     { __typename } }""",
                r=selector,
                key=name,
            )["addDynamicPartition"]
            assert added["__typename"] == "AddDynamicPartitionSuccess", added
        launched = dev.graphql(
            """mutation Backfill($params: LaunchBackfillParams!) {
                 launchPartitionBackfill(backfillParams: $params) {
                   __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
            params={"assetSelection": [{"path": ["reddit_dump"]}], "partitionNames": partitions},
        )["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        runs = dev.wait_for_runs(
            lambda run: any(tag["key"] == "dagster/backfill" for tag in run["tags"]), count=8, timeout=900
        )

    assert {tag["value"] for run in runs for tag in run["tags"] if tag["key"] == "dagster/partition"} == set(partitions)
    # The pool let one writer in at a time: no two ingest steps overlapped.
    steps = sorted((s["startTime"], s["endTime"]) for run in runs for s in run["stepStats"])
    assert len(steps) == 8
    assert all(previous_end <= start for (_, previous_end), (start, _) in zip(steps, steps[1:]))

    reference_db = tmp_path / "one-big-ingest.duckdb"
    con = connect(reference_db)
    try:
        for dump in DUMPS.values():
            ingest_dump(con, dump)
    finally:
        con.close()
    backfilled = pair_ids(warehouse / "upvote.duckdb")
    assert backfilled == pair_ids(reference_db)
    assert len(backfilled) > 20_000
