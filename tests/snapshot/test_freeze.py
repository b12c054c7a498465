"""Snapshots: content-addressed, immutable, readable by `datasets`, recorded for the audit."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datasets import DatasetDict, load_from_disk

from assets.snapshot.freeze import (
    DATASET_COLUMNS,
    SOURCE_COLUMNS,
    EmptySelectionError,
    FailedChecksError,
    content_digests,
    create_snapshot,
    dataset_differences,
    latest_snapshot,
    read_manifest,
    snapshot_id_for,
)
from assets.warehouse.connect import connect


def insert_pairs(con, rows: list[dict]) -> None:
    defaults = {
        "subreddit": "AskHistorians",
        "prompt": "Why did Rome fall?",
        "chosen_author": "a",
        "rejected_author": "b",
        "chosen_score": 40,
        "rejected_score": 5,
        "score_ratio": 8.0,
        "post_created_utc": 100,
        "chosen_created_utc": 300,
        "rejected_created_utc": 200,
    }
    for row in rows:
        row = {**defaults, **row}
        row.setdefault("chosen", f"chosen text of {row['pair_id']}")
        row.setdefault("rejected", f"rejected text of {row['pair_id']}")
        columns = ", ".join(row)
        placeholders = ", ".join(f"${name}" for name in row)
        con.execute(f"INSERT INTO preference_pairs ({columns}) VALUES ({placeholders})", row)


def pair(pair_id: str, post_id: str = "p1", split: str = "train", **extra) -> dict:
    return {
        "pair_id": pair_id,
        "post_id": post_id,
        "split": split,
        "chosen_id": f"c{pair_id}",
        "rejected_id": f"r{pair_id}",
        **extra,
    }


@pytest.fixture
def three_pairs(con):
    insert_pairs(con, [pair("b2"), pair("a1"), pair("c3", post_id="p2", split="eval")])
    return con


def row_sha256(row: dict) -> str:
    return hashlib.sha256(json.dumps(row, separators=(",", ":")).encode()).hexdigest()


def test_id_is_sha256_over_each_pair_id_and_the_sha256_of_its_row(three_pairs, tmp_path):
    """By hand: each row of pairs.parquet as compact JSON, hashed; one "<pair_id> <row sha256>"
    line per pair in pair-id order, hashed; the first 16 hex digits."""
    snapshot = create_snapshot(three_pairs, tmp_path / "snapshots")
    rows = pq.read_table(snapshot.path / "pairs.parquet").to_pylist()
    lines = "".join(f"{row['pair_id']} {row_sha256(row)}\n" for row in sorted(rows, key=lambda r: r["pair_id"]))
    expected = hashlib.sha256(lines.encode()).hexdigest()[:16]
    assert snapshot.snapshot_id == expected
    assert snapshot.path == tmp_path / "snapshots" / expected
    assert snapshot.counts == {"train": 2, "eval": 1, "total": 3, "posts": 2, "subreddits": 1}
    ledger = three_pairs.execute("SELECT pair_id, content_sha256 FROM snapshot_pairs ORDER BY pair_id").fetchall()
    assert ledger == [(row["pair_id"], row_sha256(row)) for row in rows]


def test_id_does_not_depend_on_the_order_of_the_rows(three_pairs, tmp_path):
    snapshot = create_snapshot(three_pairs, tmp_path / "snapshots")
    rows = pq.read_table(snapshot.path / "pairs.parquet")
    backwards = rows.take(list(reversed(range(rows.num_rows))))
    assert snapshot_id_for(content_digests(three_pairs.from_arrow(backwards))) == snapshot.snapshot_id


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE preference_pairs SET split = 'eval' WHERE post_id = 'p1'",
        "UPDATE preference_pairs SET chosen = 'edited after a newer retrieval' WHERE pair_id = 'a1'",
        "UPDATE preference_pairs SET chosen_score = 41 WHERE pair_id = 'b2'",
    ],
)
def test_the_same_pairs_with_other_content_make_another_snapshot(three_pairs, tmp_path, change):
    first = create_snapshot(three_pairs, tmp_path / "snapshots")
    before = pq.read_table(first.path / "pairs.parquet")
    three_pairs.execute(change)
    second = create_snapshot(three_pairs, tmp_path / "snapshots")
    assert second.created and second.snapshot_id != first.snapshot_id
    current = three_pairs.sql("SELECT * FROM preference_pairs ORDER BY pair_id").to_arrow_table()
    assert pq.read_table(second.path / "pairs.parquet").equals(current)
    assert pq.read_table(first.path / "pairs.parquet").equals(before)
    assert second.manifest["counts"] == second.counts
    assert three_pairs.execute("SELECT count(*) FROM snapshot_pairs").fetchone() == (6,)


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


def test_the_latest_snapshot_is_the_one_last_frozen_even_when_it_is_reused(three_pairs, tmp_path):
    """S1; new data, S2 with a spammer's pair; the spammer forgotten, the selection is S1's
    again: S1 is reused and is what training takes, not S2, which still holds the pair."""
    first = create_snapshot(three_pairs, tmp_path / "snapshots")
    insert_pairs(three_pairs, [pair("d4", chosen_author="spammer")])
    second = create_snapshot(three_pairs, tmp_path / "snapshots")
    assert latest_snapshot(three_pairs) == (second.snapshot_id, str(second.path))
    three_pairs.execute("INSERT INTO forget_requests (kind, value) VALUES ('author', 'spammer')")
    made = "SELECT created_at FROM snapshots WHERE snapshot_id = ?"
    made_first = three_pairs.execute(made, [first.snapshot_id]).fetchall()
    again = create_snapshot(three_pairs, tmp_path / "snapshots")
    assert (again.snapshot_id, again.created) == (first.snapshot_id, False)
    assert latest_snapshot(three_pairs) == (first.snapshot_id, str(first.path))
    assert three_pairs.execute(made, [first.snapshot_id]).fetchall() == made_first


def test_the_latest_snapshot_is_in_the_folder_it_was_last_frozen_to(three_pairs, tmp_path):
    first = create_snapshot(three_pairs, tmp_path / "moved-away")
    again = create_snapshot(three_pairs, tmp_path / "snapshots")
    assert again.snapshot_id == first.snapshot_id and again.created
    assert latest_snapshot(three_pairs) == (again.snapshot_id, str(tmp_path / "snapshots" / again.snapshot_id))


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
        " WHERE snapshot_id = ? AND pair_id = 'a1'",
        [snapshot.snapshot_id],
    ).fetchone()
    assert row == ("dump:RC.zst", 17, None)


def test_pairs_that_break_a_blocking_check_are_not_frozen(three_pairs, tmp_path):
    three_pairs.execute("UPDATE preference_pairs SET chosen = ' ' WHERE pair_id = 'a1'")
    three_pairs.execute("UPDATE preference_pairs SET chosen_score = 1 WHERE pair_id = 'b2'")
    with pytest.raises(FailedChecksError, match=r"chosen_scored_higher \(1\), no_empty_text \(1\)"):
        create_snapshot(three_pairs, tmp_path / "snapshots")
    assert not (tmp_path / "snapshots").exists()
    assert three_pairs.execute("SELECT count(*) FROM snapshots").fetchone() == (0,)
    # What is checked is what would be frozen: without the two broken pairs, the rest is.
    three_pairs.execute("INSERT INTO forget_requests (kind, value) VALUES ('comment', 'ca1'), ('comment', 'cb2')")
    assert create_snapshot(three_pairs, tmp_path / "snapshots").counts["total"] == 1


def test_the_written_later_check_follows_the_rules_of_the_last_pair_build(three_pairs, tmp_path):
    three_pairs.execute("UPDATE preference_pairs SET chosen_created_utc = 100 WHERE pair_id = 'a1'")
    with pytest.raises(FailedChecksError, match=r"chosen_written_later \(1\)"):
        create_snapshot(three_pairs, tmp_path / "snapshots")
    three_pairs.execute(
        "INSERT INTO pair_builds (rules, report) VALUES (?, '{}')", [json.dumps({"later_must_win": False})]
    )
    assert create_snapshot(three_pairs, tmp_path / "snapshots").counts["total"] == 3


def test_no_pairs_is_a_clear_error_and_writes_nothing(con, tmp_path):
    with pytest.raises(EmptySelectionError, match="build the pairs first"):
        create_snapshot(con, tmp_path / "snapshots")
    assert not (tmp_path / "snapshots").exists()


def test_a_failed_write_leaves_no_partial_snapshot(three_pairs, tmp_path, monkeypatch):
    import datasets  # the class write_snapshot_dir imports when it runs

    def broken_save(self, path, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(datasets.DatasetDict, "save_to_disk", broken_save)
    with pytest.raises(OSError, match="disk full"):
        create_snapshot(three_pairs, tmp_path / "snapshots")
    assert list((tmp_path / "snapshots").iterdir()) == []
    assert three_pairs.execute("SELECT count(*) FROM snapshots").fetchone() == (0,)


def test_a_frozen_pair_is_not_rewritten_when_its_posts_author_comes_back(tmp_path):
    """A frozen row is lineage: no open of the warehouse rewrites it, even when the post's
    author, deleted when it was frozen, comes back in a newer retrieval."""
    path = tmp_path / "w.duckdb"
    con = connect(path)
    con.execute("INSERT INTO reddit_submissions (id, author, source) VALUES ('p1', NULL, 'test')")
    insert_pairs(con, [pair("a1")])  # under a post whose author is deleted
    snapshot = create_snapshot(con, tmp_path / "snapshots")
    con.execute("UPDATE reddit_submissions SET author = 'back_again' WHERE id = 'p1'")  # a newer retrieval
    con.close()
    con = connect(path)
    frozen = con.execute("SELECT post_author FROM snapshot_pairs WHERE snapshot_id = ?", [snapshot.snapshot_id])
    assert frozen.fetchall() == [(None,)]


@pytest.mark.parametrize(
    "b, expected",
    [
        ([(1, "x"), (2, "y"), (3, "z")], 0),
        ([(1, "x"), (2, "edited"), (3, "z")], 1),  # one row edited: once, not once each way
        ([(1, "x"), (2, "edited"), (3, "edited too")], 2),
        ([(1, "x"), (2, "y")], 1),  # dropped
        ([(1, "x"), (2, "y"), (3, "z"), (4, "w")], 1),  # added
        ([(1, "x"), (2, "y"), (3, "z"), (3, "z")], 1),  # repeated
        ([(1, "x"), (1, "x"), (3, "z")], 1),  # one row replaced by a copy of another
    ],
)
def test_rows_differing_counts_each_changed_row_once(con, b, expected):
    from assets.snapshot.freeze import rows_differing

    def relation(rows):
        return con.sql("SELECT * FROM (VALUES " + ", ".join(f"({i}, '{t}')" for i, t in rows) + ") AS t(id, text)")

    a = [(1, "x"), (2, "y"), (3, "z")]
    assert rows_differing(relation(a), relation(b)) == rows_differing(relation(b), relation(a)) == expected


def test_the_dataset_names_each_pairs_source_and_community_and_an_older_one_still_verifies(three_pairs, tmp_path):
    """dataset/ carries `source` and `community` from pairs.parquet; the id, computed from
    pairs.parquet, is the one of a Reddit pair digested without them; and a dataset/ written
    before it took them still matches its pairs.parquet, as `audit verify` compares them."""
    three_pairs.execute("UPDATE preference_pairs SET community = subreddit")  # as the Reddit build writes it
    snapshot = create_snapshot(three_pairs, tmp_path / "snapshots")
    dataset = load_from_disk(str(snapshot.path / "dataset"))
    assert dataset["train"]["source"] == ["reddit", "reddit"]
    assert dataset["eval"]["community"] == ["AskHistorians"]
    assert snapshot.manifest["columns"] == [*DATASET_COLUMNS, *SOURCE_COLUMNS]
    frozen = three_pairs.read_parquet(str(snapshot.path / "pairs.parquet"))
    without_sources = three_pairs.sql("SELECT * EXCLUDE (source, community) FROM frozen")
    assert snapshot_id_for(content_digests(without_sources)) == snapshot.snapshot_id
    assert dataset_differences(three_pairs, snapshot.path, frozen) == {"train": 0, "eval": 0}

    def rewritten(name: str, change) -> Path:
        """The snapshot folder copied to `name`, with dataset/ saved again after `change`."""
        copy = tmp_path / name
        shutil.copytree(snapshot.path, copy)
        shutil.rmtree(copy / "dataset")
        splits = DatasetDict({split: change(dataset[split]) for split in ("train", "eval")})
        splits.save_to_disk(str(copy / "dataset"), num_shards={"train": 1, "eval": 1})
        return copy

    older = rewritten("older", lambda split: split.remove_columns(list(SOURCE_COLUMNS)))
    assert dataset_differences(three_pairs, older, frozen) == {"train": 0, "eval": 0}
    moved = rewritten("moved", lambda split: split.map(lambda row: {"community": "AskScience"}))
    assert dataset_differences(three_pairs, moved, frozen) == {"train": 2, "eval": 1}
