"""SIGKILL to `upvote-dpo ingest dump`, `pairs build`, `snapshot` and `train` at a point of
their run, then the same command again, as a user would: the re-run neither waits on the dead
run nor fails, the warehouse passes its checks, and it holds what an uninterrupted run made:
the same rows, the same snapshot id, the same model hash.

Real `upvote-dpo` processes (killed) and real commands (the re-runs, in-process) on a real
DuckDB file and Dagster instance, the instance beside the warehouse as for a user. The quick
form (the default) kills each command once; `UPVOTE_DPO_FAULTS=full` kills each at every
named point (tests/faults/killing.py) and at 8 seeded delays, the seed in the test id.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from assets.pairs.rules import pair_violations
from assets.warehouse.connect import connect
from pipelines.cli import main
from tests.faults.killing import (
    COMMANDS,
    STAGES,
    KillPoint,
    Watched,
    failed_runs,
    kill_at,
    points,
    start,
    unfinished_runs,
    warehouse_state,
)
from tests.pipelines.commands import run

FULL = os.environ.get("UPVOTE_DPO_FAULTS") == "full"
ATTEMPTS = 3  # a named point the command may pass too fast to be seen is tried again


def copy_of(folder: Path, to: Path) -> Path:
    """The warehouse folder without its Dagster instance: each case starts a fresh one."""
    shutil.copytree(folder, to, symlinks=True, ignore=shutil.ignore_patterns("dagster_home"))
    return to


@pytest.fixture(autouse=True)
def dagster_home_beside_the_warehouse(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run: a copy of the warehouse folder before each stage, and what the
    warehouse held after it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DAGSTER_HOME", raising=False)
        folder = tmp_path_factory.mktemp("uninterrupted")
        db = folder / "upvote.duckdb"
        before, after = {}, {}
        for stage in STAGES:
            before[stage] = copy_of(folder, tmp_path_factory.mktemp("before") / stage)
            assert main([*COMMANDS[stage], "--db", str(db)]) == 0
            after[stage] = warehouse_state(db)
        yield before, after


def killed_at(point: KillPoint, before: Path, tmp_path: Path) -> Path:
    """A copy of `before` on which the stage's command was SIGKILLed at `point`."""
    for attempt in range(ATTEMPTS):
        folder = copy_of(before, tmp_path / f"attempt-{attempt}")
        watched = Watched(folder, tmp_path / f"stdout-{attempt}.txt")
        if kill_at(start(folder / "upvote.duckdb", point.stage, watched.stdout), point, watched):
            return folder
        if point.after_s:  # a seeded delay may outlast the command: a re-run must then change nothing
            return folder
    pytest.fail(f"the command ended before {point.id} {ATTEMPTS} times")


def checks_pass(db: Path) -> None:
    """The pairs' blocking checks, over the pairs and over each snapshot's."""
    con = connect(db, read_only=True)
    try:
        assert not any(pair_violations(con, con.table("preference_pairs"), later_must_win=True).values())
    finally:
        con.close()


@pytest.mark.parametrize("point", points(full=FULL), ids=lambda point: point.id)
def test_a_killed_command_run_again_ends_as_if_never_killed(reference, point, tmp_path, capsys):
    before, after = reference
    folder = killed_at(point, before[point.stage], tmp_path)
    db = folder / "upvote.duckdb"
    if point.inside_run and not point.after_s:
        assert unfinished_runs(folder), "killed inside a run, which should be left as if still running"

    code, out, err = run(capsys, *COMMANDS[point.stage], "--db", str(db), "--wait", "60")
    assert code == 0, err
    assert "waiting:" not in err  # the dead run was failed at once, never waited on
    assert unfinished_runs(folder) == []
    assert all("is gone" in message for message in failed_runs(folder)), failed_runs(folder)
    assert warehouse_state(db) == after[point.stage]
    if point.stage != "ingest":
        checks_pass(db)
    if point.stage == "train":
        model = out.splitlines()[0].rsplit(": ", 1)[1]
        assert main(["audit", "verify", model, "--db", str(db)]) == 0
        capsys.readouterr()
        assert main(["audit", "unrecorded", "--format", "json", "--db", str(db)]) == 0
        assert json.loads(capsys.readouterr().out)["unrecorded"] == []
