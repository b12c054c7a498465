"""Snapshots: content-addressed, immutable, readable by `datasets`, recorded for the audit."""

from __future__ import annotations

import hashlib
import json

import pyarrow.parquet as pq
import pytest
from datasets import load_from_disk

from assets.core.snapshot import EmptySelectionError, create_snapshot, read_manifest, snapshot_id_for


def insert_pairs(con, rows: list[dict]) -> None:
    defaults = {
        "subreddit": "AskHistorians", "prompt": "Why did Rome fall?", "chosen_author": "a",
        "rejected_author": "b", "chosen_score": 40, "rejected_score": 5, "score_ratio": 8.0,
        "post_created_utc": 100, "chosen_created_utc": 300, "rejected_created_utc": 200,
    }
    for row in rows:
        row = {**defaults, **row}
        row.setdefault("chosen", f"chosen text of {row['pair_id']}")
        row.setdefault("rejected", f"rejected text of {row['pair_id']}")
        columns = ", ".join(row)
        placeholders = ", ".join(f"${name}" for name in row)
        con.execute(f"INSERT INTO preference_pairs ({columns}) VALUES ({placeholders})", row)


def pair(pair_id: str, post_id: str = "p1", split: str = "train", **extra) -> dict:
    return {"pair_id": pair_id, "post_id": post_id, "split": split,
            "chosen_id": f"c{pair_id}", "rejected_id": f"r{pair_id}", **extra}


@pytest.fixture
def three_pairs(con):
    insert_pairs(con, [pair("b2"), pair("a1"), pair("c3", post_id="p2", split="eval")])
    return con


def test_id_is_sha256_of_sorted_pair_ids(three_pairs, tmp_path):
    snapshot = create_snapshot(three_pairs, tmp_path / "snapshots")
    expected = hashlib.sha256(b"a1\nb2\nc3\n").hexdigest()[:16]
    assert snapshot.snapshot_id == expected == snapshot_id_for(["c3", "a1", "b2"])
    assert snapshot.path == tmp_path / "snapshots" / expected
    assert snapshot.counts == {"train": 2, "eval": 1, "total": 3, "posts": 2, "subreddits": 1}


def test_files_hold_the_pairs_in_id_order_and_the_dataset_splits(three_pairs, tmp_path):
    snapshot = create_snapshot(three_pairs, tmp_path / "snapshots")
    assert pq.read_table(snapshot.path / "pairs.parquet")["pair_id"].to_pylist() == ["a1", "b2", "c3"]
    dataset = load_from_disk(str(snapshot.path / "dataset"))
    assert dataset["train"]["pair_id"] == ["a1", "b2"]
    assert dataset["eval"]["pair_id"] == ["c3"]
    assert {"prompt", "chosen", "rejected"} <= set(dataset["train"].column_names)
    assert dataset["train"][0]["chosen"] == "chosen text of a1"
    assert read_manifest(snapshot.path)["snapshot_id"] == snapshot.snapshot_id


def test_a_snapshot_with_an_empty_split_loads(con, tmp_path):
    """datasets saves an empty split without a data file unless told to write one shard, and
    then cannot load the DatasetDict (IndexError)."""
    insert_pairs(con, [pair("a1"), pair("b2")])
    snapshot = create_snapshot(con, tmp_path / "snapshots")
    dataset = load_from_disk(str(snapshot.path / "dataset"))
    assert (dataset["train"].num_rows, dataset["eval"].num_rows) == (2, 0)
    assert dataset["eval"].features == dataset["train"].features


def test_same_pairs_reuse_the_snapshot_without_rewriting_it(three_pairs, tmp_path):
    first = create_snapshot(three_pairs, tmp_path / "snapshots")
    manifest_before = (first.path / "manifest.json").read_bytes()
    second = create_snapshot(three_pairs, tmp_path / "snapshots")
    assert (second.snapshot_id, second.created, first.created) == (first.snapshot_id, False, True)
    assert (first.path / "manifest.json").read_bytes() == manifest_before
    assert three_pairs.execute("SELECT count(*) FROM snapshots").fetchone() == (1,)
    assert three_pairs.execute("SELECT count(*) FROM snapshot_pairs").fetchone() == (3,)


def test_other_pairs_make_another_snapshot(three_pairs, tmp_path):
    first = create_snapshot(three_pairs, tmp_path / "snapshots")
    insert_pairs(three_pairs, [pair("d4")])
    second = create_snapshot(three_pairs, tmp_path / "snapshots")
    assert second.snapshot_id != first.snapshot_id
    assert second.counts["total"] == 4
    assert (first.path / "manifest.json").exists()


def test_rules_of_the_last_pair_build_are_in_the_manifest(three_pairs, tmp_path):
    three_pairs.execute(
        "INSERT INTO pair_builds (rules, report) VALUES (?, '{}')", [json.dumps({"min_score_ratio": 3.0})]
    )
    snapshot = create_snapshot(three_pairs, tmp_path / "snapshots")
    assert snapshot.manifest["rules"] == {"min_score_ratio": 3.0}


def test_forgotten_comments_and_authors_are_left_out(three_pairs, tmp_path):
    three_pairs.execute("INSERT INTO forget_requests (kind, value) VALUES ('comment', 'ra1')")
    three_pairs.execute("UPDATE preference_pairs SET chosen_author = 'gone' WHERE pair_id = 'c3'")
    three_pairs.execute("INSERT INTO forget_requests (kind, value) VALUES ('author', 'gone')")
    snapshot = create_snapshot(three_pairs, tmp_path / "snapshots")
    assert pq.read_table(snapshot.path / "pairs.parquet")["pair_id"].to_pylist() == ["b2"]


def test_ledger_leads_back_to_the_dump_line(three_pairs, tmp_path):
    three_pairs.execute(
        "INSERT INTO reddit_comments (id, post_id, source, source_line) VALUES ('ca1', 'p1', 'dump:RC.zst', 17)"
    )
    snapshot = create_snapshot(three_pairs, tmp_path / "snapshots")
    row = three_pairs.execute(
        "SELECT chosen_source, chosen_source_line, rejected_source FROM snapshot_pairs"
        " WHERE snapshot_id = ? AND pair_id = 'a1'", [snapshot.snapshot_id]
    ).fetchone()
    assert row == ("dump:RC.zst", 17, None)


def test_no_pairs_is_a_clear_error_and_writes_nothing(con, tmp_path):
    with pytest.raises(EmptySelectionError, match="build the pairs first"):
        create_snapshot(con, tmp_path / "snapshots")
    assert not (tmp_path / "snapshots").exists()


def test_a_failed_write_leaves_no_partial_snapshot(three_pairs, tmp_path, monkeypatch):
    import assets.core.snapshot as snapshot_module

    def broken_save(self, path, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(snapshot_module.DatasetDict, "save_to_disk", broken_save)
    with pytest.raises(OSError, match="disk full"):
        create_snapshot(three_pairs, tmp_path / "snapshots")
    assert list((tmp_path / "snapshots").iterdir()) == []
    assert three_pairs.execute("SELECT count(*) FROM snapshots").fetchone() == (0,)
