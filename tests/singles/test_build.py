"""assets.singles: the labels by thread median, the pairs' filters and split, dedup, the
waterfall, and the asset with its checks. Real DuckDB files in tmp_path."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.pairs.rules import PairRules, build_pairs
from assets.singles.assets import SINGLE_CHECKS, preference_singles
from assets.singles.build import build_singles, dedup_singles, waterfall
from assets.singles.config import SingleRules
from assets.warehouse.connect import connect
from assets.warehouse.resources import Warehouse
from tests.pairs.test_rules import comment, insert, post
from training.errors import ConfigError


def labels(con) -> dict[str, bool]:
    return dict(con.execute("SELECT comment_id, label FROM preference_singles").fetchall())


def assert_waterfall_adds_up(report) -> None:
    assert list(report.removed_by_rule) == list(waterfall())
    assert report.candidates - sum(report.removed_by_rule.values()) == report.kept
    for subreddit, removed in report.removed_by_rule_per_subreddit.items():
        kept = sum(report.kept_per_subreddit[subreddit].values())
        assert report.candidates_per_subreddit[subreddit] - sum(removed.values()) == kept


def test_labels_follow_the_threads_median(con):
    """Scores -5, 0, 1, 2, 3, 40: median 1.5. Desirable: >= 2 * 1.5 and >= 10, so 40 only;
    undesirable: <= 0, so -5 and 0. 1, 2 and 3 say nothing alone. With a fraction 0.9 of the
    median (1.35), the 1 is undesirable too; with a floor of 50, the 40 is not desirable."""
    scores = {"a": -5, "b": 0, "c": 1, "d": 2, "e": 3, "f": 40}
    insert(con, [post()], [comment(id, score, 10 + i) for i, (id, score) in enumerate(scores.items())])
    report = build_singles(con)
    assert labels(con) == {"f": True, "a": False, "b": False}
    assert report.removed_by_rule["no_clear_vote"] == 3
    assert (sum(report.desirable.values()), sum(report.undesirable.values())) == (1, 2)
    assert report.desirable_share == pytest.approx(1 / 3)
    assert_waterfall_adds_up(report)
    assert con.execute("SELECT thread_median FROM preference_singles LIMIT 1").fetchone()[0] == 1.5

    build_singles(con, SingleRules(undesirable_median_fraction=0.9))
    assert labels(con) == {"f": True, "a": False, "b": False, "c": False}
    build_singles(con, SingleRules(desirable_min_score=50))
    assert labels(con) == {"a": False, "b": False}


def test_the_pairs_filters_apply_but_not_their_score_floor(con):
    """A reply voted below zero is a single though the pairs' floor (2) drops it from pairs;
    a deleted one, a bot's, the post author's and one under an NSFW post are not singles."""
    insert(
        con,
        [post(), post("p2", over_18=True)],
        [
            comment("up", 40, 10),
            comment("mid", 3, 11),
            comment("down", -3, 12),
            comment("gone", -9, 13, author="[deleted]"),
            comment("bot", -9, 14, author="AutoModerator"),
            comment("op", -9, 15, author="op"),
            comment("nsfw", -9, 16, post_id="p2"),
        ],
    )
    report = build_singles(con)
    assert labels(con) == {"up": True, "down": False}
    removed = {step: n for step, n in report.removed_by_rule.items() if n}
    assert removed == {"nsfw": 1, "deleted": 1, "bot_author": 1, "post_author": 1, "no_clear_vote": 1}
    assert_waterfall_adds_up(report)


def test_duplicates_go_strongest_vote_first(con):
    """The same reply voted up in two threads is one single, the more clearly voted one; a near
    copy (one word changed in a long text) goes too."""
    long = "the quick brown fox jumps over the lazy dog " * 8
    insert(
        con,
        [post(), post("p2"), post("p3")],
        [
            comment("x1", 40, 10, body="Same answer everywhere"),
            comment("x2", 90, 10, post_id="p2", body="same answer, everywhere!"),
            comment("n1", 60, 11, post_id="p3", body=long + "cat"),
            comment("n2", 30, 11, body=long + "cow"),
            *(comment(f"m{i}{p}", 1, 20 + i, post_id=p) for i in range(3) for p in ("p1", "p2", "p3")),
        ],
    )
    report = build_singles(con)
    assert set(labels(con)) == {"x2", "n1"}
    assert (report.removed_by_rule["exact_duplicate"], report.removed_by_rule["near_duplicate"]) == (1, 1)
    assert_waterfall_adds_up(report)
    build_singles(con, SingleRules(exact_dedup=False, near_dedup=False))
    assert set(labels(con)) == {"x1", "x2", "n1", "n2"}


def test_dedup_singles_keeps_the_first_of_each_duplicate():
    steps = dedup_singles(["A b", "a B!", "c"], exact=True, near=False, threshold=0.8, num_perm=64, seed=1)
    assert steps == [None, "exact_duplicate", None]


def test_a_posts_singles_are_on_the_side_of_its_pairs(con):
    """The split is the latest pairs build's: its salt and fraction, by post."""
    posts = [post(f"p{i}") for i in range(30)]
    comments = [
        comment(f"{p['id']}_{k}", score, 10 + k, post_id=p["id"])
        for p in posts
        for k, score in enumerate((2, 5, 40, -4))
    ]
    insert(con, posts, comments)
    build_pairs(con, PairRules(eval_fraction=0.5, split_salt="s"))
    build_singles(con)
    sides = con.execute(
        "SELECT DISTINCT s.post_id, s.split, p.split FROM preference_singles s JOIN preference_pairs p USING (post_id)"
    ).fetchall()
    assert len({post_id for post_id, _, _ in sides}) == 30
    assert all(single == pair for _, single, pair in sides)
    assert {single for _, single, _ in sides} == {"train", "eval"}


def test_a_reply_cannot_be_both_desirable_and_undesirable():
    with pytest.raises(ConfigError, match="--undesirable-max-score"):
        SingleRules(desirable_min_score=5, undesirable_max_score=5)


def test_the_asset_records_the_balance_and_passes_its_checks(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    with connect(db) as con:
        insert(
            con,
            [post()],
            [comment(id, score, 10 + i) for i, (id, score) in enumerate({"a": -5, "f": 40, "c": 1}.items())],
        )
    warehouse = Warehouse(database=str(db), snapshots_dir=str(tmp_path / "s"), models_dir=str(tmp_path / "m"))
    result = dg.materialize([preference_singles], resources={"warehouse": warehouse})
    assert result.success
    metadata = result.asset_materializations_for_node("preference_singles")[0].metadata
    assert metadata["desirable_share"].value == pytest.approx(0.5)
    assert metadata["desirable"].value == {"train": 1, "eval": 0} or metadata["desirable"].value == {
        "train": 0,
        "eval": 1,
    }
    checks = result.get_asset_check_evaluations()
    assert {c.check_name for c in checks} == set(SINGLE_CHECKS) and all(c.passed for c in checks)
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM single_builds").fetchone()[0] == 1
