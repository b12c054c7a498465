"""The audit on a real DuckDB file with several snapshots and runs (tests/audit/lineage_factory.py).

Each answer is checked against an independent computation: plain SQL over the lineage
tables, the trainer's own manifest, or Python over the rows.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from assets.audit import queries as audit
from assets.audit.verify import WEIGHTS, verify
from assets.pairs.rules import PairRules, build_pairs
from assets.snapshot.freeze import create_snapshot
from assets.warehouse.connect import connect
from tests.audit.lineage_factory import LineageSpec, build
from tests.pairs.test_rules import comment, insert, post

SPEC = LineageSpec(pairs=600, snapshots=3, runs=5)


@pytest.fixture
def lineage(tmp_path):
    con = connect(tmp_path / "warehouse.duckdb")
    warehouse = build(con, SPEC, tmp_path, write_files=True)
    yield con, warehouse
    con.close()


def rows(con, query: str, **params) -> list[dict]:
    relation = con.sql(query, params=params or None)
    return [dict(zip(relation.columns, row)) for row in relation.fetchall()]


def manifest_pair_ids(model_dir) -> set[str]:
    return {p["pair_id"] for p in json.loads((Path(model_dir) / audit.MANIFEST).read_text())["pairs"]}


def expected_usage(con, match) -> tuple[Counter, dict]:
    """(pairs per snapshot, {run_id: pairs seen}) for the frozen pairs `match(row)` selects, in Python."""
    frozen = [row for row in rows(con, "SELECT * FROM snapshot_pairs") if match(row)]
    per_snapshot = Counter(row["snapshot_id"] for row in frozen)
    keys = {(row["snapshot_id"], row["pair_id"]) for row in frozen}
    runs = {r["run_id"]: r["snapshot_id"] for r in rows(con, "SELECT run_id, snapshot_id FROM training_runs")}
    seen = defaultdict(int)
    for row in rows(con, "SELECT run_id, pair_id FROM training_run_pairs"):
        if (runs[row["run_id"]], row["pair_id"]) in keys:
            seen[row["run_id"]] += 1
    models = {run_id: seen[run_id] for run_id, snapshot_id in runs.items() if per_snapshot[snapshot_id]}
    return per_snapshot, models


def test_audit_model_lists_exactly_the_train_pairs_the_run_saw(lineage):
    con, warehouse = lineage
    for run in warehouse.runs:
        answer = audit.audit_model(con, run["model_path"], list_pairs=True)
        listed = [pair["pair_id"] for pair in answer["pairs"]]
        independent = {
            row["pair_id"]
            for row in rows(
                con,
                """
                SELECT trp.pair_id FROM training_run_pairs trp
                JOIN training_runs r USING (run_id)
                JOIN snapshot_pairs sp ON sp.snapshot_id = r.snapshot_id AND sp.pair_id = trp.pair_id
                WHERE r.run_id = $run AND sp.split = 'train'
                """,
                run=run["run_id"],
            )
        }
        assert len(listed) == len(set(listed)) == answer["counts"]["pairs_seen"]
        assert set(listed) == manifest_pair_ids(run["model_path"]) == independent
        assert answer["run"]["run_id"] == run["run_id"] and answer["snapshot"]["snapshot_id"] == run["snapshot_id"]
        frozen = rows(con, "SELECT split FROM snapshot_pairs WHERE snapshot_id = $s", s=run["snapshot_id"])
        train = sum(row["split"] == "train" for row in frozen)
        assert answer["counts"]["snapshot_pairs"] == len(frozen)
        assert answer["counts"]["train_pairs_not_seen"] == train - len(independent)
        assert answer["counts"]["pairs_seen_outside_train_split"] == 0
    assert audit.audit_model(con, run["run_id"], list_pairs=True) == answer | {"model_dir": run["model_path"]}


def test_audit_model_names_the_snapshots_weighting_and_the_runs_use_of_it(lineage):
    con, warehouse = lineage
    run = warehouse.runs[0]
    answer = audit.audit_model(con, run["run_id"])
    assert answer["weighting"] == {
        "scheme": "none",  # a manifest without `weighting`: frozen before weights existed
        "pair_weights": False,
        "confidence_label_noise": False,
    }
    snapshot_dir = Path(answer["snapshot"]["path"])
    manifest = json.loads((snapshot_dir / "manifest.json").read_text())
    (snapshot_dir / "manifest.json").write_text(json.dumps(manifest | {"weighting": {"scheme": "confidence"}}))
    con.execute(
        "UPDATE training_runs SET hyperparameters = $hp WHERE run_id = $run",
        {"hp": json.dumps({"loss_type": "sigmoid", "pair_weights": True}), "run": run["run_id"]},
    )
    assert audit.audit_model(con, run["run_id"])["weighting"] == {
        "scheme": "confidence",
        "pair_weights": True,
        "confidence_label_noise": False,
    }
    shutil.rmtree(snapshot_dir)
    assert audit.audit_model(con, run["run_id"])["weighting"]["scheme"] == "unknown"


def test_audit_model_pairs_lead_back_to_comments_authors_and_dump_lines(lineage):
    con, warehouse = lineage
    answer = audit.audit_model(con, warehouse.runs[1]["model_path"], list_pairs=True)
    comments = {row["id"]: row for row in rows(con, "SELECT * FROM reddit_comments")}
    post_authors = dict(con.sql("SELECT id, author FROM reddit_submissions").fetchall())
    for pair in answer["pairs"]:
        assert pair["post_author"] == post_authors[pair["post_id"]]
        for side in ("chosen", "rejected"):
            comment = comments[pair[f"{side}_id"]]
            assert comment["post_id"] == pair["post_id"] and comment["subreddit"] == pair["subreddit"]
            assert comment["author"] == pair[f"{side}_author"] and comment["score"] == pair[f"{side}_score"]
            assert (comment["source"], comment["source_line"]) == (pair[f"{side}_source"], pair[f"{side}_source_line"])
        assert pair["in_snapshot"] and pair["forgotten_by"] is None
    assert {pair["chosen_source"].split(":")[0] for pair in answer["pairs"]} == {"dump", "praw"}


def test_audit_model_without_pairs_flag_shows_the_first_ones(lineage):
    con, warehouse = lineage
    preview = audit.audit_model(con, warehouse.runs[0]["run_id"])
    full = audit.audit_model(con, warehouse.runs[0]["run_id"], list_pairs=True)
    assert preview["pairs"] == full["pairs"][: audit.PREVIEW_PAIRS]
    assert preview["pairs_listed"] == f"first {audit.PREVIEW_PAIRS}" and full["pairs_listed"] == "all"
    steps = [(p["first_step"], p["pair_id"]) for p in full["pairs"]]
    assert steps == sorted(steps)


@pytest.mark.parametrize("kind", ["pair", "comment", "author", "subreddit"])
def test_audit_usage_matches_an_independent_computation(lineage, kind):
    con, warehouse = lineage
    # A pair in every snapshot: from the first (smallest) one, kept by the later ones.
    pair = rows(
        con,
        """
        SELECT * FROM snapshot_pairs WHERE pair_id IN (
            SELECT pair_id FROM snapshot_pairs GROUP BY pair_id HAVING count(*) = $n)
        ORDER BY pair_id LIMIT 1
        """,
        n=SPEC.snapshots,
    )[0]
    value, match = {
        "pair": (pair["pair_id"], lambda r: r["pair_id"] == pair["pair_id"]),
        "comment": ("t1_" + pair["chosen_id"], lambda r: pair["chosen_id"] in (r["chosen_id"], r["rejected_id"])),
        # The post's author (the prompt is their text), who also wrote comments: in any case,
        # as on Reddit.
        "author": (
            pair["post_author"].upper(),
            lambda r: pair["post_author"] in (r["chosen_author"], r["rejected_author"], r["post_author"]),
        ),
        "subreddit": (pair["subreddit"].upper(), lambda r: r["subreddit"] == pair["subreddit"]),
    }[kind]
    answer = audit.audit_usage(con, kind, value)
    per_snapshot, models = expected_usage(con, match)
    assert {s["snapshot_id"]: s["pairs"] for s in answer["snapshots"]} == per_snapshot
    assert len(per_snapshot) == SPEC.snapshots
    assert {m["run_id"]: m["pairs_seen"] for m in answer["models"]} == models
    assert answer["counts"]["models"] == SPEC.runs
    assert answer["counts"]["models_trained_on"] == sum(1 for seen in models.values() if seen)
    assert {m["model_path"] for m in answer["models"]} == {r["model_path"] for r in warehouse.runs}
    assert answer["forgotten"] is False and answer["forget_requests"] == []
    if kind == "comment":
        assert answer["value"] == pair["chosen_id"] and answer["comment"]["author"] == pair["chosen_author"]
    if kind == "author":  # both count: the pairs under their posts and those with their comments
        used = [r for r in rows(con, "SELECT * FROM snapshot_pairs") if match(r)]
        assert {r["post_author"] == pair["post_author"] for r in used} == {True, False}


def test_unknown_ids_and_missing_manifests_are_one_line_errors(lineage, tmp_path):
    con, _ = lineage
    for kind in audit.USAGE_KINDS:
        with pytest.raises(audit.AuditError, match="no .* in the warehouse"):
            audit.audit_usage(con, kind, "nothing-like-this")
    with pytest.raises(audit.AuditError, match="no model folder or training run"):
        audit.audit_model(con, "no-such-run")
    (tmp_path / "empty").mkdir()
    with pytest.raises(audit.AuditError, match="no training_manifest.json"):
        audit.audit_model(con, tmp_path / "empty")
    with pytest.raises(audit.AuditError, match="no training_manifest.json"):
        verify(con, tmp_path / "empty")


def test_verify_detects_modified_model_files_and_tampered_snapshots(lineage):
    con, warehouse = lineage
    run = warehouse.runs[0]
    model_dir = Path(run["model_path"])

    def failed():
        return {check["check"] for check in verify(con, model_dir)["checks"] if check["ok"] is False}

    report = verify(con, model_dir)
    assert report["ok"] and all(check["ok"] for check in report["checks"]), report
    model_files = {"model files sha256 = manifest", "model files sha256 = warehouse"}
    weights = model_dir / WEIGHTS
    original = weights.read_bytes()
    weights.write_bytes(original[:-1] + b"!")
    assert failed() == {"weights sha256 = manifest", "weights sha256 = warehouse"} | model_files
    weights.write_bytes(original)
    (model_dir / "config.json").write_text("{}")  # not in the trainer's list: an added file
    assert failed() == model_files
    (model_dir / "config.json").unlink()

    snapshot_dir = model_dir.parents[1] / "snapshots" / run["snapshot_id"]
    parquet = snapshot_dir / "pairs.parquet"
    table = pq.read_table(parquet)
    pq.write_table(table.slice(1), parquet)
    assert failed() == {
        "snapshot id from pairs.parquet",
        "snapshot dataset/ = pairs.parquet",
        "snapshot_pairs = pairs.parquet",
    }
    # The same pair ids, with one text edited (the ledger holds no texts) or one pair moved
    # to the other split.
    flipped = {"train": "eval", "eval": "train"}[table["split"][0].as_py()]
    # Each edited row counts once in the detail, not once for each side it is missing from.
    moved = {table["split"][0].as_py(): 1, flipped: 1}
    for column, value, ledger, differ in (
        ("chosen", "an edited reply", set(), {table["split"][0].as_py(): 1}),
        ("split", flipped, {"snapshot_pairs = pairs.parquet"}, moved),
    ):
        values = pa.array([value] + table[column].to_pylist()[1:])
        pq.write_table(table.set_column(table.schema.get_field_index(column), column, values), parquet)
        assert failed() == {"snapshot id from pairs.parquet", "snapshot dataset/ = pairs.parquet"} | ledger, column
        checks = {check["check"]: check for check in verify(con, model_dir)["checks"]}
        dataset = checks["snapshot dataset/ = pairs.parquet"]
        detail = ", ".join(f"{split}: 1 row differs" for split in ("train", "eval") if split in differ)
        assert (dataset["actual"], dataset["detail"]) == (sum(differ.values()), detail), column
    pq.write_table(table, parquet)

    # What trainers read, chosen and rejected swapped in one split: pairs.parquet is intact.
    from datasets import load_from_disk

    dataset_dir = snapshot_dir / "dataset"
    dataset = load_from_disk(str(dataset_dir))
    swapped = dataset["train"].rename_columns({"chosen": "rejected", "rejected": "chosen"})
    dataset["train"] = swapped.select_columns(dataset["train"].column_names)
    dataset.save_to_disk(str(snapshot_dir / "swapped"))
    shutil.move(dataset_dir, snapshot_dir / "intact")
    shutil.move(snapshot_dir / "swapped", dataset_dir)
    assert failed() == {"snapshot dataset/ = pairs.parquet"}
    shutil.rmtree(dataset_dir)
    assert failed() == {"snapshot dataset/ = pairs.parquet"}  # missing
    shutil.move(snapshot_dir / "intact", dataset_dir)

    digest = "UPDATE snapshot_pairs SET content_sha256 = $v WHERE snapshot_id = $s AND pair_id = $p"
    first = {"s": run["snapshot_id"], "p": table["pair_id"][0].as_py()}
    original_digest = con.execute(
        "SELECT content_sha256 FROM snapshot_pairs WHERE snapshot_id = $s AND pair_id = $p", first
    ).fetchone()[0]
    con.execute(digest, {**first, "v": "0" * 64})
    assert failed() == {"snapshot id from snapshot_pairs"}
    con.execute(digest, {**first, "v": original_digest})
    # The ledger's own split (which "pairs seen are train pairs" relies on) of an eval pair.
    moved = "UPDATE snapshot_pairs SET split = $to WHERE snapshot_id = $s AND pair_id = $p"
    unseen = {"s": run["snapshot_id"], "p": table.filter(pc.equal(table["split"], "eval"))["pair_id"][0].as_py()}
    con.execute(moved, {**unseen, "to": "train"})
    assert failed() == {"snapshot_pairs = pairs.parquet"}
    con.execute(moved, {**unseen, "to": "eval"})
    assert verify(con, model_dir)["ok"]

    # An eval pair, which the run did not see: only the ledger's checks can notice it is gone.
    con.execute(
        """
        DELETE FROM snapshot_pairs WHERE snapshot_id = $s AND pair_id = (
            SELECT min(pair_id) FROM snapshot_pairs WHERE snapshot_id = $s AND split = 'eval')
        """,
        {"s": run["snapshot_id"]},
    )
    assert failed() == {"snapshot id from snapshot_pairs", "snapshot_pairs = pairs.parquet"}
    assert verify(con, model_dir)["ok"] is False


def test_verify_skips_the_content_of_a_snapshot_recorded_before_content_digests(lineage):
    """Its id covers the pair ids alone: no mismatch is reported, and no check passes either."""
    con, warehouse = lineage
    run = warehouse.runs[0]
    con.execute("UPDATE snapshot_pairs SET content_sha256 = NULL WHERE snapshot_id = $s", {"s": run["snapshot_id"]})
    report = verify(con, run["model_path"])
    skipped = {check["check"]: check["detail"] for check in report["checks"] if check["ok"] is None}
    assert set(skipped) == {"snapshot id from snapshot_pairs", "snapshot id from pairs.parquet"}
    assert all("recorded before content digests" in detail for detail in skipped.values())
    assert report["ok"] and all(check["ok"] for check in report["checks"] if check["check"] not in skipped)


def test_record_training_run_reads_the_trainers_manifest(lineage, tmp_path):
    from assets.model.lineage import record_training_run

    con, warehouse = lineage
    source = Path(warehouse.runs[2]["model_path"])
    model_dir = tmp_path / "models" / "recorded"
    shutil.copytree(source, model_dir)
    manifest = json.loads((model_dir / audit.MANIFEST).read_text())
    manifest |= {
        "run_id": "a-new-run",
        "started_at": "2026-01-01T10:00:00+00:00",
        "finished_at": "2026-01-01T11:00:00+00:00",
    }
    (model_dir / audit.MANIFEST).write_text(json.dumps(manifest))

    assert record_training_run(con, model_dir, "dagster-run") == "a-new-run"
    answer = audit.audit_model(con, model_dir, list_pairs=True)
    assert answer["run"]["model_sha256"] == manifest["output"]["weights_sha256"]
    assert {p["pair_id"] for p in answer["pairs"]} == manifest_pair_ids(source)
    assert verify(con, model_dir)["ok"]


def test_forget_then_a_new_snapshot_leaves_the_pairs_out_and_the_audit_flags_old_models(lineage, tmp_path):
    con, warehouse = lineage
    newest = warehouse.snapshot_ids[-1]
    assert create_snapshot(con, tmp_path / "again").snapshot_id == newest  # same pairs, same id

    seen = rows(
        con,
        """
        SELECT sp.chosen_author, sp.rejected_id FROM training_run_pairs trp
        JOIN training_runs r USING (run_id)
        JOIN snapshot_pairs sp ON sp.snapshot_id = r.snapshot_id AND sp.pair_id = trp.pair_id
        WHERE sp.snapshot_id = $s AND r.status = 'completed' ORDER BY trp.pair_id LIMIT 1
        """,
        s=newest,
    )[0]
    author, comment = seen["chosen_author"], seen["rejected_id"]
    assert author != author.upper()
    first = audit.forget(con, "author", author.upper(), reason="asked by the user")  # in any case
    again = audit.forget(con, "author", author, reason="asked twice")
    by_comment = audit.forget(con, "comment", "t1_" + comment)
    assert first["new"] and not again["new"] and by_comment["new"]
    assert again["request"] == first["request"] and first["request"]["reason"] == "asked by the user"
    assert by_comment["value"] == comment
    assert rows(con, "SELECT count(*) AS n FROM forget_requests")[0]["n"] == 2

    excluded = {
        row["pair_id"]
        for row in rows(
            con,
            """
            SELECT pair_id FROM preference_pairs
            WHERE $a IN (chosen_author, rejected_author, post_author) OR $c IN (chosen_id, rejected_id)
            """,
            a=author,
            c=comment,
        )
    }
    snapshot = create_snapshot(con, tmp_path / "after")
    kept = set(pq.read_table(snapshot.path / "pairs.parquet")["pair_id"].to_pylist())
    current = {row["pair_id"] for row in rows(con, "SELECT pair_id FROM preference_pairs")}
    assert excluded and snapshot.snapshot_id != newest
    assert kept == current - excluded

    usage = audit.audit_usage(con, "author", author)
    assert usage["forgotten"] and usage["forget_requests"][0]["reason"] == "asked by the user"
    flagged = {m["run_id"] for m in usage["models"] if m["forgotten_pairs_seen"]}
    assert flagged == {m["run_id"] for m in first["models"] if m["pairs_seen"]}
    assert newest in {s["snapshot_id"] for s in usage["snapshots"]}
    assert snapshot.snapshot_id not in {s["snapshot_id"] for s in usage["snapshots"]}

    old_model = next(run for run in warehouse.runs if run["run_id"] in flagged)
    model = audit.audit_model(con, old_model["model_path"], list_pairs=True)
    forgotten = [p for p in model["pairs"] if p["forgotten_by"]]
    assert model["counts"]["forgotten_pairs_seen"] == len(forgotten) > 0
    assert all(
        author in (p["chosen_author"], p["rejected_author"], p["post_author"])
        or comment in (p["chosen_id"], p["rejected_id"])
        for p in forgotten
    )
    assert verify(con, old_model["model_path"])["ok"]  # forgetting changes no record


def test_forget_rejects_what_it_cannot_forget(lineage):
    con, _ = lineage
    with pytest.raises(audit.AuditError, match="cannot forget a 'subreddit'"):
        audit.forget(con, "subreddit", "sub0")
    with pytest.raises(audit.AuditError, match="empty comment"):
        audit.forget(con, "comment", "t1_")


def test_the_author_of_a_post_is_audited_and_forgotten_by_the_pairs_under_it(con, tmp_path):
    """The prompt is the post's title and text, so a run on a post's pairs trained on its
    author's words even when they wrote no comment: the audit finds the snapshot and the run,
    and forgetting them leaves the pairs out of the next snapshot. A deleted post author (NULL,
    or "[deleted]" in a row not written by the ingest) matches no one."""
    posts = {"p1": "Alice", "p2": None, "p3": "[deleted]", "p4": "bob"}
    insert(
        con,
        [post(post_id, author=author) for post_id, author in posts.items()] + [post("p5", author="Dora")],
        # Three comments a post, each later one scored 4x the one before: three pairs.
        [
            comment(f"{post_id}c{k}", 2 * 4**k, 60 * (k + 1), post_id=post_id, body=f"{post_id}: {'why ' * k}because")
            for post_id in posts
            for k in range(3)
        ],
    )
    build_pairs(con, PairRules(eval_fraction=0.0))  # all train: the run sees every pair
    assert con.sql(
        "SELECT post_id, post_author, count(*) FROM preference_pairs GROUP BY ALL ORDER BY 1"
    ).fetchall() == [("p1", "Alice", 3), ("p2", None, 3), ("p3", None, 3), ("p4", "bob", 3)]
    first = create_snapshot(con, tmp_path / "snapshots")
    con.execute(
        "INSERT INTO training_runs (run_id, snapshot_id, base_model, model_path, status, started_at)"
        " VALUES ('run-1', $s, 'tiny', '/models/run-1', 'completed', TIMESTAMP '2025-01-01')",
        {"s": first.snapshot_id},
    )
    con.execute(
        "INSERT INTO training_run_pairs SELECT 'run-1', pair_id, 0, row_number() OVER (ORDER BY pair_id), 1"
        " FROM snapshot_pairs WHERE snapshot_id = $s",
        {"s": first.snapshot_id},
    )

    used = audit.audit_usage(con, "author", "ALICE")  # in any case, as on Reddit
    assert used["found_in"] == {
        "snapshot_pairs": 3,
        "raw_comments": 0,
        "raw_posts": 1,
        "current_pairs": 3,
        "snapshot_singles": 0,
    }
    assert [(s["snapshot_id"], s["pairs"]) for s in used["snapshots"]] == [(first.snapshot_id, 3)]
    assert [(m["run_id"], m["pairs_seen"]) for m in used["models"]] == [("run-1", 3)]
    assert audit.audit_usage(con, "author", "dora")["found_in"]["raw_posts"] == 1  # a post without pairs

    forgotten = audit.forget(con, "author", "Alice", reason="user request")
    assert forgotten["counts"] == {
        "pairs": 3,
        "snapshots": 1,
        "models": 1,
        "models_trained_on": 1,
        "forgotten_pairs": 3,
        "singles": 0,
        "models_trained_on_singles": 0,
    }
    deleted = audit.forget(con, "author", "[deleted]")
    assert deleted["counts"]["pairs"] == 0 and deleted["snapshots"] == deleted["models"] == []
    second = create_snapshot(con, tmp_path / "snapshots")
    frozen = pq.read_table(second.path / "pairs.parquet").to_pylist()
    assert {(p["post_id"], p["post_author"]) for p in frozen} == {("p2", None), ("p3", None), ("p4", "bob")}
    assert len(frozen) == 9

    after = audit.audit_usage(con, "author", "alice")
    assert after["forgotten"] and [s["snapshot_id"] for s in after["snapshots"]] == [first.snapshot_id]
    assert [m["forgotten_pairs_seen"] for m in after["models"]] == [3]
    listed = audit.audit_model(con, "run-1", list_pairs=True)["pairs"]
    assert {(p["post_id"], p["post_author"], p["forgotten_by"]) for p in listed} == {
        ("p1", "Alice", "author:alice"),
        ("p2", None, None),
        ("p3", None, None),
        ("p4", "bob", None),
    }


def test_audit_pair_shows_each_sides_score_age_as_frozen_else_as_current(con, tmp_path):
    insert(
        con,
        [post()],
        [comment("a", 3, 100, score_age_s=30 * 3600), comment("b", 30, 200)],  # b: unknown age
    )
    build_pairs(con, PairRules())
    (pair_id,) = con.execute("SELECT pair_id FROM preference_pairs").fetchone()
    current = audit.audit_usage(con, "pair", pair_id)["pair"]
    assert current == {
        "as_of": "current pairs",
        "chosen_id": "b",
        "rejected_id": "a",
        "chosen_score": 30,
        "rejected_score": 3,
        "chosen_score_age_hours": None,
        "rejected_score_age_hours": 30.0,
    }
    snapshot = create_snapshot(con, tmp_path / "snapshots")
    # a later retrieval of "b" does not change what the snapshot froze
    con.execute("UPDATE reddit_comments SET score_age_s = 3600 WHERE id = 'b'")
    frozen = audit.audit_usage(con, "pair", pair_id)["pair"]
    assert frozen == {**current, "as_of": f"snapshot {snapshot.snapshot_id}"}
    assert audit.audit_usage(con, "comment", "a")["pair"] is None


def test_verify_passes_a_snapshot_whose_dataset_predates_the_source_columns(lineage):
    """A snapshot frozen before dataset/ took `source` and `community` (pairs.parquet had them)
    is never rewritten; it must still verify."""
    from datasets import DatasetDict, load_from_disk

    from assets.snapshot.freeze import SOURCE_COLUMNS

    con, warehouse = lineage
    run = warehouse.runs[0]
    dataset_dir = Path(audit.audit_model(con, run["run_id"])["snapshot"]["path"]) / "dataset"
    dataset = load_from_disk(str(dataset_dir))
    assert set(SOURCE_COLUMNS) <= set(dataset["train"].column_names)
    older = DatasetDict({split: dataset[split].remove_columns(list(SOURCE_COLUMNS)) for split in dataset})
    older.save_to_disk(str(dataset_dir.with_name("older")), num_shards={split: 1 for split in dataset})
    shutil.rmtree(dataset_dir)
    dataset_dir.with_name("older").rename(dataset_dir)
    assert verify(con, run["model_path"])["ok"]
