"""Pair weights in a snapshot: the vote model's confidence, each scheme's weights, the manifest
and the id."""

from __future__ import annotations

import math

import numpy as np
import pyarrow.parquet as pq
import pytest
from datasets import load_from_disk

from assets.snapshot.config import WEIGHTINGS, SnapshotSettings
from assets.snapshot.freeze import (
    DATASET_COLUMNS,
    content_digests,
    create_snapshot,
    dataset_differences,
    snapshot_id_for,
)
from assets.snapshot.weights import LOG_RATIO_CAP, vote_confidence
from tests.snapshot.test_freeze import insert_pairs, pair
from training.errors import ConfigError


def test_confidence_is_the_beta_posterior_mass_above_one_half():
    """p ~ Beta(chosen, rejected), confidence = P(p > 1/2), by hand:
    Beta(a, 1) has P(p <= 1/2) = 2^-a: 2 vs 1 -> 3/4, 3 vs 1 -> 7/8;
    Beta(a, 2) has P(p <= 1/2) = 2^-a (1 + a/2): 4 vs 2 -> 1 - 3/16 = 13/16;
    Beta(3, 2): 1 - 2^-3 (1 + 3/2) = 11/16. Equal scores say nothing: 1/2. A score below 1
    counts as 1."""
    chosen = np.array([2, 3, 4, 3, 7, 0])
    rejected = np.array([1, 1, 2, 2, 7, 1])
    assert vote_confidence(chosen, rejected).tolist() == [0.75, 0.875, 13 / 16, 11 / 16, 0.5, 0.5]


def test_the_same_ratio_says_more_with_more_votes():
    few, some, many = vote_confidence(np.array([6, 60, 6000]), np.array([3, 30, 3000]))
    assert 0.5 < few < some < many <= 1.0
    assert many == pytest.approx(1.0)


@pytest.fixture
def scored_pairs(con):
    """Three pairs: chosen vs rejected scores 4 vs 2, 40 vs 5 and 300 vs 2."""
    insert_pairs(
        con,
        [
            pair("a1", chosen_score=4, rejected_score=2, score_ratio=2.0),
            pair("b2", chosen_score=40, rejected_score=5, score_ratio=8.0),
            pair("c3", post_id="p2", split="eval", chosen_score=300, rejected_score=2, score_ratio=150.0),
        ],
    )
    return con


def test_log_ratio_weights_are_capped_and_average_one(scored_pairs, tmp_path):
    """Raw: ln 2, ln 8, ln 10 (150 capped at 10); mean (ln 2 + ln 8 + ln 10) / 3 = ln(160) / 3."""
    snapshot = create_snapshot(scored_pairs, tmp_path / "snapshots", weighting="log_ratio")
    weights = pq.read_table(snapshot.path / "pairs.parquet")["weight"].to_pylist()
    mean = math.log(160) / 3
    expected = [math.log(2) / mean, math.log(8) / mean, math.log(LOG_RATIO_CAP) / mean]
    assert weights == pytest.approx(expected, abs=1e-6)
    assert sum(weights) / 3 == pytest.approx(1.0, abs=1e-6)


def test_confidence_weights_are_twice_the_confidence_less_one(scored_pairs, tmp_path):
    """4 vs 2: confidence 13/16, raw weight 2 * 13/16 - 1 = 5/8; the two others are near-sure
    (raw weight ~1): scaled to mean 1, the weak pair weighs about 5/8 of a sure one."""
    snapshot = create_snapshot(scored_pairs, tmp_path / "snapshots", weighting="confidence")
    table = pq.read_table(snapshot.path / "pairs.parquet")
    confidence = table["confidence"].to_pylist()
    assert confidence[0] == 13 / 16 and confidence[1] > 0.9999 and confidence[2] == 1.0
    raw = [2 * c - 1 for c in confidence]
    assert table["weight"].to_pylist() == pytest.approx([r / (sum(raw) / 3) for r in raw], abs=1e-6)


def test_the_manifest_records_the_scheme_and_the_dataset_carries_the_columns(scored_pairs, tmp_path):
    snapshot = create_snapshot(scored_pairs, tmp_path / "snapshots", weighting="confidence")
    manifest = snapshot.manifest
    assert manifest["weighting"]["scheme"] == "confidence"
    assert "Beta(chosen_score, rejected_score)" in manifest["weighting"]["confidence"]
    assert manifest["columns"][-2:] == ["weight", "confidence"]
    dataset = load_from_disk(str(snapshot.path / "dataset"))
    assert dataset["train"]["confidence"][0] == 13 / 16
    assert dataset["eval"]["weight"] == pq.read_table(snapshot.path / "pairs.parquet")["weight"].to_pylist()[2:]
    # what `audit verify` recomputes: the id from the file, and the dataset against it
    frozen = scored_pairs.read_parquet(str(snapshot.path / "pairs.parquet"))
    assert snapshot_id_for(content_digests(frozen)) == snapshot.snapshot_id
    assert dataset_differences(scored_pairs, snapshot.path, frozen) == {"train": 0, "eval": 0}


def test_each_scheme_is_another_snapshot_and_none_is_the_unweighted_one(scored_pairs, tmp_path):
    """`none` adds no column: its snapshot is byte for byte the one freezing made before
    weights existed, so its id does not move."""
    snapshots = {scheme: create_snapshot(scored_pairs, tmp_path / scheme, weighting=scheme) for scheme in WEIGHTINGS}
    assert len({snapshot.snapshot_id for snapshot in snapshots.values()}) == 3
    unweighted = snapshots["none"]
    assert unweighted.manifest["weighting"] == {"scheme": "none"}
    assert "weight" not in pq.read_table(unweighted.path / "pairs.parquet").column_names
    assert unweighted.manifest["columns"] == list(DATASET_COLUMNS)
    current = scored_pairs.sql("SELECT * FROM preference_pairs ORDER BY pair_id").to_arrow_table()
    assert pq.read_table(unweighted.path / "pairs.parquet").equals(current)


def test_an_unknown_scheme_is_a_config_error():
    assert SnapshotSettings().weighting == "none"
    with pytest.raises(ConfigError, match="--weighting must be one of none, log_ratio, confidence"):
        SnapshotSettings(weighting="votes")
