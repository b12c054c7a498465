"""assets.pairs.rules: each rule, orientation, cap, ids, split, dedup, waterfall, rebuilds,
and every invariant on real shared Reddit files. Real DuckDB files in tmp_path."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from pathlib import Path

import orjson
import pyarrow as pa
import pytest
import zstandard

import assets.pairs.rules as pairs_module
from assets.pairs.rules import WATERFALL, PairRules, build_pairs, pair_violations, reddit_text
from assets.warehouse.connect import connect

LONG_ANSWER = (
    "Honestly the best thing you can do is go to office hours every single week, even when "
    "you think you understand the material. The professors remember who shows up, and when "
    "it comes to recommendation letters or a borderline grade that matters a lot more than "
    "people think. Also start the problem sets the day they come out."
)


# --- scaffolding: rows into the raw tables ------------------------------------------


def post(id="p1", **fields) -> dict:
    row = dict(
        id=id,
        subreddit="AskX",
        author="op",
        title=f"Title {id}",
        selftext="Body text",
        score=100,
        created_utc=0,
        over_18=False,
        stickied=False,
        distinguished=None,
        source="test",
    )
    return row | fields


def comment(id, score, created, post_id="p1", **fields) -> dict:
    row = dict(
        id=id,
        post_id=post_id,
        parent_id=f"t3_{post_id}",
        subreddit="AskX",
        author=f"user_{id}",
        body=f"Answer {id}: some words of text",
        score=score,
        created_utc=created,
        score_hidden=False,
        stickied=False,
        distinguished=None,
        edited=False,
        score_age_s=None,  # unknown, as for a source without retrieval times
        source="test",
    )
    return row | fields


def insert(con, posts=(), comments=()) -> None:
    """Plain INSERTs of the given rows (dicts) into the raw tables."""
    for table, rows in (("reddit_submissions", posts), ("reddit_comments", comments)):
        if rows:
            relation = pa.Table.from_pylist(list(rows))
            con.register("rows_in", relation)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows_in")
            con.unregister("rows_in")


def load_shared(con, shared_reddit: Path, name: str) -> None:
    """A shared `<name>_{comments,submissions}.ndjson.zst` pair into the raw tables."""

    def lines(kind):
        path = shared_reddit / f"{name}_{kind}.ndjson.zst"
        with open(path, "rb") as fh:
            reader = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(fh)
            return [orjson.loads(line) for line in io.BufferedReader(reader) if line.strip()]

    posts = [
        post(
            d["id"],
            subreddit=d.get("subreddit"),
            author=d.get("author"),
            title=d.get("title"),
            selftext=d.get("selftext"),
            score=d.get("score"),
            created_utc=int(d["created_utc"]),
            over_18=d.get("over_18"),
            stickied=d.get("stickied"),
            source=f"dump:{name}",
        )
        for d in lines("submissions")
    ]
    comments = [
        comment(
            d["id"],
            d.get("score"),
            int(d["created_utc"]),
            post_id=d["link_id"][3:],
            parent_id=d.get("parent_id"),
            subreddit=d.get("subreddit"),
            author=None if d.get("author") == "[deleted]" else d.get("author"),
            body=d.get("body"),
            score_hidden=d.get("score_hidden"),
            stickied=d.get("stickied"),
            distinguished=d.get("distinguished"),
            edited=bool(d.get("edited")),
            source=f"dump:{name}",
        )
        for d in lines("comments")
    ]
    insert(con, list({p["id"]: p for p in posts}.values()), list({c["id"]: c for c in comments}.values()))


@pytest.fixture
def con(tmp_path):
    connection = connect(tmp_path / "warehouse.duckdb")
    yield connection
    connection.close()


def pairs_of(con) -> set[tuple[str, str]]:
    return set(con.execute("SELECT chosen_id, rejected_id FROM preference_pairs").fetchall())


def assert_waterfall_adds_up(report) -> None:
    assert list(report.removed_by_rule) == list(WATERFALL)
    assert report.candidate_pairs - sum(report.removed_by_rule.values()) == report.kept
    for subreddit, candidates in report.candidate_pairs_per_subreddit.items():
        removed = report.removed_by_rule_per_subreddit[subreddit]
        assert candidates - sum(removed.values()) == report.kept_per_subreddit[subreddit], subreddit
    assert report.train + report.eval == report.kept


# A thread where "b" (later, 10 points) beats "a" (earlier, 3 points): one pair.
BASE = [comment("a", 3, 1000), comment("b", 10, 2000)]


# --- comment rules: "x" (latest, 40 points) would add pairs (x, a) and (x, b) ---------

COMMENT_CASES = [
    # step, overrides of x, rules that drop x, rules that keep x
    ("deleted", {"body": "[deleted]"}, {}, {"drop_deleted": False}),
    ("deleted", {"body": "[removed]"}, {}, {"drop_deleted": False}),
    ("deleted", {"author": None}, {}, {"drop_deleted": False}),
    ("bot_author", {"author": "automoderator"}, {}, {"bot_authors": ""}),
    ("bot_author", {"author": "helper_bot"}, {"bot_authors": "AutoModerator, Helper_Bot"}, {}),
    ("moderator", {"distinguished": "moderator"}, {}, {"drop_moderator_distinguished": False}),
    ("post_author", {"author": "op"}, {}, {"drop_post_author": False}),
    ("stickied", {"stickied": True}, {}, {"drop_stickied": False}),
    ("score_hidden", {"score_hidden": True}, {}, {"drop_score_hidden": False}),
    ("score_age", {"score_age_s": 3599}, {"min_score_age_hours": 1}, {"min_score_age_hours": 3599 / 3600}),
    ("score_age", {"score_age_s": 0}, {}, {"min_score_age_hours": 0}),
    ("edited", {"edited": True}, {"drop_edited": True}, {}),
    ("comment_length", {"body": "y" * 41}, {"max_comment_chars": 40}, {"max_comment_chars": 41}),
]


@pytest.mark.parametrize(
    ("step", "x", "dropping", "keeping"), COMMENT_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(COMMENT_CASES)]
)
def test_each_comment_rule_removes_exactly_its_comment_pairs(con, step, x, dropping, keeping):
    insert(con, [post()], BASE + [comment("x", 40, 3000, **x)])
    report = build_pairs(con, PairRules(**dropping))
    assert pairs_of(con) == {("b", "a")}
    assert report.removed_by_rule[step] == 2
    assert sum(report.removed_by_rule.values()) == 2
    assert_waterfall_adds_up(report)

    build_pairs(con, PairRules(**keeping))
    assert pairs_of(con) == {("b", "a"), ("x", "a"), ("x", "b")}


def test_min_comment_score(con):
    # "z" has 1 point and is earliest: b and a would both beat it.
    insert(con, [post()], BASE + [comment("z", 1, 500)])
    report = build_pairs(con, PairRules())
    assert pairs_of(con) == {("b", "a")}
    assert report.removed_by_rule["comment_score"] == 2
    build_pairs(con, PairRules(min_comment_score=1))
    assert pairs_of(con) == {("b", "a"), ("a", "z"), ("b", "z")}


def test_waterfall_charges_each_rule_only_for_pairs_still_standing(con):
    # 4 top-level comments = 6 candidate pairs. "deleted" goes first: C(4,2) - C(3,2) = 3;
    # then "stickied": C(3,2) - C(2,2) = 2, although that comment was in 3 candidate pairs.
    insert(con, [post()], BASE + [comment("x", 40, 3000, body="[removed]"), comment("y", 50, 4000, stickied=True)])
    report = build_pairs(con, PairRules())
    assert report.candidate_pairs == 6
    assert report.removed_by_rule["deleted"] == 3 and report.removed_by_rule["stickied"] == 2
    assert report.removed_by_rule_per_subreddit["AskX"]["stickied"] == 2
    assert report.kept == 1
    assert_waterfall_adds_up(report)


# --- post rules: the whole thread goes ------------------------------------------------

POST_CASES = [
    ("nsfw", {"over_18": True}, {}, {"drop_nsfw": False}),
    ("post_score", {"score": 9}, {}, {"min_post_score": 9}),
    ("post_score", {"score": None}, {}, None),
    ("subreddit", {}, {"subreddits": "OtherSub,Third"}, {"subreddits": "othersub, ASKX"}),
]


@pytest.mark.parametrize(("step", "fields", "dropping", "keeping"), POST_CASES)
def test_each_post_rule_removes_the_thread(con, step, fields, dropping, keeping):
    other = {"post_id": "p2", "subreddit": "OtherSub"}
    insert(
        con,
        [post(**fields), post("p2", subreddit="OtherSub")],
        BASE + [comment("c2", 3, 1000, **other), comment("d2", 9, 2000, **other)],
    )
    report = build_pairs(con, PairRules(**dropping))
    assert pairs_of(con) == {("d2", "c2")}
    assert report.removed_by_rule[step] == 1
    assert_waterfall_adds_up(report)
    if keeping is not None:
        build_pairs(con, PairRules(**keeping))
        assert pairs_of(con) == {("b", "a"), ("d2", "c2")}


def test_post_score_boundary_is_inclusive(con):
    insert(con, [post(score=10)], BASE)
    build_pairs(con, PairRules(min_post_score=10))
    assert pairs_of(con) == {("b", "a")}


def test_comments_without_a_post_row_are_post_missing(con):
    insert(con, [], BASE)
    report = build_pairs(con, PairRules())
    assert report.kept == 0 and report.removed_by_rule["post_missing"] == 1


def test_replies_are_skipped_and_counted(con):
    insert(con, [post()], BASE + [comment("r", 50, 3000, parent_id="t1_a")])
    report = build_pairs(con, PairRules())
    assert pairs_of(con) == {("b", "a")}
    assert report.non_top_level_skipped == 1
    assert report.top_level_comments == 2 and report.candidate_pairs == 1


def test_prompt_is_title_plus_selftext_unless_deleted(con):
    insert(
        con,
        [post("p1", selftext="Body text"), post("p2", selftext="[removed]")],
        BASE + [comment("c2", 3, 1000, post_id="p2"), comment("d2", 9, 2000, post_id="p2")],
    )
    build_pairs(con, PairRules())
    prompts = dict(con.execute("SELECT post_id, prompt FROM preference_pairs").fetchall())
    assert prompts == {"p1": "Title p1\n\nBody text", "p2": "Title p2"}


def test_texts_without_a_visible_character_are_empty_for_rules_and_checks(con):
    invisible = ["\u00a0", "\u3000 \n", "\u200b", "\ufeff\t"]  # no-break, ideographic, zero-width spaces
    insert(
        con,
        [post(selftext="\u00a0\u200b")],
        BASE + [comment(f"x{i}", 40, 3000 + i, body=body) for i, body in enumerate(invisible)],
    )
    report = build_pairs(con, PairRules())
    assert pairs_of(con) == {("b", "a")}
    assert report.removed_by_rule["deleted"] == 14  # C(6, 2) - C(2, 2)
    assert con.execute("SELECT prompt FROM preference_pairs").fetchall() == [("Title p1",)]

    def violations():
        return pair_violations(con, con.table("preference_pairs"), later_must_win=True)

    assert set(violations().values()) == {0}
    con.execute("UPDATE preference_pairs SET chosen = ?", [invisible[2]])
    assert violations()["no_empty_text"] == 1  # the check sees what the rules see


def test_texts_read_as_on_reddit_entities_decoded(con):
    """The API and dumps escape `&`, `<`, `>`; users type entities Reddit renders. Pairs hold
    the characters; a body that is only the editor's `&#x200B;` blank line is empty; the raw
    tables keep the text as it came."""
    quoted = (
        "&gt; you can&#39;t\n\nYes &amp; no: 2 &lt; 3&nbsp;&#x200B;\u200b "
        "https://x.org/?q=1&region=us&copy=2 S&P &unknown; &notes; 90&degrees;"
    )
    insert(
        con,
        [post(title="Q &amp; A", selftext="&#x200B;")],
        [
            comment("a", 3, 1000),
            comment("b", 9, 2000, body=quoted),
            comment("c", 40, 3000, body="&#x200B;\n\n&#x200B;"),
        ],
    )
    report = build_pairs(con, PairRules())
    rows = con.execute("SELECT prompt, chosen, rejected FROM preference_pairs").fetchall()
    assert rows == [
        (
            "Q & A",
            "> you can't\n\nYes & no: 2 < 3\u00a0 https://x.org/?q=1&region=us&copy=2 S&P &unknown; &notes; 90&degrees;",
            "Answer a: some words of text",
        )
    ]  # a bare & (no ';') is text, as on Reddit
    assert report.removed_by_rule["deleted"] == 2  # c's pairs with a and b
    assert con.execute("SELECT body FROM reddit_comments WHERE id = 'b'").fetchall() == [(quoted,)]


# --- pair rules ---------------------------------------------------------------------


def test_score_tie_is_removed(con):
    insert(con, [post()], [comment("a", 5, 1000), comment("b", 5, 2000)])
    report = build_pairs(con, PairRules())
    assert report.kept == 0 and report.removed_by_rule["score_tie"] == 1


def test_later_must_win_orientation(con):
    # "early" wrote first and leads: its lead may be visibility, so no pair by default.
    insert(
        con,
        [post()],
        [
            comment("early", 10, 1000),
            comment("late", 3, 2000),
            comment("same_a", 20, 5000),
            comment("same_b", 60, 5000),
        ],
    )
    report = build_pairs(con, PairRules(max_pairs_per_post=0))
    assert pairs_of(con) == {("same_a", "late"), ("same_b", "late"), ("same_a", "early"), ("same_b", "early")}
    assert report.removed_by_rule["earlier_won"] == 2  # early > late; same_b > same_a in the same second
    row = con.execute(
        "SELECT chosen_created_utc, rejected_created_utc, chosen_score, rejected_score "
        "FROM preference_pairs WHERE chosen_id = 'same_b'"
    ).fetchall()[0]
    assert row == (5000, 2000, 60, 3)

    build_pairs(con, PairRules(later_must_win=False, max_pairs_per_post=0))
    assert ("early", "late") in pairs_of(con) and ("same_b", "early") in pairs_of(con)


@pytest.mark.parametrize(
    ("chosen_score", "rejected_score", "kept"), [(4, 2, True), (6, 3, True), (5, 3, False), (39, 20, False)]
)
def test_score_ratio_boundary(con, chosen_score, rejected_score, kept):
    insert(con, [post()], [comment("a", rejected_score, 1000), comment("b", chosen_score, 2000)])
    report = build_pairs(con, PairRules(min_score_ratio=2.0))
    assert (pairs_of(con) == {("b", "a")}) is kept
    assert report.removed_by_rule["score_ratio"] == (0 if kept else 1)
    if kept:
        assert con.execute("SELECT score_ratio FROM preference_pairs").fetchall()[0][0] == chosen_score / rejected_score


def test_cap_keeps_the_strongest_ratios(con):
    # Rejected candidates 5, 3, 2 (in time order, so none beats another), then chosen 30
    # and 12 (same): pairs and ratios c30/r2=15, c30/r3=10, c30/r5=6, c12/r2=6, c12/r3=4,
    # c12/r5=2.4.
    insert(
        con,
        [post()],
        [
            comment("r5", 5, 10),
            comment("r3", 3, 50),
            comment("r2", 2, 100),
            comment("c30", 30, 400),
            comment("c12", 12, 500),
        ],
    )
    report = build_pairs(con, PairRules(max_pairs_per_post=3))
    # the 6.0 tie goes to the higher chosen score
    assert pairs_of(con) == {("c30", "r2"), ("c30", "r3"), ("c30", "r5")}
    assert report.removed_by_rule["per_post_cap"] == 3
    build_pairs(con, PairRules(max_pairs_per_post=4))
    assert ("c12", "r2") in pairs_of(con) and len(pairs_of(con)) == 4
    assert build_pairs(con, PairRules(max_pairs_per_post=0)).kept == 6


def test_cap_does_not_remove_the_pair_a_repeat_was_dropped_for(con):
    # Post x's comparison "late over early" is its weakest pair, so the cap of 1 removes
    # it; post y's copy of the same comparison must stay, not be dropped as its repeat.
    early, late = "Talk to your advisor first and see what they say.", "Switch sections: the exams are fairer."
    insert(
        con,
        [post("x"), post("y")],
        [
            comment("xe", 2, 0, post_id="x", body=early),
            comment("xl", 8, 5, post_id="x", body=late),
            comment("xs", 100, 9, post_id="x", body=LONG_ANSWER),
            comment("ye", 2, 0, post_id="y", body=early),
            comment("yl", 6, 5, post_id="y", body=late),
        ],
    )
    report = build_pairs(con, PairRules(max_pairs_per_post=1))
    assert pairs_of(con) == {("xs", "xe"), ("yl", "ye")}
    assert report.removed_by_rule["per_post_cap"] == 2 and report.removed_by_rule["exact_dup_pair"] == 0


# --- ids, split, rebuilds -------------------------------------------------------------


def test_pair_id_is_md5_of_ids_and_stable_across_rebuilds(con):
    insert(con, [post()], BASE)
    build_pairs(con, PairRules())
    first = con.execute("SELECT pair_id FROM preference_pairs").fetchall()
    assert first == [(hashlib.md5(b"p1:b:a").hexdigest(),)]
    build_pairs(con, PairRules(eval_fraction=0.5))
    assert con.execute("SELECT pair_id FROM preference_pairs").fetchall() == first


def _split_by_post(con) -> dict[str, str]:
    rows = con.execute("SELECT DISTINCT post_id, split FROM preference_pairs").fetchall()
    assert len(rows) == len({p for p, _ in rows}), "a post in both splits"
    return dict(rows)


def test_split_is_deterministic_by_post_hash(con):
    posts = [post(f"p{i}") for i in range(80)]
    comments = [
        c
        for i in range(80)
        for c in (
            comment(f"a{i}", 3, 1000, post_id=f"p{i}"),
            comment(f"b{i}", 10, 2000, post_id=f"p{i}"),
            comment(f"c{i}", 30, 3000, post_id=f"p{i}"),
        )
    ]
    insert(con, posts, comments)
    report = build_pairs(con, PairRules(eval_fraction=0.3))
    splits = _split_by_post(con)
    expected = {
        f"p{i}": "eval" if int(hashlib.md5(f"p{i}".encode()).hexdigest()[:8], 16) / 2**32 < 0.3 else "train"
        for i in range(80)
    }
    assert splits == expected
    assert 10 <= report.eval_posts <= 40 and report.eval_posts + report.train_posts == report.posts == 80
    build_pairs(con, PairRules(eval_fraction=0.3))
    assert _split_by_post(con) == splits
    build_pairs(con, PairRules(eval_fraction=0.3, split_salt="v2"))
    assert _split_by_post(con) != splits
    build_pairs(con, PairRules(eval_fraction=0.0))
    assert set(_split_by_post(con).values()) == {"train"}


def test_rebuild_replaces_without_duplicates(con):
    insert(con, [post()], BASE + [comment("x", 40, 3000)])
    build_pairs(con, PairRules())
    build_pairs(con, PairRules())
    assert con.execute("SELECT count(*), count(DISTINCT pair_id) FROM preference_pairs").fetchall() == [(3, 3)]
    build_pairs(con, PairRules(min_score_ratio=5.0))
    assert pairs_of(con) == {("x", "a")}


def test_each_build_is_recorded_with_its_rules_however_it_is_started(con):
    from assets.snapshot.freeze import latest_pair_rules

    insert(con, [post()], BASE)
    rules = PairRules(min_score_ratio=3.0, later_must_win=False)
    report = build_pairs(con, rules)  # from Python, as the README shows, not through the asset
    assert latest_pair_rules(con) == dataclasses.asdict(rules)
    ((recorded,),) = con.execute("SELECT report FROM pair_builds").fetchall()
    assert json.loads(recorded)["kept"] == report.kept


# insert_into_preference_pairs fails after the DELETE ran; create_pair_comments while the
# build's Python function (reddit_text) is registered
@pytest.mark.parametrize("failing", ["insert_into_preference_pairs", "create_pair_comments"])
def test_failed_rebuild_leaves_old_pairs_intact(con, monkeypatch, failing):
    insert(con, [post()], BASE)
    build_pairs(con, PairRules())
    before = con.execute("SELECT * FROM preference_pairs").fetchall()
    real_sql = pairs_module.sql
    monkeypatch.setattr(
        pairs_module, "sql", lambda name: "SELECT * FROM no_such_table" if name == failing else real_sql(name)
    )
    insert(con, [], [comment("x", 40, 3000)])
    with pytest.raises(Exception, match="no_such_table"):
        build_pairs(con, PairRules())
    assert con.execute("SELECT * FROM preference_pairs").fetchall() == before
    monkeypatch.undo()
    assert build_pairs(con, PairRules()).kept == 3  # the connection is usable afterwards


# --- score age: known and too young, or unknown ----------------------------------------


def aged_thread() -> list[dict]:
    """Four comments, 6 candidate pairs: "young" was scored 2 h after it was written, "day"
    exactly 24 h after, "unknown" has no retrieval time, "old" 3 days after."""
    return [
        comment("old", 3, 50, score_age_s=72 * 3600),
        comment("young", 10, 100, score_age_s=2 * 3600),
        comment("day", 40, 200, score_age_s=24 * 3600),
        comment("unknown", 100, 300),
    ]


def test_score_age_rule_removes_young_scores_and_keeps_unknown_ones_counted_apart(con):
    insert(con, [post()], aged_thread())
    report = build_pairs(con, PairRules())  # 24 h, unknown kept
    assert pairs_of(con) == {("day", "old"), ("unknown", "old"), ("unknown", "day")}
    assert report.removed_by_rule["score_age"] == 3  # every pair of "young"; 24 h exactly stays
    assert report.removed_by_rule["score_age_unknown"] == 0
    assert report.score_age_per_subreddit == {"AskX": {"both_known": 1, "one_unknown": 2, "both_unknown": 0}}
    assert_waterfall_adds_up(report)

    report = build_pairs(con, PairRules(drop_unknown_score_age=True))
    assert pairs_of(con) == {("day", "old")}
    # unknown ages come first in the waterfall: C(4,2) - C(3,2) = 3 pairs, then "young" the
    # pairs still standing: C(3,2) - C(2,2) = 2
    assert (report.removed_by_rule["score_age_unknown"], report.removed_by_rule["score_age"]) == (3, 2)
    assert_waterfall_adds_up(report)

    report = build_pairs(con, PairRules(min_score_age_hours=0, max_pairs_per_post=0))
    assert report.kept == 6 and report.removed_by_rule["score_age"] == 0
    assert report.score_age_per_subreddit["AskX"] == {"both_known": 3, "one_unknown": 3, "both_unknown": 0}


def test_unknown_ages_are_charged_to_their_own_step_before_young_ones(con):
    # Dropping unknown ages comes first in the waterfall: with 3 of 4 comments unknown, it
    # takes C(4,2) - C(1,2) = 6 pairs, and nothing is left for score_age.
    insert(con, [post()], [comment(c, 10 * (i + 1), 100 * i) for i, c in enumerate("abc")] + [aged_thread()[1]])
    report = build_pairs(con, PairRules(drop_unknown_score_age=True))
    assert report.removed_by_rule["score_age_unknown"] == 6 and report.removed_by_rule["score_age"] == 0
    assert report.kept == 0
    assert_waterfall_adds_up(report)


# --- length ratio -------------------------------------------------------------------------


@pytest.mark.parametrize(("max_length_ratio", "kept"), [(0, True), (4, True), (3.99, False), (1, False)])
def test_max_length_ratio_keeps_only_length_matched_pairs(con, max_length_ratio, kept):
    # "b" (later, 10 points) has 40 characters, "a" 10: ratio 4, whichever is longer.
    insert(con, [post()], [comment("a", 3, 1000, body="a" * 10), comment("b", 10, 2000, body="b" * 40)])
    report = build_pairs(con, PairRules(max_length_ratio=max_length_ratio))
    assert pairs_of(con) == ({("b", "a")} if kept else set())
    assert report.removed_by_rule["length_ratio"] == (0 if kept else 1)
    assert_waterfall_adds_up(report)


def test_early_lead_counts_siblings_whose_earlier_comment_scored_higher(con):
    # a (t=100, 50 points) beats each later one: 3 siblings where the earlier scored higher;
    # b (t=200, 10) loses to c and d, which came later: 2 where it did not; c-d tie (excluded).
    insert(
        con,
        [post()],
        [comment("a", 50, 100), comment("b", 10, 200), comment("c", 20, 300), comment("d", 20, 400)],
    )
    report = build_pairs(con, PairRules())
    assert report.early_lead_per_subreddit == {"AskX": {"sibling_pairs": 5, "earlier_scored_higher": 3}}


def test_rules_are_validated():
    with pytest.raises(ValueError, match="--min-score-ratio"):
        PairRules(min_score_ratio=0.5)
    with pytest.raises(ValueError, match="--min-comment-score"):
        PairRules(min_comment_score=0)
    with pytest.raises(ValueError, match="--eval-fraction"):
        PairRules(eval_fraction=1.5)
    with pytest.raises(ValueError, match="--near-dup-threshold"):
        PairRules(near_dup_threshold=0.99, minhash_num_perm=16)
    with pytest.raises(ValueError, match="--max-length-ratio must be 0 .no limit. or >= 1"):
        PairRules(max_length_ratio=0.5)
    with pytest.raises(ValueError, match="--min-score-age-hours"):
        PairRules(min_score_age_hours=-1)
    with pytest.raises(TypeError, match="max_pairs_per_post"):
        PairRules(max_pairs_per_post=2.5)
    assert PairRules(bot_authors=" A, b ,,").bot_author_list == ["a", "b"]
    assert all(f.metadata.get("help") for f in dataclasses.fields(PairRules))


# --- dedup through the build ------------------------------------------------------------


def test_dedup_steps_in_the_build(con):
    edited = LONG_ANSWER.replace("Honestly", "Really").replace("professors", "instructors")
    insert(
        con,
        [post("p1"), post("p2"), post("p3"), post("p4")],
        [
            # p1 and p2: the same thread posted twice (p2's answers copied, one lightly edited)
            comment("a1", 3, 1000, post_id="p1", body="Just drop the class."),
            comment("b1", 30, 2000, post_id="p1", body=LONG_ANSWER),
            comment("a2", 3, 1000, post_id="p2", body="just drop the class!"),
            comment("b2", 20, 2000, post_id="p2", body=edited),
            # p3: chosen is an exact copy of rejected; p4: a near copy
            comment("a3", 3, 1000, post_id="p3", body="Email the registrar."),
            comment("b3", 20, 2000, post_id="p3", body="email the REGISTRAR"),
            comment("a4", 3, 1000, post_id="p4", body=LONG_ANSWER),
            comment("b4", 20, 2000, post_id="p4", body=edited),
        ],
    )
    report = build_pairs(con, PairRules())
    assert pairs_of(con) == {("b1", "a1")}  # the stronger copy (ratio 10 vs 6.7) stays
    assert {
        k: report.removed_by_rule[k]
        for k in ("exact_dup_in_pair", "exact_dup_pair", "near_dup_in_pair", "near_dup_pair")
    } == {"exact_dup_in_pair": 1, "exact_dup_pair": 0, "near_dup_in_pair": 1, "near_dup_pair": 1}
    report = build_pairs(con, PairRules(near_dedup=False))
    assert pairs_of(con) == {("b1", "a1"), ("b2", "a2"), ("b4", "a4")}
    assert report.removed_by_rule["exact_dup_in_pair"] == 1
    assert build_pairs(con, PairRules(exact_dedup=False, near_dedup=False)).kept == 4


# --- real data ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rumoureval2019", "praw_cassettes"])
def test_real_file_invariants(tmp_path, shared_reddit, name):
    con = connect(tmp_path / "real.duckdb")
    load_shared(con, shared_reddit, name)
    rules = PairRules()
    report = build_pairs(con, rules)
    assert_waterfall_adds_up(report)
    assert report.kept > 0 and report.non_top_level_skipped > 0
    assert json.loads(json.dumps(dataclasses.asdict(report)))["rules"]["min_score_ratio"] == 2.0
    rows = con.execute("""
        SELECT p.*, ch.parent_id AS chosen_parent, rj.parent_id AS rejected_parent,
               ch.post_id AS chosen_post, rj.post_id AS rejected_post,
               ch.body AS chosen_body, ch.score_hidden, ch.author AS raw_author, s.author AS op
        FROM preference_pairs AS p
        JOIN reddit_comments AS ch ON ch.id = p.chosen_id
        JOIN reddit_comments AS rj ON rj.id = p.rejected_id
        JOIN reddit_submissions AS s ON s.id = p.post_id""").fetchall()
    columns = [d[0] for d in con.description]
    per_post: dict[str, int] = {}
    split_of: dict[str, str] = {}
    for values in rows:
        r = dict(zip(columns, values))
        assert r["chosen_score"] > r["rejected_score"] >= rules.min_comment_score
        assert r["chosen_created_utc"] > r["rejected_created_utc"]
        assert r["score_ratio"] >= 2.0 and r["score_ratio"] == r["chosen_score"] / r["rejected_score"]
        assert r["chosen_parent"] == r["rejected_parent"] == "t3_" + r["post_id"]
        assert r["chosen_post"] == r["rejected_post"] == r["post_id"]
        assert r["chosen_id"] != r["rejected_id"] and r["chosen"] == reddit_text(r["chosen_body"])
        assert r["chosen"].strip() not in ("", "[deleted]", "[removed]")
        assert r["rejected"].strip() not in ("", "[deleted]", "[removed]")
        assert r["chosen_author"] not in (None, r["op"]) and r["chosen_author"].lower() != "automoderator"
        assert r["rejected_author"] not in (None, r["op"])
        assert r["post_author"] == (None if r["op"] == "[deleted]" else r["op"])
        assert not r["score_hidden"]
        (title,) = con.execute("SELECT title FROM reddit_submissions WHERE id = ?", [r["post_id"]]).fetchall()[0]
        assert r["prompt"].startswith(reddit_text(title))
        assert r["pair_id"] == hashlib.md5(f"{r['post_id']}:{r['chosen_id']}:{r['rejected_id']}".encode()).hexdigest()
        assert split_of.setdefault(r["post_id"], r["split"]) == r["split"]
        per_post[r["post_id"]] = per_post.get(r["post_id"], 0) + 1
    assert len(rows) == report.kept
    assert max(per_post.values()) <= rules.max_pairs_per_post
    # the scores of the posts behind every pair pass the post rule
    assert (
        con.execute(
            "SELECT min(s.score) FROM preference_pairs p JOIN reddit_submissions s ON s.id = p.post_id"
        ).fetchall()[0][0]
        >= rules.min_post_score
    )
    con.close()
