"""Fixtures for the trainer tests: a small snapshot, and the tiny model's directory and tokenizer
(built once into the shared model cache)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.snapshots import pair_rows, write_snapshot


@pytest.fixture
def snapshot(tmp_path) -> Path:
    """6 train pairs and 2 eval pairs."""
    return write_snapshot(tmp_path / "snapshot", pair_rows(6), pair_rows(2, offset=6))


@pytest.fixture(scope="session")
def tiny_dir() -> Path:
    from training.models import tiny_dir

    return tiny_dir()


@pytest.fixture(scope="session")
def tokenizer(tiny_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_dir)


def pytest_configure(config):
    config.addinivalue_line("markers", "smollm2: loads the real SmolLM2-135M (about 30 s); runs in the normal suite")
