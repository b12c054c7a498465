"""Bias figures of a set of pairs, per community: what else than quality the votes may reward.

Votes favour longer replies and earlier ones for reasons other than quality: a set whose chosen
reply is nearly always the longer one teaches length. Per community (a subreddit, or a Stack
Exchange site; and for all together, `ALL`), `bias_figures` gives

- `longer_chosen_share`: how often the chosen reply is the longer (in characters), and
  `same_length_share`; 0.5 means length does not tell chosen from rejected;
- `length_ratio`, `gap_hours`, `score_ratio`: the 10th, 50th and 90th percentiles of chosen /
  rejected length, of the hours the chosen reply came after the rejected one, and of the score
  ratio;
- `earlier_scored_higher_share` over `sibling_pairs`: among all candidate siblings (comments
  that passed the comment rules, any score ratio, before `later_must_win`), how often the
  earlier one scored higher: the early-comment advantage that `later_must_win` removes.

`preference_pairs` (per subreddit) and `stackexchange_pairs` (per site) show them in their
metadata with `bias_plots`; every snapshot's dataset card
(`assets.snapshot.card`) lists them for the pairs it froze.
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg
import duckdb
import polars as pl

from assets import frames, plots
from assets.warehouse.connect import sql_folder

sql = sql_folder(__file__)

ALL = "(all)"  # no community is named so: subreddits are letters, digits and _; sites are hosts
QUANTILES = ("p10", "p50", "p90")  # as select_pair_bias.sql computes them
PLOTTED_COMMUNITIES = 25  # the largest by pairs; more boxes than that cannot be read


def bias_figures(con: duckdb.DuckDBPyConnection, pairs, early_lead: Mapping[str, Mapping[str, int]]) -> dict[str, dict]:
    """{community or ALL: figures} of `pairs` (a relation or Arrow table with the columns of
    preference_pairs), with the sibling counts of a build (`PairBuildReport.early_lead_per_subreddit`,
    `StackExchangePairReport.early_lead_per_site`; a community it does not name has none)."""
    con.register("bias_pairs", pairs)
    try:
        result = con.execute(sql("select_pair_bias"))
        names = [column[0] for column in result.description]
        rows = [dict(zip(names, row)) for row in result.fetchall()]
    finally:
        con.unregister("bias_pairs")
    figures = {}
    for row in rows:
        community = ALL if row["is_total"] else row["community"]
        lead = _lead_of(early_lead, community)
        figures[community] = {
            "pairs": row["pairs"],
            "longer_chosen_share": _share(row["longer_chosen"], row["pairs"]),
            "same_length_share": _share(row["same_length"], row["pairs"]),
            **{
                figure: dict(zip(QUANTILES, row[f"{figure}_quantiles"] or (None,) * len(QUANTILES)))
                for figure in ("length_ratio", "gap_hours", "score_ratio")
            },
            "sibling_pairs": lead["sibling_pairs"],
            "earlier_scored_higher_share": _share(lead["earlier_scored_higher"], lead["sibling_pairs"]),
        }
    return figures


def _lead_of(early_lead: Mapping[str, Mapping[str, int]], community: str) -> dict[str, int]:
    counts = early_lead.values() if community == ALL else [early_lead.get(community, {})]
    return {key: sum(c.get(key, 0) for c in counts) for key in ("sibling_pairs", "earlier_scored_higher")}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def bias_table(figures: Mapping[str, Mapping]) -> pl.DataFrame:
    """The figures one row per community, ALL first: for Markdown (asset metadata, dataset card)."""
    rows = []
    for community, f in figures.items():
        rows.append(
            {
                "community": community,
                "pairs": f["pairs"],
                "longer chosen": _rounded(f["longer_chosen_share"]),
                "length ratio p10/p50/p90": _quantiles(f["length_ratio"]),
                "gap hours p10/p50/p90": _quantiles(f["gap_hours"]),
                "score ratio p10/p50/p90": _quantiles(f["score_ratio"]),
                "siblings": f["sibling_pairs"],
                "earlier scored higher": _rounded(f["earlier_scored_higher_share"]),
            }
        )
    return pl.DataFrame(rows, strict=False)


def _rounded(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.2f}"


def _quantiles(values: Mapping[str, float | None]) -> str:
    return " / ".join("n/a" if values[q] is None else f"{values[q]:.3g}" for q in QUANTILES)


def bias_plots(
    con: duckdb.DuckDBPyConnection, pairs, figures: Mapping[str, Mapping], community: str = "subreddit"
) -> dict[str, dg.MetadataValue]:
    """PNG plots per community: the two shares as bars beside 0.5, and the distributions of the
    length ratio, the time gap and the score ratio as boxes (the largest communities). Their
    metadata keys end in `_per_<community>` ("subreddit", "site")."""
    communities = [c for c in figures if c != ALL]
    if not communities:
        return {}
    shares = pl.DataFrame(
        {
            "community": communities,
            "chosen reply is the longer": [figures[c]["longer_chosen_share"] for c in communities],
            "earlier sibling scored higher": [figures[c]["earlier_scored_higher_share"] for c in communities],
        },
        strict=False,
    )
    con.register("bias_pairs", pairs)
    try:
        values = frames.query(con, sql("select_pair_bias_values"))
    finally:
        con.unregister("bias_pairs")
    largest = sorted(communities, key=lambda c: (-figures[c]["pairs"], c))[:PLOTTED_COMMUNITIES]
    shown = f"{len(largest)} largest communities" if len(largest) < len(communities) else "per community"
    groups = {c: values.filter(pl.col("community") == c) for c in largest}
    return {
        f"bias_shares_per_{community}": plots.share_bars(shares, "Length and early-comment bias (0.5: none)"),
        f"length_ratio_per_{community}": plots.boxes(
            {c: g["length_ratio"] for c, g in groups.items()},
            f"Chosen / rejected length, {shown}",
            "characters, chosen / rejected",
            log_x=True,
        ),
        f"time_gap_per_{community}": plots.boxes(
            {c: g["gap_hours"] for c, g in groups.items()},
            f"Hours the chosen reply came after the rejected one, {shown}",
            "hours",
            log_x=bool(len(values)) and values["gap_hours"].min() > 0,
        ),
        f"score_ratio_per_{community}": plots.boxes(
            {c: g["score_ratio"] for c, g in groups.items()},
            f"Score ratio, {shown}",
            "chosen score / rejected score",
            log_x=True,
        ),
    }


def bias_metadata(
    con: duckdb.DuckDBPyConnection, pairs, early_lead: Mapping[str, Mapping[str, int]], community: str = "subreddit"
) -> dict[str, dg.MetadataValue]:
    """The bias figures of `pairs`, as JSON and a table, and their plots: a pairs asset's metadata."""
    figures = bias_figures(con, pairs, early_lead)
    return {
        "bias": dg.MetadataValue.json(figures),
        "bias_table": dg.MetadataValue.md(frames.markdown(bias_table(figures))),
        **bias_plots(con, pairs, figures, community=community),
    }
