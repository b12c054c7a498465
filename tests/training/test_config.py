"""training.config: which settings a resume and the Dagster asset's reuse compare."""

from training.config import TrainConfig, changed_settings


def test_settings_a_run_ignores_are_not_compared():
    """A resume and the Dagster asset's reuse compare what changes the model: epochs under
    max_steps, SimPO's gamma under another loss and the LoRA shape without LoRA do not."""
    def changes(saved: dict, **wanted) -> list[str]:
        saved_cfg = TrainConfig(snapshot_dir="s", out_dir="o", **saved)
        return changed_settings("snap", saved_cfg.hyperparameters(), TrainConfig(snapshot_dir="s", out_dir="o", **wanted), "snap")

    assert changes(dict(max_steps=4, epochs=1), max_steps=4, epochs=3) == []
    assert changes(dict(epochs=1), epochs=3) == ["epochs 1 -> 3"]
    assert changes(dict(simpo_gamma=0.5), simpo_gamma=1.0) == []
    assert changes(dict(loss_type="simpo"), loss_type="simpo", simpo_gamma=1.0) == ["simpo_gamma 0.5 -> 1.0"]
    assert changes(dict(loss_type="simpo"), loss_type="simpo", reference="live") == []
    assert changes(dict(), reference="live") == ["reference 'cached' -> 'live'"]
    assert changes(dict(lora_r=16), lora_r=4, lora_dropout=0.1) == []
    assert changes(dict(use_lora=True), use_lora=True, lora_r=4) == ["lora_r 16 -> 4"]
    # what differs is reported as set, not as compared
    assert changes(dict(loss_type="simpo", simpo_gamma=1.0), loss_type="ipo", simpo_gamma=1.0) == ["loss_type 'simpo' -> 'ipo'"]
    assert changes(dict(epochs=3), epochs=3, max_steps=10) == ["max_steps 0 -> 10"]
