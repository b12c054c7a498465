"""Shared plumbing of the benchmarks: run one contender in its own process, measure it, print a
table, write the JSON result.

Each contender is a child process (a `python -m benchmarks.<name> --worker ...` or a shell
pipeline). Its wall time is measured here; its peak memory two ways:

  * `peak_rss_mb`: the highest *sum* of RSS over the child's whole process tree, polled every
    20 ms with psutil (catches pipelines such as `zstd | duckdb` running side by side);
  * `maxrss_mb`: the kernel's ru_maxrss of the largest single process in the tree
    (`resource.getrusage(RUSAGE_CHILDREN)` read before and after, in a fresh helper process,
    so one contender's peak never leaks into the next).

A worker prints its result as one JSON object on its last stdout line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

RESULTS_DIR = Path(__file__).resolve().parent / "results"
PYTHON = sys.executable


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def run_contender(
    name: str, argv: list[str], *, env: dict | None = None, shell: bool = False, timeout: float | None = None
) -> dict:
    """Run argv (or a shell command) to completion; wall time, peak RSS and the worker's JSON."""
    # The child is wrapped by a tiny Python helper that reports its own RUSAGE_CHILDREN, so
    # ru_maxrss is this contender's alone (RUSAGE_CHILDREN of *this* process is cumulative).
    wrapper = (
        "import json,resource,subprocess,sys;"
        "cmd=json.loads(sys.argv[1]);shell=cmd['shell'];"
        "rc=subprocess.call(cmd['argv'] if not shell else cmd['argv'][0],shell=shell);"
        "r=resource.getrusage(resource.RUSAGE_CHILDREN);"
        "sys.stderr.write('\\n__RUSAGE__'+json.dumps({'maxrss_kb':r.ru_maxrss,'user_s':r.ru_utime,'sys_s':r.ru_stime})+'\\n');"
        "sys.exit(rc)"
    )
    payload = json.dumps({"argv": argv, "shell": shell})
    full_env = dict(os.environ, **(env or {}))
    started = time.perf_counter()
    proc = subprocess.Popen(
        [PYTHON, "-c", wrapper, payload], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, text=True
    )
    ps = psutil.Process(proc.pid)
    peak = [0]
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(ps) - _self_rss(ps))
            time.sleep(0.02)

    def _self_rss(p: psutil.Process) -> int:  # the wrapper's own few MB are not the contender's
        try:
            return p.memory_info().rss
        except psutil.NoSuchProcess:
            return 0

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        done.set()
        poller.join()
    wall = time.perf_counter() - started
    usage, err_lines = {}, []
    for line in err.splitlines():
        if line.startswith("__RUSAGE__"):
            usage = json.loads(line[len("__RUSAGE__") :])
        else:
            err_lines.append(line)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed (rc {proc.returncode}):\n" + "\n".join(err_lines[-40:]))
    result = {}
    lines = [line for line in out.splitlines() if line.strip()]
    if lines and lines[-1].startswith("{"):
        result = json.loads(lines[-1])
    return {
        "name": name,
        "wall_s": round(wall, 3),
        "peak_rss_mb": round(peak[0] / 2**20, 1),
        "maxrss_mb": round(usage.get("maxrss_kb", 0) / 1024, 1),
        "cpu_s": round(usage.get("user_s", 0) + usage.get("sys_s", 0), 2),
        "result": result,
    }


def worker_done(result: dict) -> None:
    """Print a worker's result as the last stdout line (read by run_contender)."""
    sys.stdout.flush()
    print(json.dumps(result, default=str), flush=True)


def self_maxrss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def machine() -> dict:
    model = platform.processor()
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_rev": _git_rev(),
    }


def _git_rev() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).resolve().parent
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], capture_output=True, text=True, cwd=Path(__file__).resolve().parent
        ).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "") if out.returncode == 0 else None
    except OSError:
        return None


def table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """A Markdown table of rows (dicts) with (header, key) columns."""
    cells = [[h for h, _ in columns]] + [[_fmt(r.get(k)) for _, k in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 10 else f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def write_json(name: str, payload: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path
