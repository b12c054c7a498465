"""`upvote-dpo eval`, `eval compare` and `models` on two tiny models trained from the command line."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from tests.pipelines.commands import run, snapshot_the_sample, temporary_dagster_home

SMALL_EVAL = (
    "--panel-size",
    "2",
    "--max-new-tokens",
    "4",
    "--bootstrap-resamples",
    "50",
    "--max-ood-tokens",
    "16",
    "--device",
    "cpu",
)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    with temporary_dagster_home(tmp_path_factory):
        db = tmp_path_factory.mktemp("warehouse") / "upvote.duckdb"
        snapshot_the_sample(db)
        yield db


def test_eval_reports_the_gate_and_models_lists_and_compares(db, capsys, recwarn):
    models = []
    for loss in ("sigmoid", "ipo"):
        code, out, _ = run(
            capsys,
            "train",
            "--model",
            "tiny",
            "--max-steps",
            "1",
            "--max-length",
            "64",
            "--loss",
            loss,
            "--device",
            "cpu",
            "--db",
            str(db),
        )
        assert code == 0, out
        models.append(out.splitlines()[0].split(": ", 1)[1])
        # Without a folder: the model dpo_model just produced.
        code, out, err = run(capsys, "eval", *SMALL_EVAL, "--db", str(db))
        assert code == 0, err
        assert f"evaluated {models[-1]} against" in out and "gate accuracy_above_chance: " in out
        assert out.splitlines()[-1].endswith("eval/generations.jsonl")
        # recwarn records each warning every time: Dagster's Pipes preview warning is never shown
        assert not [w.message for w in recwarn if issubclass(w.category, dg.PreviewWarning)]

    code, out, _ = run(capsys, "models", "--format", "json", "--db", str(db))
    listed = json.loads(out)
    assert code == 0 and [m["model_path"] for m in listed] == models
    assert [m["loss_type"] for m in listed] == ["sigmoid", "ipo"] and all(
        m["reward_accuracy"] is not None for m in listed
    )

    code, out, _ = run(
        capsys, "eval", "compare", models[1], listed[0]["run_id"][:8], "--format", "csv", "--db", str(db)
    )
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("run_id,") and len(lines) == 3
    assert lines[1].startswith(listed[1]["run_id"]) and lines[2].startswith(listed[0]["run_id"])

    code, out, _ = run(capsys, "models", "--db", str(db))
    assert code == 0 and out.startswith("| run_id") and out.count("\n") == 4  # header, rule, two models

    code, out, _ = run(capsys, "audit", "model", models[0], "--format", "json", "--db", str(db))
    (evaluation,) = json.loads(out)["evaluations"]
    assert code == 0 and evaluation["reward_accuracy"] == pytest.approx(listed[0]["reward_accuracy"])
    code, out, _ = run(capsys, "audit", "model", models[0], "--db", str(db))
    assert any(line.startswith("| evaluation ") and "gate " in line for line in out.splitlines())


def test_eval_mistakes_are_one_line(db, capsys, tmp_path):
    code, _, err = run(capsys, "eval", str(tmp_path), "--db", str(db))
    assert code == 1 and err.startswith(f"error: {tmp_path} holds no readable training_manifest.json")
    assert err.count("\n") == 1
    code, _, err = run(capsys, "eval", "compare", "nosuchrun", "--db", str(db))
    assert code == 1 and err.startswith("error: 'nosuchrun' matches no recorded model")
    code, _, err = run(capsys, "eval", "--panel-size", "0", "--db", str(db))
    assert (code, err) == (1, "error: --panel-size must be >= 1, got 0\n")
