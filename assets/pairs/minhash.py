"""MinHash signatures, LSH banding and near-duplicate clusters of short texts, as numba kernels.

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

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

SHINGLE_CHARS = 5  # bytes per shingle; up to 8 fit in one uint64 exactly
# datasketch's (false positive, false negative) weights for choosing bands. Candidates are
# verified by their estimated Jaccard, so a false positive costs a comparison and a false
# negative a missed duplicate: (0.1, 0.9) gives 14 bands x 9 rows for 0.8 / 128, finding
# a pair at Jaccard 0.8 / 0.85 / 0.9 with probability 0.87 / 0.975 / 0.999, where the
# default (0.5, 0.5) gives 9 x 13 and 0.40 / 0.69 / 0.93.
LSH_WEIGHTS = (0.1, 0.9)


def compiled(func):
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


@compiled
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


@compiled
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
