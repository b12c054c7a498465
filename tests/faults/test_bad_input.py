"""Bad input at every entry point of `upvote-dpo`, given as a user gives it: dump files,
live Reddit rows, flag values, warehouse, snapshot and model paths. Each ends as a reject
kept with its reason in `ingest_rejects` (and counted), or as one line `error: ...` with exit
status 1; never a traceback. The commands run in-process (`tests/pipelines/commands.run`),
so a traceback fails the test as the exception it is. No case can hang: a named pipe, which a
reader would wait on for good, is refused before it is opened.

The quick form (the default) gives each number flag two values it cannot take and each other
flag one, each live field one wrong type, and a dump line just over the limit;
`UPVOTE_DPO_FAULTS=full` gives every value and type listed here and a line of 100 MB.
"""

from __future__ import annotations

import copy
import json
import os
import random

import pytest

from assets.ingest.reddit.dumps import MAX_LINE_BYTES
from assets.warehouse.connect import connect
from tests.ingest.reddit.test_bad_input import COMMENT_FIELDS, POST_FIELDS, compressed, write_long_line, wrong_types
from tests.ingest.reddit.test_dumps import comment, j, write_lines
from tests.ingest.reddit.test_mixed_dumps import post
from tests.pipelines.commands import run

FULL = os.environ.get("UPVOTE_DPO_FAULTS") == "full"
RIGHT_TO_LEFT = "שלום עולם \u202eabc\u202c مرحبا"
NOT_UTF8 = b"\xed\xa0\x80".decode(errors="surrogateescape")  # what Python makes of such bytes in argv


@pytest.fixture(autouse=True)
def dagster_home_beside_the_warehouse(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """`run`, with argparse's exit (a flag that does not parse) as the status it exits with."""
    try:
        return run(capsys, *argv)
    except SystemExit as exit:
        out, err = capsys.readouterr()
        return exit.code, out, err


def is_one_line(code: int, err: str, *expected: str) -> bool:
    lines = err.splitlines()
    return code == 1 and len(lines) == 1 and lines[0].startswith("error: ") and all(text in err for text in expected)


def counts(db) -> tuple:
    con = connect(db, read_only=True)
    try:
        tables = ("reddit_submissions", "reddit_comments", "ingest_rejects")
        return tuple(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables)  # noqa: S608
    finally:
        con.close()


# --- dump files ---------------------------------------------------------------------


def bad_line_files() -> dict[str, tuple[list[bytes], dict[int, str] | set[str]]]:
    """File name -> (its lines, the reasons expected: by line, or the set they come from)."""
    noise = random.Random(0).randbytes(1 << 16).replace(b"\n", b" ").split(b" ")
    surrogates = [
        b'{"id": "c1", "link_id": "t3_p1", "body": "x\\ud800y"}',  # escaped, lone
        b'{"id": "c2", "link_id": "t3_p1", "body": "x\xed\xa0\x80y"}',  # its UTF-8 bytes, which UTF-8 forbids
        b'{"id": "c3", "link_id": "t3_p1", "body": "pair \\ud83d\\ude00"}',  # a valid pair: stored
    ]
    wrong = wrong_types(comment, COMMENT_FIELDS) + wrong_types(post, POST_FIELDS)
    return {
        "RC_noise.ndjson": (noise, {"invalid utf-8", "invalid json", "empty line"}),
        "RS_wrong_types.ndjson": ([line for line, _ in wrong], {n: reason for n, (_, reason) in enumerate(wrong, 1)}),
        "RC_nul.ndjson": (
            [j(comment(id="n1"))[:-1] + b"\x00}", b'{"id": "n2", "link_id": "t3_p1", "body": "a\\u0000b"}'],
            {1: "invalid json"},
        ),
        "RC_surrogates.ndjson": (surrogates, {1: "invalid json", 2: "invalid utf-8"}),
        "RC_rtl.ndjson": ([j(comment(id="r1", body=RIGHT_TO_LEFT)), j(post(id="r2", title=RIGHT_TO_LEFT))], {}),
    }


def test_bad_lines_through_the_cli_are_counted_rejects_kept_with_their_reasons(tmp_path, capsys):
    files = bad_line_files()
    paths = [write_lines(tmp_path / name, lines) for name, (lines, _) in files.items()]
    huge = tmp_path / "RC_huge.ndjson"
    # a line over the limit, then a good one (the memory it takes: tests/ingest/reddit/test_bad_input.py)
    write_long_line(huge, 100 << 20 if FULL else MAX_LINE_BYTES + (1 << 20))
    db = tmp_path / "w" / "upvote.duckdb"

    code, out, err = run(capsys, "ingest", "dump", *map(str, paths), str(huge), "--db", str(db))
    assert code == 0, err
    con = connect(db, read_only=True)
    try:
        for name, (lines, expected) in files.items():
            reasons = dict(
                con.execute("SELECT line, reason FROM ingest_rejects WHERE source = ?", [f"dump:{name}"]).fetchall()
            )
            if isinstance(expected, set):
                assert set(reasons.values()) <= expected and len(reasons) == len(lines), name
            else:
                assert reasons == expected, name
            assert f"ingested {name}: lines={len(lines)}, " in out and f"rejected={len(reasons)}," in out.split(name)[1]
        assert con.execute("SELECT reason FROM ingest_rejects WHERE source = 'dump:RC_huge.ndjson'").fetchall() == [
            ("line too long",)
        ]
        stored = dict(con.execute("SELECT id, body FROM reddit_comments").fetchall())
        assert stored["n2"] == "a\x00b" and stored["c3"] == "pair \U0001f600" and stored["r1"] == RIGHT_TO_LEFT
        assert "after" in stored  # the line after the 100 MB one
        titles = con.execute("SELECT title FROM reddit_submissions WHERE id = 'r2'").fetchall()
        assert titles == [(RIGHT_TO_LEFT,)]
    finally:
        con.close()


def unreadable_dumps(folder) -> dict[str, tuple[str, str]]:
    """Case -> (the path given, what its one line says)."""
    data = bytearray(compressed(checksum=True, lines=2000))
    (folder / "RC_truncated.zst").write_bytes(bytes(data[: len(data) // 2]))
    for at in range(len(data) // 2, len(data) // 2 + 64):
        data[at] ^= 0xFF
    (folder / "RC_corrupt.zst").write_bytes(bytes(data))
    (folder / "RC_folder.zst").mkdir()
    (folder / "loop_a").symlink_to(folder / "loop_b")
    (folder / "loop_b").symlink_to(folder / "loop_a")
    os.mkfifo(folder / "RC_pipe.ndjson")  # a reader of it would wait forever
    (folder / f"RC_{NOT_UTF8}.ndjson").write_bytes(j(comment()) + b"\n")
    return {
        "truncated-zst": ("RC_truncated.zst", "zstd frame cut off"),
        "corrupt-zst": ("RC_corrupt.zst", "not readable as zstd"),
        "folder": ("RC_folder.zst", "is a folder"),
        "symlink-loop": ("loop_a", "cannot follow"),
        "fifo": ("RC_pipe.ndjson", "is not a regular file"),
        "missing": ("RC_missing.zst", "no such dump file"),
        "name-not-utf8": (f"RC_{NOT_UTF8}.ndjson", "is not UTF-8 text"),
    }


UNREADABLE = ["truncated-zst", "corrupt-zst", "folder", "symlink-loop", "fifo", "missing", "name-not-utf8"]


@pytest.mark.parametrize("case", UNREADABLE)
def test_a_dump_that_cannot_be_read_is_one_line_and_changes_nothing(tmp_path, capsys, case):
    """The zstd files fail inside the run, after the warehouse is open: what it held stays."""
    db = tmp_path / "w" / "upvote.duckdb"
    good = write_lines(tmp_path / "RC_good.ndjson", [j(comment(id="kept"))])
    if case.endswith("zst"):
        assert run(capsys, "ingest", "dump", str(good), "--db", str(db))[0] == 0
    name, message = unreadable_dumps(tmp_path)[case]
    code, _, err = run(capsys, "ingest", "dump", "--comments", str(tmp_path / name), "--db", str(db))
    assert is_one_line(code, err, message), err
    if case.endswith("zst"):
        assert counts(db) == (0, 1, 0)


# --- live Reddit rows (praw, faked at the HTTP edge) ---------------------------------

LIVE_COMMENT_FIELDS = ["id", "link_id", "parent_id", "subreddit", "author", "body", "score", "created_utc",
                       "score_hidden", "stickied", "distinguished", "edited"]  # fmt: skip
LIVE_POST_FIELDS = ["author", "title", "selftext", "score", "over_18", "stickied", "distinguished"]
WRONG_VALUES = [{"nested": [1]}, [1, 2], None, True, 1e308, "x\x00y"] if FULL else [{"nested": [1]}]


@pytest.fixture
def reddit_env(monkeypatch):
    from tests.ingest.reddit.test_live import CLIENT_ID, CLIENT_SECRET

    monkeypatch.setenv("REDDIT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("REDDIT_USER_AGENT", "upvote-dpo tests")


@pytest.fixture(scope="module")
def recorded_reddit():
    from tests.conftest import PRAW_COMMENTS, PRAW_SUBMISSIONS
    from tests.fakes.reddit_http import FakeRedditSession

    return FakeRedditSession.from_files(PRAW_COMMENTS, PRAW_SUBMISSIONS)


@pytest.mark.parametrize("value", WRONG_VALUES, ids=repr)
@pytest.mark.parametrize(
    "row, field", [("comment", f) for f in LIVE_COMMENT_FIELDS] + [("post", f) for f in LIVE_POST_FIELDS]
)
def test_a_live_row_with_a_field_of_the_wrong_type_is_a_reject_naming_it_or_one_line(
    recorded_reddit, con, reddit_env, row, field, value
):
    """What praw hands over is stored or rejected naming the field; an answer praw itself
    cannot read fails the fetch as a `RedditFetchError`, one line from the CLI."""
    from assets.ingest.reddit.live import RedditFetchError, reddit_from_env
    from tests.ingest.reddit.test_live import live, post_with_reply

    fake = copy.deepcopy(recorded_reddit)
    the_post, reply = post_with_reply(fake)
    (reply if row == "comment" else the_post)[field] = value
    try:
        report, _ = live(con, reddit_from_env(requestor_kwargs={"session": fake}), ["IAmA"], replace_more_limit=0)
    except RedditFetchError as error:
        assert "\n" not in str(error) and str(error).startswith("r/IAmA: ")
        return
    rejects = {reason: count for part in report.reports for reason, count in part.rejects.items()}
    kept = con.execute("SELECT reason FROM ingest_rejects").fetchall()
    assert sum(rejects.values()) == len(kept)
    if rejects:
        assert set(rejects) <= {f"wrong type: {field}", f"missing {field}", "invalid json"}, rejects


def test_live_text_with_nul_and_right_to_left_is_stored_as_is(recorded_reddit, con, reddit_env):
    from assets.ingest.reddit.live import reddit_from_env
    from tests.ingest.reddit.test_live import live, post_with_reply

    fake = copy.deepcopy(recorded_reddit)
    the_post, reply = post_with_reply(fake)
    reply["body"], the_post["title"] = "a\x00b " + RIGHT_TO_LEFT, RIGHT_TO_LEFT
    live(con, reddit_from_env(requestor_kwargs={"session": fake}), ["IAmA"], replace_more_limit=0)
    assert con.execute("SELECT body FROM reddit_comments WHERE id = ?", [reply["id"]]).fetchall() == [
        ("a\x00b " + RIGHT_TO_LEFT,)
    ]
    assert con.execute("SELECT title FROM reddit_submissions WHERE id = ?", [the_post["id"]]).fetchall() == [
        (RIGHT_TO_LEFT,)
    ]


# --- flag values ----------------------------------------------------------------------


def value_flags() -> list[tuple[tuple[str, ...], str, type]]:
    """(command, flag, type) for each flag of the pipeline commands that takes a value."""
    import dataclasses
    import typing

    from assets.pairs.config import PairRules
    from training.config import TrainConfig
    from training.flags import scalar_type

    flags = []
    for command, config, skip in ((("pairs", "build"), PairRules, ()), (("train",), TrainConfig, ("snapshot_dir",))):
        hints = typing.get_type_hints(config)
        for field in dataclasses.fields(config):
            kind = scalar_type(hints[field.name])
            if field.name not in skip and kind is not bool:
                flags.append((command, "--" + field.name.replace("_", "-"), kind))
    return flags + [
        (("train",), "--snapshot", str),
        (("ingest", "live"), "--day", str),
        (("ingest", "dump"), "--comments", str),
        (("snapshot",), "--wait", float),
    ]


NUMBERS_REFUSED = ["nan", "abc"]  # for a number: never allowed, and named in the line
ANY_VALUE = ["inf", "-inf", "-1", "0", "", "1e999", RIGHT_TO_LEFT, "x" * 100_000]


def flag_cases() -> list:
    cases = []
    for command, flag, kind in value_flags():
        numeric = kind in (int, float)
        values = (NUMBERS_REFUSED if numeric else []) + [NOT_UTF8] + (ANY_VALUE + ([] if numeric else ["nan", "abc"]))
        for value in values if FULL else values[: 2 if numeric else 1]:
            shown = value if len(value) < 20 else f"{value[:3]}...({len(value)})"
            cases.append(pytest.param(command, flag, numeric, value, id=f"{' '.join(command)} {flag}={shown!a}"))
    return cases


@pytest.mark.parametrize("command, flag, numeric, value", flag_cases())
def test_a_flag_given_a_value_it_cannot_take_is_one_line(tmp_path, capsys, command, flag, numeric, value):
    """On an empty warehouse: a value taken runs the command, which then finds nothing to
    work on (one line), or builds no pairs (exit 0); a value refused is one line naming the
    flag, before any work."""
    day = ["--day", "2025-01-02"] if command == ("ingest", "live") and flag != "--day" else []
    code, _, err = run_cli(capsys, *command, *day, f"{flag}={value}", "--db", str(tmp_path / "w" / "upvote.duckdb"))
    assert code in (0, 1), err
    if code == 1:
        assert is_one_line(code, err), err
    if value == NOT_UTF8:  # a number's parser refuses it first
        assert is_one_line(code, err, flag if numeric else "is not UTF-8 text"), err
    elif numeric and value in NUMBERS_REFUSED:
        assert is_one_line(code, err, flag), err


# --- warehouse, snapshot and model paths ----------------------------------------------


def damaged_paths(folder) -> dict[str, tuple[tuple[str, ...], str]]:
    """Case -> (the command, what its one line says). `folder` holds an empty warehouse."""
    noise = random.Random(1).randbytes(4096)
    (folder / "noise.duckdb").write_bytes(noise)
    (folder / "a.duckdb").mkdir()
    (folder / "db_loop").symlink_to(folder / "db_loop")
    real = folder / "real.duckdb"
    connect(real).close()
    (folder / "cut.duckdb").write_bytes(real.read_bytes()[: real.stat().st_size // 3])
    snapshot = folder / "snapshots" / "0123456789abcdef"
    snapshot.mkdir(parents=True)
    (snapshot / "manifest.json").write_bytes(noise)
    weightless = folder / "weightless"
    weightless.mkdir()
    (weightless / "config.json").write_text('{"model_type": "llama"}')
    for name, manifest in (
        ("noise_model", noise),
        ("lacking_model", b'{"status": "completed"}'),
        ("list_model", b"[]"),
    ):
        (folder / name).mkdir()
        (folder / name / "training_manifest.json").write_bytes(manifest)
    (folder / "folder_model" / "training_manifest.json").mkdir(parents=True)
    (folder / "file_model").write_bytes(noise)
    db = str(folder / "w.duckdb")
    return {
        "db-random-bytes": (("snapshot", "--db", str(folder / "noise.duckdb")), "not a valid DuckDB database file"),
        "db-truncated": (("audit", "author", "x", "--db", str(folder / "cut.duckdb")), "cannot open"),
        "db-a-folder": (("pairs", "build", "--db", str(folder / "a.duckdb")), "cannot write to it"),
        "db-symlink-loop": (("snapshot", "--db", str(folder / "db_loop" / "w.duckdb")), "cannot use"),
        "snapshot-escaping": (("train", "--snapshot", "../..", "--db", db), "no snapshot ../.."),
        "snapshot-damaged": (("train", "--snapshot", snapshot.name, "--db", str(folder / "w.duckdb")), "is damaged"),
        "model-without-weights": (("train", "--model", str(weightless), "--db", db), "config.json and weights"),
        "model-a-file": (("train", "--model", str(folder / "file_model"), "--db", db), "is neither"),
        "verify-manifest-random-bytes": (("audit", "verify", str(folder / "noise_model"), "--db", db), "does not read"),
        "verify-manifest-lacking": (("audit", "verify", str(folder / "lacking_model"), "--db", db), "lacks run_id"),
        "verify-manifest-a-list": (("audit", "verify", str(folder / "list_model"), "--db", db), "lacks an object"),
        "verify-manifest-a-folder": (("audit", "verify", str(folder / "folder_model"), "--db", db), "no training_"),
        "audit-model-a-file": (("audit", "model", str(folder / "file_model"), "--db", db), "no model folder"),
        "eval-manifest-random-bytes": (("eval", str(folder / "noise_model"), "--db", db), "no readable"),
        "eval-a-file": (("eval", str(folder / "file_model"), "--db", db), "no readable"),
    }


DAMAGED = [
    "db-random-bytes", "db-truncated", "db-a-folder", "db-symlink-loop", "snapshot-escaping", "snapshot-damaged",
    "model-without-weights", "model-a-file", "verify-manifest-random-bytes", "verify-manifest-lacking",
    "verify-manifest-a-list", "verify-manifest-a-folder", "audit-model-a-file", "eval-manifest-random-bytes",
    "eval-a-file",
]  # fmt: skip


@pytest.mark.parametrize("case", DAMAGED)
def test_a_path_that_is_not_what_the_command_needs_is_one_line(tmp_path, capsys, case):
    connect(tmp_path / "w.duckdb").close()
    argv, message = damaged_paths(tmp_path)[case]
    code, _, err = run_cli(capsys, *argv)
    assert is_one_line(code, err, message), err


def test_a_damaged_manifest_among_the_models_is_no_unrecorded_model(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    connect(db).close()
    (tmp_path / "models" / "damaged").mkdir(parents=True)
    (tmp_path / "models" / "damaged" / "training_manifest.json").write_bytes(random.Random(2).randbytes(512))
    code, out, err = run_cli(capsys, "audit", "unrecorded", "--format", "json", "--db", str(db))
    assert code == 0, err
    assert json.loads(out)["unrecorded"] == []
