-- Pairs each dedup step and the per-post cap removed, per subreddit (dedup_removed: a
-- registered relation of pair_id, step).
SELECT p.subreddit, d.step, count(*) AS pairs
FROM dedup_removed AS d
JOIN pair_candidates AS p USING (pair_id)
GROUP BY ALL;
