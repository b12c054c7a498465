"""Freeze the current pair selection into an immutable, content-addressed snapshot.

A snapshot is a directory named by its id:

    manifest.json   snapshot id, pair rules, weighting, counts, columns, sources (pairs per
                    source and community; Stack Exchange's rules, licences, attribution),
                    each side's score age, when it was made
    README.md       its dataset card (`assets.snapshot.card`): rules, removals, weights,
                    biases, sources, limits
    attribution.parquet  with Stack Exchange pairs: each one's links, authors and licences
    pairs.parquet   every column of `preference_pairs`, in pair-id order, then the pair
                    weights of the weighting scheme, if any (assets/snapshot/weights.py)
    dataset/        a Hugging Face `DatasetDict` (splits "train" and "eval") with
                    `prompt`, `chosen`, `rejected`, the ids, each pair's `source` and
                    `community`, and any pair weights, which TRL and others read as is

The id is a hash of the content: each row of pairs.parquet (every column: ids, split,
prompt, chosen, rejected, scores, ...) gets a sha256, and the id is the sha256 over one
"<pair_id> <row sha256>" line per pair in pair-id order. The same pairs with the same
content always give the same id; another split, an edited text or a new score give another.
Singles (`preference_singles`) are frozen beside the pairs and covered by the id the same way
(assets/snapshot/singles.py); with none, the id is the pairs' alone, as before singles.
Pair weights are columns like the others, so other weights give another id; the scheme
`none` adds no column, so an unweighted snapshot keeps the id it had before weights existed.
An existing snapshot directory is never rewritten: it is written to a temporary folder
and renamed into place, and a second request for the same id reuses it. The warehouse
records each snapshot and its pairs with their row digests (`snapshots`, `snapshot_pairs`),
so the audit can recompute the id from the ledger and from the file. Pairs that used a
forgotten comment or author (`forget_requests`; the author of either comment or of the post)
are left out; if what is left fails a blocking check of `preference_pairs`
(count_pair_violations.sql) or of `preference_singles` (count_single_violations.sql),
nothing is frozen.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from assets.pairs.rules import PairRules, pair_violations
from assets.singles.build import single_violations
from assets.snapshot.card import dataset_card, score_age_summary
from assets.snapshot.singles import record_singles, select_singles, single_counts, write_singles
from assets.snapshot.sources import select_sources, sources_manifest
from assets.snapshot.weights import WEIGHT_COLUMNS, weighting_manifest, with_pair_weights
from assets.warehouse.connect import sql_folder, transaction
from training.errors import UserError

sql = sql_folder(__file__)

SPLITS = ("train", "eval")
# What a trainer needs, plus the ids and scores that lead back to the source.
DATASET_COLUMNS = (
    "pair_id",
    "post_id",
    "subreddit",
    "prompt",
    "chosen",
    "rejected",
    "chosen_id",
    "rejected_id",
    "chosen_score",
    "rejected_score",
    "score_ratio",
)


# Where each pair comes from: "reddit" or "stackexchange", and its subreddit or site. In
# dataset/ only where pairs.parquet has them (not before sources existed), and absent from the
# dataset/ of snapshots frozen before dataset/ took them: a snapshot is never rewritten.
SOURCE_COLUMNS = ("source", "community")


def dataset_columns(columns: list[str]) -> list[str]:
    """DATASET_COLUMNS, then those of the source and pair-weight columns that are among `columns`
    (a snapshot's pairs.parquet columns)."""
    return [*DATASET_COLUMNS, *(name for name in (*SOURCE_COLUMNS, *WEIGHT_COLUMNS) if name in columns)]


class EmptySelectionError(UserError):
    """There are no pairs to freeze."""


class FailedChecksError(UserError):
    """The pairs fail a blocking check of `preference_pairs`, or the singles one of
    `preference_singles`. Automation never snapshots them, but `pairs build` and `singles build`
    have replaced the rows before their checks ran, and a snapshot run by hand
    (`upvote-dpo snapshot`) would otherwise freeze them."""

    @classmethod
    def unless_passed(cls, what: str, violations: dict[str, int], rebuild: str) -> None:
        """Raise, naming each failed check and its count, when any of `violations` is not 0."""
        if failed := {name: count for name, count in violations.items() if count}:
            raise cls(
                f"the {what} fail blocking checks, so nothing was frozen: "
                + ", ".join(f"{name} ({count})" for name, count in failed.items())
                + f"; fix the data or the rules and {rebuild}"
            )


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    path: Path
    counts: dict[str, int]
    created: bool  # False when a snapshot with this id already existed

    @property
    def manifest(self) -> dict:
        return read_manifest(self.path)


def content_digests(rows: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """(pair_id, content_sha256) for each row of a snapshot's pairs: the sha256 of the whole row
    (of a Reddit row, without the `source` and `community` that pairs.parquet files from
    before sources lack: select_sourced_pair_row_sha256.sql)."""
    if "source" in rows.columns:
        return rows.query("snapshot_pair_rows", sql("select_sourced_pair_row_sha256"))
    return rows.query("snapshot_pair_rows", sql("select_pair_row_sha256"))


def snapshot_id_for(digests: duckdb.DuckDBPyRelation) -> str | None:
    """The id of the pairs with these (pair_id, content_sha256), in any order; None when there
    are none or one has no digest."""
    return digests.query("snapshot_pair_digests", sql("select_snapshot_id")).fetchall()[0][0]


def dataset_differences(
    con: duckdb.DuckDBPyConnection, snapshot_dir: str | Path, parquet: duckdb.DuckDBPyRelation
) -> dict[str, int]:
    """{split: rows of dataset/ (what trainers read) that the rows of that split in `parquet`
    (the snapshot's pairs.parquet, read) do not have, plus the reverse}: all zero for an intact
    snapshot, whose id covers pairs.parquet."""
    from training.data import load_snapshot  # the trainer's own reader, older layouts included

    loaded = load_snapshot(snapshot_dir)
    differences = {}
    for split, dataset in (("train", loaded.train), ("eval", loaded.eval)):
        # the source columns only where this dataset/ has them: older ones were written without
        columns = [
            name
            for name in dataset_columns(parquet.columns)
            if name not in SOURCE_COLUMNS or name in dataset.column_names
        ]
        differences[split] = rows_differing(
            con.from_arrow(dataset.data.table).select(*columns),
            parquet.filter(duckdb.ColumnExpression("split") == duckdb.ConstantExpression(split)).select(*columns),
        )
    return differences


def rows_differing(a: duckdb.DuckDBPyRelation, b: duckdb.DuckDBPyRelation) -> int:
    """The fewest rows to edit, add or drop to turn a into b (both with the same columns): an
    edited row counts once, though it is both a row of a that b lacks and the reverse."""
    only_a, only_b = len(_numbered(a).except_(_numbered(b))), len(_numbered(b).except_(_numbered(a)))
    return max(only_a, only_b)  # pair each row only a has with one only b has: one edit each


def _numbered(rows: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """The rows with each one's occurrence number among its equals, so that EXCEPT, which
    compares distinct rows, counts a repeated row as often as it is repeated."""
    columns = ", ".join('"' + name.replace('"', '""') + '"' for name in rows.columns)
    return rows.project(f"{columns}, row_number() OVER (PARTITION BY {columns}) AS occurrence")


def read_manifest(snapshot_dir: str | Path) -> dict:
    return json.loads((Path(snapshot_dir) / "manifest.json").read_text())


def latest_pair_rules(con: duckdb.DuckDBPyConnection) -> dict:
    """The rules of the last pair build, which the current selection came from."""
    return latest_pair_build(con)[0]


def latest_pair_build(con: duckdb.DuckDBPyConnection) -> tuple[dict, dict | None]:
    """(rules, report) of the last pair build; ({}, None) when none was recorded."""
    rows = con.execute(sql("select_latest_pair_build")).fetchall()
    return (json.loads(rows[0][0]), json.loads(rows[0][1])) if rows else ({}, None)


def create_snapshot(
    con: duckdb.DuckDBPyConnection,
    snapshots_dir: str | Path,
    dagster_run_id: str | None = None,
    code_version: str | None = None,
    weighting: str = "none",
    sources: Sequence[str] = (),
) -> Snapshot:
    """Freeze `preference_pairs` under `snapshots_dir/<snapshot id>/` and record it: only the
    pairs of `sources` ("reddit", "stackexchange") when given, else every source's, with the
    pair weights of the `weighting` scheme (none: no weight column, so the id is an unweighted one)."""
    rules, build_report = latest_pair_build(con)
    pairs = select_sources(con.sql(sql("select_snapshot_pairs")).to_arrow_table(), sources)
    if pairs.num_rows == 0:
        raise EmptySelectionError("no preference pairs to snapshot: build the pairs first")
    violations = pair_violations(con, pairs, rules.get("later_must_win", PairRules.later_must_win))
    FailedChecksError.unless_passed("pairs", violations, "rebuild the pairs")
    singles, singles_digests = select_singles(con, sources)
    if singles is not None and singles.num_rows:
        FailedChecksError.unless_passed(
            "singles", single_violations(con, singles), "rebuild the singles (`singles build`)"
        )
    pairs = with_pair_weights(pairs, weighting)
    digests = content_digests(con.from_arrow(pairs)).to_arrow_table()
    snapshot_id = snapshot_id_for(con.from_arrow(pa.concat_tables([digests, singles_digests])))
    path = Path(snapshots_dir) / snapshot_id
    counts = {**_counts(pairs), **({"singles": single_counts(singles)} if len(singles_digests) else {})}
    created = not (path / "manifest.json").exists()
    if created:
        sources, attribution = sources_manifest(con, pairs)
        manifest = {
            "snapshot_id": snapshot_id,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "rules": rules,
            "weighting": weighting_manifest(weighting),
            "counts": counts,
            "columns": dataset_columns(pairs.column_names),
            "sources": sources,
            "dagster_run_id": dagster_run_id,
            "code_version": code_version,
            "score_age": score_age_summary(con, pairs),
        }
        card = dataset_card(con, pairs, manifest, build_report)
        write_snapshot_dir(pairs, path, manifest, attribution, card, singles)
    _record_snapshot(con, snapshot_id, path, rules, counts, dagster_run_id, code_version, pairs, digests)
    if singles is not None:
        with transaction(con):
            record_singles(con, snapshot_id, singles, singles_digests)
    return Snapshot(snapshot_id, path, counts, created)


def _counts(pairs: pa.Table) -> dict[str, int]:
    counts = {split: pc.sum(pc.equal(pairs["split"], split)).as_py() or 0 for split in SPLITS}
    counts["total"] = pairs.num_rows
    counts["posts"] = len(pc.unique(pairs["post_id"]))
    counts["subreddits"] = len(pc.unique(pairs["subreddit"]))
    return counts


def write_snapshot_dir(
    pairs: pa.Table,
    path: Path,
    manifest: dict,
    attribution: pa.Table | None = None,
    card: str | None = None,
    singles: pa.Table | None = None,
) -> None:
    """pairs.parquet, dataset/, manifest.json, the dataset card README.md (when given), the
    singles' files when there are any (assets/snapshot/singles.py) and, when it has Stack
    Exchange pairs, their attribution.parquet, written aside and renamed into `path`."""
    # Imported here, not with the module: loading the definitions need not pay for datasets.
    from datasets import Dataset, DatasetDict

    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    try:
        pq.write_table(pairs, staging / "pairs.parquet")
        dataset_table = pairs.select(dataset_columns(pairs.column_names))
        splits = {split: Dataset(dataset_table.filter(pc.equal(pairs["split"], split))) for split in SPLITS}
        # One shard per split even when empty: with none, datasets writes no data file for
        # an empty split and then cannot load the DatasetDict (IndexError in concat_tables).
        DatasetDict(splits).save_to_disk(str(staging / "dataset"), num_shards={split: 1 for split in SPLITS})
        if attribution is not None and attribution.num_rows:
            pq.write_table(attribution, staging / "attribution.parquet")
        if singles is not None and singles.num_rows:
            write_singles(singles, staging)
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if card is not None:
            (staging / "README.md").write_text(card)
        staging.rename(path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _record_snapshot(con, snapshot_id, path, rules, counts, dagster_run_id, code_version, pairs, digests):
    con.register("snapshot_pair_rows", pairs)
    con.register("snapshot_pair_digests", digests)
    try:
        with transaction(con):
            con.execute(
                sql("insert_into_snapshots"),
                {
                    "snapshot_id": snapshot_id,
                    "path": str(path),
                    "rules": json.dumps(rules),
                    "counts": json.dumps(counts),
                    "dagster_run_id": dagster_run_id,
                    "code_version": code_version,
                },
            )
            con.execute(sql("insert_into_snapshot_pairs"), {"snapshot_id": snapshot_id})
    finally:
        con.unregister("snapshot_pair_rows")
        con.unregister("snapshot_pair_digests")


class NoSnapshotError(UserError):
    """Training needs a snapshot and there is none."""


def latest_snapshot(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(snapshot id, path) of the snapshot `pair_snapshot` last produced: not the newest made
    when the last run reused an older one (a forget request can bring back an earlier selection)."""
    rows = con.execute(sql("select_latest_snapshot")).fetchall()
    if not rows:
        raise NoSnapshotError("no snapshot yet: materialize pair_snapshot first")
    return rows[0]
