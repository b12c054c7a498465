"""Pair weights on the full real corpus: what each `weighting` scheme costs a snapshot, and
what the weights look like.

    .venv/bin/python -m benchmarks.weights [--db PATH] [--repeat 3]

The warehouse is the real data (../shared/data/reddit/full/: ingest + `build_pairs` with the
default rules), built once at `--db` and reused. For each scheme: `with_pair_weights` alone
(the added computation), and `create_snapshot` whole (checks, weights, digests, Parquet,
`datasets`, ledger) into a fresh folder; each the median of `--repeat` interleaved runs
(the first run of a scheme also writes its ledger rows, the later ones find them). Then the
confidence and each scheme's weights as quantiles over the pairs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from assets.snapshot.config import WEIGHTINGS
from assets.snapshot.freeze import create_snapshot
from assets.snapshot.weights import with_pair_weights
from assets.warehouse.connect import connect
from benchmarks.harness import machine, table, write_json
from benchmarks.pairs import REAL

QUANTILES = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


def build_warehouse(db: Path) -> None:
    from assets.ingest.reddit.dumps import ingest_dump
    from assets.pairs.rules import PairRules, build_pairs

    started = time.perf_counter()
    con = connect(db)
    comments, submissions = REAL
    ingest_dump(con, submissions, "submissions")
    ingest_dump(con, comments, "comments")
    build_pairs(con, PairRules())
    con.close()
    print(f"built {db} in {time.perf_counter() - started:.0f} s")


def seconds(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=Path("/tmp/upvote-dpo-bench/weights/warehouse.duckdb"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        build_warehouse(args.db)

    con = connect(args.db)
    pairs = con.sql("SELECT * FROM preference_pairs ORDER BY pair_id").to_arrow_table()
    weighted = {scheme: with_pair_weights(pairs, scheme) for scheme in WEIGHTINGS}  # scipy imported before timing
    weights_s, snapshot_s = defaultdict(list), defaultdict(list)
    for _ in range(args.repeat):  # interleaved, so that a busy minute slows every scheme alike
        for scheme in WEIGHTINGS:
            weights_s[scheme].append(seconds(lambda: with_pair_weights(pairs, scheme)))
            folder = Path(tempfile.mkdtemp(prefix="bench-weights-"))
            try:
                snapshot_s[scheme].append(seconds(lambda: create_snapshot(con, folder, weighting=scheme)))
            finally:
                shutil.rmtree(folder)
    con.close()
    rows = [
        {
            "scheme": scheme,
            "weights_ms": 1000 * statistics.median(weights_s[scheme]),
            "snapshot_s": statistics.median(snapshot_s[scheme]),
            "snapshot_range": f"{min(snapshot_s[scheme]):.2f}-{max(snapshot_s[scheme]):.2f}",
            "snapshot_runs_s": snapshot_s[scheme],
        }
        for scheme in WEIGHTINGS
    ]

    spread = []
    for name, values in (
        ("confidence", weighted["confidence"]["confidence"]),
        ("weight, log_ratio", weighted["log_ratio"]["weight"]),
        ("weight, confidence", weighted["confidence"]["weight"]),
    ):
        values = values.to_numpy()
        spread.append({"column": name, **{f"q{q:g}": float(np.quantile(values, q)) for q in QUANTILES}})

    print(f"{pairs.num_rows:,} pairs (real data, default rules)")
    columns = [("weighting", "scheme"), ("with_pair_weights ms", "weights_ms"), ("create_snapshot s", "snapshot_s")]
    print(table(rows, [*columns, ("create_snapshot range s", "snapshot_range")]))
    print()
    print(table(spread, [("column", "column"), *((f"q{q:g}", f"q{q:g}") for q in QUANTILES)]))
    path = write_json("weights", {"machine": machine(), "pairs": pairs.num_rows, "rows": rows, "quantiles": spread})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
