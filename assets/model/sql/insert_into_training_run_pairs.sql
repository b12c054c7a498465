INSERT INTO training_run_pairs (run_id, pair_id, epoch, first_step, times_seen)
SELECT $run_id, pair_id, epoch, first_step, times_seen
FROM manifest_pairs
ON CONFLICT DO NOTHING
