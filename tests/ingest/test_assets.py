"""The ingest assets' metadata, from a live ingest through praw faked only at the HTTP session."""

from __future__ import annotations

import re

from assets.ingest.assets import live_metadata
from assets.ingest.reddit.live import ingest_live, reddit_from_env
from tests.conftest import PRAW_COMMENTS, PRAW_SUBMISSIONS
from tests.fakes.reddit_http import FakeRedditSession


def test_live_metadata_tables_each_subreddit_and_kind(con, monkeypatch):
    monkeypatch.setenv("REDDIT_CLIENT_ID", "id")
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", "secret")
    monkeypatch.setenv("REDDIT_USER_AGENT", "upvote-dpo tests (by u/nobody)")
    reddit = reddit_from_env(
        requestor_kwargs={"session": FakeRedditSession.from_files(PRAW_COMMENTS, PRAW_SUBMISSIONS)}
    )
    report = ingest_live(
        con,
        reddit,
        ["pics", "IAmA"],
        0,
        2_000_000_000,
        now=lambda: 1_800_000_000,
        replace_more_limit=0,
        sleep=lambda seconds: None,
    )

    lines = live_metadata(report)["by_subreddit"].value.splitlines()
    rows = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]
    assert rows[0] == ["source", "kind", "fetched", "inserted", "updated", "rejected"]
    assert rows[2:] == [
        [r.source, r.kind, str(r.lines), str(r.inserted), str(r.updated), str(r.rejected)] for r in report.reports
    ]
    assert {(row[0].split(":")[1], row[1]) for row in rows[2:]} == {
        (sub, kind) for sub in ("pics", "IAmA") for kind in ("submissions", "comments")
    }
    assert sum(int(row[3]) for row in rows[2:]) > 0
