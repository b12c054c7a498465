-- Which of the given trainer run ids ($run_ids, a list) training_runs holds.
SELECT run_id
FROM training_runs
WHERE list_contains($run_ids, run_id)
