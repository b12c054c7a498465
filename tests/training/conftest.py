"""Fixtures for the trainer tests: a small snapshot, and the tiny model's directory and tokenizer
(built once into the shared model cache)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.training.snapshots import pair_rows, write_snapshot


@pytest.fixture
def snapshot(tmp_path) -> Path:
    """6 train pairs and 2 eval pairs."""
    return write_snapshot(tmp_path / "snapshot", pair_rows(6), pair_rows(2, offset=6))


@pytest.fixture(
    params=["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU"))]
)
def device(request) -> torch.device:
    """Each device the test can run on here: the CPU, and a CUDA GPU when torch sees one."""
    return torch.device(request.param)


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
