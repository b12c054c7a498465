"""training.trainer end to end on the tiny model: loss, outputs, manifest, reference cache, resume, LoRA."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import uuid
import warnings
from pathlib import Path

import pytest
import torch

from tests.training.snapshots import pair_rows, single_rows, write_singles, write_snapshot
from training import TrainConfig, train
from training.errors import UserError
from training.kto import KTO_DATA_KINDS, PAIRS, PAIRS_SPLIT, SINGLES
from training.losses import LABEL_SMOOTHED, LOSS_TYPES, REFERENCE_FREE
from training.models import cache_root
from training.schedule import micro_batches

REPO = Path(__file__).resolve().parents[2]
# On the CPU wherever they run: their tolerances are fp32's (a GPU would train in bf16).
FAST = dict(model="tiny", max_length=64, batch_size=2, learning_rate=1e-3, log_every=1, device="cpu")


def _cfg(snapshot, out, **kw) -> TrainConfig:
    return TrainConfig(snapshot_dir=str(snapshot), out_dir=str(out), **{**FAST, **kw})


def _losses(history):
    return [h["loss"] for h in history]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One 12-step run shared by the output tests: 5 train pairs (steps of 2, 2, 1 per epoch), 2 eval pairs."""
    root = tmp_path_factory.mktemp("run")
    snap = write_snapshot(root / "snap", pair_rows(5), pair_rows(2, offset=5))
    logged = []
    result = train(_cfg(snap, root / "out", max_steps=12), on_log=lambda step, m: logged.append((step, m)))
    return snap, result, logged


def test_first_step_is_ln2_and_loss_falls(trained):
    _, result, logged = trained
    losses = _losses(result.history)
    assert losses[0] == pytest.approx(math.log(2), abs=1e-5)  # policy == reference at step 0
    assert sum(losses[-3:]) / 3 < losses[0] - 0.1
    assert result.eval_after["eval/loss"] < result.eval_before["eval/loss"] == pytest.approx(math.log(2), abs=1e-5)
    assert result.eval_after["eval/rewards/margins"] > 0
    assert [step for step, _ in logged] == list(range(1, 13))
    names = {
        "loss",
        "rewards/chosen",
        "rewards/rejected",
        "rewards/margins",
        "rewards/accuracies",
        "logps/chosen",
        "logps/rejected",
        "learning_rate",
        "epoch",
        "step",
    }
    assert names <= set(logged[0][1])
    assert logged[-1][1]["epoch"] == pytest.approx(4.0)  # 3 steps per epoch


def test_saved_model_reloads_with_from_pretrained(trained):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _, result, _ = trained
    out = Path(result.out_dir)
    model = AutoModelForCausalLM.from_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)
    assert tok.chat_template and (out / "model.safetensors").exists()
    ids = tok.apply_chat_template(
        [{"role": "user", "content": "hi"}], add_generation_prompt=True, return_tensors="pt", return_dict=True
    )["input_ids"]
    assert torch.isfinite(model(ids).logits).all()
    base = AutoModelForCausalLM.from_pretrained(result.manifest["base_model"]["dir"])
    assert not torch.equal(model.model.embed_tokens.weight, base.model.embed_tokens.weight)  # it did train


def test_manifest_model_card_and_metrics_file(trained):
    snap, result, _ = trained
    out = Path(result.out_dir)
    manifest = json.loads((out / "training_manifest.json").read_text())
    for key in (
        "run_id",
        "snapshot_id",
        "snapshot_dir",
        "base_model",
        "code_version",
        "hyperparameters",
        "run_options",
        "started_at",
        "finished_at",
        "status",
        "final_metrics",
        "eval_before",
        "eval_after",
        "counts",
        "output",
        "history",
        "pairs",
    ):
        assert key in manifest, key
    from training.models import file_sha256

    assert manifest["output"]["weights_sha256"] == file_sha256(out / "model.safetensors")
    files = manifest["output"]["files_sha256"]  # every file from_pretrained may read, none of the records
    assert {"model.safetensors", "config.json", "tokenizer.json", "chat_template.jinja"} <= set(files)
    assert not set(files) & {"training_manifest.json", "metrics.jsonl", "README.md"}
    assert files == {name: file_sha256(out / name) for name in files}
    assert manifest["base_model"]["weights_sha256"] == file_sha256(
        Path(manifest["base_model"]["dir"]) / "model.safetensors"
    )
    assert manifest["status"] == "completed" and manifest["hyperparameters"]["max_steps"] == 12
    assert (
        manifest["counts"]["train_pairs"] == 5
        and manifest["counts"]["truncated_pairs"]["train"] == result.truncated_pairs["train"]
    )
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert lines == manifest["history"] and len(lines) == 12
    card = (out / "README.md").read_text()
    assert manifest["snapshot_id"] in card and "base_model: tiny" in card and "5 train pairs" in card


def test_manifest_pairs_are_the_batches_seen(trained):
    """12 steps over 5 pairs in steps of 2, 2, 1: 4 epochs, every pair seen 4 times, first in epoch 0;
    and the pairs of step k are exactly those the (seed, step) schedule dealt."""
    snap, result, _ = trained
    pairs = {p["pair_id"]: p for p in result.manifest["pairs"]}
    assert set(pairs) == {f"p{i:04d}" for i in range(5)}
    assert all(p["times_seen"] == 4 and p["epoch"] == 0 for p in pairs.values())
    cfg = _cfg(snap, "unused", max_steps=12)
    ids = [f"p{i:04d}" for i in range(5)]
    for step in range(3):
        _, batches = micro_batches(5, cfg, step)
        assert sorted(ids[i] for b in batches for i in b) == sorted(
            k for k, p in pairs.items() if p["first_step"] == step
        )
    assert sorted(p["first_step"] for p in pairs.values()) == [0, 0, 1, 1, 2]


def test_group_by_length_pads_less_and_keeps_every_pair():
    """Each run of 50 micro-batches of the epoch's permutation is sorted by length: the same
    pairs per epoch, far less padding, the same schedule for the same step; without the
    lengths it refuses."""
    import random

    from training.schedule import LENGTH_GROUP_BATCHES, steps_per_epoch

    rng = random.Random(0)
    lengths = [rng.randint(20, 900) for _ in range(233)]
    plain, grouped = (
        TrainConfig(snapshot_dir="x", out_dir="x", batch_size=2, grad_accum_steps=3, max_steps=1, group_by_length=g)
        for g in (False, True)
    )
    spe = steps_per_epoch(len(lengths), plain)

    def epoch(cfg, number):
        return [
            b
            for s in range(number * spe, (number + 1) * spe)
            for b in micro_batches(len(lengths), cfg, s, lengths=lengths)[1]
        ]

    def padding(batches):
        return sum(len(b) * max(lengths[i] for i in b) - sum(lengths[i] for i in b) for b in batches)

    size = LENGTH_GROUP_BATCHES * grouped.batch_size
    for number in (0, 1):
        ungrouped, batches = epoch(plain, number), epoch(grouped, number)
        flat_plain, flat = ([i for b in bs for i in b] for bs in (ungrouped, batches))
        assert sorted(flat) == list(range(len(lengths)))
        assert len(flat) > size  # more than one group
        for g in range(0, len(flat), size):
            assert sorted(flat[g : g + size]) == sorted(flat_plain[g : g + size])  # reordered within its group only
            assert [lengths[i] for i in flat[g : g + size]] == sorted(
                (lengths[i] for i in flat[g : g + size]), reverse=True
            )
        assert padding(batches) < padding(ungrouped) / 5
    assert micro_batches(len(lengths), grouped, 7, lengths=lengths) == micro_batches(
        len(lengths), grouped, 7, lengths=lengths
    )
    with pytest.raises(ValueError, match="length"):
        micro_batches(len(lengths), grouped, 0)


def test_group_by_length_trains_longest_pairs_first_in_a_group(tmp_path, tokenizer):
    """6 pairs are one length group: step 0 trains the two longest rows, step 2 the two shortest."""
    from training.data import encode_pairs, load_snapshot

    snap = write_snapshot(tmp_path / "snap", pair_rows(6), [])
    result = train(_cfg(snap, tmp_path / "out", max_steps=3, group_by_length=True))
    assert result.manifest["hyperparameters"]["group_by_length"] is True
    rows = {
        p.pair_id: p.row_length for p in encode_pairs(load_snapshot(str(snap)).train, tokenizer, FAST["max_length"])
    }
    by_step = sorted(result.manifest["pairs"], key=lambda p: (-rows[p["pair_id"]], p["first_step"]))
    assert [p["first_step"] for p in by_step] == [0, 0, 1, 1, 2, 2]
    assert len(set(rows.values())) > 3


def test_grad_accumulation_equals_one_big_batch(tmp_path):
    snap = write_snapshot(tmp_path / "snap", pair_rows(4), [])
    big = train(_cfg(snap, tmp_path / "a", batch_size=4, max_steps=3))
    accumulated = train(_cfg(snap, tmp_path / "b", batch_size=1, grad_accum_steps=4, max_steps=3))
    assert _losses(big.history) == pytest.approx(_losses(accumulated.history), abs=1e-5)


def test_gradient_checkpointing_changes_memory_not_the_result(tmp_path, tiny_dir):
    """Recomputing the layers' activations gives the same gradients, so the same losses; it and
    the other memory setting are no hyperparameters: the manifest (hence the model's settings
    key) leaves them out."""
    from training.setup import build_policy

    snap = write_snapshot(tmp_path / "snap", pair_rows(4), [])
    on, off = (_cfg(snap, tmp_path / name, max_steps=3, gradient_checkpointing=name == "on") for name in ("on", "off"))
    assert build_policy(on, tiny_dir)[0].lm.is_activation_checkpointing
    assert not build_policy(off, tiny_dir)[0].lm.is_activation_checkpointing
    with_ckpt, without = train(on), train(off)
    assert _losses(with_ckpt.history) == pytest.approx(_losses(without.history), abs=1e-6)
    assert with_ckpt.manifest["hyperparameters"] == without.manifest["hyperparameters"]
    assert not {"gradient_checkpointing", "return_memory_to_os"} & set(with_ckpt.manifest["hyperparameters"])


def test_precision_and_device_can_change_between_runs_in_one_process(tmp_path):
    """accelerate keeps the device and precision in process-wide state that refuses a change: a
    second train() with another precision used to fail. Now a conflicting state is reset, with
    a warning, and an fp32 run after a bf16 one gives the first fp32 run's losses; a caller's
    own Accelerator that agrees with the run is left alone."""
    from accelerate import Accelerator

    snap = write_snapshot(tmp_path / "snap", pair_rows(4), [])

    def run(name, precision):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = train(_cfg(snap, tmp_path / name, max_steps=2, precision=precision))
        return result, sum("process-wide state" in str(w.message) for w in caught)

    first, _ = run("a", "fp32")
    (bf16, reset_1), (again, reset_2) = run("b", "bf16"), run("c", "fp32")
    assert [r.manifest["precision"] for r in (first, bf16, again)] == ["no", "bf16", "no"]
    assert {r.manifest["device"] for r in (first, bf16, again)} == {"cpu"}
    assert (reset_1, reset_2) == (1, 1)
    assert _losses(again.history) == _losses(first.history)
    assert _losses(bf16.history) != _losses(first.history)
    mine = Accelerator(cpu=True)
    assert run("d", "fp32")[1] == 0 and mine.mixed_precision == "no" and mine.device.type == "cpu"


def test_auto_precision_is_resolved_in_the_hyperparameters():
    """'auto' trains in bf16 on a GPU and fp32 on the CPU, so the hyperparameters (and with them
    the Dagster asset's settings key and output folder) say which, not 'auto'."""
    base = dict(snapshot_dir="s", out_dir="o")
    on_gpu = torch.cuda.is_available()
    assert TrainConfig(**base).hyperparameters()["precision"] == ("bf16" if on_gpu else "fp32")
    assert TrainConfig(**base, device="cpu").hyperparameters()["precision"] == "fp32"
    assert TrainConfig(**base, device="cpu", precision="bf16").hyperparameters()["precision"] == "bf16"
    assert "device" not in TrainConfig(**base).hyperparameters()


def test_auto_device_follows_cuda_and_accelerate_use_cpu(monkeypatch):
    """'auto' means CUDA when torch sees a GPU, unless accelerate was told to use the CPU (a CPU
    `accelerate launch` on a GPU host sets ACCELERATE_USE_CPU): then the CPU, in fp32."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    cfg = TrainConfig(snapshot_dir="s", out_dir="o")
    assert cfg.uses_cuda() and cfg.resolved_precision() == "bf16"
    assert not TrainConfig(snapshot_dir="s", out_dir="o", device="cpu").uses_cuda()
    monkeypatch.setenv("ACCELERATE_USE_CPU", "true")
    assert not cfg.uses_cuda() and cfg.resolved_precision() == "fp32"


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is present")
def test_cuda_without_a_gpu_is_refused(snapshot, tmp_path):
    with pytest.raises(ValueError, match="no CUDA GPU"):
        train(_cfg(snapshot, tmp_path / "out", max_steps=1, device="cuda"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")
def test_cuda_run_matches_the_cpu_run(tmp_path):
    """The same fp32 run on the GPU and on the CPU: the same losses to kernel rounding. With
    device and precision on auto the GPU trains under bf16 autocast, and its first step (policy
    = reference) is still ~ln 2."""
    # a fresh snapshot id, so the shared reference cache cannot already hold these pairs
    snap = write_snapshot(tmp_path / "snap", pair_rows(6), pair_rows(2, offset=6), snapshot_id=uuid.uuid4().hex)
    cpu, cuda = (
        train(_cfg(snap, tmp_path / device, max_steps=4, precision="fp32", device=device)) for device in ("cpu", "cuda")
    )
    assert cuda.manifest["device"].startswith("cuda") and cuda.reference_cache == "computed"
    assert _losses(cpu.history)[-1] < _losses(cpu.history)[0] - 0.01
    assert _losses(cuda.history) == pytest.approx(_losses(cpu.history), abs=2e-3)
    assert cuda.eval_after["eval/loss"] == pytest.approx(cpu.eval_after["eval/loss"], abs=2e-3)
    auto = train(_cfg(snap, tmp_path / "auto", max_steps=4, device="auto"))
    assert auto.manifest["precision"] == "bf16" and auto.manifest["device"].startswith("cuda")
    assert _losses(auto.history)[0] == pytest.approx(math.log(2), abs=0.05)
    assert all(math.isfinite(x) for x in _losses(auto.history))


def test_reference_cache_matches_live_and_is_reused(tmp_path):
    # a fresh snapshot id, so the shared cache cannot already hold these pairs
    snap = write_snapshot(tmp_path / "snap", pair_rows(4), pair_rows(2, offset=4), snapshot_id=uuid.uuid4().hex)
    first = train(_cfg(snap, tmp_path / "a", max_steps=3))
    assert first.reference_cache == "computed"
    files = list((cache_root() / "ref_logps").glob("*.pt"))
    path = max(files, key=lambda p: p.stat().st_mtime)
    mtime = path.stat().st_mtime_ns
    second = train(_cfg(snap, tmp_path / "b", max_steps=3))
    assert second.reference_cache == "hit" and path.stat().st_mtime_ns == mtime  # read, not rewritten
    assert _losses(second.history) == _losses(first.history)
    # the cache keys on the settings the base model's log-probs depend on: not the loss's
    other_loss = train(_cfg(snap, tmp_path / "d", max_steps=3, beta=0.5, learning_rate=5e-4))
    assert other_loss.reference_cache == "hit" and path.stat().st_mtime_ns == mtime
    assert train(_cfg(snap, tmp_path / "e", max_steps=3, max_length=48)).reference_cache == "computed"
    live = train(_cfg(snap, tmp_path / "c", max_steps=3, reference="live"))
    assert live.reference_cache == "live"
    assert _losses(live.history) == pytest.approx(_losses(first.history), abs=1e-5)
    assert live.eval_after["eval/rewards/margins"] == pytest.approx(first.eval_after["eval/rewards/margins"], abs=1e-4)


KILL_SCRIPT = """
import os, signal, sys
from training import TrainConfig, train
cfg = TrainConfig(**{cfg!r})
def on_log(step, metrics):
    if step == 6:  # after the checkpoint at step 4, which holds step 4's metrics for this log line
        os.kill(os.getpid(), signal.SIGKILL)
train(cfg, on_log=on_log)
"""


def test_resume_after_kill_gives_the_same_losses(tmp_path):
    snap = write_snapshot(tmp_path / "snap", pair_rows(5), pair_rows(1, offset=5))
    # log_every 3, checkpoint_every 4: the checkpoint falls inside a logging window
    full = train(_cfg(snap, tmp_path / "full", max_steps=8, warmup_steps=2, log_every=3, checkpoint_every=4))
    kw = {
        **FAST,
        "snapshot_dir": str(snap),
        "out_dir": str(tmp_path / "killed"),
        "max_steps": 8,
        "warmup_steps": 2,
        "log_every": 3,
        "checkpoint_every": 4,
    }
    proc = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT.format(cfg=kw)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert (tmp_path / "killed" / "checkpoints" / "step-00000004").exists()
    assert not (tmp_path / "killed" / "training_manifest.json").exists()
    with pytest.raises(ValueError, match=r"cannot resume .* \(beta 0.1 -> 0.5\)"):
        train(TrainConfig(**{**kw, "resume": True, "beta": 0.5}))
    resumed = train(TrainConfig(**{**kw, "resume": True}))
    assert resumed.run_id == json.loads((tmp_path / "killed" / "training_manifest.json").read_text())["run_id"]
    assert [h["step"] for h in resumed.history] == [3, 6, 8]
    for logged, expected in zip(resumed.history, full.history, strict=True):  # every metric, not only the loss
        assert logged == pytest.approx(expected, abs=1e-6)
    assert resumed.manifest["pairs"] == full.manifest["pairs"]
    assert resumed.manifest["output"]["weights_sha256"] == full.manifest["output"]["weights_sha256"]


def test_a_checkpoint_from_before_settings_were_recorded_resumes_with_a_warning(tmp_path):
    snap = write_snapshot(tmp_path / "snap", pair_rows(4), pair_rows(1, offset=4))
    cfg = _cfg(snap, tmp_path / "out", max_steps=4, checkpoint_every=2)
    full = train(cfg)
    state_file = tmp_path / "out" / "checkpoints" / "step-00000002" / "state.pt"
    saved = torch.load(state_file, weights_only=False)
    for key in ("snapshot_id", "hyperparameters", "window"):  # what older checkpoints lack
        del saved["run_state"][key]
    torch.save(saved, state_file)
    with pytest.warns(UserWarning, match="predates checkpoints that record"):
        resumed = train(dataclasses.replace(cfg, resume=True))
    assert _losses(resumed.history) == pytest.approx(_losses(full.history), abs=1e-6)


def test_a_resume_may_change_the_logging_and_checkpoint_cadence(tmp_path):
    """The cadence of logs and checkpoints, and the eval batch size, change neither the model nor
    its eval: a resume may change them (the checkpoint recorded checkpoint_every 2, as every
    checkpoint did) and gives the same weights, and the manifest records the new ones. Another
    eval_max_pairs, whose eval the manifest reports beside the checkpoint's eval before, is
    still refused."""
    snap = write_snapshot(tmp_path / "snap", pair_rows(4), pair_rows(1, offset=4))
    cfg = _cfg(snap, tmp_path / "out", max_steps=4, checkpoint_every=2)
    full = train(cfg)  # keeps its step-2 checkpoint
    with pytest.raises(ValueError, match=r"cannot resume .* \(eval_max_pairs 0 -> 1\)"):
        train(dataclasses.replace(cfg, resume=True, eval_max_pairs=1))
    resumed = train(dataclasses.replace(cfg, resume=True, checkpoint_every=3, log_every=2, eval_batch_size=2))
    assert [h["step"] for h in resumed.history] == [1, 2, 4]
    assert resumed.manifest["output"]["weights_sha256"] == full.manifest["output"]["weights_sha256"]
    assert {k: resumed.manifest["run_options"][k] for k in ("checkpoint_every", "log_every", "eval_batch_size")} == {
        "checkpoint_every": 3,
        "log_every": 2,
        "eval_batch_size": 2,
    }
    assert not {"checkpoint_every", "log_every", "eval_batch_size"} & set(resumed.manifest["hyperparameters"])


def test_lora_trains_adapters_and_saves_a_merged_model(tmp_path):
    from transformers import AutoModelForCausalLM

    snap = write_snapshot(tmp_path / "snap", pair_rows(4), pair_rows(2, offset=4))
    result = train(_cfg(snap, tmp_path / "lora", max_steps=6, use_lora=True, lora_r=4, learning_rate=5e-3))
    losses = _losses(result.history)
    assert losses[0] == pytest.approx(math.log(2), abs=1e-5) and losses[-1] < losses[0]
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "lora")
    assert not any("lora" in name for name in merged.state_dict())
    base = AutoModelForCausalLM.from_pretrained(result.manifest["base_model"]["dir"])
    assert torch.equal(merged.model.embed_tokens.weight, base.model.embed_tokens.weight)  # not a LoRA target
    assert not torch.equal(merged.model.layers[0].self_attn.q_proj.weight, base.model.layers[0].self_attn.q_proj.weight)


@pytest.mark.parametrize("loss_type", sorted(set(LOSS_TYPES) - {"sigmoid"}))  # sigmoid: every other test
def test_every_loss_trains(tmp_path, loss_type):
    snap = write_snapshot(tmp_path / "snap", pair_rows(4), pair_rows(2, offset=4))
    label_smoothing = 0.1 if loss_type in LABEL_SMOOTHED else 0.0
    result = train(
        _cfg(
            snap,
            tmp_path / "out",
            max_steps=4,
            loss_type=loss_type,
            label_smoothing=label_smoothing,
            sft_weight=0.1 if loss_type == "robust" else 0.0,
        )
    )
    losses = _losses(result.history)
    assert all(math.isfinite(x) for x in losses) and losses[-1] < losses[0]
    expected_cache = ("none",) if loss_type in REFERENCE_FREE else ("computed", "hit")
    assert result.reference_cache in expected_cache
    assert result.manifest["loss_type"] == loss_type
    assert result.manifest["data_kind"] == (PAIRS_SPLIT if loss_type == "kto" else PAIRS)


def test_kto_on_split_pairs_trains_and_its_baseline_matches_a_live_reference(tmp_path):
    """At step 1 policy == reference and z0 = 0, so every single's loss is 1 - sigmoid(0) = 0.5;
    weighted by w_D = 2 and w_U = 1, a pair's loss is (2 * 0.5 + 1 * 0.5) / 2 = 0.75.
    The reference log-probs of the KL rows scored before training for every planned batch
    (cached) give the losses a live reference model gives, step by step, so each batch found its
    own rows; epochs of 5 pairs in batches of 2 include a batch of one."""
    snap = write_snapshot(tmp_path / "snap", pair_rows(5), pair_rows(3, offset=5))
    settings = dict(max_steps=6, loss_type="kto", desirable_weight=2.0, undesirable_weight=1.0)
    cached = train(_cfg(snap, tmp_path / "cached", **settings))
    live = train(_cfg(snap, tmp_path / "live", reference="live", **settings))
    losses = _losses(cached.history)
    assert losses[0] == pytest.approx(0.75, abs=1e-5) and losses[-1] < losses[0]
    assert losses == pytest.approx(_losses(live.history), abs=1e-5)
    assert [h["kl"] for h in cached.history] == pytest.approx([h["kl"] for h in live.history], abs=1e-5)
    assert cached.history[0]["kl"] == 0.0 and all(h["kl"] >= 0 for h in cached.history)
    assert cached.eval_before["eval/loss"] == pytest.approx(0.75, abs=1e-5)
    assert cached.eval_after["eval/loss"] < cached.eval_before["eval/loss"]
    card = (tmp_path / "cached" / "README.md").read_text()
    assert f"`kto` on {PAIRS_SPLIT}" in card


def test_kto_trains_on_the_snapshots_singles_or_on_both(tmp_path):
    """At step 1 every single's loss is 1 - sigmoid(0) = 0.5 (weights 1), so a batch's is 0.5
    whatever mix of singles and pairs it holds. The manifest lists the singles seen apart from
    the pairs; a snapshot without singles is refused for them, in one line."""
    snap = write_snapshot(tmp_path / "snap", pair_rows(4), pair_rows(2, offset=4))
    settings = dict(max_steps=4, loss_type="kto")
    with pytest.raises(UserError, match="has no singles"):
        train(_cfg(snap, tmp_path / "none", kto_data="singles", **settings))
    write_singles(snap, single_rows(pair_rows(3, offset=10)), single_rows(pair_rows(1, offset=13)))

    singles = train(_cfg(snap, tmp_path / "singles", kto_data="singles", **settings))
    losses = _losses(singles.history)
    assert losses[0] == pytest.approx(0.5, abs=1e-5) and losses[-1] < losses[0]
    manifest = singles.manifest
    assert manifest["data_kind"] == SINGLES and manifest["pairs"] == []
    assert {s["single_id"] for s in manifest["singles"]} <= {
        r["single_id"] for r in single_rows(pair_rows(3, offset=10))
    }
    assert (manifest["counts"]["train_singles"], manifest["counts"]["train_pairs"]) == (6, 0)
    assert singles.eval_before["eval/loss"] == pytest.approx(0.5, abs=1e-5)

    both = train(_cfg(snap, tmp_path / "both", kto_data="both", max_steps=6, loss_type="kto"))
    assert both.manifest["data_kind"] == KTO_DATA_KINDS["both"]
    assert (both.manifest["counts"]["train_singles"], both.manifest["counts"]["train_pairs"]) == (6, 4)
    assert len(both.manifest["pairs"]) + len(both.manifest["singles"]) == 10  # 6 steps of 2 rows: an epoch
    assert all(math.isfinite(x) for x in _losses(both.history))


def test_two_processes_under_accelerate_launch_equal_one_accumulating(tmp_path):
    """`accelerate launch` with 2 CPU processes (DDP over gloo): each step's micro-batches are
    dealt to the processes and their gradients averaged, so the run is the one-process run
    that accumulates both micro-batches: same pairs per step, same losses."""
    import socket

    snap = write_snapshot(tmp_path / "snap", pair_rows(8), pair_rows(2, offset=8))
    with socket.socket() as s:  # a free port for the process group
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # accelerate's `--cpu` launches one process; DDP on CPUs is its torchrun launcher
    # (`--multi_gpu`) with ACCELERATE_USE_CPU set, so that each process picks gloo
    launch = [
        str(Path(sys.executable).parent / "accelerate"),
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        str(port),
    ]
    flags = [
        "--snapshot-dir",
        str(snap),
        "--model",
        "tiny",
        "--max-length",
        "64",
        "--batch-size",
        "2",
        "--learning-rate",
        "1e-3",
        "--max-steps",
        "3",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--out-dir",
    ]
    proc = subprocess.run(
        [*launch, "-m", "training", *flags, str(tmp_path / "ddp")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "ACCELERATE_USE_CPU": "true"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    ddp = json.loads((tmp_path / "ddp" / "training_manifest.json").read_text())
    one = train(_cfg(snap, tmp_path / "one", grad_accum_steps=2, max_steps=3, cache_dir=str(tmp_path / "cache")))
    assert ddp["num_processes"] == 2 and one.manifest["num_processes"] == 1
    assert ddp["pairs"] == one.manifest["pairs"]
    assert _losses(ddp["history"]) == pytest.approx(_losses(one.history), abs=1e-5)
    assert ddp["eval_after"]["eval/loss"] == pytest.approx(one.eval_after["eval/loss"], abs=1e-5)


def test_a_loss_that_turns_non_finite_fails_the_run_and_keeps_the_last_checkpoint(tmp_path):
    """A learning rate of 1e30 makes AdamW's first step move every weight by ~1e30: step 1 is
    finite, the logits of step 2 overflow. The run fails there, naming the step; the checkpoint
    of step 1 stays, none is saved after the bad step, and no manifest says 'completed'."""
    from training.errors import UserError
    from training.trainer import DivergedError

    snap = write_snapshot(tmp_path / "snap", pair_rows(4), pair_rows(1, offset=4))
    cfg = _cfg(snap, tmp_path / "out", max_steps=4, learning_rate=1e30, checkpoint_every=1, max_grad_norm=0.0)
    with pytest.raises(DivergedError, match=r"^training diverged at step 2: (loss|grad_norm) is nan") as caught:
        train(cfg)
    assert isinstance(caught.value, UserError)
    assert sorted(p.name for p in (tmp_path / "out" / "checkpoints").glob("step-*")) == ["step-00000001"]
    assert not (tmp_path / "out" / "training_manifest.json").exists()
    assert not (tmp_path / "out" / "model.safetensors").exists()
