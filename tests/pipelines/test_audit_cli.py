"""`upvote-dpo audit ...` and `forget` through `pipelines.cli.main`, on a real warehouse file."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from assets.audit import queries as audit  # noqa: E402
from assets.audit.verify import WEIGHTS  # noqa: E402
from assets.warehouse.connect import PROJECT_ROOT, connect  # noqa: E402
from pipelines.cli import main  # noqa: E402
from tests.audit.lineage_factory import LineageSpec, build  # noqa: E402
from tests.pipelines.test_cli import heavy_modules_after  # noqa: E402
from tests.warehouse.test_migrations import unversioned


@pytest.fixture(scope="module")
def lineage(tmp_path_factory):
    root = tmp_path_factory.mktemp("warehouse")
    con = connect(root / "upvote.duckdb")
    warehouse = build(con, LineageSpec(pairs=400, snapshots=2, runs=3), root, write_files=True)
    con.close()  # the audit opens it read-only
    return root / "upvote.duckdb", warehouse


def upvote_dpo(db: Path, *argv: str) -> int:
    return main([*argv, "--db", str(db)])


def answer_of(con_db: Path, function, *args, **kwargs):
    with connect(con_db, read_only=True) as con:
        return function(con, *args, **kwargs)


def test_audit_model_json_csv_and_table(lineage, capsys):
    db, warehouse = lineage
    model = warehouse.runs[0]["model_path"]
    upvote_dpo(db, "audit", "model", model, "--pairs", "--format", "json")
    answer = json.loads(capsys.readouterr().out)
    assert answer == answer_of(db, audit.audit_model, model, list_pairs=True)
    manifest = json.loads((Path(model) / audit.MANIFEST).read_text())
    assert {p["pair_id"] for p in answer["pairs"]} == {p["pair_id"] for p in manifest["pairs"]}

    upvote_dpo(db, "audit", "model", warehouse.runs[0]["run_id"], "--pairs", "--format", "csv")
    listed = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["pair_id"] for row in listed] == [p["pair_id"] for p in answer["pairs"]]
    assert listed[0]["chosen_source"] == answer["pairs"][0]["chosen_source"]
    assert listed[0]["post_author"] == answer["pairs"][0]["post_author"]

    upvote_dpo(db, "audit", "model", model)
    table = capsys.readouterr().out
    assert warehouse.runs[0]["run_id"] in table and warehouse.runs[0]["snapshot_id"] in table
    assert "post_author" in table  # whose text the prompt is
    assert "snapshot weighting none; trained unweighted" in table
    assert f"pairs seen (first 10 of {answer['counts']['pairs_seen']}; --pairs lists them all):" in table


def test_audit_comment_author_pair_subreddit(lineage, capsys):
    db, warehouse = lineage
    pair = answer_of(db, audit.audit_model, warehouse.runs[1]["run_id"])["pairs"][0]
    for kind, value in (
        ("comment", "t1_" + pair["chosen_id"]),
        ("author", pair["rejected_author"]),
        ("pair", pair["pair_id"]),
        ("subreddit", pair["subreddit"]),
    ):
        upvote_dpo(db, "audit", kind, value, "--format", "json")
        assert json.loads(capsys.readouterr().out) == answer_of(db, audit.audit_usage, kind, value)
        upvote_dpo(db, "audit", kind, value, "--format", "csv")
        used_by = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
        assert warehouse.runs[1]["run_id"] in {row["id"] for row in used_by if row["used_by"] == "model"}
        assert warehouse.runs[1]["snapshot_id"] in {row["id"] for row in used_by if row["used_by"] == "snapshot"}
    upvote_dpo(db, "audit", "comment", pair["chosen_id"])
    assert "used by:" in capsys.readouterr().out


def test_audit_author_needs_only_duckdb(lineage):
    """A one-row question starts as fast as DuckDB itself: no dagster, torch or pyarrow (the
    matched pairs stay in DuckDB)."""
    db, warehouse = lineage
    author = answer_of(db, audit.audit_model, warehouse.runs[0]["run_id"])["pairs"][0]["chosen_author"]
    assert (
        heavy_modules_after(
            f"from pipelines.cli import main\nmain(['audit', 'author', {author!r}, '--db', {str(db)!r}])"
        )
        == []
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (("audit", "comment", "t1_zzzzzz"), "no comment 'zzzzzz' in the warehouse"),
        (("audit", "model", "no-such-run"), "no model folder or training run 'no-such-run'"),
        (("audit", "model", "."), "no training_manifest.json in ."),
        (("audit", "verify", "."), "no training_manifest.json in ."),
    ],
)
def test_unknown_ids_exit_1_with_one_line(lineage, capsys, argv, message):
    db, _ = lineage
    code = upvote_dpo(db, *argv)
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_missing_warehouse_exits_1(tmp_path, capsys):
    assert upvote_dpo(tmp_path / "none.duckdb", "audit", "author", "someone") == 1
    assert "no warehouse at" in capsys.readouterr().err


def test_a_warehouse_to_migrate_exits_1_naming_the_command(tmp_path, capsys):
    """The audit opens read-only, which never upgrades: a warehouse without its schema version
    (as the last version before them left it) is one line saying how to upgrade it."""
    db = tmp_path / "upvote.duckdb"
    unversioned(db).close()
    code = upvote_dpo(db, "audit", "author", "someone")
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and f"upvote-dpo migrate --db {db}" in err


def test_a_warehouse_in_use_or_not_duckdb_is_one_line(tmp_path):
    """The file is the user's to fix: held by another process (this test's, writing), or not a
    DuckDB file at all. A process of its own: DuckDB's lock is per process."""

    def audit_author(db: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "audit", "author", "someone", "--db", str(db)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    held = tmp_path / "held.duckdb"
    con = connect(held)
    try:
        proc = audit_author(held)
    finally:
        con.close()
    assert (proc.returncode, proc.stderr) == (
        1,
        f"error: {held} is in use by process {os.getpid()}: try again once it has finished\n",
    )
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    proc = audit_author(junk)
    assert (proc.returncode, proc.stderr.count("\n")) == (1, 1), proc.stderr
    assert proc.stderr.startswith(f"error: cannot open {junk}: ") and "not a valid DuckDB database" in proc.stderr


@pytest.mark.parametrize(
    "bug", [ValueError("a bug"), duckdb.CatalogException("Table with name x does not exist!")], ids=["python", "duckdb"]
)
def test_a_bug_in_an_audit_propagates(lineage, monkeypatch, bug):
    """Only what the user can fix is one line: a DuckDB error from a query is a bug too."""
    db, _ = lineage

    def broken(*args, **kwargs):
        raise bug

    monkeypatch.setattr(audit, "audit_usage", broken)
    with pytest.raises(type(bug), match=str(bug)):
        upvote_dpo(db, "audit", "author", "someone")


def test_verify_exits_1_when_the_weights_changed(lineage, capsys):
    db, warehouse = lineage
    model = Path(warehouse.runs[2]["model_path"])
    upvote_dpo(db, "audit", "verify", str(model))
    assert "FAILED" not in capsys.readouterr().out
    weights = model / WEIGHTS
    original = weights.read_bytes()
    weights.write_bytes(b"other weights")
    try:
        code = upvote_dpo(db, "audit", "verify", str(model), "--format", "json")
    finally:
        weights.write_bytes(original)
    captured = capsys.readouterr()
    assert code == 1 and "no longer matches its record: weights sha256" in captured.err
    assert json.loads(captured.out)["ok"] is False


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "unbuffered"])
def test_a_closed_stdout_ends_the_command_quietly(lineage, tmp_path, unbuffered):
    """`upvote-dpo audit verify MODEL | head -1`: once the reader has gone, the command ends with
    the status a shell gives a command that a closed pipe ended (141) and no traceback, whether
    stdout is written at each print (PYTHONUNBUFFERED) or at exit. It was a BrokenPipeError
    traceback (exit 1), or "Exception ignored ... BrokenPipeError" (exit 120)."""
    db, warehouse = lineage
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home)
    reader, writer = os.pipe()
    os.close(reader)  # gone before the first line is written, so every write finds the pipe closed
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipelines.cli",
                "audit",
                "verify",
                warehouse.runs[0]["model_path"],
                "--db",
                str(db),
            ],
            cwd=PROJECT_ROOT,
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            env={**os.environ, "DAGSTER_HOME": str(home), "PYTHONUNBUFFERED": unbuffered},
        )
    finally:
        os.close(writer)
    assert (proc.returncode, proc.stderr) == (141, ""), proc.stderr[-2000:]


def test_forget_records_once_and_the_audit_then_flags_it(lineage, capsys):
    db, warehouse = lineage
    pair = answer_of(db, audit.audit_model, warehouse.runs[0]["run_id"])["pairs"][0]
    upvote_dpo(db, "forget", "--comment", "t1_" + pair["rejected_id"], "--reason", "deleted", "--format", "json")
    first = json.loads(capsys.readouterr().out)
    upvote_dpo(db, "forget", "--comment", pair["rejected_id"])
    table = capsys.readouterr().out
    assert first["new"] and first["request"]["reason"] == "deleted" and "already recorded" in table
    assert warehouse.runs[0]["run_id"] in {m["run_id"] for m in first["models"] if m["pairs_seen"]}

    upvote_dpo(db, "audit", "comment", pair["rejected_id"], "--format", "json")
    usage = json.loads(capsys.readouterr().out)
    assert usage["forgotten"] and usage["counts"]["forgotten_pairs"] == usage["counts"]["pairs"] > 0
    with pytest.raises(SystemExit):
        upvote_dpo(db, "forget", "--comment", "1", "--author", "2")  # one or the other
