-- Every training run on a snapshot holding matched pairs (the temporary table matched_pairs),
-- and how many of them it trained on (pairs_seen 0: they were in eval, or past max_steps).
-- `seen` picks the few training_run_pairs rows first, by an inner join that DuckDB turns
-- into an index scan on training_run_pairs.pair_id (an IN (subquery) here scans the
-- whole table).
WITH seen AS (
    SELECT trp.run_id, trp.pair_id, trp.times_seen
    FROM training_run_pairs AS trp
    JOIN (SELECT DISTINCT pair_id FROM matched_pairs) USING (pair_id)
),
per_run AS (
    SELECT r.run_id,
           count(*) AS pairs_in_snapshot,
           count(*) FILTER (m.split = 'train') AS train_pairs_in_snapshot,
           count(seen.pair_id) AS pairs_seen,
           coalesce(sum(seen.times_seen), 0) AS times_seen,
           count(seen.pair_id) FILTER (m.forgotten_by IS NOT NULL) AS forgotten_pairs_seen
    FROM training_runs AS r
    JOIN matched_pairs AS m ON m.snapshot_id = r.snapshot_id
    LEFT JOIN seen ON seen.run_id = r.run_id AND seen.pair_id = m.pair_id
    GROUP BY r.run_id
)
SELECT r.run_id, r.model_path, r.status, r.snapshot_id, r.finished_at, r.model_sha256,
       p.pairs_in_snapshot, p.train_pairs_in_snapshot, p.pairs_seen, p.times_seen,
       p.forgotten_pairs_seen
FROM per_run AS p
JOIN training_runs AS r USING (run_id)
ORDER BY r.started_at, r.run_id
