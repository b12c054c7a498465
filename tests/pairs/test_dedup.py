"""assets.pairs.dedup and minhash: normalisation, MinHash equal to datasketch's, LSH, the four steps."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

from assets.pairs.dedup import dedup_pairs, normalise
from assets.pairs.minhash import (
    LSH_WEIGHTS,
    estimated_jaccard,
    lsh_candidate_pairs,
    minhash_signatures,
    near_duplicate_clusters,
)

ANSWER = (
    "Honestly the best thing you can do is go to office hours every single week, even when "
    "you think you understand the material. The professors remember who shows up, and when "
    "it comes to recommendation letters or a borderline grade that matters a lot more than "
    "people think. Also start the problem sets the day they come out."
)
# ANSWER with three words changed: a copy-paste with light edits.
ANSWER_EDITED = ANSWER.replace("Honestly", "Really").replace("professors", "instructors").replace("borderline", "close")
OTHER = "I would just switch majors if you hate it this much, life is too short to be miserable."
THIRD = "Go talk to your advisor about it first, they deal with this kind of thing all the time."


def true_jaccard(a: str, b: str, k: int = 5) -> float:
    sa = {a.encode()[i : i + k] for i in range(len(a.encode()) - k + 1)}
    sb = {b.encode()[i : i + k] for i in range(len(b.encode()) - k + 1)}
    return len(sa & sb) / len(sa | sb)


def test_normalise_drops_case_urls_markdown_and_punctuation():
    assert (
        normalise("**Great** answer!!  See [this](https://x.org/a) &amp; https://y.com/b\n\nThanks")
        == "great answer see this thanks"
    )
    assert normalise("Great answer, see this. Thanks!") == normalise("GREAT answer -- see *this*; thanks")


def test_normalise_equates_unicode_forms_of_the_same_words():
    composed, decomposed = "Caf\u00e9 r\u00e9sum\u00e9, na\u00efve", "Cafe\u0301 re\u0301sume\u0301, nai\u0308ve"
    assert normalise(composed) == normalise(decomposed) == "caf\u00e9 r\u00e9sum\u00e9 na\u00efve"
    assert normalise("\uff23\uff21\uff26\uff25 STRASSE") == normalise("cafe stra\u00dfe")  # fullwidth, \u00df


def test_normalise_keeps_emoji_only_texts_apart():
    assert normalise("😂😂") != normalise("👍")
    assert normalise("  😂   😂 ") == "😂 😂"


def shingle_hashes(text: str, k: int = 5) -> list[int]:
    """minhash_signatures' shingle hashes by their definition, one window at a time."""
    data = text.encode().ljust(k, b"\0")
    windows = [int.from_bytes(data[i : i + k], "little") for i in range(len(data) - k + 1)]
    return [(w * 0x9E3779B97F4A7C15 % 2**64) >> 32 for w in windows]


def test_signatures_equal_datasketch_minhash_bit_for_bit():
    texts = [normalise(ANSWER), "abc", "", "héllo wörld 😂 with unicode", "x" * 300, "abcde"]
    signatures = minhash_signatures(texts, num_perm=64, seed=7)
    for text, signature in zip(texts, signatures):
        reference = MinHash(num_perm=64, seed=7, hashfunc=int)
        reference.update_batch(shingle_hashes(text))
        assert np.array_equal(reference.hashvalues, signature), text


def test_kernels_compile_without_a_writable_cache(monkeypatch):
    """Where numba finds no cache folder it raises at decoration (a read-only install):
    the kernel must then compile in memory instead of failing the import."""
    import numba

    from assets.pairs import minhash

    real_njit = numba.njit

    def njit_without_cache_folder(*args, cache=False, **options):
        if cache:
            raise RuntimeError("cannot cache function: no locator available")
        return real_njit(*args, **options)

    monkeypatch.setattr(numba, "njit", njit_without_cache_folder)

    @minhash.compiled
    def double(x):
        return 2 * x

    assert double(21) == 42


def test_estimated_jaccard_checks_its_row_indices():
    signatures = minhash_signatures(["one text here", "another text", "a third one"])
    assert estimated_jaccard(signatures, np.array([0, 1]), np.array([0, 2]))[0] == 1.0
    with pytest.raises(IndexError):
        estimated_jaccard(signatures, np.array([3]), np.array([0]))
    with pytest.raises(IndexError):
        estimated_jaccard(signatures, np.array([0]), np.array([-1]))
    with pytest.raises(ValueError):
        estimated_jaccard(signatures, np.array([0, 1]), np.array([0]))


def test_lsh_candidates_equal_datasketch_minhashlsh_query():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    base = [" ".join(rng.choice(words, 30)) for _ in range(30)]
    texts = base + [t.replace(t.split()[3], "zz", 1) for t in base]  # 30 near-copies
    signatures = minhash_signatures(texts, num_perm=128)
    lsh = MinHashLSH(threshold=0.8, num_perm=128, weights=LSH_WEIGHTS)
    sketches = [LeanMinHash(seed=1, hashvalues=s, scheme="affine32") for s in signatures]
    for i, sketch in enumerate(sketches):
        lsh.insert(i, sketch)
    expected = {(i, j) for i, s in enumerate(sketches) for j in lsh.query(s) if i < j}
    assert {tuple(p) for p in lsh_candidate_pairs(signatures, 0.8).tolist()} == expected
    assert len(expected) >= 25


def test_edited_copy_is_a_near_duplicate_and_others_are_not():
    assert true_jaccard(normalise(ANSWER), normalise(ANSWER_EDITED)) > 0.8
    signatures = minhash_signatures([normalise(t) for t in (ANSWER, ANSWER_EDITED, OTHER, THIRD)])
    estimate = estimated_jaccard(signatures, np.array([0]), np.array([1]))[0]
    assert abs(estimate - true_jaccard(normalise(ANSWER), normalise(ANSWER_EDITED))) < 0.1
    labels = near_duplicate_clusters(signatures, 0.8)
    assert labels[0] == labels[1]
    assert len({labels[0], labels[2], labels[3]}) == 3


def test_exact_copy_inside_a_pair_is_dropped():
    texts = ["Great answer, thanks!", "great answer -- THANKS", OTHER]
    result = dedup_pairs([0, 2], [1, 1], texts)
    assert result.reasons == ["exact_dup_in_pair", None]
    assert result.removed["exact_dup_in_pair"] == 1


def test_reposted_pair_keeps_only_the_strongest():
    # Pairs 0 and 1 compare copies of the same two comments (a reposted thread); pair 2
    # has the same chosen text against a different rival and stays.
    texts = [ANSWER, OTHER, ANSWER.upper(), OTHER + "!!", ANSWER + " ", THIRD]
    result = dedup_pairs([0, 2, 4], [1, 3, 5], texts, near=False)
    assert result.reasons == [None, "exact_dup_pair", None]
    assert result.removed == {
        "exact_dup_in_pair": 0,
        "exact_dup_pair": 1,
        "near_dup_in_pair": 0,
        "near_dup_pair": 0,
        "per_post_cap": 0,
    }


def test_a_repeat_of_a_capped_pair_is_kept():
    # Post X's cap of 1 is taken by pair 0, so pair 1 is capped; pair 2 (post Y) repeats
    # pair 1's comparison, and is the one that stays: it repeats no kept pair.
    texts = [THIRD, "Bring snacks to the exam room; nobody else will.", ANSWER, OTHER, ANSWER.upper(), OTHER + "!!"]
    result = dedup_pairs([0, 2, 4], [1, 3, 5], texts, posts=["X", "X", "Y"], max_per_post=1)
    assert result.reasons == [None, "per_post_cap", None]
    uncapped = dedup_pairs([0, 2, 4], [1, 3, 5], texts, posts=["X", "X", "Y"])
    assert uncapped.reasons == [None, None, "exact_dup_pair"]


def test_near_copy_inside_a_pair_is_dropped():
    texts = [ANSWER, ANSWER_EDITED, OTHER]
    result = dedup_pairs([0, 0], [1, 2], texts)
    assert result.reasons == ["near_dup_in_pair", None]
    assert dedup_pairs([0, 0], [1, 2], texts, near=False).reasons == [None, None]


def test_near_copy_of_a_pair_is_dropped_after_the_strongest():
    texts = [ANSWER, OTHER, ANSWER_EDITED, OTHER.replace("life", "time"), THIRD]
    result = dedup_pairs([0, 2, 2], [1, 3, 4], texts)
    assert result.reasons == [None, "near_dup_pair", None]
    assert result.removed["near_dup_pair"] == 1 and result.removed["exact_dup_pair"] == 0


def test_disabled_steps_remove_nothing():
    texts = ["same", "same", ANSWER, ANSWER_EDITED]
    result = dedup_pairs([0, 2], [1, 3], texts, exact=False, near=False)
    assert result.reasons == [None, None]
    assert sum(result.removed.values()) == 0


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.95])
def test_threshold_is_respected(threshold):
    a, b = normalise(ANSWER), normalise(ANSWER_EDITED)
    similarity = true_jaccard(a, b)
    result = dedup_pairs([0], [1], [ANSWER, ANSWER_EDITED], exact=False, threshold=threshold)
    assert (result.reasons[0] == "near_dup_in_pair") == (similarity >= threshold)
