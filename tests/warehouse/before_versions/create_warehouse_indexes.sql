-- The audit's reverse look-ups (which snapshots and runs used a pair, comment or author).
-- Measured on 1M snapshot pairs and 3.2M run pairs (tests/core/lineage_factory.py, 2 busy
-- cores): `audit comment` ~390 ms -> ~130 ms, `audit author` ~600 ms -> ~160 ms; writing a
-- 300k-pair snapshot costs ~0.3 s more, recording a 270k-pair run ~0.8 s more.
CREATE INDEX IF NOT EXISTS snapshot_pairs_pair_id ON snapshot_pairs (pair_id);
CREATE INDEX IF NOT EXISTS snapshot_pairs_chosen_id ON snapshot_pairs (chosen_id);
CREATE INDEX IF NOT EXISTS snapshot_pairs_rejected_id ON snapshot_pairs (rejected_id);
-- Authors are looked up in any case (Reddit names are case-insensitive), so their indexes
-- are on the lowercased name; the first version's plain ones are dropped.
DROP INDEX IF EXISTS snapshot_pairs_chosen_author;
DROP INDEX IF EXISTS snapshot_pairs_rejected_author;
CREATE INDEX IF NOT EXISTS snapshot_pairs_chosen_author_lower ON snapshot_pairs (lower(chosen_author));
CREATE INDEX IF NOT EXISTS snapshot_pairs_rejected_author_lower ON snapshot_pairs (lower(rejected_author));
CREATE INDEX IF NOT EXISTS snapshot_pairs_post_author_lower ON snapshot_pairs (lower(post_author));
CREATE INDEX IF NOT EXISTS training_run_pairs_pair_id ON training_run_pairs (pair_id);
