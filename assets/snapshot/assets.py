"""The `pair_snapshot` asset: the current pairs frozen as an immutable, content-addressed
dataset (Parquet + Hugging Face `datasets`) that training reads."""

from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from assets.automation import AFTER_CHECKED_UPSTREAM
from assets.config import dagster_config
from assets.pairs.assets import preference_pairs
from assets.pairs.stackexchange.assets import stackexchange_pairs
from assets.plots import histogram
from assets.singles.assets import preference_singles
from assets.snapshot.config import SnapshotSettings
from assets.snapshot.freeze import create_snapshot
from assets.snapshot.weights import WEIGHT_COLUMNS
from assets.warehouse.resources import WAREHOUSE_WRITER_POOL, Warehouse
from training.outputs import code_version

SNAPSHOT_CODE_VERSION = "2"  # 2: the snapshot id covers each pair's content, not only its id


class SnapshotConfig(dagster_config(SnapshotSettings)):
    # A list, which the CLI takes as a repeated --source, so it is not a SnapshotSettings flag.
    sources: list[str] = Field(
        default=[],
        description="Keep only the pairs of these sources ('reddit', 'stackexchange'); empty = every source.",
    )


@dg.asset(
    deps=[preference_pairs, stackexchange_pairs, preference_singles],
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
    settings = SnapshotSettings(**config.model_dump(exclude={"sources"}))
    with warehouse.connect() as con:
        snapshot = create_snapshot(
            con,
            warehouse.snapshots_dir,
            dagster_run_id=context.run.run_id,
            code_version=code_version(),
            weighting=settings.weighting,
            sources=config.sources,
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
            "sources": dg.MetadataValue.json(snapshot.manifest.get("sources", {})),
            **weight_histograms(snapshot.path),
        },
        data_version=dg.DataVersion(snapshot.snapshot_id),
    )


def weight_histograms(snapshot_dir: Path) -> dict[str, dg.MetadataValue]:
    """A histogram of each pair-weight column of a weighted snapshot's pairs; none for an
    unweighted one, which has no such columns."""
    pairs_path = Path(snapshot_dir) / "pairs.parquet"
    present = [name for name in WEIGHT_COLUMNS if name in pl.read_parquet_schema(pairs_path)]
    if not present:
        return {}
    pairs = pl.read_parquet(pairs_path, columns=present)
    return {f"{name}_histogram": histogram(pairs[name], f"pair {name} ({len(pairs)} pairs)", name) for name in present}
