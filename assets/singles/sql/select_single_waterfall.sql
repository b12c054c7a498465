-- Top-level comments per subreddit and how many each step removed (the rule steps from
-- single_candidates, the dedup steps from single_dedup_removed), by label where it has one.
-- Rows with step NULL carry the candidates.
SELECT subreddit, removed_by AS step, count(*) AS singles
FROM single_candidates
WHERE removed_by IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT c.subreddit, d.step, count(*)
FROM single_dedup_removed AS d
JOIN single_candidates AS c USING (id)
GROUP BY ALL
UNION ALL
SELECT subreddit, NULL, count(*)
FROM single_candidates
GROUP BY ALL;
