"""A trainer or an evaluation stops when the process that launched it is gone.

`dpo_model` and `model_eval` launch `python -m training` / `python -m training.evaluation`
through Dagster Pipes. Killed with SIGKILL, the launcher cannot stop its child, which would
train on and write a model nothing records. So the child asks Linux to send it SIGTERM when
its parent dies (`prctl(PR_SET_PDEATHSIG)`), first thing in `main`.

The race: a parent that dies between the child's start and that call sends nothing. So
the launcher passes its pid in `UPVOTE_DPO_LAUNCHER_PID` (`launcher_env`), and right after
the call the child checks that process is still there, and stops if not.

Limits: Linux only (elsewhere nothing is done); the signal follows the *thread* that started
the child, so a launcher must start it from a thread that lives as long as the run (Pipes'
subprocess client starts it from the step's thread and waits for it there). Under
`accelerate launch` the parent is accelerate's launcher, which stops its workers itself.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

LAUNCHER_PID_ENV = "UPVOTE_DPO_LAUNCHER_PID"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def launcher_env() -> dict[str, str]:
    """The environment a launcher adds for its child: who to outlive not."""
    return {LAUNCHER_PID_ENV: str(os.getpid())}


def stop_with_launcher() -> None:
    """SIGTERM this process when its parent dies; SIGTERM it now if the launcher already has."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")
    launcher = os.environ.get(LAUNCHER_PID_ENV)
    if launcher and not _alive(int(launcher)):
        os.kill(os.getpid(), signal.SIGTERM)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process now holds the pid: ours is gone
        return False
    return True
