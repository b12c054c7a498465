"""What the assets that launch a process through Dagster Pipes (`dpo_model`, `model_eval`) share."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg


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
