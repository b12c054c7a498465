"""The `pair_snapshot` asset: the current pairs frozen as an immutable, content-addressed
dataset (Parquet + Hugging Face `datasets`) that training reads."""

import dagster as dg

from assets.automation import AFTER_CHECKED_UPSTREAM
from assets.config import dagster_config, to_dataclass
from assets.pairs.assets import preference_pairs
from assets.singles.assets import preference_singles
from assets.snapshot.config import SnapshotSettings
from assets.snapshot.freeze import create_snapshot
from assets.warehouse.resources import WAREHOUSE_WRITER_POOL, Warehouse
from training.outputs import code_version

SNAPSHOT_CODE_VERSION = "2"  # 2: the snapshot id covers each pair's content, not only its id

SnapshotConfig = dagster_config(SnapshotSettings)


@dg.asset(
    deps=[preference_pairs, preference_singles],
    pool=WAREHOUSE_WRITER_POOL,
    automation_condition=AFTER_CHECKED_UPSTREAM,
    group_name="pairs",
    kinds={"parquet", "huggingface"},
    code_version=SNAPSHOT_CODE_VERSION,
)
def pair_snapshot(
    context: dg.AssetExecutionContext, config: SnapshotConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Same pairs, same content -> same snapshot id; an existing snapshot is reused, never rewritten."""
    settings = to_dataclass(SnapshotSettings, config)
    with warehouse.connect() as con:
        snapshot = create_snapshot(
            con,
            warehouse.snapshots_dir,
            dagster_run_id=context.run.run_id,
            code_version=code_version(),
            weighting=settings.weighting,
        )
    context.log.info(
        f"snapshot {snapshot.snapshot_id} ({'new' if snapshot.created else 'existing'}) at {snapshot.path}"
    )
    return dg.MaterializeResult(
        metadata={
            "snapshot_id": dg.MetadataValue.text(snapshot.snapshot_id),
            "path": dg.MetadataValue.path(str(snapshot.path)),
            "created": dg.MetadataValue.bool(snapshot.created),
            "counts": dg.MetadataValue.json(snapshot.counts),
            "dagster/row_count": dg.MetadataValue.int(snapshot.counts["total"]),
            "rules": dg.MetadataValue.json(snapshot.manifest["rules"]),
            # a reused snapshot made before weights existed records none
            "weighting": dg.MetadataValue.json(snapshot.manifest.get("weighting", {"scheme": "none"})),
        },
        data_version=dg.DataVersion(snapshot.snapshot_id),
    )
