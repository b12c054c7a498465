-- Totals of the freshly built table, per subreddit and split.
SELECT subreddit, split, count(*) AS pairs, count(DISTINCT post_id) AS posts
FROM preference_pairs
WHERE source = 'reddit'
GROUP BY ALL;
