"""Dump ingest: streaming, normalisation, rejects, idempotent re-runs, newest-retrieval-wins,
all-or-nothing partitions, and the real shared files."""

from __future__ import annotations

import orjson
import pytest
import zstandard

from assets.ingest.reddit import dumps
from assets.ingest.reddit.dumps import ingest_dump
from assets.warehouse import connect as warehouse
from tests.conftest import PRAW_COMMENTS

NOW = 1_700_000_000


def comment(**fields) -> dict:
    base = {"id": "c1", "link_id": "t3_p1", "parent_id": "t3_p1", "body": "hi", "score": 5,
            "created_utc": 1_600_000_000, "author": "alice", "subreddit": "test"}  # fmt: skip
    base.update(fields)
    return base


def write_lines(path, lines: list[bytes], zst: bool = False):
    data = b"\n".join(lines) + b"\n"
    if zst:
        data = zstandard.ZstdCompressor(level=3).compress(data)
    path.write_bytes(data)
    return path


def j(obj) -> bytes:
    return orjson.dumps(obj)


def rows(con, table="reddit_comments", cols="*"):
    return con.execute(f"SELECT {cols} FROM {table} ORDER BY id").fetchall()


def rejects(con):
    return con.execute("SELECT line, kind, reason, raw FROM ingest_rejects ORDER BY line").fetchall()


def ingest_line(con, tmp_path, line: bytes, kind="comments") -> dict | str:
    """One dump line through the real ingest: its stored row as a dict, or its reject reason."""
    ingest_dump(con, write_lines(tmp_path / "one.ndjson", [line]), kind=kind, now=lambda: NOW)
    got = con.execute(f"SELECT * EXCLUDE (source, source_line) FROM reddit_{kind}")
    names = [d[0] for d in got.description]
    stored = [dict(zip(names, row)) for row in got.fetchall()]
    return stored[0] if stored else rejects(con)[0][2]


# --- normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "column", "expected"),
    [
        ({"created_utc": 1600000000}, "created_utc", 1600000000),
        ({"created_utc": 1600000000.0}, "created_utc", 1600000000),
        ({"created_utc": "1600000000"}, "created_utc", 1600000000),
        ({"created_utc": "1600000000.5"}, "created_utc", 1600000000),
        ({"score": None}, "score", None),
        ({"score": "12"}, "score", 12),
        ({"score": -3}, "score", -3),
        ({"author": None}, "author", None),
        ({"author": "[deleted]"}, "author", None),
        ({"author": "bob"}, "author", "bob"),
        ({"edited": False}, "edited", False),
        ({"edited": True}, "edited", True),
        ({"edited": 1600000100.0}, "edited", True),
        ({"edited": 1600000100}, "edited", True),
        ({"link_id": "t3_abc"}, "post_id", "abc"),
        ({"link_id": "abc"}, "post_id", "abc"),
        ({"id": "t1_xyz"}, "id", "xyz"),
        ({"id": None, "name": "t1_xyz"}, "id", "xyz"),
        ({"parent_id": "p1"}, "parent_id", "t3_p1"),  # prefix-less top-level parent
        ({"parent_id": "c0"}, "parent_id", "t1_c0"),
        ({"stickied": 1}, "stickied", True),
        ({"stickied": None}, "stickied", None),
        ({"score_hidden": True}, "score_hidden", True),
        ({"distinguished": "moderator"}, "distinguished", "moderator"),
        ({}, "retrieved_at", None),  # unknown: not the ingest time
        ({}, "ingested_at", NOW),
        ({"retrieved_on": 1650000000}, "ingested_at", NOW),
        ({"retrieved_on": 1650000000}, "retrieved_at", 1650000000),
        ({"retrieved_utc": "1650000000"}, "retrieved_at", 1650000000),
        ({"recorded_at": "2023-10-08T08:44:50"}, "retrieved_at", 1696754690),
        ({"recorded_at": "2023-10-08T10:44:50+02:00"}, "retrieved_at", 1696754690),
        # score age: retrieval minus creation (created_utc 1600000000); unknown without a
        # retrieval time; a retrieval before the creation (a clock off) counts as brand new
        ({"retrieved_on": 1600086400}, "score_age_s", 86400),
        ({"recorded_at": "2020-09-13T13:26:40"}, "score_age_s", 3600),
        ({}, "score_age_s", None),
        ({"created_utc": None, "retrieved_on": 1600086400}, "score_age_s", None),
        ({"retrieved_on": 1599990000}, "score_age_s", 0),
    ],
)
def test_normalize_comment_fields(con, tmp_path, fields, column, expected):
    assert ingest_line(con, tmp_path, j(comment(**fields)))[column] == expected


@pytest.mark.parametrize(
    "recorded_at",
    ["2023-01-01", "2023-01-01T00:00:00", "2023-01-01T00:00:00Z", "2022-12-31T19:00:00-05:00"],
)
def test_retrieval_time_without_offset_is_utc_in_any_session_time_zone(con, tmp_path, recorded_at):
    con.execute("SET TimeZone = 'America/New_York'")
    row = ingest_line(con, tmp_path, j(comment(recorded_at=recorded_at)))
    assert row["retrieved_at"] == 1_672_531_200  # 2023-01-01 00:00 UTC


def test_normalize_submission_fields(con, tmp_path):
    obj = {"id": "t3_p1", "title": "T", "selftext": "S", "score": None, "created_utc": "17",
           "author": "[deleted]", "subreddit": "x", "over_18": 0, "scraped_utc": 99}  # fmt: skip
    row = ingest_line(con, tmp_path, j(obj), kind="submissions")
    assert row == {"id": "p1", "subreddit": "x", "author": None, "title": "T", "selftext": "S",
                   "score": None, "created_utc": 17, "over_18": False, "stickied": None,
                   "distinguished": None, "retrieved_at": 99, "score_age_s": 82,
                   "ingested_at": NOW}  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id": None}, "missing id"),
        ({"id": ""}, "missing id"),
        ({"id": 123}, "wrong type: id"),
        ({"link_id": None}, "missing link_id"),
        ({"score": "abc"}, "wrong type: score"),
        ({"score": True}, "wrong type: score"),
        ({"score": 1.5e300}, "wrong type: score"),
        ({"created_utc": [1]}, "wrong type: created_utc"),
        ({"author": 7}, "wrong type: author"),
        ({"body": {"x": 1}}, "wrong type: body"),
        ({"edited": "yes"}, "wrong type: edited"),
        ({"stickied": 2}, "wrong type: stickied"),
        ({"score": 2**63}, "wrong type: score"),
        ({"score": "inf"}, "wrong type: score"),
        ({"created_utc": 1.5, "parent_id": 3}, "wrong type: parent_id"),  # first reason wins
        ({"recorded_at": "not a date"}, "wrong type: recorded_at"),
    ],
)
def test_normalize_comment_rejects(con, tmp_path, fields, reason):
    line = j(comment(**fields))
    assert ingest_line(con, tmp_path, line) == reason
    assert rejects(con)[0][3] == line


def test_normalize_submission_rejects(con, tmp_path):
    assert ingest_line(con, tmp_path, j({"title": "T"}), kind="submissions") == "missing id"


# --- rejects -----------------------------------------------------------------------------


def test_each_bad_line_goes_to_rejects_with_reason_and_line(con, tmp_path):
    good = j(comment())
    lines = [
        good,                                   # 1
        good[:-5],                              # 2 truncated JSON
        b'{"id": "c2", "body": "caf\xe9"}',     # 3 bad UTF-8 (latin-1 byte)
        b"[1, 2, 3]",                           # 4 non-object
        b'"just a string"',                     # 5 non-object
        j(comment(id=None)),                    # 6 missing id
        j(comment(id="c3", score="abc")),       # 7 wrong type
        j(comment(id="c4", link_id=None)),      # 8 comment without link_id
        b"",                                    # 9 blank line: rejected, not skipped
        b"   ",                                 # 10 whitespace only
        j(comment(id="c5")),                    # 11
    ]  # fmt: skip
    path = write_lines(tmp_path / "RC_bad.ndjson", lines)
    report = ingest_dump(con, path, now=lambda: NOW)

    assert report.lines == 11 and report.rows == 2
    assert report.rows + report.rejected == report.lines
    assert report.rejects == {"invalid json": 1, "invalid utf-8": 1, "not an object": 2,
                              "missing id": 1, "wrong type: score": 1,
                              "missing link_id": 1, "empty line": 2}  # fmt: skip
    got = rejects(con)
    assert [(line, reason) for line, _, reason, _ in got] == [
        (2, "invalid json"), (3, "invalid utf-8"), (4, "not an object"), (5, "not an object"),
        (6, "missing id"), (7, "wrong type: score"), (8, "missing link_id"),
        (9, "empty line"), (10, "empty line"),
    ]  # fmt: skip
    assert {kind for _, kind, _, _ in got} == {"comment"}
    assert got[1][3] == lines[2]  # raw bytes kept whole, bad UTF-8 included
    assert [r[0] for r in rows(con, cols="id")] == ["c1", "c5"]
    source = con.execute("SELECT DISTINCT source FROM ingest_rejects").fetchall()
    assert source == [("dump:RC_bad.ndjson",)]


def test_rerun_replaces_rejects_and_never_duplicates_rows(con, tmp_path):
    lines = [j(comment(id=f"c{i}")) for i in range(5)] + [b"{broken", b"[]"]
    path = write_lines(tmp_path / "c.ndjson.zst", lines, zst=True)
    first = ingest_dump(con, path, batch_rows=2)
    second = ingest_dump(con, path, batch_rows=2)
    assert (first.inserted, first.updated) == (5, 0)
    assert (second.inserted, second.updated + second.kept_newer) == (0, 5)
    assert len(rows(con)) == 5
    assert len(rejects(con)) == 2


def test_kind_sniffed_and_submissions_land_in_their_table(con, tmp_path):
    subs = [j({"id": "p1", "title": "T", "selftext": "", "score": 10, "created_utc": 1}), b"oops"]
    report = ingest_dump(con, write_lines(tmp_path / "posts.jsonl", subs))
    assert report.kind == "submissions"
    assert rows(con, "reddit_submissions", "id, title, score") == [("p1", "T", 10)]
    assert rejects(con)[0][1:3] == ("submission", "invalid json")


def test_a_file_reingested_as_the_other_kind_replaces_its_rejects(con, tmp_path):
    """A dump file holds one kind: re-ingested under the same name holding posts where it held
    comments, its comment rejects give way to its post rejects. Before, only the rejects of
    the kind ingested were replaced, and the same line numbers collided on ingest_rejects'
    key (source, line). A re-run that fails leaves the earlier rejects."""
    path = write_lines(tmp_path / "dump.ndjson", [j(comment()), b"{broken", j(comment(id="c2"))])
    ingest_dump(con, path)
    before = rejects(con)
    assert [(line, kind) for line, kind, _, _ in before] == [(2, "comment")]
    posts = [j({"id": "p1", "title": "T"}), b"[]", j({"id": "p2", "title": "U"})]
    write_lines(path, posts)
    with pytest.raises(RuntimeError, match="disk on fire"):
        ingest_dump(con, path, batch_rows=1, on_batch=fail_on_third_batch)
    assert rejects(con) == before
    assert ingest_dump(con, path).kind == "submissions"
    assert rejects(con) == [(2, "submission", "not an object", b"[]")]


# --- newest retrieval wins ---------------------------------------------------------------


def test_newer_retrieval_updates_and_older_does_not(con, tmp_path):
    old = write_lines(tmp_path / "old.ndjson", [j(comment(score=5, retrieved_on=100))])
    new = write_lines(tmp_path / "new.ndjson", [j(comment(score=50, retrieved_on=200))])
    ingest_dump(con, old)
    report = ingest_dump(con, new)
    assert report.updated == 1
    assert rows(con, cols="id, score, retrieved_at, source") == [("c1", 50, 200, "dump:new.ndjson")]
    report = ingest_dump(con, old)  # an older retrieval arriving later changes nothing
    assert (report.kept_newer, report.updated) == (1, 0)
    assert rows(con, cols="id, score, retrieved_at") == [("c1", 50, 200)]


def test_duplicates_within_one_file_keep_the_newest_then_the_last(con, tmp_path):
    lines = [
        j(comment(id="a", score=1, retrieved_on=300)),
        j(comment(id="a", score=2, retrieved_on=100)),
        j(comment(id="b", score=1)),  # no retrieval time: both unknown,
        j(comment(id="b", score=9)),  # so the later line wins
        j(comment(id="c", score=3, retrieved_on=100)),  # a known time, however old,
        j(comment(id="c", score=7)),  # beats an unknown one
    ]
    report = ingest_dump(con, write_lines(tmp_path / "d.ndjson", lines), batch_rows=1, now=lambda: NOW)
    assert (report.rows, report.inserted, report.duplicates) == (6, 3, 3)
    assert rows(con, cols="id, score, source_line") == [("a", 1, 1), ("b", 9, 4), ("c", 3, 5)]


def test_a_known_retrieval_time_wins_over_an_unknown_one_whichever_comes_later(con, tmp_path):
    """A line without a retrieval time is stored with retrieved_at NULL and its ingest time in
    ingested_at. Before, it was stamped with the ingest time as if retrieved then, so an old
    dump without retrieval times ingested after a newer retrieval replaced it."""

    def ingest(name, at, **fields):
        path = write_lines(tmp_path / f"{name}.ndjson", [j(comment(**fields))])
        report = ingest_dump(con, path, now=lambda: at)
        return (report.updated, report.kept_newer), rows(con, cols="score, retrieved_at, ingested_at")

    assert ingest("live", NOW, score=50, retrieved_on=200)[1] == [(50, 200, NOW)]
    # an old dump without retrieval times, ingested later: the known retrieval stays
    assert ingest("old", NOW + 10, score=5) == ((0, 1), [(50, 200, NOW)])
    con.execute("DELETE FROM reddit_comments")
    assert ingest("old", NOW, score=5) == ((0, 0), [(5, None, NOW)])
    assert ingest("older", NOW + 10, score=6) == ((1, 0), [(6, None, NOW + 10)])  # later ingest wins
    assert ingest("known", NOW + 20, score=7, retrieved_on=100) == ((1, 0), [(7, 100, NOW + 20)])
    assert ingest("older", NOW + 30, score=6) == ((0, 1), [(7, 100, NOW + 20)])
    assert ingest("known_before", NOW + 40, score=8, retrieved_on=99) == ((0, 1), [(7, 100, NOW + 20)])


def test_a_row_without_ingested_at_counts_its_retrieval_time_as_known(con, tmp_path):
    """Rows ingested before ingested_at existed keep it NULL, and their retrieved_at (then the
    ingest time for lines that carried none) counts as known, so they rank as they did."""
    con.execute(
        "INSERT INTO reddit_comments (id, post_id, score, retrieved_at, source) VALUES ('c1', 'p1', 50, 200, 'x')"
    )
    unknown = write_lines(tmp_path / "unknown.ndjson", [j(comment(score=5))])
    assert ingest_dump(con, unknown, now=lambda: NOW).kept_newer == 1
    newer = write_lines(tmp_path / "newer.ndjson", [j(comment(score=60, retrieved_on=300))])
    assert ingest_dump(con, newer, now=lambda: NOW).updated == 1
    assert rows(con, cols="score, retrieved_at, ingested_at") == [(60, 300, NOW)]


# --- all or nothing ----------------------------------------------------------------------


def fail_on_third_batch(batches):
    """An `on_batch` hook that breaks the ingest half-way."""
    if batches == 3:
        raise RuntimeError("disk on fire")


def test_failure_half_way_rolls_back_the_partition_and_keeps_earlier_data(con, tmp_path):
    ingest_dump(con, write_lines(tmp_path / "first.ndjson", [j(comment(id="keep"))]))
    lines = [j(comment(id=f"n{i}", score=i)) for i in range(10)] + [b"bad"]
    second = write_lines(tmp_path / "second.ndjson", lines)

    with pytest.raises(RuntimeError, match="disk on fire"):
        ingest_dump(con, second, batch_rows=3, on_batch=fail_on_third_batch)
    assert rows(con, cols="id") == [("keep",)]
    assert rejects(con) == []
    assert ingest_dump(con, second, batch_rows=3).inserted == 10  # a re-run completes


def test_commit_every_rows_keeps_committed_batches_and_a_rerun_completes(con, tmp_path):
    lines = [j(comment(id=f"n{i}", score=i)) for i in range(10)] + [b"bad"]
    path = write_lines(tmp_path / "big.ndjson", lines)

    with pytest.raises(RuntimeError, match="disk on fire"):
        ingest_dump(con, path, batch_rows=2, commit_every_rows=4, on_batch=fail_on_third_batch)
    # Batches 1-2 (4 rows) were merged and committed; batch 3 was not.
    assert rows(con, cols="id") == [(f"n{i}",) for i in range(4)]
    report = ingest_dump(con, path, batch_rows=2, commit_every_rows=4)
    assert (report.inserted, report.updated, report.rejected) == (6, 4, 1)
    assert len(rows(con)) == 10 and len(rejects(con)) == 1


def test_commit_every_rows_stores_the_same_rows_as_one_transaction(tmp_path, shared_reddit):
    dump = shared_reddit / "rumoureval2019_comments.ndjson.zst"
    stored = []
    for name, every in (("atomic", 0), ("batched", 100)):
        con = warehouse.connect(tmp_path / f"{name}.duckdb")
        report = ingest_dump(con, dump, batch_rows=50, commit_every_rows=every, now=lambda: 1_700_000_000)
        stored.append((report.inserted, report.rejected, rows(con), rejects(con)))
        con.close()
    assert stored[0] == stored[1]
    assert stored[0][0] > 1000


def test_truncated_zstd_fails_the_partition_instead_of_ingesting_part(con, tmp_path):
    lines = [j(comment(id=f"c{i}", body="x" * 200)) for i in range(5000)]
    path = write_lines(tmp_path / "cut.ndjson.zst", lines, zst=True)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(dumps.TruncatedDumpError):
        ingest_dump(con, path, kind="comments", batch_rows=500)
    assert rows(con) == []


def test_a_truncated_dump_reached_through_a_link_names_the_real_file(con, tmp_path):
    """`ingest dump` and the sensor read a dump through its link in incoming/: the error names
    the file itself, the one to download again."""
    lines = [j(comment(id=f"c{i}", body="x" * 200)) for i in range(5000)]
    (tmp_path / "downloads").mkdir()
    real = write_lines(tmp_path / "downloads" / "RC_cut.zst", lines, zst=True)
    real.write_bytes(real.read_bytes()[: real.stat().st_size // 2])
    link = tmp_path / "incoming" / "RC_cut.zst"
    link.parent.mkdir()
    link.symlink_to(real)
    with pytest.raises(dumps.TruncatedDumpError) as caught:
        ingest_dump(con, link, kind="comments", batch_rows=500)
    assert str(caught.value).startswith(f"{real.resolve()}: zstd frame cut off")


def test_zstd_stream_with_several_frames(tmp_path):
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31)
    compressor = zstandard.ZstdCompressor(compression_params=params)
    path = tmp_path / "multi.ndjson.zst"
    path.write_bytes(compressor.compress(b"a\nb") + compressor.compress(b"c\nd\n"))
    assert list(dumps.iter_lines(path)) == [b"a", b"bc", b"d"]


@pytest.mark.parametrize(
    ("name", "zst"),
    [("RC_2023-01.ZST", True), ("RC_2023-01.zstd", True), ("RC_2023-01.zst.1", True), ("plain.zst", False)],
)
def test_compression_told_by_the_first_bytes_not_the_name(con, tmp_path, name, zst):
    lines = [j(comment(id=f"c{i}")) for i in range(3)]
    report = ingest_dump(con, write_lines(tmp_path / name, lines, zst=zst), kind="comments")
    assert (report.rows, report.rejects) == (3, {})


def test_zstd_starting_with_a_skippable_frame(tmp_path):
    skippable = (0x184D2A5E).to_bytes(4, "little") + (3).to_bytes(4, "little") + b"xyz"
    path = tmp_path / "RC_2023-01"
    path.write_bytes(skippable + zstandard.ZstdCompressor().compress(b"a\nb\n"))
    assert list(dumps.iter_lines(path)) == [b"a", b"b"]


# --- the real shared files ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "table", "lines"),
    [
        ("rumoureval2019_comments", "reddit_comments", 1075),
        ("rumoureval2019_submissions", "reddit_submissions", 40),
        ("praw_cassettes_comments", "reddit_comments", 12789),
        ("praw_cassettes_submissions", "reddit_submissions", 333),
        ("reddit_college_comments", "reddit_comments", 51599),
        ("reddit_college_submissions", "reddit_submissions", 2390),
    ],
)
def test_real_shared_files(con, shared_reddit, name, table, lines):
    path = shared_reddit / f"{name}.ndjson.zst"
    report = ingest_dump(con, path)
    assert report.lines == lines
    assert report.rows + report.rejected == lines
    stored = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    assert stored == report.rows - report.duplicates == report.inserted
    again = ingest_dump(con, path)
    assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == stored
    assert again.inserted == 0


def test_real_praw_comments_normalised(con):
    ingest_dump(con, PRAW_COMMENTS)
    edited, hidden, no_retrieval, no_ingest = con.execute(
        """SELECT count(*) FILTER (WHERE edited), count(*) FILTER (WHERE score_hidden),
                  count(*) FILTER (WHERE retrieved_at IS NULL), count(*) FILTER (WHERE ingested_at IS NULL)
           FROM reddit_comments"""
    ).fetchone()
    assert edited > 0 and hidden > 0 and no_ingest == 0
    assert no_retrieval == 465  # the lines whose recorded_at is null: unknown, not the ingest time
    bad_post_ids = con.execute(
        "SELECT count(*) FROM reddit_comments WHERE post_id LIKE 't3_%' OR parent_id NOT SIMILAR TO 't[13]_.*'"
    ).fetchone()[0]
    assert bad_post_ids == 0
