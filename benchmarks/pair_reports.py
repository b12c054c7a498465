"""Benchmark: what the score-age and length-ratio rules, the bias report and the dataset card
cost on the full real corpus, against the same steps of another checkout.

    .venv/bin/python -m benchmarks.pair_reports                      # this tree and /work/main, 3 rounds
    .venv/bin/python -m benchmarks.pair_reports --trees . --repeat 5  # this tree only

Each tree runs in its own process (its code through PYTHONPATH): it ingests
../shared/data/reddit/full/ (576,669 comments, 36,862 posts) into a fresh warehouse, then runs
`--repeat` rounds of every step its code has, one after another, and reports the fastest of each:

  build defaults       `build_pairs(con, PairRules())`: in this tree with the 24 h score-age rule
  build age off        `min_score_age_hours=0`
  build drop unknown   `drop_unknown_score_age=True` (no comment of this corpus has a retrieval time)
  build length 2       `max_length_ratio=2`
  metadata             `pairs_metadata`: what the asset shows, bias figures and plots included
  bias figures         `bias_figures` over preference_pairs
  bias plots           `bias_plots` (four PNGs)
  snapshot             `create_snapshot` into a new folder: files, ledger and, here, the card
  card                 `dataset_card` alone

Results: benchmarks/results/pair-reports.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.pairs import REAL

PROJECT = Path(__file__).resolve().parents[1]


def worker(repeat: int, comments: Path, submissions: Path) -> None:
    from assets.ingest.reddit.dumps import ingest_dump
    from assets.pairs.assets import pairs_metadata
    from assets.pairs.rules import PairRules, build_pairs
    from assets.snapshot.freeze import create_snapshot
    from assets.warehouse.connect import connect

    new_rules = "min_score_age_hours" in PairRules.__dataclass_fields__
    variants = {"build defaults": PairRules()}
    if new_rules:
        variants = {
            "build age off": PairRules(min_score_age_hours=0),
            "build drop unknown": PairRules(drop_unknown_score_age=True),
            "build length 2": PairRules(max_length_ratio=2.0),
            **variants,  # last: the later steps read its pairs
        }
    best: dict[str, float] = {}
    pairs: dict[str, int] = {}

    def timed(name: str, step):
        t0 = time.perf_counter()
        result = step()
        best[name] = min(best.get(name, float("inf")), time.perf_counter() - t0)
        return result

    with tempfile.TemporaryDirectory(prefix="bench-pair-reports-") as tmp:
        con = connect(Path(tmp) / "upvote.duckdb")
        t0 = time.perf_counter()
        ingest_dump(con, submissions, kind="submissions")
        ingest_dump(con, comments, kind="comments")
        ingest_s = time.perf_counter() - t0
        for round_ in range(repeat):
            for name, rules in variants.items():
                report = timed(name, lambda rules=rules: build_pairs(con, rules))
                pairs[name] = report.kept
            timed("metadata", lambda: pairs_metadata(con, report))
            if new_rules:
                from assets.pairs.bias import bias_figures, bias_plots
                from assets.snapshot.card import dataset_card
                from assets.snapshot.freeze import latest_pair_build

                table = con.table("preference_pairs")
                figures = timed("bias figures", lambda: bias_figures(con, table, report.early_lead_per_subreddit))
                timed("bias plots", lambda: bias_plots(con, table, figures))
            snapshot = timed("snapshot", lambda: create_snapshot(con, Path(tmp) / f"snapshots-{round_}"))
            if new_rules:
                frozen = con.sql("SELECT * FROM preference_pairs ORDER BY pair_id").to_arrow_table()
                timed("card", lambda: dataset_card(con, frozen, snapshot.manifest, latest_pair_build(con)[1]))
        con.close()
    harness.worker_done(
        {"ingest_s": round(ingest_s, 2), "best_s": {k: round(v, 3) for k, v in best.items()}, "pairs": pairs}
    )


STEPS = (
    "build defaults",
    "build age off",
    "build drop unknown",
    "build length 2",
    "metadata",
    "bias figures",
    "bias plots",
    "snapshot",
    "card",
)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trees", default=f"{PROJECT},/work/main", help="checkouts to time, comma-separated")
    ap.add_argument("--repeat", type=int, default=3, help="rounds per tree; the fastest of each step is reported")
    ap.add_argument("--out", default="pair-reports", help="results/<out>.json")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    # the driver's: a tree elsewhere would look for the data beside itself
    ap.add_argument("--comments", type=Path, default=REAL[0], help=argparse.SUPPRESS)
    ap.add_argument("--submissions", type=Path, default=REAL[1], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.repeat, args.comments, args.submissions)
        return
    rows = []
    for tree in [Path(t).resolve() for t in args.trees.split(",")]:
        # this file as a script, the tree's code (and benchmarks package) through PYTHONPATH
        env = {**os.environ, "PYTHONPATH": str(tree)}
        argv_ = [harness.PYTHON, __file__, "--worker", "--repeat", str(args.repeat)]
        argv_ += ["--comments", str(args.comments), "--submissions", str(args.submissions)]
        row = harness.run_contender(str(tree), argv_, env=env)
        result = row["result"]
        rows += [
            {
                "tree": tree.name,
                "step": step,
                "s": result["best_s"].get(step),
                "pairs": result["pairs"].get(step),
                "ingest s": result["ingest_s"],
                "peak RSS MB": row["peak_rss_mb"],
            }
            for step in STEPS
            if step in result["best_s"]
        ]
        print(f"  {tree}: {row['wall_s']:.1f} s", file=sys.stderr, flush=True)
    print(harness.table(rows, [(k, k) for k in ("tree", "step", "s", "pairs", "ingest s", "peak RSS MB")]))
    path = harness.write_json(args.out, {"machine": harness.machine(), "repeat": args.repeat, "rows": rows})
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
