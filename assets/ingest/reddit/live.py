"""Live Reddit through praw into the same warehouse tables as the dumps.

    reddit = reddit_from_env()                      # praw.ini site or REDDIT_* variables
    report = ingest_live(con, reddit, ["AskAcademia"], start_utc, start_utc + 86400)

For each subreddit, the newest submissions are walked (`subreddit.new`) until one is older
than the window; then the window's submissions already stored that the walk did not reach
are fetched by id (a day fetched again once its threads matured lies days deep in the
listing, which stops near 1000 posts). Each one is fetched with its comments (`replace_more`
bounded), normalised by the dump normalisers and merged keyed by id, newest retrieval wins,
with `source = "praw:<subreddit>:<YYYY-MM-DD of start_utc>"`. Rows are committed every
`batch_submissions` submissions, a submission always with its comments. Whatever stops the
walk (a fetch error, an interrupt, a bug), the complete submissions not yet committed are
stored before the error is raised; a store that fails is rolled back whole, and is not
tried again. A run numbers its lines on from the source's earlier rejects, so it never
writes over them; it deletes them when it completes.

Rate limit: prawcore paces requests from Reddit's x-ratelimit headers and retries 5xx itself,
but raises `TooManyRequests` on a 429. We wait as the response says (`retry-after`, else
`x-ratelimit-reset`) and retry the same request; after `max_retries` waits in a row we store
what is complete and raise `RedditFetchError`. Credentials never reach messages or logs: our
errors are built from the subreddit and HTTP status only, and chained exceptions are dropped.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, count
from typing import Any, TypeVar

import duckdb
import orjson
import praw
from praw.exceptions import MissingRequiredAttributeException
from prawcore.exceptions import PrawcoreException, ResponseException, TooManyRequests

from assets.ingest.reddit.rows import IngestReport, PartitionWriter, drop_earlier_rejects
from assets.warehouse.connect import sql_folder, transaction
from training.errors import UserError

sql = sql_folder(__file__)

log = logging.getLogger(__name__)
T = TypeVar("T")

# praw.Reddit keyword -> environment variable; praw itself also reads praw.ini / praw_* vars.
ENV_SETTINGS = {
    "client_id": "REDDIT_CLIENT_ID",
    "client_secret": "REDDIT_CLIENT_SECRET",
    "user_agent": "REDDIT_USER_AGENT",
    "username": "REDDIT_USERNAME",
    "password": "REDDIT_PASSWORD",
}
SUBMISSION_FIELDS = ("id", "subreddit", "author", "title", "selftext", "score", "created_utc",
                     "over_18", "stickied", "distinguished")  # fmt: skip
COMMENT_FIELDS = ("id", "link_id", "parent_id", "subreddit", "author", "body", "score",
                  "created_utc", "score_hidden", "stickied", "distinguished", "edited")  # fmt: skip
DEFAULT_WAIT_S = 60.0  # a 429 without timing headers: wait a full rate-limit window
MAX_WAIT_S = 600.0


class RedditFetchError(UserError):
    """Fetching a subreddit failed for good (rate limited past max_retries, or an HTTP
    error prawcore gave up on). Rows committed before it stay stored."""


class MissingCredentialsError(UserError):
    """praw found no client id, secret or user agent in the environment or praw.ini."""


def reddit_from_env(site_name: str | None = None, **overrides: Any) -> praw.Reddit:
    """A praw.Reddit from praw.ini (`site_name`, else praw's DEFAULT site) overlaid with the
    REDDIT_* environment variables, then `overrides` (e.g. requestor_kwargs in tests).
    Read at call time, never at import."""
    settings = {key: os.environ[var] for key, var in ENV_SETTINGS.items() if os.environ.get(var)}
    settings.update(overrides)
    settings.setdefault("check_for_updates", False)
    try:
        return praw.Reddit(site_name, **settings)
    except MissingRequiredAttributeException as error:
        setting = str(error).splitlines()[0].strip()
        raise MissingCredentialsError(
            f"{setting} Set {', '.join(ENV_SETTINGS[k] for k in ('client_id', 'client_secret', 'user_agent'))} "
            "(or a praw.ini site) for live ingestion"
        ) from None


@dataclass
class LiveIngestReport:
    """One `ingest_live` call: a report per subreddit and kind, and the rate-limit waits."""

    reports: list[IngestReport] = field(default_factory=list)
    rate_limit_waits: list[float] = field(default_factory=list)  # seconds slept per 429
    # subreddits whose listing ended at max_submissions before the window's start: the older
    # submissions of the window were fetched only where already stored (Reddit's listings
    # stop near 1000)
    cut_short: list[str] = field(default_factory=list)
    # stored submissions of the window the listing did not reach, fetched by id
    fetched_by_id: int = 0
    seconds: float = 0.0

    def total(self, kind: str, attr: str = "rows") -> int:
        return sum(getattr(r, attr) for r in self.reports if r.kind == kind)


def wait_seconds(headers: Any) -> float:
    """How long a 429 asks us to wait: retry-after, else x-ratelimit-reset, else a window."""
    for name in ("retry-after", "x-ratelimit-reset"):
        value = headers.get(name)
        if value is not None:
            try:
                return min(max(float(value), 1.0), MAX_WAIT_S)
            except ValueError:
                continue
    return DEFAULT_WAIT_S


class _Fetcher:
    """Calls into praw with the 429 policy for one subreddit."""

    def __init__(self, subreddit: str, max_retries: int, sleep: Callable[[float], None], waits: list[float]):
        self.subreddit, self.max_retries, self.sleep, self.waits = subreddit, max_retries, sleep, waits

    def __call__(self, call: Callable[[], T], what: str) -> T:
        for attempt in range(self.max_retries + 1):
            try:
                return call()
            except TooManyRequests as exc:
                if attempt == self.max_retries:
                    break
                wait = wait_seconds(exc.response.headers)
                log.warning("r/%s: HTTP 429 on %s; waiting %.1fs (retry %d/%d)",
                            self.subreddit, what, wait, attempt + 1, self.max_retries)  # fmt: skip
                self.waits.append(wait)
                self.sleep(wait)
            except ResponseException as exc:  # 5xx after prawcore's own retries, 403, 404...
                status = exc.response.status_code
                raise RedditFetchError(f"r/{self.subreddit}: HTTP {status} on {what}") from None
            except PrawcoreException as exc:  # network errors; message may carry request args
                raise RedditFetchError(f"r/{self.subreddit}: {type(exc).__name__} on {what}") from None
        raise RedditFetchError(
            f"r/{self.subreddit}: still rate limited (HTTP 429) on {what} after "
            f"{self.max_retries} retries; submissions fetched before this are stored"
        )


def _raw(thing: Any, fields: Iterable[str]) -> dict:
    """The fields praw already holds, as a dump-shaped dict. vars() never triggers a fetch;
    author and subreddit are praw objects, stored by name."""
    data = vars(thing)
    raw = {name: data.get(name) for name in fields}
    for name in ("author", "subreddit"):
        if raw[name] is not None:
            raw[name] = str(raw[name])
    return raw


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


# One fetched submission: its writer and line, then its comments' writer and lines.
Fetched = list[tuple[PartitionWriter, bytes]]


def _store(
    con: duckdb.DuckDBPyConnection,
    writers: list[PartitionWriter],
    batch: list[Fetched],
    numbers: count,
    *,
    completed: bool = False,
) -> None:
    """Hand the writers the batch's lines, numbered in order, and merge what they hold, in one
    transaction; for the run's `completed` last batch, then drop the earlier run's other rejects."""
    with transaction(con):
        for writer, line in chain.from_iterable(batch):
            writer.add(next(numbers), line)
        for writer in writers:
            writer.merge()
        if completed:
            drop_earlier_rejects(con, *writers)


def ingest_live(
    con: duckdb.DuckDBPyConnection,
    reddit: praw.Reddit,
    subreddits: Iterable[str],
    start_utc: float,
    end_utc: float,
    *,
    replace_more_limit: int | None = 8,
    max_submissions: int | None = 1000,
    batch_submissions: int = 25,
    max_retries: int = 5,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
) -> LiveIngestReport:
    """Fetch submissions created in [start_utc, end_utc) and their comments; upsert them.

    replace_more_limit: MoreComments to expand per submission (0 = none, None = all).
    max_submissions: listing items to walk per subreddit (Reddit stops near 1000).
    batch_submissions: submissions per commit.
    max_retries: waits after a 429 before giving up with RedditFetchError.
    sleep, now: injected in tests (no real sleeping, fixed retrieval time).
    """
    started = time.perf_counter()
    result = LiveIngestReport()
    for name in subreddits:
        fetch = _Fetcher(name, max_retries, sleep, result.rate_limit_waits)
        _ingest_listing(
            con,
            result,
            name,
            reddit,
            fetch,
            start_utc,
            end_utc,
            max_submissions=max_submissions,
            replace_more_limit=replace_more_limit,
            batch_submissions=batch_submissions,
            now=now,
        )
    result.seconds = round(time.perf_counter() - started, 3)
    return result


@dataclass
class _Walk:
    """How far one subreddit's listing went."""

    walked: int = 0  # listing items seen
    reached_start: bool = False  # an item older than the window was seen
    fetched_by_id: int = 0  # stored submissions of the window the listing did not yield


def _window_submissions(
    con: duckdb.DuckDBPyConnection,
    reddit: praw.Reddit,
    name: str,
    fetch: _Fetcher,
    start_utc: float,
    end_utc: float,
    max_submissions: int | None,
    walk: _Walk,
) -> Iterator[Any]:
    """The listing's submissions created in the window, newest first; then, as lazy praw
    objects fetched with their thread, the window's stored submissions the listing did not
    yield."""
    listing = reddit.subreddit(name).new(limit=max_submissions)
    listed = set()
    while (submission := fetch(lambda: next(listing, None), "the listing")) is not None:
        walk.walked += 1
        created = submission.created_utc
        if created >= end_utc:
            continue
        if created < start_utc:
            walk.reached_start = True
            break
        listed.add(submission.id)
        yield submission
    window = {"subreddit": name, "start": start_utc, "end": end_utc}
    for (post_id,) in con.execute(sql("select_reddit_submissions_of_window"), window).fetchall():
        if post_id not in listed:
            walk.fetched_by_id += 1
            yield reddit.submission(id=post_id)


def _ingest_listing(
    con,
    result: LiveIngestReport,
    name: str,
    reddit: praw.Reddit,
    fetch: _Fetcher,
    start_utc: float,
    end_utc: float,
    *,
    max_submissions: int | None,
    replace_more_limit: int | None,
    batch_submissions: int,
    now: Callable[[], float],
) -> None:
    """Walk one subreddit's newest-first listing down to the window's start, then the window's
    stored submissions it did not reach, storing complete submissions a batch at a time; a
    listing that ends before the start is added to `result.cut_short`."""
    source = f"praw:{name}:{_day(start_utc)}"
    writers = [PartitionWriter(con, kind, source, int(now())) for kind in ("submissions", "comments")]
    result.reports += [writer.report for writer in writers]
    # numbered on from the source's earlier rejects, which a run stopped part way keeps
    (first_line,) = con.execute(sql("select_ingest_rejects_next_line"), {"source": source}).fetchall()[0]
    item_numbers = count(first_line)
    batch: list[Fetched] = []  # complete submissions not yet stored
    walk = _Walk()
    try:
        for submission in _window_submissions(con, reddit, name, fetch, start_utc, end_utc, max_submissions, walk):
            # One append: even an interrupt cannot leave a post in the batch without all its
            # comments, as adding them to the writers one by one could.
            batch.append(_thread_lines(submission, fetch, writers, replace_more_limit, now))
            if len(batch) == batch_submissions:
                full, batch = batch, []  # a failed store is rolled back, not tried again
                _store(con, writers, full, item_numbers)
    except BaseException as error:  # a fetch error, an interrupt, a bug: keep what is complete
        try:
            if batch:
                _store(con, writers, batch, item_numbers)
        except Exception as failure:  # the error that stopped the walk stays the one raised
            error.add_note(f"r/{name}: the {len(batch)} complete submissions fetched could not be "
                           f"stored: {type(failure).__name__}: {failure}")  # fmt: skip
        raise
    result.fetched_by_id += walk.fetched_by_id
    cut_short = not walk.reached_start and max_submissions is not None and walk.walked >= max_submissions
    if cut_short:
        result.cut_short.append(name)
        log.warning("r/%s: the listing ended after %d submissions, before the window's start; the older "
                    "submissions of %s were fetched only where already stored", name, walk.walked,
                    _day(start_utc))  # fmt: skip
    # Even with nothing left: only a run that completed (saw the whole window) replaces an
    # earlier run's rejects.
    _store(con, writers, batch, item_numbers, completed=not cut_short)


def _thread_lines(
    submission, fetch: _Fetcher, writers, replace_more_limit: int | None, now: Callable[[], float]
) -> Fetched:
    """A submission and every comment of its thread, each as a line for its writer."""
    posts, comments = writers
    forest = fetch(lambda: submission.comments, f"submission {submission.id}")
    fetch(lambda: forest.replace_more(limit=replace_more_limit), f"submission {submission.id}")
    retrieved = int(now())
    lines = [(posts, _line(_raw(submission, SUBMISSION_FIELDS), retrieved))]
    return lines + [(comments, _line(_raw(c, COMMENT_FIELDS), retrieved)) for c in forest.list()]


def _line(raw: dict, retrieved: int) -> bytes:
    """One fetched object, as the JSON line a dump would hold, stamped with when it was
    fetched; normalised by the same SQL as dump lines. What orjson refuses (a lone UTF-16
    surrogate, which praw's JSON decoding lets through) json writes as a \\u escape: DuckDB
    then rejects the line ("invalid json") and keeps its raw text, as for a bad dump line."""
    raw["retrieved_on"] = retrieved
    try:
        return orjson.dumps(raw, default=str)
    except orjson.JSONEncodeError:
        return json.dumps(raw, default=str).encode()
