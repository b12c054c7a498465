-- The labelled singles that passed every rule, strongest vote first (farthest from the
-- thread's median, then by id): the order dedup keeps the first of each duplicate in.
SELECT id, post_id, body
FROM single_candidates
WHERE removed_by IS NULL
ORDER BY abs(score - thread_median) DESC, id;
