"""The audit: which pairs trained a model, which models used a pair, comment, author or
subreddit, or a Stack Exchange site, question, answer or user (`assets.audit.stackexchange`).

An author used a pair when they wrote either comment or the post, whose title and text are
its prompt.

Answers come from the lineage tables (`snapshots`, `snapshot_pairs`, `training_runs`,
`training_run_pairs`) and `forget_requests`; every answer is a plain JSON-ready dict, which
`upvote-dpo audit ...` prints as a table, JSON or CSV. A model folder alone is enough to
start: its `training_manifest.json` names the run. The queries only read, so they work on
a read-only connection (the view they share is temporary, per connection).

    audit_model(con, "data/warehouse/models/<dir>", list_pairs=True)
    audit_usage(con, "comment", "t1_abc123")
    forget(con, "author", "someone", reason="user request")
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from assets.audit.records import AuditError, all_records, first_record, query_file, read_training_manifest
from assets.audit.stackexchange import (
    STACKEXCHANGE_KINDS,
    is_stackexchange_user,
    stackexchange_display_name,
    stackexchange_subject,
)
from assets.warehouse.connect import sql_folder
from training.outputs import MANIFEST, pair_weighting

sql = sql_folder(__file__)

# What `audit_usage` can audit, each with the query that fills the temporary table
# matched_pairs with its frozen pairs: the filters differ (an author is matched on three
# columns, a comment on two), so one file per kind, named here.
MATCHED_PAIRS_BY = {
    "pair": "create_matched_pairs_by_pair",
    "comment": "create_matched_pairs_by_comment",
    "author": "create_matched_pairs_by_author",
    "subreddit": "create_matched_pairs_by_subreddit",
    "site": "create_matched_pairs_by_site",
    "question": "create_matched_pairs_by_question",
    "answer": "create_matched_pairs_by_comment",  # an answer is "<site>:<id>" in chosen_id, rejected_id
    "stackexchange_user": "create_matched_pairs_by_stackexchange_user",
}
USAGE_KINDS = tuple(MATCHED_PAIRS_BY)
FORGET_KINDS = ("comment", "author")
PREVIEW_PAIRS = 10  # pairs `audit_model` shows without list_pairs


def normalise(kind: str, value: str) -> str:
    """Reddit ids without "t1_"/"t3_", names without "u/"/"r/"; pair ids as given. Authors
    are lowercased: Reddit names are case-insensitive, and the queries compare them so."""
    if kind in STACKEXCHANGE_KINDS:
        return stackexchange_subject(kind, value)
    value = value.strip()
    prefixes = {"comment": ("t1_",), "author": ("/u/", "u/"), "subreddit": ("/r/", "r/")}
    for prefix in prefixes.get(kind, ()):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    return value.lower() if kind == "author" else value


# --- audit model -------------------------------------------------------------------


def resolve_run_id(con: duckdb.DuckDBPyConnection, path_or_run_id: str | Path) -> tuple[str, Path | None]:
    """(run id, model folder or None) for a model folder or a run id."""
    path = Path(path_or_run_id)
    if path.is_dir():
        return read_training_manifest(path)["run_id"], path.resolve()
    run_id = str(path_or_run_id)
    if not query_file(con, "select_training_run", run_id=run_id).fetchall():
        raise AuditError(f"no model folder or training run {run_id!r}")
    return run_id, None


def audit_model(con: duckdb.DuckDBPyConnection, path_or_run_id: str | Path, list_pairs: bool = False) -> dict:
    """A run, its snapshot, what it saw, and the pairs it saw (all, or the first few).

    {"model_dir", "run": {...training_runs}, "snapshot": {...snapshots},
     "evaluations": [{baseline, evaluated_at, key figures, gate_passed}] (model_evals, newest first),
     "weighting": {scheme, pair_weights, confidence_label_noise} (training.outputs.pair_weighting),
     "counts": {snapshot_pairs, snapshot_train_pairs, pairs_seen, train_pairs_seen, ...},
     "pairs": [{pair_id, post_id, subreddit, split, chosen_id, rejected_id, post_author, chosen_author,
                rejected_author, scores, epoch, first_step, times_seen, sources and lines, in_snapshot,
                forgotten_by}],
     "pairs_listed": "all" | "first N"}
    """
    run_id, model_dir = resolve_run_id(con, path_or_run_id)
    run = first_record(query_file(con, "select_training_run", run_id=run_id))
    if run is None:
        raise AuditError(f"run {run_id} (from {model_dir / MANIFEST}) is not recorded in the warehouse")
    con.execute(sql("create_audit_views"))
    keys = {"run_id": run_id, "snapshot_id": run["snapshot_id"]}
    snapshot = first_record(query_file(con, "select_snapshot", snapshot_id=run["snapshot_id"]))
    counts = first_record(query_file(con, "count_training_run_pairs", **keys))
    limit = None if list_pairs else PREVIEW_PAIRS
    # Arrow builds the dicts in C++, faster than from fetchall() rows for a full listing.
    pairs = query_file(con, "select_training_run_pairs", **keys, limit=limit).to_arrow_table().to_pylist()
    singles = all_records(query_file(con, "select_training_run_singles", **keys))
    counts["singles_seen"] = len(singles)
    return {
        "model_dir": str(model_dir or run["model_path"]),
        "run": run,
        "snapshot": snapshot,
        "evaluations": all_records(query_file(con, "select_model_evals", run_id=run_id)),
        "weighting": pair_weighting(_snapshot_manifest(snapshot), run["hyperparameters"] or {}),
        "counts": counts,
        "pairs": pairs,
        "pairs_listed": "all" if list_pairs or len(pairs) == counts["pairs_seen"] else f"first {limit}",
        "singles": singles,
    }


def _snapshot_manifest(snapshot: dict | None) -> dict | None:
    """The snapshot folder's manifest.json, which alone records its weighting; None when the
    folder is gone or was never recorded."""
    path = Path(snapshot["path"]) / "manifest.json" if snapshot else None
    return json.loads(path.read_text()) if path is not None and path.is_file() else None


# --- audit pair / comment / author / subreddit ---------------------------------------


def audit_usage(con: duckdb.DuckDBPyConnection, kind: str, value: str) -> dict:
    """Every snapshot and training run that used the pairs of a pair id, comment, author or subreddit.

    {"kind", "value", "found_in": {snapshot_pairs, raw_comments, raw_posts, current_pairs},
     "comment": {...reddit_comments} | None, "forgotten": bool, "forget_requests": [...],
     "pair": {as_of, chosen_id, rejected_id, scores, chosen_score_age_hours, rejected_score_age_hours}
             | None (for a pair: its newest snapshot's record, else the current pairs'),
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
        snapshots = all_records(query_file(con, "select_snapshots_using_pairs"))
        models = all_records(query_file(con, "select_training_runs_using_pairs"))
        comment = first_record(query_file(con, "select_reddit_comment", id=value)) if kind == "comment" else None
        pair = first_record(query_file(con, "select_pair_score_ages", pair=value)) if kind == "pair" else None
        author = value if kind == "author" else (comment or {}).get("author")
        requests = all_records(
            query_file(con, "select_forget_requests_for", comment=value if kind == "comment" else None, author=author)
        )
        subject = {name: value if name == kind else None for name in USAGE_KINDS}
        raw_comments, raw_posts, current_pairs = query_file(con, "count_audit_subject", **subject).fetchall()[0]
        matched_pairs, forgotten_pairs = query_file(con, "count_matched_pairs").fetchall()[0]
        # singles are one reply each: of a comment, or by an author (theirs, or under their post)
        single_keys = {"comment": value if kind == "comment" else None, "author": value if kind == "author" else None}
        matched_singles = query_file(con, "count_matched_singles", **single_keys).fetchall()[0][0]
        single_models = all_records(query_file(con, "select_training_runs_using_singles", **single_keys))
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
            "snapshot_singles": matched_singles,
        },
        "comment": comment,
        "pair": pair,
        # For a subreddit: whether any of its pairs is excluded; otherwise the subject itself.
        "forgotten": bool(requests) if kind != "subreddit" else forgotten_pairs > 0,
        "forget_requests": requests,
        "counts": {
            "pairs": matched_pairs,
            "snapshots": len(snapshots),
            "models": len(models),
            "models_trained_on": sum(1 for m in models if m["pairs_seen"]),
            "forgotten_pairs": forgotten_pairs,
            "singles": matched_singles,
            "models_trained_on_singles": sum(1 for m in single_models if m["singles_seen"]),
        },
        "snapshots": snapshots,
        "models": models,
        "models_by_singles": single_models,
    }


# --- forget ------------------------------------------------------------------------


def forget(con: duckdb.DuckDBPyConnection, kind: str, value: str, reason: str | None = None) -> dict:
    """Record a forget request (again: no change) and say which snapshots and models used it.

    The next snapshot leaves out every pair of the comment, or with a comment or the post by the
    author (select_snapshot_pairs.sql); nothing is deleted. A Stack Exchange author is given
    by name, or as `<site>:<user id>` or their profile link, which stands for their name. {"kind", "value", "new": bool,
    "request": {kind, value, requested_at, reason}, "counts", "snapshots", "models"} (the last
    three as in `audit_usage`).
    """
    if kind not in FORGET_KINDS:
        raise AuditError(f"cannot forget a {kind!r}: use one of {', '.join(FORGET_KINDS)}")
    if kind == "author" and is_stackexchange_user(value):
        # Pairs name Stack Exchange authors by display name: the request forgets that name,
        # wherever it wrote (a name another user shares too: forgetting errs on that side).
        value = stackexchange_display_name(con, value)
    value = normalise(kind, value)
    if not value:
        raise AuditError(f"an empty {kind} cannot be forgotten")
    new = bool(
        con.execute(sql("insert_into_forget_requests"), {"kind": kind, "value": value, "reason": reason}).fetchall()
    )
    request = first_record(query_file(con, "select_forget_request", kind=kind, value=value))
    usage = _usage(con, kind, value)
    return {
        "kind": kind,
        "value": value,
        "new": new,
        "request": request,
        "counts": usage["counts"],
        "snapshots": usage["snapshots"],
        "models": usage["models"],
        "models_by_singles": usage["models_by_singles"],
    }
