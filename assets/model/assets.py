"""The `dpo_model` asset: DPO training on the latest snapshot, launched through Dagster Pipes.

The trainer runs as `python -m training ...` in a subprocess (`PipesSubprocessClient`), so
the same asset can launch it on a GPU node or a Kubernetes job by swapping the Pipes
client; it streams its metrics back and reports the result. A run of the same identity
(training/identity.py: snapshot, hyper-parameters, base weights) is not trained again: the
output folder is named by the snapshot id and the run key, and a completed manifest there
is reused, its recorded run left as the run that trained it.
"""

import dataclasses
import sys
from pathlib import Path

import dagster as dg

from assets import plots
from assets.automation import AFTER_CHECKED_UPSTREAM
from assets.config import command_flags, dagster_config
from assets.model.lineage import record_training_run
from assets.pipes import pipes_preview_warning_ignored, user_errors_handed_back
from assets.snapshot.assets import pair_snapshot
from assets.snapshot.freeze import NoSnapshotError, latest_snapshot
from assets.snapshot.freeze import read_manifest as read_snapshot_manifest
from assets.warehouse.resources import WAREHOUSE_WRITER_POOL, Warehouse
from training.config import TrainConfig
from training.errors import UserError
from training.identity import RunIdentity
from training.lifetime import launcher_env
from training.models import check_model
from training.outputs import MANIFEST, read_manifest

TrainConfigDagster = dagster_config(TrainConfig)


def trainer_command(cfg: TrainConfig) -> list[str]:
    """`python -m training` with one flag per field that differs from its default."""
    return [sys.executable, "-m", "training", *command_flags(cfg)]


def training_metadata(out_dir: Path, manifest: dict) -> dict[str, dg.MetadataValue]:
    metadata = {
        "model_path": dg.MetadataValue.path(str(out_dir)),
        "run_id": dg.MetadataValue.text(manifest["run_id"]),
        "snapshot_id": dg.MetadataValue.text(manifest["snapshot_id"]),
        "base_model": dg.MetadataValue.text(manifest["base_model"]["name"]),
        "loss_type": dg.MetadataValue.text(manifest["hyperparameters"]["loss_type"]),
        # what the loss learnt from; older manifests predate it and trained on pairs
        "data_kind": dg.MetadataValue.text(manifest.get("data_kind", "pairs")),
        "model_sha256": dg.MetadataValue.text(manifest["output"]["weights_sha256"]),
        "eval_before": dg.MetadataValue.json(manifest["eval_before"]),
        "eval_after": dg.MetadataValue.json(manifest["eval_after"]),
        "final_metrics": dg.MetadataValue.json(manifest["final_metrics"]),
        "train_pairs_seen": dg.MetadataValue.int(len(manifest["pairs"])),
    }
    train_rows = [row for row in manifest["history"] if "loss" in row and "step" in row]
    if train_rows:
        metadata["training_curves"] = plots.curves(
            {
                name: [(row["step"], row[name]) for row in train_rows if name in row]
                for name in ("loss", "rewards/margins", "rewards/accuracies")
            },
            "DPO training",
            "optimizer step",
        )
    return metadata


# In the writer pool although it mostly trains: it records the run at the end, and without
# the pool an ingest holding DuckDB's lock longer than the resource retries for left a
# trained model unrecorded. Ingests queue behind a training run instead.
@dg.asset(
    deps=[pair_snapshot],
    pool=WAREHOUSE_WRITER_POOL,
    automation_condition=AFTER_CHECKED_UPSTREAM,
    group_name="training",
    kinds={"pytorch"},
    op_tags={"upvote-dpo/accelerator": "gpu-preferred"},
    code_version="1",
)
def dpo_model(
    context: dg.AssetExecutionContext,
    config: TrainConfigDagster,
    warehouse: Warehouse,
    pipes_subprocess_client: dg.PipesSubprocessClient,
) -> dg.MaterializeResult:
    """A model trained with DPO (or a variant) on a snapshot (the one `pair_snapshot` last
    produced unless `snapshot_dir` is set), with its full lineage recorded in the warehouse."""
    snapshot_id, snapshot_path = _snapshot(config.snapshot_dir, warehouse)
    cfg = TrainConfig(**{**config.model_dump(), "snapshot_dir": snapshot_path, "out_dir": config.out_dir or "-"})
    check_model(cfg.model)  # before the trainer starts: a missing path is one line, not its traceback
    identity = RunIdentity.of(cfg, snapshot_id)
    if not config.out_dir:
        cfg = dataclasses.replace(cfg, out_dir=str(Path(warehouse.models_dir) / identity.folder_name()))
    out_dir = Path(cfg.out_dir)

    reported = {}
    if _completed(out_dir, identity):
        context.log.info(f"{out_dir} already holds a model trained on {snapshot_id} with these settings")
    else:
        reported = _train(pipes_subprocess_client, cfg, context)
    with warehouse.connect() as con:
        record_training_run(con, out_dir, dagster_run_id=context.run.run_id)
    return dg.MaterializeResult(
        metadata={**reported, **training_metadata(out_dir, read_manifest(out_dir))},
        data_version=dg.DataVersion(snapshot_id),
    )


def _snapshot(snapshot_dir: str, warehouse: Warehouse) -> tuple[str, str]:
    """(id, path) of the snapshot to train on: `snapshot_dir`, else the one `pair_snapshot` last
    produced; refused here, before the trainer starts, when its folder is gone."""
    if not snapshot_dir:
        with warehouse.connect() as con:
            snapshot_dir = latest_snapshot(con)[1]
    if not (Path(snapshot_dir) / "manifest.json").is_file():
        raise NoSnapshotError(f"no snapshot at {snapshot_dir} (no manifest.json): snapshot the pairs again")
    try:
        return read_snapshot_manifest(snapshot_dir)["snapshot_id"], snapshot_dir
    except (OSError, ValueError, KeyError, TypeError) as error:  # not UTF-8, not JSON, not the object written
        raise NoSnapshotError(
            f"the snapshot at {snapshot_dir} is damaged (manifest.json: {type(error).__name__}: {error}); "
            "delete the folder and snapshot the pairs again"
        ) from None


def _train(client: dg.PipesSubprocessClient, cfg: TrainConfig, context: dg.AssetExecutionContext) -> dict:
    """Run the trainer through Pipes; the metadata it reported."""
    with pipes_preview_warning_ignored(), user_errors_handed_back() as env:
        invocation = client.run(command=trainer_command(cfg), context=context, env={**launcher_env(), **env})
    return invocation.get_materialize_result().metadata or {}


class ModelDirTakenError(UserError):
    """An explicit out_dir holds a finished model of another snapshot, settings or base weights."""


def _completed(out_dir: Path, identity: RunIdentity) -> bool:
    """Whether out_dir holds a finished model of this run identity. A finished model of another
    is an error, not reused: an explicit `out_dir` may hold anything."""
    if not (out_dir / MANIFEST).exists():
        return False
    try:
        manifest = read_manifest(out_dir)
    except (OSError, ValueError):  # damaged (the trainer writes it whole): trained again, over it
        return False
    if not isinstance(manifest, dict) or manifest.get("status") != "completed":
        return False
    trained = RunIdentity.recorded(
        manifest["snapshot_id"], manifest["hyperparameters"], manifest["base_model"]["weights_sha256"]
    )
    if changes := identity.changes_from(trained):
        raise ModelDirTakenError(
            f"{out_dir} already holds a model trained with other settings ({', '.join(changes)}); "
            "set another out_dir, or leave it empty for one named by snapshot and settings"
        )
    return True
