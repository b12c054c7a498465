-- The pairs a run saw, in the order it first saw them ($limit of them; NULL: all), back to
-- the post's author, the comments and the dump file (or praw fetch) and line each came from.
WITH seen AS (
    SELECT pair_id, epoch, first_step, times_seen
    FROM training_run_pairs
    WHERE run_id = $run_id
    ORDER BY first_step, pair_id
    LIMIT $limit
)
SELECT seen.pair_id, sp.post_id, sp.subreddit, sp.split,
       sp.chosen_id, sp.rejected_id, sp.post_author, sp.chosen_author, sp.rejected_author,
       sp.chosen_score, sp.rejected_score,
       seen.epoch, seen.first_step, seen.times_seen,
       sp.chosen_source, sp.chosen_source_line, sp.rejected_source, sp.rejected_source_line,
       sp.pair_id IS NOT NULL AS in_snapshot,
       sp.forgotten_by
FROM seen
LEFT JOIN audited_snapshot_pairs AS sp
    ON sp.snapshot_id = $snapshot_id AND sp.pair_id = seen.pair_id
ORDER BY seen.first_step, seen.pair_id
