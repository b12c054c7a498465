"""A fake Reddit at the HTTP edge: a `requests.Session` stand-in for prawcore's Requestor.

    fake = FakeRedditSession.from_files(comments_zst, submissions_zst)
    reddit = praw.Reddit(client_id=..., client_secret=..., user_agent=...,
                         requestor_kwargs={"session": fake}, check_for_updates=False)

Everything above `session.request(...)` (praw's models, listings, MoreComments, prawcore's
auth, rate limiter and retries) runs for real. The answers are Reddit-shaped JSON (Listing /
t3 / t1 / more) built from real rows recorded by praw's test cassettes
(`data/sample/R[CS]_praw_cassettes.ndjson.zst`). Scripted failures: `fail_next(status,
headers, times)` answers the next `times` API requests (not the token request) with that
status, e.g. 429 with `retry-after`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import orjson
import requests
from requests.structures import CaseInsensitiveDict

from assets.ingest.reddit.dumps import iter_lines

TOKEN_PATH = "/api/v1/access_token"


@dataclass
class Call:
    method: str
    path: str
    params: dict
    data: object
    headers: dict
    auth: object


@dataclass
class FakeRedditSession:
    submissions: dict[str, dict]  # id -> raw submission
    comments_by_post: dict[str, list[dict]]  # post id -> raw comments
    top_level_page: int = 5  # top-level comments per thread page; the rest behind "more"
    calls: list[Call] = field(default_factory=list)
    headers: dict = field(default_factory=dict)  # prawcore sets User-Agent here
    _failures: list[tuple[int, dict]] = field(default_factory=list)

    @classmethod
    def from_files(cls, comments: Path, submissions: Path, **kwargs) -> FakeRedditSession:
        subs = {s["id"]: s for s in map(orjson.loads, iter_lines(submissions))}
        by_post: dict[str, list[dict]] = defaultdict(list)
        for c in map(orjson.loads, iter_lines(comments)):
            by_post[c["link_id"][3:]].append(c)
        return cls(subs, dict(by_post), **kwargs)

    # --- scripting ---------------------------------------------------------------------

    def fail_next(self, status: int, headers: dict | None = None, times: int = 1) -> None:
        self._failures.extend([(status, headers or {})] * times)

    def api_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path != TOKEN_PATH]

    def thread_size(self, post_id: str) -> int:
        """Comments reachable from the post (recorded threads miss some parents)."""
        children = defaultdict(list)
        for c in self.comments_by_post.get(post_id, []):
            children[c["parent_id"]].append(c)
        stack, n = list(children[f"t3_{post_id}"]), 0
        while stack:
            n += 1
            stack.extend(children[f"t1_{stack.pop()['id']}"])
        return n

    # --- the requests.Session surface prawcore uses --------------------------------------

    def close(self) -> None:
        pass

    def request(self, method, url, params=None, data=None, headers=None, auth=None, **_):
        path = urlparse(url).path
        params = dict(params or {})
        self.calls.append(Call(method, path, params, data, dict(headers or {}), auth))
        if path == TOKEN_PATH:
            return _response(200, {"access_token": "fake-access-token", "token_type": "bearer",
                                   "expires_in": 86400, "scope": "*"})  # fmt: skip
        if self._failures:
            status, extra = self._failures.pop(0)
            return _response(status, {"message": "scripted", "error": status}, extra)
        parts = [p for p in path.split("/") if p]
        if len(parts) == 3 and parts[0] == "r" and parts[2] == "new":
            return _response(200, self._new(parts[1], params))
        if len(parts) == 2 and parts[0] == "comments":
            return _response(200, self._thread(parts[1]))
        if parts == ["api", "morechildren"]:
            return _response(200, self._more_children(dict(data or {})))
        return _response(404, {"message": "Not Found", "error": 404})

    # --- Reddit-shaped answers --------------------------------------------------------------

    def _new(self, subreddit: str, params: dict) -> dict:
        posts = sorted(
            (s for s in self.submissions.values() if s["subreddit"].lower() == subreddit.lower()),
            key=lambda s: -s["created_utc"],
        )
        start = 0
        if after := params.get("after"):
            start = next(i for i, s in enumerate(posts) if f"t3_{s['id']}" == after) + 1
        page = posts[start : start + int(params.get("limit", 25))]
        after = f"t3_{page[-1]['id']}" if page and start + len(page) < len(posts) else None
        return _listing([_t3(s) for s in page], after)

    def _thread(self, post_id: str) -> list[dict]:
        comments = self.comments_by_post.get(post_id, [])
        children = defaultdict(list)
        for c in comments:
            children[c["parent_id"]].append(c)
        top = children[f"t3_{post_id}"]
        shown, hidden = top[: self.top_level_page], top[self.top_level_page :]
        things = [_t1(c, children) for c in shown]
        if hidden:
            things.append(_more([c["id"] for c in hidden], f"t3_{post_id}"))
        return [_listing([_t3(self.submissions[post_id])]), _listing(things)]

    def _more_children(self, data: dict) -> dict:
        post_id = data["link_id"][3:]
        wanted = set(data["children"].split(","))
        comments = self.comments_by_post.get(post_id, [])
        children = defaultdict(list)
        for c in comments:
            children[c["parent_id"]].append(c)
        things, stack = [], [c for c in comments if c["id"] in wanted]
        while stack:  # each asked-for comment then its descendants, parents first, flat
            c = stack.pop(0)
            things.append({"kind": "t1", "data": {**_comment_data(c), "replies": ""}})
            stack.extend(children[f"t1_{c['id']}"])
        return {"json": {"errors": [], "data": {"things": things}}}


def _response(status: int, payload, headers: dict | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(payload).encode()
    response.encoding = "utf-8"
    response.headers = CaseInsensitiveDict({"content-type": "application/json; charset=UTF-8", **(headers or {})})
    return response


def _listing(children: list[dict], after: str | None = None) -> dict:
    return {"kind": "Listing", "data": {"after": after, "before": None, "dist": len(children),
                                        "children": children}}  # fmt: skip


def _t3(s: dict) -> dict:
    data = {k: v for k, v in s.items() if k not in ("recorded_at", "source_repo", "source_path")}
    return {"kind": "t3", "data": {**data, "name": f"t3_{s['id']}", "stickied": False,
                                   "distinguished": None, "over_18": False}}  # fmt: skip


def _comment_data(c: dict) -> dict:
    keep = ("id", "link_id", "parent_id", "body", "score", "created_utc", "author",
            "subreddit", "score_hidden", "controversiality", "edited", "distinguished",
            "stickied", "permalink")  # fmt: skip
    return {**{k: c.get(k) for k in keep}, "name": f"t1_{c['id']}"}


def _t1(c: dict, children: dict) -> dict:
    replies = [_t1(r, children) for r in children[f"t1_{c['id']}"]]
    return {"kind": "t1", "data": {**_comment_data(c), "replies": _listing(replies) if replies else ""}}


def _more(ids: list[str], parent_id: str) -> dict:
    return {"kind": "more", "data": {"count": len(ids), "name": f"t1_{ids[0]}", "id": ids[0],
                                     "parent_id": parent_id, "depth": 0, "children": ids}}  # fmt: skip
