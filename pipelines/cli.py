"""`upvote-dpo`: the command line. Each command runs the same Dagster jobs in-process
against the warehouse's Dagster instance, so its runs appear in that warehouse's UI history.

    upvote-dpo demo                          bundled sample -> pairs -> snapshot -> model
    upvote-dpo ingest dump --comments RC.zst --submissions RS.zst
    upvote-dpo ingest live --day 2026-11-01 --subreddit AskHistorians
    upvote-dpo ingest stackexchange quantumcomputing.stackexchange.com/   a site's dump (or .7z)
    upvote-dpo pairs build --min-score-ratio 3 --max-pairs-per-post 5
    upvote-dpo pairs stackexchange --score-horizon-days 30   Stack Exchange answer pairs
    upvote-dpo singles build --desirable-min-score 20   single replies labelled by votes (KTO)
    upvote-dpo snapshot --weighting confidence          pair weights from the votes (default none)
    upvote-dpo train --model smollm2-135m-instruct --loss sigmoid --beta 0.1 --max-steps 50
    upvote-dpo eval [data/warehouse/models/<id>]         the model against its base, and the gate
    upvote-dpo models                                   every trained model; the current one marked
    upvote-dpo audit model data/warehouse/models/<id>   which pairs trained this model
    upvote-dpo audit author NAME                        which snapshots and models used them
    upvote-dpo forget --author NAME                     leave them out of every later snapshot
    upvote-dpo migrate                                  apply the warehouse's schema migrations

Every command takes `--db PATH` (default: data/warehouse/upvote.duckdb); snapshots, models,
incoming dumps and the Dagster instance (`dagster_home/`, unless DAGSTER_HOME is set) live
beside that file. A path that cannot hold it is one line before anything runs.

An error the user can fix (`training.errors.UserError`: a bad flag value or path, an unknown
day or snapshot, missing credentials, a warehouse in use), raised here or inside a Dagster
run, is printed as one line, `error: <message>`, with exit status 1; any other error is a bug
and shows its traceback. Dagster, torch and the pairs build load only in the commands that
run an asset, so `--help` and the audit commands start about as fast as `import duckdb`
(benchmarks/cli.py).
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import uuid
from pathlib import Path

import duckdb

from assets.pairs.config import PairRules
from assets.singles.config import SingleRules
from assets.snapshot.config import SnapshotSettings
from assets.warehouse.connect import PROJECT_ROOT, cannot_open, default_db_path, prepare_folder
from assets.warehouse.schema import WarehouseSchemaError, migrate_file
from pipelines.audit_cli import add_audit_commands
from pipelines.eval_cli import add_eval_commands
from pipelines.liveness import DEFAULT_WAIT_S, add_wait_argument
from pipelines.stackexchange_cli import add_stackexchange_command, add_stackexchange_pairs_command
from training.config import TrainConfig
from training.errors import UserError
from training.flags import add_dataclass_arguments, closed_stdout_ends_quietly, dataclass_overrides

SAMPLE_DUMPS = (
    PROJECT_ROOT / "data" / "sample" / "RS_praw_cassettes.ndjson.zst",
    PROJECT_ROOT / "data" / "sample" / "RC_praw_cassettes.ndjson.zst",
)


class CommandError(UserError):
    """A failure to report as one line, without a traceback."""


# --- running jobs ------------------------------------------------------------------


def dagster_instance(args):
    """The warehouse's Dagster instance (`pipelines/instance.py`: `dagster_home/` beside the
    DuckDB file unless DAGSTER_HOME is set), opened by the first command that runs an asset:
    the others never import dagster. Opened from its folder, not from DAGSTER_HOME, so that
    commands on two warehouses in one process keep their runs apart."""
    if getattr(args, "instance", None) is None:
        import dagster as dg

        from pipelines.instance import dagster_home

        args.instance_home = str(dagster_home(args.db))
        args.instance = dg.DagsterInstance.from_config(args.instance_home)
    return args.instance


def materialize(
    args,
    asset_names: list[str],
    run_config: dict | None = None,
    partition_key: str | None = None,
    checks_may_fail: bool = False,
):
    """Materialize assets in-process. A `UserError` raised in the run is raised here as itself;
    a failed trainer subprocess or blocking check, as a `CommandError` naming the run (with
    `checks_may_fail`, a failed check returns None instead: the caller reports the verdict);
    anything else propagates with its traceback. The run's full log stays in the instance (UI)."""
    import dagster as dg

    # Not exported at dagster's top level (1.13).
    from dagster._core.errors import (
        DagsterAssetCheckFailedError,
        DagsterPipesExecutionError,
        DagsterUserCodeExecutionError,
    )

    from pipelines.definitions import build_definitions
    from pipelines.liveness import dead_holders_failed_until_claimed, process_tags, wait_for_warehouse

    job = build_definitions(args.db).resolve_implicit_global_asset_job_def()
    # Dagster's console logger prints every event and each failure's stack trace; a user's
    # error is one line here, and a bug's traceback is printed once, by Python.
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    run_id = str(uuid.uuid4())  # what Dagster would draw; known here to name the run on failure
    # Dagster's own wait for a pool slot spins silently and holds off Ctrl-C: wait here instead.
    wait_for_warehouse(dagster_instance(args), getattr(args, "wait", DEFAULT_WAIT_S))
    command = "upvote-dpo " + " ".join(getattr(args, "argv", asset_names))
    try:
        with dead_holders_failed_until_claimed(args.instance_home, run_id):
            return job.execute_in_process(
                run_config={**quiet, **(run_config or {})},
                instance=dagster_instance(args),
                partition_key=partition_key,
                asset_selection=[dg.AssetKey(name) for name in asset_names],
                run_id=run_id,
                tags=process_tags(command),
            )
    except Exception as error:
        # Dagster raises the asset's own exception, or (other versions, other executors) its
        # step error wrapping it; only Dagster's wrappers are looked through, never the
        # context of an error the asset raised while handling another.
        cause = error
        while isinstance(cause, DagsterUserCodeExecutionError) and cause.user_exception is not None:
            cause = cause.user_exception
        if isinstance(cause, UserError):
            raise cause from None
        # The trainer runs in its own process (Pipes) and has printed its traceback there;
        # a failed blocking check names itself. A traceback of Dagster's code adds nothing.
        if checks_may_fail and isinstance(cause, DagsterAssetCheckFailedError):
            return None
        if isinstance(cause, (DagsterPipesExecutionError, DagsterAssetCheckFailedError)):
            raise CommandError(f"run {run_id} failed: {' '.join(str(cause).split())}") from None
        raise


def validated(dataclass_type: type, values: dict, **placeholders) -> None:
    """Build the config once so a bad value fails here, before any run starts."""
    try:
        dataclass_type(**{**placeholders, **values})
    except ValueError as error:
        raise CommandError(str(error)) from None


def materialization(result, asset_name: str) -> dict:
    """The metadata a run recorded for one asset, as plain values."""
    events = result.asset_materializations_for_node(asset_name)
    return {key: value.value for key, value in events[-1].metadata.items()} if events else {}


def ingest_dump_files(args, paths: list[tuple[Path, str | None]]) -> None:
    """Link each file into the incoming folder, register it as a partition, ingest it, with
    the kind it was given as (None: not said). A file holding another kind than it was given
    as is still ingested, each line into its kind's table; a note on stderr says so."""
    from pipelines.resources import build_resources

    incoming = Path(build_resources(args.db)["dump_archive"].incoming_dir)
    incoming.mkdir(parents=True, exist_ok=True)
    for path, given_as in paths:
        try:
            path = path.resolve()
        except (OSError, RuntimeError) as error:  # RuntimeError: a loop of symbolic links
            raise CommandError(f"cannot follow {path}: {error}") from None
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise CommandError(f"no such dump file: {path}") from None
        except OSError as error:  # a name too long for a path, a folder that cannot be searched
            raise CommandError(f"cannot use {path}: {error.strerror}") from None
        if stat.S_ISDIR(mode):
            raise CommandError(f"{path} is a folder: name a dump file (.zst, .ndjson or .jsonl)")
        if not stat.S_ISREG(mode):
            raise CommandError(f"{path} is not a regular file (a pipe or a device?): name a dump file")
        link = incoming / path.name
        if link.exists() and link.resolve() != path:
            raise CommandError(f"{link} already holds a different file named {path.name}")
        if not link.exists():
            link.symlink_to(path)
        dagster_instance(args).add_dynamic_partitions("dump_files", [path.name])
        run_config = {"ops": {"reddit_dump": {"config": {"given_as": given_as}}}}
        result = materialize(args, ["reddit_dump"], run_config=run_config, partition_key=path.name)
        meta = materialization(result, "reddit_dump")
        print(f"ingested {path.name}: {_summary(meta)}")
        if "note" in meta:
            print(f"note: {meta['note']}", file=sys.stderr)


def _summary(metadata: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in metadata.items() if isinstance(v, (int, float)) and not isinstance(v, bool))


# --- commands ----------------------------------------------------------------------


def cmd_ingest_dump(args) -> None:
    given = [(args.submissions, "submissions"), (args.comments, "comments"), *((f, None) for f in args.files)]
    paths = [(Path(p), kind) for p, kind in given if p]
    if not paths:
        raise CommandError("name at least one dump: --comments F, --submissions F or FILE")
    ingest_dump_files(args, paths)


def cmd_ingest_live(args) -> None:
    check_live_day(args.day)
    run_config = {}
    if args.subreddit:
        run_config = {"resources": {"reddit_api": {"config": {"subreddits": args.subreddit}}}}
    result = materialize(args, ["reddit_live"], run_config=run_config, partition_key=args.day)
    meta = materialization(result, "reddit_live")
    print(f"ingested {args.day} ({meta['fetch']} fetch): {_summary(meta)}")


def check_live_day(day: str) -> None:
    """Refuse a day outside the live partitions before a run starts (Dagster's own refusal is
    a traceback)."""
    from assets.ingest.partitions import live_day_partitions

    days = live_day_partitions.get_partition_keys()
    if day not in days:
        raise CommandError(
            f"--day {day} is not a live partition: pick a UTC day from {days[0]} to {days[-1]} "
            "(today's is not over yet), written YYYY-MM-DD"
        )


def cmd_pairs_build(args) -> None:
    rules = dataclass_overrides(args, PairRules)
    validated(PairRules, rules)
    result = materialize(args, ["preference_pairs"], run_config={"ops": {"preference_pairs": {"config": rules}}})
    pairs = materialization(result, "preference_pairs")
    print(f"pairs: {pairs['dagster/row_count']} (train {pairs['pairs_train']}, eval {pairs['pairs_eval']})")
    for rule, removed in pairs["removed_by_rule"].items():
        print(f"  removed by {rule}: {removed}")


def cmd_singles_build(args) -> None:
    rules = dataclass_overrides(args, SingleRules)
    validated(SingleRules, rules)
    result = materialize(args, ["preference_singles"], run_config={"ops": {"preference_singles": {"config": rules}}})
    singles = materialization(result, "preference_singles")
    desirable, undesirable = singles["desirable"], singles["undesirable"]
    print(
        f"singles: {singles['dagster/row_count']} (desirable {sum(desirable.values())}, "
        f"undesirable {sum(undesirable.values())}; desirable share {singles['desirable_share']:.2f})"
    )
    for split in desirable:
        print(f"  {split}: desirable {desirable[split]}, undesirable {undesirable[split]}")
    for rule, removed in singles["removed_by_rule"].items():
        print(f"  removed by {rule}: {removed}")


def cmd_snapshot(args) -> None:
    settings = dataclass_overrides(args, SnapshotSettings)
    validated(SnapshotSettings, settings)
    run_config = {"ops": {"pair_snapshot": {"config": {**settings, "sources": getattr(args, "source", None) or []}}}}
    snapshot = materialization(materialize(args, ["pair_snapshot"], run_config=run_config), "pair_snapshot")
    print(f"snapshot {snapshot['snapshot_id']}: {snapshot['counts']} at {snapshot['path']}")


def cmd_train(args) -> None:
    config = dataclass_overrides(args, TrainConfig)
    validated(TrainConfig, config, snapshot_dir="-", out_dir="-")
    from training.models import check_model

    check_model(config.get("model", "tiny"))
    if args.snapshot != "latest":
        from pipelines.resources import build_resources

        snapshot_dir = Path(build_resources(args.db)["warehouse"].snapshots_dir) / args.snapshot
        try:
            found = (snapshot_dir / "manifest.json").is_file()
        except OSError:  # a name too long for a path
            found = False
        if not found:
            raise CommandError(f"no snapshot {args.snapshot} in {snapshot_dir.parent}")
        config["snapshot_dir"] = str(snapshot_dir)
    result = materialize(args, ["dpo_model"], run_config={"ops": {"dpo_model": {"config": config}}})
    model = materialization(result, "dpo_model")
    print(f"model trained on snapshot {model['snapshot_id']}: {model['model_path']}")
    print(f"  eval before: {_rounded(model['eval_before'])}")
    print(f"  eval after:  {_rounded(model['eval_after'])}")


def _rounded(metrics: dict) -> dict:
    return {name: round(value, 4) if isinstance(value, float) else value for name, value in metrics.items()}


# The demo trains the real SmolLM2-135M-Instruct for a few steps: minutes on 2 CPU cores.
# bf16 autocast is much faster than fp32 on a CPU that has it; the live reference scores
# only the batches seen instead of every pair of the snapshot up front.
DEMO_TRAINING = {
    "model": "smollm2-135m-instruct",
    "max_steps": 4,
    "batch_size": 2,
    "max_length": 192,
    "precision": "bf16",
    "reference": "live",
    "learning_rate": 5e-6,
    "eval_max_pairs": 8,
}


def cmd_demo(args) -> None:
    print(f"warehouse: {args.db}")
    ingest_dump_files(args, [(SAMPLE_DUMPS[0], "submissions"), (SAMPLE_DUMPS[1], "comments")])
    cmd_pairs_build(args)
    cmd_snapshot(args)
    args.snapshot = "latest"
    for name, value in DEMO_TRAINING.items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    cmd_train(args)
    from pipelines.eval_cli import evaluate

    evaluate(args, {})


def cmd_migrate(args) -> None:
    try:
        report = migrate_file(args.db)
    except WarehouseSchemaError as error:
        raise CommandError(str(error)) from None
    except duckdb.IOException as error:
        raise cannot_open(args.db, error) from None
    print("\n".join(report.lines()))


# --- argument parsing --------------------------------------------------------------


def _add_pipeline_commands(commands, common: argparse.ArgumentParser) -> None:
    """demo, ingest, pairs build, singles build, snapshot and train: the commands that run the
    pipeline's assets."""
    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="ingest the bundled sample, build pairs, snapshot them, train SmolLM2-135M for a few steps",
    )
    demo.add_argument("--model", help=f"base model (default: {DEMO_TRAINING['model']})")
    demo.add_argument(
        "--max-steps", dest="max_steps", type=int, help=f"optimizer steps (default: {DEMO_TRAINING['max_steps']})"
    )
    demo.set_defaults(func=cmd_demo)

    ingest = commands.add_parser(
        "ingest", help="load Reddit posts and comments, or a Stack Exchange site, into the raw tables"
    )
    ingest_kinds = ingest.add_subparsers(dest="source", required=True)
    dump = ingest_kinds.add_parser(
        "dump", parents=[common], help="Pushshift / Arctic Shift dump files (.zst or .ndjson)"
    )
    dump.add_argument("--comments", help="a comments dump (RC_...)")
    dump.add_argument("--submissions", help="a submissions dump (RS_...)")
    dump.add_argument("files", nargs="*", help="more dump files, of either kind or both")
    dump.set_defaults(func=cmd_ingest_dump)
    live = ingest_kinds.add_parser(
        "live",
        parents=[common],
        help="one UTC day from Reddit via praw (REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET, REDDIT_USER_AGENT)",
    )
    live.add_argument("--day", required=True, help="the UTC day, YYYY-MM-DD")
    live.add_argument("--subreddit", action="append", help="a subreddit to fetch (repeatable)")
    live.set_defaults(func=cmd_ingest_live)
    add_stackexchange_command(ingest_kinds, common)

    pairs = commands.add_parser("pairs", help="preference pairs")
    pairs_actions = pairs.add_subparsers(dest="action", required=True)
    build = pairs_actions.add_parser("build", parents=[common], help="rebuild the pairs from the raw tables")
    add_dataclass_arguments(build, PairRules)
    build.set_defaults(func=cmd_pairs_build)
    add_stackexchange_pairs_command(pairs_actions, common)

    singles = commands.add_parser("singles", help="single replies labelled desirable or undesirable, for KTO")
    singles_actions = singles.add_subparsers(dest="action", required=True)
    singles_build = singles_actions.add_parser(
        "build", parents=[common], help="rebuild the singles from the raw tables, after the pairs"
    )
    add_dataclass_arguments(singles_build, SingleRules)
    singles_build.set_defaults(func=cmd_singles_build)

    snapshot = commands.add_parser("snapshot", parents=[common], help="freeze the current pairs as a snapshot")
    add_dataclass_arguments(snapshot, SnapshotSettings)
    snapshot.add_argument(
        "--source",
        action="append",
        help="keep only this source's pairs, reddit or stackexchange (repeatable; default: all)",
    )
    snapshot.set_defaults(func=cmd_snapshot)

    train = commands.add_parser(
        "train", parents=[common], help="train a model with DPO (or a variant) on a snapshot: the dpo_model asset"
    )
    train.add_argument("--snapshot", default="latest", help="a snapshot id, or 'latest' (default)")
    add_dataclass_arguments(
        train, TrainConfig, aliases={"out_dir": ["--out"], "loss_type": ["--loss"]}, skip=("snapshot_dir",)
    )
    train.set_defaults(func=cmd_train)
    for command in (demo, dump, live, build, singles_build, snapshot, train):  # each waits for the warehouse
        add_wait_argument(command)


class OneLineParser(argparse.ArgumentParser):
    """A flag or argument that does not parse is one line naming it, exit 1, as any other
    mistake: argparse's own error first prints the command's usage, twenty lines for `train`.
    Its subcommands' parsers are of this class too (argparse makes them of their parent's)."""

    def error(self, message: str):
        self.exit(1, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        type=Path,
        default=default_db_path(),
        help="the DuckDB warehouse file; snapshots, models, incoming dumps and the Dagster "
        "home (dagster_home/) live beside it (default: %(default)s)",
    )
    # Commands that only read the warehouse set this to False.
    common.set_defaults(writes_warehouse=True)
    parser = OneLineParser(prog="upvote-dpo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    _add_pipeline_commands(commands, common)
    add_audit_commands(commands, common)
    add_eval_commands(commands, common)
    migrate = commands.add_parser("migrate", parents=[common], help="apply the warehouse's pending schema migrations")
    migrate.set_defaults(func=cmd_migrate)
    return parser


@closed_stdout_ends_quietly
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)  # names the command in its runs' tags
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    try:
        check_text(args.argv)
        # Before anything loads: a path that cannot hold the warehouse is one line at once.
        if getattr(args, "writes_warehouse", False):
            prepare_folder(args.db)
        args.func(args)
    except UserError as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: the user knows why it stopped
        return 130
    return 0


def check_text(argv: list[str]) -> None:
    """Refuse an argument that is not UTF-8 (Python keeps its bytes as lone surrogates): the
    Dagster instance, which records each run's command and config, cannot store it."""
    for argument in argv:
        try:
            argument.encode()
        except UnicodeEncodeError:
            raw = argument.encode(errors="surrogateescape")
            raise CommandError(f"{raw!r} is not UTF-8 text: retype it, or rename the file to a UTF-8 name") from None


def one_line(error: UserError) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return "; ".join(lines) or type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
