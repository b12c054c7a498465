"""The audit: which pairs trained a model, which models used a pair, comment, author or subreddit.

An author used a pair when they wrote either comment or the post, whose title and text are
its prompt.

Answers come from the lineage tables (`snapshots`, `snapshot_pairs`, `training_runs`,
`training_run_pairs`) and `forget_requests`; every answer is a plain JSON-ready dict, which
`upvote-dpo audit ...` prints as a table, JSON or CSV. A model folder alone is enough to
start: its `training_manifest.json` names the run. The queries only read, so they work on
a read-only connection (the view they share is temporary, per connection).

    audit_model(con, "data/warehouse/models/<dir>", list_pairs=True)
    audit_usage(con, "comment", "t1_abc123")
    verify(con, "data/warehouse/models/<dir>")
    forget(con, "author", "someone", reason="user request")
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import duckdb

from assets.warehouse.connect import sql_folder
from training.config import differing_keys
from training.errors import UserError
from training.outputs import MANIFEST, files_digest, model_files, read_manifest

sql = sql_folder(__file__)

WEIGHTS = "model.safetensors"
# What `audit_usage` can audit, each with the query that fills the temporary table
# matched_pairs with its frozen pairs: the filters differ (an author is matched on three
# columns, a comment on two), so one file per kind, named here.
MATCHED_PAIRS_BY = {
    "pair": "create_matched_pairs_by_pair",
    "comment": "create_matched_pairs_by_comment",
    "author": "create_matched_pairs_by_author",
    "subreddit": "create_matched_pairs_by_subreddit",
}
USAGE_KINDS = tuple(MATCHED_PAIRS_BY)
FORGET_KINDS = ("comment", "author")
PREVIEW_PAIRS = 10  # pairs `audit_model` shows without list_pairs
JSON_COLUMNS = {"rules", "counts", "hyperparameters", "final_metrics"}


class AuditError(UserError):
    """An audit that cannot be answered: unknown id, missing manifest. One line, for the CLI."""


# --- helpers -----------------------------------------------------------------------


def normalise(kind: str, value: str) -> str:
    """Reddit ids without "t1_"/"t3_", names without "u/"/"r/"; pair ids as given. Authors
    are lowercased: Reddit names are case-insensitive, and the queries compare them so."""
    value = value.strip()
    prefixes = {"comment": ("t1_",), "author": ("/u/", "u/"), "subreddit": ("/r/", "r/")}
    for prefix in prefixes.get(kind, ()):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    return value.lower() if kind == "author" else value


def read_training_manifest(model_dir: str | Path) -> dict:
    path = Path(model_dir) / MANIFEST
    if not path.is_file():
        raise AuditError(f"no {MANIFEST} in {model_dir}: not a model folder written by the trainer")
    return read_manifest(model_dir)


def _value(column: str, value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if column in JSON_COLUMNS and isinstance(value, str):
        return json.loads(value)
    return value


def _query(con: duckdb.DuckDBPyConnection, name: str, **params) -> duckdb.DuckDBPyRelation:
    """The named query with its parameters bound, as a relation (fully read by whoever uses it)."""
    return con.sql(sql(name), params=params or None)


def _records(relation: duckdb.DuckDBPyRelation) -> list[dict]:
    names = relation.columns
    return [{n: _value(n, v) for n, v in zip(names, row)} for row in relation.fetchall()]


def _record(relation: duckdb.DuckDBPyRelation) -> dict | None:
    rows = _records(relation)
    return rows[0] if rows else None


# --- audit model -------------------------------------------------------------------


def resolve_run_id(con: duckdb.DuckDBPyConnection, path_or_run_id: str | Path) -> tuple[str, Path | None]:
    """(run id, model folder or None) for a model folder or a run id."""
    path = Path(path_or_run_id)
    if path.is_dir():
        return read_training_manifest(path)["run_id"], path.resolve()
    run_id = str(path_or_run_id)
    if not _query(con, "select_training_run", run_id=run_id).fetchall():
        raise AuditError(f"no model folder or training run {run_id!r}")
    return run_id, None


def audit_model(con: duckdb.DuckDBPyConnection, path_or_run_id: str | Path, list_pairs: bool = False) -> dict:
    """A run, its snapshot, what it saw, and the pairs it saw (all, or the first few).

    {"model_dir", "run": {...training_runs}, "snapshot": {...snapshots},
     "evaluations": [{baseline, evaluated_at, key figures, gate_passed}] (model_evals, newest first),
     "counts": {snapshot_pairs, snapshot_train_pairs, pairs_seen, train_pairs_seen, ...},
     "pairs": [{pair_id, post_id, subreddit, split, chosen_id, rejected_id, post_author, chosen_author,
                rejected_author, scores, epoch, first_step, times_seen, sources and lines, in_snapshot,
                forgotten_by}],
     "pairs_listed": "all" | "first N"}
    """
    run_id, model_dir = resolve_run_id(con, path_or_run_id)
    run = _record(_query(con, "select_training_run", run_id=run_id))
    if run is None:
        raise AuditError(f"run {run_id} (from {model_dir / MANIFEST}) is not recorded in the warehouse")
    con.execute(sql("create_audit_views"))
    keys = {"run_id": run_id, "snapshot_id": run["snapshot_id"]}
    snapshot = _record(_query(con, "select_snapshot", snapshot_id=run["snapshot_id"]))
    counts = _record(_query(con, "count_training_run_pairs", **keys))
    limit = None if list_pairs else PREVIEW_PAIRS
    # Arrow builds the dicts in C++, faster than from fetchall() rows for a full listing.
    pairs = _query(con, "select_training_run_pairs", **keys, limit=limit).to_arrow_table().to_pylist()
    return {
        "model_dir": str(model_dir or run["model_path"]),
        "run": run,
        "snapshot": snapshot,
        "evaluations": _records(_query(con, "select_model_evals", run_id=run_id)),
        "counts": counts,
        "pairs": pairs,
        "pairs_listed": "all" if list_pairs or len(pairs) == counts["pairs_seen"] else f"first {limit}",
    }


# --- audit pair / comment / author / subreddit ---------------------------------------


def audit_usage(con: duckdb.DuckDBPyConnection, kind: str, value: str) -> dict:
    """Every snapshot and training run that used the pairs of a pair id, comment, author or subreddit.

    {"kind", "value", "found_in": {snapshot_pairs, raw_comments, raw_posts, current_pairs},
     "comment": {...reddit_comments} | None, "forgotten": bool, "forget_requests": [...],
     "counts": {pairs, snapshots, models, models_trained_on, forgotten_pairs},
     "snapshots": [{snapshot_id, created_at, path, pairs, train_pairs, eval_pairs, forgotten_pairs}],
     "models": [{run_id, model_path, status, snapshot_id, finished_at, model_sha256,
                 pairs_in_snapshot, train_pairs_in_snapshot, pairs_seen, times_seen,
                 forgotten_pairs_seen}]}
    """
    answer = _usage(con, kind, value)
    found = answer["found_in"]
    if not (any(found.values()) or answer["forget_requests"]):
        raise AuditError(f"no {kind} {answer['value']!r} in the warehouse")
    return answer


def _usage(con: duckdb.DuckDBPyConnection, kind: str, value: str) -> dict:
    if kind not in USAGE_KINDS:
        raise AuditError(f"cannot audit a {kind!r}: use one of {', '.join(USAGE_KINDS)}")
    value = normalise(kind, value)
    con.execute(sql("create_audit_views"))
    # A temporary table rather than an Arrow one: `audit author NAME` then needs no pyarrow,
    # whose import took longer than the whole question (benchmarks/cli.py).
    con.execute(sql(MATCHED_PAIRS_BY[kind]), {"value": value})
    try:
        snapshots = _records(_query(con, "select_snapshots_using_pairs"))
        models = _records(_query(con, "select_training_runs_using_pairs"))
        comment = _record(_query(con, "select_reddit_comment", id=value)) if kind == "comment" else None
        author = value if kind == "author" else (comment or {}).get("author")
        requests = _records(
            _query(con, "select_forget_requests_for", comment=value if kind == "comment" else None, author=author)
        )
        subject = {name: value if name == kind else None for name in USAGE_KINDS}
        raw_comments, raw_posts, current_pairs = _query(con, "count_audit_subject", **subject).fetchall()[0]
        matched_pairs, forgotten_pairs = _query(con, "count_matched_pairs").fetchall()[0]
    finally:
        con.execute(sql("drop_matched_pairs"))
    return {
        "kind": kind,
        "value": value,
        "found_in": {
            "snapshot_pairs": matched_pairs,
            "raw_comments": raw_comments,
            "raw_posts": raw_posts,
            "current_pairs": current_pairs,
        },
        "comment": comment,
        # For a subreddit: whether any of its pairs is excluded; otherwise the subject itself.
        "forgotten": bool(requests) if kind != "subreddit" else forgotten_pairs > 0,
        "forget_requests": requests,
        "counts": {
            "pairs": matched_pairs,
            "snapshots": len(snapshots),
            "models": len(models),
            "models_trained_on": sum(1 for m in models if m["pairs_seen"]),
            "forgotten_pairs": forgotten_pairs,
        },
        "snapshots": snapshots,
        "models": models,
    }


# --- verify ------------------------------------------------------------------------


def snapshot_id_from_ledger(con: duckdb.DuckDBPyConnection, snapshot_id: str) -> tuple[str | None, int, int]:
    """(the id recomputed from the pair ids and row digests `snapshot_pairs` holds for it, how
    many pairs it holds, how many of those have no digest); the id is None unless all have one."""
    # Imported here: assets.snapshot.freeze loads `datasets`, a second more for every command.
    from assets.snapshot.freeze import snapshot_id_for

    recorded = _query(con, "select_snapshot_pair_digests", snapshot_id=snapshot_id).to_arrow_table()
    return snapshot_id_for(con.from_arrow(recorded)), recorded.num_rows, recorded["content_sha256"].null_count


def _check(name: str, ok: bool | None, expected=None, actual=None, detail: str = "") -> dict:
    return {"check": name, "ok": ok, "expected": expected, "actual": actual, "detail": detail}


def verify(con: duckdb.DuckDBPyConnection, model_dir: str | Path) -> dict:
    """Recompute the model files' hashes and the snapshot id, and compare them with the records.

    The model: the weights' sha256 and every other file's (config, tokenizer, chat template,
    which change what the model does) against its manifest and the warehouse. The snapshot:
    its id recomputed from the row digests the ledger recorded and from pairs.parquet itself
    (each row's digest recomputed), so an edited text or split is caught; then dataset/ (what
    trainers read) and the ledger's own columns against pairs.parquet.
    {"model_dir", "run_id", "snapshot_id", "ok": bool (no check failed; skipped ones are None),
     "checks": [{check, ok, expected, actual, detail}]}
    """
    manifest = read_training_manifest(model_dir)
    model_dir = Path(model_dir).resolve()
    run_id, snapshot_id = manifest["run_id"], manifest["snapshot_id"]
    run = _record(_query(con, "select_training_run", run_id=run_id))
    checks = []

    files = model_files(model_dir)  # the weights among them: each file is read once
    actual = files.get(WEIGHTS)
    recorded = manifest["output"]["weights_sha256"]
    checks.append(
        _check(
            "weights sha256 = manifest",
            actual is not None and actual == recorded,
            recorded,
            actual,
            "" if actual else f"{WEIGHTS} is missing",
        )
    )
    if run is None:
        checks.append(_check("run recorded in warehouse", False, run_id, None, "not in training_runs"))
    else:
        checks.append(
            _check(
                "weights sha256 = warehouse",
                actual is not None and actual == run["model_sha256"],
                run["model_sha256"],
                actual,
            )
        )
        checks.append(
            _check(
                "snapshot id = warehouse",
                run["snapshot_id"] == snapshot_id,
                snapshot_id,
                run["snapshot_id"],
                "the manifest's snapshot against training_runs",
            )
        )
    checks += _model_file_checks(files, manifest, run)

    ledger_id, ledger_pairs, undigested = snapshot_id_from_ledger(con, snapshot_id)
    # A snapshot recorded before row digests has an id of its pair ids alone, which no id
    # recomputed from content can match: its content cannot be checked, which is not a mismatch.
    unchecked = (
        (
            f"skipped: recorded before content digests ({undigested} of {ledger_pairs} pairs have none); "
            "its id covers the pair ids alone, so its content cannot be checked"
        )
        if undigested
        else ""
    )
    if unchecked:
        checks.append(_check("snapshot id from snapshot_pairs", None, snapshot_id, None, unchecked))
    else:
        checks.append(
            _check(
                "snapshot id from snapshot_pairs",
                ledger_id == snapshot_id,
                snapshot_id,
                ledger_id,
                "" if ledger_pairs else "snapshot_pairs holds no pairs for it",
            )
        )

    snapshot = _record(_query(con, "select_snapshot", snapshot_id=snapshot_id)) or {}
    folders = [Path(p) for p in (manifest.get("snapshot_dir"), snapshot.get("path")) if p]
    parquet = next((folder / "pairs.parquet" for folder in folders if (folder / "pairs.parquet").is_file()), None)
    if parquet is None:
        checks.append(
            _check(
                "snapshot id from pairs.parquet",
                None,
                snapshot_id,
                None,
                "skipped: no pairs.parquet in " + (" or ".join(map(str, folders)) or "any known folder"),
            )
        )
    else:
        checks += _snapshot_file_checks(con, snapshot_id, parquet, unchecked)

    seen = _query(con, "select_training_run_pair_ids", run_id=run_id, snapshot_id=snapshot_id).to_arrow_table()
    manifest_ids = {pair["pair_id"] for pair in manifest.get("pairs", [])}
    warehouse_ids = set(seen["pair_id"].to_pylist())
    differ = len(manifest_ids ^ warehouse_ids)
    checks.append(
        _check(
            "pairs seen: manifest = warehouse",
            differ == 0,
            len(manifest_ids),
            len(warehouse_ids),
            f"{differ} pair ids in only one of them" if differ else "",
        )
    )
    outside = sum(seen["outside_train_split"].to_pylist())
    checks.append(_check("pairs seen are train pairs of the snapshot", outside == 0, 0, outside))
    return {
        "model_dir": str(model_dir),
        "run_id": run_id,
        "snapshot_id": snapshot_id,
        "ok": all(check["ok"] is not False for check in checks),
        "checks": checks,
    }


def _snapshot_file_checks(
    con: duckdb.DuckDBPyConnection, snapshot_id: str, parquet: Path, unchecked: str
) -> list[dict]:
    """pairs.parquet (read once) against the snapshot id, and dataset/ and the ledger's own
    columns against pairs.parquet. `unchecked`: why the id cannot be checked, if it cannot."""
    from assets.snapshot.freeze import content_digests, dataset_differences, rows_differing, snapshot_id_for

    frozen = con.read_parquet(str(parquet))
    if unchecked:
        checks = [_check("snapshot id from pairs.parquet", None, snapshot_id, None, unchecked)]
    else:
        file_id = snapshot_id_for(content_digests(frozen))
        checks = [_check("snapshot id from pairs.parquet", file_id == snapshot_id, snapshot_id, file_id, str(parquet))]
    try:
        differ = dataset_differences(con, parquet.parent, frozen)
        detail = ", ".join(
            f"{split}: {n} {'row differs' if n == 1 else 'rows differ'}" for split, n in differ.items() if n
        )
    except (OSError, ValueError, KeyError) as err:  # a missing or unreadable dataset/
        differ, detail = {"unreadable": 1}, f"dataset/ unreadable: {err}"
    checks.append(
        _check("snapshot dataset/ = pairs.parquet", not any(differ.values()), 0, sum(differ.values()), detail)
    )
    recorded = _query(con, "select_snapshot_ledger", snapshot_id=snapshot_id)
    shared = [c for c in recorded.columns if c in frozen.columns]
    off = rows_differing(recorded.select(*shared), frozen.select(*shared))
    checks.append(
        _check(
            "snapshot_pairs = pairs.parquet",
            off == 0,
            0,
            off,
            f"{off} rows differ in {', '.join(shared)}" if off else "",
        )
    )
    return checks


def _model_file_checks(actual: dict[str, str], manifest: dict, run: dict | None) -> list[dict]:
    """Every model file's sha256 (`actual`, from `model_files`) against the manifest, and their
    digest against the warehouse."""
    recorded = manifest["output"].get("files_sha256")
    if recorded is None:
        return [
            _check(
                "model files sha256 = manifest",
                None,
                detail="skipped: the run predates hashes of every model file (its weights are checked above)",
            )
        ]
    differ = differing_keys(recorded, actual)
    checks = [
        _check(
            "model files sha256 = manifest",
            not differ,
            len(recorded),
            len(actual),
            f"changed, missing or added: {', '.join(differ)}" if differ else "",
        )
    ]
    if run is not None:
        digest = files_digest(actual)
        checks.append(
            _check(
                "model files sha256 = warehouse", digest == run["model_files_sha256"], run["model_files_sha256"], digest
            )
        )
    return checks


# --- forget ------------------------------------------------------------------------


def forget(con: duckdb.DuckDBPyConnection, kind: str, value: str, reason: str | None = None) -> dict:
    """Record a forget request (again: no change) and say which snapshots and models used it.

    The next snapshot leaves out every pair of the comment, or with a comment or the post by the
    author (select_snapshot_pairs.sql); nothing is deleted. {"kind", "value", "new": bool,
    "request": {kind, value, requested_at, reason}, "counts", "snapshots", "models"} (the last
    three as in `audit_usage`).
    """
    if kind not in FORGET_KINDS:
        raise AuditError(f"cannot forget a {kind!r}: use one of {', '.join(FORGET_KINDS)}")
    value = normalise(kind, value)
    if not value:
        raise AuditError(f"an empty {kind} cannot be forgotten")
    new = bool(
        con.execute(sql("insert_into_forget_requests"), {"kind": kind, "value": value, "reason": reason}).fetchall()
    )
    request = _record(_query(con, "select_forget_request", kind=kind, value=value))
    usage = _usage(con, kind, value)
    return {
        "kind": kind,
        "value": value,
        "new": new,
        "request": request,
        "counts": usage["counts"],
        "snapshots": usage["snapshots"],
        "models": usage["models"],
    }
