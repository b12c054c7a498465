"""What a snapshot holds from each source, for its manifest: pairs per source and community,
the rules of each source's build, and, for Stack Exchange, each site's licence and the
attribution CC BY-SA requires.

A snapshot may mix sources or keep some (`select_sources`); `sources_manifest` describes
what it kept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from assets.warehouse.connect import sql_folder
from training.errors import UserError

sql = sql_folder(__file__)

SOURCES = ("reddit", "stackexchange")
STACKEXCHANGE_ATTRIBUTION = (
    "User content from Stack Exchange sites, licensed CC BY-SA (3.0 for posts before 2018-05-02, "
    "4.0 after). attribution.parquet gives each pair's links to its question and answers, its "
    "authors' names and profile links, and each post's licence. "
    "This dataset, an adaptation, is shared under CC BY-SA 4.0."
)


class UnknownSourceError(UserError, ValueError):
    """A snapshot asked for a source that does not exist."""


def select_sources(pairs: pa.Table, sources: Sequence[str]) -> pa.Table:
    """The pairs of `sources` only; all of them when `sources` is empty."""
    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        raise UnknownSourceError(f"unknown source {', '.join(unknown)}: pick from {', '.join(SOURCES)}")
    if not sources:
        return pairs
    return pairs.filter(pc.is_in(pairs["source"], pa.array(list(sources), pa.string())))


def sources_manifest(con: duckdb.DuckDBPyConnection, pairs: pa.Table) -> tuple[dict[str, dict], pa.Table | None]:
    """({source: {pairs, communities: {name: pairs}, ...}}, attribution) of the snapshot's pairs.
    Stack Exchange adds its build's rules, each site's licences and the attribution statement;
    `attribution` has a row per Stack Exchange pair (links, authors, licences:
    select_snapshot_attribution.sql), the snapshot's attribution.parquet; None without any.
    Pairs from before sources existed are Reddit's, their subreddit their community."""
    if "source" not in pairs.column_names:
        pairs = pairs.append_column("source", pa.array(["reddit"] * pairs.num_rows, pa.string()))
        pairs = pairs.append_column("community", pairs["subreddit"])
    counts = (
        pairs.group_by(["source", "community"])
        .aggregate([("pair_id", "count")])
        .sort_by([("source", "ascending"), ("community", "ascending")])
    )
    manifest: dict[str, dict] = {}
    for source, community, count in zip(*(counts[name].to_pylist() for name in counts.column_names)):
        entry = manifest.setdefault(source, {"pairs": 0, "communities": {}})
        entry["pairs"] += count
        entry["communities"][community or "-"] = count
    if "stackexchange" not in manifest:
        return manifest, None
    con.register("snapshot_source_pairs", pairs.select(["pair_id", "source"]))
    try:
        builds = con.execute(sql("select_latest_stackexchange_pair_build")).fetchall()
        manifest["stackexchange"]["rules"] = json.loads(builds[0][0]) if builds else {}
        manifest["stackexchange"]["licenses"] = {
            site: sorted(licenses) for site, licenses in con.execute(sql("select_snapshot_site_licenses")).fetchall()
        }
        manifest["stackexchange"]["attribution"] = STACKEXCHANGE_ATTRIBUTION
        return manifest, con.sql(sql("select_snapshot_attribution")).to_arrow_table()
    finally:
        con.unregister("snapshot_source_pairs")
