-- Every frozen copy (one per snapshot) of a pair.
SELECT * FROM audited_snapshot_pairs WHERE pair_id = $value
