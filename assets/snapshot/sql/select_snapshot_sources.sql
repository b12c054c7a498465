-- Where the texts of the pairs being frozen (snapshot_pair_rows) came from: for Reddit, each
-- source of their comments (a dump file, "dump:<file name>", or a praw fetch,
-- "praw:<subreddit>:<day>"); for another source, its name and community ("stackexchange:<site>").
-- One equality join per side: an OR join would compare every pair with every comment.
WITH used AS (
    SELECT chosen_id AS id, source, community FROM snapshot_pair_rows
    UNION
    SELECT rejected_id, source, community FROM snapshot_pair_rows
)
SELECT CASE WHEN c.source IS NOT NULL THEN c.source
            WHEN u.source = 'reddit' THEN 'reddit (not in the raw tables)'
            ELSE concat_ws(':', u.source, u.community) END AS source,
       count(*) AS texts
FROM (SELECT id, coalesce(source, 'reddit') AS source, community FROM used) AS u
LEFT JOIN reddit_comments AS c ON u.source = 'reddit' AND c.id = u.id
GROUP BY ALL
ORDER BY texts DESC, source;
