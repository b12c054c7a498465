-- The snapshot ledger insert of the releases before pairs had a source (migration 0003),
-- for building lineage in a warehouse of that schema (tests/audit/lineage_factory.py).
-- A reused snapshot's rows are already there: the same id means the same content.
INSERT INTO snapshot_pairs
SELECT $snapshot_id, p.pair_id, p.split, p.post_id, p.subreddit, p.chosen_id, p.rejected_id,
       p.chosen_author, p.rejected_author, p.chosen_score, p.rejected_score,
       chosen.source, chosen.source_line, rejected.source, rejected.source_line, d.content_sha256,
       p.post_author
FROM snapshot_pair_rows AS p
JOIN snapshot_pair_digests AS d ON d.pair_id = p.pair_id
LEFT JOIN reddit_comments AS chosen ON chosen.id = p.chosen_id
LEFT JOIN reddit_comments AS rejected ON rejected.id = p.rejected_id
ON CONFLICT DO NOTHING
