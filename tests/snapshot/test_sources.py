"""One pair table for Reddit and Stack Exchange: each build keeps the other's pairs, and a
snapshot mixes sources or keeps some, lists them in its manifest with each site's licence,
and links every Stack Exchange pair to its answers (attribution.parquet)."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from assets.ingest.reddit.dumps import ingest_dump
from assets.ingest.stackexchange.dumps import ingest_site
from assets.pairs.rules import build_pairs
from assets.pairs.stackexchange.build import build_stackexchange_pairs
from assets.snapshot.freeze import create_snapshot
from assets.snapshot.sources import UnknownSourceError
from tests.conftest import PRAW_COMMENTS, PRAW_SUBMISSIONS


@pytest.fixture
def both_sources(con, quantumcomputing_dump):
    ingest_dump(con, PRAW_SUBMISSIONS)
    ingest_dump(con, PRAW_COMMENTS)
    ingest_site(con, quantumcomputing_dump)
    build_stackexchange_pairs(con)
    build_pairs(con)  # after: the Reddit rebuild keeps the Stack Exchange pairs
    return con


def by_source(con) -> dict[str, int]:
    return dict(con.execute("SELECT source, count(*) FROM preference_pairs GROUP BY ALL").fetchall())


def test_each_source_rebuilds_its_own_pairs_in_the_one_table(both_sources):
    con = both_sources
    counts = by_source(con)
    assert counts["reddit"] > 0 and counts["stackexchange"] > 0
    (se_pairs,) = con.execute("SELECT count(*) FROM stackexchange_pairs").fetchone()
    assert counts["stackexchange"] == se_pairs
    assert con.execute(
        "SELECT count(*) FROM preference_pairs WHERE source = 'reddit' AND community IS DISTINCT FROM subreddit"
    ).fetchone() == (0,)
    build_stackexchange_pairs(con)
    assert by_source(con) == counts


def test_a_snapshot_mixes_sources_or_keeps_some(both_sources, tmp_path):
    con = both_sources
    counts = by_source(con)
    mixed = create_snapshot(con, tmp_path / "snapshots")
    reddit = create_snapshot(con, tmp_path / "snapshots", sources=["reddit"])
    stackexchange = create_snapshot(con, tmp_path / "snapshots", sources=["stackexchange"])

    assert mixed.counts["total"] == sum(counts.values())
    assert reddit.counts["total"] == counts["reddit"] and stackexchange.counts["total"] == counts["stackexchange"]
    assert len({mixed.snapshot_id, reddit.snapshot_id, stackexchange.snapshot_id}) == 3
    sources = mixed.manifest["sources"]
    assert {source: entry["pairs"] for source, entry in sources.items()} == counts
    site = next(iter(sources["stackexchange"]["communities"]))
    assert site.endswith(".stackexchange.com")
    assert set(sources["stackexchange"]["licenses"][site]) <= {"CC BY-SA 3.0", "CC BY-SA 4.0"}
    assert "CC BY-SA" in sources["stackexchange"]["attribution"]
    assert sources["stackexchange"]["rules"]["score_horizon_days"] == 30
    assert set(reddit.manifest["sources"]) == {"reddit"}
    assert not (reddit.path / "attribution.parquet").exists()
    ledger = con.execute(
        "SELECT source, count(*) FROM snapshot_pairs WHERE snapshot_id = ? GROUP BY ALL", [mixed.snapshot_id]
    ).fetchall()
    assert dict(ledger) == counts

    with pytest.raises(UnknownSourceError, match="twitter"):
        create_snapshot(con, tmp_path / "snapshots", sources=["twitter"])


def test_every_stackexchange_pair_in_a_snapshot_links_to_its_answers(both_sources, tmp_path):
    con = both_sources
    snapshot = create_snapshot(con, tmp_path / "snapshots")
    pairs = pq.read_table(snapshot.path / "pairs.parquet").to_pylist()
    attribution = {row["pair_id"]: row for row in pq.read_table(snapshot.path / "attribution.parquet").to_pylist()}

    se_pairs = [pair for pair in pairs if pair["source"] == "stackexchange"]
    assert se_pairs and set(attribution) == {pair["pair_id"] for pair in se_pairs}
    for pair in se_pairs:
        row = attribution[pair["pair_id"]]
        site = pair["community"]
        for side in ("chosen", "rejected"):
            answer = pair[f"{side}_id"].removeprefix(f"{site}:")
            assert row[f"{side}_url"] == f"https://{site}/a/{answer}"
            assert row[f"{side}_license"] in ("CC BY-SA 3.0", "CC BY-SA 4.0")
            assert row[f"{side}_author"] == pair[f"{side}_author"]
            assert row[f"{side}_author_url"].startswith(f"https://{site}/users/")
        assert row["question_url"] == f"https://{site}/q/{pair['post_id'].removeprefix(site + ':')}"
    # The ledger leads each Stack Exchange answer back to its file and line.
    unlinked = con.execute(
        "SELECT count(*) FROM snapshot_pairs WHERE snapshot_id = ? AND source = 'stackexchange'"
        " AND NOT (chosen_source LIKE 'stackexchange:%/Posts.xml' AND chosen_source_line > 0"
        "          AND rejected_source LIKE 'stackexchange:%/Posts.xml' AND rejected_source_line > 0)",
        [snapshot.snapshot_id],
    ).fetchone()
    assert unlinked == (0,)
