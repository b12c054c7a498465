"""The assets through real `dagster.materialize` runs: bundled sample -> pairs -> snapshot -> model."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from assets.ingest.assets import reddit_dump
from assets.ingest.reddit.resources import DumpArchive
from assets.model.assets import ModelDirTakenError, dpo_model
from assets.pairs.assets import PAIR_CHECKS, preference_pairs
from assets.snapshot.assets import pair_snapshot
from assets.warehouse.connect import PROJECT_ROOT, connect
from assets.warehouse.resources import Warehouse
from training.errors import UserError

SAMPLE = PROJECT_ROOT / "data" / "sample"
DUMPS = ["RS_praw_cassettes.ndjson.zst", "RC_praw_cassettes.ndjson.zst"]
TINY_TRAINING = {"model": "tiny", "max_steps": 2, "max_length": 96, "batch_size": 2, "eval_max_pairs": 4}


@pytest.fixture(scope="module")
def warehouse_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("warehouse")


@pytest.fixture(scope="module")
def resources(warehouse_dir):
    incoming = warehouse_dir / "incoming"
    incoming.mkdir()
    for name in DUMPS:
        shutil.copy(SAMPLE / name, incoming / name)
    return {
        "warehouse": Warehouse(
            database=str(warehouse_dir / "upvote.duckdb"),
            snapshots_dir=str(warehouse_dir / "snapshots"),
            models_dir=str(warehouse_dir / "models"),
        ),
        "dump_archive": DumpArchive(incoming_dir=str(incoming)),
        "pipes_subprocess_client": dg.PipesSubprocessClient(),
    }


@pytest.fixture(scope="module")
def instance():
    with dg.instance_for_test() as test_instance:
        test_instance.add_dynamic_partitions("dump_files", DUMPS)
        yield test_instance


def row_counts(warehouse_dir) -> tuple[int, int, int]:
    con = connect(warehouse_dir / "upvote.duckdb", read_only=True)
    try:
        return tuple(
            con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            for table in ("reddit_submissions", "reddit_comments", "ingest_rejects")
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def ingested(resources, instance, warehouse_dir):
    for name in DUMPS:
        result = dg.materialize([reddit_dump], partition_key=name, resources=resources, instance=instance)
        assert result.success
    return row_counts(warehouse_dir)


def test_dump_partitions_land_every_line(ingested):
    submissions, comments, rejects = ingested
    assert (submissions, comments + rejects) == (333, 12789)


def test_rematerializing_a_partition_never_duplicates_rows(ingested, resources, instance, warehouse_dir):
    result = dg.materialize([reddit_dump], partition_key=DUMPS[1], resources=resources, instance=instance)
    assert result.success
    assert row_counts(warehouse_dir) == ingested


@pytest.fixture(scope="module")
def dataset_run(ingested, resources, instance):
    return dg.materialize([preference_pairs, pair_snapshot], resources=resources, instance=instance)


# The snapshot id the bundled sample gives under the default rules: a refactor that changes it
# changed the pairs or their digest. 73 pairs since min_score_age_hours (24 h) left out the
# comments whose scores were recorded younger (100 pairs before, 1a671ef1262b65a1).
SAMPLE_SNAPSHOT_ID = "283554fe92a34d13"


def test_the_sample_gives_the_same_snapshot_id_as_before_the_restructure(dataset_run):
    snapshot = dataset_run.asset_materializations_for_node("pair_snapshot")[0].metadata
    assert snapshot["snapshot_id"].value == SAMPLE_SNAPSHOT_ID


def test_pairs_pass_every_blocking_check_and_snapshot(dataset_run):
    assert dataset_run.success
    checks = dataset_run.get_asset_check_evaluations()
    assert {check.check_name for check in checks} == set(PAIR_CHECKS)
    assert all(check.passed for check in checks)
    pairs = dataset_run.asset_materializations_for_node("preference_pairs")[0].metadata
    snapshot = dataset_run.asset_materializations_for_node("pair_snapshot")[0].metadata
    assert pairs["dagster/row_count"].value == snapshot["dagster/row_count"].value > 0
    assert "score_ratio_histogram" in pairs and pairs["score_ratio_histogram"].value.startswith("![")
    assert pairs["removed_by_rule_per_subreddit"].value.startswith("![")
    assert all(pairs[f"{plot}_per_subreddit"].value.startswith("![") for plot in ("bias_shares", "length_ratio"))
    assert 0 < pairs["bias"].value["(all)"]["longer_chosen_share"] < 1
    assert (Path(snapshot["path"].value) / "README.md").is_file()
    preview = pairs["preview"].value.splitlines()
    header = ["subreddit", "prompt", "chosen", "chosen_score", "rejected", "rejected_score", "split"]
    assert [cell.strip() for cell in preview[0].split("|")[1:-1]] == header
    assert len(preview) == 2 + 10  # the ten strongest pairs


def training_runs(warehouse_dir) -> int:
    con = connect(warehouse_dir / "upvote.duckdb", read_only=True)
    try:
        return con.execute("SELECT count(*) FROM training_runs").fetchall()[0][0]
    finally:
        con.close()


@pytest.mark.parametrize(
    "values, message",
    [
        ({"beta": math.nan}, "--beta must be > 0, got nan"),
        ({"learning_rate": math.inf}, "--learning-rate must be > 0, got inf"),
        ({"model": "no/such/model"}, "--model 'no/such/model' is neither"),
        ({"snapshot_dir": "no/such/snapshot"}, "no snapshot at no/such/snapshot"),
    ],
    ids=["nan-beta", "inf-learning-rate", "missing-model", "missing-snapshot"],
)
def test_impossible_training_config_fails_before_the_trainer_and_records_nothing(
    dataset_run, resources, instance, warehouse_dir, values, message
):
    run_config = {"ops": {"dpo_model": {"config": {**TINY_TRAINING, **values}}}}
    with pytest.raises(UserError) as caught:
        dg.materialize([dpo_model], run_config=run_config, resources=resources, instance=instance)
    assert str(caught.value).startswith(message)
    assert training_runs(warehouse_dir) == 0 and not (warehouse_dir / "models").exists()


def test_a_diverging_run_fails_and_records_no_model(dataset_run, resources, instance, warehouse_dir):
    """The trainer's DivergedError fails the Pipes run with its own message, raised by the asset
    as a UserError (one line from the CLI): no training_runs row, no completed manifest."""
    from assets.pipes import LaunchedProcessError

    run_config = {"ops": {"dpo_model": {"config": {**TINY_TRAINING, "learning_rate": 1e30, "max_grad_norm": 0.0}}}}
    with pytest.raises(LaunchedProcessError, match=r"^training diverged at step \d+: "):
        dg.materialize([dpo_model], run_config=run_config, resources=resources, instance=instance)
    assert training_runs(warehouse_dir) == 0
    assert not list((warehouse_dir / "models").glob("*/training_manifest.json"))
    shutil.rmtree(warehouse_dir / "models")  # the later tests expect a fresh models folder


def test_model_trains_on_the_snapshot_and_is_not_retrained(dataset_run, resources, instance, warehouse_dir):
    run_config = {"ops": {"dpo_model": {"config": TINY_TRAINING}}}
    first = dg.materialize([dpo_model], run_config=run_config, resources=resources, instance=instance)
    assert first.success
    metadata = first.asset_materializations_for_node("dpo_model")[0].metadata
    snapshot_id = dataset_run.asset_materializations_for_node("pair_snapshot")[0].metadata["snapshot_id"].value
    assert metadata["snapshot_id"].value == snapshot_id
    model_dir = metadata["model_path"].value
    manifest = json.loads((warehouse_dir / "models" / model_dir.split("/")[-1] / "training_manifest.json").read_text())
    assert manifest["status"] == "completed"
    assert "training_curves" in metadata

    second = dg.materialize([dpo_model], run_config=run_config, resources=resources, instance=instance)
    assert second.asset_materializations_for_node("dpo_model")[0].metadata["run_id"].value == manifest["run_id"]
    # Another logging and checkpoint cadence trains the same model: it is reused too.
    cadence = {**TINY_TRAINING, "log_every": 2, "checkpoint_every": 1, "eval_batch_size": 2}
    third = dg.materialize(
        [dpo_model], run_config={"ops": {"dpo_model": {"config": cadence}}}, resources=resources, instance=instance
    )
    assert third.asset_materializations_for_node("dpo_model")[0].metadata["run_id"].value == manifest["run_id"]
    con = connect(warehouse_dir / "upvote.duckdb", read_only=True)
    try:
        runs = con.execute("SELECT run_id, snapshot_id, dagster_run_id FROM training_runs").fetchall()
        seen = con.execute("SELECT count(*) FROM training_run_pairs").fetchall()[0][0]
    finally:
        con.close()
    # Reusing the model records no new run and leaves the run that trained it as it was.
    assert second.run_id != first.run_id != third.run_id
    assert runs == [(manifest["run_id"], snapshot_id, first.run_id)]
    assert seen == len(manifest["pairs"]) > 0

    # The same folder named explicitly with other settings: refused, not passed off as theirs.
    other = {"ops": {"dpo_model": {"config": {**TINY_TRAINING, "beta": 0.2, "out_dir": model_dir}}}}
    with pytest.raises(
        ModelDirTakenError, match=r"already holds a model trained with other settings \(beta 0.1 -> 0.2\)"
    ):
        dg.materialize([dpo_model], run_config=other, resources=resources, instance=instance)


def test_an_explicit_out_dir_is_not_reused_for_a_local_base_model_whose_weights_changed(tmp_path):
    """A named out_dir holds a finished model of this snapshot and settings, but the local base
    folder it was trained from has other weights now (fine-tuned in place): refused, not reused."""
    from assets.model.assets import _completed
    from training import TrainConfig
    from training.identity import RunIdentity
    from training.models import tiny_dir, weights_sha256
    from training.outputs import MANIFEST

    local, out_dir = tmp_path / "base", tmp_path / "model"
    shutil.copytree(tiny_dir(None), local)
    cfg = TrainConfig(snapshot_dir="s", out_dir=str(out_dir), model=str(local), cache_dir=str(tmp_path / "cache"))
    out_dir.mkdir()
    (out_dir / MANIFEST).write_text(
        json.dumps(
            {
                "status": "completed",
                "snapshot_id": "snap",
                "hyperparameters": cfg.hyperparameters(),
                "base_model": {"name": str(local), "weights_sha256": weights_sha256(local)},
            }
        )
    )
    assert _completed(out_dir, RunIdentity.of(cfg, "snap"))
    weights = local / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(ModelDirTakenError, match=r"other settings \(base model weights [0-9a-f]{12} -> [0-9a-f]{12}\)"):
        _completed(out_dir, RunIdentity.of(cfg, "snap"))


def test_audit_of_the_trained_model_lists_exactly_the_train_pairs_it_saw(
    dataset_run, resources, instance, warehouse_dir, capsys
):
    """`upvote-dpo audit model DIR --pairs --format json` against the trainer's manifest and
    an independent SQL query over the snapshot ledger."""
    from pipelines.cli import main

    run_config = {"ops": {"dpo_model": {"config": TINY_TRAINING}}}
    model = dg.materialize([dpo_model], run_config=run_config, resources=resources, instance=instance)
    model_dir = model.asset_materializations_for_node("dpo_model")[0].metadata["model_path"].value
    manifest = json.loads((Path(model_dir) / "training_manifest.json").read_text())

    capsys.readouterr()
    assert (
        main(["audit", "model", model_dir, "--pairs", "--format", "json", "--db", str(warehouse_dir / "upvote.duckdb")])
        == 0
    )
    audited = json.loads(capsys.readouterr().out)
    audited_ids = {pair["pair_id"] for pair in audited["pairs"]}

    con = connect(warehouse_dir / "upvote.duckdb", read_only=True)
    try:
        train_ids = {
            pair_id
            for (pair_id,) in con.execute(
                "SELECT pair_id FROM snapshot_pairs WHERE snapshot_id = ? AND split = 'train'",
                [manifest["snapshot_id"]],
            ).fetchall()
        }
    finally:
        con.close()
    seen = {pair["pair_id"] for pair in manifest["pairs"]}
    assert audited_ids == seen
    assert seen <= train_ids and len(seen) == TINY_TRAINING["max_steps"] * TINY_TRAINING["batch_size"]
    assert {pair["first_step"] for pair in audited["pairs"]} == set(range(TINY_TRAINING["max_steps"]))


def test_run_key_follows_a_local_base_models_weights_without_reading_them_each_time(tmp_path, monkeypatch):
    """The weights' digest is cached by each file's size, mtime, inode and ctime: an unchanged
    model is not read again; another checkpoint of the same size copied over it with its mtime
    kept (`cp -p`) is."""
    import training.models
    from training import TrainConfig
    from training.identity import RunIdentity
    from training.models import cached_weights_sha256, tiny_dir, weights_sha256

    local, cache = tmp_path / "base", str(tmp_path / "cache")
    shutil.copytree(tiny_dir(None), local)
    cfg = TrainConfig(snapshot_dir="s", out_dir="o", model=str(local), cache_dir=cache)

    def run_key(cfg):
        return RunIdentity.of(cfg, "snap").key()

    before = run_key(cfg)
    reads = []
    monkeypatch.setattr(training.models, "weights_sha256", lambda d: reads.append(d) or weights_sha256(d))
    assert run_key(cfg) == before and reads == []
    assert run_key(TrainConfig(snapshot_dir="s", out_dir="o")) != before
    weights = local / "model.safetensors"
    stat, data = weights.stat(), weights.read_bytes()
    weights.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # fine-tuned in place: same path, same size
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the old mtime
    assert run_key(cfg) != before and len(reads) == 1
    assert cached_weights_sha256(local, cache) == weights_sha256(local) and len(reads) == 1


def test_a_weighted_snapshot_records_its_scheme_under_another_id(dataset_run, resources, instance, warehouse_dir):
    """Dagster config `weighting` of pair_snapshot: the sample's pairs with confidence weights are
    another snapshot, whose manifest and metadata name the scheme; the default (none) is the
    sample's unweighted snapshot again, reused."""

    def freeze(weighting: str) -> dict:
        run_config = {"ops": {"pair_snapshot": {"config": {"weighting": weighting}}}}
        result = dg.materialize([pair_snapshot], resources=resources, instance=instance, run_config=run_config)
        return {k: v.value for k, v in result.asset_materializations_for_node("pair_snapshot")[0].metadata.items()}

    weighted = freeze("confidence")
    assert weighted["snapshot_id"] != SAMPLE_SNAPSHOT_ID and weighted["weighting"]["scheme"] == "confidence"
    manifest = json.loads((Path(weighted["path"]) / "manifest.json").read_text())
    assert manifest["weighting"]["scheme"] == "confidence" and manifest["columns"][-2:] == ["weight", "confidence"]
    unweighted = freeze("none")  # and the snapshot the model tests train on is the latest again
    assert (unweighted["snapshot_id"], unweighted["created"]) == (SAMPLE_SNAPSHOT_ID, False)
    assert unweighted["weighting"] == {"scheme": "none"}


def test_kto_trains_through_dagster_on_the_pairs_split_into_singles(dataset_run, resources, instance, warehouse_dir):
    """`dpo_model`'s config takes the loss and KTO's weights; its metadata names what it trained on."""
    from training.kto import PAIRS_SPLIT

    config = {**TINY_TRAINING, "loss_type": "kto", "desirable_weight": 1.2}
    result = dg.materialize(
        [dpo_model], run_config={"ops": {"dpo_model": {"config": config}}}, resources=resources, instance=instance
    )
    metadata = result.asset_materializations_for_node("dpo_model")[0].metadata
    assert (metadata["loss_type"].value, metadata["data_kind"].value) == ("kto", PAIRS_SPLIT)
    manifest = json.loads((Path(metadata["model_path"].value) / "training_manifest.json").read_text())
    assert manifest["hyperparameters"]["desirable_weight"] == 1.2 and "kl" in manifest["final_metrics"]
