-- Every frozen pair (one row per snapshot) with a comment on either side. Two equality
-- filters rather than an IN, so each can use its index.
SELECT * FROM audited_snapshot_pairs WHERE chosen_id = $value
UNION
SELECT * FROM audited_snapshot_pairs WHERE rejected_id = $value
