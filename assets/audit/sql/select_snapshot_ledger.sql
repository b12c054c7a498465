-- Every column the ledger recorded of a snapshot's pairs.
SELECT * EXCLUDE (snapshot_id)
FROM snapshot_pairs
WHERE snapshot_id = $snapshot_id
