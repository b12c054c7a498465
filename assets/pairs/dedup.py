"""Deduplicate preference pairs on their completions: exact, then near (MinHash LSH).

`assets.pairs.rules.build_pairs` calls `dedup_pairs` on the pairs that survived every
pair rule, strongest pair first; only the comments in those pairs are hashed.

What "duplicate" means here
---------------------------
Each comment's text is normalised (`normalise`: lowercase, HTML entities, URLs and
markdown link targets dropped, punctuation/markdown/emoji stripped, whitespace
collapsed). Two comments are

* **exact duplicates** when their normalised texts are equal;
* **near duplicates** when the Jaccard similarity of their sets of character
  5-grams (of the normalised text) is >= `threshold`, as estimated by MinHash.

Four steps, in this order, each only on the pairs the previous steps kept, then the
per-post cap:

1. `exact_dup_in_pair`: chosen and rejected are exact duplicates -> the pair says
   nothing, drop it.
2. `exact_dup_pair`: every comment gets an exact cluster (its normalised text); a pair's
   key is (chosen cluster, rejected cluster). A pair whose key a kept pair already has is
   dropped: a thread reposted with its answers, or the same two copy-pasted answers
   meeting again, yield one pair, not several. A comment copied elsewhere can still
   appear in pairs against *different* rivals: that is a different comparison.
3. `near_dup_in_pair`: the MinHash estimate of Jaccard(chosen, rejected) >= threshold.
   Computed directly for every pair, so it is not subject to LSH misses or chaining.
4. `near_dup_pair`: as step 2 with near clusters. Near clusters are the connected
   components of "LSH put them in one bucket AND their estimated Jaccard >= threshold";
   exact duplicates are always in one near cluster. Components can chain (A~B, B~C, A!~C
   -> one cluster); with a 0.8 threshold and both ends of a pair required to match, that
   is rare, and `DedupResult.stats["largest_near_cluster"]` shows it.
5. `per_post_cap`: a post keeps at most `max_per_post` pairs.

Steps 2, 4 and 5 are decided in one walk over the pairs strongest first
(`_walk_strongest_first`), since each depends on which earlier pairs stay: a pair is a
repeat only of a kept pair, and only kept pairs count towards their post's cap.

"Strongest first" is the order of the input (`build_pairs` passes score ratio desc,
chosen score desc, pair_id), so what stays is deterministic.

The MinHash signatures, the LSH banding and the near-duplicate clusters are numba kernels
in `assets.pairs.minhash`.
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from assets.pairs.minhash import compiled, estimated_jaccard, minhash_signatures, near_duplicate_clusters

DEDUP_STEPS = ("exact_dup_in_pair", "exact_dup_pair", "near_dup_in_pair", "near_dup_pair")
CAP_STEP = "per_post_cap"
SELECTION_STEPS = DEDUP_STEPS + (CAP_STEP,)  # what `dedup_pairs` decides, in waterfall order

_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # [text](target) -> text
_URL = re.compile(r"https?://\S+|www\.\S+")
_NOT_WORD = re.compile(r"[\W_]+")  # whitespace, punctuation, markdown marks, emoji, "_"
# ASCII bytes that _NOT_WORD matches (all but letters and digits) -> space.
_ASCII_NOT_WORD = bytes(c if chr(c).isascii() and chr(c).isalnum() else 32 for c in range(256))


def normalise(text: str) -> str:
    """Lowercased words of `text` without URLs, markup or punctuation, single-spaced.

    Non-ASCII text is NFKC-normalised and case-folded first, so the same words typed as
    composed or decomposed accents, or in fullwidth forms, are equal.
    A text that is only punctuation/emoji/URLs would normalise to "" and so equal every
    other such text; it falls back to its lowercased, whitespace-collapsed self.
    """
    unescaped = html.unescape(text)
    lowered = unescaped.lower() if unescaped.isascii() else unicodedata.normalize("NFKC", unescaped).casefold()
    stripped = lowered
    # Each regex only where its match is possible: a substring test is far cheaper than
    # a regex scan, and most comments have neither links nor URLs.
    if "](" in stripped:
        stripped = _MD_LINK.sub(r"\1", stripped)
    if "http" in stripped or "www." in stripped:
        stripped = _URL.sub(" ", stripped)
    if stripped.isascii():  # the common case: a byte table beats the regex
        words = " ".join(stripped.encode("ascii").translate(_ASCII_NOT_WORD).decode("ascii").split())
    else:
        words = _NOT_WORD.sub(" ", stripped).strip()  # \W includes whitespace
    return words or " ".join(lowered.split())


@dataclass
class DedupResult:
    """`reasons[i]` is the step that dropped pair i (one of SELECTION_STEPS) or None."""

    reasons: list[str | None]
    removed: dict[str, int]
    stats: dict[str, float | int] = field(default_factory=dict)


def _dense(keys: np.ndarray) -> np.ndarray:
    """Each key as the index of its value among the distinct values (0..distinct-1)."""
    return np.unique(keys, return_inverse=True)[1].astype(np.int64).reshape(-1)


def _pair_keys(chosen_label: np.ndarray, rejected_label: np.ndarray) -> np.ndarray:
    """One dense int per (chosen label, rejected label): the key a repeated pair shares."""
    return _dense(chosen_label * (int(rejected_label.max(initial=0)) + 1) + rejected_label)


@compiled
def _walk_strongest_first(
    live: np.ndarray, exact_key: np.ndarray, near_key: np.ndarray, post: np.ndarray, max_per_post: int
) -> np.ndarray:
    """Step code per live pair, walking them strongest first: 0 kept, 1 its exact key is a
    kept pair's, 2 its near key is, 3 its post already has max_per_post kept pairs.

    One pass, because each verdict depends on which earlier pairs were *kept*: a pair is
    a repeat only of a pair that stays, and only kept pairs fill a post's cap. (Repeats
    first, then the cap, in two passes, dropped a pair as the repeat of a stronger copy
    that the cap then removed, and the comparison was lost.) A key of -1 is not checked."""
    seen_exact = np.zeros(exact_key.max() + 2, np.bool_)
    seen_near = np.zeros(near_key.max() + 2, np.bool_)
    kept_in_post = np.zeros(post.max() + 2, np.int64)
    step = np.zeros(len(live), np.int8)
    for i in range(len(live)):
        pair = live[i]
        if exact_key[pair] >= 0 and seen_exact[exact_key[pair]]:
            step[i] = 1
        elif near_key[pair] >= 0 and seen_near[near_key[pair]]:
            step[i] = 2
        elif max_per_post > 0 and kept_in_post[post[pair]] >= max_per_post:
            step[i] = 3
        else:
            if exact_key[pair] >= 0:
                seen_exact[exact_key[pair]] = True
            if near_key[pair] >= 0:
                seen_near[near_key[pair]] = True
            kept_in_post[post[pair]] += 1
    return step


def _exact_labels(texts: Sequence[str], stats: dict) -> tuple[np.ndarray, list[str]]:
    """Each text's exact cluster (the index of its normalised text among the distinct ones), and
    the distinct normalised texts; timings go into `stats`."""
    t = time.perf_counter()
    label_of: dict[str, int] = {}
    labels = np.fromiter(
        (label_of.setdefault(normalise(s), len(label_of)) for s in texts), dtype=np.int64, count=len(texts)
    )
    stats["distinct_texts"] = len(label_of)
    stats["normalise_s"] = time.perf_counter() - t
    return labels, list(label_of)


def dedup_pairs(
    chosen: Sequence[int],
    rejected: Sequence[int],
    texts: Sequence[str],
    *,
    posts: Sequence | None = None,
    max_per_post: int = 0,
    exact: bool = True,
    near: bool = True,
    threshold: float = 0.8,
    num_perm: int = 128,
    seed: int = 1,
) -> DedupResult:
    """Apply SELECTION_STEPS to pairs given strongest first.

    chosen[i], rejected[i] index `texts` (one entry per distinct comment); posts[i] is pair
    i's post (any hashable values), which keeps at most `max_per_post` pairs (0 = no cap).
    """
    chosen = np.asarray(chosen, dtype=np.int64)
    rejected = np.asarray(rejected, dtype=np.int64)
    post = np.zeros(len(chosen), dtype=np.int64) if posts is None else _dense(np.asarray(posts))
    reasons = np.full(len(chosen), None, dtype=object)
    removed = dict.fromkeys(SELECTION_STEPS, 0)
    keep = np.ones(len(chosen), dtype=bool)
    stats: dict[str, float | int] = {"comments": len(texts)}

    def drop(mask: np.ndarray, step: str) -> None:
        hit = mask & keep
        reasons[hit] = step
        removed[step] = int(hit.sum())
        keep[hit] = False

    exact_label, distinct = _exact_labels(texts, stats)
    no_key = np.full(len(chosen), -1, dtype=np.int64)
    exact_key, near_key = no_key, no_key
    if exact:
        drop(exact_label[chosen] == exact_label[rejected], "exact_dup_in_pair")
        exact_key = _pair_keys(exact_label[chosen], exact_label[rejected])
    if near and keep.any():
        in_pair, near_key = _near_duplicates(
            distinct,
            exact_label,
            chosen,
            rejected,
            keep,
            num_perm=num_perm,
            seed=seed,
            threshold=threshold,
            stats=stats,
        )
        drop(in_pair, "near_dup_in_pair")
    live = np.flatnonzero(keep)
    if len(live):
        step = _walk_strongest_first(live, exact_key, near_key, post, max_per_post)
        for code, name in enumerate(("exact_dup_pair", "near_dup_pair", CAP_STEP), start=1):
            hit = np.zeros(len(keep), dtype=bool)
            hit[live[step == code]] = True
            drop(hit, name)
    return DedupResult(reasons=reasons.tolist(), removed=removed, stats=stats)


def dedup_pairs_under(
    rules, chosen: Sequence[int], rejected: Sequence[int], texts: Sequence[str], posts
) -> DedupResult:
    """`dedup_pairs` with the settings of a pairs build's rules: Reddit's `PairRules` and
    `StackExchangeRules` name them alike, so both builds dedup by one call."""
    return dedup_pairs(
        chosen,
        rejected,
        texts,
        posts=posts,
        max_per_post=rules.max_pairs_per_post,
        exact=rules.exact_dedup,
        near=rules.near_dedup,
        threshold=rules.near_dup_threshold,
        num_perm=rules.minhash_num_perm,
        seed=rules.minhash_seed,
    )


def _near_duplicates(
    distinct: list[str],
    exact_label: np.ndarray,
    chosen: np.ndarray,
    rejected: np.ndarray,
    keep: np.ndarray,
    *,
    num_perm: int,
    seed: int,
    threshold: float,
    stats: dict,
) -> tuple[np.ndarray, np.ndarray]:
    """MinHash the texts of the kept pairs: (the pairs whose two sides are near duplicates, each
    pair's key of near-duplicate clusters, -1 where not kept); timings go into `stats`."""
    # Only texts still in kept pairs are hashed; `row` maps exact label -> signature row.
    used = np.unique(np.concatenate([exact_label[chosen[keep]], exact_label[rejected[keep]]]))
    row = np.full(len(distinct), -1, dtype=np.int64)
    row[used] = np.arange(len(used))
    t = time.perf_counter()
    signatures = minhash_signatures([distinct[u] for u in used], num_perm=num_perm, seed=seed)
    stats["minhash_s"] = time.perf_counter() - t
    stats["hashed_texts"] = len(used)
    live = np.flatnonzero(keep)
    c_row, r_row = row[exact_label[chosen[live]]], row[exact_label[rejected[live]]]
    in_pair = np.zeros(len(keep), dtype=bool)
    in_pair[live] = estimated_jaccard(signatures, c_row, r_row) >= threshold
    t = time.perf_counter()
    cluster = near_duplicate_clusters(signatures, threshold)
    stats["lsh_s"] = time.perf_counter() - t
    stats["largest_near_cluster"] = int(np.bincount(cluster).max())
    near_key = np.full(len(keep), -1, dtype=np.int64)
    near_key[live] = _pair_keys(cluster[c_row], cluster[r_row])
    return in_pair, near_key
