"""Audit query times on a warehouse with ~1M snapshot pairs and 20 training runs.

    .venv/bin/python -m benchmarks.audit [--pairs 1000000 --runs 20 --db PATH]

The warehouse is synthetic (tests/audit/lineage_factory.py: real ids, hashes and snapshot
ids, several overlapping snapshots), built once at `--db` and reused. Ours: the functions
behind `upvote-dpo audit` (every snapshot and model, counts per split, forgotten pairs).
Peer: one hand-written SQL per question over the same tables that answers less (which
snapshots and runs, with counts), the query a user would write without the audit module.
Both run in this process on one read-only connection; each time is the median of
`--repeat` runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from assets.audit import queries as audit
from assets.audit.verify import snapshot_id_from_ledger
from assets.warehouse.connect import connect
from benchmarks.harness import machine, table, write_json
from tests.audit.lineage_factory import LineageSpec, build

# The peer's questions, one plain query each: which snapshots and runs used matching pairs.
PEER_SQL = {
    "pair": "p.pair_id = $v",
    "comment": "(p.chosen_id = $v OR p.rejected_id = $v)",
    "author": "(p.chosen_author = $v OR p.rejected_author = $v OR p.post_author = $v)",
    "subreddit": "p.subreddit = $v",
}
PEER_QUERY = """
SELECT p.snapshot_id, r.run_id, count(*)
FROM snapshot_pairs AS p
LEFT JOIN training_run_pairs AS r ON r.pair_id = p.pair_id
JOIN training_runs AS t ON t.run_id = r.run_id AND t.snapshot_id = p.snapshot_id
WHERE {predicate}
GROUP BY ALL
"""


def median_ms(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", type=Path, default=Path("/tmp/upvote-dpo-bench/audit/warehouse.duckdb"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    if not args.db.exists():
        started = time.perf_counter()
        con = connect(args.db)
        build(con, LineageSpec(pairs=args.pairs, runs=args.runs, subreddits=20), args.db.parent)
        con.close()
        print(f"built {args.db} in {time.perf_counter() - started:.0f} s")
    con = connect(args.db, read_only=True)
    snapshot_pairs, run_pairs = con.execute(
        "SELECT (SELECT count(*) FROM snapshot_pairs), (SELECT count(*) FROM training_run_pairs)"
    ).fetchall()[0]
    run_id, snapshot_id = con.execute(
        "SELECT run_id, snapshot_id FROM training_runs ORDER BY started_at DESC LIMIT 1"
    ).fetchall()[0]
    subjects = dict(
        zip(
            ("pair", "comment", "author", "subreddit"),
            con.execute(
                "SELECT pair_id, chosen_id, chosen_author, subreddit FROM snapshot_pairs"
                " WHERE snapshot_id = $id ORDER BY pair_id LIMIT 1",
                {"id": snapshot_id},
            ).fetchall()[0],
        )
    )

    rows = [
        {
            "question": "audit model (summary)",
            "ours_ms": median_ms(lambda: audit.audit_model(con, run_id), args.repeat),
        },
        {
            "question": "audit model --pairs (every pair seen)",
            "ours_ms": median_ms(lambda: audit.audit_model(con, run_id, list_pairs=True), args.repeat),
        },
        {
            "question": "snapshot id from the ledger (verify)",
            "ours_ms": median_ms(lambda: snapshot_id_from_ledger(con, snapshot_id), args.repeat),
        },
    ]
    for kind, value in subjects.items():
        peer = PEER_QUERY.format(predicate=PEER_SQL[kind])
        ours_ms = median_ms(lambda: audit.audit_usage(con, kind, value), args.repeat)
        peer_ms = median_ms(lambda: con.execute(peer, {"v": value}).fetchall(), args.repeat)
        rows.append(
            {"question": f"audit {kind}", "ours_ms": ours_ms, "peer_ms": peer_ms, "ratio": round(ours_ms / peer_ms, 2)}
        )
    con.close()

    print(f"snapshot_pairs {snapshot_pairs:,}, training_run_pairs {run_pairs:,}, runs {args.runs}")
    print(
        table(
            rows, [("question", "question"), ("ours ms", "ours_ms"), ("peer ms", "peer_ms"), ("ours / peer", "ratio")]
        )
    )
    path = write_json(
        "audit", {"machine": machine(), "snapshot_pairs": snapshot_pairs, "training_run_pairs": run_pairs, "rows": rows}
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
