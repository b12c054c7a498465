"""The Stack Exchange commands.

`upvote-dpo ingest stackexchange PATH`: one Stack Exchange site's dump (a folder of
Posts.xml and the optional Votes, Comments, Users, plain or .zst, or the site's .7z) through
the `stackexchange_dump` asset, as a partition named after the site.
`upvote-dpo pairs stackexchange [--min-score-ratio 2 ...]`: the `stackexchange_pairs` asset."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines.liveness import add_wait_argument
from training.flags import add_dataclass_arguments, dataclass_overrides


def cmd_ingest_stackexchange(args) -> None:
    from assets.ingest.stackexchange.files import find_dump
    from pipelines.cli import CommandError, dagster_instance, materialization, materialize
    from pipelines.resources import build_resources

    dump = find_dump(args.path, args.site)  # a path that is no dump: one line, before any run
    incoming = Path(build_resources(args.db)["stackexchange_archive"].incoming_dir)
    incoming.mkdir(parents=True, exist_ok=True)
    link = incoming / (f"{dump.site}.7z" if dump.is_archive else dump.site)
    if link.exists() and link.resolve() != dump.path:
        raise CommandError(f"{link} already holds another dump of {dump.site}; remove it to ingest {dump.path}")
    if not link.exists():
        link.symlink_to(dump.path)
    dagster_instance(args).add_dynamic_partitions("stackexchange_sites", [dump.site])
    result = materialize(args, ["stackexchange_dump"], partition_key=dump.site)
    meta = materialization(result, "stackexchange_dump")
    files = ", ".join(f"{name}: {meta[name.lower()]}" for name in dump.files)
    print(f"ingested {dump.site}: {files} rows, {meta['rejected']} rejected")


def add_stackexchange_command(ingest_kinds, common: argparse.ArgumentParser) -> None:
    command = ingest_kinds.add_parser(
        "stackexchange",
        parents=[common],
        help="a Stack Exchange site's data dump: a folder with Posts.xml (and Votes, Comments, Users), or <site>.7z",
    )
    command.add_argument("path", help="the site's dump folder or .7z archive")
    command.add_argument("--site", help="the site's name (default: the folder's or archive's name)")
    command.set_defaults(func=cmd_ingest_stackexchange)
    add_wait_argument(command)


def cmd_pairs_stackexchange(args) -> None:
    from assets.pairs.stackexchange.config import StackExchangeRules
    from pipelines.cli import materialization, materialize, validated

    rules = dataclass_overrides(args, StackExchangeRules)
    validated(StackExchangeRules, rules)
    run_config = {"ops": {"stackexchange_pairs": {"config": rules}}}
    pairs = materialization(materialize(args, ["stackexchange_pairs"], run_config=run_config), "stackexchange_pairs")
    print(
        f"Stack Exchange pairs: {pairs['dagster/row_count']} (train {pairs['pairs_train']}, eval {pairs['pairs_eval']})"
    )
    for rule, removed in pairs["removed_by_rule"].items():
        print(f"  removed by {rule}: {removed}")


def add_stackexchange_pairs_command(pairs_actions, common: argparse.ArgumentParser) -> None:
    from assets.pairs.stackexchange.config import StackExchangeRules

    command = pairs_actions.add_parser(
        "stackexchange", parents=[common], help="rebuild the Stack Exchange answer pairs from the se_* tables"
    )
    add_dataclass_arguments(command, StackExchangeRules)
    command.set_defaults(func=cmd_pairs_stackexchange)
    add_wait_argument(command)
