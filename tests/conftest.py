"""Fixtures shared by the stage tests: a real DuckDB warehouse file and the shared data."""

from __future__ import annotations

from pathlib import Path

import pytest

from assets.warehouse import connect as warehouse

SHARED_REDDIT = Path(__file__).resolve().parents[2] / "shared" / "data" / "reddit"
# The bundled sample: byte-identical copies of the shared praw_cassettes_*.ndjson.zst
# (data/README.md), so what is built on them runs where ../shared is absent (CI).
PRAW_COMMENTS = warehouse.PROJECT_ROOT / "data" / "sample" / "RC_praw_cassettes.ndjson.zst"
PRAW_SUBMISSIONS = warehouse.PROJECT_ROOT / "data" / "sample" / "RS_praw_cassettes.ndjson.zst"


@pytest.fixture
def con(tmp_path):
    connection = warehouse.connect(tmp_path / "warehouse.duckdb")
    yield connection
    connection.close()


@pytest.fixture
def shared_reddit() -> Path:
    if not SHARED_REDDIT.is_dir():
        pytest.skip(f"shared Reddit data not found at {SHARED_REDDIT}")
    return SHARED_REDDIT


SHARED_STACKEXCHANGE = SHARED_REDDIT.parent / "stackexchange"
# The bundled Stack Exchange sample: 30 questions of the shared quantumcomputing dump with
# their answers, votes and authors, byte-identical lines (data/stackexchange/).
SAMPLE_STACKEXCHANGE = warehouse.PROJECT_ROOT / "data" / "stackexchange" / "quantumcomputing.stackexchange.com"


@pytest.fixture
def quantumcomputing_dump() -> Path:
    """The whole shared quantumcomputing dump where ../shared is present, else the bundled sample."""
    shared = SHARED_STACKEXCHANGE / "quantumcomputing.stackexchange.com"
    return shared if shared.is_dir() else SAMPLE_STACKEXCHANGE
