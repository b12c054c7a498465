-- Each pair's content digest: the sha256 of its whole row as JSON (every column, by name,
-- in the row's column order), so a changed text, split or score changes it. The caller names
-- the rows snapshot_pair_rows: the selection being frozen, or a snapshot's pairs.parquet.
SELECT pair_id, sha256(to_json(snapshot_pair_rows)) AS content_sha256
FROM snapshot_pair_rows
