"""Bad input never crashes or hangs the dump ingest: each bad line is a reject with its
reason, and a file that cannot be read at all is one `UserError` (one line from the CLI),
with the warehouse left as it was. Real files, written here."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
import zstandard

from assets.ingest.reddit.dumps import MAX_LINE_BYTES, ingest_dump
from assets.warehouse.connect import PROJECT_ROOT
from pipelines.cli import main
from tests.ingest.reddit.test_dumps import comment, j, rejects, rows, write_lines
from tests.ingest.reddit.test_mixed_dumps import post
from training.errors import UserError


def reasons(con) -> dict[int, str]:
    return {line: reason for line, _, reason, _ in rejects(con)}


def test_random_bytes_are_rejects_not_a_crash(con, tmp_path):
    data = random.Random(0).randbytes(1 << 20)
    path = tmp_path / "RC_noise.zst"  # named like a dump, holds neither zstd nor JSON
    path.write_bytes(data)
    report = ingest_dump(con, path, kind="comments")
    assert report.lines == data.count(b"\n") + 1 and report.rows == 0
    assert report.rejected == report.lines
    assert set(report.rejects) <= {"invalid utf-8", "invalid json", "empty line"}


def compressed(checksum: bool, lines: int = 5000) -> bytes:
    data = b"\n".join(j(comment(id=f"c{i}", body=f"text {i} " * 20)) for i in range(lines)) + b"\n"
    return zstandard.ZstdCompressor(level=3, write_checksum=checksum).compress(data)


@pytest.mark.parametrize("damage", ["truncated", "flipped", "flipped_with_checksum"])
def test_a_damaged_zstd_file_is_one_user_error_and_changes_nothing(con, tmp_path, damage):
    ingest_dump(con, write_lines(tmp_path / "first.ndjson", [j(comment(id="keep"))]))
    data = bytearray(compressed(checksum=damage.endswith("checksum")))
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        for at in range(len(data) // 2, len(data) // 2 + 64):
            data[at] ^= 0xFF
    path = tmp_path / "RC_damaged.zst"
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="RC_damaged.zst"):
        ingest_dump(con, path, kind="comments", batch_rows=500)
    assert rows(con, cols="id") == [("keep",)] and rejects(con) == []


def wrong_types(make, fields: list[str]) -> list[tuple[bytes, str]]:
    """A line per field, that field an object (a type no reader takes), with its reason."""
    return [(j(make(**{name: {"nested": [1]}})), f"wrong type: {name}") for name in fields]


COMMENT_FIELDS = ["id", "link_id", "parent_id", "subreddit", "author", "body", "score", "created_utc",
                  "score_hidden", "stickied", "distinguished", "edited", "retrieved_on"]  # fmt: skip
POST_FIELDS = ["id", "subreddit", "author", "title", "selftext", "score", "created_utc", "over_18",
               "stickied", "distinguished", "retrieved_on"]  # fmt: skip


def test_every_field_of_the_wrong_type_is_a_reject_naming_it(con, tmp_path):
    cases = wrong_types(comment, COMMENT_FIELDS) + wrong_types(post, POST_FIELDS)
    cases += [(j(comment(score=[1, 2])), "wrong type: score"), (j(post(title=7)), "wrong type: title")]
    cases += [(j(comment(created_utc="99999999999999999999999")), "wrong type: created_utc")]
    cases += [(j(post(retrieved_on=True)), "wrong type: retrieved_on"), (j(comment(id=[])), "wrong type: id")]
    report = ingest_dump(con, write_lines(tmp_path / "wrong.ndjson", [line for line, _ in cases]))
    assert report.rows == 0
    assert reasons(con) == {n: reason for n, (_, reason) in enumerate(cases, 1)}


def write_long_line(path, body_bytes: int) -> None:
    """A comment whose body is `body_bytes` long, then a short one, written a piece at a time
    so the test itself never holds the long line."""
    with path.open("wb") as fh:
        fh.write(b'{"id": "long", "link_id": "t3_p1", "body": "')
        piece = b"a" * (1 << 20)
        for _ in range(body_bytes >> 20):
            fh.write(piece)
        fh.write(b'"}\n' + j(comment(id="after")) + b"\n")


def test_a_line_over_the_limit_is_rejected_and_the_next_one_read(con, tmp_path):
    path = tmp_path / "RC_long.ndjson"
    write_long_line(path, 3 * MAX_LINE_BYTES)
    report = ingest_dump(con, path, kind="comments")
    assert (report.lines, report.rows) == (2, 1)
    assert reasons(con) == {1: "line too long"}
    (kept,) = con.execute("SELECT octet_length(raw) FROM ingest_rejects").fetchone()
    assert kept == MAX_LINE_BYTES + 1
    assert rows(con, cols="id, source_line") == [("after", 2)]


@pytest.mark.parametrize("zst", [False, True])
def test_a_100_mb_line_keeps_memory_bounded(tmp_path, zst):
    """Run in its own process so that its peak memory is its own: ~300 MB, where reading the
    whole line peaked at ~1.4 GB (zstd holds those 100 MB in 3 KB, which one decompress call
    returned whole). The timeout fails a hang."""
    path = tmp_path / "RC_huge.ndjson"
    write_long_line(path, 100 << 20)
    if zst:
        with path.open("rb") as plain, (tmp_path / "RC_huge.zst").open("wb") as packed:
            zstandard.ZstdCompressor().copy_stream(plain, packed)
        path.unlink()
        path = tmp_path / "RC_huge.zst"
    script = (
        "import sys; from assets.warehouse import connect as w; "
        "from assets.ingest.reddit.dumps import ingest_dump; "
        "r = ingest_dump(w.connect(sys.argv[2]), sys.argv[1], kind='comments'); "
        # VmHWM, not ru_maxrss: Linux carries the parent's high-water mark into ru_maxrss across
        # exec, and the parent here is a test run that may already hold a GB.
        "hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')); "
        "print(r.rows, r.rejects, hwm >> 10)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), str(tmp_path / "w.duckdb")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 {'line too long': 1} "), done.stdout
    assert int(done.stdout.split()[-1]) < 600, done.stdout


def test_nul_bytes_raw_and_escaped(con, tmp_path):
    lines = [
        j(comment(id="c1"))[:-1] + b"\x00}",  # a raw NUL inside the object: not JSON
        b'{"id": "c2", "link_id": "t3_p1", "body": "a\\u0000b"}',  # an escaped one: text
        b"\x00\x00\x00",
    ]
    report = ingest_dump(con, write_lines(tmp_path / "RC_nul.ndjson", lines))
    assert report.rows + report.rejected == 3
    assert reasons(con)[1] == "invalid json" and reasons(con)[3] == "invalid json"
    assert rows(con, cols="id, body") == [("c2", "a\x00b")]


def test_lone_utf16_surrogates_are_a_reject_or_stored(con, tmp_path):
    lines = [
        b'{"id": "c1", "link_id": "t3_p1", "body": "x\\ud800y"}',
        b'{"id": "c2", "link_id": "t3_p1", "body": "\\udfff"}',
        b'{"id": "c3", "link_id": "t3_p1", "body": "pair \\ud83d\\ude00"}',
    ]
    report = ingest_dump(con, write_lines(tmp_path / "RC_sur.ndjson", lines))
    assert report.rows + report.rejected == 3
    stored = dict(rows(con, cols="id, body"))
    assert stored.get("c3") == "pair \U0001f600"
    for line, reason in reasons(con).items():
        assert reason == "invalid json" and line in (1, 2)


def test_right_to_left_text_is_stored_as_is(con, tmp_path):
    body = "שלום עולם \u202eabc\u202c مرحبا"
    title = "\u200fسؤال؟"
    lines = [j(comment(id="c1", body=body)), j(post(id="p1", title=title, subreddit="עברית"))]
    ingest_dump(con, write_lines(tmp_path / "mixed_rtl.ndjson", lines))
    assert rows(con, cols="body") == [(body,)]
    assert rows(con, "reddit_submissions", "title, subreddit") == [(title, "עברית")]


def test_a_folder_is_one_user_error(con, tmp_path):
    folder = tmp_path / "RC_2023-01.zst"
    folder.mkdir()
    with pytest.raises(UserError, match="is not a dump file but a folder"):
        ingest_dump(con, folder, kind="comments")


def test_the_cli_given_a_folder_says_so_in_one_line(tmp_path, capsys):
    folder = tmp_path / "some_dir"
    folder.mkdir()
    code = main(["ingest", "dump", "--comments", f"{folder}/", "--db", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert (code, err.count("\n")) == (1, 1)
    assert err == f"error: {folder} is a folder: name a dump file (.zst, .ndjson or .jsonl)\n"
