"""Synthetic Pushshift-shaped Reddit dumps (RC_ comments / RS_ submissions, zstd NDJSON) at any size.

    .venv/bin/python -m benchmarks.synth --comments 1e6 --out /tmp/upvote-dpo-bench

writes RC_synth_1M.ndjson.zst and RS_synth_1M.ndjson.zst (and a .json of what it wrote).
Streamed: posts are generated a chunk at a time (numpy for the numbers, orjson per line,
`zstandard` stream writer at level 3), so memory does not grow with the data (only the zstd
window fills, up to 2 GiB with --window-log 31); 10M comments take ~7 minutes on 2 busy cores
(25 s per 1M). The frames declare a 2^31 window (`--window-log`, as the real dumps'
`zstd --long=31`), so readers need `zstd -dc --long=31` / `max_window_size=2**31`; note that
a streaming decoder of such a frame keeps up to 2 GiB of history once the output passes that.

Shapes (fixed seed, so a size always gives the same files):
  * comments per post: log-normal (median ~7, mean ~14, capped at 5,000): a few huge threads;
  * ~45% of comments top-level, the rest replies to an earlier comment of the same post;
  * comment scores: log-normal heavy tail plus some negatives; post scores heavier still;
  * time: posts spread over months, comments minutes to days after their post (a reply after
    its parent); the comment file is in time order within each chunk of posts, like a dump;
  * ~4% deleted/removed comments (null or "[deleted]" author), AutoModerator stickied
    moderator comments on ~5% of posts, ~5% of comments by the post's author, 2% NSFW posts,
    1% score_hidden; ~0.5% exact copy-pasted comments and ~0.3% near copies (one word changed);
  * bodies: 1-6 sentences drawn from a pool of random pseudo-word sentences; ids are base36.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import orjson
import zstandard

SUBREDDITS = ("college", "UCLA", "berkeley", "UIUC", "gatech", "Purdue", "uofm", "rutgers")
POSTS_PER_CHUNK = 2000
T0 = 1_500_000_000  # 2017-07-14
B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def base36(n: int) -> str:
    out = []
    while n:
        n, r = divmod(n, 36)
        out.append(B36[r])
    return "".join(reversed(out)) or "0"


def label(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n / 1e3:g}k"


def _sentence_pool(rng: np.random.Generator, n: int = 50_000) -> list[str]:
    letters = np.array(list("etaoinshrdlcumwfgypbvkjxqz"))
    p = np.array(
        [
            12.7,
            9.1,
            8.2,
            7.5,
            7.0,
            6.7,
            6.3,
            6.1,
            6.0,
            4.3,
            4.0,
            2.8,
            2.8,
            2.4,
            2.4,
            2.2,
            2.0,
            2.0,
            1.9,
            1.5,
            1.0,
            0.8,
            0.15,
            0.15,
            0.1,
            0.07,
        ]
    )
    p /= p.sum()
    words = ["".join(rng.choice(letters, size=k, p=p)) for k in rng.integers(1, 10, size=20_000)]
    zipf = (rng.random((n, 24)) ** 3 * len(words)).astype(np.int64)  # a few words common, most rare
    lengths = rng.integers(4, 24, size=n)
    pool = []
    for row, k in zip(zipf, lengths):
        s = " ".join(words[i] for i in row[:k])
        pool.append(s[0].upper() + s[1:] + rng.choice([".", ".", ".", "?", "!"]))
    return pool


class Generator:
    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.pool = _sentence_pool(self.rng)
        self.authors = [f"user_{base36(i * 7919 + 1000)}" for i in range(200_000)]
        self.next_post = 36**4
        self.next_comment = 36**5
        self.recent_bodies: list[str] = [self.pool[0]]

    def _body(self, sentences, r: float) -> str:
        """A comment body: the given pool sentences, or (by r) a copy / near copy of a recent one."""
        if r < 0.005:  # copy-paste
            return self.recent_bodies[int(r * 1e9) % len(self.recent_bodies)]
        if r < 0.008:  # near copy: one word changed
            words = self.recent_bodies[int(r * 1e9) % len(self.recent_bodies)].split(" ")
            words[int(r * 1e7) % len(words)] = "edit"
            return " ".join(words)
        pool = self.pool
        body = " ".join([pool[i] for i in sentences])
        if r > 0.99:
            self.recent_bodies.append(body)
            if len(self.recent_bodies) > 5000:
                self.recent_bodies = self.recent_bodies[-2500:]
        return body

    def chunk(self, n_posts: int, t_start: int, t_span: int, budget: int) -> tuple[list[bytes], list[bytes], int]:
        """(submission lines, comment lines in time order, comments made). Every random number
        of the chunk is drawn in a few vectorised calls; the Python loop only assembles lines."""
        rng = self.rng
        counts = np.minimum(np.round(rng.lognormal(1.9, 1.2, n_posts)), 5000).astype(np.int64)
        if counts.sum() > budget:  # the last chunk: stop exactly at the budget
            cut = np.cumsum(counts)
            n_posts = int(np.searchsorted(cut, budget)) + 1
            counts = counts[:n_posts]
            counts[-1] -= int(counts.sum() - budget)
        post_times = t_start + np.sort(rng.integers(0, t_span, n_posts))
        post_scores = np.floor(rng.lognormal(2.0, 1.8, n_posts)).astype(np.int64)
        post_authors = rng.integers(0, len(self.authors), n_posts)
        subs = rng.choice(len(SUBREDDITS), n_posts, p=[0.3, 0.15, 0.15, 0.1, 0.1, 0.08, 0.07, 0.05])
        nsfw = rng.random(n_posts) < 0.02
        automod = rng.random(n_posts) < 0.05
        titles = rng.integers(0, len(self.pool), n_posts)
        selftexts = rng.integers(0, len(self.pool), (n_posts, 3))
        has_self = rng.random(n_posts) < 0.6
        post_ids = base36_range(self.next_post, n_posts)
        self.next_post += n_posts
        retrieved = t_start + t_span + 86400 * 30
        sub_lines = [
            orjson.dumps(
                {
                    "id": post_ids[j],
                    "subreddit": SUBREDDITS[subs[j]],
                    "author": self.authors[post_authors[j]],
                    "title": self.pool[titles[j]],
                    "selftext": " ".join([self.pool[i] for i in selftexts[j]]) if has_self[j] else "",
                    "score": int(post_scores[j]),
                    "created_utc": int(post_times[j]),
                    "over_18": bool(nsfw[j]),
                    "stickied": False,
                    "num_comments": int(counts[j]),
                    "retrieved_on": retrieved,
                }
            )
            for j in range(n_posts)
        ]

        # Comment-level arrays for the whole chunk; `first[j]` is post j's first comment.
        n = int(counts.sum())
        post_of = np.repeat(np.arange(n_posts), counts)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rank = np.arange(n) - first[post_of]  # position within the post, in time order
        delay = np.round(rng.lognormal(8.0, 1.6, n)).astype(np.int64)
        order = np.lexsort((delay, post_of))  # sort delays within each post
        times = post_times[post_of] + delay[order]
        top = (rng.random(n) < 0.45) | (rank == 0)
        parents = first[post_of] + (rng.random(n) * rank).astype(np.int64)  # an earlier comment
        scores = np.floor(rng.lognormal(0.6, 1.5, n)).astype(np.int64) + top
        scores -= (rng.random(n) < 0.08) * rng.integers(1, 10, n)
        r = rng.random(n)
        authors = rng.zipf(1.6, n) % len(self.authors)
        nsent = np.minimum(rng.zipf(2.0, n), 6)
        sentences = rng.integers(0, len(self.pool), (n, 6))
        ids = base36_range(self.next_comment, n)
        self.next_comment += n
        links = ["t3_" + p for p in post_ids]
        rows = []
        for i in range(n):
            j, ri = post_of[i], r[i]
            author, body, mod = self.authors[authors[i]], None, False
            if rank[i] == 0 and automod[j]:
                author, body, mod = "AutoModerator", "Your post was approved. " + self.pool[7], True
            elif ri < 0.02:
                author, body = None, "[deleted]"
            elif ri < 0.04:
                author, body = "[deleted]", "[removed]"
            elif ri > 0.95:
                author = self.authors[post_authors[j]]  # OP
            if body is None:
                body = self._body(sentences[i, : nsent[i]], (ri - 0.04) / 0.91 if 0.04 <= ri <= 0.95 else 0.5)
            link = links[j]
            rows.append(
                (
                    times[i],
                    orjson.dumps(
                        {
                            "id": ids[i],
                            "link_id": link,
                            "parent_id": link if top[i] else "t1_" + ids[parents[i]],
                            "author": author,
                            "body": body,
                            "score": int(scores[i]),
                            "created_utc": int(times[i]),
                            "subreddit": SUBREDDITS[subs[j]],
                            "score_hidden": bool(0.5 < ri < 0.51),
                            "stickied": mod,
                            "distinguished": "moderator" if mod else None,
                            "edited": False,
                            "retrieved_on": retrieved,
                        }
                    ),
                )
            )
        rows.sort(key=lambda t: t[0])
        return sub_lines, [line for _, line in rows], n


def base36_range(start: int, n: int) -> list[str]:
    """base36(start), ..., base36(start + n - 1), vectorised (all the same width here)."""
    width = len(base36(start + max(n - 1, 0)))
    if len(base36(start)) != width:
        return [base36(start + i) for i in range(n)]
    x = np.arange(start, start + n, dtype=np.int64)
    digits = np.empty((n, width), dtype=np.uint8)
    for k in range(width - 1, -1, -1):
        x, digits[:, k] = np.divmod(x, 36)
    chars = np.frombuffer(B36.encode(), dtype=np.uint8)[digits]
    return chars.view(f"S{width}").ravel().astype(str).tolist()


def generate(out_dir: Path, n_comments: int, seed: int = 0, window_log: int = 31, level: int = 3) -> dict:
    """Write RC_/RS_synth_<label>.ndjson.zst under out_dir; returns what was written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = label(n_comments)
    rc_path, rs_path = out_dir / f"RC_synth_{name}.ndjson.zst", out_dir / f"RS_synth_{name}.ndjson.zst"
    params = zstandard.ZstdCompressionParameters.from_level(level, window_log=window_log)
    rc_cctx, rs_cctx = (zstandard.ZstdCompressor(compression_params=params) for _ in range(2))  # one per stream
    gen = Generator(seed)
    started = time.perf_counter()
    made = posts = 0
    t = T0
    span = 86400 * 2  # each chunk of posts covers two days
    rc_tmp, rs_tmp = rc_path.with_suffix(".zst.tmp"), rs_path.with_suffix(".zst.tmp")
    with (
        open(rc_tmp, "wb") as rc_fh,
        open(rs_tmp, "wb") as rs_fh,
        rc_cctx.stream_writer(rc_fh, closefd=False) as rc,
        rs_cctx.stream_writer(rs_fh, closefd=False) as rs,
    ):
        while made < n_comments:
            sub_lines, comment_lines, k = gen.chunk(POSTS_PER_CHUNK, t, span, n_comments - made)
            rs.write(b"\n".join(sub_lines) + b"\n")
            if comment_lines:
                rc.write(b"\n".join(comment_lines) + b"\n")
            made += k
            posts += len(sub_lines)
            t += span
            print(f"\r  synth {name}: {made:,}/{n_comments:,} comments", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    rc_tmp.rename(rc_path)
    rs_tmp.rename(rs_path)
    info = {
        "comments": made,
        "posts": posts,
        "seed": seed,
        "window_log": window_log,
        "level": level,
        "gen_s": round(time.perf_counter() - started, 1),
        "rc_mb": round(rc_path.stat().st_size / 2**20, 1),
        "rs_mb": round(rs_path.stat().st_size / 2**20, 1),
        "rc": str(rc_path),
        "rs": str(rs_path),
    }
    (out_dir / f"synth_{name}.json").write_text(json.dumps(info, indent=2))
    return info


def ensure(out_dir: Path, n_comments: int, seed: int = 0) -> tuple[Path, Path, dict | None]:
    """The files for this size, generated (in a measured subprocess) unless already there.
    Returns (comments, submissions, generation row or None when reused)."""
    name = label(n_comments)
    meta = out_dir / f"synth_{name}.json"
    if meta.exists():
        info = json.loads(meta.read_text())
        if info.get("seed") == seed and Path(info["rc"]).exists() and Path(info["rs"]).exists():
            return Path(info["rc"]), Path(info["rs"]), None
    from benchmarks import harness

    row = harness.run_contender(
        f"synth {name}",
        [
            harness.PYTHON,
            "-m",
            "benchmarks.synth",
            "--comments",
            str(n_comments),
            "--out",
            str(out_dir),
            "--seed",
            str(seed),
        ],
    )
    info = json.loads(meta.read_text())
    row.update(comments=info["comments"], posts=info["posts"], rc_mb=info["rc_mb"], rs_mb=info["rs_mb"])
    return Path(info["rc"]), Path(info["rs"]), row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--comments", default="1e6", help="how many comments (e.g. 1e6, 10000000)")
    ap.add_argument("--out", default="/tmp/upvote-dpo-bench", help="output directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--window-log", type=int, default=31, help="zstd window log written in the frame (31 = --long=31)")
    ap.add_argument("--level", type=int, default=3, help="zstd level")
    args = ap.parse_args()
    info = generate(Path(args.out), int(float(args.comments)), args.seed, args.window_log, args.level)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
