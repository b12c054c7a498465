"""What the kill tests share: the commands as a user types them, the points at which one is
SIGKILLed, and what a warehouse holds once a stage is done, in a form two warehouses compare by.

A kill point is a moment a test can see from outside the process, so the same point is hit on
every run: a line on stdout, a file that appears, the writer slot claimed in the Dagster
instance. A seeded point is a delay after the slot is claimed, drawn from `random.Random(seed)`.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import psutil

from assets.warehouse.connect import PROJECT_ROOT
from assets.warehouse.resources import WAREHOUSE_WRITER_POOL
from pipelines.cli import SAMPLE_DUMPS

SUBMISSIONS, COMMENTS = (str(path) for path in SAMPLE_DUMPS)
# Steps enough that a kill lands while the trainer trains, few enough to take seconds.
TRAINING = (
    "--model",
    "tiny",
    "--max-steps",
    "8",
    "--max-length",
    "48",
    "--eval-max-pairs",
    "4",
    "--checkpoint-every",
    "3",
)
COMMANDS = {
    "ingest": ("ingest", "dump", "--submissions", SUBMISSIONS, "--comments", COMMENTS),
    "pairs": ("pairs", "build"),
    "snapshot": ("snapshot",),
    "train": ("train", *TRAINING),
}
STAGES = tuple(COMMANDS)
# Generous: two loaded cores shared with other test runs; a hang fails instead of blocking CI.
TIMEOUT_S = 300


@dataclass(frozen=True)
class Watched:
    """A running command as the test sees it: its warehouse folder and what it printed."""

    folder: Path
    stdout: Path

    def printed(self, text: str) -> bool:
        return text in self.stdout.read_text(errors="replace")

    def has(self, pattern: str) -> bool:
        return any(self.folder.glob(pattern))

    def slot_claimed(self) -> bool:
        """Whether a run holds the writer slot: the asset is about to run or running."""
        home = self.folder / "dagster_home"
        if not (home / "storage").exists():
            return False
        instance = dg.DagsterInstance.from_config(str(home))
        try:
            return bool(instance.event_log_storage.get_concurrency_info(WAREHOUSE_WRITER_POOL).claimed_slots)
        finally:
            instance.dispose()


@dataclass(frozen=True)
class KillPoint:
    stage: str
    name: str
    reached: Callable[[Watched], bool]
    after_s: float = 0.0  # then waits this long: a seeded point's delay
    inside_run: bool = True  # reached while a run of the command is under way

    @property
    def id(self) -> str:
        return f"{self.stage}-{self.name}"


def _points() -> list[KillPoint]:
    return [
        KillPoint("ingest", "writing-the-first-file", Watched.slot_claimed),
        KillPoint("ingest", "between-the-files", lambda w: w.printed("ingested RS_"), inside_run=False),
        KillPoint("pairs", "building", Watched.slot_claimed),
        KillPoint("pairs", "writing", lambda w: w.has("*.duckdb.wal")),
        KillPoint("snapshot", "writing-the-folder", lambda w: w.has("snapshots/.*")),
        KillPoint("snapshot", "folder-in-place", lambda w: w.has("snapshots/[!.]*/manifest.json")),
        KillPoint("train", "training", lambda w: w.has("models/*/metrics.jsonl")),
        KillPoint("train", "after-a-checkpoint", lambda w: w.has("models/*/checkpoints/*")),
        KillPoint("train", "trained-not-recorded", lambda w: w.has("models/*/training_manifest.json")),
    ]


POINTS = {point.id: point for point in _points()}
# The quick form, run by default: one point inside each command's asset.
QUICK = ("ingest-between-the-files", "pairs-building", "snapshot-writing-the-folder", "train-training")
# How long each command's asset runs after it claims the slot, about: seeded delays fall in it.
ASSET_S = {"ingest": 1.5, "pairs": 3.0, "snapshot": 1.5, "train": 6.0}


def seeded(stage: str, seed: int) -> KillPoint:
    delay = round(random.Random(f"{stage}-{seed}").uniform(0, ASSET_S[stage]), 3)
    return KillPoint(stage, f"seed{seed}", Watched.slot_claimed, after_s=delay)


def points(full: bool, seeds: int = 8) -> list[KillPoint]:
    if not full:
        return [POINTS[name] for name in QUICK]
    return [*POINTS.values(), *(seeded(stage, seed) for stage in STAGES for seed in range(seeds))]


def environment() -> dict[str, str]:
    """A user's environment: the Dagster home beside the warehouse (no DAGSTER_HOME)."""
    env = {name: value for name, value in os.environ.items() if name != "DAGSTER_HOME"}
    return {**env, "PYTHONPATH": str(PROJECT_ROOT)}


def start(db: Path, stage: str, stdout: Path) -> subprocess.Popen:
    """`upvote-dpo <stage's command> --db DB` as a process of its own, stdout to a file."""
    command = [sys.executable, "-m", "pipelines.cli", *COMMANDS[stage], "--db", str(db)]
    with stdout.open("wb") as out:
        return subprocess.Popen(command, env=environment(), cwd=db.parent, stdout=out, stderr=subprocess.DEVNULL)


def kill_at(proc: subprocess.Popen, point: KillPoint, watched: Watched) -> bool:
    """SIGKILL `proc` once `point` is reached; False when it ended first. Its children (the
    trainer) are named before the kill, and must end with it."""
    deadline = time.monotonic() + TIMEOUT_S
    while not point.reached(watched):
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, f"{point.id} not reached after {TIMEOUT_S} s"
        time.sleep(0.002)
    time.sleep(point.after_s)
    children = psutil.Process(proc.pid).children(recursive=True) if proc.poll() is None else []
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for child in children:
        _wait_gone(child)
    return True


def _wait_gone(proc: psutil.Process) -> None:
    """An orphan's new parent may not reap it at once: a zombie counts as ended."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{proc.cmdline()} outlived its killed launcher")
        time.sleep(0.05)


# The columns a re-run may change without changing the data: when a row was stored.
STORED_AT = {"reddit_comments": "ingested_at", "reddit_submissions": "ingested_at", "ingest_rejects": "rejected_at"}
DATA_TABLES = ("reddit_submissions", "reddit_comments", "ingest_rejects", "preference_pairs", "snapshot_pairs")


def warehouse_state(db: Path) -> dict:
    """What the stages made, comparable across warehouses: each data table's row count and
    content digest, the snapshot ids, and each recorded model's weights hash and status."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        state = {}
        for table in DATA_TABLES:
            excluded = f" EXCLUDE ({STORED_AT[table]})" if table in STORED_AT else ""
            # The digest of each row as text, in order of those digests: one value per table.
            state[table] = con.execute(
                f"SELECT count(*), md5(coalesce(string_agg(d, '' ORDER BY d), '')) "  # noqa: S608 (names from above)
                f"FROM (SELECT md5(CAST(t AS VARCHAR)) AS d FROM (SELECT *{excluded} FROM {table}) t)"
            ).fetchone()
        state["snapshots"] = con.execute("SELECT list(snapshot_id ORDER BY snapshot_id) FROM snapshots").fetchone()[0]
        state["models"] = con.execute(
            "SELECT list((snapshot_id, model_sha256, status) ORDER BY model_sha256) FROM training_runs"
        ).fetchone()[0]
        return state
    finally:
        con.close()


def unfinished_runs(folder: Path) -> list[str]:
    """Runs of the warehouse's Dagster instance still STARTING or STARTED, and slots held."""
    instance = dg.DagsterInstance.from_config(str(folder / "dagster_home"))
    try:
        live = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.QUEUED]
        runs = [f"run {run.run_id} {run.status}" for run in instance.get_runs(dg.RunsFilter(statuses=live))]
        info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_WRITER_POOL)
        return runs + [f"slot held by {slot.run_id}" for slot in info.claimed_slots]
    finally:
        instance.dispose()


def failed_runs(folder: Path) -> list[str]:
    """The failure messages of the instance's failed runs."""
    instance = dg.DagsterInstance.from_config(str(folder / "dagster_home"))
    try:
        runs = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
        return [instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[-1].message for run in runs]
    finally:
        instance.dispose()
