-- Where the comments of the pairs being frozen (snapshot_pair_rows) came from: each source
-- (a dump file, "dump:<file name>", or a praw fetch, "praw:<subreddit>:<day>") and its comments.
-- One equality join per side: an OR join would compare every pair with every comment.
WITH used AS (
    SELECT chosen_id AS id FROM snapshot_pair_rows
    UNION
    SELECT rejected_id FROM snapshot_pair_rows
)
SELECT coalesce(c.source, '(not in the raw tables)') AS source, count(*) AS comments
FROM used
LEFT JOIN reddit_comments AS c USING (id)
GROUP BY ALL
ORDER BY comments DESC, source;
