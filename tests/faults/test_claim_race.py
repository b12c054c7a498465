"""The race between `wait_for_warehouse` and Dagster's claim of the writer slot: a command
that found the slot free, and whose run then finds it taken by a run whose process dies,
is told who holds it, and goes on once that run's process is gone instead of waiting for
good. The taking is staged where the race would put it, right after the
command's own wait returned, in a real `upvote-dpo ingest dump` process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.faults.killing import COMMENTS, TIMEOUT_S, environment, failed_runs, unfinished_runs

# After its wait returns, the command lets another run take the slot: a run tagged with the pid
# of a process that ends a few seconds later, claiming the slot as Dagster claims it for a step.
TAKEN_AFTER_THE_WAIT = textwrap.dedent(
    """
    import subprocess, sys, threading, uuid
    import dagster as dg
    import pipelines.liveness as liveness
    from assets.warehouse.resources import WAREHOUSE_WRITER_POOL
    from pipelines.cli import main

    waited = liveness.wait_for_warehouse

    @dg.op
    def hold():
        pass

    @dg.job
    def taker():
        hold()

    def wait_then_lose_the_race(instance, wait_s, poll_s=1.0):
        waited(instance, wait_s, poll_s)
        holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(8)"])
        threading.Thread(target=holder.wait, daemon=True).start()  # reaped once it ends: gone, not a zombie
        tags = {**liveness.process_tags("upvote-dpo ingest dump"), liveness.PID_TAG: str(holder.pid)}
        tags[liveness.PID_STARTED_TAG] = repr(__import__("psutil").Process(holder.pid).create_time())
        run = instance.create_run_for_job(taker, run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED, tags=tags)
        instance.event_log_storage.initialize_concurrency_limit_to_default(WAREHOUSE_WRITER_POOL)  # as Dagster does first
        claim = instance.event_log_storage.claim_concurrency_slot(WAREHOUSE_WRITER_POOL, run.run_id, "hold")
        assert claim.is_claimed, claim
        print(f"taken by {run.run_id}", file=sys.stderr, flush=True)

    liveness.wait_for_warehouse = wait_then_lose_the_race
    sys.exit(main(sys.argv[1:]))
    """
)


def test_a_command_whose_slot_another_run_took_is_told_and_goes_on_once_that_one_dies(tmp_path):
    db = tmp_path / "upvote.duckdb"
    command = [sys.executable, "-c", TAKEN_AFTER_THE_WAIT, "ingest", "dump", "--comments", COMMENTS, "--db", str(db)]
    done = subprocess.run(command, env=environment(), cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr
    taker = done.stderr.split("taken by ", 1)[1].split()[0]
    assert f"waiting: run {taker} (upvote-dpo ingest dump on " in done.stderr  # told while it lived
    assert unfinished_runs(tmp_path) == []
    (failure,) = failed_runs(tmp_path)  # the taker's
    assert "is gone" in failure and "upvote-dpo ingest dump" in failure
