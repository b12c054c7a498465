"""training.identity: the one run key that a resume, `dpo_model`'s reuse and the reference cache share."""

from __future__ import annotations

import dataclasses

import pytest

from training.config import Hyperparameters, RunOptions, TrainConfig
from training.identity import HASHED_WHEN_SET, RunIdentity

# Explicit precision: with "auto" the device decides it (see the test below), and these tests
# should give the same keys on a GPU host as on a CPU one.
BASE = dict(snapshot_dir="s", out_dir="o", precision="fp32")


def identity(snapshot_id: str = "snap", **kw) -> RunIdentity:
    return RunIdentity.of(TrainConfig(**{**BASE, **kw}), snapshot_id)


def test_the_default_keys_are_the_folder_names_models_were_trained_into():
    """A changed key would give every model `dpo_model` trained another folder, and train it
    again. These are the keys of the defaults on the CPU, and of a run with ignored settings
    set (epochs under max_steps, the LoRA-less LoRA shape) and another log cadence."""
    assert identity().key() == "f83dedee6b"
    assert identity(precision="auto", device="cpu").key() == "f83dedee6b"
    assert (
        identity(loss_type="simpo", simpo_gamma=1.0, max_steps=10, epochs=3, lora_r=4, log_every=5).key()
        == identity(loss_type="simpo", simpo_gamma=1.0, max_steps=10).key()
    )
    assert identity(precision="bf16", beta=0.2, eval_max_pairs=4).key() == "854d425969"
    assert identity().folder_name() == "snap-f83dedee6b"


# Every run option set away from its default (all but the required paths, which move too).
OTHER_RUN_OPTIONS = dict(
    snapshot_dir="elsewhere/s",
    out_dir="elsewhere/o",
    cache_dir="/tmp/other-cache",
    device="cpu",
    gradient_checkpointing=False,
    return_memory_to_os=True,
    log_every=7,
    eval_batch_size=3,
    checkpoint_every=5,
    resume=True,
)


def test_the_key_ignores_every_run_option():
    assert set(OTHER_RUN_OPTIONS) == {f.name for f in dataclasses.fields(RunOptions)}
    for name, value in OTHER_RUN_OPTIONS.items():
        assert identity(**{name: value}).key() == identity().key(), name
    assert identity(**OTHER_RUN_OPTIONS).key() == identity().key()
    assert identity(**OTHER_RUN_OPTIONS).changes_from(identity()) == []


def test_with_auto_precision_the_device_decides_the_precision_and_so_the_key():
    """bf16 autocast rounds every matmul: a GPU run with precision auto trains another model."""
    on_cpu, on_gpu = identity(precision="auto", device="cpu"), identity(precision="auto", device="cuda")
    assert on_gpu.key() != on_cpu.key()
    assert on_gpu.changes_from(on_cpu) == ["precision 'fp32' -> 'bf16'"]
    assert on_gpu.key() == identity(precision="bf16", device="cpu").key()


# One other value per hyper-parameter, with what makes the run use it.
OTHER_HYPERPARAMETERS = {
    "model": ({}, "smollm2-135m-instruct"),
    "loss_type": ({}, "ipo"),
    "beta": ({}, 0.2),
    "label_smoothing": ({}, 0.1),
    "sft_weight": ({}, 0.5),
    "pair_weights": ({}, True),
    "confidence_label_noise": ({}, True),
    "simpo_gamma": ({"loss_type": "simpo"}, 1.0),
    "desirable_weight": ({"loss_type": "kto"}, 1.5),
    "kto_data": ({"loss_type": "kto"}, "both"),
    "undesirable_weight": ({"loss_type": "kto"}, 0.5),
    "reference": ({}, "live"),
    "learning_rate": ({}, 1e-5),
    "weight_decay": ({}, 0.01),
    "max_grad_norm": ({}, 0.5),
    "batch_size": ({}, 4),
    "grad_accum_steps": ({}, 2),
    "group_by_length": ({}, True),
    "epochs": ({}, 2),
    "max_steps": ({}, 10),
    "warmup_steps": ({}, 3),
    "max_length": ({}, 256),
    "system_prompt": ({}, "Be brief."),
    "seed": ({}, 1),
    "precision": ({}, "bf16"),
    "eval_max_pairs": ({}, 4),
    "use_lora": ({}, True),
    "lora_r": ({"use_lora": True}, 8),
    "lora_alpha": ({"use_lora": True}, 16),
    "lora_dropout": ({"use_lora": True}, 0.1),
}


def test_the_key_changes_with_each_hyperparameter():
    assert set(OTHER_HYPERPARAMETERS) == {f.name for f in dataclasses.fields(Hyperparameters)}
    keys = set()
    for name, (context, value) in OTHER_HYPERPARAMETERS.items():
        before, after = identity(**context), identity(**context, **{name: value})
        assert after.key() != before.key(), name
        assert after.changes_from(before) == [f"{name} {getattr(TrainConfig(**BASE, **context), name)!r} -> {value!r}"]
        keys.add(after.key())
    assert len(keys) == len(OTHER_HYPERPARAMETERS)  # no two changes collide either


def test_pair_weight_settings_change_the_key_only_when_used():
    """Added after models were trained: at their defaults they leave the key as it was (a record
    from before them, which lacks them, has the same key); used, they make another run."""
    before = RunIdentity("snap", {k: v for k, v in identity().hyperparameters.items() if k not in HASHED_WHEN_SET})
    assert before.key() == identity().key() == "f83dedee6b"
    assert identity().changes_from(before) == []
    weighted = identity(pair_weights=True)
    assert weighted.key() != identity().key()
    assert weighted.changes_from(before) == ["pair_weights None -> True"]


def test_the_key_changes_with_the_snapshot_only_beside_it():
    """The snapshot id is not hashed into the key: the folder name puts it beside it."""
    assert identity("other").key() == identity().key()
    assert identity("other").folder_name() != identity().folder_name()
    assert identity("other").changes_from(identity()) == ["snapshot_id 'snap' -> 'other'"]


def test_settings_a_run_ignores_are_not_compared():
    """What a run ignores does not make another model: epochs under max_steps, SimPO's gamma
    under another loss, the reference's kind under a reference-free loss and the LoRA shape
    without LoRA. What differs is reported as set."""

    def changes(saved: dict, **wanted) -> list[str]:
        return identity(**wanted).changes_from(identity(**saved))

    assert changes(dict(max_steps=4, epochs=1), max_steps=4, epochs=3) == []
    assert changes(dict(epochs=1), epochs=3) == ["epochs 1 -> 3"]
    assert changes(dict(simpo_gamma=0.5), simpo_gamma=1.0) == []
    assert changes(dict(loss_type="simpo"), loss_type="simpo", simpo_gamma=1.0) == ["simpo_gamma 0.5 -> 1.0"]
    assert changes(dict(loss_type="simpo"), loss_type="simpo", reference="live") == []
    assert changes(dict(), reference="live") == ["reference 'cached' -> 'live'"]
    assert changes(dict(lora_r=16), lora_r=4, lora_dropout=0.1) == []
    assert changes(dict(use_lora=True), use_lora=True, lora_r=4) == ["lora_r 16 -> 4"]
    assert changes(dict(loss_type="simpo", simpo_gamma=1.0), loss_type="ipo", simpo_gamma=1.0) == [
        "loss_type 'simpo' -> 'ipo'"
    ]
    assert changes(dict(epochs=3), epochs=3, max_steps=10) == ["max_steps 0 -> 10"]
    assert changes(dict(), desirable_weight=2.0) == []
    assert changes(dict(loss_type="kto"), loss_type="kto", desirable_weight=2.0) == ["desirable_weight 1.0 -> 2.0"]


def test_kto_weights_leave_the_keys_of_other_losses_as_they_were():
    """KTO's weights came after models were trained with the other losses: those keep their keys
    (dropped, not defaulted), and KTO's key holds the weights."""
    before = {k: v for k, v in TrainConfig(**BASE).hyperparameters().items() if "desirable" not in k}
    assert RunIdentity("snap", before).key() == identity().key() == "f83dedee6b"
    assert identity(loss_type="kto").key() != identity(loss_type="kto", undesirable_weight=0.9).key()


def test_a_record_with_run_options_among_its_hyperparameters_has_the_same_identity():
    """A manifest or a checkpoint may hold log_every & co. among its hyper-parameters: they are
    not hyper-parameters, so not compared; nor is a named model's weights digest."""
    cfg = TrainConfig(**BASE)
    recorded = {**cfg.hyperparameters(), "log_every": 5, "eval_batch_size": 2, "checkpoint_every": 3}
    old = RunIdentity.recorded("snap", recorded, "ab" * 32)
    assert old.base_weights_sha256 is None  # a named model: its digest is no part of the identity
    assert old.key() == identity().key() and identity().changes_from(old) == []


def test_a_local_base_models_weights_are_part_of_the_identity(tmp_path):
    import shutil

    from training.models import tiny_dir, weights_sha256

    local = tmp_path / "base"
    shutil.copytree(tiny_dir(None), local)
    ours = identity(model=str(local), cache_dir=str(tmp_path / "cache"))
    assert ours.base_weights_sha256 == weights_sha256(local)
    retrained = RunIdentity.recorded("snap", ours.hyperparameters, "0" * 64)
    assert retrained.key() != ours.key()
    assert ours.changes_from(retrained) == [f"base model weights {'0' * 12} -> {ours.base_weights_sha256[:12]}"]


def test_the_reference_settings_are_a_projection_of_the_run_settings():
    """The reference cache keys on the run settings the base model's log-probs depend on: a run
    with another loss, optimiser or LoRA shape reuses the cached log-probs; another model,
    token budget, system prompt, precision, eval subset or snapshot does not."""
    ours = identity()
    projected = ours.reference_settings()
    settings = ours.settings()
    assert {k: v for k, v in projected.items() if k != "snapshot_id"} == {
        k: settings[k] for k in projected if k != "snapshot_id"
    }
    assert set(projected) == {"model", "max_length", "system_prompt", "precision", "eval_max_pairs", "snapshot_id"}
    for name in ("loss_type", "beta", "learning_rate", "use_lora", "seed", "batch_size", "max_steps"):
        assert identity(**{name: OTHER_HYPERPARAMETERS[name][1]}).reference_settings() == projected, name
    for name in ("model", "max_length", "system_prompt", "precision", "eval_max_pairs"):
        assert identity(**{name: OTHER_HYPERPARAMETERS[name][1]}).reference_settings() != projected, name
    assert identity("other").reference_settings() != projected
    assert identity(**OTHER_RUN_OPTIONS).reference_settings() == projected


@pytest.mark.parametrize("part", [Hyperparameters, RunOptions])
def test_each_part_validates_its_own_fields(part):
    """A bad value fails when the part is built, not when a model is loaded."""
    bad = {Hyperparameters: {"beta": 0}, RunOptions: {"snapshot_dir": "s", "out_dir": "o", "log_every": 0}}[part]
    with pytest.raises(ValueError, match="must be"):
        part(**bad)
    with pytest.raises(ValueError, match="must be"):
        TrainConfig(**{**BASE, **bad})
