"""Live ingest through real praw/prawcore, faked only at the HTTP session (recorded rows)."""

from __future__ import annotations

import copy
import logging
from itertools import count

import duckdb
import orjson
import pytest

from assets.ingest.reddit.dumps import ingest_dump
from assets.ingest.reddit.live import RedditFetchError, ingest_live, reddit_from_env, wait_seconds
from tests.conftest import PRAW_COMMENTS, PRAW_SUBMISSIONS
from tests.fakes.reddit_http import FakeRedditSession

CLIENT_ID = "id-SENTINEL-7f3a"
CLIENT_SECRET = "secret-SENTINEL-9c1e"
PASSWORD = "password-SENTINEL-2b8d"
SECRETS = (CLIENT_ID, CLIENT_SECRET, PASSWORD)
NOW = 1_800_000_000  # later than every recorded_at in the cassettes
ALL_TIME = (0, 2_000_000_000)  # a window holding every recorded post


@pytest.fixture
def fake() -> FakeRedditSession:
    return FakeRedditSession.from_files(PRAW_COMMENTS, PRAW_SUBMISSIONS)


@pytest.fixture
def reddit(fake, monkeypatch):
    monkeypatch.setenv("REDDIT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("REDDIT_USER_AGENT", "upvote-dpo tests (by u/nobody)")
    return reddit_from_env(requestor_kwargs={"session": fake})


def recorded(fake, subreddit, start, end):
    posts = [s for s in fake.submissions.values()
             if s["subreddit"] == subreddit and start <= s["created_utc"] < end]  # fmt: skip
    return posts, sum(fake.thread_size(s["id"]) for s in posts)


def post_with_reply(fake, subreddit="IAmA") -> tuple[dict, dict]:
    """A recorded post and its first top-level comment (shown even with replace_more_limit=0),
    as the dicts the fake serves: editing them edits what Reddit answers."""
    return next(
        (post, reply)
        for post in fake.submissions.values() if post["subreddit"] == subreddit
        for reply in fake.comments_by_post.get(post["id"], []) if reply["parent_id"] == f"t3_{post['id']}"
    )  # fmt: skip


def newest_posts(fake, subreddit) -> list[dict]:
    """The recorded posts of a subreddit, newest first: the order the listing walks them."""
    return sorted(
        (p for p in fake.submissions.values() if p["subreddit"] == subreddit), key=lambda p: -p["created_utc"]
    )


def reject_a_late_reply(fake) -> dict:
    """Make a top-level reply on an AskReddit post past the first six a reject (its score
    unreadable); return that post. A run stopped after a few threads never reaches it."""
    late = next(
        p
        for p in newest_posts(fake, "AskReddit")[6:]
        if any(c["parent_id"] == f"t3_{p['id']}" for c in fake.comments_by_post.get(p["id"], []))
    )
    next(c for c in fake.comments_by_post[late["id"]] if c["parent_id"] == f"t3_{late['id']}")["score"] = "n/a"
    return late


def at_api_request(fake, n, action) -> None:
    """Call `action` just before the fake answers its n-th API request (token requests not counted)."""
    request, served = fake.request, count(1)

    def hooked(method, url, **kwargs):
        if "access_token" not in url and next(served) == n:
            action()
        return request(method, url, **kwargs)

    fake.request = hooked


def interrupt() -> None:
    raise KeyboardInterrupt


def rejects(con):
    return con.execute("SELECT source, line, kind, reason, raw FROM ingest_rejects ORDER BY line").fetchall()


def live(con, reddit, subs, window=ALL_TIME, **kwargs):
    waits: list[float] = []
    kwargs.setdefault("sleep", waits.append)
    report = ingest_live(con, reddit, subs, *window, now=lambda: NOW, **kwargs)
    return report, waits


def test_rows_land_in_the_warehouse_tables(con, fake, reddit):
    window = (1_500_000_000, 1_700_000_000)
    posts, n_comments = recorded(fake, "pics", *window)
    report, waits = live(con, reddit, ["pics"], window, replace_more_limit=None)

    assert waits == []
    assert report.total("submissions", "inserted") == len(posts) > 0
    assert report.total("comments", "inserted") == n_comments > 0  # replace_more fetched all
    stored = con.execute("SELECT id, retrieved_at, source FROM reddit_submissions ORDER BY id").fetchall()
    assert stored == sorted((s["id"], NOW, "praw:pics:2017-07-14") for s in posts)
    top_level, orphans = con.execute(
        """SELECT count(*) FILTER (WHERE parent_id = 't3_' || post_id),
                  count(*) FILTER (WHERE post_id NOT IN (SELECT id FROM reddit_submissions))
           FROM reddit_comments"""
    ).fetchone()
    assert top_level > 0 and orphans == 0
    assert any(c.path.startswith("/api/morechildren") for c in fake.api_calls())


def test_replace_more_is_bounded(con, fake, reddit):
    live(con, reddit, ["funny"], replace_more_limit=0)
    assert not any(c.path.startswith("/api/morechildren") for c in fake.api_calls())
    stored = con.execute("SELECT count(*) FROM reddit_comments").fetchone()[0]
    assert 0 < stored < recorded(fake, "funny", *ALL_TIME)[1]


def test_window_stops_the_listing_walk(con, fake, reddit):
    posts, _ = recorded(fake, "AskReddit", 1_470_000_000, 1_510_000_000)
    report, _ = live(con, reddit, ["AskReddit"], (1_470_000_000, 1_510_000_000), replace_more_limit=0)
    assert report.total("submissions") == len(posts) > 0
    fetched_threads = [c for c in fake.api_calls() if c.path.startswith("/comments/")]
    assert len(fetched_threads) == len(posts)  # posts outside the window are never opened


def test_a_listing_cut_short_is_reported_and_keeps_the_earlier_rejects(con, fake, reddit, caplog):
    """Reddit's listings stop near 1000 items: a day with more is fetched only in part. The run
    says so, fetches the day's stored posts it did not reach by id, and does not take the
    rejects of the posts it could not reach (a rejected post was never stored) for gone."""
    posts = newest_posts(fake, "AskReddit")
    posts[6]["score"] = "n/a"
    report, _ = live(con, reddit, ["AskReddit"], replace_more_limit=0)
    kept = rejects(con)
    assert (report.cut_short, report.fetched_by_id, len(kept)) == ([], 0, 1)
    report, _ = live(con, reddit, ["AskReddit"], replace_more_limit=0, max_submissions=3)
    assert report.cut_short == ["AskReddit"] and "the listing ended after 3 submissions" in caplog.text
    assert report.fetched_by_id == len(posts) - 3 - 1 > 0
    assert report.total("submissions") == len(posts) - 1 and report.total("submissions", "rejected") == 0
    assert rejects(con) == kept


def test_dump_and_live_share_one_row_per_id(con, fake, reddit):
    ingest_dump(con, PRAW_SUBMISSIONS)
    before = con.execute("SELECT count(*) FROM reddit_submissions").fetchone()[0]
    report, _ = live(con, reddit, ["redditdev"], replace_more_limit=0)
    assert report.total("submissions", "updated") == report.total("submissions") > 0
    assert con.execute("SELECT count(*) FROM reddit_submissions").fetchone()[0] == before
    sources = con.execute("SELECT DISTINCT source FROM reddit_submissions WHERE subreddit = 'redditdev'").fetchall()
    assert sources == [("praw:redditdev:1970-01-01",)]


def test_a_dump_without_retrieval_times_ingested_later_leaves_the_fetched_rows(con, fake, reddit, tmp_path):
    """The fetched rows carry their fetch time; a dump of the same posts with other scores and
    no retrieval time, ingested an hour later, leaves them (before, each of its lines was stamped
    with its ingest time, as if retrieved then, and replaced the fetched row)."""
    live(con, reddit, ["IAmA"], replace_more_limit=0)
    stored = "SELECT id, score, retrieved_at, source FROM reddit_submissions ORDER BY id"
    fetched = con.execute(stored).fetchall()
    old = [orjson.dumps({**post, "score": -1, "recorded_at": None}) + b"\n"
           for post in fake.submissions.values() if post["subreddit"] == "IAmA"]  # fmt: skip
    (tmp_path / "RS_old.ndjson").write_bytes(b"".join(old))
    report = ingest_dump(con, tmp_path / "RS_old.ndjson", now=lambda: NOW + 3600)
    assert report.kept_newer == len(old) == len(fetched) > 0
    assert con.execute(stored).fetchall() == fetched


def test_rejected_posts_and_comments_are_both_kept_and_a_rerun_replaces_them(con, fake, reddit):
    post, reply = post_with_reply(fake)
    post["score"], reply["score"] = "not a number", "n/a"  # values the SQL readers reject
    report, _ = live(con, reddit, ["IAmA"], replace_more_limit=0)
    assert report.total("submissions", "rejected") == report.total("comments", "rejected") == 1
    kept = rejects(con)
    assert [(kind, reason) for _, _, kind, reason, _ in kept] == [
        ("submission", "wrong type: score"),
        ("comment", "wrong type: score"),
    ]
    assert b'"not a number"' in kept[0][4] and b'"n/a"' in kept[1][4]
    live(con, reddit, ["IAmA"], replace_more_limit=0)
    again = rejects(con)  # numbered on from the earlier ones (see the test below), then those deleted
    assert [r[2:] for r in again] == [r[2:] for r in kept] and min(r[1] for r in again) > max(r[1] for r in kept)


def test_a_lone_surrogate_is_a_kept_reject_and_the_rest_of_the_thread_is_stored(con, fake, reddit):
    post, reply = post_with_reply(fake)
    reply["body"] = "broken emoji \ud83d here"  # a valid JSON escape; json decodes it lone
    report, _ = live(con, reddit, ["IAmA"], replace_more_limit=0)
    (comments,) = [r for r in report.reports if r.kind == "comments"]
    assert comments.rejects == {"invalid json": 1} and comments.lines == comments.rows + 1
    ((kind, raw),) = [(kind, raw) for _, _, kind, _, raw in rejects(con)]
    assert kind == "comment" and b'"broken emoji \\ud83d here"' in raw
    assert con.execute("SELECT count(*) FROM reddit_comments").fetchone()[0] == comments.rows > 0
    assert con.execute("SELECT count(*) FROM reddit_submissions WHERE id = ?", [post["id"]]).fetchone()[0] == 1


def test_a_rerun_failing_before_storing_anything_keeps_the_earlier_rejects(con, fake, reddit):
    post_with_reply(fake)[1]["score"] = "n/a"
    live(con, reddit, ["IAmA"], replace_more_limit=0)
    kept = rejects(con)
    assert len(kept) == 1
    fake.fail_next(403)
    with pytest.raises(RedditFetchError, match=r"r/IAmA: HTTP 403 on the listing"):
        live(con, reddit, ["IAmA"], replace_more_limit=0)
    assert rejects(con) == kept


def test_a_rerun_stopped_part_way_keeps_the_earlier_rejects_it_did_not_reach(con, fake, reddit):
    """A run that stores what it fetched before an interrupt has not seen the rest of the day:
    the earlier run's reject of a later thread stays until a run completes."""
    reject_a_late_reply(fake)
    live(con, reddit, ["AskReddit"], replace_more_limit=0)
    kept = rejects(con)
    assert len(kept) == 1
    at_api_request(fake, 1 + 4 + 1, interrupt)  # the listing, 4 threads, then ^C
    with pytest.raises(KeyboardInterrupt):
        live(con, reddit, ["AskReddit"], replace_more_limit=0)
    assert con.execute("SELECT count(*) FROM reddit_submissions").fetchone()[0] > 4  # the 4 were stored again
    assert rejects(con) == kept


def test_a_rerun_stopped_part_way_never_writes_over_an_earlier_reject(con, fake, reddit):
    """Live lines are fetch positions: a new thread at the top of the day moves every later one.
    A re-run that rejects something of that new thread and is then stopped must not write it
    over the earlier run's reject of another object that happened to sit on the same line."""
    posts, late = newest_posts(fake, "AskReddit"), reject_a_late_reply(fake)
    live(con, reddit, ["AskReddit"], replace_more_limit=0)
    ((_, line, _, _, raw),) = rejects(con)
    # a new post tops the listing, with as many comments as put a bad one on that same line
    fake.submissions["zznew"] = dict(copy.deepcopy(posts[0]), id="zznew", created_utc=posts[0]["created_utc"] + 1)
    template = copy.deepcopy(fake.comments_by_post[late["id"]][0])
    fake.comments_by_post["zznew"] = [dict(template, id=f"zz{i}", link_id="t3_zznew", parent_id="t3_zznew",
                                           score="n/a" if i == line - 2 else 3) for i in range(line)]  # fmt: skip
    fake.top_level_page = 10**6
    at_api_request(fake, 1 + 1 + 1, interrupt)  # the listing, the new thread, then ^C
    with pytest.raises(KeyboardInterrupt):
        live(con, reddit, ["AskReddit"], replace_more_limit=0)
    assert raw in [r[4] for r in rejects(con)] and b'"zz' in rejects(con)[-1][4]  # both kept
    live(con, reddit, ["AskReddit"], replace_more_limit=0)  # a run that completes replaces them
    assert sorted(r[4].count(b'"zz') > 0 for r in rejects(con)) == [False, True]


def test_a_rerun_may_reject_a_post_on_the_line_of_an_earlier_comment_reject(con, fake, reddit):
    """A day's posts and comments share one source: when a thread loses its comments, the next
    post moves up to the position an earlier run's comment reject held."""
    first, second = newest_posts(fake, "IAmA")[:2]
    reply = next(c for c in fake.comments_by_post[first["id"]] if c["parent_id"] == f"t3_{first['id']}")
    reply["score"] = "n/a"
    live(con, reddit, ["IAmA"], replace_more_limit=0)
    assert [kind for _, _, kind, _, _ in rejects(con)] == ["comment"]
    reply["score"], fake.comments_by_post[first["id"]], second["score"] = 5, [], "bad"
    live(con, reddit, ["IAmA"], replace_more_limit=0)
    assert [(kind, reason) for _, _, kind, reason, _ in rejects(con)] == [("submission", "wrong type: score")]


def test_a_failed_store_raises_its_own_error_and_stores_nothing(con, fake, reddit):
    con.execute("DROP TABLE reddit_comments")  # a warehouse the comments merge fails on
    with pytest.raises(duckdb.CatalogException, match="reddit_comments"):
        live(con, reddit, ["IAmA"], replace_more_limit=0, batch_submissions=1)
    # the batch's posts were merged in the same transaction, rolled back with it
    assert con.execute("SELECT count(*) FROM reddit_submissions").fetchone()[0] == 0
    assert rejects(con) == []


def test_429_waits_as_the_headers_say_then_succeeds(con, fake, reddit):
    fake.fail_next(429, {"retry-after": "7"})
    # (with x-ratelimit-remaining too, prawcore's own limiter would also pause: for real)
    fake.fail_next(429, {"x-ratelimit-reset": "42"})
    report, waits = live(con, reddit, ["IAmA"], replace_more_limit=0)
    assert waits == [7.0, 42.0]
    assert report.rate_limit_waits == [7.0, 42.0]
    assert report.total("submissions") == 2


def test_repeated_429_fails_clearly_and_keeps_stored_batches(con, fake, reddit, caplog):
    caplog.set_level(logging.DEBUG)
    posts, _ = recorded(fake, "AskReddit", *ALL_TIME)
    calls_per_post = 1  # one thread request each (replace_more_limit=0)
    listing_pages = 1
    # Let the listing and the first 4 threads through, then rate-limit everything.
    at_api_request(fake, listing_pages + 4 * calls_per_post + 1,
                   lambda: fake.fail_next(429, {"retry-after": "30"}, times=100))  # fmt: skip
    with pytest.raises(RedditFetchError, match=r"r/AskReddit: still rate limited \(HTTP 429\)") as err:
        live(con, reddit, ["AskReddit"], replace_more_limit=0, max_retries=3, batch_submissions=2)
    assert len(posts) > 4
    assert con.execute("SELECT count(*) FROM reddit_submissions").fetchone()[0] == 4
    text = str(err.value) + repr(err.value) + caplog.text
    assert "waiting 30.0s" in caplog.text
    assert err.value.__cause__ is None
    assert not any(secret in text for secret in SECRETS)


def test_an_interrupt_stores_the_complete_submissions_fetched_then_is_raised(con, fake, reddit):
    """Not only a fetch error: an interrupt (or any error) while fetching the 5th thread, in a
    batch of 25, stores the 4 complete submissions with their comments. Before, only a
    RedditFetchError stored them; anything else dropped them."""
    at_api_request(fake, 1 + 4 + 1, interrupt)  # the listing, 4 threads, then ^C
    with pytest.raises(KeyboardInterrupt):
        live(con, reddit, ["AskReddit"], replace_more_limit=0)
    posts, comments, orphans = con.execute(
        """SELECT (SELECT count(*) FROM reddit_submissions), count(*),
                  count(*) FILTER (WHERE post_id NOT IN (SELECT id FROM reddit_submissions))
           FROM reddit_comments"""
    ).fetchone()
    assert (posts, orphans) == (4, 0) and comments > 0


def test_a_failed_store_of_what_was_fetched_does_not_hide_the_interrupt(con, fake, reddit):
    def break_the_warehouse_then_interrupt():
        con.execute("DROP TABLE reddit_comments")  # the comments merge on the way out fails
        interrupt()

    at_api_request(fake, 1 + 4 + 1, break_the_warehouse_then_interrupt)
    with pytest.raises(KeyboardInterrupt) as err:
        live(con, reddit, ["AskReddit"], replace_more_limit=0)
    (note,) = err.value.__notes__
    assert note.startswith("r/AskReddit: the 4 complete submissions fetched could not be stored: CatalogException")
    assert con.execute("SELECT count(*) FROM reddit_submissions").fetchone()[0] == 0  # rolled back


def test_5xx_is_retried_by_prawcore_then_a_clear_error(con, fake, reddit, monkeypatch):
    import time as time_module

    monkeypatch.setattr(time_module, "sleep", lambda s: None)  # prawcore's own retry backoff
    fake.fail_next(503)
    report, _ = live(con, reddit, ["IAmA"], replace_more_limit=0)
    assert report.total("submissions") == 2  # one 503, then prawcore's retry succeeded
    fake.fail_next(500, times=3)
    with pytest.raises(RedditFetchError, match=r"r/IAmA: HTTP 500 on the listing"):
        live(con, reddit, ["IAmA"], replace_more_limit=0)


def test_credentials_absent_from_logs_reports_and_errors(con, fake, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)  # prawcore logs every request at DEBUG
    monkeypatch.setenv("REDDIT_USERNAME", "someone")
    monkeypatch.setenv("REDDIT_PASSWORD", PASSWORD)
    monkeypatch.setenv("REDDIT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("REDDIT_USER_AGENT", "upvote-dpo tests (by u/nobody)")
    reddit = reddit_from_env(requestor_kwargs={"session": fake})
    token = [c for c in fake.calls if "access_token" in c.path]
    fake.fail_next(429, {"retry-after": "3"}, times=10)
    with pytest.raises(RedditFetchError) as err:
        live(con, reddit, ["IAmA"], max_retries=2)
    token = [c for c in fake.calls if "access_token" in c.path]
    assert token and token[0].auth == (CLIENT_ID, CLIENT_SECRET)  # the fake really saw them
    assert dict(token[0].data)["password"] == PASSWORD
    rows = (
        con.execute("SELECT * FROM reddit_submissions").fetchall()
        + con.execute("SELECT * FROM ingest_rejects").fetchall()
    )
    text = "\n".join([str(err.value), repr(err.value), caplog.text, repr(rows)])
    assert not any(secret in text for secret in SECRETS)


def test_wait_seconds_prefers_retry_after():
    assert wait_seconds({"retry-after": "2.5", "x-ratelimit-reset": "40"}) == 2.5
    assert wait_seconds({"x-ratelimit-reset": "40"}) == 40.0
    assert wait_seconds({"retry-after": "soon"}) == 60.0
    assert wait_seconds({}) == 60.0
