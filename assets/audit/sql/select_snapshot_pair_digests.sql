-- What the ledger recorded of a snapshot's pairs: each pair id and its row's digest (NULL
-- for snapshots recorded before content digests).
SELECT pair_id, content_sha256
FROM snapshot_pairs
WHERE snapshot_id = $snapshot_id
