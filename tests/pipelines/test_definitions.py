"""The definitions load, every job resolves, and the import direction holds."""

import subprocess
import sys

import dagster as dg

from assets.warehouse.resources import WAREHOUSE_WRITER_POOL
from pipelines.definitions import build_definitions, defs


def test_definitions_load_and_every_job_resolves(tmp_path):
    dg.Definitions.validate_loadable(defs)
    jobs = build_definitions(tmp_path / "w.duckdb").get_repository_def().get_all_jobs()
    assert {"ingest_dump_job", "ingest_live_job", "build_dataset_job"} <= {job.name for job in jobs}
    for job in jobs:
        assert job.get_job_snapshot().name == job.name


def test_every_asset_that_opens_the_warehouse_is_in_its_writer_pool():
    # DuckDB allows one writer per file: the pool (limit 1) makes runs queue, not fail on the lock.
    graph = defs.resolve_asset_graph()
    users = {a.key for a in graph.assets_defs if "warehouse" in a.required_resource_keys}
    pooled = {a.key for a in graph.assets_defs if a.op.pool == WAREHOUSE_WRITER_POOL}
    assert users == pooled and dg.AssetKey("dpo_model") in users


def test_assets_do_not_import_pipelines():
    code = (
        "import pkgutil, importlib, sys, assets\n"
        "for m in pkgutil.walk_packages(assets.__path__, 'assets.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'pipelines'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_loading_the_definitions_leaves_the_heavy_libraries_to_the_runs(tmp_path):
    """Every command that runs an asset, and the code location, loads the definitions first:
    torch, datasets (the snapshot writer), datasketch (dedup) and matplotlib (plots) load in
    the run that uses them, not before it."""
    from tests.pipelines.test_cli import heavy_modules_after

    loaded = heavy_modules_after(
        f"from pipelines.definitions import build_definitions\nbuild_definitions({str(tmp_path / 'w.duckdb')!r})"
    )
    assert set(loaded) & {"torch", "transformers", "datasets", "datasketch", "matplotlib"} == set()
    assert "dagster" in loaded  # the probe does see what was imported


def test_a_dataset_build_makes_the_pairs_the_singles_and_the_snapshot(tmp_path):
    """So a scheduled or UI dataset build leaves data for `train --loss kto --kto-data singles`."""
    job = build_definitions(tmp_path / "w.duckdb").resolve_job_def("build_dataset_job")
    assets = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert {"preference_pairs", "preference_singles", "pair_snapshot"} <= assets and "dpo_model" not in assets
