INSERT INTO training_run_singles (run_id, single_id, epoch, first_step, times_seen)
SELECT $run_id, single_id, epoch, first_step, times_seen
FROM manifest_singles
ON CONFLICT DO NOTHING
