-- Every post with its prompt: title, plus a blank line and the self-text unless that is
-- [deleted]/[removed] or has no visible character (has_visible_text); both as they read on
-- Reddit (reddit_text: HTML entities decoded).
CREATE OR REPLACE TEMP TABLE pair_posts AS
WITH posts AS (
    SELECT * REPLACE (reddit_text(title) AS title, reddit_text(selftext) AS selftext)
    FROM reddit_submissions
)
SELECT id, subreddit, author, score, over_18, created_utc,
       CASE WHEN selftext IS NULL OR selftext IN ('[deleted]', '[removed]')
                 OR NOT has_visible_text(selftext)
            THEN coalesce(title, '')
            ELSE coalesce(title, '') || chr(10) || chr(10) || selftext
       END AS prompt
FROM posts;
