"""`upvote-dpo` end to end on a temporary warehouse: the same assets, in-process runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import dagster as dg
import pytest

from assets.warehouse.connect import PROJECT_ROOT, connect
from pipelines.cli import SAMPLE_DUMPS, main
from tests.pipelines.commands import run, temporary_dagster_home

# What made every command take seconds before it did anything; only a command that runs an
# asset (or trains) may load them.
HEAVY = ("torch", "transformers", "datasets", "dagster", "datasketch", "numba", "pyarrow", "pandas", "matplotlib")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    with temporary_dagster_home(tmp_path_factory):
        yield tmp_path_factory.mktemp("warehouse") / "upvote.duckdb"


def test_errors_are_one_clear_line_and_exit_1(db, capsys):
    code, _, err = run(capsys, "pairs", "build", "--min-score-ratio", "0.5", "--db", str(db))
    assert (code, err.strip()) == (1, "error: --min-score-ratio must be >= 1, got 0.5")
    code, _, err = run(capsys, "snapshot", "--db", str(db))
    assert code == 1 and err.strip().endswith("no preference pairs to snapshot: build the pairs first")
    code, _, err = run(capsys, "ingest", "dump", "--comments", str(db.parent / "missing.zst"), "--db", str(db))
    assert code == 1 and "no such dump file" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (("pairs", "build", "--min-score-ratio", "0.5"), "--min-score-ratio must be >= 1, got 0.5"),
        (
            ("ingest", "live", "--day", "2016-06-03"),
            "--day 2016-06-03 is not a live partition: pick a UTC day from 2025-01-01",
        ),
        (
            ("ingest", "live", "--day", "2025-01-02"),
            "Required configuration setting 'client_id' missing. Set REDDIT_CLIENT_ID",
        ),
        (("ingest", "dump", "--comments", "missing.zst"), "no such dump file: "),
        (("snapshot",), "no preference pairs to snapshot: build the pairs first"),
        (("snapshot", "--weighting", "votes"), "--weighting must be one of none, log_ratio, confidence"),
        (("train", "--snapshot", "nope"), "no snapshot nope in "),
        (("train", "--beta", "nan"), "--beta must be > 0, got nan"),
        (("train", "--learning-rate", "inf"), "--learning-rate must be > 0, got inf"),
        (("train", "--model", "no/such/dir"), "--model 'no/such/dir' is neither"),
        (("audit", "author", "someone"), "no warehouse at "),
    ],
    ids=[
        "bad-flag-value",
        "day-before-partitions",
        "no-credentials",
        "missing-file",
        "no-pairs",
        "unknown-weighting",
        "unknown-snapshot",
        "nan-beta",
        "infinite-learning-rate",
        "missing-model-path",
        "no-warehouse",
    ],
)
def test_each_kind_of_user_error_is_one_stderr_line_and_exit_1(db, tmp_path, argv, message):
    """As a user sees it, in a process of its own: raised before a run (flags, the day) or
    inside one (credentials, no pairs: Dagster wraps those), one line and status 1."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("REDDIT_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *argv, "--db", str(tmp_path / "upvote.duckdb")],
        cwd=tmp_path,
        env={**env, "HOME": str(tmp_path), "PYTHONPATH": str(PROJECT_ROOT)},  # no praw.ini
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("error: "), proc.stderr[-3000:]
    assert message in proc.stderr


WRITERS = [
    ("ingest", "dump", "--comments", "RC.zst"),
    ("ingest", "live", "--day", "2025-01-02"),
    ("pairs", "build"),
    ("singles", "build"),
    ("snapshot",),
    ("train",),
    ("eval",),
    ("demo",),
    ("forget", "--author", "someone"),
    ("migrate",),
]


@pytest.mark.parametrize("argv", WRITERS, ids=[" ".join(argv[:2]) for argv in WRITERS])
def test_a_path_that_cannot_hold_the_warehouse_is_one_line_at_once(tmp_path, argv):
    """A file where the warehouse's folder should be (root ignores permission bits, so this is
    how a test makes a folder that cannot be created): one line before anything runs, instead of
    a traceback or DuckDB's retries."""
    (tmp_path / "a-file").write_text("in the way")
    db = tmp_path / "a-file" / "upvote.duckdb"
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *argv, "--db", str(db)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (proc.returncode, proc.stderr) == (
        1,
        f"error: cannot use {db} as the warehouse: cannot create the folder {db.parent}: a file is in the way\n",
    )
    assert time.monotonic() - started < 10  # a fresh interpreter on a busy machine; ~0.2 s idle


def test_migrate_on_a_warehouse_in_use_is_one_line(tmp_path):
    """This process holds the file; `migrate` runs in another (DuckDB's lock is per process)."""
    held = tmp_path / "upvote.duckdb"
    con = connect(held)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "migrate", "--db", str(held)],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        con.close()
    assert (proc.returncode, proc.stderr) == (
        1,
        f"error: {held} is in use by process {os.getpid()}: try again once it has finished\n",
    )


def test_a_bug_inside_a_run_propagates_with_its_traceback(db, tmp_path, monkeypatch):
    """Not a UserError: not turned into one line, whether Dagster ran the code or not."""
    import assets.snapshot.assets as snapshot_assets

    def broken(*args, **kwargs):
        raise ValueError("a bug, not the user's to fix")

    monkeypatch.setattr(snapshot_assets, "create_snapshot", broken)
    with pytest.raises(ValueError, match="a bug, not the user's to fix"):
        main(["snapshot", "--db", str(tmp_path / "upvote.duckdb")])


def test_ingest_pairs_snapshot_train_from_the_command_line(db, capsys, recwarn):
    """recwarn records every warning, each time it is raised: none may be Dagster's preview ones."""
    submissions, comments = SAMPLE_DUMPS
    code, out, _ = run(
        capsys, "ingest", "dump", "--submissions", str(submissions), "--comments", str(comments), "--db", str(db)
    )
    assert code == 0 and "rows=12789" in out

    code, out, _ = run(capsys, "pairs", "build", "--min-score-ratio", "3", "--max-pairs-per-post", "2", "--db", str(db))
    assert code == 0
    con = connect(db, read_only=True)
    try:
        ratios, per_post = con.execute(
            "SELECT min(score_ratio), max(n) FROM preference_pairs,"
            " (SELECT count(*) AS n FROM preference_pairs GROUP BY post_id)"
        ).fetchall()[0]
    finally:
        con.close()
    assert ratios >= 3 and per_post <= 2

    code, out, _ = run(capsys, "snapshot", "--db", str(db))
    unweighted_id = out.split()[1].rstrip(":")
    assert code == 0 and (db.parent / "snapshots" / unweighted_id / "manifest.json").exists()
    code, out, _ = run(capsys, "snapshot", "--weighting", "confidence", "--db", str(db))
    snapshot_id = out.split()[1].rstrip(":")
    manifest = json.loads((db.parent / "snapshots" / snapshot_id / "manifest.json").read_text())
    assert code == 0 and snapshot_id != unweighted_id and manifest["weighting"]["scheme"] == "confidence"

    code, out, _ = run(
        capsys,
        "train",
        "--snapshot",
        snapshot_id,
        "--pair-weights",
        "--model",
        "tiny",
        "--max-steps",
        "1",
        "--max-length",
        "64",
        "--loss",
        "ipo",
        "--db",
        str(db),
    )
    assert code == 0, out
    assert not [w.message for w in recwarn if issubclass(w.category, dg.PreviewWarning)]
    model_dir = out.splitlines()[0].split(": ", 1)[1]
    manifest = json.loads((db.parent / "models" / model_dir.split("/")[-1] / "training_manifest.json").read_text())
    assert (manifest["snapshot_id"], manifest["hyperparameters"]["loss_type"]) == (snapshot_id, "ipo")
    assert manifest["hyperparameters"]["pair_weights"] is True

    # The runs are in the instance, so the UI's history shows them.
    runs = dg.DagsterInstance.get().get_runs()
    assert len([r for r in runs if r.is_success]) == 6  # 2 ingests, pairs, 2 snapshots, train

    # An unknown model is found inside the run (Dagster wraps the error): still one line.
    code, _, err = run(capsys, "train", "--snapshot", snapshot_id, "--model", "no-such-model", "--db", str(db))
    assert (code, err.count("\n")) == (1, 1) and err.startswith("error: --model 'no-such-model' is neither")


def test_snapshot_refuses_pairs_whose_blocking_checks_fail(db, capsys, tmp_path):
    """The checks gate `snapshot` too, not only automation: pairs that fail them (here a text
    emptied after the build, as a build by other code could leave it) are not frozen."""
    from tests.pairs.test_rules import comment, insert, post

    broken = tmp_path / "upvote.duckdb"
    con = connect(broken)
    insert(con, [post("p1")], [comment("a1", 2, 10), comment("b1", 10, 20)])
    con.close()
    code, _, _ = run(capsys, "pairs", "build", "--db", str(broken))
    assert code == 0
    con = connect(broken)
    con.execute("UPDATE preference_pairs SET chosen = ' '")
    con.close()
    code, _, err = run(capsys, "snapshot", "--db", str(broken))
    assert code == 1 and "no_empty_text (1)" in err
    assert not (tmp_path / "snapshots").exists()


def test_every_command_prints_its_help():
    """argparse %-formats help texts, so a field help like "~30% fewer" broke `--help`; every
    (sub)command's help renders, with the training flags' texts in it."""
    import argparse

    from pipelines.cli import build_parser

    def helps(parser):
        yield parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from helps(sub)

    texts = list(helps(build_parser()))
    assert len(texts) > 5
    assert any("~30% fewer pairs/s" in " ".join(t.split()) for t in texts)


def heavy_modules_after(code: str) -> list[str]:
    """The HEAVY packages a fresh interpreter holds after running `code` (stdout discarded)."""
    probe = (
        "import contextlib, io, json, sys\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_the_cli_and_its_help_load_no_heavy_library():
    """`upvote-dpo --help` (every subcommand's included) imports none of torch, dagster, ...: they
    load in the commands that use them. A sys.modules check, not a stopwatch, so it fails the
    same way on any machine."""
    assert heavy_modules_after("import pipelines.cli") == []
    assert (
        heavy_modules_after(
            "import argparse\n"
            "from pipelines.cli import build_parser\n"
            "parsers = [build_parser()]\n"
            "while parsers:\n"
            "    parser = parsers.pop()\n"
            "    parser.format_help()\n"
            "    parsers += [sub for action in parser._actions if isinstance(action, argparse._SubParsersAction)\n"
            "                for sub in action.choices.values()]"
        )
        == []
    )


def test_a_dump_given_as_the_other_kind_is_ingested_with_a_note(db, capsys):
    """Before, the kind came from the file's first line and the flag was not used; a file
    the kind could not be told of asked for a `kind=` option the command does not have."""
    submissions, _ = SAMPLE_DUMPS
    code, out, err = run(capsys, "ingest", "dump", "--comments", str(submissions), "--db", str(db))
    assert code == 0 and "submissions=333" in out and "comments=0" in out
    assert err.strip() == (
        f"note: {submissions.name} was given as comments but holds 0 comments and 333 submissions; both were ingested"
    )
    assert "kind=" not in out + err


def test_singles_build_on_the_sample_then_snapshot_freezes_them(db, capsys, tmp_path):
    """`singles build` after `pairs build`: its flags come from SingleRules, it prints the
    counts and the balance, and the next snapshot holds the singles (another id than the pairs')."""
    sample = tmp_path / "upvote.duckdb"
    submissions, comments = SAMPLE_DUMPS
    assert (
        main(["ingest", "dump", "--submissions", str(submissions), "--comments", str(comments), "--db", str(sample)])
        == 0
    )
    assert main(["pairs", "build", "--db", str(sample)]) == 0
    code, out, _ = run(capsys, "snapshot", "--db", str(sample))
    pairs_only_id = out.split()[1].rstrip(":")

    code, _, err = run(capsys, "singles", "build", "--undesirable-max-score", "10", "--db", str(sample))
    assert (code, err.strip()) == (
        1,
        "error: --undesirable-max-score (10) must be below --desirable-min-score (10): a reply cannot be both",
    )
    code, out, _ = run(
        capsys, "singles", "build", "--desirable-min-score", "20", "--no-near-dedup", "--db", str(sample)
    )
    assert code == 0, out
    con = connect(sample, read_only=True)
    try:
        counts = dict(
            con.execute(
                "SELECT split || ' ' || CASE WHEN label THEN 'desirable' ELSE 'undesirable' END, count(*)"
                " FROM preference_singles GROUP BY ALL"
            ).fetchall()
        )
        lowest_desirable = con.execute("SELECT min(score) FROM preference_singles WHERE label").fetchone()[0]
        rules = json.loads(con.execute("SELECT rules FROM single_builds ORDER BY built_at DESC LIMIT 1").fetchone()[0])
    finally:
        con.close()
    total, desirable = sum(counts.values()), counts.get("train desirable", 0) + counts.get("eval desirable", 0)
    assert desirable and total > desirable and lowest_desirable >= 20
    assert (rules["desirable_min_score"], rules["near_dedup"]) == (20, False)
    lines = out.splitlines()
    assert lines[0] == (
        f"singles: {total} (desirable {desirable}, undesirable {total - desirable};"
        f" desirable share {desirable / total:.2f})"
    )
    for split in ("train", "eval"):
        assert (
            f"  {split}: desirable {counts.get(f'{split} desirable', 0)},"
            f" undesirable {counts.get(f'{split} undesirable', 0)}" in lines
        )
    assert "  removed by no_clear_vote: " in out and "  removed by near_duplicate: 0" in lines

    code, out, _ = run(capsys, "snapshot", "--db", str(sample))
    snapshot_id = out.split()[1].rstrip(":")
    assert code == 0 and snapshot_id != pairs_only_id
    assert (sample.parent / "snapshots" / snapshot_id / "singles.parquet").exists()


def test_the_demo_runs_every_stage_on_the_sample(tmp_path_factory, capsys):
    """The README's first command, with the tiny model for SmolLM2 and one step: every stage
    runs with the arguments `demo` has (it reuses the other commands), and ends in the gate."""
    with temporary_dagster_home(tmp_path_factory):
        db = tmp_path_factory.mktemp("demo") / "upvote.duckdb"
        code, out, err = run(capsys, "demo", "--model", "tiny", "--max-steps", "1", "--db", str(db))
    assert code == 0, err
    snapshot_id = next(line for line in out.splitlines() if line.startswith("snapshot ")).split()[1].rstrip(":")
    manifest = json.loads((db.parent / "snapshots" / snapshot_id / "manifest.json").read_text())
    assert manifest["counts"]["total"] > 0
    assert len(list((db.parent / "models").iterdir())) == 1
    assert "gate" in out
