"""No run outlives its process: a command killed mid-run, or stopped while it holds the
warehouse, as real `upvote-dpo` processes on a real Dagster instance and DuckDB file."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import psutil
import pytest

from assets.warehouse.connect import PROJECT_ROOT
from assets.warehouse.resources import WAREHOUSE_WRITER_POOL
from pipelines.cli import SAMPLE_DUMPS, main
from pipelines.liveness import HOST_TAG, PID_STARTED_TAG, PID_TAG, process_is_gone, process_tags
from pipelines.sensors import dead_run_sensor

COMMENTS = str(SAMPLE_DUMPS[1])
# Generous: two loaded cores shared with other test runs.
TIMEOUT_S = 300


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home)
    return home


def start(home: Path, db: Path, *flags: str, stderr=None) -> subprocess.Popen:
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(PROJECT_ROOT)}
    command = [sys.executable, "-m", "pipelines.cli", "ingest", "dump", "--comments", COMMENTS, "--db", str(db)]
    return subprocess.Popen([*command, *flags], env=env, cwd=db.parent, stderr=stderr)


def instance_at(home: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(home))


def claimed(instance: dg.DagsterInstance) -> list[str]:
    return [
        slot.run_id for slot in instance.event_log_storage.get_concurrency_info(WAREHOUSE_WRITER_POOL).claimed_slots
    ]


def frozen_while_holding_the_warehouse(home: Path, db: Path) -> tuple[subprocess.Popen, str]:
    """An `ingest dump` stopped (SIGSTOP) while it holds the writer slot: alive, never done.
    The sample ingests in about a second, so an attempt can miss the slot; it is tried again."""
    instance = instance_at(home)
    for _ in range(5):
        proc = start(home, db)
        while proc.poll() is None:
            if (home / "storage").exists() and (holders := claimed(instance)):
                proc.send_signal(signal.SIGSTOP)
                return proc, holders[0]
            time.sleep(0.002)
    pytest.fail("the ingest never held the warehouse slot while it was watched")


@pytest.fixture
def holder(home, tmp_path):
    proc, run_id = frozen_while_holding_the_warehouse(home, tmp_path / "upvote.duckdb")
    yield proc, run_id
    proc.kill()
    proc.wait()


def test_a_command_killed_mid_run_does_not_block_the_next(home, tmp_path, holder):
    proc, run_id = holder
    proc.kill()
    proc.wait()
    instance = instance_at(home)
    assert claimed(instance) == [run_id]  # what blocked every later command: the slot, not DuckDB's lock

    again = start(home, tmp_path / "upvote.duckdb", "--wait", "5")
    assert again.wait(timeout=TIMEOUT_S) == 0
    killed = instance.get_run_by_id(run_id)
    assert killed.status == dg.DagsterRunStatus.FAILURE
    failure = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[-1]
    assert "is gone" in failure.message and "ingest dump" in failure.message
    assert claimed(instance) == []


def test_a_command_waits_for_a_live_holder_then_says_which_run_and_gives_up(home, tmp_path, holder):
    _, run_id = holder
    waiting = start(home, tmp_path / "upvote.duckdb", "--wait", "2", stderr=subprocess.PIPE)
    _, err = waiting.communicate(timeout=TIMEOUT_S)
    assert waiting.returncode == 1
    last = err.decode().strip().splitlines()[-1]
    assert last.startswith(f"error: run {run_id} (upvote-dpo ingest dump --comments ")
    assert f"on {socket.gethostname()}, since 20" in last and last.endswith("gave up after --wait 2 s"), last
    assert instance_at(home).get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED  # alive: left alone


@pytest.mark.parametrize("sent, status", [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGINT, 130)])
def test_a_waiting_command_ends_at_once_on_sigterm_or_ctrl_c(home, tmp_path, holder, sent, status):
    log = tmp_path / "stderr.txt"
    with log.open("wb") as stderr:
        waiting = start(home, tmp_path / "upvote.duckdb", stderr=stderr)
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while "waiting: run " not in log.read_text() and waiting.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "waiting: run " in log.read_text(), log.read_text()
        waiting.send_signal(sent)
        assert waiting.wait(timeout=60) == status
    finally:
        waiting.kill()
        waiting.wait()


def test_the_sensor_fails_a_dead_run_and_frees_its_slot(home, holder):
    proc, run_id = holder
    instance = instance_at(home)
    dead_run_sensor(dg.build_sensor_context(instance=instance))
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED  # still alive
    proc.kill()
    proc.wait()
    dead_run_sensor(dg.build_sensor_context(instance=instance))
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
    assert claimed(instance) == []


def test_a_reused_pid_or_another_host_is_told_apart():
    mine = process_tags("upvote-dpo test")
    assert not process_is_gone(mine)
    reused = {**mine, PID_STARTED_TAG: repr(psutil.Process().create_time() - 3600)}
    assert process_is_gone(reused)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    assert process_is_gone({**mine, PID_TAG: str(ended.pid)})
    assert not process_is_gone({**mine, HOST_TAG: "another-host", PID_TAG: str(ended.pid)})
    assert not process_is_gone({})  # a run a launcher started: its own monitoring watches it


@pytest.mark.parametrize("seconds", ["-1", "nan", "inf"])
def test_wait_takes_a_finite_number_of_seconds(seconds, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["snapshot", "--wait", seconds])
    assert exit.value.code == 1 and "--wait takes a number of seconds >= 0" in capsys.readouterr().err
