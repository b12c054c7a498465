-- Every post with its prompt: title, plus a blank line and the self-text unless that is
-- empty or [deleted]/[removed]. (trim() over long texts is slow in DuckDB; a regex that
-- stops at the first visible character tests for whitespace-only instead.)
CREATE OR REPLACE TEMP TABLE pair_posts AS
SELECT id, subreddit, author, score, over_18, created_utc,
       CASE WHEN selftext IS NULL OR selftext IN ('[deleted]', '[removed]')
                 OR NOT regexp_matches(selftext, '\S')
            THEN coalesce(title, '')
            ELSE coalesce(title, '') || chr(10) || chr(10) || selftext
       END AS prompt
FROM reddit_submissions;
