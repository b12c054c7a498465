"""The package boundary, the command line (plain and under Dagster Pipes) and the real SmolLM2-135M."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.training.snapshots import pair_rows, write_snapshot

REPO = Path(__file__).resolve().parents[2]
MODULES = [
    "training",
    "training.config",
    "training.losses",
    "training.models",
    "training.data",
    "training.logps",
    "training.reference",
    "training.memory",
    "training.checkpoint",
    "training.outputs",
    "training.trainer",
    "training.__main__",
    "training.lifetime",
]


def test_importing_training_imports_neither_dagster_nor_duckdb():
    code = (
        f"import importlib, sys\nfor m in {MODULES!r}: importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'duckdb', 'dagster_pipes')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_cli_flags_come_from_the_config_and_it_trains(tmp_path):
    import dataclasses

    from training.__main__ import build_parser
    from training.config import TrainConfig

    parser = build_parser()
    dests = {a.dest for a in parser._actions} - {"help"}
    assert dests == {f.name for f in dataclasses.fields(TrainConfig)}
    assert all(f.metadata["help"] for f in dataclasses.fields(TrainConfig))
    assert "~30% fewer pairs/s" in " ".join(parser.format_help().split())  # a literal % in a help text

    snap = write_snapshot(tmp_path / "snap", pair_rows(3), pair_rows(1, offset=3))
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "training",
            "--snapshot",
            str(snap),
            "--model",
            "tiny",
            "--out",
            str(out),
            "--loss",
            "ipo",
            "--beta",
            "0.2",
            "--max-steps",
            "2",
            "--max-length",
            "48",
            "--learning-rate",
            "1e-3",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["steps"] == 2 and summary["model_path"] == str(out)
    manifest = json.loads((out / "training_manifest.json").read_text())
    assert manifest["hyperparameters"]["loss_type"] == "ipo" and manifest["hyperparameters"]["beta"] == 0.2
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 2
    assert "dpo:" in proc.stderr  # the tqdm bar


def test_a_closed_stdout_ends_the_command_quietly():
    """`python -m training --help | head -1`: the help is written at exit (stdout to a pipe is
    buffered), after the reader has gone; the command ends with the status a shell gives a
    command that a closed pipe ended (141), where it printed "Exception ignored ...
    BrokenPipeError" and exited 120."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "training", "--help"],
            cwd=REPO,
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONUNBUFFERED": ""},
        )
    finally:
        os.close(writer)
    assert (proc.returncode, proc.stderr) == (141, ""), proc.stderr[-2000:]


@pytest.mark.smollm2
def test_smollm2_converts_once_and_matches_the_gguf():
    """The cached safetensors conversion reloads with from_pretrained and gives the GGUF's logits;
    the shared-prompt completion log-probs agree with separate sequences' full log_softmax on
    the real model."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.data import collate, encode_pairs, model_inputs
    from training.logps import SequenceLogProbs, naive_sequence_logps
    from training.models import gguf_path, resolve_model_dir

    model_dir = resolve_model_dir("smollm2-135m-instruct")
    assert resolve_model_dir("smollm2-135m-instruct") == model_dir  # cached, not converted again
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(model_dir)
    assert model.num_parameters() == pytest.approx(134.5e6, rel=0.01) and "im_start" in tok.chat_template
    pairs = encode_pairs(pair_rows(1), tok, max_length=96)
    batch = collate(pairs, tok.pad_token_id)
    gguf = gguf_path()
    original = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    with torch.no_grad():
        prompt_and_chosen = torch.tensor([pairs[0].prompt + pairs[0].chosen])
        ours = model(input_ids=prompt_and_chosen).logits
        theirs = original(input_ids=prompt_and_chosen).logits
        assert torch.allclose(ours, theirs, atol=1e-4)
        shared_prompt = SequenceLogProbs(model)(*model_inputs(batch))
        assert torch.allclose(shared_prompt, naive_sequence_logps(model, pairs, tok.pad_token_id), atol=1e-3)


def test_cli_under_dagster_pipes_reports_the_materialization(tmp_path):
    """The trainer as an external process, launched by dagster's PipesSubprocessClient: its
    metrics and result come back to Dagster (the test, not training/, imports dagster)."""
    import dagster as dg

    snap = write_snapshot(tmp_path / "snap", pair_rows(3), pair_rows(1, offset=3))
    out = tmp_path / "out"

    @dg.asset
    def dpo_model(context: dg.AssetExecutionContext, pipes: dg.PipesSubprocessClient):
        command = [
            sys.executable,
            "-m",
            "training",
            "--snapshot",
            str(snap),
            "--model",
            "tiny",
            "--out",
            str(out),
            "--max-steps",
            "2",
            "--max-length",
            "48",
        ]
        return pipes.run(
            command=command, context=context, cwd=str(REPO), env={"HF_HUB_OFFLINE": "1"}
        ).get_materialize_result()

    result = dg.materialize(
        [dpo_model], resources={"pipes": dg.PipesSubprocessClient()}, instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success
    materialization = result.asset_materializations_for_node("dpo_model")[0]
    meta = materialization.metadata
    assert meta["model_path"].value == str(out) and meta["steps"].value == 2
    assert meta["snapshot_id"].value == json.loads((snap / "manifest.json").read_text())["snapshot_id"]
    assert meta["eval_after"].value["eval/pairs"] == 1
    assert [row["step"] for row in meta["metrics_history"].value] == [1, 2]


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="needs the git checkout")
def test_code_version_marks_uncommitted_changes_anywhere_in_the_repository(tmp_path):
    from training.outputs import code_version

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--shared", str(REPO), str(clone)], check=True, timeout=60)
    head = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert code_version(clone / "training") == head
    pairs_code = clone / "assets" / "pairs" / "rules.py"  # outside training/: the pairs' code
    pairs_code.write_text(pairs_code.read_text() + "# changed\n")
    assert code_version(clone / "training") == head + "-dirty"
