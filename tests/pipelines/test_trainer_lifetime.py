"""A trainer dies with its launcher: SIGKILL to `upvote-dpo train` leaves no `python -m
training` behind; a finished model nothing recorded is reported. Real processes on a real
warehouse and Dagster instance."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from assets.warehouse.connect import PROJECT_ROOT
from pipelines.cli import main
from tests.pipelines.commands import snapshot_the_sample, temporary_dagster_home
from training.config import TrainConfig
from training.identity import RunIdentity
from training.lifetime import LAUNCHER_PID_ENV

# Generous: two loaded cores shared with other test runs.
TIMEOUT_S = 300


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """A warehouse with a snapshot of the sample's pairs; DAGSTER_HOME a temporary instance."""
    with temporary_dagster_home(tmp_path_factory) as home:
        db = tmp_path_factory.mktemp("warehouse") / "upvote.duckdb"
        snapshot_the_sample(db)
        yield home, db


def gone(proc: psutil.Process) -> bool:
    """Ended: the orphan's new parent may not reap it at once, so a zombie counts as ended."""
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_until(condition, what: str):
    deadline = time.monotonic() + TIMEOUT_S
    while not (value := condition()):
        assert time.monotonic() < deadline, f"still waiting for {what} after {TIMEOUT_S} s"
        time.sleep(0.2)
    return value


def trainers(pid: int) -> list[psutil.Process]:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [child for child in children if child.cmdline()[1:3] == ["-m", "training"]]


def test_sigkill_to_train_stops_its_trainer(warehouse, tmp_path):
    home, db = warehouse
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(PROJECT_ROOT)}
    # Steps enough that the trainer is still training when its launcher is killed.
    command = [sys.executable, "-m", "pipelines.cli", "train", "--model", "tiny", "--max-steps", "100000"]
    launcher = subprocess.Popen(
        [*command, "--max-length", "64", "--out", str(tmp_path / "model"), "--db", str(db)], env=env
    )
    started = []  # to kill even once its launcher is gone, should the test fail
    try:
        started += wait_until(lambda: trainers(launcher.pid), "the trainer to start")
        (trainer,) = started
        # Killed once it trains, not while it still loads: the metrics file opens with the first step.
        wait_until(lambda: (tmp_path / "model" / "metrics.jsonl").exists() or launcher.poll() is not None, "a step")
        assert launcher.poll() is None, "the training run ended before it could be killed"
        launcher.kill()
        launcher.wait()
        wait_until(lambda: gone(trainer), "the trainer to stop once its launcher was killed")
        assert not (tmp_path / "model" / "training_manifest.json").exists()
    finally:
        launcher.kill()
        launcher.wait()
        for trainer in started:
            if not gone(trainer):
                trainer.kill()


@pytest.mark.parametrize("launcher_alive, status", [(True, 0), (False, -signal.SIGTERM)])
def test_a_trainer_whose_launcher_died_before_it_asked_for_the_signal_stops(launcher_alive, status):
    """The race: a launcher gone before the child's prctl sends no signal; the child looks."""
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    pid = os.getpid() if launcher_alive else ended.pid
    probe = "from training.lifetime import stop_with_launcher; stop_with_launcher()"
    env = {**os.environ, LAUNCHER_PID_ENV: str(pid), "PYTHONPATH": str(PROJECT_ROOT)}
    assert subprocess.run([sys.executable, "-c", probe], env=env, timeout=TIMEOUT_S).returncode == status


def unrecorded(db, capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["audit", "unrecorded", "--format", "json", "--db", str(db)]) == 0
    return json.loads(capsys.readouterr().out)["unrecorded"]


def test_a_finished_model_nothing_recorded_is_reported_until_a_run_records_it(warehouse, capsys):
    home, db = warehouse
    (snapshot_dir,) = (db.parent / "snapshots").iterdir()
    settings = {"model": "tiny", "max_steps": 1, "max_length": 64}
    cfg = TrainConfig(snapshot_dir=str(snapshot_dir), out_dir="-", **settings)
    model_dir = db.parent / "models" / RunIdentity.of(cfg, snapshot_dir.name).folder_name()
    flags = ["--model", "tiny", "--max-steps", "1", "--max-length", "64"]
    # The trainer on its own, as a launcher killed once its trainer finished leaves a model.
    trainer = [sys.executable, "-m", "training", "--snapshot", str(snapshot_dir), "--out", str(model_dir), *flags]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    subprocess.run(trainer, env=env, cwd=PROJECT_ROOT, check=True, timeout=TIMEOUT_S, stdout=subprocess.DEVNULL)
    run_id = json.loads((model_dir / "training_manifest.json").read_text())["run_id"]

    assert [(row["model_dir"], row["run_id"]) for row in unrecorded(db, capsys)] == [(str(model_dir), run_id)]
    # The next run of that snapshot and those settings reuses the folder and records it.
    assert main(["train", "--snapshot", snapshot_dir.name, *flags, "--db", str(db)]) == 0
    assert unrecorded(db, capsys) == []
