"""The dataset card every snapshot folder gets, and each side's score age in the manifest and ledger."""

from __future__ import annotations

import pytest
import yaml

from assets.pairs.rules import PairRules, build_pairs
from assets.snapshot.freeze import create_snapshot
from tests.pairs.test_rules import comment, insert, post

HOUR = 3600


@pytest.fixture
def snapshot(con, tmp_path):
    """Two posts in two communities; three of the four comments have a known score age."""
    insert(
        con,
        [post("p1"), post("p2", subreddit="AskY")],
        [
            comment("a", 3, 100, score_age_s=48 * HOUR, source="dump:RC_x.zst"),
            comment(
                "b", 30, 200, score_age_s=72 * HOUR, body="a longer answer than the first one", source="dump:RC_x.zst"
            ),
            comment("young", 90, 300, score_age_s=HOUR, source="dump:RC_x.zst"),  # left out: 1 h
            comment("c", 4, 100, post_id="p2", subreddit="AskY", score_age_s=30 * HOUR, source="praw:AskY:2025-01-01"),
            comment("d", 20, 200, post_id="p2", subreddit="AskY", source="praw:AskY:2025-01-01"),  # unknown age
        ],
    )
    report = build_pairs(con, PairRules())
    assert report.kept == 2 and report.removed_by_rule["score_age"] == 2
    return create_snapshot(con, tmp_path / "snapshots")


def card_of(snapshot) -> tuple[dict, str]:
    text = (snapshot.path / "README.md").read_text()
    assert text.startswith("---\n")
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


def test_every_snapshot_has_a_dataset_card_with_a_yaml_header(snapshot):
    header, _ = card_of(snapshot)
    assert header["license"] == "other" and header["license_link"].startswith("https://")
    assert header["task_categories"] == ["text-generation"]
    assert header["size_categories"] == ["n<1K"]
    (config,) = header["configs"]
    assert config["config_name"] == "default"
    assert config["data_files"] == [
        {"split": "train", "path": "dataset/train/*.arrow"},
        {"split": "eval", "path": "dataset/eval/*.arrow"},
    ]
    for data_files in config["data_files"]:
        assert list(snapshot.path.glob(data_files["path"])), data_files


def test_the_card_has_rules_removals_weights_score_age_bias_sources_and_limits(snapshot):
    _, body = card_of(snapshot)
    sections = [line[3:] for line in body.splitlines() if line.startswith("## ")]
    assert sections == [
        "Pair rules",
        "Counts and removals",
        "Pair weights",
        "Score age",
        "Bias",
        "Sources and terms",
        "Known limits",
    ]
    assert "| min_score_age_hours          | 24.0 " in body
    assert "| score_age         | 2 " in body  # the waterfall
    assert "| dump:RC_x.zst        | 2 " in body and "| praw:AskY:2025-01-01 | 2 " in body
    assert "Herding" in body
    assert "2 pairs were kept, and 2 are here" in body
    assert f"# upvote-dpo snapshot {snapshot.snapshot_id}" in body


def test_manifest_and_ledger_carry_each_sides_score_age(snapshot, con):
    ages = snapshot.manifest["score_age"]
    # the pairs: b (72 h) over a (48 h), d (unknown) over c (30 h)
    assert ages["chosen"] == {
        "known": 1,
        "unknown": 1,
        "min_hours": 72.0,
        "p10_hours": 72.0,
        "p50_hours": 72.0,
        "p90_hours": 72.0,
    }
    assert (ages["rejected"]["known"], ages["rejected"]["unknown"], ages["rejected"]["min_hours"]) == (2, 0, 30.0)
    assert ages["rejected"]["p50_hours"] == pytest.approx(39.0)
    ledger = con.execute(
        "SELECT chosen_id, chosen_score_age_s, rejected_score_age_s FROM snapshot_pairs ORDER BY chosen_id"
    ).fetchall()
    assert ledger == [("b", 72 * HOUR, 48 * HOUR), ("d", None, 30 * HOUR)]


def test_the_card_is_not_part_of_the_snapshot_id(snapshot, con, tmp_path):
    (snapshot.path / "README.md").write_text("edited by hand\n")
    again = create_snapshot(con, tmp_path / "snapshots")
    assert (again.snapshot_id, again.created) == (snapshot.snapshot_id, False)


def test_the_card_names_the_weighting_scheme_and_its_formulas(snapshot, con, tmp_path):
    _, unweighted = card_of(snapshot)
    assert "None (`weighting: none`)" in unweighted
    weighted = create_snapshot(con, tmp_path / "snapshots", weighting="confidence")
    _, body = card_of(weighted)
    assert "Scheme `confidence`" in body and "- `weight`: 2 * confidence - 1" in body
    assert "- `confidence`: how sure the votes are" in body  # the dataset's new column
