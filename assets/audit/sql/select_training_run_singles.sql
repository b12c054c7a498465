-- The singles a run saw (training_run_singles), with what its snapshot recorded of each.
SELECT t.single_id, s.post_id, s.subreddit, s.split, s.comment_id, s.author, s.post_author, s.label,
       s.score, t.epoch, t.first_step, t.times_seen, s.source, s.source_line
FROM training_run_singles AS t
LEFT JOIN snapshot_singles AS s ON s.single_id = t.single_id AND s.snapshot_id = $snapshot_id
WHERE t.run_id = $run_id
ORDER BY t.first_step, t.single_id
