-- The hand-written peer of the Stack Exchange pairs: the same core rules as
-- assets/pairs/stackexchange/ with their defaults (answers scored by votes within 30 days of
-- their day where the site has votes, else the dump score; later must win; ratio >= 2 with
-- the shift for scores <= 0; no community wiki, deleted owner or asker's answers), no
-- horizon-not-reached check, no dedup, no cap, no Markdown, no waterfall.
-- Reads the tables posts and votes the worker loaded straight from the XML.
CREATE OR REPLACE TABLE peer_pairs AS
WITH answer_scores AS (
    SELECT a.id, a.parent_id, a.created_at, a.owner_user_id,
           CASE WHEN (SELECT count(*) FROM votes) > 0 THEN
               coalesce(sum(CASE v.vote_type_id WHEN 2 THEN 1 WHEN 3 THEN -1 END)
                        FILTER (v.created_on <= a.created_at::DATE + 30), 0)
           ELSE any_value(a.score) END AS score
    FROM posts AS a
    LEFT JOIN votes AS v ON v.post_id = a.id
    WHERE a.post_type_id = 2 AND a.community_owned_date IS NULL AND a.owner_user_id IS NOT NULL
    GROUP BY a.id, a.parent_id, a.created_at, a.owner_user_id
),
answers AS (
    SELECT s.* FROM answer_scores AS s
    JOIN posts AS q ON q.id = s.parent_id AND q.post_type_id = 1
    WHERE q.score >= 0 AND q.owner_user_id IS NOT NULL AND q.community_owned_date IS NULL
      AND s.owner_user_id IS DISTINCT FROM q.owner_user_id AND s.score >= 0
)
SELECT c.parent_id AS question_id, c.id AS chosen_id, r.id AS rejected_id
FROM answers AS c
JOIN answers AS r ON r.parent_id = c.parent_id AND c.score > r.score AND c.created_at > r.created_at
WHERE if(r.score >= 1, c.score / r.score, c.score - r.score + 1) >= 2;
