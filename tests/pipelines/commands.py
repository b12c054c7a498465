"""What the command-line tests share: a temporary Dagster instance, a command run in-process
with its output captured, and a warehouse holding a snapshot of the bundled sample."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assets.warehouse.connect import PROJECT_ROOT
from pipelines.cli import SAMPLE_DUMPS, main


@contextmanager
def temporary_dagster_home(tmp_path_factory) -> Iterator[Path]:
    """DAGSTER_HOME set to a new folder holding the project's dagster.yaml (pool limit included)."""
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(home))
        yield home


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """`upvote-dpo ARGV` in-process: (exit status, stdout, stderr)."""
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def snapshot_the_sample(db: Path) -> None:
    """Ingest the bundled sample into `db`, build its pairs and freeze them, as a user would."""
    submissions, comments = SAMPLE_DUMPS
    assert (
        main(["ingest", "dump", "--submissions", str(submissions), "--comments", str(comments), "--db", str(db)]) == 0
    )
    assert main(["pairs", "build", "--db", str(db)]) == 0
    assert main(["snapshot", "--db", str(db)]) == 0
