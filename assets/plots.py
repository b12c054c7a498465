"""PNG plots for asset metadata, drawn from polars frames: the Dagster UI renders them inside markdown."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

import dagster as dg
import numpy as np
import polars as pl


def pyplot():
    """matplotlib.pyplot, imported at the first plot: loading the definitions (every CLI
    command that runs an asset, the code location) does not pay for it."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server or in CI
    import matplotlib.pyplot as plt

    return plt


def __getattr__(name: str):
    # `from assets.plots import plt` still works; it loads matplotlib at that import, so a
    # module the definitions load should call pyplot() inside its plotting functions instead.
    if name == "plt":
        return pyplot()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def png_markdown(figure, title: str) -> dg.MetadataValue:
    """The figure as a PNG embedded in markdown, then closed."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    pyplot().close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return dg.MetadataValue.md(f"![{title}](data:image/png;base64,{encoded})")


def stacked_bars(frame: pl.DataFrame, title: str) -> dg.MetadataValue:
    """One bar per row, labelled by the first column (e.g. subreddit), stacked by the others
    (e.g. rule), in alphabetical order."""
    label, *columns = frame.columns
    labels = frame[label].cast(pl.String).to_list()
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(9, max(3, 0.35 * len(labels) + 1.5)))
    left = np.zeros(len(labels))
    for column in sorted(columns):
        widths = frame[column].fill_null(0).to_numpy()
        axes.barh(labels, widths, left=left, label=column)
        left = left + widths
    axes.set_title(title)
    axes.legend(fontsize="small", loc="lower right")
    return png_markdown(figure, title)


def histogram(values: pl.Series, title: str, xlabel: str, log_x: bool = False) -> dg.MetadataValue:
    figure, axes = pyplot().subplots(figsize=(7, 3.5))
    values = values.drop_nulls().to_numpy()
    if log_x and len(values):
        bins = np.logspace(np.log10(values.min()), np.log10(values.max()) + 1e-9, 30)
        axes.set_xscale("log")
    else:
        bins = 30
    axes.hist(values, bins=bins)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("pairs")
    return png_markdown(figure, title)


def curves(series: Mapping[str, Sequence[tuple[float, float]]], title: str, xlabel: str) -> dg.MetadataValue:
    """Line plots of (x, y) points, one per named series."""
    figure, axes = pyplot().subplots(figsize=(7, 3.5))
    for name, points in series.items():
        if points:
            xs, ys = zip(*points)
            axes.plot(xs, ys, label=name, marker="." if len(points) < 30 else None)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.legend(fontsize="small")
    return png_markdown(figure, title)


def share_bars(frame: pl.DataFrame, title: str) -> dg.MetadataValue:
    """Shares in [0, 1], one group of bars per row labelled by the first column, one bar per
    other column, with a line at 0.5 (no preference either way); a null share draws no bar."""
    label, *columns = frame.columns
    labels = frame[label].cast(pl.String).to_list()
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, max(3, 0.45 * len(labels) + 1.5)))
    height = 0.8 / max(len(columns), 1)
    for i, column in enumerate(columns):
        positions = np.arange(len(labels)) + i * height
        axes.barh(positions, frame[column].fill_null(np.nan).to_numpy(), height=height, label=column)
    axes.set_yticks(np.arange(len(labels)) + height * (len(columns) - 1) / 2, labels)
    axes.axvline(0.5, color="black", linewidth=0.8, linestyle="--")
    axes.set_xlim(0, 1)
    axes.set_title(title)
    axes.legend(fontsize="small", loc="lower right")
    return png_markdown(figure, title)


def boxes(groups: Mapping[str, pl.Series], title: str, xlabel: str, log_x: bool = False) -> dg.MetadataValue:
    """One horizontal box plot per named group of values (whiskers at the 5th and 95th percentiles)."""
    labels = list(groups)
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, max(3, 0.35 * len(labels) + 1.5)))
    axes.boxplot(
        [groups[label].drop_nulls().to_numpy() for label in labels],
        orientation="horizontal",
        whis=(5, 95),
        showfliers=False,
    )
    axes.set_yticks(np.arange(1, len(labels) + 1), labels)
    if log_x:
        axes.set_xscale("log")
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    return png_markdown(figure, title)
