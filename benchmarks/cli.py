"""How long `upvote-dpo` takes before it does anything: start-up against a bare `import duckdb`.

    .venv/bin/python -m benchmarks.cli [--repeat 15] [--tree PATH] [--out cli]

Contenders, each a fresh process, interleaved, the median of `--repeat` runs reported:

  * `python -c pass`: the interpreter alone (floor);
  * `python -c "import duckdb"`: the peer, the least a command reading the warehouse needs;
  * `upvote-dpo --help`;
  * `upvote-dpo audit author NAME`: a one-row answer on a small synthetic warehouse
    (tests/audit/lineage_factory.py, ~400 pairs), built once at `--db`;
  * `build_definitions(db)`: what every command that runs an asset pays before the run starts
    (importing dagster and every stage's assets); no target.

`--tree` times another checkout of the project (its `pipelines.cli`, through PYTHONPATH),
e.g. a worktree at an older commit, against the same warehouse. The targets: `--help`
within 3x and `audit author` within 6x of the peer. Writes `benchmarks/results/<out>.json`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import machine, table, write_json

PROJECT = Path(__file__).resolve().parents[1]
TARGETS = {"upvote-dpo --help": 3.0, "upvote-dpo audit author NAME": 6.0}


def small_warehouse(db: Path) -> str:
    """Build the warehouse once; the author of the first snapshot pair (a one-row question)."""
    from assets.warehouse.connect import connect
    from tests.audit.lineage_factory import LineageSpec, build

    if not db.exists():
        con = connect(db)
        build(con, LineageSpec(pairs=400, snapshots=2, runs=3), db.parent, write_files=True)
        con.close()
    connect(db).close()  # a warehouse this benchmark built before a schema migration gets it
    con = connect(db, read_only=True)
    try:
        return con.execute("SELECT chosen_author FROM snapshot_pairs ORDER BY pair_id LIMIT 1").fetchall()[0][0]
    finally:
        con.close()


def contenders(db: Path, author: str) -> dict[str, list[str]]:
    cli = [sys.executable, "-m", "pipelines.cli"]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import duckdb'": [sys.executable, "-c", "import duckdb"],
        "upvote-dpo --help": [*cli, "--help"],
        "upvote-dpo audit author NAME": [*cli, "audit", "author", author, "--db", str(db)],
        "build_definitions(db)": [
            sys.executable,
            "-c",
            f"from pipelines.definitions import build_definitions; build_definitions({str(db)!r})",
        ],
    }


def timed(argv: list[str], env: dict, cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--tree", type=Path, default=PROJECT, help="the checkout to time (default: this one)")
    parser.add_argument("--db", type=Path, default=Path("/tmp/upvote-dpo-bench/cli/upvote.duckdb"))
    parser.add_argument("--out", default="cli", help="results/<out>.json")
    args = parser.parse_args()

    author = small_warehouse(args.db)
    # A Dagster instance of its own, so a tree that opens one at start-up writes nothing into
    # the checkout's dagster_home.
    home = Path(tempfile.mkdtemp(prefix="upvote-dpo-bench-dagster-"))
    shutil.copy(args.tree / "dagster_home" / "dagster.yaml", home)
    env = dict(os.environ, PYTHONPATH=str(args.tree.resolve()), DAGSTER_HOME=str(home))
    commands = contenders(args.db, author)
    for argv in commands.values():  # warm the page cache and the bytecode caches once
        timed(argv, env, args.tree)
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeat):  # interleaved, so a burst of load hits every contender alike
        for name, argv in commands.items():
            runs[name].append(timed(argv, env, args.tree))
    shutil.rmtree(home, ignore_errors=True)

    peer = statistics.median(runs["python -c 'import duckdb'"])
    rows = []
    for name, times in runs.items():
        median = statistics.median(times)
        rows.append(
            {
                "command": name,
                "median_s": round(median, 3),
                "min_s": round(min(times), 3),
                "max_s": round(max(times), 3),
                "ratio": round(median / peer, 2),
                "target": TARGETS.get(name),
            }
        )
    print(f"{args.tree}: median of {args.repeat} runs each, interleaved")
    print(
        table(
            rows,
            [
                ("command", "command"),
                ("median s", "median_s"),
                ("min s", "min_s"),
                ("max s", "max_s"),
                ("/ import duckdb", "ratio"),
                ("target", "target"),
            ],
        )
    )
    tree_rev = (
        subprocess.run(
            ["git", "-C", str(args.tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        or None
    )
    path = write_json(
        args.out,
        {
            "machine": machine(),
            "tree": str(args.tree.resolve()),
            "tree_git_rev": tree_rev,
            "repeat": args.repeat,
            "command": " ".join(sys.argv),
            "rows": rows,
            "runs_s": runs,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
