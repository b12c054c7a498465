"""Benchmark: Reddit dump -> deduplicated preference pairs in DuckDB, against a floor and a peer.

    .venv/bin/python -m benchmarks.pairs                       # real data + synthetic 1M, 3M, 10M
    .venv/bin/python -m benchmarks.pairs --sizes none          # real data only (~20 s)
    .venv/bin/python -m benchmarks.pairs --sizes none --repeat 5  # fastest of 5 interleaved runs each
    .venv/bin/python -m benchmarks.pairs --sizes 1e6 --no-real # one synthetic size
    .venv/bin/python -m benchmarks.pairs --profile             # + cProfile of ours (top functions)

Contenders, each in its own process (wall time, peak RSS of its process tree):
  floor  `zstd -dc --long=31` of the same files to /dev/null: reading the input, nothing more;
  peer   a hand-written DuckDB query of the same SHP rules, no dedup (benchmarks/sql/
         create_peer_pairs.sql) reading the NDJSON from FIFOs fed by `zstd -dc --long=31`;
  peer-stored  the same, but the fields it reads are first stored as tables in its database
         file (create_peer_sources.sql), as ours keeps the raw tables: what keeping the
         data costs a hand-written query (real data only; the ratio is against `peer`);
  ours   `assets.ingest.reddit.dumps.ingest_dump` (submissions, then comments) into a fresh warehouse
         file, then `assets.pairs.rules.build_pairs(con, PairRules())`: rules, exact and MinHash
         dedup, per-post cap, split, waterfall report.

Reported: wall time, peak RSS, pairs produced, ours / peer and ours / floor. Real data:
../shared/data/reddit/full/ (576,669 comments, 36,862 posts). Synthetic sizes are written
once by benchmarks.synth into --data-dir and reused. Results: benchmarks/results/pairs.json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness

REAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "reddit" / "full"
REAL = (REAL_DIR / "RC_reddit_college.ndjson.zst", REAL_DIR / "RS_reddit_college.ndjson.zst")
PEER_SQL = Path(__file__).resolve().parent / "sql" / "create_peer_pairs.sql"
PEER_SOURCES_SQL = Path(__file__).resolve().parent / "sql" / "create_peer_sources.sql"


# ---------------------------------------------------------------------------- workers


def worker_ours(comments: str, submissions: str, profile: str | None, memory_limit: str | None) -> None:
    from assets.ingest.reddit.dumps import ingest_dump
    from assets.pairs.rules import PairRules, build_pairs
    from assets.warehouse import connect as warehouse

    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    with tempfile.TemporaryDirectory(prefix="bench-ours-") as tmp:
        con = warehouse.connect(Path(tmp) / "upvote.duckdb")
        if memory_limit:  # what Warehouse(connection_config={"memory_limit": ...}) sets
            con.execute("SET memory_limit = ?", [memory_limit])
        t0 = time.perf_counter()
        subs = ingest_dump(con, submissions, kind="submissions")
        t1 = time.perf_counter()
        rc = ingest_dump(con, comments, kind="comments")
        t2 = time.perf_counter()
        rss_after_ingest = harness.self_maxrss_mb()
        report = build_pairs(con, PairRules())
        t3 = time.perf_counter()
        con.close()
    if prof is not None:
        prof.disable()
        prof.dump_stats(profile)
    harness.worker_done(
        {
            "pairs": report.kept,
            "candidate_pairs": report.candidate_pairs,
            "comments_rows": rc.rows,
            "submissions_rows": subs.rows,
            "rejects": rc.rejected + subs.rejected,
            "phases_s": {
                "ingest_submissions": round(t1 - t0, 2),
                "ingest_comments": round(t2 - t1, 2),
                "build_pairs": round(t3 - t2, 2),
                **{f"build_pairs.{k}": round(v, 2) for k, v in report.timings_s.items()},
            },
            "maxrss_after_ingest_mb": rss_after_ingest,
            "removed_by_rule": report.removed_by_rule,
            "dedup": report.dedup,
        }
    )


def worker_peer(comments: str, submissions: str, store_raw: bool) -> None:
    import duckdb

    with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
        fifos, feeders = {}, []
        for name, path in (("comments", comments), ("submissions", submissions)):
            fifo = Path(tmp) / f"{name}.ndjson"
            os.mkfifo(fifo)
            fifos[name] = str(fifo)
            # Popen opens the FIFO for writing in the child, so this never blocks here.
            feeders.append(subprocess.Popen(f"exec zstd -dcq --long=31 '{path}' > '{fifo}'", shell=True))
        con = duckdb.connect(str(Path(tmp) / "peer.duckdb"))
        con.execute(PEER_SOURCES_SQL.read_text().format(relation="TABLE" if store_raw else "VIEW", **fifos))
        con.execute(PEER_SQL.read_text())
        pairs = con.execute("SELECT count(*) FROM peer_pairs").fetchone()[0]
        con.close()
        for f in feeders:
            if f.wait() != 0:
                raise RuntimeError("zstd feeder failed")
    harness.worker_done({"pairs": pairs})


# ---------------------------------------------------------------------------- driver


def floor_cmd(comments: Path, submissions: Path) -> list[str]:
    return [f"zstd -dcq --long=31 '{submissions}' > /dev/null && zstd -dcq --long=31 '{comments}' > /dev/null"]


def run_set(
    label: str,
    comments: Path,
    submissions: Path,
    contenders: list[str],
    profile_dir: Path | None,
    memory_limit: str | None,
    repeat: int = 1,
) -> list[dict]:
    """Each contender `repeat` times, interleaved round by round (so a slow spell of this
    shared machine hits every contender alike); the fastest run of each is reported, all
    wall times are kept in `wall_s_runs`."""
    runs: dict[str, list[dict]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name in contenders:
            if name == "floor":
                row = harness.run_contender("floor", floor_cmd(comments, submissions), shell=True)
            else:
                argv = [
                    harness.PYTHON,
                    "-m",
                    "benchmarks.pairs",
                    "--worker",
                    name,
                    "--comments",
                    str(comments),
                    "--submissions",
                    str(submissions),
                ]
                if name == "ours" and profile_dir is not None:
                    argv += ["--profile-out", str(profile_dir / f"pairs-ours-{label}.prof")]
                if name == "ours" and memory_limit:
                    argv += ["--memory-limit", memory_limit]
                row = harness.run_contender(name, argv)
            runs[name].append(row)
            print(
                f"  {label:>10} {name:>6}: {row['wall_s']:8.2f} s  {row['peak_rss_mb']:8.1f} MB  "
                f"pairs={row['result'].get('pairs')}",
                file=sys.stderr,
                flush=True,
            )
    rows = []
    for tries in runs.values():
        row = min(tries, key=lambda r: r["wall_s"])
        row["wall_s_runs"] = [r["wall_s"] for r in tries]
        row["dataset"] = label
        row["pairs"] = row["result"].get("pairs")
        rows.append(row)
    by = {r["name"]: r for r in rows}
    for r in rows:
        if "peer" in by:
            r["vs_peer"] = round(r["wall_s"] / by["peer"]["wall_s"], 2)
        if "floor" in by:
            r["vs_floor"] = round(r["wall_s"] / by["floor"]["wall_s"], 2)
    return rows


def print_profile(path: Path, top: int = 25) -> str:
    import io
    import pstats

    buf = io.StringIO()
    pstats.Stats(str(path), stream=buf).sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--sizes",
        default="1e6,3e6,1e7",
        help="synthetic comment counts, comma-separated (e.g. 1e6,3e6); 'none' to skip",
    )
    ap.add_argument("--no-real", action="store_true", help="skip ../shared/data/reddit/full/")
    ap.add_argument("--peer-on-synth", action="store_true", help="also run the peer on synthetic sizes")
    ap.add_argument(
        "--data-dir",
        default=os.environ.get("BENCH_DATA_DIR", "/tmp/upvote-dpo-bench"),
        help="where synthetic dumps are written and reused",
    )
    ap.add_argument("--profile", action="store_true", help="cProfile ours; writes results/*.prof, prints top")
    ap.add_argument("--memory-limit", help="DuckDB memory_limit for ours (e.g. 1GB); default DuckDB's 80%% of RAM")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per contender, interleaved; the fastest is reported (all in wall_s_runs)",
    )
    ap.add_argument("--out", default="pairs", help="result name: benchmarks/results/<out>.json")
    # worker mode (internal)
    ap.add_argument("--worker", choices=["ours", "peer", "peer-stored"], help=argparse.SUPPRESS)
    ap.add_argument("--comments", help=argparse.SUPPRESS)
    ap.add_argument("--submissions", help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker == "ours":
        return worker_ours(args.comments, args.submissions, args.profile_out, args.memory_limit)
    if args.worker in ("peer", "peer-stored"):
        return worker_peer(args.comments, args.submissions, store_raw=args.worker == "peer-stored")
    if shutil.which("zstd") is None:
        sys.exit("the zstd command line tool is needed (apt-get install zstd)")

    info = harness.machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, load {info['loadavg_at_start']}", file=sys.stderr)
    profile_dir = harness.RESULTS_DIR if args.profile else None
    rows: list[dict] = []
    if not args.no_real:
        rows += run_set(
            "real", *REAL, ["floor", "peer", "peer-stored", "ours"], profile_dir, args.memory_limit, args.repeat
        )
    sizes = [] if args.sizes in ("", "none") else [int(float(s)) for s in args.sizes.split(",")]
    gen_rows = []
    for n in sizes:
        from benchmarks import synth

        comments, submissions, gen = synth.ensure(Path(args.data_dir), n)
        if gen:
            gen_rows.append(gen)
        contenders = ["floor", "peer", "ours"] if args.peer_on_synth else ["floor", "ours"]
        rows += run_set(synth.label(n), comments, submissions, contenders, profile_dir, args.memory_limit, args.repeat)

    for r in rows:
        res = r["result"]
        r["ingest_s"] = (
            res.get("phases_s", {}).get("ingest_comments", 0) + res.get("phases_s", {}).get("ingest_submissions", 0)
        ) or None
        r["build_pairs_s"] = res.get("phases_s", {}).get("build_pairs")
        r["comments"] = res.get("comments_rows")
    cols = [
        ("data", "dataset"),
        ("contender", "name"),
        ("comments", "comments"),
        ("wall s", "wall_s"),
        ("ingest s", "ingest_s"),
        ("build_pairs s", "build_pairs_s"),
        ("peak RSS MB", "peak_rss_mb"),
        ("max 1-proc RSS MB", "maxrss_mb"),
        ("CPU s", "cpu_s"),
        ("pairs", "pairs"),
        ("/ peer", "vs_peer"),
        ("/ floor", "vs_floor"),
    ]
    text = harness.table(rows, cols)
    print(text)
    if gen_rows:
        print("\nsynthetic generation (benchmarks.synth, once per size):")
        print(
            harness.table(
                gen_rows,
                [
                    ("comments", "comments"),
                    ("posts", "posts"),
                    ("wall s", "wall_s"),
                    ("peak RSS MB", "peak_rss_mb"),
                    ("RC MB on disk", "rc_mb"),
                    ("RS MB on disk", "rs_mb"),
                ],
            )
        )
    payload = {
        "benchmark": "pairs",
        "machine": info,
        "loadavg_at_end": list(os.getloadavg()),
        "command": " ".join([".venv/bin/python -m benchmarks.pairs"] + (argv if argv is not None else sys.argv[1:])),
        "rows": rows,
        "generation": gen_rows,
        "table": text,
    }
    if profile_dir is not None:
        for r in rows:
            prof = profile_dir / f"pairs-ours-{r['dataset']}.prof"
            if r["name"] == "ours" and prof.exists():
                print(f"\ncProfile of ours on {r['dataset']} (cumulative, top 25):")
                print(print_profile(prof))
    path = harness.write_json(args.out, payload)
    print(f"\nwrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
