"""Snapshots hold the singles beside the pairs: TRL's KTO columns, an id covering both (and
unchanged without singles), the ledger, forget, and the audit's recomputed ids."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from datasets import load_from_disk

from assets.audit.verify import snapshot_id_from_ledger
from assets.snapshot.freeze import FailedChecksError, content_digests, create_snapshot, snapshot_id_for
from assets.snapshot.singles import single_digests
from tests.snapshot.test_freeze import insert_pairs, pair


def insert_singles(con, rows: list[tuple[str, str, bool, str]], post_id: str = "p1") -> None:
    """(single_id, split, label, comment_id) rows under one post."""
    for single_id, split, label, comment_id in rows:
        con.execute(
            "INSERT INTO preference_singles VALUES (?, ?, 'AskX', 'Why?', ?, ?, ?, ?, ?, 2.0, 100, 200, ?, 'op')",
            [
                single_id,
                post_id,
                comment_id,
                f"reply {comment_id}",
                f"user_{comment_id}",
                label,
                40 if label else -3,
                split,
            ],
        )


def test_singles_are_frozen_beside_the_pairs_and_the_id_covers_them(con, tmp_path):
    insert_pairs(con, [pair("a1"), pair("b2", post_id="p2", split="eval")])
    pairs_only = create_snapshot(con, tmp_path / "snapshots")
    assert not (pairs_only.path / "singles.parquet").exists() and "singles" not in pairs_only.counts

    insert_singles(con, [("s1", "train", True, "x1"), ("s2", "train", False, "x2")])
    insert_singles(con, [("s3", "eval", True, "x3")], post_id="p2")  # the split of p2's pairs
    both = create_snapshot(con, tmp_path / "snapshots")
    assert both.snapshot_id != pairs_only.snapshot_id
    assert both.counts["singles"] == {"train": 2, "eval": 1, "total": 3, "desirable": 2, "undesirable": 1}
    dataset = load_from_disk(str(both.path / "dataset_singles"))
    assert {"prompt", "completion", "label"} <= set(dataset["train"].column_names)  # what TRL's KTOTrainer reads
    assert dataset["train"]["label"] == [True, False] and dataset["eval"]["completion"] == ["reply x3"]

    # the id: every pair's and single's row digest, in id order; the ledger and the files agree
    frozen = con.read_parquet(str(both.path / "pairs.parquet"))
    singles = con.read_parquet(str(both.path / "singles.parquet"))
    assert snapshot_id_for(content_digests(frozen).union(single_digests(singles))) == both.snapshot_id
    assert snapshot_id_from_ledger(con, both.snapshot_id) == (both.snapshot_id, 5, 0)
    assert pq.read_table(both.path / "singles.parquet").num_rows == 3

    # the singles gone again: the pairs' own snapshot, reused
    con.execute("DELETE FROM preference_singles")
    again = create_snapshot(con, tmp_path / "snapshots")
    assert (again.snapshot_id, again.created) == (pairs_only.snapshot_id, False)


def test_forgotten_replies_and_authors_leave_the_next_snapshots_singles(con, tmp_path):
    insert_pairs(con, [pair("a1")])
    insert_singles(con, [("s1", "train", True, "x1"), ("s2", "train", False, "x2"), ("s3", "train", True, "x3")])
    con.execute("INSERT INTO forget_requests (kind, value) VALUES ('comment', 'x1'), ('author', 'USER_X2')")
    snapshot = create_snapshot(con, tmp_path / "snapshots")
    assert load_from_disk(str(snapshot.path / "dataset_singles"))["train"]["comment_id"] == ["x3"]
    recorded = con.execute("SELECT single_id FROM snapshot_singles WHERE snapshot_id = ?", [snapshot.snapshot_id])
    assert recorded.fetchall() == [("s3",)]


def test_singles_that_break_a_blocking_check_are_not_frozen(con, tmp_path):
    insert_pairs(con, [pair("a1")])  # post p1, train
    insert_singles(con, [("s1", "train", True, "x1"), ("s2", "eval", False, "x2"), ("s3", "train", True, "x3")])
    con.execute("UPDATE preference_singles SET completion = ' ' WHERE single_id = 's3'")
    with pytest.raises(FailedChecksError) as refused:
        create_snapshot(con, tmp_path / "snapshots")
    assert str(refused.value) == (
        "the singles fail blocking checks, so nothing was frozen: no_empty_text (1), same_split_as_the_pairs (1); "
        "fix the data or the rules and rebuild the singles (`singles build`)"
    )
    assert not (tmp_path / "snapshots").exists()
    assert con.execute("SELECT count(*) FROM snapshots").fetchone() == (0,)
    # The check covers what would be frozen: forgetting the two failing replies' comments
    # leaves them in the table but out of the snapshot, which then passes.
    con.execute("INSERT INTO forget_requests (kind, value) VALUES ('comment', 'x2'), ('comment', 'x3')")
    assert create_snapshot(con, tmp_path / "snapshots").counts["singles"]["total"] == 1
