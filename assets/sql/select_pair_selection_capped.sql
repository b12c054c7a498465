-- Pairs the per-post cap removes, per subreddit ($max_pairs_per_post = 0: no cap).
SELECT subreddit, 'per_post_cap' AS step, count(*) AS pairs
FROM pair_selection
WHERE $max_pairs_per_post > 0 AND post_rank > $max_pairs_per_post
GROUP BY ALL;
