-- What the ledger recorded of a snapshot's pairs and singles: each id and its row's digest
-- (NULL for pairs of snapshots recorded before content digests). A single's id is named
-- pair_id too: the snapshot id covers both (snapshot/sql/select_snapshot_id.sql).
SELECT pair_id, content_sha256
FROM snapshot_pairs
WHERE snapshot_id = $snapshot_id
UNION ALL
SELECT single_id, content_sha256
FROM snapshot_singles
WHERE snapshot_id = $snapshot_id
