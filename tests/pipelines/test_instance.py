"""Each warehouse records its Dagster runs in its own instance, `dagster_home/` beside its
DuckDB file, made from the project's template; DAGSTER_HOME in the environment overrides it."""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg
import pytest

from assets.warehouse.connect import PROJECT_ROOT
from pipelines.cli import SAMPLE_DUMPS, main
from pipelines.instance import TEMPLATE, dagster_home

SUBMISSIONS, COMMENTS = SAMPLE_DUMPS


@pytest.fixture
def no_dagster_home(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


def ingested(instance_dir) -> list[str]:
    """The dump partitions an instance knows, and a check that each has a successful run."""
    with dg.DagsterInstance.from_config(str(instance_dir)) as instance:
        runs = instance.get_runs()
        assert runs and all(run.is_success for run in runs)
        return instance.get_dynamic_partitions("dump_files")


def test_two_warehouses_record_their_runs_in_two_instances(tmp_path, no_dagster_home):
    first, second = tmp_path / "first" / "upvote.duckdb", tmp_path / "second" / "upvote.duckdb"
    assert main(["ingest", "dump", "--comments", str(COMMENTS), "--db", str(first)]) == 0
    assert main(["ingest", "dump", "--submissions", str(SUBMISSIONS), "--db", str(second)]) == 0
    assert ingested(first.parent / "dagster_home") == [COMMENTS.name]
    assert ingested(second.parent / "dagster_home") == [SUBMISSIONS.name]


def test_dagster_home_in_the_environment_overrides(tmp_path, monkeypatch):
    home = tmp_path / "chosen_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    db = tmp_path / "warehouse" / "upvote.duckdb"
    assert main(["ingest", "dump", "--comments", str(COMMENTS), "--db", str(db)]) == 0
    assert ingested(home) == [COMMENTS.name]
    assert not (db.parent / "dagster_home").exists()


def test_a_new_home_holds_the_template_and_keeps_the_pool_limit(tmp_path, no_dagster_home):
    home = dagster_home(tmp_path / "upvote.duckdb")
    assert home == tmp_path / "dagster_home"
    assert (home / "dagster.yaml").read_bytes() == TEMPLATE.read_bytes()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        # Every asset that writes the warehouse is in one pool: one writer at a time.
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    # A home's dagster.yaml is its owner's once made: never copied over again.
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    dagster_home(tmp_path / "upvote.duckdb")
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"
    assert not list(home.glob(".dagster.yaml.*"))  # no partial copy left behind


def test_make_ui_gets_the_default_warehouses_home(tmp_path):
    """What the Makefile's ui target runs: the default warehouse follows UPVOTE_DPO_HOME."""
    env = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.instance"],
        cwd=PROJECT_ROOT,
        env={**env, "UPVOTE_DPO_HOME": str(tmp_path), "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (proc.returncode, proc.stdout) == (0, f"{tmp_path / 'dagster_home'}\n"), proc.stderr
    assert (tmp_path / "dagster_home" / "dagster.yaml").read_bytes() == TEMPLATE.read_bytes()
