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

Why character 5-grams: Reddit comments are short. Word 3-gram sets of a 10-word comment
have 8 elements and one edited word moves Jaccard below one half, so word shingles would only ever find exact copies of
short comments; character 5-grams degrade smoothly with small edits, typos and
punctuation. They are also hashed without a Python loop: each 5-byte window of the
UTF-8 text is read as one integer.

Why our own kernels: datasketch's `MinHash.bulk` hashes each shingle with SHA-1 in Python,
which dominates a build on a whole dump. `minhash_signatures` computes datasketch's default
"affine32" construction (MurmurHash3 fmix32 pre-mix, then `a*h + b mod 2^32` with
datasketch's own permutations for `seed`) in one numba-compiled pass over the UTF-8 bytes of
all comments, shingling included, a block of texts per thread; a test checks it equals
`datasketch.MinHash(hashfunc=identity).update_batch` bit for bit. Banding uses the
(bands, rows) datasketch's `MinHashLSH` chooses, sorting a 64-bit key per band rather than
inserting into MinHashLSH and walking its buckets; a test checks the candidates equal
MinHashLSH's `query` results. The timings are in benchmarks/README.md ("Design figures").
"""

from __future__ import annotations

import html
import os
import re
import time
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numba
import numpy as np

DEDUP_STEPS = ("exact_dup_in_pair", "exact_dup_pair", "near_dup_in_pair", "near_dup_pair")
CAP_STEP = "per_post_cap"
SELECTION_STEPS = DEDUP_STEPS + (CAP_STEP,)  # what `dedup_pairs` decides, in waterfall order
SHINGLE_CHARS = 5  # bytes per shingle; up to 8 fit in one uint64 exactly
# datasketch's (false positive, false negative) weights for choosing bands. Candidates are
# verified by their estimated Jaccard, so a false positive costs a comparison and a false
# negative a missed duplicate: (0.1, 0.9) gives 14 bands x 9 rows for 0.8 / 128, finding
# a pair at Jaccard 0.8 / 0.85 / 0.9 with probability 0.87 / 0.975 / 0.999, where the
# default (0.5, 0.5) gives 9 x 13 and 0.40 / 0.69 / 0.93.
LSH_WEIGHTS = (0.1, 0.9)

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


def _compiled(func):
    """`numba.njit` with its on-disk cache (the package's __pycache__, NUMBA_CACHE_DIR or
    the user's cache folder) where one can be written; numba refuses `cache=True` at import
    when none can (a read-only install), and then the kernel compiles once per process."""
    try:
        return numba.njit(cache=True, nogil=True)(func)
    except RuntimeError:
        return numba.njit(nogil=True)(func)


@numba.njit(inline="always")  # inlined into the kernels: nothing to cache
def _fmix32(h: np.uint32) -> np.uint32:
    """MurmurHash3's 32-bit finalizer (as datasketch's affine32 scheme pre-mixes)."""
    h ^= h >> np.uint32(16)
    h = np.uint32(h * np.uint32(0x85EBCA6B))
    h ^= h >> np.uint32(13)
    h = np.uint32(h * np.uint32(0xC2B2AE35))
    return h ^ (h >> np.uint32(16))


def permutations(num_perm: int, seed: int = 1) -> np.ndarray:
    """datasketch's affine32 permutation parameters (a, b), shape (2, num_perm), uint32."""
    from datasketch import MinHash  # here, not at import: it loads scipy.integrate

    return MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations


@_compiled
def _minhash_rows(data: np.ndarray, starts: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out[i]: the MinHash of text i = data[starts[i]:starts[i + 1]] (UTF-8, >= k bytes).

    Each k-byte window is read as one little-endian integer (exact, no collisions; kept
    rolling, one byte in per step), folded to 32 bits by multiply-shift, pre-mixed by
    fmix32, then permuted: min over windows of (a * h + b) mod 2^32. One fused pass with
    no array per shingle, where numpy needs a permutations x shingles block per text."""
    k, fold = SHINGLE_CHARS, np.uint64(0x9E3779B97F4A7C15)
    for i in range(out.shape[0]):
        row = np.full(out.shape[1], np.uint32(0xFFFFFFFF))
        window = np.uint64(0)
        for j in range(starts[i], starts[i + 1]):
            window = (window >> np.uint64(8)) | (np.uint64(data[j]) << np.uint64(8 * (k - 1)))
            if j - starts[i] >= k - 1:
                h = _fmix32(np.uint32((window * fold) >> np.uint64(32)))
                for p in range(out.shape[1]):
                    v = np.uint32(a[p] * h + b[p])  # numba widens uint32 products: wrap back
                    if v < row[p]:
                        row[p] = v
        out[i] = row


def minhash_signatures(texts: Sequence[str], num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """MinHash signature of each text's set of character k-grams, shape (len(texts), num_perm).

    Row i equals `MinHash(num_perm, seed, hashfunc=lambda h: h).update_batch(H_i)` where
    H_i are the 32-bit hashes of text i's k-byte UTF-8 windows, `(w * 0x9E3779B97F4A7C15
    mod 2^64) >> 32` for each window w read as a little-endian integer; a text shorter than
    k bytes is zero-padded to one window.
    """
    encoded = [t.encode("utf-8").ljust(SHINGLE_CHARS, b"\0") for t in texts]
    starts = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=starts[1:])
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    a, b = permutations(num_perm, seed)
    out = np.empty((len(texts), num_perm), dtype=np.uint32)
    workers = os.cpu_count() or 1
    # Whole texts per block, about as many bytes in each, a few blocks per worker.
    cuts = np.searchsorted(starts, np.linspace(0, starts[-1], 4 * workers + 1)[1:-1])
    edges = np.unique(np.concatenate(([0], cuts, [len(texts)])))

    def sign(t0: int, t1: int) -> None:
        _minhash_rows(data, starts[t0 : t1 + 1], a, b, out[t0:t1])

    with ThreadPoolExecutor(max_workers=workers) as pool:  # the kernel releases the GIL
        list(pool.map(sign, edges[:-1], edges[1:]))
    return out


def estimated_jaccard(signatures: np.ndarray, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
    """MinHash Jaccard estimate of each row pair (rows_a[i], rows_b[i]): the share of equal
    signature positions. Compiled, so no (pairs x permutations) copies are made; the
    indices are checked here, as the kernel does not."""
    rows_a, rows_b = np.asarray(rows_a, dtype=np.int64), np.asarray(rows_b, dtype=np.int64)
    if rows_a.shape != rows_b.shape or rows_a.ndim != 1:
        raise ValueError(f"row index arrays must be 1-D and alike, got {rows_a.shape} and {rows_b.shape}")
    for rows in (rows_a, rows_b):
        if len(rows) and (rows.min() < 0 or rows.max() >= len(signatures)):
            raise IndexError(f"row index out of range for {len(signatures)} signatures")
    return _jaccard_rows(signatures, rows_a, rows_b)


@_compiled
def _jaccard_rows(signatures: np.ndarray, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
    estimate = np.empty(len(rows_a))
    for i in range(len(rows_a)):
        equal = 0
        for p in range(signatures.shape[1]):
            equal += signatures[rows_a[i], p] == signatures[rows_b[i], p]
        estimate[i] = equal / signatures.shape[1]
    return estimate


def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) that datasketch's MinHashLSH picks for threshold and num_perm
    with LSH_WEIGHTS."""
    from datasketch import MinHashLSH  # here, not at import: it loads scipy.integrate

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


def lsh_candidate_pairs(signatures: np.ndarray, threshold: float) -> np.ndarray:
    """Row pairs (i < j) sharing at least one LSH band, shape (m, 2).

    The same banding as `datasketch.MinHashLSH` (bands = consecutive slices of r
    positions, as in its `hashranges`; a test checks the candidates match its `query`),
    done by sorting per band, which is much faster than inserting `LeanMinHash`es into
    MinHashLSH and walking its buckets. A band's r values are bucketed by a 64-bit hash of
    them, sum(value x random odd multiplier) mod 2^64 (sorting integers is much faster
    than sorting r-value rows): among 10^6 rows the odds that any collision adds a
    candidate are under 10^-6, and such a candidate would still face the Jaccard check.
    """
    n, num_perm = signatures.shape
    bands, rows = lsh_bands(threshold, num_perm)
    multipliers = np.random.default_rng(0).integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)
    found = []
    for band in range(bands):
        block = signatures[:, band * rows : (band + 1) * rows].astype(np.uint64)
        bucket = (block * multipliers).sum(axis=1, dtype=np.uint64)  # wraps: mod 2^64
        order = np.argsort(bucket, kind="stable")
        sorted_bucket = bucket[order]
        starts = np.flatnonzero(np.r_[True, sorted_bucket[1:] != sorted_bucket[:-1]])
        sizes = np.diff(np.r_[starts, n])
        pairs = starts[sizes == 2]  # most shared buckets: taken at once, not one by one
        found.append(np.stack([order[pairs], order[pairs + 1]], axis=1))
        for start, size in zip(starts[sizes > 2], sizes[sizes > 2]):
            members = order[start : start + size]
            i, j = np.triu_indices(size, k=1)
            found.append(np.stack([members[i], members[j]], axis=1))
    return np.unique(np.sort(np.concatenate(found), axis=1), axis=0)


def near_duplicate_clusters(signatures: np.ndarray, threshold: float) -> np.ndarray:
    """Cluster label per row: connected components of LSH candidate pairs whose
    estimated Jaccard is >= threshold."""
    n = len(signatures)
    pairs = lsh_candidate_pairs(signatures, threshold)
    similar = pairs[estimated_jaccard(signatures, pairs[:, 0], pairs[:, 1]) >= threshold]
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(similar)), (similar[:, 0], similar[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


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


@_compiled
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

    t = time.perf_counter()
    label_of: dict[str, int] = {}
    exact_label = np.fromiter(
        (label_of.setdefault(normalise(s), len(label_of)) for s in texts), dtype=np.int64, count=len(texts)
    )
    stats["distinct_texts"] = len(label_of)
    stats["normalise_s"] = time.perf_counter() - t
    no_key = np.full(len(chosen), -1, dtype=np.int64)
    exact_key, near_key = no_key, no_key
    if exact:
        drop(exact_label[chosen] == exact_label[rejected], "exact_dup_in_pair")
        exact_key = _pair_keys(exact_label[chosen], exact_label[rejected])
    if near and keep.any():
        in_pair, near_key = _near_duplicates(
            list(label_of),
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
