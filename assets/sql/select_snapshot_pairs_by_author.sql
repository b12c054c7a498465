-- Every frozen pair (one row per snapshot) with an author on either side (UNION: once when
-- they wrote both). Two equality filters rather than an IN, so each can use its index.
SELECT * FROM audited_snapshot_pairs WHERE chosen_author = $value
UNION
SELECT * FROM audited_snapshot_pairs WHERE rejected_author = $value
