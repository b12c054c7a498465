"""Dump files holding both kinds: each line goes to the table of its kind, in one
transaction, and a file that does not hold what it was given as is reported with counts."""

from __future__ import annotations

import pytest

from assets.ingest.reddit.dumps import DumpKindError, ingest_dump
from tests.ingest.reddit.test_dumps import NOW, comment, fail_on_third_batch, j, rejects, rows, write_lines


def post(**fields) -> dict:
    base = {"id": "p1", "title": "T", "selftext": "S", "score": 10, "created_utc": 1_600_000_000,
            "author": "bob", "subreddit": "test"}  # fmt: skip
    base.update(fields)
    return base


MIXED = [
    j(post(id="p1")),  # 1: a submission first, as in the archive exports that mix kinds
    j(comment(id="c1", link_id="t3_p1")),  # 2
    j(comment(id="c2", link_id="t3_p1", parent_id="t1_c1")),  # 3
    j({"id": "x1", "body": "no parent, no title"}),  # 4: neither kind
    j(post(id="p2", title="U")),  # 5
    b"{broken",  # 6
    j(comment(id="c3", link_id="t3_p2", parent_id=None)),  # 7: a comment by its link_id alone
]


def test_a_mixed_file_fills_both_tables_each_line_by_its_kind(con, tmp_path):
    """Before, the kind came from the first line: every comment here became a submission
    with no title."""
    path = write_lines(tmp_path / "export.ndjson.zst", MIXED, zst=True)
    report = ingest_dump(con, path, batch_rows=2, now=lambda: NOW)
    assert rows(con, "reddit_submissions", "id, title") == [("p1", "T"), ("p2", "U")]
    assert rows(con, "reddit_comments", "id, post_id, parent_id, body") == [
        ("c1", "p1", "t3_p1", "hi"),
        ("c2", "p1", "t1_c1", "hi"),
        ("c3", "p2", None, "hi"),
    ]
    assert [(line, kind, reason) for line, kind, reason, _ in rejects(con)] == [
        (4, "submission", "neither comment nor submission"),  # kept as the first line's kind
        (6, "submission", "invalid json"),
    ]
    assert (report.kind, report.held, report.lines, report.rows, report.inserted) == (
        "mixed", {"comments": 3, "submissions": 2}, 7, 5, 5
    )  # fmt: skip
    assert report.rejects == {"neither comment nor submission": 1, "invalid json": 1}
    assert report.note is None  # not said what it holds: nothing to tell


def test_a_mixed_file_rerun_never_duplicates_and_replaces_its_rejects(con, tmp_path):
    path = write_lines(tmp_path / "export.ndjson", MIXED)
    ingest_dump(con, path, batch_rows=3)
    again = ingest_dump(con, path, batch_rows=3)
    assert (again.inserted, again.updated + again.kept_newer) == (0, 5)
    assert len(rows(con, "reddit_comments")) == 3 and len(rows(con, "reddit_submissions")) == 2
    write_lines(path, [*MIXED[:3], j(post(id="x1")), *MIXED[4:5], j(comment(id="c4")), *MIXED[6:]])
    ingest_dump(con, path, batch_rows=3)
    assert rejects(con) == []  # line 4 is a post now, line 6 a comment
    assert len(rows(con, "reddit_comments")) == 4 and len(rows(con, "reddit_submissions")) == 3


def test_a_mixed_file_failing_half_way_leaves_both_tables_as_they_were(con, tmp_path):
    path = write_lines(tmp_path / "export.ndjson", MIXED)
    with pytest.raises(RuntimeError, match="disk on fire"):
        ingest_dump(con, path, batch_rows=2, on_batch=fail_on_third_batch)
    assert rows(con, "reddit_comments") == [] and rows(con, "reddit_submissions") == [] and rejects(con) == []


def test_commit_every_rows_merges_both_kinds(con, tmp_path):
    path = write_lines(tmp_path / "export.ndjson", MIXED)
    report = ingest_dump(con, path, batch_rows=2, commit_every_rows=2)
    assert (report.rows, report.inserted, report.rejected) == (5, 5, 2)
    assert len(rows(con, "reddit_comments")) == 3 and len(rows(con, "reddit_submissions")) == 2


@pytest.mark.parametrize(
    ("given", "lines", "note"),
    [
        ("comments", [j(post(id="p1")), j(post(id="p2"))],
         "RC_x.zst was given as comments but holds 0 comments and 2 submissions; both were ingested"),
        ("comments", [j(comment(id="c1")), j(post(id="p1")), j(comment(id="c2"))],
         "RC_x.zst was given as comments but holds 2 comments and 1 submissions; both were ingested"),
        ("submissions", [j(comment(id="c1"))],
         "RC_x.zst was given as submissions but holds 0 submissions and 1 comments; both were ingested"),
        ("comments", [j(comment(id="c1")), b"[]"], None),
        ("submissions", [j(post(id="p1"))], None),
    ],
)  # fmt: skip
def test_a_file_holding_another_kind_than_given_is_ingested_and_told(con, tmp_path, given, lines, note):
    report = ingest_dump(con, write_lines(tmp_path / "RC_x.zst", lines, zst=True), kind=given)
    assert report.note == note
    assert report.rows == sum(1 for line in lines if line != b"[]")


def test_lines_of_neither_kind_are_kept_as_the_kind_given(con, tmp_path):
    lines = [j(post(id="p1")), j({"id": "x"}), b"[]"]
    ingest_dump(con, write_lines(tmp_path / "RC_x.ndjson", lines), kind="comments")
    assert [(line, kind, reason) for line, kind, reason, _ in rejects(con)] == [
        (2, "comment", "neither comment nor submission"),
        (3, "comment", "not an object"),
    ]
    assert rows(con, "reddit_submissions", "id") == [("p1",)]


def test_a_kind_that_does_not_exist_is_refused(con, tmp_path):
    with pytest.raises(DumpKindError, match="comments or submissions, not 'posts'"):
        ingest_dump(con, write_lines(tmp_path / "x.ndjson", [j(comment())]), kind="posts")
