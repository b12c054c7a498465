-- Pairs each pair-level rule removed, per subreddit.
SELECT subreddit, removed_by AS step, count(*) AS pairs
FROM pair_candidates
WHERE removed_by IS NOT NULL
GROUP BY ALL;
