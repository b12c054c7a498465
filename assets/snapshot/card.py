"""A snapshot's dataset card: `README.md` in the Hugging Face dataset-card format.

A YAML header (license, task categories, the configs whose data files `load_dataset` reads),
then what a user of the pairs should know: the rules and their values, what each rule removed,
the pair weights, score-age coverage, the length and timing biases (`assets.pairs.bias`), the
sources and their terms, and the known limits of vote data. Written with the snapshot's files;
not part of its id, which covers the pairs alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import duckdb
import polars as pl
import yaml

from assets.frames import markdown
from assets.pairs.bias import bias_figures, bias_table
from assets.pairs.config import PairRules
from assets.warehouse.connect import sql_folder

sql = sql_folder(__file__)

RULE_HELP = {f.name: f.metadata.get("help", "") for f in dataclasses.fields(PairRules)}
FIELDS = {
    "pair_id": "md5 of post id, chosen id and rejected id",
    "post_id": "the Reddit post (base36, no t3_)",
    "subreddit": "the community",
    "prompt": "the post's title, a blank line and its self-text",
    "chosen": "the reply the community preferred: written later, scored higher",
    "rejected": "the other reply",
    "chosen_id": "the chosen comment (base36, no t1_)",
    "rejected_id": "the rejected comment",
    "chosen_score": "the chosen comment's score when retrieved",
    "rejected_score": "the rejected comment's score when retrieved",
    "score_ratio": "chosen score / rejected score",
    "weight": "the pair's loss weight (Pair weights)",
    "confidence": "how sure the votes are that the chosen reply is preferred (Pair weights)",
}
SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))
SOURCE_TERMS = {
    "dump": "a dump file: an archive (Pushshift, Arctic Shift) or a recording (the bundled sample: the"
    " praw test suites' cassettes, BSD-licensed projects) of Reddit content collected through its API",
    "praw": "fetched live through Reddit's Data API (praw), under Reddit's Data API Terms",
    "stackexchange": "a Stack Exchange data dump: CC BY-SA (3.0 for posts before 2018-05-02, 4.0"
    " after); `attribution.parquet` gives each pair's links, authors and licences, which any reuse"
    " must carry (docs/stackexchange.md)",
}
KNOWN_LIMITS = """\
- **Herding.** Scores are not independent judgements: a visible score sways later votes (an early
  up-vote raised final ratings by a quarter in Muchnik, Aral & Taylor, *Science* 2013). A reply
  that got lucky early keeps its lead; `later_must_win` removes the clearest case, the earlier
  reply winning, but not herding among later replies.
- **Immature scores.** A score taken hours after posting is mostly noise. Comments whose score
  age is known and below `min_score_age_hours` are left out; those of unknown age are kept
  unless `drop_unknown_score_age` (see *Score age*). Retrieval clocks are not always UTC (the
  praw cassettes' `recorded_at` is local time), so an age can be off by hours.
- **Length and timing.** Longer and earlier replies collect more votes for reasons other than
  quality; *Bias* shows how strongly in these pairs. `max_length_ratio` keeps length-matched
  pairs only.
- **Scores are fuzzed.** Reddit adds noise to displayed scores; small scores and ratios near
  the threshold are least reliable.
- **Who votes.** Each community's voters have their own tastes and norms; the pairs say what
  they up-voted, not what is true or helpful elsewhere.
- **Content.** Replies are user text: they can be wrong, rude or contain personal details.
  Deleted and removed comments, bots and moderator posts are left out, and forget requests
  remove an author's or a comment's pairs from later snapshots, not from this one.
"""


def score_age_summary(con: duckdb.DuckDBPyConnection, pairs) -> dict[str, dict]:
    """{"chosen" | "rejected": {known, unknown, min_hours, p10_hours, p50_hours, p90_hours}} of
    the pairs (an Arrow table of preference_pairs rows), read from their raw comments."""
    con.register("snapshot_pair_rows", pairs)
    try:
        rows = con.execute(sql("select_snapshot_score_ages")).fetchall()
    finally:
        con.unregister("snapshot_pair_rows")
    return {
        side: {
            "known": known,
            "unknown": unknown,
            "min_hours": min_hours,
            **dict(zip(("p10_hours", "p50_hours", "p90_hours"), quantiles or (None, None, None))),
        }
        for side, known, unknown, min_hours, quantiles in rows
    }


def dataset_card(con: duckdb.DuckDBPyConnection, pairs, manifest: Mapping, build_report: Mapping | None) -> str:
    """The README.md of a snapshot of `pairs` (an Arrow table of preference_pairs rows) with this
    manifest, from the last pair build's report (None when no build was recorded)."""
    report = build_report or {}
    bias = bias_figures(con, pairs, report.get("early_lead_per_subreddit", {}))
    con.register("snapshot_pair_rows", pairs)
    try:
        sources = con.execute(sql("select_snapshot_sources")).fetchall()
    finally:
        con.unregister("snapshot_pair_rows")
    sections = [
        _header(manifest),
        _intro(manifest),
        _rules_section(manifest.get("rules") or {}),
        _counts_section(_reddit_pairs(pairs), report),
        _weights_section(manifest),
        _score_age_section(manifest.get("rules") or {}, manifest.get("score_age") or {}, report),
        "## Bias\n\nPer community, and for all pairs together (`(all)`): how often the chosen reply"
        " is the longer one (0.5: length does not tell them apart); the chosen / rejected length"
        " ratio, the hours the chosen reply came after the rejected one and the score ratio (10th,"
        " 50th and 90th percentiles); and, among all candidate siblings of the build (before"
        " `later_must_win` and the score ratio), how often the earlier one scored higher.\n\n"
        + markdown(bias_table(bias)),
        _sources_section(sources),
        "## Known limits\n\n" + KNOWN_LIMITS,
    ]
    return "\n\n".join(sections).rstrip() + "\n"


def _header(manifest: Mapping) -> str:
    total = manifest["counts"]["total"]
    header = {
        "pretty_name": f"upvote-dpo snapshot {manifest['snapshot_id']}",
        "license": "other",
        "license_name": "reddit-user-content",
        "license_link": "https://redditinc.com/policies/user-agreement",
        "task_categories": ["text-generation"],
        "tags": ["dpo", "preference", "reddit", "shp"],
        "size_categories": [next((name for limit, name in SIZE_CATEGORIES if total < limit), "1M<n<10M")],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": split, "path": f"dataset/{split}/*.arrow"} for split in ("train", "eval")],
            },
        ],
    }
    return "---\n" + yaml.safe_dump(header, sort_keys=False) + "---"


def _intro(manifest: Mapping) -> str:
    counts = manifest["counts"]
    fields = "\n".join(f"- `{name}`: {FIELDS.get(name, '')}" for name in manifest.get("columns", ()))
    return f"""# upvote-dpo snapshot {manifest["snapshot_id"]}

{counts["total"]} preference pairs ({counts["train"]} train, {counts["eval"]} eval) from {counts["posts"]} posts
(Reddit posts, Stack Exchange questions): two top-level replies to one post, the one the community
scored higher (and, on Reddit by default, wrote later) is `chosen`. Made {manifest.get("created_at")} by upvote-dpo.
The id is a hash of the pairs' content; this card is not part of it.

The splits are by post: no post has pairs in both.

```python
from datasets import load_dataset, load_from_disk

pairs = load_dataset("path/to/this/folder")  # train and eval: the columns below
pairs = load_from_disk("path/to/this/folder/dataset")  # the same, as saved
# every column of every pair (authors, times, split); not a config: a folder has one format
every_column = load_dataset("parquet", data_files="path/to/this/folder/pairs.parquet")
```

The columns of `dataset/`:

{fields}"""


def _rules_section(rules: Mapping) -> str:
    if not rules:
        return "## Pair rules\n\nNo pair build was recorded for these pairs."
    frame = pl.DataFrame(
        [{"rule": name, "value": str(value), "what it does": RULE_HELP.get(name, "")} for name, value in rules.items()]
    )
    return "## Pair rules\n\nThe rules of the pair build that selected these pairs (Stanford SHP's).\n\n" + markdown(
        frame
    )


def _reddit_pairs(pairs) -> int:
    """How many of the pairs are Reddit's: those the build report's counts are of."""
    if "source" not in pairs.column_names:  # pairs from before sources
        return pairs.num_rows
    return sum(1 for source in pairs["source"].to_pylist() if source in (None, "reddit"))


def _counts_section(reddit_pairs: int, report: Mapping) -> str:
    if not report:
        return f"## Counts\n\n{reddit_pairs} Reddit pairs; no pair build was recorded, so no removals either."
    removed = report["removed_by_rule"]
    frame = pl.DataFrame(
        [{"rule": rule, "candidate pairs removed": n} for rule, n in removed.items()],
        schema={"rule": pl.String, "candidate pairs removed": pl.Int64},
    )
    return (
        "## Counts and removals\n\n"
        f"The Reddit build paired every two top-level replies to a post: {report['candidate_pairs']} candidate"
        " pairs. Each rule, in this order, removed the pairs no earlier rule had removed (a comment rule"
        f" removes every pair of the comment). {report['kept']} pairs were kept, and {reddit_pairs} are here"
        " (forget requests and the snapshot's `sources` leave pairs out). Stack Exchange pairs, if any, follow"
        " their own build's rules (the manifest's `sources`).\n\n" + markdown(frame)
    )


def _weights_section(manifest: Mapping) -> str:
    """The `weighting` the manifest records (assets.snapshot.weights: the scheme, then each
    column's formula)."""
    weighting = manifest.get("weighting") or {"scheme": "none"}
    if weighting["scheme"] == "none":
        return "## Pair weights\n\nNone (`weighting: none`): every pair weighs the same in training."
    formulas = "\n".join(f"- `{column}`: {formula}" for column, formula in weighting.items() if column != "scheme")
    return (
        f"## Pair weights\n\nScheme `{weighting['scheme']}`: each pair's loss weight and the vote model's"
        f" confidence are columns of the pairs (and part of the id):\n\n{formulas}"
    )


def _score_age_section(rules: Mapping, score_age: Mapping, report: Mapping) -> str:
    rows = [
        {
            "side": side,
            "known": a["known"],
            "unknown": a["unknown"],
            "min hours": _hours(a["min_hours"]),
            "p10 / p50 / p90 hours": " / ".join(_hours(a[f"p{q}_hours"]) for q in (10, 50, 90)),
        }
        for side, a in score_age.items()
    ]
    removed = report.get("removed_by_rule", {})
    limit = rules.get("min_score_age_hours", "?")
    unknown = "left out" if rules.get("drop_unknown_score_age") else "kept"
    return (
        "## Score age\n\nHow old each reply's score was when it was retrieved (retrieval time minus"
        f" creation time; unknown where the source gave no retrieval time). Replies with a known age"
        f" under {limit} hours were left out ({removed.get('score_age', 0)} candidate pairs); those of"
        f" unknown age were {unknown} ({removed.get('score_age_unknown', 0)} candidate pairs removed).\n\n"
        + (markdown(pl.DataFrame(rows)) if rows else "No pairs.")
    )


def _hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _sources_section(sources: list[tuple[str, int]]) -> str:
    kinds = sorted({source.split(":", 1)[0] for source, _ in sources})
    terms = "\n".join(f"- `{kind}:`: {SOURCE_TERMS.get(kind, 'see where it came from')}" for kind in kinds)
    frame = pl.DataFrame(
        [{"source": s, "replies": n} for s, n in sources], schema={"source": pl.String, "replies": pl.Int64}
    )
    return (
        "## Sources and terms\n\nThe replies of these pairs came from:\n\n"
        + markdown(frame)
        + "\n\n"
        + terms
        + "\n\nEach Reddit post and comment remains its author's: Reddit's User Agreement"
        " (https://redditinc.com/policies/user-agreement) and Data API Terms"
        " (https://redditinc.com/policies/data-api-terms) govern their use. Honour deletion requests"
        " (`upvote-dpo forget`, then a new snapshot)."
    )
