"""No run outlives its process: runs whose process is gone are failed and their pool slots freed.

The command line runs assets in-process (`execute_in_process`), so a command killed with
SIGKILL leaves its run STARTED and its `duckdb_warehouse` pool slot claimed forever: Dagster
has no process to watch (run monitoring only covers runs a run launcher started). Every
later writer then waits on the slot, spinning in Dagster's executor loop, which also holds
off Ctrl-C and SIGTERM. So:

* each run the command line starts carries the host, pid and start time of its process
  (`process_tags`, set by `pipelines.cli.materialize`);
* `fail_dead_runs` fails the runs of this host whose process is gone (no such pid, or the
  pid now belongs to a process started at another time) and frees their slots; it runs
  before every command's run and on every tick of the `dead_run_sensor` under `dagster dev`;
* `wait_for_warehouse` waits, here rather than inside Dagster, for a slot held by a live run:
  it says which run holds it, gives up after `--wait` seconds, and Ctrl-C or SIGTERM end it.

DuckDB's own file lock needs nothing: the OS drops it with the process that held it.
Dagster is imported in the functions that use it: the command line imports this module for
`--wait`, and its commands that run no asset never load dagster.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psutil

from training.errors import UserError

if TYPE_CHECKING:
    import dagster as dg

HOST_TAG = "upvote-dpo/host"
PID_TAG = "upvote-dpo/pid"
PID_STARTED_TAG = "upvote-dpo/pid-create-time"  # psutil's create_time: a reused pid has another
COMMAND_TAG = "upvote-dpo/command"


class WarehouseBusyError(UserError):
    """The warehouse's writer slot stayed held by a live run for longer than `--wait`."""


def process_tags(command: str) -> dict[str, str]:
    """The tags that let any later process tell whether this one still runs the run."""
    return {
        HOST_TAG: socket.gethostname(),
        PID_TAG: str(psutil.Process().pid),
        PID_STARTED_TAG: repr(psutil.Process().create_time()),
        COMMAND_TAG: command,
    }


def process_is_gone(tags: dict[str, str]) -> bool:
    """Whether the process named by a run's `process_tags` has ended. Another host's process,
    or a run without the tags (one a run launcher started), cannot be told: never gone."""
    if tags.get(HOST_TAG) != socket.gethostname() or PID_TAG not in tags or PID_STARTED_TAG not in tags:
        return False
    try:
        started = psutil.Process(int(tags[PID_TAG])).create_time()
    except psutil.NoSuchProcess:
        return True
    # create_time is derived from the boot time and the process's start tick: the same
    # process gives the same value to well under a second.
    return abs(started - float(tags[PID_STARTED_TAG])) > 0.5


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail the runs of this host whose process is gone and free the pool slots they hold, and
    those of runs already finished; returns the ids of the runs failed."""
    import dagster as dg

    # The statuses of a run that may hold a pool slot while its process works.
    live = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
    failed = []
    for run in instance.get_runs(dg.RunsFilter(statuses=live, tags={HOST_TAG: socket.gethostname()})):
        if process_is_gone(run.tags):
            message = (
                f"the process that ran it ({run.tags.get(COMMAND_TAG, 'unknown command')}, pid {run.tags[PID_TAG]} "
                f"on {run.tags[HOST_TAG]}) is gone: killed, or its machine restarted"
            )
            instance.report_run_failed(run, message=message)
            failed.append(run.run_id)
    storage = instance.event_log_storage
    for run_id in storage.get_concurrency_run_ids() | set(failed):
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            storage.free_concurrency_slots_for_run(run_id)
    return failed


def warehouse_holder(instance: dg.DagsterInstance) -> str | None:
    """What holds the writer pool's last free slot, in words, or None when a run can claim one."""
    from assets.warehouse.resources import WAREHOUSE_WRITER_POOL as pool  # imports dagster

    info = instance.event_log_storage.get_concurrency_info(pool)
    limit = info.limit if info.limit is not None else info.slot_count
    if not info.claimed_slots or len(info.claimed_slots) < max(limit, 1):
        return None
    slot = info.claimed_slots[0]
    run = instance.get_run_by_id(slot.run_id)
    command = run.tags.get(COMMAND_TAG, f"job {run.job_name}") if run else "unknown"
    record = instance.get_run_record_by_id(slot.run_id)
    since = record.start_time if record and record.start_time else None
    since_text = datetime.fromtimestamp(since, UTC).isoformat(timespec="seconds") if since else "an unknown time"
    host = f" on {run.tags[HOST_TAG]}" if run and HOST_TAG in run.tags else ""
    return f"run {slot.run_id} ({command}{host}, since {since_text}) holds the warehouse"


def wait_for_warehouse(instance: dg.DagsterInstance, wait_s: float, poll_s: float = 1.0) -> None:
    """Return once a run can claim the warehouse's writer slot; fail the dead runs first. While
    a live run holds it, say so once on stderr; after `wait_s` seconds raise WarehouseBusyError."""
    deadline = time.monotonic() + wait_s
    said = None
    while True:
        fail_dead_runs(instance)
        holder = warehouse_holder(instance)
        if holder is None:
            return
        if time.monotonic() >= deadline:
            raise WarehouseBusyError(f"{holder}; gave up after --wait {wait_s:g} s")
        if holder != said:
            print(f"waiting: {holder} (up to --wait {wait_s:g} s)", file=sys.stderr, flush=True)
            said = holder
        time.sleep(min(poll_s, max(deadline - time.monotonic(), 0.0)))


@contextmanager
def dead_holders_failed_until_claimed(home: str, run_id: str, poll_s: float = 1.0) -> Iterator[None]:
    """Around the run's execution: until the run holds its writer slot, keep failing dead runs,
    and say once who holds the slot.

    `wait_for_warehouse` sees the slot free, then Dagster claims it for the run a moment later
    (run creation, resources: about a second); another command may claim it in between. The
    run then waits inside Dagster's executor, which no one told to fail dead runs: a holder
    killed then would block it for good. Ctrl-C and `--wait` still do not reach that wait
    (docs/reliability.md)."""
    import dagster as dg

    from assets.warehouse.resources import WAREHOUSE_WRITER_POOL as pool  # imports dagster

    done = threading.Event()

    def watch() -> None:
        # An instance of its own, from the Dagster home `home`: the run's is the main thread's.
        watcher = dg.DagsterInstance.from_config(home)
        said = None
        try:
            while not done.wait(poll_s):
                info = watcher.event_log_storage.get_concurrency_info(pool)
                if any(slot.run_id == run_id for slot in info.claimed_slots):
                    return
                fail_dead_runs(watcher)
                waits = any(step.run_id == run_id and step.assigned_timestamp is None for step in info.pending_steps)
                holder = warehouse_holder(watcher) if waits else None
                # the run itself may have claimed the slot since `info` was read
                if holder is not None and f"run {run_id} " not in holder and holder != said:
                    print(f"waiting: {holder} (it claimed the slot first)", file=sys.stderr, flush=True)
                    said = holder
        finally:
            watcher.dispose()

    thread = threading.Thread(target=watch, name="dead-holders-failed-until-claimed", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


DEFAULT_WAIT_S = 600.0


def add_wait_argument(parser) -> None:
    """`--wait SECONDS`, for the commands that run an asset."""
    parser.add_argument(
        "--wait",
        type=_seconds,
        default=DEFAULT_WAIT_S,
        metavar="SECONDS",
        help="how long to wait for another run that holds the warehouse before giving up (default: %(default)g)",
    )


def _seconds(text: str) -> float:
    import argparse

    value = float(text)
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"--wait takes a number of seconds >= 0, got {text}")
    return value
