"""Command-line flags generated from a frozen config dataclass, one per field, and the
exit of a command whose output reader went away (`... | head -1`).

`python -m training` and `upvote-dpo` both use it, so a field added to `TrainConfig` (or
`PairRules`) becomes a flag with its help text and no second copy to keep in step.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import select
import signal
import sys
import typing

# What a shell reports for a command that a closed pipe ended (`yes | head -1`: 141); not 1,
# which says the command failed (for `audit verify`: that the model no longer matches).
CLOSED_STDOUT_STATUS = 128 + signal.SIGPIPE


def scalar_type(annotation):
    """str / int / float / bool from `T` or `Optional[T]`."""
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    return args[0] if args else annotation


def add_dataclass_arguments(
    parser: argparse.ArgumentParser,
    dataclass_type: type,
    aliases: dict[str, list[str]] | None = None,
    required: tuple[str, ...] = (),
    skip: tuple[str, ...] = (),
) -> None:
    """`--field-name` per field (plus `aliases`); flags left unset parse as None."""
    hints = typing.get_type_hints(dataclass_type)
    for field in dataclasses.fields(dataclass_type):
        if field.name in skip:
            continue
        kind = scalar_type(hints[field.name])
        flags = (aliases or {}).get(field.name, []) + ["--" + field.name.replace("_", "-")]
        # argparse %-formats help strings: a literal "%" (as in "~30% fewer") must be doubled
        help_text = f"{field.metadata.get('help', '')} (default: {field.default})".replace("%", "%%")
        if kind is bool:
            parser.add_argument(*flags, dest=field.name, action=argparse.BooleanOptionalAction,
                                default=None, help=help_text)
        else:
            parser.add_argument(*flags, dest=field.name, type=kind, default=None,
                                required=field.name in required, help=help_text)


def dataclass_overrides(args: argparse.Namespace, dataclass_type: type) -> dict:
    """The fields set on the command line; the rest keep the dataclass defaults."""
    return {
        field.name: getattr(args, field.name)
        for field in dataclasses.fields(dataclass_type)
        if getattr(args, field.name, None) is not None
    }


def closed_stdout_ends_quietly(main):
    """Wrap a command's `main(argv) -> status`: when the reader of stdout has gone, end with
    CLOSED_STDOUT_STATUS and no traceback.

    Python's recipe (docs: "Note on SIGPIPE"), not SIGPIPE's default action: that kills the
    process at its next write to any closed pipe or socket, also in the middle of a DuckDB
    transaction or a Dagster run (left STARTED in the instance), skipping every `finally`;
    the BrokenPipeError unwinds through them instead."""

    @functools.wraps(main)
    def run(argv: list[str] | None = None):
        try:
            try:
                status = main(argv)
            except SystemExit:  # --help, or a command's own exit status: its output still goes out
                sys.stdout.flush()
                raise
            sys.stdout.flush()  # buffered output is written here, where a closed pipe can be caught
            return status
        except BrokenPipeError:
            if not _stdout_reader_gone():  # another pipe broke: a real failure
                raise
            # the interpreter flushes stdout once more at exit; let that write go nowhere
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return CLOSED_STDOUT_STATUS

    return run


def _stdout_reader_gone() -> bool:
    """Whether stdout is a pipe or socket whose reading end is closed (poll reports that
    whatever events were asked for: POLLERR for a pipe, POLLHUP for a socket)."""
    poller = select.poll()
    poller.register(sys.stdout.fileno(), 0)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
