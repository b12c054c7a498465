"""Benchmark: a Stack Exchange site's dump -> answer pairs, ours against a hand-written peer.

    .venv/bin/python -m benchmarks.stackexchange            # both shared sites (~30 s)
    .venv/bin/python -m benchmarks.stackexchange --repeat 3  # fastest of 3 runs each

Contenders, each in its own process (wall time, peak RSS of its process tree), per site of
../shared/data/stackexchange/:
  peer  the XML read with `xml.etree.ElementTree.iterparse` (elements cleared) into two DuckDB
        tables, then one hand-written query of the core rules (benchmarks/sql/
        create_peer_stackexchange_pairs.sql): no rejects, dedup, cap, Markdown or report;
  ours  `ingest_site` (every file of the dump, rejects kept, upsert) into a fresh warehouse,
        then `build_stackexchange_pairs` with the default rules (votes within 30 days,
        Markdown, exact and MinHash dedup, cap, split, waterfall).

Reported: wall time, peak RSS, pairs, ours / peer. Results: benchmarks/results/stackexchange.json.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

from benchmarks import harness

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "stackexchange"
PEER_SQL = Path(__file__).resolve().parent / "sql" / "create_peer_stackexchange_pairs.sql"


def worker_ours(site: str) -> None:
    from assets.ingest.stackexchange.dumps import ingest_site
    from assets.pairs.stackexchange.build import build_stackexchange_pairs
    from assets.warehouse import connect as warehouse

    with tempfile.TemporaryDirectory() as tmp:
        con = warehouse.connect(Path(tmp) / "bench.duckdb")
        started = time.perf_counter()
        ingest_site(con, site)
        ingested = time.perf_counter()
        report = build_stackexchange_pairs(con)
        done = time.perf_counter()
        con.close()
    harness.worker_done({"pairs": report.kept, "ingest_s": ingested - started, "pairs_s": done - ingested})


def _rows(path: Path, attributes: tuple[str, ...]):
    import zstandard

    with path.open("rb") as fh:
        stream = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True))
        for _, element in ElementTree.iterparse(stream):
            if element.tag == "row":
                yield tuple(element.get(name) for name in attributes)
            element.clear()


def worker_peer(site: str) -> None:
    import duckdb
    import pyarrow as pa

    folder = Path(site)
    con = duckdb.connect()
    started = time.perf_counter()
    post_fields = ("Id", "PostTypeId", "ParentId", "CreationDate", "Score", "OwnerUserId", "CommunityOwnedDate")
    posts = list(zip(*_rows(folder / "Posts.xml.zst", post_fields)))
    con.register("raw_posts", pa.table(dict(zip(post_fields, map(pa.array, posts)))))
    con.execute(
        "CREATE TABLE posts AS SELECT Id::BIGINT AS id, PostTypeId::INT AS post_type_id, ParentId::BIGINT AS parent_id,"
        " CreationDate::TIMESTAMP AS created_at, Score::BIGINT AS score, OwnerUserId::BIGINT AS owner_user_id,"
        " CommunityOwnedDate::TIMESTAMP AS community_owned_date FROM raw_posts"
    )
    vote_fields = ("PostId", "VoteTypeId", "CreationDate")
    votes_file = folder / "Votes.xml.zst"
    votes = list(zip(*_rows(votes_file, vote_fields))) if votes_file.exists() else [[], [], []]
    con.register(
        "raw_votes", pa.table({name: pa.array(column, pa.string()) for name, column in zip(vote_fields, votes)})
    )
    con.execute(
        "CREATE TABLE votes AS SELECT PostId::BIGINT AS post_id, VoteTypeId::INT AS vote_type_id,"
        " CreationDate::DATE AS created_on FROM raw_votes"
    )
    loaded = time.perf_counter()
    con.execute(PEER_SQL.read_text())
    (pairs,) = con.execute("SELECT count(*) FROM peer_pairs").fetchone()
    harness.worker_done({"pairs": pairs, "ingest_s": loaded - started, "pairs_s": time.perf_counter() - loaded})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each contender; the fastest is kept")
    ap.add_argument("--worker", choices=["ours", "peer"], help=argparse.SUPPRESS)
    ap.add_argument("--site", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker == "ours":
        return worker_ours(args.site)
    if args.worker == "peer":
        return worker_peer(args.site)
    if not SHARED.is_dir():
        sys.exit(f"no shared Stack Exchange data at {SHARED}")
    rows = []
    for site in sorted(path for path in SHARED.iterdir() if path.is_dir()):
        best = {}
        for _ in range(args.repeat):
            for name in ("peer", "ours"):
                argv = [harness.PYTHON, "-m", "benchmarks.stackexchange", "--worker", name, "--site", str(site)]
                run = harness.run_contender(name, argv)
                if name not in best or run["wall_s"] < best[name]["wall_s"]:
                    best[name] = run
        for name, run in best.items():
            rows.append(
                {
                    "site": site.name.split(".")[0],
                    "contender": name,
                    "wall_s": run["wall_s"],
                    "ingest_s": run["result"].get("ingest_s"),
                    "pairs_s": run["result"].get("pairs_s"),
                    "peak_rss_mb": run["peak_rss_mb"],
                    "pairs": run["result"].get("pairs"),
                    "vs_peer": run["wall_s"] / best["peer"]["wall_s"],
                }
            )
    columns = [
        (k, k) for k in ("site", "contender", "wall_s", "ingest_s", "pairs_s", "peak_rss_mb", "pairs", "vs_peer")
    ]
    print(harness.table(rows, columns))
    print(f"written {harness.write_json('stackexchange', {'machine': harness.machine(), 'rows': rows})}")


if __name__ == "__main__":
    main()
