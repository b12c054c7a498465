"""The singles a snapshot freezes beside its pairs (`preference_singles`, assets/singles).

    singles.parquet     every column of `preference_singles`, in single-id order
    dataset_singles/    a `DatasetDict` (splits "train" and "eval") with TRL's KTO columns
                        `prompt`, `completion`, `label` (True: desirable) and the ids

Both are written only when there are singles, and the snapshot id covers each single's row
digest as it covers each pair's (one "<id> <row sha256>" line each, in id order): a snapshot
without singles keeps the id, and the files, it had before singles existed. Singles that used
a forgotten comment or author are left out, as pairs are.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from assets.warehouse.connect import sql_folder

sql = sql_folder(__file__)

SPLITS = ("train", "eval")
SINGLE_COLUMNS = ("single_id", "post_id", "subreddit", "prompt", "completion", "label", "comment_id", "score")


NO_DIGESTS = pa.table({"pair_id": pa.array([], pa.string()), "content_sha256": pa.array([], pa.string())})


def select_singles(con: duckdb.DuckDBPyConnection, sources: Sequence[str] = ()) -> tuple[pa.Table | None, pa.Table]:
    """(the singles to freeze, their digests as `single_digests` gives them). None and no digests
    when `sources` leaves Reddit out (singles are Reddit's), or on a connection to a warehouse
    whose migrations have not run (one from before singles, opened as it is)."""
    if sources and "reddit" not in sources:
        return None, NO_DIGESTS
    try:
        singles = con.sql(sql("select_snapshot_singles")).to_arrow_table()
    except duckdb.CatalogException:
        return None, NO_DIGESTS
    return singles, single_digests(con.from_arrow(singles)).to_arrow_table()


def single_digests(rows: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """(pair_id = single_id, content_sha256) per single: the name select_snapshot_id.sql reads."""
    return rows.query("snapshot_single_rows", sql("select_single_row_sha256"))


def single_counts(singles: pa.Table) -> dict[str, int]:
    counts = {split: pc.sum(pc.equal(singles["split"], split)).as_py() or 0 for split in SPLITS}
    desirable = pc.sum(singles["label"].cast(pa.int64())).as_py() or 0
    return {**counts, "total": singles.num_rows, "desirable": desirable, "undesirable": singles.num_rows - desirable}


def write_singles(singles: pa.Table, staging: Path) -> None:
    from datasets import Dataset, DatasetDict

    pq.write_table(singles, staging / "singles.parquet")
    table = singles.select(list(SINGLE_COLUMNS))
    splits = {split: Dataset(table.filter(pc.equal(singles["split"], split))) for split in SPLITS}
    DatasetDict(splits).save_to_disk(str(staging / "dataset_singles"), num_shards={split: 1 for split in SPLITS})


def record_singles(con: duckdb.DuckDBPyConnection, snapshot_id: str, singles: pa.Table, digests: pa.Table) -> None:
    """snapshot_singles rows, inside the caller's transaction; nothing without singles."""
    if not singles.num_rows:
        return
    con.register("snapshot_single_rows", singles)
    con.register("snapshot_single_digests", digests)
    try:
        con.execute(sql("insert_into_snapshot_singles"), {"snapshot_id": snapshot_id})
    finally:
        con.unregister("snapshot_single_rows")
        con.unregister("snapshot_single_digests")
