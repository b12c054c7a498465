"""How late replies come: the share of a day's comments that a live fetch sees, by how long
after the day's end it fetches. What `reddit_api.mature_after_days` is chosen from
(docs/ingest.md, "Why a day is fetched twice").

    .venv/bin/python -m benchmarks.comment_arrival [--comments RC --submissions RS] [--out comment-arrival]

Ingests the dumps (default: the shared full college dump) into a scratch warehouse with the
project's own ingest, then measures each comment's delay after its post
(sql/select_comment_arrival.sql). A dump captures each comment once, whenever it was
archived, so this counts the comments written by a time, not the votes cast by it.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from assets.ingest.reddit.dumps import ingest_dump
from assets.warehouse.connect import connect
from benchmarks.harness import machine, table, write_json

SHARED_FULL = Path(__file__).resolve().parents[2] / "shared" / "data" / "reddit" / "full"
SQL = Path(__file__).resolve().parent / "sql" / "select_comment_arrival.sql"
# (fetch, hours after the day ended): the schedule's 02:00 first fetch, then matured fetches
FETCHES = [("first", 2)] + [(f"matured, {days} d", 2 + 24 * days) for days in (1, 2, 3, 4, 5, 7, 14, 30)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=Path, default=SHARED_FULL / "RC_reddit_college.ndjson.zst")
    parser.add_argument("--submissions", type=Path, default=SHARED_FULL / "RS_reddit_college.ndjson.zst")
    parser.add_argument("--out", default="comment-arrival")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        con = connect(Path(scratch) / "arrival.duckdb")
        for dump in (args.submissions, args.comments):
            ingest_dump(con, dump)
        names, hours = zip(*FETCHES)
        cursor = con.execute(SQL.read_text(), {"names": list(names), "hours": list(hours)})
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
        con.close()
    print(table(rows, [("fetch", "live_fetch"), ("hours after the day", "after_day_end"),
                       ("comments seen %", "all_pct"), ("top-level seen %", "top_level_pct")]))  # fmt: skip
    result = {"machine": machine(), "comments": str(args.comments), "submissions": str(args.submissions), "rows": rows}
    print(f"\n{rows[0]['comments']:,} comments with their post; wrote {write_json(args.out, result)}")


if __name__ == "__main__":
    main()
