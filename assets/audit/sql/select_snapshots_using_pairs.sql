-- The snapshots that froze the matched pairs (the temporary table matched_pairs), oldest first.
SELECT s.snapshot_id, s.created_at, s.path,
       count(*) AS pairs,
       count(*) FILTER (m.split = 'train') AS train_pairs,
       count(*) FILTER (m.split = 'eval') AS eval_pairs,
       count(*) FILTER (m.forgotten_by IS NOT NULL) AS forgotten_pairs
FROM matched_pairs AS m
JOIN snapshots AS s USING (snapshot_id)
GROUP BY s.snapshot_id, s.created_at, s.path
ORDER BY s.created_at, s.snapshot_id
