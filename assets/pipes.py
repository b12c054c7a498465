"""What the assets that launch a process through Dagster Pipes (`dpo_model`, `model_eval`) share."""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from training.errors import ERROR_FILE_ENV, UserError


class LaunchedProcessError(UserError):
    """A mistake the launched process found and named (a diverged run, a value it refused)."""


@contextmanager
def pipes_preview_warning_ignored() -> Iterator[None]:
    """Around a `PipesSubprocessClient.run`: Dagster's own Pipes message handler reads the preview
    property `PipesMessageReader.expected_writer_count` on every run, which no code of ours uses,
    so each `train` and `eval` printed a PreviewWarning about Dagster's internals. Only that
    warning is ignored, by category and message, and only here; any other still shows."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"Function `PipesMessageReader\.expected_writer_count`", category=dg.PreviewWarning
        )
        yield


@contextmanager
def user_errors_handed_back() -> Iterator[dict[str, str]]:
    """Around a `PipesSubprocessClient.run`: the environment the process needs to hand back the
    message of its UserError (training/errors.py: ERROR_FILE_ENV); a failed run whose process
    did is raised as that message, a `LaunchedProcessError`, instead of Dagster's "External
    execution process failed with code 1"."""
    # Not exported at dagster's top level (1.13).
    from dagster._core.errors import DagsterPipesExecutionError

    with tempfile.TemporaryDirectory(prefix="upvote-dpo-") as folder:
        message = Path(folder) / "error.txt"
        try:
            yield {ERROR_FILE_ENV: str(message)}
        except DagsterPipesExecutionError:
            if message.is_file():
                raise LaunchedProcessError(message.read_text().strip()) from None
            raise
