-- Each single's content digest, as select_pair_row_sha256.sql for pairs, under the name
-- pair_id so that select_snapshot_id.sql takes pairs and singles together. The caller names
-- the rows snapshot_single_rows.
SELECT single_id AS pair_id, sha256(to_json(snapshot_single_rows)) AS content_sha256
FROM snapshot_single_rows
