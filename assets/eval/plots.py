"""The evaluation's plots: saved as PNG in the model's eval folder and shown in the UI."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import numpy as np

from assets.plots import png_markdown, pyplot


def _saved(figure, path: Path, title: str) -> dg.MetadataValue:
    figure.savefig(path, format="png", dpi=100, bbox_inches="tight")
    return png_markdown(figure, title)


def accuracy_by_ratio(preference: dict, path: Path) -> dg.MetadataValue:
    """Accuracy per score-ratio bucket: the trained model's implicit reward, and both models'
    log-prob ranking."""
    series = {
        "trained: implicit reward": preference["by_score_ratio"],
        "base: log-prob": preference["logp_by_score_ratio"]["base"],
        "trained: log-prob": preference["logp_by_score_ratio"]["trained"],
    }
    buckets = [row["group"] for row in preference["by_score_ratio"]]
    figure, axes = pyplot().subplots(figsize=(7, 3.5))
    width = 0.8 / len(series)
    for i, (name, rows) in enumerate(series.items()):
        accuracy = {row["group"]: row["accuracy"] for row in rows}
        axes.bar(np.arange(len(buckets)) + i * width, [accuracy.get(b, 0.0) for b in buckets], width, label=name)
    axes.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
    axes.set_xticks(np.arange(len(buckets)) + width, buckets)
    axes.set_xlabel("score ratio (chosen / rejected)")
    axes.set_ylabel("accuracy")
    axes.set_ylim(0, 1)
    axes.legend(fontsize="small")
    axes.set_title("Accuracy by score ratio")
    return _saved(figure, path, "Accuracy by score ratio")


def margin_histogram(margins: list[float], path: Path) -> dg.MetadataValue:
    figure, axes = pyplot().subplots(figsize=(7, 3.5))
    axes.hist(margins, bins=30)
    axes.axvline(0.0, color="grey", linewidth=0.8, linestyle="--")
    axes.set_xlabel("implicit reward margin (chosen - rejected)")
    axes.set_ylabel("eval pairs")
    axes.set_title("Reward margins")
    return _saved(figure, path, "Reward margins")


def reply_lengths(lengths: dict[str, list[int]], path: Path) -> dg.MetadataValue:
    """The sampled replies' lengths, base against trained."""
    figure, axes = pyplot().subplots(figsize=(7, 3.5))
    top = max([1, *lengths["base"], *lengths["trained"]])
    bins = np.linspace(0, top, 20)
    for name in ("base", "trained"):
        axes.hist(lengths[name], bins=bins, alpha=0.6, label=name)
    axes.set_xlabel("reply tokens (sampled)")
    axes.set_ylabel("replies")
    axes.legend(fontsize="small")
    axes.set_title("Reply lengths")
    return _saved(figure, path, "Reply lengths")
