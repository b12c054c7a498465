-- Where the comments of the pairs being frozen (snapshot_pair_rows) came from: each source
-- (a dump file, "dump:<file name>", or a praw fetch, "praw:<subreddit>:<day>") and its comments.
SELECT coalesce(c.source, '(not in the raw tables)') AS source, count(DISTINCT c.id) AS comments
FROM snapshot_pair_rows AS p
JOIN reddit_comments AS c ON c.id IN (p.chosen_id, p.rejected_id)
GROUP BY ALL
ORDER BY comments DESC, source;
