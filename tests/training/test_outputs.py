"""check_model_folder on a real trained folder, and on copies damaged the ways a disk or a
copy damages them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.training.snapshots import train_tiny
from training.outputs import MANIFEST, ModelFolderError, check_model_folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    return train_tiny(tmp_path_factory.mktemp("outputs"), 2, 1, max_steps=1)


@pytest.fixture
def copy(trained, tmp_path) -> Path:
    return Path(shutil.copytree(trained, tmp_path / "model"))


def test_a_finished_model_passes(trained):
    assert check_model_folder(trained)["status"] == "completed"


def test_weights_cut_short_are_refused(copy):
    weights = copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(ModelFolderError, match="model.safetensors is damaged or cut short"):
        check_model_folder(copy)


@pytest.mark.parametrize("damage", ["no manifest", "bad manifest", "unfinished", "no config"])
def test_a_folder_without_a_finished_model_is_refused(copy, damage):
    manifest = copy / MANIFEST
    if damage == "no manifest":
        manifest.unlink()
    elif damage == "bad manifest":
        manifest.write_text("{not json")
    elif damage == "unfinished":
        manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "status": "running"}))
    else:
        (copy / "config.json").unlink()
    with pytest.raises(ModelFolderError, match=str(copy)):
        check_model_folder(copy)
