-- Every training run on a snapshot that froze singles of the comment ($comment) or by the
-- author ($author, lowercased; the reply's or the post's), and how many of them it trained on.
-- The parameter of the other kind is NULL and matches nothing.
WITH matched AS (
    SELECT snapshot_id, single_id
    FROM snapshot_singles
    WHERE comment_id = $comment OR lower(author) = $author OR lower(post_author) = $author
)
SELECT r.run_id, r.model_path, r.status, r.snapshot_id,
       count(*) AS singles_in_snapshot,
       count(t.single_id) AS singles_seen,
       coalesce(sum(t.times_seen), 0) AS times_seen
FROM training_runs AS r
JOIN matched AS m ON m.snapshot_id = r.snapshot_id
LEFT JOIN training_run_singles AS t ON t.run_id = r.run_id AND t.single_id = m.single_id
GROUP BY r.run_id, r.model_path, r.status, r.snapshot_id, r.started_at
ORDER BY r.started_at, r.run_id
