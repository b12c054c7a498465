-- Every pair of surviving top-level comments on one post, oriented higher score first,
-- with the first pair-level rule that removes it (NULL = kept so far) and each side's length
-- in characters as it reads on Reddit (the length-ratio rule and bias report). Only kept rows
-- get a pair_id: md5(post_id:chosen_id:rejected_id).
CREATE OR REPLACE TEMP TABLE pair_candidates AS
WITH kept AS (
    SELECT id, post_id, subreddit, score, created_utc, length(body) AS chars  -- >= 1: visible text
    FROM pair_comments
    WHERE removed_by IS NULL
),
oriented AS (
    SELECT a.post_id, a.subreddit,
           if(a.score >= b.score, a.id, b.id) AS chosen_id,
           if(a.score >= b.score, b.id, a.id) AS rejected_id,
           greatest(a.score, b.score) AS chosen_score,
           least(a.score, b.score) AS rejected_score,
           if(a.score >= b.score, a.created_utc, b.created_utc) AS chosen_created_utc,
           if(a.score >= b.score, b.created_utc, a.created_utc) AS rejected_created_utc,
           if(a.score >= b.score, a.chars, b.chars) AS chosen_chars,
           if(a.score >= b.score, b.chars, a.chars) AS rejected_chars
    FROM kept AS a
    JOIN kept AS b ON a.post_id = b.post_id AND a.id < b.id
),
judged AS (
    SELECT *,
           chosen_score / rejected_score AS score_ratio,  -- DOUBLE; rejected_score >= 1
           CASE
               WHEN chosen_score = rejected_score THEN 'score_tie'
               WHEN $later_must_win AND chosen_created_utc <= rejected_created_utc THEN 'earlier_won'
               WHEN chosen_score / rejected_score < $min_score_ratio THEN 'score_ratio'
               WHEN $max_length_ratio > 0
                    AND greatest(chosen_chars, rejected_chars) / least(chosen_chars, rejected_chars)
                        > $max_length_ratio THEN 'length_ratio'
           END AS removed_by
    FROM oriented
)
SELECT *,
       if(removed_by IS NULL, md5(post_id || ':' || chosen_id || ':' || rejected_id), NULL) AS pair_id
FROM judged;
