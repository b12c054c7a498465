SELECT pair_id
FROM snapshot_pairs
WHERE snapshot_id = $snapshot_id
ORDER BY pair_id
