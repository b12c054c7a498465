"""Stack Exchange answer pairs: the scores at a fixed age, each rule on a small hand-written
site, and the whole build on the real quantumcomputing dump (shared, or the bundled sample)."""

from __future__ import annotations

from datetime import date, timedelta
from xml.sax.saxutils import quoteattr

import pytest

from assets.ingest.stackexchange.dumps import ingest_site
from assets.pairs.rules import pair_violations
from assets.pairs.stackexchange.build import WATERFALL, build_stackexchange_pairs, markdown
from assets.pairs.stackexchange.config import StackExchangeRules
from training.errors import ConfigError

SITE = "tiny.stackexchange.com"
ASKED = "2018-03-01T10:00:00.000"


def write_dump(folder, posts: list[dict], votes: list[dict] | None = None, users: list[dict] | None = None):
    """A site dump in the official format: BOM, declaration, one <row/> per line, CR LF."""
    folder.mkdir(exist_ok=True)
    files = {"Posts": ("posts", posts), "Votes": ("votes", votes), "Users": ("users", users)}
    for name, (root, rows) in files.items():
        if rows is None:
            continue
        lines = [f"  <row {' '.join(f'{k}={quoteattr(str(v))}' for k, v in row.items())} />" for row in rows]
        text = '\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n' + f"<{root}>\r\n" + "\r\n".join(lines)
        (folder / f"{name}.xml").write_text(text + f"\r\n</{root}>", encoding="utf-8")
    return folder


def question(post_id: int, owner: int = 1, **extra) -> dict:
    return {
        "Id": post_id,
        "PostTypeId": 1,
        "CreationDate": ASKED,
        "Score": 5,
        "Title": f"Question {post_id}",
        "Body": f"<p>Why is {post_id} so?</p>",
        "OwnerUserId": owner,
        **extra,
    }


def answer(post_id: int, parent: int, score: int, day: int, owner: int | None = None, **extra) -> dict:
    row = {
        "Id": post_id,
        "PostTypeId": 2,
        "ParentId": parent,
        "Score": score,
        "CreationDate": f"2018-03-{day:02d}T12:00:00.000",
        "Body": f"<p>Answer number {post_id}, written on day {day} with its own words {'x' * post_id}.</p>",
    }
    if owner is not None or "OwnerDisplayName" not in extra:
        row["OwnerUserId"] = owner if owner is not None else 100 + post_id
    return {**row, **extra}


def votes_on(post_id: int, days: list[int], kind: int = 2, first_id: int = 1) -> list[dict]:
    return [
        {
            "Id": first_id + i,
            "PostId": post_id,
            "VoteTypeId": kind,
            "CreationDate": f"{date(2018, 3, 1) + timedelta(days=d)}T00:00:00.000",
        }
        for i, d in enumerate(days)
    ]


def pairs(con) -> dict[tuple[str, str], tuple]:
    rows = con.execute(
        "SELECT chosen_id, rejected_id, chosen_score, rejected_score, score_ratio, score_basis, score_horizon_days"
        " FROM stackexchange_pairs"
    ).fetchall()
    return {(row[0].removeprefix(f"{SITE}:"), row[1].removeprefix(f"{SITE}:")): row[2:] for row in rows}


def no_dedup(**changes) -> StackExchangeRules:
    return StackExchangeRules(exact_dedup=False, near_dedup=False, **changes)


def test_an_answer_is_scored_by_the_votes_dated_within_the_horizon(con, tmp_path):
    # Answer 2, posted on day 2 (2018-03-03 12:00), gets up-votes on its day and 3, 5 and 9 days
    # later and a down-vote 4 days later; answer 3 (day 3) two up-votes on days 5 and 40. The
    # dump-date scores say 9 and 1: the votes decide with a horizon.
    posts = [question(1), answer(2, 1, 9, day=3), answer(3, 1, 1, day=4)]
    votes = (
        votes_on(2, [2, 5, 7, 11], first_id=1)
        + votes_on(2, [6], kind=3, first_id=10)
        + votes_on(3, [3, 3, 3, 3, 3], first_id=20)
        + votes_on(3, [6, 40], kind=3, first_id=30)
    )
    ingest_site(con, write_dump(tmp_path / SITE, posts, votes))

    build_stackexchange_pairs(con, no_dedup(score_horizon_days=5, min_answer_score=-10))
    # Within 5 days of day 2 (days 2..7): answer 2 has ups on 2, 5, 7 and a down on 6: 2.
    # Answer 3 (day 3, days 3..8): 5 ups, a down on day 6: 4. Answer 3 is later and 4 / 2 = 2.
    assert pairs(con) == {("3", "2"): (4, 2, 2.0, "votes_within_horizon", 5)}

    build_stackexchange_pairs(con, no_dedup(score_horizon_days=0))  # the dump's Score: the earlier one won
    assert pairs(con) == {}

    # The last vote is on day 40: a 38-day horizon of answer 3 (day 3) ends on day 41, beyond it.
    report = build_stackexchange_pairs(con, no_dedup(score_horizon_days=38, min_answer_score=-10))
    assert report.removed_by_rule["horizon_not_reached"] == 1


def test_without_votes_the_dump_date_score_is_used_and_recorded(con, tmp_path):
    posts = [question(1), answer(2, 1, 2, day=3), answer(3, 1, 6, day=4)]
    ingest_site(con, write_dump(tmp_path / SITE, posts))

    build_stackexchange_pairs(con, no_dedup(score_horizon_days=30))
    assert pairs(con) == {("3", "2"): (6, 2, 3.0, "dump_date", None)}


@pytest.mark.parametrize(
    ("chosen", "rejected", "ratio"),
    [(4, 2, 2.0), (1, 0, 2.0), (3, 0, 4.0), (1, -1, 3.0), (0, -3, 4.0), (-1, -2, 2.0)],
)
def test_the_score_ratio_of_scores_at_or_below_zero_shifts_the_rejected_to_one(con, tmp_path, chosen, rejected, ratio):
    posts = [question(1), answer(2, 1, rejected, day=3), answer(3, 1, chosen, day=4)]
    ingest_site(con, write_dump(tmp_path / SITE, posts))

    build_stackexchange_pairs(con, no_dedup(min_answer_score=-10))
    assert pairs(con) == {("3", "2"): (chosen, rejected, ratio, "dump_date", None)}


def test_each_rule_removes_what_it_says_and_the_waterfall_adds_up(con, tmp_path):
    posts = [
        question(1),
        answer(2, 1, 1, day=2),
        answer(3, 1, 8, day=3),  # kept against 2
        answer(4, 1, 20, day=4, CommunityOwnedDate="2018-03-05T00:00:00.000"),  # community wiki
        answer(5, 1, 30, day=5, owner=1),  # by the asker
        answer(6, 1, 40, day=6, OwnerDisplayName="gone"),  # deleted account
        question(10, ClosedDate="2018-03-20T00:00:00.000"),
        answer(11, 10, 1, day=2),
        answer(12, 10, 5, day=3),
        question(20, AcceptedAnswerId=21),
        answer(21, 20, 1, day=2),  # accepted, but fewer votes
        answer(22, 20, 5, day=3),
    ]
    users = [{"Id": 1, "DisplayName": "asker"}, {"Id": 103, "DisplayName": "Ada"}]
    ingest_site(con, write_dump(tmp_path / SITE, posts, users=users))

    report = build_stackexchange_pairs(con, no_dedup())
    assert set(pairs(con)) == {("3", "2"), ("12", "11"), ("22", "21")}
    assert report.candidate_pairs == 10 + 1 + 1  # five answers to question 1, two to the others
    # Each pair is charged to the first rule in WATERFALL order that removes either answer:
    # 4 against the other four, then 6 against 2, 3, 5, then 5 against 2, 3.
    assert report.removed_by_rule["answer_wiki"] == 4
    assert report.removed_by_rule["answer_deleted_owner"] == 3
    assert report.removed_by_rule["asker_answer"] == 2
    assert report.candidate_pairs - sum(report.removed_by_rule.values()) == report.kept == 3
    assert list(report.removed_by_rule) == list(WATERFALL)
    author, asker = con.execute(
        "SELECT chosen_author, post_author FROM stackexchange_pairs WHERE chosen_id = ?", [f"{SITE}:3"]
    ).fetchone()
    assert (author, asker) == ("Ada", "asker")

    report = build_stackexchange_pairs(con, no_dedup(drop_closed=True, accepted_answer="never_rejected"))
    assert set(pairs(con)) == {("3", "2")}
    assert report.removed_by_rule["closed"] == 1 and report.removed_by_rule["accepted_rejected"] == 1

    report = build_stackexchange_pairs(con, no_dedup(drop_community_wiki=False, drop_asker_answers=False))
    assert ("4", "2") in pairs(con) and ("5", "2") in pairs(con)


def test_html_bodies_become_markdown_with_code_lists_and_links():
    text = markdown(
        '<p>See <a href="https://example.org">the docs</a> &amp; run:</p>\n'
        "<pre><code>x = 1 &lt; 2\n</code></pre>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<p>$a_1$</p>"
    )
    assert "[the docs](https://example.org) & run:" in text
    assert "```\nx = 1 < 2\n```" in text
    assert "- one\n- two" in text
    assert "$a_1$" in text and "<" not in text.replace("1 < 2", "")


def test_unknown_accepted_answer_use_is_a_config_error():
    with pytest.raises(ConfigError, match="--accepted-answer"):
        StackExchangeRules(accepted_answer="tie_break")


def test_the_real_site_builds_pairs_that_pass_every_check_scored_by_their_votes(con, quantumcomputing_dump):
    ingest_site(con, quantumcomputing_dump)
    report = build_stackexchange_pairs(con, StackExchangeRules(score_horizon_days=30))

    assert report.kept > 0 and report.train > 0
    assert report.candidate_pairs - sum(report.removed_by_rule.values()) == report.kept
    site = quantumcomputing_dump.name
    assert report.candidate_pairs_per_site[site] - sum(report.removed_by_rule_per_site[site].values()) == report.kept
    assert pair_violations(con, con.table("stackexchange_pairs"), True) == dict.fromkeys(
        (
            "chosen_scored_higher",
            "chosen_written_later",
            "no_self_pairs",
            "no_empty_text",
            "unique_pair_ids",
            "no_post_in_both_splits",
        ),
        0,
    )
    # Each pair's scores, counted again by hand from the votes: ups minus downs dated up to
    # 30 days after the answer's day.
    votes = con.execute("SELECT post_id, vote_type_id, created_on FROM se_votes").fetchall()
    posted = dict(con.execute("SELECT id, created_at::DATE FROM se_posts").fetchall())
    scores: dict[int, int] = {}
    for post_id, kind, day in votes:
        if kind in (2, 3) and post_id in posted and day <= posted[post_id] + timedelta(days=30):
            scores[post_id] = scores.get(post_id, 0) + (1 if kind == 2 else -1)
    for chosen, rejected, chosen_score, rejected_score, *_ in con.execute(
        "SELECT chosen_id, rejected_id, chosen_score, rejected_score FROM stackexchange_pairs"
    ).fetchall():
        chosen, rejected = (int(answer.split(":")[1]) for answer in (chosen, rejected))
        assert (chosen_score, rejected_score) == (scores.get(chosen, 0), scores.get(rejected, 0))
    # Every pair links to its answers and question on the site, and carries their licence.
    urls = con.execute(
        "SELECT count(*) FROM stackexchange_pairs WHERE chosen_url = 'https://' || replace(chosen_id, ':', '/a/')"
        " AND rejected_url = 'https://' || replace(rejected_id, ':', '/a/') AND chosen_license LIKE 'CC BY-SA _.0'"
    ).fetchone()[0]
    assert urls == report.kept
