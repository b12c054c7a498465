"""The definitions load, every job resolves, and the import direction holds."""

import subprocess
import sys

import dagster as dg

from pipelines.definitions import build_definitions, defs


def test_definitions_load_and_every_job_resolves(tmp_path):
    dg.Definitions.validate_loadable(defs)
    jobs = build_definitions(tmp_path / "w.duckdb").get_repository_def().get_all_jobs()
    assert {"ingest_dump_job", "ingest_live_job", "build_dataset_job"} <= {job.name for job in jobs}
    for job in jobs:
        assert job.get_job_snapshot().name == job.name


def test_assets_do_not_import_pipelines():
    code = (
        "import pkgutil, importlib, sys, assets, assets.core\n"
        "for pkg in (assets, assets.core):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(f'{pkg.__name__}.{m.name}')\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'pipelines'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
