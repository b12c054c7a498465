-- The peer: the SHP rules written by hand as one query over the dumps' fields
-- (peer_comments / peer_submissions: create_peer_sources.sql), no staging, no id merge,
-- no text dedup, no rule waterfall, no lineage.
-- Rules: top-level comments only; chosen written strictly later and scored >= 2x the
-- rejected; both comments score >= 2; post score >= 10; no NSFW post; no deleted /
-- removed body or deleted author; no AutoModerator, moderator-distinguished, stickied,
-- score-hidden or OP comment; at most 5 pairs per post, strongest ratio first.
CREATE OR REPLACE TABLE peer_pairs AS
WITH posts AS (
    SELECT id, author, score, over_18,
           CASE WHEN selftext IS NULL OR trim(selftext) IN ('', '[deleted]', '[removed]')
                THEN coalesce(title, '') ELSE coalesce(title, '') || chr(10) || chr(10) || selftext
           END AS prompt
    FROM peer_submissions
    WHERE score >= 10 AND NOT coalesce(over_18, false)
),
comments AS (
    SELECT c.id, p.id AS post_id, p.prompt, c.body, c.score, c.created_utc
    FROM peer_comments AS c
    JOIN posts AS p ON c.link_id = 't3_' || p.id
    WHERE c.parent_id = c.link_id
      AND c.score >= 2
      AND c.author IS NOT NULL AND c.author NOT IN ('[deleted]', 'AutoModerator')
      AND c.author <> coalesce(p.author, '')
      AND trim(c.body) NOT IN ('', '[deleted]', '[removed]')
      AND coalesce(c.distinguished, '') <> 'moderator'
      AND NOT coalesce(c.stickied, false) AND NOT coalesce(c.score_hidden, false)
)
SELECT a.post_id, a.prompt, a.id AS chosen_id, b.id AS rejected_id, a.body AS chosen,
       b.body AS rejected, a.score AS chosen_score, b.score AS rejected_score,
       a.score / b.score AS score_ratio
FROM comments AS a
JOIN comments AS b
  ON a.post_id = b.post_id AND a.created_utc > b.created_utc AND a.score >= 2 * b.score
QUALIFY row_number() OVER (PARTITION BY a.post_id ORDER BY a.score / b.score DESC, a.score DESC,
                                                           a.id, b.id) <= 5;
