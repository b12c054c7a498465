"""Lineage covers singles: a KTO run on a snapshot's singles records every single it saw;
`audit model` lists them, `audit comment` / `author` find the model through them, and
`forget` names it and leaves the singles out of the next snapshot."""

from __future__ import annotations

from assets.audit.queries import audit_model, audit_usage, forget
from assets.model.lineage import record_training_run
from assets.snapshot.freeze import create_snapshot
from tests.snapshot.test_freeze import insert_pairs, pair
from tests.snapshot.test_singles import insert_singles
from training import TrainConfig, train


def test_a_model_trained_on_singles_is_found_by_them(con, tmp_path):
    insert_pairs(con, [pair("a1"), pair("b2", post_id="p2", split="eval")])
    insert_singles(
        con,
        [
            ("s1", "train", True, "x1"),
            ("s2", "train", False, "x2"),
            ("s3", "train", True, "x3"),
        ],
    )
    insert_singles(con, [("s4", "eval", True, "x4")], post_id="p2")  # the split of p2's pairs
    snapshot = create_snapshot(con, tmp_path / "snapshots")
    cfg = TrainConfig(
        snapshot_dir=str(snapshot.path),
        out_dir=str(tmp_path / "model"),
        model="tiny",
        loss_type="kto",
        kto_data="singles",
        batch_size=3,
        max_steps=1,
        max_length=64,
        device="cpu",
    )
    result = train(cfg)
    assert {s["single_id"] for s in result.manifest["singles"]} == {"s1", "s2", "s3"}
    run_id = record_training_run(con, result.out_dir, dagster_run_id=None)

    answer = audit_model(con, result.out_dir)
    assert answer["counts"]["singles_seen"] == 3 and answer["counts"]["pairs_seen"] == 0
    assert {(s["single_id"], s["comment_id"], s["label"]) for s in answer["singles"]} == {
        ("s1", "x1", True),
        ("s2", "x2", False),
        ("s3", "x3", True),
    }

    used = audit_usage(con, "comment", "x2")
    assert used["found_in"]["snapshot_singles"] == 1
    assert [(m["run_id"], m["singles_seen"]) for m in used["models_by_singles"]] == [(run_id, 1)]
    eval_only = audit_usage(con, "comment", "t1_x4")  # frozen, in eval: in the snapshot, never trained on
    assert [(m["singles_in_snapshot"], m["singles_seen"]) for m in eval_only["models_by_singles"]] == [(1, 0)]

    forgotten = forget(con, "author", "User_X3", reason="request")
    assert (forgotten["counts"]["singles"], forgotten["counts"]["models_trained_on_singles"]) == (1, 1)
    after = create_snapshot(con, tmp_path / "snapshots")
    assert after.snapshot_id != snapshot.snapshot_id and after.counts["singles"]["total"] == 3
