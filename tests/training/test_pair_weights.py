"""training.pair_weights and the trainer's weighted reduction: per-pair loss weights and label
noise from a snapshot's `weight` and `confidence` columns."""

from __future__ import annotations

import json
import math

import pytest
import torch

from tests.training.snapshots import pair_rows, single_rows, write_singles, write_snapshot
from training import TrainConfig, train
from training.data import EncodedPair, load_snapshot
from training.errors import ConfigError
from training.losses import LABEL_SMOOTHED, LOSSES
from training.pair_weights import MAX_LABEL_NOISE, PairWeightsError, batch_terms, scaled_to_train_mean
from training.setup import encode_splits
from training.trainer import preference_loss

BASE = dict(snapshot_dir="s", out_dir="o")


def batch(seed: int = 0, n: int = 5):
    """Random log-probs (2n,) [chosen; rejected], lengths (2n,) and reference log-probs (n, 2)."""
    g = torch.Generator().manual_seed(seed)
    logps = -torch.rand(2 * n, generator=g) * 40 - 5
    lengths = torch.randint(1, 30, (2 * n,), generator=g)
    ref = -torch.rand(n, 2, generator=g) * 40 - 5
    return logps, lengths, ref


def kto_batch(seed: int = 0, n: int = 5):
    """A KTO batch of n rows, row 1 a desirable single and row 2 an undesirable one (an empty
    slot has length 0), the rest pairs; with `KLBaseline.terms`' (policy, reference, filled)."""
    logps, lengths, ref = batch(seed, n)
    lengths[n + 1] = lengths[2] = 0
    g = torch.Generator().manual_seed(seed + 1)
    kl = (-torch.rand(2 * n, generator=g) * 40 - 5, -torch.rand(2 * n, generator=g) * 40 - 5, lengths > 0)
    return logps, lengths, ref, kl


@pytest.mark.parametrize(
    ("loss_type", "sft_weight"),
    # orpo holds its own NLL term: the config refuses an sft_weight for it
    [(loss, sft) for loss in [*sorted(LOSSES), "kto"] for sft in (0.0, 0.5) if not (loss == "orpo" and sft)],
)
def test_all_weights_one_give_todays_loss_and_gradient_exactly(loss_type, sft_weight):
    """Every loss; kto on a batch mixing pairs and singles, with its KL baseline's terms."""
    cfg = TrainConfig(**BASE, loss_type=loss_type, sft_weight=sft_weight)
    logps, lengths, ref, kl = kto_batch() if loss_type == "kto" else (*batch(), None)
    results = []
    for weights in (None, torch.ones(5)):
        leaf = logps.clone().requires_grad_(True)
        loss, metrics, losses = preference_loss(cfg, leaf, lengths, ref, weights, None, kl)
        loss.backward()
        results.append((loss.detach(), losses, leaf.grad, metrics))
    (loss, losses, grad, metrics), (w_loss, w_losses, w_grad, w_metrics) = results
    assert torch.equal(loss, w_loss) and torch.equal(losses, w_losses) and torch.equal(grad, w_grad)
    assert metrics == w_metrics


def test_a_weighted_batch_by_hand():
    """beta = 1, two pairs, reference -10 (chosen) and -12 (rejected) for both:
    pair 1: policy -10 and -12, margin h = 0, loss ln 2 = 0.693147;
    pair 2: policy -10 + ln 3 and -12, h = ln 3, loss -ln sigmoid(ln 3) = -ln(3/4) = 0.287682.
    Weights 1.5 and 0.5: (1.5 ln 2 + 0.5 ln(4/3)) / 2 = 0.591781 (unweighted: 0.490415).
    SFT term, chosen lengths 4 and 2, each token weighing its pair's weight:
    -(1.5 * -10 + 0.5 * (-10 + ln 3)) / (1.5 * 4 + 0.5 * 2) = (20 - 0.5 ln 3) / 7 = 2.778674;
    with sft_weight 0.1: 0.591781 + 0.277867 = 0.869648.
    Per-pair label noise eps = (0, 0.25) on top: pair 2 becomes
    -0.75 ln(3/4) - 0.25 ln(1/4) = 0.215762 + 0.346574 = 0.562335, and the weighted mean
    (1.5 ln 2 + 0.5 * 0.562335) / 2 = 0.660444."""
    logps = torch.tensor([-10.0, -10.0 + math.log(3), -12.0, -12.0])
    lengths = torch.tensor([4, 2, 7, 9])
    ref = torch.tensor([[-10.0, -12.0], [-10.0, -12.0]])
    weights = torch.tensor([1.5, 0.5])
    cfg = TrainConfig(**BASE, beta=1.0)
    loss, _, losses = preference_loss(cfg, logps, lengths, ref, weights)
    assert losses.tolist() == pytest.approx([math.log(2), math.log(4 / 3)], abs=1e-6)
    assert loss.item() == pytest.approx((1.5 * math.log(2) + 0.5 * math.log(4 / 3)) / 2, abs=1e-6)
    assert loss.item() == pytest.approx(0.591781, abs=1e-6)
    with_sft, metrics, _ = preference_loss(TrainConfig(**BASE, beta=1.0, sft_weight=0.1), logps, lengths, ref, weights)
    assert metrics["nll_loss"] == pytest.approx((20 - 0.5 * math.log(3)) / 7, abs=1e-5)
    assert with_sft.item() == pytest.approx(0.869648, abs=1e-5)
    noisy, _, _ = preference_loss(cfg, logps, lengths, ref, weights, torch.tensor([0.0, 0.25]))
    assert noisy.item() == pytest.approx(0.660444, abs=1e-6)


def test_a_weighted_kto_batch_by_hand():
    """beta = 1, two pairs split into singles, reference -10 for every completion, and the
    mismatched rows' policy log-probs ln 3 above their reference's: z0 = ln 3.
    Pair 1: chosen r = ln 3, loss 1 - sigmoid(r - z0) = 1 - sigmoid(0) = 0.5; rejected r = ln 3,
    loss 1 - sigmoid(z0 - r) = 0.5; its row 0.5.
    Pair 2: chosen r = 2 ln 3, loss 1 - sigmoid(ln 3) = 1 - 3/4 = 0.25; rejected r = 0,
    loss 1 - sigmoid(ln 3) = 0.25; its row 0.25.
    Weights 1.5 and 0.5, each carried by both singles of its pair:
    (1.5 * 0.5 + 1.5 * 0.5 + 0.5 * 0.25 + 0.5 * 0.25) / 4 = 0.4375 (unweighted: 0.375).
    SFT term, chosen lengths 4 and 2: -(1.5 (-10 + ln 3) + 0.5 (-10 + 2 ln 3)) / (1.5 * 4 + 0.5 * 2)
    = (20 - 2.5 ln 3) / 7 = 2.464781; with sft_weight 0.1: 0.4375 + 0.246478 = 0.683978.
    z0 (the logged `kl`) is ln 3 = 1.098612 with or without the weights."""
    ln3 = math.log(3)
    logps = torch.tensor([-10.0 + ln3, -10.0 + 2 * ln3, -10.0 + ln3, -10.0])
    lengths = torch.tensor([4, 2, 7, 9])
    ref = torch.full((2, 2), -10.0)
    kl = (torch.full((4,), -20.0 + ln3), torch.full((4,), -20.0), torch.ones(4, dtype=torch.bool))
    weights = torch.tensor([1.5, 0.5])
    cfg = TrainConfig(**BASE, loss_type="kto", beta=1.0)
    loss, metrics, losses = preference_loss(cfg, logps, lengths, ref, weights, None, kl)
    assert losses.tolist() == pytest.approx([0.5, 0.25], abs=1e-6)
    assert loss.item() == pytest.approx(0.4375, abs=1e-6)
    plain, plain_metrics, _ = preference_loss(cfg, logps, lengths, ref, None, None, kl)
    assert plain.item() == pytest.approx(0.375, abs=1e-6)
    assert metrics["kl"] == plain_metrics["kl"] == pytest.approx(ln3, abs=1e-5)
    with_sft, metrics, _ = preference_loss(
        TrainConfig(**BASE, loss_type="kto", beta=1.0, sft_weight=0.1), logps, lengths, ref, weights, None, kl
    )
    assert metrics["nll_loss"] == pytest.approx((20 - 2.5 * ln3) / 7, abs=1e-5)
    assert with_sft.item() == pytest.approx(0.683978, abs=1e-5)


@pytest.mark.parametrize("eps", [0.1, 0.25, 0.3])
@pytest.mark.parametrize("loss_type", sorted(LABEL_SMOOTHED))
def test_per_pair_label_smoothing_equals_the_scalar_one_when_all_equal(loss_type, eps):
    """Bit for bit where the rate's arithmetic (1 - eps, 1 - 2 eps) is exact in float32 (0.25);
    otherwise to float32 rounding: a Python float's arithmetic runs in double and is rounded
    once, a float32 tensor's is rounded at each step."""
    logps, lengths, ref = batch(seed=1)
    pc, pr = logps.chunk(2)
    lc, lr = lengths.chunk(2)
    scalar = LOSSES[loss_type](pc, pr, ref[:, 0], ref[:, 1], lc, lr, beta=0.1, label_smoothing=eps)
    per_pair = LOSSES[loss_type](pc, pr, ref[:, 0], ref[:, 1], lc, lr, beta=0.1, label_smoothing=torch.full((5,), eps))
    for a, b in zip(scalar, per_pair):
        assert torch.equal(a, b) if eps == 0.25 else torch.allclose(a, b, rtol=3e-7, atol=0)


def pairs(weights, confidences=None) -> list[EncodedPair]:
    confidences = confidences or [None] * len(weights)
    return [EncodedPair(f"p{i}", [1], [2], [3], False, w, c) for i, (w, c) in enumerate(zip(weights, confidences))]


def test_label_noise_is_one_less_the_confidence_clipped_below_a_half():
    cfg = TrainConfig(**BASE, pair_weights=True, confidence_label_noise=True)
    weights, noise = batch_terms(cfg, pairs([1.0, 2.0, 0.5], [0.75, 1.0, 0.3]), "cpu")
    assert weights.tolist() == [1.0, 2.0, 0.5]
    assert noise.tolist() == pytest.approx([0.25, 0.0, MAX_LABEL_NOISE])
    assert batch_terms(TrainConfig(**BASE), pairs([1.0, 2.0]), "cpu") == (None, None)


def test_weights_are_scaled_to_mean_one_over_the_train_split():
    scaled = scaled_to_train_mean({"train": pairs([1.0, 3.0]), "eval": pairs([4.0])})
    assert [p.weight for p in scaled["train"]] == [0.5, 1.5] and [p.weight for p in scaled["eval"]] == [2.0]
    with pytest.raises(PairWeightsError, match="p1 have a weight < 0"):
        scaled_to_train_mean({"train": pairs([1.0, -1.0]), "eval": []})
    with pytest.raises(PairWeightsError, match="every train pair weighs 0"):
        scaled_to_train_mean({"train": pairs([0.0, 0.0]), "eval": []})


def test_label_noise_settings_that_cannot_apply_are_refused():
    with pytest.raises(ConfigError, match="--confidence-label-noise applies to"):
        TrainConfig(**BASE, loss_type="ipo", confidence_label_noise=True)
    with pytest.raises(ConfigError, match="not both"):
        TrainConfig(**BASE, label_smoothing=0.1, confidence_label_noise=True)


def weighted_rows(n: int, offset: int = 0, weights=None) -> list[dict]:
    """Reddit-style rows with a weight and the vote model's confidence (1/2 + 1/(2 + i))."""
    rows = pair_rows(n, offset)
    for i, row in enumerate(rows):
        row["weight"] = weights[i] if weights else 0.5 + i
        row["confidence"] = 0.5 + 1 / (2 + i)
    return rows


def _train(snapshot, out, **kw):
    cfg = TrainConfig(
        snapshot_dir=str(snapshot),
        out_dir=str(out),
        **{"model": "tiny", "max_length": 64, "batch_size": 2, "learning_rate": 1e-3, "device": "cpu", **kw},
    )
    return train(cfg)


def test_weights_of_one_train_as_no_weights_and_other_weights_train_another_model(tmp_path):
    """The tiny model, 3 steps: a snapshot whose weights are all 1 trains exactly the model of the
    unweighted run, under another run key; weights 0.5, 1.5, ... and per-pair label noise train
    another model, and the manifest records the settings."""
    ones = write_snapshot(tmp_path / "ones", weighted_rows(6, weights=[1.0] * 6), weighted_rows(2, 6, [1.0] * 2))
    plain = _train(ones, tmp_path / "plain", max_steps=3)
    weighted_ones = _train(ones, tmp_path / "weighted-ones", max_steps=3, pair_weights=True)
    assert [h["loss"] for h in plain.history] == [h["loss"] for h in weighted_ones.history]
    assert plain.manifest["output"]["weights_sha256"] == weighted_ones.manifest["output"]["weights_sha256"]

    snapshot = write_snapshot(tmp_path / "weighted", weighted_rows(6), weighted_rows(2, 6))
    manifest = json.loads((snapshot / "manifest.json").read_text())
    (snapshot / "manifest.json").write_text(json.dumps(manifest | {"weighting": {"scheme": "confidence"}}))
    weighted = _train(snapshot, tmp_path / "out", max_steps=3, pair_weights=True, confidence_label_noise=True)
    losses = [h["loss"] for h in weighted.history]
    assert all(math.isfinite(x) for x in losses) and losses != [h["loss"] for h in plain.history]
    assert weighted.manifest["hyperparameters"]["pair_weights"] is True
    assert weighted.manifest["hyperparameters"]["confidence_label_noise"] is True
    assert weighted.manifest["weighting"] == {
        "scheme": "confidence",
        "pair_weights": True,
        "confidence_label_noise": True,
    }
    card = (tmp_path / "out" / "README.md").read_text()
    assert "snapshot weighting confidence; trained with --pair-weights and --confidence-label-noise" in card
    assert plain.manifest["weighting"] == {"scheme": "none", "pair_weights": False, "confidence_label_noise": False}


def test_a_snapshot_without_weights_is_refused_before_the_model_loads(tmp_path):
    snapshot = write_snapshot(tmp_path / "snap", pair_rows(2), pair_rows(1, offset=2))
    with pytest.raises(PairWeightsError, match=r"has no `weight` column for --pair-weights: freeze one with"):
        _train(snapshot, tmp_path / "out", max_steps=1, pair_weights=True, model="no/such/model")
    with pytest.raises(PairWeightsError, match="no `confidence` column for --confidence-label-noise"):
        _train(snapshot, tmp_path / "out", max_steps=1, confidence_label_noise=True, model="no/such/model")


def test_kto_trains_with_pair_weights_and_records_them(tmp_path, tokenizer):
    """The tiny model, 3 steps of KTO on pairs split into singles: weights all 1 train exactly the
    unweighted model; weights 0.5, 1.5, ... train another and the manifest records the flag.
    With `--kto-data both` the pairs' weights are scaled to mean 1 over the train pairs and the
    snapshot's singles weigh 1."""
    kto = dict(max_steps=3, loss_type="kto")
    ones = write_snapshot(tmp_path / "ones", weighted_rows(6, weights=[1.0] * 6), weighted_rows(2, 6, [1.0] * 2))
    plain = _train(ones, tmp_path / "plain", **kto)
    weighted_ones = _train(ones, tmp_path / "weighted-ones", pair_weights=True, **kto)
    assert [h["loss"] for h in plain.history] == [h["loss"] for h in weighted_ones.history]
    assert plain.manifest["output"]["weights_sha256"] == weighted_ones.manifest["output"]["weights_sha256"]

    snapshot = write_snapshot(tmp_path / "weighted", weighted_rows(6), weighted_rows(2, 6))
    weighted = _train(snapshot, tmp_path / "out", pair_weights=True, **kto)
    losses = [h["loss"] for h in weighted.history]
    assert all(math.isfinite(x) for x in losses) and losses != [h["loss"] for h in plain.history]
    assert weighted.manifest["hyperparameters"]["pair_weights"] is True
    assert weighted.manifest["weighting"]["pair_weights"] is True

    write_singles(snapshot, single_rows(pair_rows(3, offset=10)), single_rows(pair_rows(1, offset=13)))
    cfg = TrainConfig(snapshot_dir=str(snapshot), out_dir="o", loss_type="kto", kto_data="both", pair_weights=True)
    rows = encode_splits(cfg, load_snapshot(snapshot), tokenizer)["train"]
    assert [r.weight for r in rows if r.kind == "pair"] == pytest.approx([(0.5 + i) / 3 for i in range(6)])
    assert [r.weight for r in rows if r.kind == "single"] == [1.0] * 6
    both = _train(snapshot, tmp_path / "both", pair_weights=True, kto_data="both", **kto)
    assert all(math.isfinite(h["loss"]) for h in both.history)
