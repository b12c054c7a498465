"""`upvote-dpo audit ...` and `upvote-dpo forget ...`: the lineage questions on the command line.

    upvote-dpo audit model data/warehouse/models/<dir> [--pairs]   (or a run id)
    upvote-dpo audit pair PAIR_ID
    upvote-dpo audit comment [t1_]COMMENT_ID
    upvote-dpo audit author NAME
    upvote-dpo audit subreddit NAME
    upvote-dpo audit verify data/warehouse/models/<dir>
    upvote-dpo audit unrecorded                  finished models the warehouse never recorded
    upvote-dpo forget --comment ID | --author NAME [--reason TEXT]

Audit commands take `--format table|json|csv` (table: a summary and the main rows; json:
the whole answer; csv: the main rows) and open the warehouse read-only, which never writes:
one that lacks a schema migration is refused with the command that applies it (`upvote-dpo
migrate`); `forget` writes one row. Exit status 1, with one line on stderr (`UserError`s,
printed by `pipelines.cli.main`), for an unknown id, a missing manifest or warehouse, a
warehouse to migrate, one another process holds or that is not a DuckDB file, and for `audit
verify` when a record no longer matches; any other error, a DuckDB one included, is a bug and
shows its traceback. `pipelines/cli.py` adds these commands with `add_audit_commands`. They
need duckdb and polars only: no dagster, no torch.
"""

from __future__ import annotations

import argparse
import json
import sys

import duckdb

from assets.audit import queries as audit
from assets.audit.unrecorded import unrecorded_models
from assets.audit.verify import verify
from assets.warehouse.connect import connect
from training.errors import UserError
from training.outputs import weighting_summary

FORMATS = ("table", "json", "csv")
# The columns `--format table` shows of each pair; json and csv carry them all.
PAIR_TABLE_COLUMNS = (
    "pair_id",
    "subreddit",
    "split",
    "chosen_id",
    "rejected_id",
    "post_author",
    "chosen_author",
    "rejected_author",
    "chosen_score",
    "rejected_score",
    "epoch",
    "first_step",
    "times_seen",
    "chosen_from",
    "rejected_from",
    "forgotten_by",
)


class AuditCommandError(UserError):
    """Reported as one line on stderr, exit status 1."""


def open_warehouse(args: argparse.Namespace, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """The warehouse at `--db`. A file that is missing, locked by another process or not a
    DuckDB database is the user's to fix (one line: `connect` raises a `UserError`); an error
    after it opened is not."""
    if read_only and not args.db.is_file():
        raise AuditCommandError(f"no warehouse at {args.db}: run `upvote-dpo demo` or pass --db")
    return connect(args.db, read_only=read_only)


# --- output ------------------------------------------------------------------------


def _cell(value):
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


def emit(answer: dict, rows: list[dict], summary: list[tuple[str, object]], title: str, fmt: str) -> None:
    """json: the answer; csv: the rows; table: the summary then the rows under their title, as
    Markdown tables (polars frames, as every table the project shows)."""
    if fmt == "json":
        print(json.dumps(answer, indent=2))
        return
    import polars as pl

    from assets.frames import markdown

    frame = pl.DataFrame(
        [{k: _cell(v) for k, v in row.items()} for row in rows], strict=False, infer_schema_length=None
    )
    if fmt == "csv":
        sys.stdout.write(frame.write_csv())
        return
    facts = pl.DataFrame({"fact": [key for key, _ in summary], "value": [str(_cell(value)) for _, value in summary]})
    print(markdown(facts))
    print(f"\n{title}")
    if rows:
        print(markdown(frame))


def _source(source, line) -> str | None:
    return f"{source}:{line}" if line is not None else source


def use_rows(answer: dict) -> list[dict]:
    """Snapshots and models of a usage answer, one table: what each used, and how."""
    rows = [
        {
            "used_by": "snapshot",
            "id": s["snapshot_id"],
            "snapshot_id": s["snapshot_id"],
            "path": s["path"],
            "status": None,
            "pairs": s["pairs"],
            "train_pairs": s["train_pairs"],
            "pairs_seen": None,
            "times_seen": None,
            "forgotten_pairs": s["forgotten_pairs"],
        }
        for s in answer["snapshots"]
    ]
    rows += [
        {
            "used_by": "model",
            "id": m["run_id"],
            "snapshot_id": m["snapshot_id"],
            "path": m["model_path"],
            "status": m["status"],
            "pairs": m["pairs_in_snapshot"],
            "train_pairs": m["train_pairs_in_snapshot"],
            "pairs_seen": m["pairs_seen"],
            "times_seen": m["times_seen"],
            "forgotten_pairs": m["forgotten_pairs_seen"],
        }
        for m in answer["models"]
    ]
    rows += [  # KTO models that trained on the subject's replies as singles
        {
            "used_by": "model (singles)",
            "id": m["run_id"],
            "snapshot_id": m["snapshot_id"],
            "path": m["model_path"],
            "status": m["status"],
            "pairs": m["singles_in_snapshot"],
            "train_pairs": None,
            "pairs_seen": m["singles_seen"],
            "times_seen": m["times_seen"],
            "forgotten_pairs": None,
        }
        for m in answer.get("models_by_singles", [])
    ]
    return rows


# --- commands ----------------------------------------------------------------------


def _evaluation(evaluations: list[dict]) -> str:
    """The newest evaluation's key figures and gate verdict, in one cell."""
    if not evaluations:
        return "none yet: `upvote-dpo eval MODEL_DIR`"
    e = evaluations[0]
    accuracy = (
        "n/a"
        if e["reward_accuracy"] is None
        else (f"{e['reward_accuracy']:.3f} [{e['reward_accuracy_low']:.3f}, {e['reward_accuracy_high']:.3f}]")
    )
    return (
        f"gate {'passed' if e['gate_passed'] else 'failed'} ({e['evaluated_at']}): reward accuracy {accuracy}, "
        f"KL/token {e['kl_sampled']:.4f}, out-of-domain NLL {e['ood_nll_increase']:+.4f}"
    )


def cmd_audit_model(args: argparse.Namespace) -> None:
    with open_warehouse(args) as con:
        answer = audit.audit_model(con, args.model, list_pairs=args.pairs)
    run, snapshot, counts = answer["run"], answer["snapshot"] or {}, answer["counts"]
    summary = [
        ("run", run["run_id"]),
        ("model", answer["model_dir"]),
        ("status", run["status"]),
        ("weights sha256", run["model_sha256"]),
        ("base model", run["base_model"]),
        ("trained", f"{run['started_at']} -> {run['finished_at']}"),
        ("snapshot", run["snapshot_id"]),
        ("snapshot created", snapshot.get("created_at")),
        ("snapshot rules", snapshot.get("rules")),
        ("pair weights", weighting_summary(answer["weighting"])),
        ("evaluation", _evaluation(answer["evaluations"])),
        *counts.items(),
    ]
    if args.format == "table":
        rows = [
            {
                column: value
                for column, value in {
                    **pair,
                    "chosen_from": _source(pair["chosen_source"], pair["chosen_source_line"]),
                    "rejected_from": _source(pair["rejected_source"], pair["rejected_source_line"]),
                }.items()
                if column in PAIR_TABLE_COLUMNS
            }
            for pair in answer["pairs"]
        ]
        more = "" if answer["pairs_listed"] == "all" else "; --pairs lists them all"
        title = f"pairs seen ({answer['pairs_listed']} of {counts['pairs_seen']}{more}):"
    else:
        rows, title = answer["pairs"], ""
    emit(answer, rows, summary, title, args.format)


def cmd_audit_usage(args: argparse.Namespace) -> None:
    with open_warehouse(args) as con:
        answer = audit.audit_usage(con, args.kind, args.value)
    summary = [
        (args.kind, answer["value"]),
        *((f"comment {key}", value) for key, value in (answer["comment"] or {}).items() if key != "id"),
        *((f"pair {key}", value) for key, value in (answer["pair"] or {}).items()),
        ("forgotten", answer["forgotten"]),
        *(
            ("forget request", f"{r['kind']}:{r['value']} at {r['requested_at']} ({r['reason'] or 'no reason'})")
            for r in answer["forget_requests"]
        ),
        *((f"in {key}", value) for key, value in answer["found_in"].items()),
        *answer["counts"].items(),
    ]
    emit(answer, use_rows(answer), summary, "used by:", args.format)


def cmd_audit_verify(args: argparse.Namespace) -> None:
    with open_warehouse(args) as con:
        answer = verify(con, args.model)
    summary = [
        ("model", answer["model_dir"]),
        ("run", answer["run_id"]),
        ("snapshot", answer["snapshot_id"]),
        ("ok", answer["ok"]),
    ]
    rows = [{**check, "ok": {True: "ok", False: "FAILED", None: "skipped"}[check["ok"]]} for check in answer["checks"]]
    emit(answer, rows, summary, "checks:", args.format)
    if not answer["ok"]:
        failed = ", ".join(check["check"] for check in answer["checks"] if check["ok"] is False)
        raise AuditCommandError(f"{answer['model_dir']} no longer matches its record: {failed}")


def cmd_audit_unrecorded(args: argparse.Namespace) -> None:
    models_dir = args.db.resolve().parent / "models"  # where pipelines/resources.py puts them
    with open_warehouse(args) as con:
        rows = unrecorded_models(con, models_dir)
    answer = {"models_dir": str(models_dir), "unrecorded": rows}
    summary = [
        ("models folder", models_dir),
        ("unrecorded models", len(rows)),
        *(
            [
                (
                    "to record one",
                    "train again with its snapshot, settings (and --out, if set): the run reuses the folder",
                )
            ]
            if rows
            else []
        ),
    ]
    emit(answer, rows, summary, "finished but not in training_runs:", args.format)


def cmd_forget(args: argparse.Namespace) -> None:
    kind, value = ("comment", args.comment) if args.comment else ("author", args.author)
    with open_warehouse(args, read_only=False) as con:
        answer = audit.forget(con, kind, value, reason=args.reason)
    request = answer["request"]
    state = "recorded" if answer["new"] else f"already recorded at {request['requested_at']}"
    summary = [
        ("forget", f"{kind} {answer['value']} ({state})"),
        ("reason", request["reason"]),
        ("pairs left out of the next snapshot", answer["counts"]["pairs"]),
        ("snapshots that hold them", answer["counts"]["snapshots"]),
        ("models trained on them", answer["counts"]["models_trained_on"]),
        ("singles left out of the next snapshot", answer["counts"]["singles"]),
        ("models trained on them as singles", answer["counts"]["models_trained_on_singles"]),
    ]
    emit(answer, use_rows(answer), summary, "already used by:", args.format)


# --- parsers -----------------------------------------------------------------------


def add_audit_commands(subparsers, common: argparse.ArgumentParser) -> None:
    """Add `audit ...` and `forget` to the `upvote-dpo` subparsers; `common` defines `--db`."""
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parents = [common, output]

    audit_parser = subparsers.add_parser("audit", help="which pairs trained a model, which models used a comment")
    questions = audit_parser.add_subparsers(dest="question", required=True)
    model = questions.add_parser("model", parents=parents, help="the snapshot, counts and pairs that trained a model")
    model.add_argument("model", help="a model folder (holding training_manifest.json) or a training run id")
    model.add_argument("--pairs", action="store_true", help="list every pair the run saw (default: the first 10)")
    model.set_defaults(func=cmd_audit_model, writes_warehouse=False)
    for kind, what in (
        ("pair", "a pair id"),
        ("comment", "a comment id (t1_ prefix allowed)"),
        ("author", "a Reddit user name"),
        ("subreddit", "a subreddit name"),
        ("site", "a Stack Exchange site (quantumcomputing.stackexchange.com)"),
        ("question", "a Stack Exchange question: <site>:<id> or its link"),
        ("answer", "a Stack Exchange answer: <site>:<id> or its link"),
        ("stackexchange_user", "a Stack Exchange user: <site>:<id> or their profile link (by name: audit author)"),
    ):
        usage = questions.add_parser(kind, parents=parents, help=f"every snapshot and model that used {what}")
        usage.add_argument("value", metavar=kind.upper(), help=what)
        usage.set_defaults(func=cmd_audit_usage, kind=kind, writes_warehouse=False)
    verify = questions.add_parser(
        "verify", parents=parents, help="recompute the weights' hash and the snapshot id; exit 1 on a mismatch"
    )
    verify.add_argument("model", help="a model folder (holding training_manifest.json)")
    verify.set_defaults(func=cmd_audit_verify, writes_warehouse=False)
    unrecorded = questions.add_parser(
        "unrecorded", parents=parents, help="finished model folders whose run the warehouse never recorded"
    )
    unrecorded.set_defaults(func=cmd_audit_unrecorded, writes_warehouse=False)

    forget = subparsers.add_parser(
        "forget",
        parents=parents,
        help="leave a comment or author out of every later snapshot; lists the models already trained on them",
    )
    target = forget.add_mutually_exclusive_group(required=True)
    target.add_argument("--comment", help="a comment id (t1_ prefix allowed)")
    target.add_argument(
        "--author", help="a Reddit user name, a Stack Exchange display name, or <site>:<user id> / a profile link"
    )
    forget.add_argument("--reason", help="why (kept with the request)")
    forget.set_defaults(func=cmd_forget)
