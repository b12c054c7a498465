-- Candidate pairs (unordered pairs of top-level comments on one post) per subreddit, and
-- how many of them each post- or comment-level rule removed, applied in $steps order:
-- a step that takes a post from n_before to n_after comments removes
-- C(n_before, 2) - C(n_after, 2) pairs. Rows with step NULL carry the candidates.
WITH per_post AS (
    SELECT post_id, any_value(subreddit) AS subreddit, count(*) AS n
    FROM pair_comments
    GROUP BY post_id
),
per_step AS (
    SELECT post_id, removed_by, count(*) AS removed, list_position($steps, removed_by) AS pos
    FROM pair_comments
    WHERE removed_by IS NOT NULL
    GROUP BY post_id, removed_by
),
walked AS (
    SELECT p.subreddit, s.removed_by, s.removed,
           p.n - sum(s.removed) OVER (PARTITION BY s.post_id ORDER BY s.pos) AS n_after
    FROM per_step AS s
    JOIN per_post AS p USING (post_id)
)
SELECT subreddit, removed_by AS step,
       sum((n_after + removed) * (n_after + removed - 1) // 2 - n_after * (n_after - 1) // 2) AS pairs
FROM walked
GROUP BY ALL
UNION ALL
SELECT subreddit, NULL AS step, sum(n * (n - 1) // 2) AS pairs
FROM per_post
GROUP BY ALL;
